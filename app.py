"""GAT Attention Explorer: `streamlit run app.py`. A frame only; the app lives in gat_viz/ui."""

# Streamlit runs this file as `__main__`. The training workers (gat_viz.workers) are spawned
# processes, which import the parent's main module as `__mp_main__`: the guard keeps them from
# running the page.
if __name__ == "__main__":
    from gat_viz.ui import frame

    model_line = frame.start()  # the title, before torch and PyG load (seconds on a cold start)

    from gat_viz.ui.main import main

    main(model_line)
