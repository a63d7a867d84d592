"""The neighbourhood view and the node inspector."""

from __future__ import annotations

import functools
import math
import random

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from gat_viz.data import Graph as Data
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
from gat_viz.i18n import N_, _, class_name, current
from gat_viz.numbers import fmt
from gat_viz.plotting import COLOUR_BY, HEIGHT, neighbourhood_figure, picked_node, probability_figure
from gat_viz.ui import errors, resources, teaching, tour, why
from gat_viz.ui.jobs import Loaded
from gat_viz.ui.links import HOPS, LAYERS, MODES, check_view, head_options
from gat_viz.ui.state import centre, first_answer, node_input_key, node_typed

INTRO = {
    "Cora": N_(
        "Cora: 2,708 machine-learning papers (nodes) linked by 5,429 citations; each paper has one of "
        "seven topics, and the GAT predicts it from the paper's words and its neighbours'."
    ),
    "CiteSeer": N_(
        "CiteSeer: 3,327 computer-science papers (nodes) linked by citations, six topics; the GAT "
        "predicts a paper's topic from its words and its neighbours'."
    ),
}
MODE_LABELS = {
    "computation graph": N_("computation graph"),
    "one layer": N_("one layer"),
    "heads grid": N_("heads grid"),
}
COLOUR_LABELS = {
    "true class": N_("true class"), "predicted class": N_("predicted class"),
    "correct / wrong": N_("correct / wrong"),
}  # fmt: skip
HEAD_LABELS = {"mean": N_("mean"), "max": N_("max")}
STAGED = ("learns", "static", "why")  # chapter panels drawn in the graph's place
PRESENT_HEIGHT = 470  # px: with the larger text of presenter mode the graph still fits 1280×720


