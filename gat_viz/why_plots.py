"""Pure plotly builders for the "Why?" view and the error finder: data in, `go.Figure` out.

- `waterfall_figure`: each incoming edge's exact share of the logit margin between the
  predicted class and its rival (the true class when wrong, else the runner-up).
- `what_if_figure`: the class probabilities before and after edits, side by side.
- `alpha_effect_figure`: attention α against the exact drop-one effect, per neighbour.
- `confusion_figure`: the confusion matrix as clickable squares (heatmaps take no clicks in
  Streamlit); `picked_cell` reads the click back.

No Streamlit here. Numbers are printed with `fmt`, which never shows "-0.000".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gat_viz.explain import Why
from gat_viz.i18n import _, class_name
from gat_viz.numbers import fmt, pct
from gat_viz.selection import first_custom

CLASS_COLOURS = (
    "#4C78A8",
    "#F58518",
    "#54A24B",
    "#E45756",
    "#72B7B2",
    "#B279A2",
    "#EECA3B",
    "#9D755D",
)  # fmt: skip (the explorer's class colours)
FOR, AGAINST, TOTAL = "#2E7D32", "#C62828", "#4D4D4D"
MAX_BARS = 15  # neighbours drawn one by one in the waterfall; the rest share one bar
HEIGHT = 420


def _layout(fig: go.Figure, title: str, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left"),
        height=height,
        margin=dict(l=10, r=10, t=60, b=10),
        template="plotly_white",
    )
    return fig


def waterfall_figure(w: Why, y: Sequence[int], pred: Sequence[int], max_bars: int = MAX_BARS) -> go.Figure:
    """The margin z_pred − z_rival built up edge by edge, largest |share| first, then the bias.

    `y` and `pred` (N,) are every node's true and predicted class, for the hover text.
    """
    names = [class_name(n) for n in w.class_names]
    margin = w.margin()  # (edges,)
    rows = w.contributions.assign(margin=margin.to_numpy())
    rows = rows.reindex(rows["margin"].abs().sort_values(ascending=False, kind="stable").index)
    shown, rest = rows.iloc[:max_bars], rows.iloc[max_bars:]
    labels: list[str] = []
    values: list[float] = []
    hover: list[str] = []
    details = _(
        "{edge}<br>α = {alpha}<br>true label: {true}<br>its own prediction: {predicted}"
        "<br>share of the margin: {share}"
    )
    for r in shown.itertuples(index=False):
        j = int(r.source)
        own = _("itself (self loop)") if j == w.node else _("node {node}").format(node=j)
        label = _("self {node}").format(node=j) if j == w.node else _("node {node}").format(node=j)
        while label in labels:  # a repeated edge (GATConv keeps duplicates) gets its own bar
            label += "'"
        labels.append(label)
        values.append(float(r.margin))
        hover.append(
            details.format(
                edge=own, alpha=fmt(float(r.alpha)), true=names[int(y[j])], predicted=names[int(pred[j])],
                share=fmt(float(r.margin)),
            )
        )  # fmt: skip
    if len(rest):
        labels.append(_("{count} other neighbours").format(count=len(rest)))
        values.append(float(rest["margin"].sum()))
        hover.append(
            _("{count} smaller shares together: {share}").format(
                count=len(rest), share=fmt(float(rest["margin"].sum()))
            )
        )
    bias = float(w.bias[w.pred] - w.bias[w.rival])
    labels.append(_("bias"))
    values.append(bias)
    hover.append(
        _("layer 2's bias: b[{predicted}] − b[{rival}] = {bias}").format(
            predicted=names[w.pred], rival=names[w.rival], bias=fmt(bias)
        )
    )
    total = float(w.logits[w.pred] - w.logits[w.rival])
    labels.append(_("margin"))
    values.append(total)
    hover.append(f"z[{names[w.pred]}] − z[{names[w.rival]}] = {fmt(total)}")
    fig = go.Figure(
        go.Waterfall(
            orientation="v",
            x=labels,
            y=values,
            measure=["relative"] * (len(values) - 1) + ["total"],
            text=[fmt(v, 2) for v in values],
            textposition="outside",
            hovertext=hover,
            hoverinfo="text",
            increasing=dict(marker=dict(color=FOR)),
            decreasing=dict(marker=dict(color=AGAINST)),
            totals=dict(marker=dict(color=TOTAL)),
            connector=dict(line=dict(color="#BBBBBB", width=1)),
        )
    )
    title = (
        _("Node {node}: margin over the true class, edge by edge")
        if not w.correct
        else _("Node {node}: margin over the runner-up, edge by edge")
    )
    fig.update_yaxes(title_text=f"z[{names[w.pred]}] − z[{names[w.rival]}]")
    fig.update_xaxes(title_text=_("incoming edge, largest share first"), type="category")
    return _layout(fig, title.format(node=w.node))


def what_if_figure(
    original: Sequence[float], scenarios: Mapping[str, Sequence[float]], class_names: Sequence[str]
) -> go.Figure:
    """Grouped horizontal bars: the model's probabilities, then each edited run's."""
    fig = go.Figure()
    series = {_("as trained"): original, **scenarios}
    shown = [class_name(n) for n in class_names]
    for k, (label, probs) in enumerate(series.items()):
        p = np.asarray(probs, dtype=float)
        fig.add_bar(
            y=shown,
            x=p,
            name=label,
            orientation="h",
            text=[pct(v) for v in p],
            textposition="outside",
            marker_color=TOTAL if k == 0 else CLASS_COLOURS[(k - 1) % len(CLASS_COLOURS)],
            hovertemplate="%{y}: %{text}<extra>" + label + "</extra>",
        )
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(title_text=_("probability"), range=[0, 1.15], tickformat=".0%")
    fig.update_yaxes(title_text=_("class"), autorange="reversed")
    return _layout(
        fig, _("Class probabilities: as trained and after each edit"), height=120 + 60 * len(class_names)
    )


def alpha_effect_figure(
    table: pd.DataFrame, predicted: str, class_names: Sequence[str], y: Sequence[int]
) -> go.Figure:
    """Per neighbour: α (layer 2, mean over heads) against the drop-one effect on p(predicted).

    `table` has columns source, alpha, effect (see `explain.drop_one` and `explainers.compare`)."""
    src = table["source"].astype(int).to_numpy()
    template = _("node {node} ({label})<br>α = {alpha}<br>effect = {effect}")
    hover = [
        template.format(node=j, label=class_name(class_names[int(y[j])]), alpha=fmt(a), effect=fmt(e))
        for j, a, e in zip(src, table["alpha"], table["effect"])
    ]
    colours = [CLASS_COLOURS[int(y[j]) % len(CLASS_COLOURS)] for j in src]
    fig = go.Figure(
        go.Scatter(
            x=table["alpha"],
            y=table["effect"],
            mode="markers",
            marker=dict(size=10, color=colours, line=dict(width=1, color="white")),
            hovertext=hover,
            hoverinfo="text",
            customdata=[[int(j)] for j in src],
        )
    )
    fig.add_hline(y=0, line=dict(color="#999999", width=1, dash="dot"))
    fig.update_xaxes(title_text=_("attention α on the edge (layer 2, mean over heads)"))
    fig.update_yaxes(
        title_text=_("fall in p({predicted}) when the edge is removed").format(
            predicted=class_name(predicted)
        )
    )
    return _layout(fig, _("Attention against effect, one point per neighbour (colour: its true class)"))


def confusion_figure(
    matrix: np.ndarray, class_names: Sequence[str], picked: tuple[int, int] | None = None
) -> go.Figure:
    """Rows: true class; columns: predicted class. One clickable square per cell (customdata
    [true, predicted]); wrong cells in red shades, the diagonal in green, `picked` outlined."""
    k = len(class_names)
    class_names = [class_name(n) for n in class_names]  # as shown
    m = np.asarray(matrix)
    xs, ys, text, colours, custom, lines = [], [], [], [], [], []
    wrong_max = max(int(m[~np.eye(k, dtype=bool)].max(initial=0)), 1)
    right_max = max(int(np.diag(m).max(initial=0)), 1)
    for t in range(k):
        for p in range(k):
            count = int(m[t, p])
            xs.append(class_names[p])
            ys.append(class_names[t])
            text.append(str(count))
            strength = count / (right_max if t == p else wrong_max)
            base = (46, 125, 50) if t == p else (198, 40, 40)
            mix = [int(255 + (c - 255) * (0.12 + 0.88 * strength)) if count else 255 for c in base]
            colours.append(f"rgb({mix[0]},{mix[1]},{mix[2]})")
            custom.append([t, p])
            lines.append(3 if picked == (t, p) else 0.5)
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers+text",
            text=text,
            textfont=dict(color="black"),
            marker=dict(symbol="square", size=36, color=colours, line=dict(color="#222222", width=lines)),
            customdata=custom,
            hovertemplate=_("true %{y}, predicted %{x}: %{text} nodes") + "<extra></extra>",
        )
    )
    fig.update_xaxes(
        title_text=_("predicted class"),
        tickvals=list(class_names),
        ticktext=short_names(class_names),
        type="category",
        categoryorder="array",
        categoryarray=list(class_names),
    )
    fig.update_yaxes(
        title_text=_("true class"),
        type="category",
        categoryorder="array",
        categoryarray=list(class_names),
        autorange="reversed",
    )
    fig.update_layout(showlegend=False)
    return _layout(fig, _("Test split: true against predicted class"), height=160 + 46 * k)


def short_names(class_names: Sequence[str], width: int = 6) -> list[str]:
    """Column labels that fit a narrow matrix: the first 4 letters when a name is long and the
    short forms stay distinct ("Neural_Networks" -> "Neur"), else the names themselves."""
    short = [n if len(n) <= width else n[:4] for n in class_names]
    return short if len(set(short)) == len(short) else list(class_names)


def picked_cell(selection: object) -> tuple[int, int] | None:
    """(true, predicted) from a Streamlit chart selection on `confusion_figure`, or None."""
    custom = first_custom(selection)
    if not custom or len(custom) < 2 or custom[0] is None or custom[1] is None:
        return None
    return int(custom[0]), int(custom[1])
