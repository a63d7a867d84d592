"""Plotly builders for the training and teaching views: data in, `go.Figure` out, no Streamlit.

The neighbourhood drawing lives in `plotting.py`; these are the small charts beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from gat_viz.plotting import ABOVE, BELOW, NEUTRAL
from gat_viz.teaching import ScoreComparison
from gat_viz.train import EpochRecord


def training_curve(history: Sequence[EpochRecord]) -> go.Figure:
    """Loss and validation accuracy per epoch, for live training progress."""
    epochs = [r.epoch for r in history]
    loss = [r.loss for r in history]
    val = [r.val_acc for r in history]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=epochs, y=loss, name="training loss", line=dict(color=BELOW)))
    fig.add_trace(go.Scatter(x=epochs, y=val, name="validation accuracy", yaxis="y2", line=dict(color=ABOVE)))
    fig.update_layout(
        height=240,
        margin=dict(l=5, r=5, t=45, b=5),  # room for the legend above the plot (narrow sidebar)
        xaxis=dict(title="epoch"),
        yaxis=dict(title="loss"),
        yaxis2=dict(
            title="val acc", overlaying="y", side="right", range=[0, 1], tickformat=".0%", dtick=0.25
        ),
        legend=dict(orientation="h", y=1.15),
    )
    return fig


def activation_figure(curves: dict[str, np.ndarray], slope: float) -> go.Figure:
    """f and f' of ReLU and LeakyReLU(slope) on one small plot."""
    x = curves["x"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=curves["relu"], name="ReLU", line=dict(color=BELOW, width=3)))
    fig.add_trace(go.Scatter(x=x, y=curves["leaky"], name=f"LeakyReLU α={slope:g}", line=dict(color=ABOVE)))
    fig.add_trace(
        go.Scatter(x=x, y=curves["d_relu"], name="ReLU′", line=dict(color=BELOW, dash="dot", width=3))
    )
    fig.add_trace(go.Scatter(x=x, y=curves["d_leaky"], name="LeakyReLU′", line=dict(color=ABOVE, dash="dot")))
    fig.update_layout(
        height=230, margin=dict(l=5, r=5, t=5, b=5), legend=dict(orientation="h", y=-0.2),
        xaxis=dict(title="raw score", zeroline=True), yaxis=dict(zeroline=True), plot_bgcolor="white",
    )  # fmt: skip
    return fig


def score_comparison_figure(cmp: ScoreComparison) -> go.Figure:
    """α per incoming edge under ReLU and under LeakyReLU, side by side, sorted by raw score."""
    order = np.argsort(-cmp.raw)
    labels = [f"{int(cmp.sources[k])}" for k in order]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=cmp.alpha_relu[order], name="α under ReLU", marker_color=BELOW))
    fig.add_trace(go.Bar(x=labels, y=cmp.alpha_leaky[order], name="α under LeakyReLU", marker_color=ABOVE))
    fig.update_layout(
        barmode="group", height=230, margin=dict(l=5, r=5, t=5, b=5), plot_bgcolor="white",
        xaxis=dict(title="source node (by raw score, high to low)", type="category"),
        legend=dict(orientation="h", y=1.15),
    )  # fmt: skip
    return fig


def learning_figure(history: Sequence[EpochRecord]) -> go.Figure:
    """Gradient norm of the attention parameters per epoch and their distance from the start."""
    epochs = [r.epoch for r in history]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=epochs, y=[r.att_grad_norm for r in history], name="‖∂L/∂a‖"))
    fig.add_trace(go.Scatter(x=epochs, y=[r.att_change for r in history], name="‖a − a₀‖", yaxis="y2"))
    fig.update_layout(
        height=260, margin=dict(l=5, r=5, t=5, b=5), plot_bgcolor="white",
        xaxis=dict(title="epoch"), yaxis=dict(title="gradient norm", type="log"),
        yaxis2=dict(title="distance from initialisation", overlaying="y", side="right"),
        legend=dict(orientation="h", y=1.15),
    )  # fmt: skip
    return fig


def entropy_figure(entropy: np.ndarray, uniform: np.ndarray, centre_value: float) -> go.Figure:
    """Histogram of per-node attention entropy against the entropy of uniform attention.

    Binned here (0.1 nats) so the browser receives a few dozen bars, not thousands of values."""
    top = float(max(uniform.max(), entropy.max())) + 0.1
    edges = np.arange(0.0, top + 0.1, 0.1)
    mids = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure()
    for values, name, colour, opacity in (
        (uniform, "uniform: log(in-degree)", NEUTRAL, 0.5),
        (entropy, "learned attention", ABOVE, 0.6),
    ):
        counts, _ = np.histogram(values, bins=edges)
        fig.add_trace(go.Bar(x=mids, y=counts, width=0.1, name=name, marker_color=colour, opacity=opacity))
    fig.add_vline(x=centre_value, line=dict(color="#111", dash="dash"), annotation_text="centre node")
    fig.update_layout(
        barmode="overlay", height=260, margin=dict(l=5, r=5, t=5, b=5), plot_bgcolor="white",
        xaxis=dict(title="entropy (nats)"), yaxis=dict(title="nodes"), legend=dict(orientation="h", y=1.15),
    )  # fmt: skip
    return fig


def dense_figure(matrix: np.ndarray, nodes: np.ndarray, title: str) -> go.Figure:
    """A masked N×N matrix as a heatmap: −∞ (no edge) left blank."""
    z = np.where(np.isfinite(matrix), matrix, np.nan)
    labels = [str(int(n)) for n in nodes]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=labels, colorscale="Oranges", hoverongaps=False))
    fig.update_layout(
        title=dict(text=title, font=dict(size=13)), height=320, margin=dict(l=5, r=5, t=30, b=5),
        xaxis=dict(title="source j", type="category"),
        yaxis=dict(title="target i", type="category", autorange="reversed"),
    )  # fmt: skip
    return fig
