"""Pure plotly builders: data in, `go.Figure` out. No Streamlit here, so they are unit-tested.

The neighbourhood figure draws each edge j → i (the direction messages flow) with width and
opacity scaled by its attention, and an arrowhead at the target. Edges are grouped into a few
traces by width (a trace per edge is ~3× slower to draw); nodes are one trace per colour
category so the legend names the classes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from gat_viz.explore import Inspection, ModelOutputs, NodeView

CLASS_COLOURS = (
    "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#EECA3B", "#9D755D",
)  # fmt: skip
CORRECT, WRONG = "#2E7D32", "#C62828"
ABOVE, BELOW, NEUTRAL = "#D95F02", "#1B6FA8", "#4D4D4D"
COLOUR_BY = ("true class", "predicted class", "correct / wrong")
BINS = 6
NODE_SIZE = {0: 24, 1: 14, 2: 10}
PLOT_PX = 640  # about the drawing's width on screen, to size markers on crowded rings


def neighbourhood_figure(
    view: NodeView,
    out: ModelOutputs,
    y: np.ndarray,
    class_names: Sequence[str],
    splits: Sequence[str],
    colour_by: str = "true class",
    relative: bool = False,
    title: str = "",
) -> go.Figure:
    """The centre node's neighbourhood: rings by hop, edges scaled by attention."""
    nb = view.nb
    fig = go.Figure()
    for trace in _edge_traces(view, relative):
        fig.add_trace(trace)
    for trace in _node_traces(view, out, y, class_names, splits, colour_by):
        fig.add_trace(trace)
    fig.update_layout(
        title=dict(text=title, x=0.01, font=dict(size=15)),
        showlegend=True,
        legend=dict(orientation="h", yanchor="top", y=-0.02, x=0, title_text=colour_by.capitalize()),
        xaxis=dict(visible=False, range=_range(nb.hops)),
        yaxis=dict(visible=False, range=_range(nb.hops), scaleanchor="x", scaleratio=1),
        margin=dict(l=5, r=5, t=40 if title else 10, b=5),
        height=680,
        plot_bgcolor="white",
        hovermode="closest",
        clickmode="event+select",
        dragmode="pan",
    )
    return fig


def node_sizes(hop: np.ndarray, hops: int) -> np.ndarray:
    """Marker diameters in px: the default per hop, smaller on a crowded ring so that
    neighbours do not overlap (a ring of radius r spans 2πr · PLOT_PX / axis width px)."""
    px_per_unit = PLOT_PX / (2 * (hops + 0.35))
    sizes = np.array([NODE_SIZE[int(h)] for h in hop], dtype=float)
    for ring in (1, 2):
        count = int((hop == ring).sum())
        if count:
            fit = 0.8 * 2 * math.pi * ring * px_per_unit / count
            sizes[hop == ring] = np.clip(fit, 5.0, NODE_SIZE[ring])
    return sizes


def _range(hops: int) -> list[float]:
    r = hops + 0.35
    return [-r, r]


def _edge_traces(view: NodeView, relative: bool) -> list[go.Scatter]:
    nb = view.nb
    if len(nb.edge_ids) == 0:
        return []
    if relative:
        strength = np.clip(view.edge_relative / 3.0, 0.0, 1.0)  # 3× uniform or more: full width
    else:
        strength = np.clip(view.edge_alpha, 0.0, 1.0)
    bins = np.minimum((strength * BINS).astype(int), BINS - 1)
    traces = []
    groups = [(b, None) for b in range(BINS)]
    if relative:  # colour says above / below uniform, width says how much
        above = view.edge_relative >= 1.0
        groups = [(b, a) for b in range(BINS) for a in (True, False)]
    for b, side in groups:
        pick = bins == b if side is None else (bins == b) & (above == side)
        idx = np.flatnonzero(pick)
        if len(idx) == 0:
            continue
        xs, ys, sizes = [], [], []
        for e in idx:
            s, t = nb.src[e], nb.dst[e]
            (x0, y0), (x1, y1) = nb.pos[s], nb.pos[t]
            dx, dy = x1 - x0, y1 - y0
            length = math.hypot(dx, dy) or 1.0
            gap = 0.1 if t == 0 else 0.055  # stop at the target marker's rim
            tx, ty = x1 - dx / length * gap, y1 - dy / length * gap
            xs += [x0, tx, None]
            ys += [y0, ty, None]
            sizes += [0, 10 + 2 * b, 0]
        level = (b + 0.5) / BINS
        colour = NEUTRAL if side is None else (ABOVE if side else BELOW)
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                line=dict(width=0.5 + 6.5 * level, color=colour),
                marker=dict(symbol="arrow", angleref="previous", size=sizes, color=colour),
                opacity=0.35 + 0.65 * level,
                hoverinfo="skip",
                showlegend=False,
            )
        )
    return traces


