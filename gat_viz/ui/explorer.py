"""The neighbourhood view and the node inspector."""

from __future__ import annotations

import functools
import random

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from torch_geometric.data import Data

from gat_viz.explore import (
    DEFAULT_RULE,
    ModelOutputs,
    NodeView,
    computation_view,
    default_node,
    edge_table,
    inspect,
    node_view,
)
from gat_viz.graph import FOCUS, WIDE_RING
from gat_viz.heads import head_similarity, head_views, heads_grid_figure, picked_head
from gat_viz.numbers import fmt
from gat_viz.plotting import COLOUR_BY, neighbourhood_figure, picked_node, probability_figure
from gat_viz.ui import errors, resources, teaching, why
from gat_viz.ui.jobs import Loaded
from gat_viz.ui.state import HOPS, LAYERS, MODES, centre, check_view, head_options, node_input_changed

INTRO = {
    "Cora": "Cora: 2,708 machine-learning papers (nodes) linked by 5,429 citations; each paper has one "
    "of seven topics, and the GAT predicts it from the paper's words and its neighbours'.",
    "CiteSeer": "CiteSeer: 3,327 computer-science papers (nodes) linked by citations, six topics; the GAT "
    "predicts a paper's topic from its words and its neighbours'.",
}


def view(data: Data, loaded: Loaded, notes: list[str]) -> None:
    out = loaded.outputs
    n = data.num_nodes
    heads = [out.heads(0), out.heads(1)]
    notes = notes + check_view(st.query_params, n, heads)
    for note in notes:
        st.warning(note, icon=":material/link:")
    if st.session_state.get("node") is not None and st.session_state["node"] >= n:
        st.session_state["node"] = None  # switched to a smaller graph
    start = _opening_node(data, loaded)
    if st.session_state.get("node") is None and "node" not in st.query_params:
        st.session_state["node"] = start

    controls = st.columns([1.0, 1.7, 0.8, 0.8, 0.9, 1.1, 1.2])
    # No value=: callbacks (and the default above) set it through session state.
    node = controls[0].number_input(
        "Node", 0, n - 1, key="node", bind="query-params", on_change=on_node_input
    )  # fmt: skip
    st.session_state["drawn"] = node
    mode = controls[1].selectbox(
        "View", MODES, key="mode", bind="query-params",
        help="The computation graph is what produced the centre's prediction: layer-2 attention into "
        "the centre, layer-1 attention into the centre's neighbours.",
    )  # fmt: skip
    hops = int(
        controls[2].selectbox(
            "Hops", HOPS, index=1, key="hops", bind="query-params", disabled=mode != "one layer"
        )
    )
    both = mode == "computation graph"  # both layers drawn: the layer choice does not apply
    layer = int(controls[3].selectbox("Layer", LAYERS, key="layer", bind="query-params", disabled=both)) - 1
    grid_layer = layer
    options = head_options(heads[0 if mode == "computation graph" else layer])
    if st.session_state.get("head") not in (None, *options):
        st.session_state["head"] = "mean"  # e.g. head 5 of layer 1, then layer 2 with one head
    head_label = controls[4].selectbox(
        "Head", options, key="head", bind="query-params",
        help="max: each edge's largest α over the heads. It is above uniform by construction, "
        "so read it as 'some head likes this edge', not as attention.",
    )  # fmt: skip
    colour_by = controls[5].selectbox("Colour nodes by", COLOUR_BY, key="colour_by")
    relative = controls[6].toggle(
        "α × uniform", key="relative",
        help="α × the number of incoming edges (log scale): 1 means no preference; grey within ±10%. "
        "Cora's attention is close to uniform, which raw widths hide.",
    )  # fmt: skip
    head = head_label if head_label in ("mean", "max") else int(head_label) - 1
    node = int(node)
    graph_col, inspect_col = st.columns([2.2, 1], gap="small")
    with graph_col:
        if mode == "heads grid":
            nv = _heads_grid(data, loaded, node, grid_layer, head_label, colour_by)
        else:
            nv = _graph(data, loaded, node, mode, hops, layer, head, head_label, colour_by, relative)
        b1, b2, b3, _ = st.columns([1, 1.2, 1, 1.2])
        b1.button(
            "Test node", on_click=_random_node, args=(data, out, False), icon=":material/shuffle:",
            help="Centre a random test node.",
        )  # fmt: skip
        b2.button(
            "Misclassified", on_click=_random_node, args=(data, out, True), icon=":material/shuffle:",
            help="Centre a random test node the model gets wrong; 'Why this prediction?' below says why.",
        )  # fmt: skip
        view_key = (node, mode, hops, layer, head)
        grid_heads = tuple([*range(heads[layer]), "mean"]) if mode == "heads grid" else ()
        csv = loaded.cached(
            ("csv", *view_key), lambda: edge_table(out, data, nv, grid_heads).to_csv(index=False)
        )
        b3.download_button(
            "Edges (CSV)", csv, f"{_filename(data, node, mode, hops, layer, head_label)}.csv",
            mime="text/csv", on_click="ignore", icon=":material/download:",
        )  # fmt: skip
        st.caption(INTRO.get(data.name, ""))  # for someone who has never seen the dataset
    head_index = head if isinstance(head, int) else 0
    head_note = "" if isinstance(head, int) else "Head 1: these views follow one head."
    with inspect_col:
        # Lazy tabs: only the open one runs, so a click on the graph stays fast.
        side = st.tabs(["Node inspector", "ReLU vs LeakyReLU"], key="side_tab", on_change="rerun")
        if side[0].open:
            with side[0]:
                _inspector(data, out, node, 1 if mode == "computation graph" else layer)
        if side[1].open:
            with side[1]:
                if head_note:
                    st.caption(head_note)
                teaching.relu_panel(data, loaded, node, layer, head_index)
    # Why this prediction, and the model's errors: full width below the graph, lazy like the tabs.
    lower = st.tabs(
        [":material/psychology_alt: Why this prediction?", ":material/rule: Error finder"],
        key="why_tab", on_change="rerun",
    )  # fmt: skip
    gat = loaded.result.config.layer == "gat"
    not_yet = (
        "The exact contributions, what-ifs and the error finder are worked out for GAT's layer "
        "(a sum of α·Wh_j); this model is a GATv2. Switch the model back to GAT in the sidebar."
    )
    if lower[0].open:
        with lower[0]:
            if gat:
                why.view(data, loaded, node)
            else:
                st.info(not_yet, icon=":material/info:")
    if lower[1].open:
        with lower[1]:
            if gat:
                errors.view(data, loaded, functools.partial(centre, st.session_state))
            else:
                st.info(not_yet, icon=":material/info:")
    # Closed until asked for, and then lazy like the tabs: the walk-through's table, formulas
    # and two heatmaps were 40% of the browser's work per click (measured, 1.09 → 0.65 CPU s),
    # for a section below the fold. Once opened it stays open for the session.
    hood = st.expander(
        "Under the hood: the attention math · attention learns · entropy vs uniform · static vs dynamic",
        key="hood", on_change="rerun",
    )  # fmt: skip
    if hood.open:
        with hood:
            _lower_tabs(data, loaded, node, layer, head, head_index, head_note)


