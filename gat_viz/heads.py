"""Every head at once: the centre's 1-hop neighbourhood once per head of a layer, plus their
mean, as small multiples on one shared scale (what BertViz's model view does for a
transformer), and a note on which heads attend alike.

Shapes: H heads, k incoming edges of the centre (self loop excluded), m drawn edges.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from gat_viz import edges
from gat_viz.explore import ModelOutputs, NodeView, node_view
from gat_viz.i18n import _
from gat_viz.numbers import fmt
from gat_viz.plotting import _edge_traces, _range, legend_title, node_categories, node_sizes
from gat_viz.selection import first_custom

PANEL_PX = 250  # height of one small multiple
GRID_NEIGHBOURS = 40  # more spokes than this do not read in a 250 px panel (Cora's hub has 168)


@dataclass(frozen=True)
class HeadSimilarity:
    """Pearson correlation of the heads' α over the centre's incoming edges (self loop included)."""

    corr: np.ndarray  # (H, H); NaN when undefined
    sentence: str


def head_similarity(out: ModelOutputs, centre: int, layer: int) -> HeadSimilarity:
    mask = (out.edge_index[1] == centre).numpy()
    alpha = out.alpha[layer][mask].numpy()  # (k + 1, H)
    heads = alpha.shape[1]
    if heads < 2:
        return HeadSimilarity(np.ones((1, 1)), _("This layer has one head: nothing to compare."))
    if alpha.shape[0] < 3:
        return HeadSimilarity(
            np.full((heads, heads), np.nan),
            _("Node {node} has {count} neighbour(s): too few edges to compare the heads.").format(
                node=centre, count=alpha.shape[0] - 1
            ),
        )
    deg = alpha.shape[0]
    gap = float(np.max(np.abs(alpha * deg - 1)))  # the furthest any head strays from uniform
    if gap < 0.1:
        return HeadSimilarity(
            np.full((heads, heads), np.nan),
            _(
                "Every head spreads node {node}'s attention within ±10% of uniform (furthest: "
                "{gap}%): the heads barely differ here, whatever the widths suggest."
            ).format(node=centre, gap=fmt(gap * 100, 1)),
        )
    std = alpha.std(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(alpha.T)  # (H, H)
    corr[np.ix_(std < 1e-9, std < 1e-9)] = np.nan
    pairs = [
        (corr[a, b], a, b) for a, b in itertools.combinations(range(heads), 2) if np.isfinite(corr[a, b])
    ]
    if not pairs:
        return HeadSimilarity(corr, _("Every head spreads its attention evenly here: nothing to compare."))
    best = max(pairs)
    off = np.where(np.eye(heads, dtype=bool), np.nan, corr)
    mean_corr = np.nanmean(off, axis=1)  # (H,)
    odd = int(np.nanargmin(mean_corr))
    near = [h + 1 for h in range(heads) if np.max(np.abs(alpha[:, h] * deg - 1)) < 0.1]
    sentence = _(
        "Across node {node}'s {edges} incoming edges, heads {a} and {b} attend most alike (correlation "
        "{corr}); head {odd} differs most from the others (mean correlation {mean})."
    ).format(
        node=centre, edges=alpha.shape[0], a=best[1] + 1, b=best[2] + 1, corr=fmt(best[0], 2), odd=odd + 1,
        mean=fmt(mean_corr[odd], 2),
    )  # fmt: skip
    if near:
        listed = ", ".join(map(str, near))
        near_sentence = (
            _("Heads {heads} stay within ±10% of uniform.")
            if len(near) > 1
            else _("Head {heads} stay within ±10% of uniform.")
        )
        sentence += " " + near_sentence.format(heads=listed)
    return HeadSimilarity(corr, sentence)


def head_views(
    out: ModelOutputs, centre: int, layer: int, order_key: np.ndarray | None = None
) -> list[tuple[str, NodeView]]:
    """(label, view) per head, then the mean: the same nodes and layout in every panel. A node
    with more than `GRID_NEIGHBOURS` neighbours shows the ones some head attends to most (the
    largest α over the heads); `nb.dropped_nodes` counts the rest."""
    labels: list[int | str] = [*range(out.heads(layer)), "mean"]
    only = None
    into = (out.edge_index[1] == centre) & (out.edge_index[0] != centre)
    if int(into.sum()) > GRID_NEIGHBOURS:
        strongest = out.alpha[layer][into].max(dim=1).values  # (k,) the largest α over the heads
        top = torch.argsort(strongest, descending=True, stable=True)[:GRID_NEIGHBOURS]
        only = out.edge_index[0][into][top].numpy()
    return [
        (
            str(h + 1) if isinstance(h, int) else h,
            node_view(out, centre, 1, layer, h, order_key=order_key, only=only),
        )
        for h in labels
    ]


def heads_grid_figure(
    views: Sequence[tuple[str, NodeView]],
    out: ModelOutputs,
    y: np.ndarray,
    class_names: Sequence[str],
    splits: Sequence[str],
    colour_by: str = "true class",
    selected: str = "",
    columns: int = 3,
    panel_px: int = 0,
) -> go.Figure:
    """Small multiples on one width scale: a thick edge in head 2 means the same α as in head 5.
    Every marker carries customdata [label, node, hop]: a click on any of a panel's nodes picks
    that head (see `picked_head`). Traces are lean (numpy coordinates, short customdata):
    plotly checks every list element, which made this figure cost 0.6 s for Cora's hub."""
    rows = math.ceil(len(views) / columns)
    panel_px = panel_px or PANEL_PX  # height of one small multiple (smaller on a projector)
    names = [
        _("head {label}").format(label=label) if label != "mean" else _("mean of the heads")
        for label, _v in views
    ]
    titles = [
        _("<b>{panel} (selected)</b>").format(panel=n) if label == selected else n
        for n, (label, _v) in zip(names, views)
    ]
    panel_names = names
    fig = make_subplots(
        rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.06
    )
    all_alpha = np.concatenate([v.edge_alpha for _label, v in views])  # one scale for every panel
    joint = edges.style(all_alpha, all_alpha, np.ones(len(all_alpha), int), False, False)
    # 4 opacity steps, not 16: width already carries the value, and each step is a trace per panel
    steps = edges.levels(all_alpha, 4)
    joint = replace(joint, opacity=edges.OPACITY[0] + (edges.OPACITY[1] - edges.OPACITY[0]) * steps / 3)
    start = 0
    traces: list[go.Scatter] = []
    shown: set[str] = set()  # legend entries given
    names_by_label = {label: n for (label, _v), n in zip(views, panel_names)}
    hover = _("{panel}: click to select it<br>node %{{customdata[1]}}")
    for k, (label, view) in enumerate(views):
        m = len(view.edge_alpha)
        part = slice(start, start + m)
        start += m
        style = replace(
            joint, value=joint.value[part], width=joint.width[part], opacity=joint.opacity[part],
            colour=joint.colour[part],
        )  # fmt: skip
        axis = "" if k == 0 else str(k + 1)
        panel = _edge_traces(view, style, panel_px * 2, small=True)
        nb = view.nb
        category, names, colours = node_categories(nb.nodes, out, y, class_names, colour_by)
        sizes = node_sizes(nb.hop, 1, panel_px * 2)
        for c, name in enumerate(names):
            idx = np.flatnonzero(category == c)
            if len(idx) == 0:
                continue
            panel.append(
                go.Scatter(
                    x=nb.pos[idx, 0],
                    y=nb.pos[idx, 1],
                    mode="markers",
                    name=name,
                    legendgroup=name,
                    showlegend=k == 0 and name not in shown,
                    marker=dict(
                        size=sizes[idx], color=colours[c % len(colours)], line=dict(width=1, color="#222")
                    ),
                    customdata=[[label, int(nb.nodes[i]), int(nb.hop[i])] for i in idx],
                    hovertemplate=hover.format(panel=names_by_label[label]) + "<extra></extra>",
                )
            )
            shown.add(name)
        for trace in panel:  # placed by axis names: add_trace(row=, col=) is ~10× slower
            trace.update(xaxis=f"x{axis}", yaxis=f"y{axis}")
        traces += panel
    fig.add_traces(traces)
    for k, (label, _v) in enumerate(views):
        axis = "" if k == 0 else str(k + 1)
        if label == selected:
            fig.add_shape(
                type="rect", xref=f"x{axis} domain", yref=f"y{axis} domain", x0=0, x1=1, y0=0, y1=1,
                line=dict(color="#333", width=2),
            )  # fmt: skip
        fig.layout[f"xaxis{axis}"].update(visible=False, range=_range(1))
        fig.layout[f"yaxis{axis}"].update(
            visible=False, range=_range(1), scaleanchor=f"x{axis}", scaleratio=1
        )
    fig.update_annotations(font_size=12)
    fig.update_layout(
        height=panel_px * rows + 60,
        margin=dict(l=5, r=5, t=48, b=5),
        plot_bgcolor="white",
        showlegend=True,
        legend=dict(orientation="h", yanchor="top", y=-0.01, x=0, title_text=legend_title(colour_by)),
        title=dict(
            text=_("Edge width: α {lo} … {hi}, one scale for every panel").format(
                lo=fmt(joint.lo), hi=fmt(joint.hi)
            ),
            x=0.01, y=0.998, yanchor="top", font=dict(size=12),
        ),
        clickmode="event+select",
        dragmode=False,
        hovermode="closest",
    )  # fmt: skip
    return fig


def picked_head(selection: object) -> str | None:
    """The head label ("1".., "mean") of a click in the heads grid's selection state."""
    custom = first_custom(selection)
    return None if not custom or custom[0] is None else str(custom[0])
