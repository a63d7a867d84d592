"""Pure plotly builders: data in, `go.Figure` out. No Streamlit here, so they are unit-tested.

The neighbourhood figure draws each edge j → i (the direction messages flow) as an arrow whose
width and opacity rise with its attention, scaled to the values in the view (`edges.py` holds
the encoding); nodes are one trace per colour category so the legend names the classes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go

from gat_viz import edges
from gat_viz.edges import EdgeStyle
from gat_viz.explore import Inspection, ModelOutputs, NodeView
from gat_viz.i18n import N_, _, class_name
from gat_viz.numbers import fmt
from gat_viz.selection import first_custom

CLASS_COLOURS = (
    "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#EECA3B", "#9D755D",
)  # fmt: skip
CORRECT, WRONG = "#2E7D32", "#C62828"
ABOVE, BELOW, NEUTRAL = "#D95F02", "#1B6FA8", "#4D4D4D"  # for line charts (not edges: see edges.py)
COLOUR_BY = ("true class", "predicted class", "correct / wrong")  # option values (the UI labels them)
LEGEND_TITLES = {
    "true class": N_("True class"), "predicted class": N_("Predicted class"),
    "correct / wrong": N_("Correct / wrong"),
}  # fmt: skip
SPLIT_LABELS = {"train": N_("train"), "val": N_("val"), "test": N_("test"), "unlabelled": N_("unlabelled")}
NODE_SIZE = {0: 26, 1: 15, 2: 10}
HEIGHT = 500  # px: with the header, fits a 1280×720 projector without scrolling


def neighbourhood_figure(
    view: NodeView,
    out: ModelOutputs,
    y: np.ndarray,
    class_names: Sequence[str],
    splits: Sequence[str],
    colour_by: str = "true class",
    relative: bool = False,
    title: str = "",
    height: int = HEIGHT,
) -> go.Figure:
    """The centre node's neighbourhood: rings by hop, edges scaled by attention (see `edges`)."""
    nb = view.nb
    fig = go.Figure()
    style = edge_style(view, relative)
    for trace in _edge_traces(view, style, height):
        fig.add_trace(trace)
    for trace in _node_traces(view, out, y, class_names, splits, colour_by, height):
        fig.add_trace(trace)
    for trace in _edge_legend(view, style, relative):  # last: node traces keep their indices
        fig.add_trace(trace)
    top = (_legend_px(relative) if len(style.value) else 0) + (24 if title else 6)
    fig.update_layout(
        title=dict(text=title, x=0.01, y=0.99, yanchor="top", font=dict(size=14)),
        showlegend=True,
        legend=dict(
            orientation="h", yanchor="top", y=-0.01, x=0, title_text=legend_title(colour_by), font_size=11
        ),
        legend2=dict(
            orientation="h", yanchor="bottom", y=1.0, x=0.0, xanchor="left",
            bgcolor="rgba(255,255,255,0.8)", font=dict(size=11), title_text=_("Edges"),
        ),
        xaxis=dict(visible=False, range=_range(nb.hops)),
        yaxis=dict(visible=False, range=_range(nb.hops), scaleanchor="x", scaleratio=1),
        # the edge legend above the drawing: two rows, three with "α × uniform" (its colour rows)
        margin=dict(l=5, r=5, t=top, b=5),
        height=height,
        plot_bgcolor="white",
        hovermode="closest",
        clickmode="event+select",
        dragmode="pan",
    )  # fmt: skip
    return fig


def legend_title(colour_by: str) -> str:
    """The node legend's title for a `COLOUR_BY` value, in the current language."""
    return _(LEGEND_TITLES[colour_by]) if colour_by in LEGEND_TITLES else colour_by.capitalize()


def _legend_px(relative: bool) -> int:
    return 60 if relative else 40


def node_sizes(hop: np.ndarray, hops: int, height: int = HEIGHT) -> np.ndarray:
    """Marker diameters in px: the default per hop, smaller on a crowded ring so that
    neighbours do not overlap (a ring of radius r spans 2πr · px-per-unit px)."""
    px_per_unit = _px_per_unit(hops, height)
    sizes = np.array([NODE_SIZE[int(h)] for h in hop], dtype=float)
    for ring in (1, 2):
        count = int((hop == ring).sum())
        if count:
            fit = 0.8 * 2 * math.pi * ring * px_per_unit / count
            sizes[hop == ring] = np.clip(fit, 5.0, NODE_SIZE[ring])
    return sizes


def _px_per_unit(hops: int, height: int) -> float:
    """About how many px one layout unit takes: the plot is square (scaleanchor), sized by the
    figure's height less the legend below it."""
    return (height - 130) / (2 * (hops + 0.35))