def _filename(data: Data, node: int, mode: str, hops: int, layer: int, head_label: str) -> str:
    if mode == "computation graph":
        return f"{data.name.lower()}_node{node}_computation-graph_head-{head_label}"
    if mode == "heads grid":
        return f"{data.name.lower()}_node{node}_heads-grid_layer{layer + 1}"
    return f"{data.name.lower()}_node{node}_{hops}hop_layer{layer + 1}_head-{head_label}"


def _chart_key(loaded: Loaded, data: Data, *parts: object) -> str:
    # One chart widget per figure and per click: a click is then always a fresh selection.
    # With one key, Plotly keeps the last selection (curve, index) across figures, and a click
    # on the point at that place toggles it off; a revisited figure would still hold the
    # click made in it. Measured under load, ~1 click in 50 went nowhere.
    r = loaded.result
    chart = "-".join(map(str, ("graph", data.name, r.config.key(), r.seed, *parts)))
    return chart + f"-{st.session_state.get('picks', 0)}"


def _graph(
    data: Data, loaded: Loaded, node: int, mode: str, hops: int, layer: int, head: int | str,
    head_label: str, colour_by: str, relative: bool,
) -> NodeView:  # fmt: skip
    out = loaded.outputs
    y = data.y.numpy()
    if mode == "computation graph":
        nv = loaded.cached(("comp", node, head), lambda: computation_view(out, node, head, order_key=y))
        title = f"{data.name} node {node}: the computation graph of its prediction, head {head_label}"
    else:
        nv = loaded.cached(
            ("view", node, hops, layer, head), lambda: node_view(out, node, hops, layer, head, order_key=y)
        )
        title = f"{data.name} node {node}: {hops}-hop neighbourhood, layer {layer + 1}, head {head_label}"
    figure_key = (node, mode, hops, layer, head, colour_by, relative)
    fig = loaded.cached(
        ("figure", *figure_key),
        lambda: neighbourhood_figure(
            nv, out, y, data.class_names, resources.splits(data.name), colour_by, relative, title
        ),
    )
    chart = _chart_key(loaded, data, *figure_key)
    filename = _filename(data, node, mode, hops, layer, head_label)
    st.plotly_chart(
        fig, key=chart, on_select=functools.partial(_on_pick, chart), selection_mode="points",
        config={"toImageButtonOptions": {"filename": filename, "scale": 2}, "displaylogo": False},
    )  # fmt: skip
    st.caption(_what_it_shows(nv, data, out, loaded) + " " + _how_to_read(nv))
    return nv


