"""The neighbourhood view and the node inspector."""

from __future__ import annotations

import functools
import random

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from torch_geometric.data import Data

from gat_viz.explore import ModelOutputs, NodeView, inspect, node_view
from gat_viz.plotting import COLOUR_BY, neighbourhood_figure, picked_node, probability_figure
from gat_viz.ui import resources, teaching
from gat_viz.ui.jobs import Loaded
from gat_viz.ui.state import DEFAULT_NODE, HOPS, LAYERS, centre, check_view, head_options, node_input_changed


def view(data: Data, loaded: Loaded, notes: list[str]) -> None:
    out = loaded.outputs
    n = data.num_nodes
    heads = [out.heads(0), out.heads(1)]
    notes = notes + check_view(st.query_params, n, heads)
    for note in notes:
        st.warning(note, icon="🔗")
    if st.session_state.get("node") is not None and st.session_state["node"] >= n:
        st.session_state["node"] = DEFAULT_NODE  # switched to a smaller graph

    controls = st.columns([1.1, 0.9, 0.9, 1.2, 1.1, 1.4])
    # No value=: the default is the minimum, node 0; callbacks set it through session state.
    node = controls[0].number_input(
        "Node", 0, n - 1, key="node", bind="query-params", on_change=on_node_input
    )  # fmt: skip
    st.session_state["drawn"] = node
    hops = int(controls[1].radio("Hops", HOPS, index=1, key="hops", horizontal=True, bind="query-params"))
    layer = int(controls[2].radio("Layer", LAYERS, key="layer", horizontal=True, bind="query-params")) - 1
    options = head_options(heads[layer])
    if st.session_state.get("head") not in (None, *options):
        st.session_state["head"] = "mean"  # e.g. head 5 of layer 1, then layer 2 with one head
    head_label = controls[3].selectbox("Head", options, key="head", bind="query-params")
    colour_by = controls[4].selectbox("Colour nodes by", COLOUR_BY, key="colour_by")
    relative = controls[5].toggle(
        "α relative to uniform", key="relative",
        help="α × the number of incoming edges: 1 means no preference. Cora's attention is "
        "close to uniform, which raw widths hide.",
    )  # fmt: skip
    b1, b2, _ = st.columns([1, 1, 3])
    b1.button("Random test node", on_click=_random_node, args=(data, out, False))
    b2.button("Random misclassified node", on_click=_random_node, args=(data, out, True))

    head = head_label if head_label in ("mean", "max") else int(head_label) - 1
    y = data.y.numpy()
    view_key = (int(node), hops, layer, head)
    figure_key = (*view_key, colour_by, relative)
    nv = loaded.cached(("view", *view_key), lambda: node_view(out, int(node), hops, layer, head, order_key=y))
    graph_col, inspect_col = st.columns([2.3, 1])
    with graph_col:
        title = f"{data.name} node {node}: {hops}-hop neighbourhood, layer {layer + 1}, head {head_label}"
        fig = loaded.cached(
            ("figure", *figure_key),
            lambda: neighbourhood_figure(
                nv, out, y, data.class_names, resources.splits(data.name), colour_by, relative, title
            ),
        )
        filename = f"{data.name.lower()}_node{node}_{hops}hop_layer{layer + 1}_head-{head_label}"
        # One chart widget per figure and per click: a click is then always a fresh selection.
        # With one key, Plotly keeps the last selection (curve, index) across figures, and a click
        # on the point at that place toggles it off; a revisited figure would still hold the
        # click made in it. Measured under load, ~1 click in 50 went nowhere.
        r = loaded.result
        chart = "-".join(map(str, ("graph", data.name, r.config.key(), r.seed, *figure_key)))
        chart += f"-{st.session_state.get('picks', 0)}"
        st.plotly_chart(
            fig, key=chart, on_select=functools.partial(_on_pick, chart), selection_mode="points",
            config={"toImageButtonOptions": {"filename": filename, "scale": 2}, "displaylogo": False},
        )  # fmt: skip
        if nv.nb.truncated:
            st.caption(
                f"Showing {len(nv.nb.nodes)} of {nv.nb.total_nodes} nodes: the {nv.nb.dropped_nodes} "
                "hop-2 nodes with the weakest attention are left out to keep the drawing legible."
            )
        st.caption(
            "Arrows point the way messages flow, source → target; each target's incoming α sum to 1 "
            "(its self loop included, drawn as the node's outline). Edges among nodes of the same "
            "hop are not drawn. Click a node to centre it."
        )
        csv = loaded.cached(("csv", *view_key), lambda: _edge_table(nv, data, out).to_csv(index=False))
        st.download_button(
            "Edge table (CSV)", csv, f"{filename}.csv",
            mime="text/csv", on_click="ignore",
        )  # fmt: skip
    head_index = head if isinstance(head, int) else 0
    head_note = "" if isinstance(head, int) else "Head 1: these views follow one head."
    with inspect_col:
        # Lazy tabs: only the open one runs, so a click on the graph stays fast.
        side = st.tabs(["Node inspector", "ReLU vs LeakyReLU"], key="side_tab", on_change="rerun")
        if side[0].open:
            with side[0]:
                _inspector(data, out, int(node), layer)
        if side[1].open:
            with side[1]:
                if head_note:
                    st.caption(head_note)
                teaching.relu_panel(data, loaded, int(node), layer, head_index)
    # Closed until asked for, and then lazy like the tabs: the walk-through's table, formulas
    # and two heatmaps were 40% of the browser's work per click (measured, 1.09 → 0.65 CPU s),
    # for a section below the fold. Once opened it stays open for the session.
    hood = st.expander(
        "Under the hood: the attention math · attention learns · entropy vs uniform",
        key="hood", on_change="rerun",
    )  # fmt: skip
    if hood.open:
        with hood:
            _lower_tabs(data, loaded, int(node), layer, head, head_index, head_note)