def _range(hops: int) -> list[float]:
    r = hops + 0.35
    return [-r, r]


STAR = 40  # more edges than this into one node: their widths shrink to `STAR_PX`
STAR_PX = (0.5, 3.0)
EDGE_HOVER_PX = 9  # the invisible marker at the middle of each edge that names it on hover


def edge_style(view: NodeView, relative: bool) -> EdgeStyle:
    """`edges.style`, with one exception for legibility: the edges into a node that receives more
    than `STAR` drawn edges (Cora's hub: 168) span `STAR_PX` instead of the full width range, so
    that the star stays a star and not a dark disc; still strictly increasing with the value."""
    style = edges.style(
        view.edge_alpha, view.edge_relative, view.edge_layer, relative, len(view.layers_drawn) > 1
    )
    nb = view.nb
    counts = np.bincount(nb.dst, minlength=len(nb.nodes)) if len(nb.dst) else np.zeros(0, int)
    crowded = np.isin(nb.dst, np.flatnonzero(counts > STAR)) & (view.edge_layer == view.edge_layer.max())
    if crowded.any():
        w = style.width.copy()
        lo, hi = edges.WIDTH_PX
        w[crowded] = STAR_PX[0] + (STAR_PX[1] - STAR_PX[0]) * (w[crowded] - lo) / (hi - lo)
        style = replace(style, width=w)
    return style


