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
from torch_geometric.data import Data

from gat_viz import explain
from gat_viz.ui.jobs import Loaded
from gat_viz.why_plots import confusion_figure, picked_cell

CELL = "errors-cell"  # session key: the (true, predicted) cell that filters the table


def headline(fixed: int, broken: int, total: int) -> str:
    return (
        f"Compared with uniform attention, learned attention fixes {fixed:,} and breaks {broken:,} "
        f"of the {total:,} test predictions."
    )


def summary(table: pd.DataFrame, total: int) -> str:
    wrong = len(table)
    one_edge = int((table["fix_edge"] >= 0).sum())
    uniform = int(table["uniform_fixes"].sum())
    return (
        f"The model gets {wrong:,} of the {total:,} test nodes wrong ({(total - wrong) / max(total, 1):.1%} "
        f"right). For {one_edge:,} of them, removing one neighbour's edges makes the prediction right; "
        f"uniform attention makes {uniform:,} of them right."
    )


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The columns the user sees, in words."""
    return pd.DataFrame(
        {
            "node": table["node"],
            "true class": table["true"],
            "predicted": table["predicted"],
            "confidence": 100 * table["confidence"],
            "margin": table["margin"],
            "in-degree": table["in_degree"],
            "neighbours with the true label": 100 * table["same_label_share"],
            "one edge flips it": [f"without node {j}" if j >= 0 else "" for j in table["fix_edge"]],
            "uniform attention flips it": table["uniform_fixes"],
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
    # stacked, not side by side: at 1280 px a side column squeezed the 7×7 squares onto each
    # other, and a click landed on the neighbouring cell (seen in review)
    left, right = st.container(), st.container()
    with left:
        r = loaded.result
        chart = f"errors-confusion-{data.name}-{r.config.key()}-{r.seed}-{cell}"
        st.plotly_chart(
            confusion_figure(matrix, names, picked=cell),
            key=chart,
            on_select=functools.partial(_on_cell, chart),
            selection_mode="points",
            config={"displaylogo": False},
        )
        if cell is not None:
            st.button("Show every misclassified node", on_click=_clear_cell, icon=":material/filter_alt_off:")
    with right:
        shown = table
        if cell is not None:
            t, p = cell
            shown = table[(table["true"] == names[t]) & (table["predicted"] == names[p])]
            if t == p:
                st.caption(
                    f"True {names[t]}, predicted {names[p]}: {int(matrix[t, p])} correct predictions, "
                    "so no row here."
                )
            else:
                st.caption(f"True {names[t]}, predicted {names[p]}: {len(shown)} nodes.")
        shown = shown.reset_index(drop=True)
        key = f"errors-table-{cell}"
        st.dataframe(
            display_table(shown),
            key=key,
            hide_index=True,
            on_select=functools.partial(_on_row, key, tuple(int(n) for n in shown["node"]), on_pick),
            selection_mode="single-row",
            column_config={
                "confidence": st.column_config.NumberColumn(format="%.0f%%", help="p(predicted class)"),
                "margin": st.column_config.NumberColumn(
                    format="%.3f", help="p(predicted class) − p(true class)"
                ),
                "in-degree": st.column_config.NumberColumn(help="incoming edges, self loop included"),
                "neighbours with the true label": st.column_config.NumberColumn(
                    format="%.0f%%", help="share of the node's neighbours (self excluded) with its true label"
                ),
                "one edge flips it": st.column_config.TextColumn(
                    help="The neighbour whose removal alone makes the prediction right (the one "
                    "that gives the true class the highest probability)."
                ),
                "uniform attention flips it": st.column_config.CheckboxColumn(
                    help="With α = 1/in-degree in both layers the prediction is right."
                ),
            },
        )
        st.caption("Tick a row's box (left edge) to centre that node; click a column header to sort.")


def _on_cell(chart: str) -> None:
    cell = picked_cell(st.session_state.get(chart))
    if cell is not None:
        st.session_state[CELL] = cell


def _clear_cell() -> None:
    st.session_state[CELL] = None


def _on_row(key: str, nodes: tuple[int, ...], on_pick: Callable[[int], None]) -> None:
    rows = _selected_rows(st.session_state.get(key))
    if rows and 0 <= rows[0] < len(nodes):
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
