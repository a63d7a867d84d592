"""Live training progress, in the sidebar under the sliders that asked for it: the main area
keeps its layout (and the previous model) while a training runs, so nothing jumps under the
pointer when it starts or ends. A fragment polls the background job every second."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from gat_viz import i18n
from gat_viz.data import Graph as Data
from gat_viz.i18n import _
from gat_viz.teaching_plots import training_curve
from gat_viz.train import EpochRecord, Patience
from gat_viz.ui.jobs import MAX_TRAININGS_ENV, Job, Key, ModelStore


def _session() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "local"


def settled(store: ModelStore, key: Key) -> None:
    """The model for `key` is on screen: a training this session still waited for (another
    setting, left behind) is released."""
    waiting = st.session_state.pop("training_key", None)
    if waiting is not None and waiting != key:
        store.release(waiting, _session())


def progress_panel(store: ModelStore, key: Key, data: Data) -> None:
    name, config, seed = key
    who = _session()
    before = st.session_state.get("training_key")
    if before is not None and before != key:
        store.release(before, who)  # a newer setting supersedes the older one
    st.session_state["training_key"] = key
    job = store.job(key)
    # "Try again" is consumed once: a setting that fails again must not restart on every rerun.
    retry = st.session_state.pop("retry", None) == key
    if job is None or job.state == "dropped" or (job.state == "failed" and retry):
        job = store.start(key, data, who)
    elif job.running:
        store.start(key, data, who)  # joins it: this session waits for it too
    with st.sidebar:
        st.subheader(_("Training"))
        st.caption(
            _("No stored model for {dataset}, {config}, seed {seed}: training it now.").format(
                dataset=name, config=config.label(), seed=seed
            )
        )
        _poll(store, key, config.max_epochs)


@st.fragment(run_every=1.0)
def _poll(store: ModelStore, key: Key, max_epochs: int) -> None:
    i18n.use(st.session_state.get("lang") or "en")  # a fragment run skips the page's setup
    job = store.job(key)
    if job is None:
        return
    if job.state == "done":
        st.rerun()
    if job.state == "failed":
        if st.session_state.get("failure_shown") != key:  # once: the page's model line says so too
            st.session_state["failure_shown"] = key
            st.rerun()
        st.error(_(job.error).format(**job.error_fields))  # jobs stores N_ templates
        st.button(_("Try again"), on_click=lambda: st.session_state.update(retry=key))
        return
    if job.state == "waiting":
        st.info(_waiting(store, job))
        return
    if job.state == "elsewhere":  # another server process sharing the cache trains it (a file lock)
        st.info(_("Another server process is training this setting; it appears here when done."))
        return
    last = job.history[-1] if job.history else None
    patience = key[1].patience
    waited = since_improvement(job.history)
    st.progress(
        min(waited / patience, 1.0),
        text=_("epoch {epoch}: {waited} of {patience} epochs without a better validation score").format(
            epoch=job.epoch, waited=waited, patience=patience
        ),
    )
    st.caption(
        _(
            "Training stops when validation loss and accuracy have not improved for {patience} epochs (at "
            "epoch {max_epochs} at the latest); the bar fills as that count grows and empties whenever "
            "validation improves."
        ).format(patience=patience, max_epochs=max_epochs)
    )
    if last is not None:
        st.caption(
            _("training loss {loss:.3f} · validation accuracy {acc:.1%}").format(
                loss=last.loss, acc=last.val_acc
            )
        )
        st.plotly_chart(training_curve(list(job.history)), key="curve", config={"staticPlot": True})
    st.caption(_("Usually 5–20 s. Keep exploring the current model; the page switches when it is done."))


def since_improvement(history: list[EpochRecord]) -> int:
    """Epochs since validation loss or accuracy last improved: the count that early stopping
    compares with the patience (`train.Patience`, replayed over the history so far)."""
    stopper = Patience()
    for record in history:
        stopper.update(record)
    return stopper.waited


def _waiting(store: ModelStore, job: Job) -> str:
    running, place = store.queue(job)
    n = store.max_trainings
    if running == 1:
        first = _("Waiting: {running} training running, at most {n} at once on this server ({env}).")
    else:
        first = _("Waiting: {running} trainings running, at most {n} at once on this server ({env}).")
    if place <= 1:
        second = _("Yours is next in line and starts by itself.")
    else:
        second = _("Yours is number {place} in line and starts by itself.").format(place=place)
    return f"{first.format(running=running, n=n, env=MAX_TRAININGS_ENV)} {second}"
