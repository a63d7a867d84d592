"""The page frame: URL checks, sidebar, the model in use, and the views."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from gat_viz.config import GATConfig
from gat_viz.data import PAPER_ACCURACY, DatasetUnavailable
from gat_viz.ui import explorer, frame, resources, sidebar, training
from gat_viz.ui.state import check_dataset


def main(model_line: DeltaGenerator | None = None) -> None:
    """The page; `model_line` is the slot `frame.start` drew (title and loading note) before
    the heavy imports. Without it (a test calling main alone), the frame is drawn here."""
    if model_line is None:
        model_line = frame.start()
    notes = check_dataset(st.query_params)
    store = resources.store()
    shown = st.session_state.get("shown")
    wanted = sidebar.requested()
    pending = frozenset()
    if shown is not None and tuple(wanted) != tuple(shown) and not store.has(wanted):
        pending = sidebar.pending_fields(wanted[1], shown[1])
    name, config, seed = sidebar.model_setting(pending)
    try:
        data = resources.dataset(name)
    except DatasetUnavailable as exc:
        st.error(f"The {name} data is not available. {exc}")
        return
    key = (name, config, seed)
    if store.notice:
        st.warning(store.notice)
    loaded = store.get(key, data)
    if loaded is None:
        training.progress_panel(store, key, data)  # in the sidebar
        previous = st.session_state.get("shown")
        loaded = store.get(previous, data) if previous and previous[0] == name else None
        if loaded is None:
            model_line.caption("Training a model for this setting: its progress is in the sidebar.")
            return
        # Said in the model line itself, which keeps its place: nothing below it moves.
        head = "**Still showing the previous model:**"
        job = store.job(key)
        if job is not None and job.state == "failed":
            tail = f":red[**{_changes(config, previous[1])}** failed: see the sidebar]"
        else:
            tail = f":orange[**{_changes(config, previous[1])}** training…]"
    else:
        st.session_state["shown"] = key
        training.settled(store, key)
        head, tail = "**Model:**", loaded.source
    result = loaded.result
    mean, std = PAPER_ACCURACY[name]
    model_line.caption(
        f"{head} {name}, {result.config.label()}, seed {result.seed} · **test accuracy at best "
        f"validation {result.test_acc:.1%}** (one run; paper: {mean} ± {std}, 100 runs) · {tail}"
    )
    if not store.cache.writable:
        st.caption("The model cache folder cannot be written: models trained now are kept in memory only.")
    explorer.view(data, loaded, notes)
    store.warm()  # training workers start now that the page is drawn


NAMES = {"negative_slope": "α", "max_epochs": "max epochs", "weight_decay": "weight decay", "layer": "model"}


def _changes(wanted: GATConfig, shown: GATConfig) -> str:
    """'α=0.25, dropout=0.5': the new setting, by what differs from the model on screen."""
    a, b = wanted.to_dict(), shown.to_dict()
    parts = [f"{NAMES.get(k, k)}={a[k]}" for k in a if a[k] != b.get(k)]
    return ", ".join(parts) or "the new setting"