def view(data: Data, loaded: Loaded) -> None:
    out = loaded.outputs
    n = data.num_nodes
    heads = [out.heads(0), out.heads(1)]
    state = st.session_state
    notes = state.pop("link_notes", [])
    if state.pop("link_check", False):
        notes += check_view(state, n, heads)
    for note in notes:
        st.warning(note, icon=":material/link:")
    if state.get("node") is not None and state["node"] >= n:
        state["node"] = None  # switched to a smaller graph
    start = tour.start_node(state, data, loaded, _opening_node(data, loaded))
    if state.get("node") is None:
        state["node"] = start
    chapter = tour.current(state)
    staged = chapter.panel if chapter is not None and chapter.panel in STAGED else None

    controls = st.columns([1.0, 1.7, 0.8, 0.8, 0.9, 1.1, 1.2])
    # Shows state["node"]; a new key whenever something else changed it (see state.node_input_key).
    key = node_input_key(state)
    node = int(state["node"])
    controls[0].number_input(
        _("Node"), 0, n - 1, value=node, key=key, on_change=node_typed, args=(state, key)
    )  # fmt: skip
    mode = controls[1].selectbox(
        _("View"), MODES, key="mode", format_func=lambda m: _(MODE_LABELS[m]),
        help=_(
            "The computation graph is what produced the centre's prediction: layer-2 attention into "
            "the centre, layer-1 attention into the centre's neighbours."
        ),
    )  # fmt: skip
    hops = int(controls[2].selectbox(_("Hops"), HOPS, key="hops", disabled=mode != "one layer"))
    both = mode == "computation graph"  # both layers drawn: the layer choice does not apply
    layer = int(controls[3].selectbox(_("Layer"), LAYERS, key="layer", disabled=both)) - 1
    grid_layer = layer
    options = head_options(heads[0 if mode == "computation graph" else layer])
    if state.get("head") not in (None, *options):
        state["head"] = "mean"  # e.g. head 5 of layer 1, then layer 2 with one head
    head_label = controls[4].selectbox(
        _("Head"), options, key="head", format_func=lambda h: _(HEAD_LABELS.get(h, h)),
        help=_(
            "max: each edge's largest α over the heads. It is above uniform by construction, "
            "so read it as 'some head likes this edge', not as attention."
        ),
    )  # fmt: skip
    colour_by = controls[5].selectbox(
        _("Colour nodes by"), COLOUR_BY, key="colour_by", format_func=lambda c: _(COLOUR_LABELS[c])
    )
    relative = controls[6].toggle(
        _("α × uniform"), key="relative",
        help=_(
            "α × the number of incoming edges (log scale): 1 means no preference; grey within ±10%. "
            "Cora's attention is close to uniform, which raw widths hide."
        ),
    )  # fmt: skip
    head = head_label if head_label in ("mean", "max") else int(head_label) - 1
    node = int(node)
    graph_col, inspect_col = st.columns([2.2, 1], gap="small")
    with graph_col:
        if staged is not None:
            nv = None
            with st.container(key="chapter_panel"):
                _staged_panel(staged, data, loaded, node)
        elif mode == "heads grid":
            nv = _heads_grid(data, loaded, node, grid_layer, head_label, colour_by)
        else:
            nv = _graph(data, loaded, node, mode, hops, layer, head, head_label, colour_by, relative)
        b1, b2, b3, _spacer = st.columns([1, 1.2, 1, 1.2])
        b1.button(
            _("Test node"), on_click=_random_node, args=(data, out, False), icon=":material/shuffle:",
            help=_("Centre a random test node."),
        )  # fmt: skip
        b2.button(
            _("Misclassified"), on_click=_random_node, args=(data, out, True), icon=":material/shuffle:",
            help=_("Centre a random test node the model gets wrong; 'Why this prediction?' below says why."),
        )  # fmt: skip
        if nv is not None:
            view_key = (node, mode, hops, layer, head)
            grid_heads = tuple([*range(heads[layer]), "mean"]) if mode == "heads grid" else ()
            csv = loaded.cached(
                ("csv", *view_key), lambda: edge_table(out, data, nv, grid_heads).to_csv(index=False)
            )
            b3.download_button(
                _("Edges (CSV)"), csv, f"{_filename(data, node, mode, hops, layer, head_label)}.csv",
                mime="text/csv", on_click="ignore", icon=":material/download:",
            )  # fmt: skip
        st.caption(_(INTRO[data.name]) if data.name in INTRO else "")  # for a first-time visitor
    head_index = head if isinstance(head, int) else 0
    head_note = "" if isinstance(head, int) else _("Head 1: these views follow one head.")
    with inspect_col:
        if chapter is not None:
            tour.card(data, chapter)
        # Lazy tabs: only the open one runs, so a click on the graph stays fast.
        side = st.tabs(
            [_("Node inspector"), _(tour.SIDE_TAB_RELU)], key="side_tab", on_change="rerun"
        )  # fmt: skip
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
        [_(":material/psychology_alt: Why this prediction?"), _(":material/rule: Error finder")],
        key="why_tab", on_change="rerun",
    )  # fmt: skip
    if lower[0].open:
        with lower[0]:
            if staged == "why":
                st.caption(_("Shown above, beside the chapter."))
            else:
                _why(data, loaded, node)
    if lower[1].open:
        with lower[1]:
            if _is_gat(loaded):
                errors.view(data, loaded, functools.partial(centre, st.session_state))
            else:
                st.info(_(NOT_YET), icon=":material/info:")
    # Closed until asked for, and then lazy like the tabs: the walk-through's table, formulas
    # and two heatmaps were 40% of the browser's work per click (measured, 1.09 → 0.65 CPU s),
    # for a section below the fold. Once opened it stays open for the session.
    hood = st.expander(
        _("Under the hood: the attention math · attention learns · entropy vs uniform · static vs dynamic"),
        key="hood", on_change="rerun",
    )  # fmt: skip
    if hood.open:
        with hood:
            _lower_tabs(data, loaded, node, layer, head, head_index, head_note, staged)


NOT_YET = N_(
    "The exact contributions, what-ifs and the error finder are worked out for GAT's layer "
    "(a sum of α·Wh_j); this model is a GATv2. Switch the model back to GAT in the sidebar."
)


def _is_gat(loaded: Loaded) -> bool:
    return loaded.result.config.layer == "gat"


def _why(data: Data, loaded: Loaded, node: int) -> None:
    if _is_gat(loaded):
        why.view(data, loaded, node)
    else:
        st.info(_(NOT_YET), icon=":material/info:")