def _node_traces(view, out, y, class_names, splits, colour_by) -> list[go.Scatter]:
    nb = view.nb
    pred = out.pred.numpy()
    conf = out.probs.max(dim=1).values.numpy()
    ids = nb.nodes
    if colour_by == "predicted class":
        category = pred[ids]
        names, colours = list(class_names), CLASS_COLOURS
    elif colour_by == "correct / wrong":
        category = (pred[ids] != y[ids]).astype(int)
        names, colours = ["correct", "wrong"], (CORRECT, WRONG)
    else:
        category = y[ids]
        names, colours = list(class_names), CLASS_COLOURS
    sizes = node_sizes(nb.hop, nb.hops)
    traces = []
    for c, name in enumerate(names):
        idx = np.flatnonzero(category == c)
        if len(idx) == 0:
            continue
        custom = []
        for k in idx:
            node = int(ids[k])
            toward = view.toward_centre[k]
            toward_text = "—" if math.isnan(toward) else f"{toward:.3f}"
            custom.append(
                [
                    node,
                    class_names[int(y[node])],
                    class_names[int(pred[node])],
                    f"{conf[node]:.0%}",
                    splits[node],
                    toward_text,
                    f"{view.self_alpha[k]:.3f}",
                    int(nb.hop[k]),
                ]
            )
        traces.append(
            go.Scatter(
                x=nb.pos[idx, 0].tolist(),
                y=nb.pos[idx, 1].tolist(),
                mode="markers",
                name=name,
                marker=dict(
                    size=sizes[idx].tolist(),
                    color=colours[c % len(colours)],
                    line=dict(
                        width=[1 + 5 * float(np.nan_to_num(view.self_alpha[k])) for k in idx], color="#222"
                    ),
                ),
                customdata=custom,
                hovertemplate=(
                    "<b>node %{customdata[0]}</b> (hop %{customdata[7]}, %{customdata[4]})<br>"
                    "true: %{customdata[1]}<br>predicted: %{customdata[2]} (%{customdata[3]})<br>"
                    "α into the centre: %{customdata[5]}<br>self-loop α: %{customdata[6]}"
                    "<extra></extra>"
                ),
            )
        )
    return traces


def probability_figure(insp: Inspection, class_names: Sequence[str]) -> go.Figure:
    """Bar chart of the class probabilities; the true class outlined, the prediction coloured."""
    colours = [
        (CORRECT if insp.correct else WRONG) if n == insp.predicted else "#B0B0B0" for n in class_names
    ]
    fig = go.Figure(
        go.Bar(
            x=list(insp.probs),
            y=list(class_names),
            orientation="h",
            marker=dict(
                color=colours,
                line=dict(width=[3 if n == insp.true_label else 0 for n in class_names], color="#111"),
            ),
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        height=40 + 26 * len(class_names),
        margin=dict(l=5, r=5, t=5, b=5),
        xaxis=dict(range=[0, 1], tickformat=".0%"),
        yaxis=dict(autorange="reversed"),
        plot_bgcolor="white",
    )
    return fig


def picked_node(selection: object) -> int | None:
    """The node id of a click in the neighbourhood chart's selection state, or None.

    Streamlit gives `{"selection": {"points": [{"customdata": [id, ...], ...}]}}`; customdata
    can come back as a list or, for numpy input, a dict {"0": id, ...}.
    """
    try:
        points = selection["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        points = getattr(getattr(selection, "selection", None), "points", None)
    if not points:
        return None
    custom = points[0].get("customdata") if isinstance(points[0], dict) else None
    if isinstance(custom, dict):
        custom = [custom.get("0")]
    if not custom:
        return None
    try:
        return int(custom[0])
    except (TypeError, ValueError):
        return None
