"""The page frame: URL checks, sidebar, the model in use, and the views."""

from __future__ import annotations

import streamlit as st

from gat_viz.data import PAPER_ACCURACY, DatasetUnavailable
from gat_viz.ui import explorer, resources, sidebar, training
from gat_viz.ui.state import check_dataset

TITLE = "GAT Attention Explorer"


def main() -> None:
    st.set_page_config(page_title=TITLE, page_icon="🕸️", layout="wide")
    notes = check_dataset(st.query_params)
    name, config, seed = sidebar.model_setting()
    st.title(TITLE)
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
    st.markdown(
        f"**Model:** {name}, {result.config.label()}, seed {result.seed} · **test accuracy at best "
        f"validation {result.test_acc:.1%}** (one run, epoch {result.best_epoch}) · paper: {mean} ± "
        f"{std} (mean of 100 runs) · {loaded.source}"
    )
    if not store.cache.writable:
        st.caption("The model cache folder cannot be written: models trained now are kept in memory only.")
    explorer.view(data, loaded, notes)
