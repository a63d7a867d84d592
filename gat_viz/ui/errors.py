"""The error finder: the test split's misclassified nodes, a confusion matrix that filters
them, and what learned attention changes relative to uniform attention.

Layout only: the numbers come from `gat_viz.explain` (memoised per model through
`Loaded.cached`), the chart from `gat_viz.why_plots`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from gat_viz import explain
from gat_viz.data import Graph as Data
from gat_viz.i18n import N_, _, class_name
from gat_viz.ui.jobs import Loaded
from gat_viz.ui.state import first_answer
from gat_viz.why_plots import confusion_figure, picked_cell

CELL = "errors-cell"  # session key: the (true, predicted) cell that filters the table
VERSION = "errors-version"  # counts changes of the filter: the widgets' keys never recur (state.first_answer)

# The table's column headers as shown (translated where shown; the keys of `column_config` too).
NODE, TRUE, PREDICTED = N_("node"), N_("true class"), N_("predicted")
CONFIDENCE, MARGIN, IN_DEGREE = N_("confidence"), N_("margin"), N_("in-degree")
SAME_LABEL = N_("neighbours with the true label")
ONE_EDGE, UNIFORM = N_("one edge flips it"), N_("uniform attention flips it")


def headline(fixed: int, broken: int, total: int) -> str:
    return _(
        "Compared with uniform attention, learned attention fixes {fixed:,} and breaks {broken:,} "
        "of the {total:,} test predictions."
    ).format(fixed=fixed, broken=broken, total=total)


def summary(table: pd.DataFrame, total: int) -> str:
    wrong = len(table)
    one_edge = int((table["fix_edge"] >= 0).sum())
    uniform = int(table["uniform_fixes"].sum())
    first = _("The model gets {wrong:,} of the {total:,} test nodes wrong ({right:.1%} right).").format(
        wrong=wrong, total=total, right=(total - wrong) / max(total, 1)
    )
    second = _(
        "For {one_edge:,} of them, removing one neighbour's edges makes the prediction right; "
        "uniform attention makes {uniform:,} of them right."
    ).format(one_edge=one_edge, uniform=uniform)
    return f"{first} {second}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The columns the user sees, in words."""
    return pd.DataFrame(
        {
            _(NODE): table["node"],
            _(TRUE): [class_name(n) for n in table["true"]],
            _(PREDICTED): [class_name(n) for n in table["predicted"]],
            _(CONFIDENCE): 100 * table["confidence"],
            _(MARGIN): table["margin"],
            _(IN_DEGREE): table["in_degree"],
            _(SAME_LABEL): 100 * table["same_label_share"],
            _(ONE_EDGE): [
                _("without node {node}").format(node=j) if j >= 0 else "" for j in table["fix_edge"]
            ],
            _(UNIFORM): table["uniform_fixes"],
        }
    )


def view(data: Data, loaded: Loaded, on_pick: Callable[[int], None]) -> None:
    """`on_pick(node)` centres a node (called from the table's selection callback)."""
    model = loaded.result.model
    names = list(data.class_names)
    total = int(data.test_mask.sum())
    fixed, broken = loaded.cached(("attention_effect", "test"), lambda: explain.attention_effect(model, data))
    table = loaded.cached(("error_table", "test"), lambda: explain.error_table(model, data))
    st.markdown(f"**{headline(fixed, broken, total)}**")
    st.caption(summary(table, total))

    test = data.test_mask.nonzero().view(-1)
    matrix = loaded.cached(
        ("confusion", "test"),
        lambda: explain.confusion(data.y[test], loaded.outputs.pred[test], len(names)),
    )
    cell = st.session_state.get(CELL)
    version = st.session_state.get(VERSION, 0)
    # stacked, not side by side: at 1280 px a side column squeezed the 7×7 squares onto each
    # other, and a click landed on the neighbouring cell (seen in review)
    left, right = st.container(), st.container()
    with left:
        r = loaded.result
        chart = f"errors-confusion-{data.name}-{r.config.key()}-{r.seed}-{cell}-{version}"
        st.plotly_chart(
            confusion_figure(matrix, [class_name(n) for n in names], picked=cell),
            key=chart,
            on_select=functools.partial(_on_cell, chart),
            selection_mode="points",
            config={"displaylogo": False},
        )
        if cell is not None:
            st.button(
                _("Show every misclassified node"), on_click=_clear_cell, icon=":material/filter_alt_off:"
            )
    with right:
        shown = table
        if cell is not None:
            t, p = cell
            shown = table[(table["true"] == names[t]) & (table["predicted"] == names[p])]
            true, predicted = class_name(names[t]), class_name(names[p])
            if t == p:
                st.caption(
                    _(
                        "True {true}, predicted {predicted}: {count} correct predictions, so no row here."
                    ).format(true=true, predicted=predicted, count=int(matrix[t, p]))
                )
            else:
                st.caption(
                    _("True {true}, predicted {predicted}: {count} nodes.").format(
                        true=true, predicted=predicted, count=len(shown)
                    )
                )
        shown = shown.reset_index(drop=True)
        key = f"errors-table-{cell}-{version}"
        st.dataframe(
            display_table(shown),
            key=key,
            hide_index=True,
            on_select=functools.partial(_on_row, key, tuple(int(n) for n in shown["node"]), on_pick),
            selection_mode="single-row",
            column_config={
                _(CONFIDENCE): st.column_config.NumberColumn(format="%.0f%%", help=_("p(predicted class)")),
                _(MARGIN): st.column_config.NumberColumn(
                    format="%.3f", help=_("p(predicted class) − p(true class)")
                ),
                _(IN_DEGREE): st.column_config.NumberColumn(help=_("incoming edges, self loop included")),
                _(SAME_LABEL): st.column_config.NumberColumn(
                    format="%.0f%%",
                    help=_("share of the node's neighbours (self excluded) with its true label"),
                ),
                _(ONE_EDGE): st.column_config.TextColumn(
                    help=_(
                        "The neighbour whose removal alone makes the prediction right (the one "
                        "that gives the true class the highest probability)."
                    )
                ),
                _(UNIFORM): st.column_config.CheckboxColumn(
                    help=_("With α = 1/in-degree in both layers the prediction is right.")
                ),
            },
        )
        st.caption(_("Tick a row's box (left edge) to centre that node; click a column header to sort."))


def _on_cell(chart: str) -> None:
    cell = picked_cell(st.session_state.get(chart))
    if cell is not None and first_answer(st.session_state, chart):
        _set_cell(cell)


def _clear_cell() -> None:
    _set_cell(None)


def _set_cell(cell: tuple[int, int] | None) -> None:
    st.session_state[CELL] = cell
    st.session_state[VERSION] = st.session_state.get(VERSION, 0) + 1


def _on_row(key: str, nodes: tuple[int, ...], on_pick: Callable[[int], None]) -> None:
    rows = _selected_rows(st.session_state.get(key))
    if rows and 0 <= rows[0] < len(nodes) and first_answer(st.session_state, key):
        on_pick(nodes[rows[0]])


def _selected_rows(event: object) -> list[int]:
    """Row positions from a dataframe selection event (an attribute object or a dict)."""
    selection = getattr(event, "selection", None)
    if selection is None and isinstance(event, dict):
        selection = event.get("selection")
    rows = getattr(selection, "rows", None)
    if rows is None and isinstance(selection, dict):
        rows = selection.get("rows")
    return [int(r) for r in np.atleast_1d(rows or [])]
