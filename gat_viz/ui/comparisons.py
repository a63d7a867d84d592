"""Comparisons between trained variants, shared by the teaching views: the many-seed table's
sentences (`gat_viz.lessons`), one-run comparisons that say they are one run, and `twins`, which
loads models that differ in one setting or trains them on request with progress."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gat_viz import i18n
from gat_viz.data import Graph as Data
from gat_viz.i18n import N_, _
from gat_viz.lessons import Lessons, LessonsError, table_sentence
from gat_viz.numbers import fmt
from gat_viz.teaching import compare_runs, dead_share
from gat_viz.ui.jobs import Key, Loaded, ModelStore


@st.cache_resource(show_spinner=False)
def lessons() -> Lessons | None:
    """The shipped many-seed table, or None (the views then say how to make it)."""
    try:
        return Lessons.load()
    except LessonsError:
        return None


# A background job's state, as shown while the twins train.
STATES = {
    "waiting": N_("waiting"), "training": N_("training"), "elsewhere": N_("training in another process"),
    "done": N_("done"), "failed": N_("failed"), "dropped": N_("dropped"),
}  # fmt: skip


def table_sentences(data: Data, pairs: list[tuple[str, str]]) -> None:
    """The many-seed table's verdicts for these variant pairs, by the rule of `gat_viz.lessons`."""
    table = lessons()
    if table is None:
        st.caption(table_sentence(None, data.name, "", ""))  # how to make the table
        return
    st.markdown(_("**Over {seeds} seeds (the shipped table):**").format(seeds=table.seeds))
    for a, b in pairs:
        st.markdown(f"- {table_sentence(table, data.name, a, b)}")
    st.caption(
        _(
            "Rule: a difference of means within two standard errors of the difference reads “no measurable "
            "difference”. Test accuracy of the weights kept at best validation."
        )
    )


def compare_sentences(
    data: Data, rows: list[tuple[str, Key]], models: list[Loaded | None], seed: int, note: str = ""
) -> None:
    """The first row (`note`, translated, says what it is) against every other trained row, in
    rule-made sentences that say they are one run, and the way to the table that says more."""
    first = models[0]
    others = [(label, m.result.test_acc) for (label, _key), m in zip(rows[1:], models[1:]) if m is not None]
    if first is not None and others:
        # TRANSLATORS: a model's label and a note on it, e.g. "ReLU (the model in use)".
        label = _("{label} ({note})").format(label=rows[0][0], note=note) if note else rows[0][0]
        st.markdown(compare_runs(label, first.result.test_acc, others, data.name, seed))
        table = lessons()
        if table is not None:
            text = _(
                "One run each: for what holds over {seeds} seeds, see the table's sentences in this view."
            ).format(seeds=table.seeds)
        else:
            text = _("One run each: for what holds over many seeds, see the table's sentences in this view.")
        st.caption(text)


def twins(store: ModelStore, data: Data, rows: list[tuple[str, Key]], what: str) -> list[Loaded | None]:
    """Models that differ in one setting, side by side: loaded from memory or disk, or trained
    on request with progress. Returns the loaded ones (None where missing). `rows` hold labels as
    shown (translated); `what` names the models in English, marked with N_ (it keys the button)."""
    loaded = [store.get(key, data) for _key, key in rows]
    model_h, acc_h = _("model"), _("test acc.")
    table = []
    for (label, _key), model in zip(rows, loaded):
        if model is None:
            table.append({model_h: label, acc_h: _("not trained yet")})
            continue
        first = model.outputs.traces[0]
        c = model.result.config
        scalar = c.layer == "gat" and c.attention != "uniform"  # a raw score ReLU could kill
        table.append(
            {
                model_h: label,
                acc_h: fmt(model.result.test_acc, ".1%"),
                _("raw < 0"): fmt(dead_share(first), ".1%") if scalar else "—",
                _("entropy"): fmt(float(model.outputs.entropy[0].mean())),
            }
        )
    st.table(pd.DataFrame(table).set_index(model_h))
    st.caption(
        _(
            "One run each (the seed shown). Layer 1: the share of raw scores below 0 (dead under ReLU; — "
            "where the score has no such scalar) and the mean attention entropy in nats."
        )
    )
    missing = [key for (_label, key), model in zip(rows, loaded) if model is None]
    if missing:
        if any(job is not None and job.running for job in map(store.job, missing)):
            _twin_progress(store, missing)
        else:
            st.button(
                _("Train the missing {what} (about 10 s each)").format(what=_(what)),
                key=f"train-{what}",
                on_click=lambda: [store.start(k, data) for k in missing],
            )
    return loaded


@st.fragment(run_every=1.0)
def _twin_progress(store: ModelStore, keys: list[Key]) -> None:
    i18n.use(st.session_state.get("lang") or "en")  # a fragment run skips the page's setup
    jobs = [store.job(k) for k in keys]
    if not any(j is not None and j.running for j in jobs):
        st.rerun()
    for j in jobs:
        if j is not None:
            st.caption(
                _("{model}: {state}, epoch {epoch}").format(
                    model=j.key[1].label(), state=_(STATES.get(j.state, j.state)), epoch=j.epoch
                )
            )
