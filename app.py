"""GAT Attention Explorer: `streamlit run app.py`. A frame only; the app lives in gat_viz/ui."""

from gat_viz.ui.main import main

main()
