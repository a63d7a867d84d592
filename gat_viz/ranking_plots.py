"""Pure plotly builder for the "static vs dynamic attention" view: a `RankView` in, `go.Figure` out.

One row per target (the selected node first, then its in-neighbours), one column per source, sorted
by the source's own term of the score (a_srcᵀWh_j for GAT, aᵀW_l h_j for GATv2), highest first. A
cell is the rank the row's target gives that source among all its incoming edges (1 = highest e_ij);
blank where the source does not point to the target. Under GAT with a slope > 0 every row's ranks rise
from left to right: one order for every target. No Streamlit here.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from gat_viz.i18n import _
from gat_viz.ranking import RankView


def rank_figure(view: RankView, title: str, height: int = 380) -> go.Figure:
    ranks = view.ranks
    text = np.where(np.isnan(ranks), "", np.nan_to_num(ranks).astype(int).astype(str))
    # Colour by the rank within the row's drawn cells, so that rows of different in-degree compare.
    order = np.full_like(ranks, np.nan)
    for r, row in enumerate(ranks):
        ok = ~np.isnan(row)
        if ok.sum() > 1:
            order[r, ok] = (np.argsort(np.argsort(row[ok], kind="stable"), kind="stable")) / (ok.sum() - 1)
        elif ok.any():
            order[r, ok] = 0.0
    labels_x = [f"j={j}" for j in view.sources]
    labels_y = [_("i={i} (node)").format(i=i) if k == 0 else f"i={i}" for k, i in enumerate(view.targets)]
    fig = go.Figure(
        go.Heatmap(
            z=order, x=labels_x, y=labels_y, text=text, texttemplate="%{text}", colorscale="Viridis",
            reversescale=True, showscale=False, xgap=1, ygap=1,
            customdata=np.where(np.isnan(view.scores), np.nan, view.scores),
            hovertemplate=_("target %{y}, source %{x}<br>rank %{text}<br>e_ij %{customdata:.3f}")
            + "<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        title={"text": title, "font": {"size": 14}}, height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": _("sources j, by their own term (highest left)"), "tickangle": -60, "side": "bottom"},
        yaxis={"autorange": "reversed", "title": _("targets i")},
    )  # fmt: skip
    return fig
