"""Plotly builders for the training and teaching views: data in, `go.Figure` out, no Streamlit.

The neighbourhood drawing lives in `plotting.py`; these are the small charts beside it. Legends
sit above the plot area (outside it), so they cover neither a curve nor an axis title.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from gat_viz.i18n import _
from gat_viz.numbers import fmt
from gat_viz.plotting import ABOVE, BELOW, NEUTRAL
from gat_viz.selection import point_custom, selection_parts
from gat_viz.teaching import DenseView, ScoreComparison
from gat_viz.train import EpochRecord

# A horizontal legend just above the plot area; the top margin leaves room for two rows.
LEGEND_ABOVE = dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0)
HEAD_COLOURS = ("#D95F02", "#7570B3", "#E7298A", "#66A61E", "#E6AB02", "#A6761D", "#1B9E77", "#666666")
MASKED, OUTSIDE = "#D9D9D9", "#9ECAE1"  # dense view: no edge (−∞); neighbours not drawn
CELLS = [[0.0, "#FFF5EB"], [1.0, "#F39A4E"]]  # white to mid orange: black cell text stays legible
MASKED_MARK = "#BDBDBD"  # the grey square in the legend text, a little darker to be seen on white


def training_curve(history: Sequence[EpochRecord]) -> go.Figure:
    """Loss and validation accuracy per epoch, for live training progress (a ~300 px sidebar).

    The legend sits above the plot area, and each axis title is coloured like its curve."""
    epochs = [r.epoch for r in history]
    loss = [r.loss for r in history]
    val = [r.val_acc for r in history]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=epochs, y=loss, name=_("training loss"), line=dict(color=BELOW)))
    fig.add_trace(
        go.Scatter(x=epochs, y=val, name=_("validation accuracy"), yaxis="y2", line=dict(color=ABOVE))
    )
    # Two legend rows fit above the plot in a narrow sidebar.
    fig.update_layout(
        height=250,
        margin=dict(l=5, r=5, t=55, b=5),
        xaxis=dict(title=_("epoch")),
        yaxis=dict(title=dict(text=_("loss"), font=dict(color=BELOW))),
        yaxis2=dict(title=dict(text=_("val acc"), font=dict(color=ABOVE)), overlaying="y", side="right",
                    range=[0, 1], tickformat=".0%", dtick=0.25),
        legend=LEGEND_ABOVE,
    )  # fmt: skip
    return fig


def activation_figure(
    curves: dict[str, np.ndarray], names: Sequence[str] | None = None, highlight: int = 0
) -> go.Figure:
    """f (solid) and f' (dotted) of ReLU and of the model's function for each slope in `curves`
    (see `activation_curves`): one slope for LeakyReLU, one per head for PReLU. The `highlight`
    slope (the head the panel follows) is drawn bold with its f'; other heads share one legend
    entry and are named on hover, so eight heads do not make eight legend rows."""
    x = curves["x"]
    slopes = curves["slopes"]
    names = list(names or [_("slope {slope}").format(slope=fmt(a, ".2f")) for a in slopes])
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=curves["relu"], name="ReLU", legendgroup="relu",
                             line=dict(color=BELOW, width=3)))  # fmt: skip
    fig.add_trace(go.Scatter(x=x, y=curves["d_relu"], name="ReLU′", legendgroup="relu", showlegend=False,
                             line=dict(color=BELOW, dash="dot", width=3)))  # fmt: skip
    others = [k for k in range(len(names)) if k != highlight]
    for k in others:
        fig.add_trace(go.Scatter(
            x=x, y=curves["leaky"][k], name=names[k], legendgroup="others", showlegend=False,
            line=dict(color=HEAD_COLOURS[(k + 1) % len(HEAD_COLOURS)], width=1.2), opacity=0.7,
        ))  # fmt: skip
    if others:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", legendgroup="others",
                                 name=_("other heads (hover to name)") if len(others) > 1
                                 else _("other head (hover to name)"),
                                 line=dict(color="#999", width=1.2)))  # fmt: skip
    k = highlight
    fig.add_trace(go.Scatter(x=x, y=curves["leaky"][k], name=names[k], legendgroup="main",
                             line=dict(color=ABOVE, width=3)))  # fmt: skip
    fig.add_trace(go.Scatter(x=x, y=curves["d_leaky"][k], name=f"{names[k]}′", legendgroup="main",
                             showlegend=False, line=dict(color=ABOVE, dash="dot", width=3)))  # fmt: skip
    fig.update_layout(
        height=300, margin=dict(l=5, r=5, t=70, b=5), legend=LEGEND_ABOVE,
        xaxis=dict(title=_("raw score"), zeroline=True),
        yaxis=dict(title=_("f solid, f′ dotted"), zeroline=True),
        plot_bgcolor="white", hovermode="closest",
    )  # fmt: skip
    return fig


def score_comparison_figure(cmp: ScoreComparison, model_name: str, what_if_name: str) -> go.Figure:
    """α per incoming edge: the model's own and the what-if's, side by side, sorted by raw score."""
    order = np.argsort(-cmp.raw)
    labels = [f"{int(cmp.sources[k])}" for k in order]
    own = _("α, this model ({model})").format(model=model_name)
    what_if = _("α if {what_if} (what-if)").format(what_if=what_if_name)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=cmp.alpha[order], name=own, marker_color=ABOVE))
    fig.add_trace(go.Bar(x=labels, y=cmp.what_if_alpha[order], name=what_if, marker_color=BELOW))
    fig.update_layout(
        barmode="group", height=270, margin=dict(l=5, r=5, t=50, b=5), plot_bgcolor="white",
        xaxis=dict(title=_("source j, by raw score (high → low)"), type="category"), yaxis=dict(title="α"),
        legend=LEGEND_ABOVE,
    )  # fmt: skip
    return fig


def learning_figure(history: Sequence[EpochRecord]) -> go.Figure:
    """Gradient norm of the attention parameters per epoch and their distance from the start."""
    epochs = [r.epoch for r in history]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=epochs, y=[r.att_grad_norm for r in history], name="‖∂L/∂a‖"))
    fig.add_trace(go.Scatter(x=epochs, y=[r.att_change for r in history], name="‖a − a₀‖", yaxis="y2"))
    fig.update_layout(
        height=280, margin=dict(l=5, r=5, t=35, b=5), plot_bgcolor="white",
        xaxis=dict(title=_("epoch")), yaxis=dict(title=_("gradient norm"), type="log"),
        yaxis2=dict(title=_("distance from initialisation"), overlaying="y", side="right"),
        legend=LEGEND_ABOVE,
    )  # fmt: skip
    return fig


def entropy_scatter(entropy: np.ndarray, in_degree: np.ndarray, centre: int, gap: bool = False) -> go.Figure:
    """Attention entropy against log(in-degree), one point per node (`customdata` = [node id]).

    log(in-degree) is the entropy of uniform attention, so uniform nodes lie on y = x and nodes
    that favour some neighbours lie below it. With `gap` the y axis shows entropy − log(in-degree)
    instead (uniform on y = 0), which spreads out what y = x squeezes onto a line. The centre node
    is marked on top (not selectable)."""
    uniform = np.log(np.maximum(np.asarray(in_degree, dtype=float), 1.0))
    entropy = np.asarray(entropy, dtype=float)
    y = entropy - uniform if gap else entropy
    ids = np.arange(len(entropy))
    right = float(max(uniform.max(), entropy.max(), 0.1)) * 1.04
    node_text = _("node {node}: entropy {entropy} nats")
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[0, right], y=[0, 0] if gap else [0, right], mode="lines",
        name=_("y = 0: uniform attention") if gap else _("y = x: uniform attention"),
        line=dict(color=NEUTRAL, dash="dash", width=1), hoverinfo="skip",
    ))  # fmt: skip
    fig.add_trace(go.Scatter(
        x=uniform.tolist(), y=y.tolist(), mode="markers", name=_("node"),
        customdata=[[int(i)] for i in ids],  # plain lists: numpy arrays come back as dicts
        marker=dict(size=5, color=BELOW, opacity=0.45, line=dict(width=0)),
        text=[node_text.format(node=i, entropy=fmt(entropy[i])) for i in ids],
        hovertemplate=_("%{text}<br>log(in-degree) %{x:.3f}") + "<extra></extra>",
    ))  # fmt: skip
    fig.add_trace(go.Scatter(
        x=[float(uniform[centre])], y=[float(y[centre])], mode="markers",
        name=_("centre node {node}").format(node=centre), hoverinfo="skip",
        marker=dict(size=15, color=ABOVE, symbol="star", line=dict(width=1, color="#111")),
    ))  # fmt: skip
    if gap:
        low = float(min(y.min(), -0.01))
        yaxis = dict(title=_("entropy − log(in-degree) (nats)"), range=[low * 1.08, -low * 0.15])
    else:
        yaxis = dict(title=_("attention entropy (nats)"), range=[-0.05, right])
    fig.update_layout(
        # The legend sits a row below the top edge: the modebar (box/lasso select) appears there on hover.
        height=400, margin=dict(l=5, r=5, t=62, b=5), plot_bgcolor="white", legend=LEGEND_ABOVE,
        xaxis=dict(title=_("log(in-degree) = entropy of uniform attention (nats)"), range=[-0.05, right],
                   gridcolor="#eee", zeroline=False),
        yaxis=dict(**yaxis, gridcolor="#eee", zeroline=False),
        hovermode="closest", clickmode="event+select",  # no select/lasso dragmode: it swallows clicks
    )  # fmt: skip
    return fig


def entropy_selection(selection: object) -> tuple[list[int], bool]:
    """The node ids selected in `entropy_scatter`, and whether it was a single click (no box or
    lasso); see `gat_viz.selection`."""
    parts = selection_parts(selection)
    nodes = []
    for point in parts["points"]:
        custom = point_custom(point)
        try:
            nodes.append(int(custom[0]))  # type: ignore[index]
        except (TypeError, ValueError, IndexError):
            continue
    click = len(nodes) == 1 and not (parts["box"] or parts["lasso"])
    return list(dict.fromkeys(nodes)), click


def dense_figure(dv: DenseView, which: str) -> go.Figure:
    """The dense view's scores (`which="scores"`) or α (`"alpha"`) as a heatmap over the drawn
    nodes, plus a last column for each row's sources that are not drawn. Masked cells (no edge,
    −∞) are grey and say so; the not-drawn column is blue; a legend above the plot names both."""
    labels = [str(int(n)) for n in dv.nodes]
    not_drawn = _("not drawn")
    columns = [*labels, not_drawn]
    s = len(labels)
    values = dv.scores if which == "scores" else dv.alpha
    nan = np.full((s, s + 1), np.nan)
    edge_z, masked_z, outside_z = nan.copy(), nan.copy(), nan.copy()
    edge_z[:, :s] = np.where(dv.edge, values, np.nan)
    masked_z[:, :s] = np.where(dv.edge, np.nan, 1.0)
    outside_z[:, s] = 1.0
    text = [[fmt(v) if e else ("−∞" if which == "scores" else "0") for v, e in zip(row, er)]
            for row, er in zip(values, dv.edge)]  # fmt: skip
    for r, (m, c) in enumerate(zip(dv.outside, dv.outside_count)):
        if c == 0:
            text[r].append(_("none"))
        else:
            text[r].append(
                _("{count} more").format(count=int(c)) if which == "scores" else f"{fmt(m)} ({int(c)})"
            )
    common = dict(x=columns, y=labels, text=text, texttemplate="%{text}", hoverongaps=False, xgap=1, ygap=1,
                  textfont=dict(size=11, color="#111"))  # fmt: skip
    fig = go.Figure()
    fig.add_trace(go.Heatmap(
        z=edge_z, colorscale=CELLS, colorbar=dict(thickness=10, len=0.8), name=_("edge"),
        hovertemplate=_("target %{y} ← source %{x}: %{text}") + "<extra></extra>", **common,
    ))  # fmt: skip
    fig.add_trace(go.Heatmap(
        z=masked_z, colorscale=[[0, MASKED], [1, MASKED]], showscale=False, name=_("masked"),
        hovertemplate=_("target %{y} ← source %{x}: no edge (masked, −∞)") + "<extra></extra>", **common,
    ))  # fmt: skip
    fig.add_trace(go.Heatmap(
        z=outside_z, colorscale=[[0, OUTSIDE], [1, OUTSIDE]], showscale=False, name=not_drawn,
        hovertemplate=_("target %{y}: sources not drawn: %{text}") + "<extra></extra>", **common,
    ))  # fmt: skip
    box = "<span style='color:{};font-size:17px'>■</span>"
    legend = (
        _("{masked} no edge (masked: −∞, α = 0)   {outside} not drawn: Σα (count)")
        if which == "alpha"
        else _("{masked} no edge (masked: −∞, α = 0)   {outside} not drawn: count")
    ).format(masked=box.format(MASKED_MARK), outside=box.format(OUTSIDE))
    title = _("e_ij (masked −∞ off the edges)") if which == "scores" else _("α_ij: softmax over the full row")
    fig.update_layout(
        title=dict(text=title, font=dict(size=13), x=0.01, y=0.98, yanchor="top"),
        annotations=[dict(text=legend, xref="paper", yref="paper", x=0, y=1.0, yanchor="bottom",
                          xanchor="left", showarrow=False, font=dict(size=11))],
        height=380, margin=dict(l=5, r=5, t=62, b=5), plot_bgcolor="white",
        xaxis=dict(title=_("source j"), type="category", categoryorder="array", categoryarray=columns),
        yaxis=dict(title=_("target i"), type="category", autorange="reversed"),
    )  # fmt: skip
    return fig