def _edge_traces(view: NodeView, style: EdgeStyle, height: int, small: bool = False) -> list[go.Scatter]:
    """One filled trace per (colour, opacity step), each edge an exact-width polygon; then one
    invisible marker per edge at its middle that names it on hover (not in small multiples)."""
    nb = view.nb
    if len(nb.edge_ids) == 0:
        return []
    unit = 1.0 / _px_per_unit(nb.hops, height)  # data units per px
    sizes = node_sizes(nb.hop, nb.hops, height)  # (n,) px, as drawn
    radius = sizes / 2 * unit + 1.5 * unit  # (n,)
    two = len(view.layers_drawn) > 1
    # layer-1 edges run beside the layer-2 edge of the same pair, 6 px to their right
    offset = np.where(two & (view.edge_layer == 0), 6.0 * unit, 0.0)  # (m,)
    p0, p1 = nb.pos[nb.src], nb.pos[nb.dst]  # (m, 2)
    # layer 1 first, layer 2 painted over it; weaker edges under stronger ones
    keys = [
        (int(la), c, round(float(o), 3)) for la, c, o in zip(view.edge_layer, style.colour, style.opacity)
    ]
    traces = []
    for layer, colour, opacity in sorted(set(keys), key=lambda k: (k[0], k[2])):
        pick = np.array([k == (layer, colour, opacity) for k in keys])
        xs, ys = edges.arrow_polygons(
            p0[pick], p1[pick], style.width[pick], unit, radius[nb.src[pick]], radius[nb.dst[pick]],
            offset[pick], heads=not small,
        )  # fmt: skip
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=colour,
                opacity=opacity,
                line=dict(width=0, color=colour),
                hoverinfo="skip",
                showlegend=False,
            )
        )
    if small:
        return traces
    mid = (p0 + p1) / 2  # (m, 2)
    # An edge's hover marker lying on a node takes the node's clicks: plotly picked the middle of
    # 1738 → 1358, 3.7 px from node 1073's centre, over the node itself (Cora, node 985's view),
    # and the click centred nothing. So an edge whose middle lies on a drawn node (its disc, 1.3×
    # for presenter mode, plus this marker's radius and 1 px) gets no hover marker; its α is in the
    # inspector's table and the CSV.
    reach = sizes / 2 * 1.3 + EDGE_HOVER_PX / 2 + 1  # (n,) px
    gap = np.linalg.norm(mid[:, None, :] - nb.pos[None, :, :], axis=-1) / unit  # (m, n) px
    free = (gap > reach).all(axis=1)  # (m,)
    template = _("node {source} → node {target}<br>layer {layer}: α {alpha} ({relative}× uniform)")
    text = [
        template.format(
            source=int(nb.nodes[s]),
            target=int(nb.nodes[t]),
            layer=int(layer) + 1,
            alpha=fmt(a),
            relative=fmt(r, 2),
        )
        for s, t, layer, a, r, keep in zip(
            nb.src, nb.dst, view.edge_layer, view.edge_alpha, view.edge_relative, free
        )
        if keep
    ]
    traces.append(
        go.Scatter(
            x=mid[free, 0].tolist(),
            y=mid[free, 1].tolist(),
            mode="markers",
            marker=dict(size=EDGE_HOVER_PX, opacity=0),
            text=text,
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    return traces


def _edge_legend(view: NodeView, style: EdgeStyle, relative: bool) -> list[go.Scatter]:
    """Legend entries (legend2): the thinnest and thickest edge with their values (per layer when
    the layers are scaled apart), and in relative mode the colours' meaning."""
    if len(view.edge_alpha) == 0:
        return []
    dark, light = "rgb(34,34,34)", "rgb(150,150,150)"
    thin, thick = edges.WIDTH_PX

    def value(v: float) -> str:  # a quantity, shown inside the labels below
        return _("{value}× uniform").format(value=fmt(v, 2)) if relative else f"α {fmt(v)}"

    entries: list[tuple[str, float, str]] = []
    if style.ranges:
        for k, colour, name in (
            (1, dark, N_("layer 2 into the centre: {value}")),
            (0, light, N_("layer 1 into its neighbours: {value}")),
        ):
            if k in style.ranges:
                lo, hi = style.ranges[k]
                here = style.width[view.edge_layer == k]
                thin, thick = float(here.min()), float(here.max())
                entries += [
                    (_(name).format(value=value(lo)), thin, colour),
                    (f"… {value(hi)}", thick, colour),
                ]
    else:
        thin, thick = float(style.width.min()), float(style.width.max())
        entries += [
            (_("{value} (thinnest)").format(value=value(style.lo)), thin, dark),
            (_("{value} (thickest)").format(value=value(style.hi)), thick, dark),
        ]
    if relative:
        entries += [
            (_("above uniform (> {band:g}×)").format(band=edges.NEUTRAL_BAND), 5.0, "rgb(194,24,91)"),
            (_("within ±{pct}%").format(pct=round((edges.NEUTRAL_BAND - 1) * 100)), 5.0, "rgb(150,150,150)"),
            (_("below (< {band:.2f}×)").format(band=1 / edges.NEUTRAL_BAND), 5.0, "rgb(40,53,147)"),
        ]
    return [
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            name=name,
            line=dict(width=w, color=c),
            legend="legend2",
            hoverinfo="skip",
        )
        for name, w, c in entries
    ]


def node_categories(
    ids: np.ndarray, out: ModelOutputs, y: np.ndarray, class_names: Sequence[str], colour_by: str
) -> tuple[np.ndarray, list[str], Sequence[str]]:
    """(category per node, category names as shown, their colours) for `colour_by`."""
    pred = out.pred.numpy()
    if colour_by == "predicted class":
        return pred[ids], [class_name(n) for n in class_names], CLASS_COLOURS
    if colour_by == "correct / wrong":
        return (pred[ids] != y[ids]).astype(int), [_("correct"), _("wrong")], (CORRECT, WRONG)
    return y[ids], [class_name(n) for n in class_names], CLASS_COLOURS


def _node_traces(view, out, y, class_names, splits, colour_by, height=None) -> list[go.Scatter]:
    nb = view.nb
    pred = out.pred.numpy()
    conf = out.probs.max(dim=1).values.numpy()
    ids = nb.nodes
    category, names, colours = node_categories(ids, out, y, class_names, colour_by)
    sizes = node_sizes(nb.hop, nb.hops, height or HEIGHT)
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
                    class_name(class_names[int(y[node])]),
                    class_name(class_names[int(pred[node])]),
                    f"{conf[node]:.0%}",
                    _(SPLIT_LABELS.get(splits[node], splits[node])),
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
                hovertemplate=_(
                    "<b>node %{customdata[0]}</b> (hop %{customdata[7]}, %{customdata[4]})<br>"
                    "true: %{customdata[1]}<br>predicted: %{customdata[2]} (%{customdata[3]})<br>"
                    "α into the centre: %{customdata[5]}<br>self-loop α: %{customdata[6]}"
                )
                + "<extra></extra>",
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
            y=[class_name(n) for n in class_names],
            orientation="h",
            marker=dict(
                color=colours,
                line=dict(width=[3 if n == insp.true_label else 0 for n in class_names], color="#111"),
            ),
            text=[f"{p:.0%}" if p >= 0.005 else "" for p in insp.probs],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        height=40 + 26 * len(class_names),
        margin=dict(l=5, r=5, t=5, b=5),
        xaxis=dict(range=[0, 1.12], tickformat=".0%", tickvals=[0, 0.5, 1]),
        yaxis=dict(autorange="reversed"),
        plot_bgcolor="white",
    )
    return fig


def picked_node(selection: object) -> int | None:
    """The node id of a click in the neighbourhood chart's selection state, or None (customdata
    starts with the node id; see `gat_viz.selection`)."""
    custom = first_custom(selection)
    try:
        return int(custom[0]) if custom else None
    except (TypeError, ValueError):
        return None