def _lower_tabs(
    data: Data, loaded: Loaded, node: int, layer: int, head: int | str, head_index: int, head_note: str
) -> None:
    lower = st.tabs(
        ["The attention math", "Attention learns", "Entropy vs uniform"], key="lower_tab", on_change="rerun"
    )
    if lower[0].open:
        with lower[0]:
            if head_note:
                st.caption(head_note)
            teaching.math_panel(data, loaded, node, layer, head_index)
    if lower[1].open:
        with lower[1]:
            teaching.learns_panel(data, loaded)
    if lower[2].open:
        with lower[2]:
            teaching.entropy_panel(data, loaded, node, layer, head)


def _on_pick(chart: str) -> None:
    picked = picked_node(st.session_state.get(chart))
    if picked is not None:
        centre(st.session_state, picked)


def on_node_input() -> None:
    # pinned streamlit==1.67: a run's context names the fragments it reruns, none in a full run
    ctx = get_script_run_ctx()
    node_input_changed(st.session_state, bool(ctx and ctx.fragment_ids_this_run))


def _random_node(data: Data, out: ModelOutputs, misclassified: bool) -> None:
    pool = data.test_mask.clone()
    if misclassified:
        pool &= out.pred != data.y
    ids = pool.nonzero().view(-1).tolist()
    if ids:
        centre(st.session_state, random.choice(ids))


def _edge_table(nv: NodeView, data: Data, out: ModelOutputs) -> pd.DataFrame:
    nb = nv.nb
    src, dst = nb.nodes[nb.src], nb.nodes[nb.dst]
    names = np.array(data.class_names)
    y = data.y.numpy()
    return pd.DataFrame(
        {
            "source": src,
            "target": dst,
            "source_hop": nb.hop[nb.src],
            "target_hop": nb.hop[nb.dst],
            "source_label": names[y[src]],
            "target_label": names[y[dst]],
            "layer": nv.layer + 1,
            "head": nv.head if isinstance(nv.head, str) else nv.head + 1,
            "alpha": nv.edge_alpha,
            "alpha_x_in_degree": nv.edge_relative,
        }
    )


def _inspector(data: Data, out: ModelOutputs, node: int, layer: int) -> None:
    insp = inspect(out, data, node, layer)
    st.subheader(f"Node {node}")
    verdict = ":green[**correct**]" if insp.correct else ":red[**wrong**]"
    st.markdown(
        f"**True:** {insp.true_label} · **split:** {insp.split}  \n"
        f"**Predicted:** {insp.predicted} ({max(insp.probs):.0%}) · {verdict}"
    )
    st.plotly_chart(probability_figure(insp, data.class_names), key="probs", config={"displayModeBar": False})
    mean_entropy = float(np.mean(insp.entropy))
    st.metric(
        f"Attention entropy, layer {layer + 1} (mean over heads)",
        f"{mean_entropy:.3f} nats",
        delta=f"{mean_entropy - insp.uniform_entropy:+.3f} vs uniform {insp.uniform_entropy:.3f}",
        delta_color="off",
        help="Uniform attention over the incoming edges (self loop included) has entropy log(in-degree).",
    )
    mix = ", ".join(f"{label} {count}" for label, count in insp.label_mix.items()) or "none (isolated)"
    st.caption(f"Neighbours' labels: {mix}")
    rows = [
        {
            "neighbour": str(r.node) if r.node != node else f"{node} (self)",
            "label": r.label,
            "α mean": r.alpha_mean,
            "× uniform": r.relative,
            **{f"h{h + 1}": a for h, a in enumerate(r.alpha_by_head)},
        }
        for r in insp.neighbours
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, height=min(36 + 35 * len(rows), 320))