def _heads_grid(
    data: Data, loaded: Loaded, node: int, layer: int, head_label: str, colour_by: str
) -> NodeView:
    out = loaded.outputs
    y = data.y.numpy()
    views = loaded.cached(("heads", node, layer), lambda: head_views(out, node, layer, order_key=y))
    fig = loaded.cached(
        ("heads figure", node, layer, colour_by, head_label),
        lambda: heads_grid_figure(
            views, out, y, data.class_names, resources.splits(data.name), colour_by, selected=head_label
        ),
    )
    chart = _chart_key(loaded, data, "heads", node, layer, colour_by, head_label)
    st.plotly_chart(
        fig, key=chart, on_select=functools.partial(_on_head_pick, chart), selection_mode="points",
        config={"displaylogo": False, "toImageButtonOptions": {"filename": f"node{node}_heads", "scale": 2}},
    )  # fmt: skip
    sim = loaded.cached(("similarity", node, layer), lambda: head_similarity(out, node, layer))
    nb = views[-1][1].nb
    summary = (
        f" Drawn: the {len(nb.nodes) - 1} neighbours that some head attends to most; "
        f"{nb.dropped_nodes} weaker ones are left out (the CSV has them all)."
        if nb.dropped_nodes
        else ""
    )
    st.caption(
        f"Node {node}'s neighbours, once per head of layer {layer + 1} and their mean, on one width scale."
        f"{summary} {sim.sentence} Click a panel's node to select that head."
    )
    return views[-1][1]


def _opening_node(data: Data, loaded: Loaded) -> int:
    """The node the app opens on (`explore.default_node`), once per model."""
    return loaded.cached(("default node",), lambda: default_node(loaded.outputs, data))


def _what_it_shows(nv: NodeView, data: Data, out: ModelOutputs, loaded: Loaded) -> str:
    """One sentence, from the numbers drawn: the centre's prediction and its strongest edge."""
    centre = int(nv.nb.nodes[0])
    names = data.class_names
    pred, true = names[int(out.pred[centre])], names[int(data.y[centre])]
    conf = float(out.probs[centre].max())
    verdict = "right" if pred == true else f"wrong (true: {true})"
    into = (nv.nb.dst == 0) & (nv.edge_layer == (1 if nv.mode == "computation graph" else nv.layer))
    if not into.any():
        return (
            f"Node {centre} has no neighbours: its prediction, {pred} ({conf:.0%}, {verdict}), comes from "
            "its own words."
        )
    k = np.flatnonzero(into)[int(np.argmax(nv.edge_alpha[into]))]
    src = int(nv.nb.nodes[nv.nb.src[k]])
    layer = int(nv.edge_layer[k]) + 1
    alpha, rel = float(nv.edge_alpha[k]), float(nv.edge_relative[k])
    self_alpha = float(nv.self_alpha[0])  # the centre's self loop, in the same layer
    rule = " (the opening node: " + DEFAULT_RULE + ")" if centre == _opening_node(data, loaded) else ""
    strongest = f"node {src} (α {fmt(alpha)}, {fmt(rel, 2)}× uniform)"
    if self_alpha > alpha:
        strongest = f"itself (self loop, α {fmt(self_alpha)}), then {strongest}"
    text = (
        f"Node {centre}{rule} is predicted {pred} ({conf:.0%}, {verdict}); in layer {layer} it attends "
        f"most to {strongest}."
    )
    spread = nv.edge_relative[into]
    if len(spread) > 1 and spread.max() < 1.25 and spread.min() > 0.8:
        text += (
            f" All its layer-{layer} edges lie within 0.8–1.25× uniform: close to an average, and the widths "
            "stretch these small differences over the whole range."
        )
    return text


