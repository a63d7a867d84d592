"""The sidebar: dataset and the model's setting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from gat_viz.config import GATConfig
from gat_viz.ui.state import DATASETS

ACTIVATIONS = {"LeakyReLU": "leaky_relu", "ReLU": "relu", "PReLU (learned slope per head)": "prelu"}
# Up to 0.2 trains (Cora: ≥ 81%); from 0.5 the loss blows up and the app says so (see train.DIVERGENCE).
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


# The kind of model: which attention, and whether it is learned (GATConfig.layer, .attention).
KINDS = {
    "GAT (the paper's)": ("gat", "learned"),
    "GATv2 (dynamic attention)": ("gatv2", "learned"),
    "GAT, attention frozen at initialisation": ("gat", "frozen"),
    "Uniform attention (Const-GAT)": ("gat", "uniform"),
}
PENDING = " · training…"  # appended to the label of a slider whose value the shown model lacks


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
        activation=ACTIVATIONS[state.get("activation", next(iter(ACTIVATIONS)))],
        lr=state.get("lr", d.lr), max_epochs=state.get("max_epochs", d.max_epochs),
        **_kind(state.get("kind", next(iter(KINDS))), state.get("activation", next(iter(ACTIVATIONS)))),
    )  # fmt: skip
    return state.get("dataset", DATASETS[0]), config, int(state.get("seed", 0))


def _kind(label: str, activation: str) -> dict[str, str]:
    layer, attention = KINDS[label]
    if layer == "gatv2" and ACTIVATIONS.get(activation) == "prelu":
        layer = "gat"  # GATv2 has no PReLU here: the activation wins, and the page says so
    return {"layer": layer, "attention": attention}


def pending_fields(wanted: GATConfig, shown: GATConfig | None) -> frozenset[str]:
    """Config fields whose requested value differs from the model on screen."""
    if shown is None:
        return frozenset()
    a, b = wanted.to_dict(), shown.to_dict()
    return frozenset(k for k in a if a[k] != b.get(k))


def model_setting(pending: frozenset[str] = frozenset()) -> tuple[str, GATConfig, int]:
    """(dataset, config, seed) from the sidebar widgets; defaults are the paper's. Sliders for
    the `pending` fields (a training for them runs) say so in their label."""
    sb = st.sidebar
    name = sb.selectbox("Dataset", DATASETS, key="dataset", bind="query-params")
    sb.subheader("Model")
    d = GATConfig()
    kind = sb.selectbox(
        "Model", list(KINDS), key="kind", label_visibility="collapsed",
        help="GATv2 scores aᵀLeakyReLU(W_l h_j + W_r h_i): its ranking of neighbours can differ per "
        "node (dynamic attention). Frozen and uniform attention are the two ways of not learning it.",
    )  # fmt: skip

    def label(text: str, field: str) -> str:
        return text + (PENDING if field in pending else "")

    slope = sb.slider(
        label("LeakyReLU negative slope α", "negative_slope"), 0.0, 1.0, d.negative_slope, 0.05, key="slope",
        help="The slope for negative attention scores. 0 is ReLU: negative scores tie at 0.",
    )  # fmt: skip
    heads = sb.slider(label("Heads", "heads"), 1, 16, d.heads, key="heads", help="Attention heads in layer 1")
    dropout = sb.slider(
        label("Dropout", "dropout"), 0.0, 0.9, d.dropout, 0.05, key="dropout", help="On inputs and attention"
    )
    with sb.expander("Advanced"):
        hidden = st.slider(label("Hidden units per head", "hidden"), 1, 64, d.hidden, key="hidden")
        activation = st.selectbox("Activation", list(ACTIVATIONS), key="activation")
        seed = st.number_input("Seed", 0, 9999, 0, key="seed")
        max_epochs = st.slider("Max epochs", 10, 2000, d.max_epochs, 10, key="max_epochs")
        lr = st.select_slider(
            "Learning rate", LEARNING_RATES, d.lr, key="lr",
            help="Adam's step size. From 0.5 up training diverges: the app stops it and says so.",
        )  # fmt: skip
    values = {
        "dataset": name, "kind": kind, "slope": slope, "heads": heads, "dropout": dropout,
        "hidden": hidden, "activation": activation, "seed": seed, "max_epochs": max_epochs, "lr": lr,
    }  # fmt: skip
    name, config, seed = requested(values)  # one reading of the widgets, before or after drawing
    if KINDS[kind][0] == "gatv2" and config.layer == "gat":
        sb.caption("GATv2 with PReLU is not implemented: this is GAT with PReLU.")
    return name, config, seed
