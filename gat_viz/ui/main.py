"""The page frame: URL checks, sidebar, the model in use, and the views."""

from __future__ import annotations

import streamlit as st

from gat_viz.data import PAPER_ACCURACY, DatasetUnavailable
from gat_viz.ui import explorer, resources, sidebar, training
from gat_viz.ui.state import check_dataset

TITLE = "GAT Attention Explorer"
# A compact page, so that the graph fits a 1280×720 projector without scrolling: less padding
# above the first element and between elements.
COMPACT_CSS = """<style>
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 3rem; padding-bottom: 1rem;}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {gap: 0.45rem;}
[data-testid="stMainBlockContainer"] h4 {padding: 0 0 0.1rem 0;}
</style>"""


def main() -> None:
    st.set_page_config(page_title=TITLE, page_icon=":material/hub:", layout="wide")
    st.html(COMPACT_CSS)
    notes = check_dataset(st.query_params)
    name, config, seed = sidebar.model_setting()
    st.markdown(f"#### {TITLE}")
    try:
        data = resources.dataset(name)
    except DatasetUnavailable as exc:
        st.error(f"The {name} data is not available. {exc}")
        return
    store = resources.store()
    key = (name, config, seed)
    if store.notice:
        st.warning(store.notice)
    loaded = store.get(key, data)
    if loaded is None:
        training.progress_panel(store, key, data)  # in the sidebar
        previous = st.session_state.get("shown")
        loaded = store.get(previous, data) if previous and previous[0] == name else None
        if loaded is None:
            st.info("Training a model for this setting: its progress is in the sidebar.")
            return
    else:
        st.session_state["shown"] = key
    result = loaded.result
    mean, std = PAPER_ACCURACY[name]
    st.caption(
        f"**Model:** {name}, {result.config.label()}, seed {result.seed} · **test accuracy at best "
        f"validation {result.test_acc:.1%}** (one run, epoch {result.best_epoch}; paper: {mean} ± "
        f"{std}, 100 runs) · {loaded.source}"
    )
    if not store.cache.writable:
        st.caption("The model cache folder cannot be written: models trained now are kept in memory only.")
    explorer.view(data, loaded, notes)