def _how_to_read(nv: NodeView) -> str:
    nb = nv.nb
    parts = [
        "Arrows point the way messages flow; width grows with the value shown (legend above the drawing)."
    ]
    if nv.mode == "computation graph":
        parts.append(
            "Dark: layer 2 into the centre; light: layer 1 into the centre's neighbours. Edges that "
            "cannot change the prediction (into hop-2 nodes) are not drawn."
        )
        if nb.hidden_edges:
            parts.append(
                f"Summarised for legibility: {nb.hidden_edges:,} layer-1 edges"
                + (f" (each hop-1 node keeps its {nb.top_k} strongest)" if nb.top_k else "")
                + (f" and {nb.dropped_nodes} hop-2 nodes" if nb.dropped_nodes else "")
                + " are left out; the CSV has them all."
            )
            if (nb.hop == 1).sum() > WIDE_RING:
                parts.append(f"Layer 1 is drawn into the {FOCUS} neighbours with the most layer-2 attention.")
    else:
        parts.append("Edges among nodes of the same hop are not drawn; a node's outline is its self-loop α.")
        if nb.truncated:
            parts.append(f"{nb.dropped_nodes} hop-2 nodes with the weakest attention are left out.")
    parts.append(
        "Click a node to centre it (on a touch screen, tap it twice: the first tap shows its details)."
    )
    return " ".join(parts)


def _lower_tabs(
    data: Data, loaded: Loaded, node: int, layer: int, head: int | str, head_index: int, head_note: str
) -> None:
    lower = st.tabs(
        ["The attention math", "Attention learns", "Entropy vs uniform", "Static vs dynamic (GATv2)"],
        key="lower_tab", on_change="rerun",
    )  # fmt: skip
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
    if lower[3].open:
        with lower[3]:
            teaching.static_panel(data, loaded, node)


def _on_pick(chart: str) -> None:
    picked = picked_node(st.session_state.get(chart))
    if picked is not None:
        centre(st.session_state, picked)


def _on_head_pick(chart: str) -> None:
    picked = picked_head(st.session_state.get(chart))
    if picked is not None:
        st.session_state["head"] = picked
        st.session_state["picks"] = st.session_state.get("picks", 0) + 1


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


def _inspector(data: Data, out: ModelOutputs, node: int, layer: int) -> None:
    insp = inspect(out, data, node, layer)
    st.markdown(f"##### Node {node}")
    verdict = ":green[**correct**]" if insp.correct else ":red[**wrong**]"
    st.markdown(
        f"**True:** {insp.true_label} · **split:** {insp.split}  \n"
        f"**Predicted:** {insp.predicted} ({max(insp.probs):.0%}) · {verdict}"
    )
    st.plotly_chart(probability_figure(insp, data.class_names), key="probs", config={"displayModeBar": False})
    mean_entropy = float(np.mean(insp.entropy))
    st.metric(
        f"Attention entropy, layer {layer + 1} (mean over heads)",
        f"{fmt(mean_entropy)} nats",
        delta=f"{fmt(mean_entropy - insp.uniform_entropy)} vs uniform {fmt(insp.uniform_entropy)}",
        delta_color="off",
        help="Uniform attention over the incoming edges (self loop included) has entropy log(in-degree).",
    )
    mix = ", ".join(f"{label} {count}" for label, count in insp.label_mix.items()) or "none (isolated)"
    st.caption(f"Neighbours' labels: {mix}")
    probs = out.probs.max(dim=1).values
    rows = [
        {
            "neighbour": str(r.node) if r.node != node else f"{node} (self)",
            "α mean": r.alpha_mean,
            "× uniform": r.relative,
            "true label": r.label,
            "predicted": f"{r.predicted} ({float(probs[r.node]):.0%})",
            **{f"h{h + 1}": a for h, a in enumerate(r.alpha_by_head)},
        }
        for r in insp.neighbours
    ]
    numbers = {
        name: st.column_config.NumberColumn(format="%.3f", width="small")
        for name in ["α mean", *(f"h{h + 1}" for h in range(len(insp.entropy)))]
    }
    numbers["× uniform"] = st.column_config.NumberColumn(format="%.2f×", width="small")
    st.caption(f"Layer {layer + 1} attention into node {node}, strongest first:")
    st.dataframe(
        pd.DataFrame(rows), hide_index=True, height=min(36 + 35 * len(rows), 320), column_config=numbers
    )
