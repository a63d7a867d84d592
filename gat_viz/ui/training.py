"""Live training progress, in the sidebar under the sliders that asked for it: the main area
keeps its layout (and the previous model) while a training runs, so nothing jumps under the
pointer when it starts or ends. A fragment polls the background job every second."""

from __future__ import annotations

import streamlit as st
from torch_geometric.data import Data

from gat_viz.teaching_plots import training_curve
from gat_viz.ui.jobs import MAX_TRAININGS_ENV, Job, Key, ModelStore


def progress_panel(store: ModelStore, key: Key, data: Data) -> None:
    name, config, seed = key
    job = store.job(key)
    # "Try again" is consumed once: a setting that fails again must not restart on every rerun.
    retry = st.session_state.pop("retry", None) == key
    if job is None or (job.state == "failed" and retry):
        job = store.start(key, data)
    with st.sidebar:
        st.subheader("Training")
        st.caption(f"No stored model for {name}, {config.label()}, seed {seed}: training it now.")
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
    if job.state == "waiting":
        st.info(_waiting(store, job))
        return
    last = job.history[-1] if job.history else None
    st.progress(min(job.epoch / max_epochs, 1.0), text=f"epoch {job.epoch} of at most {max_epochs}")
    if last is not None:
        st.caption(f"training loss {last.loss:.3f} · validation accuracy {last.val_acc:.1%}")
        st.plotly_chart(training_curve(list(job.history)), key="curve", config={"staticPlot": True})
    st.caption("Usually 5–20 s. Keep exploring the current model; the page switches when it is done.")


def _waiting(store: ModelStore, job: Job) -> str:
    running, place = store.queue(job)
    n = store.max_trainings
    line = "next in line" if place <= 1 else f"number {place} in line"
    return (
        f"Waiting: {running} training{'s' if running != 1 else ''} running, at most {n} at once on "
        f"this server ({MAX_TRAININGS_ENV}). Yours is {line} and starts by itself."
    )
