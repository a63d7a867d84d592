"""The page frame: URL checks, sidebar, the model in use, and the views."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from gat_viz.config import GATConfig
from gat_viz.data import PAPER_ACCURACY, DatasetUnavailable
from gat_viz.i18n import N_, _
from gat_viz.ui import explorer, frame, links, resources, sidebar, tour, training


def main(model_line: DeltaGenerator | None = None) -> None:
    """The page; `model_line` is the slot `frame.start` drew (title and loading note) before
    the heavy imports. Without it (a test calling main alone), the frame is drawn here.
    After the page, the URL is made to hold the session's settings (a link to this view)."""
    if model_line is None:
        model_line = frame.start()
    _page(model_line)
    links.sync(st.query_params, links.write(st.session_state))


def _page(model_line: DeltaGenerator) -> None:
    sidebar.page_options()
    store = resources.store()
    shown = st.session_state.get("shown")
    wanted = sidebar.requested()
    pending = frozenset()
    if shown is not None and tuple(wanted) != tuple(shown) and not store.has(wanted):
        pending = sidebar.pending_fields(wanted[1], shown[1])
    name, config, seed = sidebar.model_setting(pending)
    tour.start_button()
    try:
        data = resources.dataset(name)
    except DatasetUnavailable as exc:
        st.error(_("The {name} data is not available. {reason}").format(name=name, reason=exc))
        return
    key = (name, config, seed)
    if store.notice:
        st.warning(store.notice)
    loaded = store.get(key, data)
    if loaded is None:
        training.progress_panel(store, key, data)  # in the sidebar
        previous = st.session_state.get("shown")
        if previous is not None and previous[0] != name:
            data = resources.dataset(previous[0])  # a dataset switch: the old graph until the new model
        loaded = store.get(previous, data) if previous else None
        if loaded is None:
            model_line.caption(_("Training a model for this setting: its progress is in the sidebar."))
            return
        # Said in the model line itself, which keeps its place: nothing below it moves.
        head = _("**Still showing the previous model:**")
        changes = _changes(name, config, previous[0], previous[1])
        job = store.job(key)
        if job is not None and job.state == "failed":
            tail = _(":red[**{changes}** failed: see the sidebar]").format(changes=changes)
        else:
            tail = _(":orange[**{changes}** training…]").format(changes=changes)
    else:
        st.session_state["shown"] = key
        training.settled(store, key)
        head, tail = _("**Model:**"), loaded.source_text()
    result = loaded.result
    mean, std = PAPER_ACCURACY[data.name]
    model_line.caption(
        _(
            "{head} {dataset}, {setting}, seed {seed} · **test accuracy at best validation {acc:.1%}** "
            "(one run; paper: {mean} ± {std}, 100 runs) · {tail}"
        ).format(
            head=head, dataset=data.name, setting=result.config.label(), seed=result.seed,
            acc=result.test_acc, mean=mean, std=std, tail=tail,
        )
    )  # fmt: skip
    if not store.cache.writable:
        st.caption(_("The model cache folder cannot be written: models trained now are kept in memory only."))
    explorer.view(data, loaded)
    store.warm()  # training workers start a few seconds after the page is drawn


NAMES = {
    "negative_slope": "α", "max_epochs": N_("max epochs"), "weight_decay": N_("weight decay"),
    "layer": N_("model"), "heads": N_("heads"), "dropout": N_("dropout"), "hidden": N_("hidden"),
    "activation": N_("activation"), "attention": N_("attention"), "lr": "lr",
}  # fmt: skip


def _changes(name: str, wanted: GATConfig, shown_name: str, shown: GATConfig) -> str:
    """'α=0.25, dropout=0.5': the new setting, by what differs from the model on screen."""
    a, b = wanted.to_dict(), shown.to_dict()
    parts = [f"{_(NAMES.get(k, k))}={a[k]}" for k in a if a[k] != b.get(k)]
    if name != shown_name:
        parts.insert(0, name)
    return ", ".join(parts) or _("the new setting")