def _staged_panel(panel: str, data: Data, loaded: Loaded, node: int) -> None:
    """A chapter's panel in the graph's place (chapters 5–7), so it shares the screen with the
    chapter's text; the same panel below is then not drawn again."""
    if panel == "learns":
        teaching.learns_panel(data, loaded)
    elif panel == "static":
        teaching.static_panel(data, loaded, node)
    else:
        _why(data, loaded, node)


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
        title = _("{dataset} node {node}: the computation graph of its prediction, head {head}").format(
            dataset=data.name, node=node, head=_(HEAD_LABELS.get(head_label, head_label))
        )
    else:
        nv = loaded.cached(
            ("view", node, hops, layer, head), lambda: node_view(out, node, hops, layer, head, order_key=y)
        )
        title = _("{dataset} node {node}: {hops}-hop neighbourhood, layer {layer}, head {head}").format(
            dataset=data.name,
            node=node,
            hops=hops,
            layer=layer + 1,
            head=_(HEAD_LABELS.get(head_label, head_label)),
        )
    figure_key = (node, mode, hops, layer, head, colour_by, relative, current())
    present = bool(st.session_state.get("present"))
    fig = loaded.cached(
        ("figure", *figure_key, present),
        lambda: _projected(
            neighbourhood_figure(
                nv,
                out,
                y,
                data.class_names,
                resources.splits(data.name),
                colour_by,
                relative,
                title,
                height=PRESENT_HEIGHT if present else HEIGHT,
            ),
            present,
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


def _projected(fig: go.Figure, present: bool) -> go.Figure:
    """For a projector (presenter mode): nodes 1.3× larger. (Larger legend or title text would
    collide with the edge legend's rows above the drawing.)"""
    if not present:
        return fig
    for trace in fig.data:
        size = trace.marker.size if "markers" in (trace.mode or "") else None
        if size is not None:
            trace.marker.size = [v * 1.3 for v in size] if isinstance(size, (list, tuple)) else size * 1.3
    return fig


def _heads_grid(
    data: Data, loaded: Loaded, node: int, layer: int, head_label: str, colour_by: str
) -> NodeView:
    out = loaded.outputs
    y = data.y.numpy()
    present = bool(st.session_state.get("present"))
    views = loaded.cached(("heads", node, layer), lambda: head_views(out, node, layer, order_key=y))
    fig = loaded.cached(
        ("heads figure", node, layer, colour_by, head_label, current(), present),
        lambda: _projected(
            heads_grid_figure(
                views,
                out,
                y,
                data.class_names,
                resources.splits(data.name),
                colour_by,
                selected=head_label,
                # a projector: every panel in two rows, so that the grid fits 1280×720
                **({"columns": math.ceil(len(views) / 2), "panel_px": 215} if present else {}),
            ),
            present,
        ),
    )
    chart = _chart_key(loaded, data, "heads", node, layer, colour_by, head_label)
    st.plotly_chart(
        fig, key=chart, on_select=functools.partial(_on_head_pick, chart), selection_mode="points",
        config={"displaylogo": False, "toImageButtonOptions": {"filename": f"node{node}_heads", "scale": 2}},
    )  # fmt: skip
    sim = loaded.cached(("similarity", node, layer, current()), lambda: head_similarity(out, node, layer))
    nb = views[-1][1].nb
    parts = [
        _(
            "Node {node}'s neighbours, once per head of layer {layer} and their mean, on one width scale."
        ).format(node=node, layer=layer + 1)
    ]
    if nb.dropped_nodes:
        parts.append(
            _(
                "Drawn: the {shown} neighbours that some head attends to most; {dropped} weaker ones are "
                "left out (the CSV has them all)."
            ).format(shown=len(nb.nodes) - 1, dropped=nb.dropped_nodes)
        )
    parts += [sim.sentence, _("Click a panel's node to select that head.")]
    st.caption(" ".join(parts))
    return views[-1][1]


def _opening_node(data: Data, loaded: Loaded) -> int:
    """The node the app opens on (`explore.default_node`), once per model."""
    return loaded.cached(("default node",), lambda: default_node(loaded.outputs, data))


def _what_it_shows(nv: NodeView, data: Data, out: ModelOutputs, loaded: Loaded) -> str:
    """One sentence, from the numbers drawn: the centre's prediction and its strongest edge."""
    centre = int(nv.nb.nodes[0])
    names = data.class_names
    p, t = int(out.pred[centre]), int(data.y[centre])
    pred, true = class_name(names[p]), class_name(names[t])
    conf = float(out.probs[centre].max())
    verdict = _("right") if p == t else _("wrong (true: {true})").format(true=true)
    into = (nv.nb.dst == 0) & (nv.edge_layer == (1 if nv.mode == "computation graph" else nv.layer))
    if not into.any():
        return _(
            "Node {node} has no neighbours: its prediction, {pred} ({conf:.0%}, {verdict}), comes from its "
            "own words."
        ).format(node=centre, pred=pred, conf=conf, verdict=verdict)
    k = np.flatnonzero(into)[int(np.argmax(nv.edge_alpha[into]))]
    src = int(nv.nb.nodes[nv.nb.src[k]])
    layer = int(nv.edge_layer[k]) + 1
    alpha, rel = float(nv.edge_alpha[k]), float(nv.edge_relative[k])
    self_alpha = float(nv.self_alpha[0])  # the centre's self loop, in the same layer
    rule = ""
    if centre == _opening_node(data, loaded):
        rule = _(" (the opening node: {rule})").format(rule=_(DEFAULT_RULE))
    strongest = _("node {src} (α {alpha}, {rel}× uniform)").format(src=src, alpha=fmt(alpha), rel=fmt(rel, 2))
    if self_alpha > alpha:
        strongest = _("itself (self loop, α {alpha}), then {next}").format(
            alpha=fmt(self_alpha), next=strongest
        )
    text = _(
        "Node {node}{rule} is predicted {pred} ({conf:.0%}, {verdict}); in layer {layer} it attends most to "
        "{strongest}."
    ).format(node=centre, rule=rule, pred=pred, conf=conf, verdict=verdict, layer=layer, strongest=strongest)
    spread = nv.edge_relative[into]
    if len(spread) > 1 and spread.max() < 1.25 and spread.min() > 0.8:
        text += " " + _(
            "All its layer-{layer} edges lie within 0.8–1.25× uniform: close to an average, and the widths "
            "stretch these small differences over the whole range."
        ).format(layer=layer)
    return text


def _how_to_read(nv: NodeView) -> str:
    nb = nv.nb
    parts = [
        _("Arrows point the way messages flow; width grows with the value shown (legend above the drawing).")
    ]
    if nv.mode == "computation graph":
        parts.append(
            _(
                "Dark: layer 2 into the centre; light: layer 1 into the centre's neighbours. Edges that "
                "cannot change the prediction (into hop-2 nodes) are not drawn."
            )
        )
        if nb.hidden_edges:
            parts.append(_("Summarised for legibility: {edges:,} layer-1 edges are left out.").format(
                edges=nb.hidden_edges
            ))  # fmt: skip
            if nb.top_k:
                parts.append(_("Each hop-1 node keeps its {k} strongest.").format(k=nb.top_k))
            if nb.dropped_nodes:
                parts.append(_("{count} hop-2 nodes are left out.").format(count=nb.dropped_nodes))
            parts.append(_("The CSV has them all."))
            if (nb.hop == 1).sum() > WIDE_RING:
                parts.append(
                    _("Layer 1 is drawn into the {k} neighbours with the most layer-2 attention.").format(
                        k=FOCUS
                    )
                )
    else:
        parts.append(
            _("Edges among nodes of the same hop are not drawn; a node's outline is its self-loop α.")
        )
        if nb.truncated:
            parts.append(
                _("{count} hop-2 nodes with the weakest attention are left out.").format(
                    count=nb.dropped_nodes
                )
            )
    parts.append(
        _("Click a node to centre it (on a touch screen, tap it twice: the first tap shows its details).")
    )
    return " ".join(parts)


def _lower_tabs(
    data: Data, loaded: Loaded, node: int, layer: int, head: int | str, head_index: int, head_note: str,
    staged: str | None,
) -> None:  # fmt: skip
    lower = st.tabs(
        [
            _("The attention math"), _("Attention learns"), _("Entropy vs uniform"),
            _("Static vs dynamic (GATv2)"),
        ],
        key="lower_tab", on_change="rerun",
    )  # fmt: skip
    above = _("Shown above, beside the chapter.")
    if lower[0].open:
        with lower[0]:
            if head_note:
                st.caption(head_note)
            teaching.math_panel(data, loaded, node, layer, head_index)
    if lower[1].open:
        with lower[1]:
            if staged == "learns":
                st.caption(above)
            else:
                teaching.learns_panel(data, loaded)
    if lower[2].open:
        with lower[2]:
            teaching.entropy_panel(data, loaded, node, layer, head)
    if lower[3].open:
        with lower[3]:
            if staged == "static":
                st.caption(above)
            else:
                teaching.static_panel(data, loaded, node)


def _on_pick(chart: str) -> None:
    picked = picked_node(st.session_state.get(chart))
    if picked is not None and first_answer(st.session_state, chart):
        centre(st.session_state, picked)


def _on_head_pick(chart: str) -> None:
    picked = picked_head(st.session_state.get(chart))
    if picked is not None and first_answer(st.session_state, chart):
        st.session_state["head"] = picked
        st.session_state["picks"] = st.session_state.get("picks", 0) + 1


def _random_node(data: Data, out: ModelOutputs, misclassified: bool) -> None:
    pool = data.test_mask.clone()
    if misclassified:
        pool &= out.pred != data.y
    ids = pool.nonzero().view(-1).tolist()
    if ids:
        centre(st.session_state, random.choice(ids))


def _inspector(data: Data, out: ModelOutputs, node: int, layer: int) -> None:
    insp = inspect(out, data, node, layer)
    st.markdown("##### " + _("Node {node}").format(node=node))
    verdict = _(":green[**correct**]") if insp.correct else _(":red[**wrong**]")
    st.markdown(
        _("**True:** {true} · **split:** {split}").format(
            true=class_name(insp.true_label), split=_(insp.split)
        )
        + "  \n"
        + _("**Predicted:** {pred} ({conf:.0%}) · {verdict}").format(
            pred=class_name(insp.predicted), conf=max(insp.probs), verdict=verdict
        )
    )
    st.plotly_chart(probability_figure(insp, data.class_names), key="probs", config={"displayModeBar": False})
    mean_entropy = float(np.mean(insp.entropy))
    st.metric(
        _("Attention entropy, layer {layer} (mean over heads)").format(layer=layer + 1),
        _("{value} nats").format(value=fmt(mean_entropy)),
        delta=_("{gap} vs uniform {uniform}").format(
            gap=fmt(mean_entropy - insp.uniform_entropy), uniform=fmt(insp.uniform_entropy)
        ),
        delta_color="off",
        help=_("Uniform attention over the incoming edges (self loop included) has entropy log(in-degree)."),
    )
    mix = ", ".join(f"{class_name(label)} {count}" for label, count in insp.label_mix.items())
    st.caption(_("Neighbours' labels: {mix}").format(mix=mix or _("none (isolated)")))
    probs = out.probs.max(dim=1).values
    rows = [
        {
            _("neighbour"): str(r.node) if r.node != node else _("{node} (self)").format(node=node),
            _("α mean"): r.alpha_mean,
            _("× uniform"): r.relative,
            _("true label"): class_name(r.label),
            _("predicted"): f"{class_name(r.predicted)} ({float(probs[r.node]):.0%})",
            **{f"h{h + 1}": a for h, a in enumerate(r.alpha_by_head)},
        }
        for r in insp.neighbours
    ]
    numbers = {
        name: st.column_config.NumberColumn(format="%.3f", width="small")
        for name in [_("α mean"), *(f"h{h + 1}" for h in range(len(insp.entropy)))]
    }
    numbers[_("× uniform")] = st.column_config.NumberColumn(format="%.2f×", width="small")
    st.caption(
        _("Layer {layer} attention into node {node}, strongest first:").format(layer=layer + 1, node=node)
    )
    st.dataframe(
        pd.DataFrame(rows), hide_index=True, height=min(36 + 35 * len(rows), 320), column_config=numbers
    )
