"""The sidebar: dataset and the model's setting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from gat_viz.config import SLIDERS, GATConfig
from gat_viz.i18n import LANGUAGES, N_, _
from gat_viz.ui.links import ACTIVATIONS, DATASETS, KINDS, LEARNING_RATES

# Labels of the codes the session and the URL hold (gat_viz.ui.links).
ACTIVATION_LABELS = {
    "leaky_relu": N_("LeakyReLU"), "relu": N_("ReLU"), "prelu": N_("PReLU (learned slope per head)"),
}  # fmt: skip
KIND_LABELS = {
    "gat": N_("GAT (the paper's)"),
    "gatv2": N_("GATv2 (dynamic attention)"),
    "frozen": N_("GAT, attention frozen at initialisation"),
    "uniform": N_("Uniform attention (Const-GAT)"),
}
PENDING = N_(" · training…")  # appended to the label of a slider whose value the shown model lacks


def requested(state: Mapping[str, Any] | None = None) -> tuple[str, GATConfig, int]:
    """The setting the widgets hold, by their keys: read from the session state before they are
    drawn (their values persist there), so the page knows which ones are still training, or
    from the values they returned (`model_setting`)."""
    state = st.session_state if state is None else state
    d = GATConfig()
    config = GATConfig(
        hidden=state.get("hidden", d.hidden), heads=state.get("heads", d.heads),
        dropout=round(state.get("dropout", d.dropout), 2),
        negative_slope=round(state.get("slope", d.negative_slope), 2),
        activation=state.get("activation", d.activation),
        lr=state.get("lr", d.lr), max_epochs=state.get("max_epochs", d.max_epochs),
        **_kind(state.get("kind", "gat"), state.get("activation", d.activation)),
    )  # fmt: skip
    return state.get("dataset", DATASETS[0]), config, int(state.get("seed", 0))


def _kind(kind: str, activation: str) -> dict[str, str]:
    layer, attention = KINDS[kind]
    if layer == "gatv2" and activation == "prelu":
        layer = "gat"  # GATv2 has no PReLU here: the activation wins, and the page says so
    return {"layer": layer, "attention": attention}


def pending_fields(wanted: GATConfig, shown: GATConfig | None) -> frozenset[str]:
    """Config fields whose requested value differs from the model on screen."""
    if shown is None:
        return frozenset()
    a, b = wanted.to_dict(), shown.to_dict()
    return frozenset(k for k in a if a[k] != b.get(k))


def page_options() -> None:
    """The page's own settings, first in the sidebar: language and presenter mode."""
    sb = st.sidebar
    sb.radio(
        _("Language"), list(LANGUAGES), key="lang", format_func=LANGUAGES.get, horizontal=True,
        label_visibility="collapsed",
    )  # fmt: skip
    sb.toggle(
        _("Presenter mode"), key="present",
        help=_("Larger text for a projector, sidebar collapsed; fits 1280×720. Links keep it (present=1)."),
    )  # fmt: skip


def model_setting(pending: frozenset[str] = frozenset()) -> tuple[str, GATConfig, int]:
    """(dataset, config, seed) from the sidebar widgets; defaults are the paper's. Sliders for
    the `pending` fields (a training for them runs) say so in their label."""
    sb = st.sidebar
    # No value= anywhere: every key starts from gat_viz.ui.links' defaults or a link (page_state).
    name = sb.selectbox(_("Dataset"), DATASETS, key="dataset")
    sb.subheader(_("Model"))
    kind = sb.selectbox(
        _("Model"), list(KINDS), key="kind", label_visibility="collapsed",
        format_func=lambda k: _(KIND_LABELS[k]),
        help=_(
            "GATv2 scores aᵀLeakyReLU(W_l h_j + W_r h_i): its ranking of neighbours can differ per "
            "node (dynamic attention). Frozen and uniform attention are the two ways of not learning it."
        ),
    )  # fmt: skip

    def label(text: str, field: str) -> str:
        return text + (_(PENDING) if field in pending else "")

    def limits(field: str) -> dict[str, float]:
        lo, hi, step = SLIDERS[field]
        return {"min_value": lo, "max_value": hi, "step": step}

    slope = sb.slider(
        label(_("LeakyReLU negative slope α"), "negative_slope"), **limits("negative_slope"), key="slope",
        help=_("The slope for negative attention scores. 0 is ReLU: negative scores tie at 0."),
    )  # fmt: skip
    heads = sb.slider(
        label(_("Heads"), "heads"), **limits("heads"), key="heads", help=_("Attention heads in layer 1")
    )
    dropout = sb.slider(
        label(_("Dropout"), "dropout"), **limits("dropout"), key="dropout", help=_("On inputs and attention")
    )
    with sb.expander(_("Advanced")):
        hidden = st.slider(label(_("Hidden units per head"), "hidden"), **limits("hidden"), key="hidden")
        activation = st.selectbox(
            _("Activation"), ACTIVATIONS, key="activation", format_func=lambda a: _(ACTIVATION_LABELS[a])
        )
        seed = st.number_input(_("Seed"), 0, 9999, key="seed")
        max_epochs = st.slider(_("Max epochs"), **limits("max_epochs"), key="max_epochs")
        lr = st.select_slider(
            _("Learning rate"), LEARNING_RATES, key="lr",
            help=_("Adam's step size. From 0.5 up training diverges: the app stops it and says so."),
        )  # fmt: skip
    values = {
        "dataset": name, "kind": kind, "slope": slope, "heads": heads, "dropout": dropout,
        "hidden": hidden, "activation": activation, "seed": seed, "max_epochs": max_epochs, "lr": lr,
    }  # fmt: skip
    name, config, seed = requested(values)  # one reading of the widgets, before or after drawing
    if KINDS[kind][0] == "gatv2" and config.layer == "gat":
        sb.caption(_("GATv2 with PReLU is not implemented: this is GAT with PReLU."))
    return name, config, seed
