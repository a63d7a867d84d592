"""Live training progress: a fragment that polls the background job every second."""

from __future__ import annotations

import streamlit as st
from torch_geometric.data import Data

from gat_viz.plotting import training_curve
from gat_viz.ui.jobs import Key, ModelStore


def progress_panel(store: ModelStore, key: Key, data: Data) -> None:
    name, config, seed = key
    st.info(
        f"No stored model for {name}, {config.label()}, seed {seed}: training it now "
        "(usually 5–20 s). Keep exploring meanwhile; the page switches to it when it is done."
    )
    job = store.job(key)
    # "Try again" is consumed once: a setting that fails again must not restart on every rerun.
    retry = st.session_state.pop("retry", None) == key
    if job is None or (job.state == "failed" and retry):
        job = store.start(key, data)
    _poll(store, key, config.max_epochs)


@st.fragment(run_every=1.0)
def _poll(store: ModelStore, key: Key, max_epochs: int) -> None:
    job = store.job(key)
    if job is None:
        return
    if job.state == "done":
        st.rerun()
    if job.state == "failed":
        st.error(job.error)
        st.button("Try again", on_click=lambda: st.session_state.update(retry=key))
        return
    # A fixed height: the page below does not jump while the progress grows.
    box = st.container(height=330, border=False)
    if job.state == "waiting":
        box.write("Waiting for another training to finish…")
        return
    last = job.history[-1] if job.history else None
    box.progress(min(job.epoch / max_epochs, 1.0), text=f"epoch {job.epoch} of at most {max_epochs}")
    if last is not None:
        c1, c2, c3 = box.columns(3)
        c1.metric("Epoch", last.epoch)
        c2.metric("Training loss", f"{last.loss:.3f}")
        c3.metric("Validation accuracy", f"{last.val_acc:.1%}")
        box.plotly_chart(training_curve(list(job.history)), key="curve", config={"staticPlot": True})
