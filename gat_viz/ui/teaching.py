"""Teaching views: ReLU vs LeakyReLU, the attention math step by step, attention learning,
entropy against uniform, and static vs dynamic attention (GAT vs GATv2). Every number comes from
the model in use; every sentence that compares variants is produced by a stated rule, from the
many-seed table (`gat_viz.lessons`) or, for the one-run comparisons shown beside it, from
`gat_viz.teaching.compare_runs`, which says it is one run."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import streamlit as st

from gat_viz.config import GATConfig
from gat_viz.data import Graph as Data
from gat_viz.i18n import N_, _, class_name, current
from gat_viz.lessons import learns_story, variant_of
from gat_viz.numbers import fmt
from gat_viz.ranking import disagreement, rank_sentence, rank_view
from gat_viz.ranking_plots import rank_figure
from gat_viz.teaching import (
    activation_curves,
    activation_name,
    compare_scores,
    dead_share,
    dense_view,
    head_slopes,
    slope_notes,
    tidy,
    uniformity_sentence,
    walkthrough,
)
from gat_viz.teaching_plots import (
    activation_figure,
    dense_figure,
    entropy_scatter,
    entropy_selection,
    learning_figure,
    score_comparison_figure,
)
from gat_viz.ui import resources
from gat_viz.ui.comparisons import compare_sentences, lessons, table_sentences, twins
from gat_viz.ui.jobs import Loaded
from gat_viz.ui.state import centre, first_answer

DENSE_MAX = 12  # nodes in the dense N×N view
PAPER_SLOPE = 0.2  # LeakyReLU's slope in the GAT paper
SELECTED_MAX = 200  # rows listed for a box or lasso selection
NO_BAR = {"displayModeBar": False}
GATV2_VIEW = N_(
    "This view follows GAT's score LeakyReLU(a_srcᵀWh_j + a_dstᵀWh_i); the model in use is GATv2, "
    "whose score aᵀLeakyReLU(W_l h_j + W_r h_i) has no such form. See “static vs dynamic attention”."
)
GATV2_WALK = N_(
    "The walk-through follows GAT's score LeakyReLU(a_srcᵀWh_j + a_dstᵀWh_i); the model in use is GATv2, "
    "whose score aᵀLeakyReLU(W_l h_j + W_r h_i) has no such form. See “static vs dynamic attention”."
)


def _gat_only(loaded: Loaded, message: str) -> bool:
    """GATv2 has no scalar score before its activation: views of GAT's score say so (`message`,
    marked with N_) and stop."""
    if loaded.result.config.layer == "gat":
        return False
    st.info(_(message))
    return True


def relu_panel(data: Data, loaded: Loaded, node: int, layer: int, head: int) -> None:
    config, seed = loaded.result.config, loaded.result.seed
    if _gat_only(loaded, GATV2_VIEW):
        return
    conv = loaded.result.model.layers[layer]
    slopes = head_slopes(conv)  # (H,) learned under PReLU
    prelu = conv.prelu_weight is not None
    is_relu = not prelu and conv.negative_slope == 0
    st.markdown(
        _(
            "**The dying-ReLU problem.** ReLU sends every negative score to 0 with zero gradient: those "
            "neighbours tie and the loss cannot move them apart. A small negative slope keeps a "
            "gradient flowing, so attention can still learn from them."
        )
    )
    highlight = 0
    if prelu:
        names = [
            _("head {head}: PReLU {slope}").format(head=h + 1, slope=fmt(a, ".2f"))
            for h, a in enumerate(slopes)
        ]
        curves, highlight = activation_curves(slopes), head
    elif is_relu:
        names = [_("LeakyReLU {slope:g} (the paper's)").format(slope=PAPER_SLOPE)]
        curves = activation_curves(PAPER_SLOPE)
    else:
        names = [_("LeakyReLU {slope:g} (this model)").format(slope=conv.negative_slope)]
        curves = activation_curves(conv.negative_slope)
    st.plotly_chart(activation_figure(curves, names, highlight), key="act", config=NO_BAR)
    if prelu:
        learned = ", ".join(
            _("head {head} {slope}").format(head=h + 1, slope=fmt(a)) for h, a in enumerate(slopes)
        )
        st.caption(
            _(
                "This PReLU model learned one slope per head of layer {layer} (initialised at {init:g}): "
                "{learned}. Bold: head {head}, the one followed below."
            ).format(layer=layer + 1, init=config.negative_slope, learned=learned, head=head + 1)
        )
        for note in slope_notes(slopes):
            st.caption(f"⚠ {note[:1].upper() + note[1:]}.")

    # 1. A what-if on this model's own numbers: no retraining.
    t = loaded.outputs.traces[layer]
    what_if_slope = PAPER_SLOPE if is_relu else 0.0
    what_if = f"LeakyReLU {PAPER_SLOPE:g}" if is_relu else "ReLU"
    own = activation_name(conv, head)
    cmp = compare_scores(t, node, head, float(slopes[head]), what_if_slope)
    k = len(cmp.raw)
    st.markdown(_("##### What if: this model's raw scores passed through {what_if}").format(what_if=what_if))
    st.caption(
        _("No retraining: the same W, a_src and a_dst; only the function applied to the raw score changes.")
    )
    if is_relu:
        fate = _("This model uses ReLU: they already tie at 0 and get no gradient.")
    else:
        fate = _(
            "Through ReLU they would tie at 0 and get no gradient; this model's {own} keeps them apart."
        ).format(own=own)
    dead = _(
        "Node {node}, layer {layer}, head {head}: **{dead} of its {count} incoming edges** have a negative "
        "raw score a_src·Wh_j + a_dst·Wh_i."
    ).format(node=node, layer=layer + 1, head=head + 1, dead=cmp.dead, count=k)
    st.markdown(f"{dead} {fate}")
    if prelu and slopes[head] < 0:
        st.caption(
            _(
                "With the negative slope {slope}, a more negative raw score gives a *higher* e_ij: this "
                "head ranks those neighbours in reverse."
            ).format(slope=fmt(slopes[head]))
        )
    st.plotly_chart(score_comparison_figure(cmp, own, what_if), key="cmp", config=NO_BAR)
    raw = _("raw")
    table = pd.DataFrame(
        {"j": cmp.sources, raw: tidy(cmp.raw), "e_ij": tidy(cmp.scores), "α_ij": tidy(cmp.alpha),
         _("α if {what_if}").format(what_if=what_if): tidy(cmp.what_if_alpha)}
    ).sort_values(raw, ascending=False)  # fmt: skip
    st.dataframe(table, hide_index=True, height=min(36 + 35 * k, 250))
    st.caption(_("e_ij and α_ij: this model's ({own}); the last column: the what-if.").format(own=own))
    (st.caption if cmp.max_diff < 1e-4 else st.error)(
        _(
            "The function drawn (slope {slope}) reproduces this model's own e_ij and α on these edges: "
            "max |difference| = {diff:.1e}."
        ).format(slope=fmt(cmp.slope), diff=cmp.max_diff)
    )
    st.metric(
        _("Layer {layer}: dead under ReLU (raw < 0)").format(layer=layer + 1), fmt(dead_share(t), ".1%"),
        help=_(
            "The share of the whole graph's edges (self loops included) whose raw score is negative: "
            "ReLU would send them to 0, with no gradient."
        ),
    )  # fmt: skip

    # 2. Real models, trained with each activation.
    st.markdown(_("##### The model trained with ReLU (a real model, not a what-if)"))
    st.caption(
        _(
            "Each trained once, everything else equal (seed {seed} included); the first row is the model "
            "in use."
        ).format(seed=seed)
    )
    rows = [(_act_label(config), (data.name, config, seed))]
    if not is_relu:
        rows.append(("ReLU", (data.name, config.replace(activation="relu"), seed)))
    if is_relu or prelu:
        paper = config.replace(activation="leaky_relu", negative_slope=PAPER_SLOPE)
        rows.append((_act_label(paper), (data.name, paper, seed)))
    models = twins(resources.store(), data, rows, N_("ReLU / LeakyReLU model"))
    compare_sentences(data, rows, models, seed, _("the model in use"))
    pairs = [("relu", "gat"), ("slope1", "gat"), ("prelu", "gat")]
    mine = variant_of(config)
    if mine is not None and mine != "gat" and all(mine != a for a, _b in pairs):
        pairs.insert(0, (mine, "gat"))
    table_sentences(data, pairs)
    table = lessons()
    relu = table.row(data.name, "relu") if table is not None else None
    if relu is not None and relu.dead_share is not None:
        st.caption(
            _(
                "Models trained with ReLU on {dataset}: {share:.1%} of layer-1 raw scores are negative, "
                "i.e. tied at 0 without gradient (mean over {n} seeds)."
            ).format(dataset=data.name, share=relu.dead_share, n=relu.n)
        )


def math_panel(data: Data, loaded: Loaded, node: int, layer: int, head: int) -> None:
    if _gat_only(loaded, GATV2_WALK):
        return
    model = loaded.result.model
    w = loaded.cached(
        ("walk", node, layer, head),
        lambda: walkthrough(
            model, data.x, data.edge_index, node, layer, head,
            traces=list(loaded.outputs.traces), model_probs=loaded.outputs.probs,
        ),
    )  # fmt: skip
    conv = model.layers[layer]
    act = "LeakyReLU" if conv.prelu_weight is None else "PReLU"
    st.markdown(
        _(
            "Node {node} (i), layer {layer}, head {head}, over its {count} incoming edges j (self loop "
            "included)."
        ).format(node=node, layer=layer + 1, head=head + 1, count=len(w.sources))
    )
    c1, c2 = st.columns(2)
    with c1:
        st.latex(rf"e_{{ij}} = \mathrm{{{act}}}\big(a_{{src}}^\top W h_j + a_{{dst}}^\top W h_i\big)")
        st.latex(r"\alpha_{ij} = \frac{\exp e_{ij}}{\sum_{l \in \mathcal{N}(i)} \exp e_{il}}")
        st.latex(r"h'_i = \sum_{j \in \mathcal{N}(i)} \alpha_{ij}\, W h_j")
    with c2:
        lines = [
            f"W h_i = [{_first(w.wh_i)}], ‖W h_i‖ = {fmt(np.linalg.norm(w.wh_i))}",
            _("a_dst · W h_i = **{value}** (the same for every j)").format(value=fmt(w.dst_term, ".4f")),
            _("h'_i (this head) = [{values}]").format(values=_first(w.head_out)),
        ]
        st.markdown("  \n".join(lines))
    rows = pd.DataFrame(
        {"j": w.sources, _("W h_j (first 3)"): [_first(v, 3) for v in w.wh_j],
         "‖W h_j‖": tidy(np.linalg.norm(w.wh_j, axis=1)), "a_src·W h_j": tidy(w.src_term),
         _("raw = sum of halves"): tidy(w.raw), f"e_ij ({act})": tidy(w.scores), "α_ij": tidy(w.alpha)}
    )  # fmt: skip
    st.dataframe(rows, hide_index=True, height=min(36 + 35 * len(rows), 280))
    if layer == 0:
        combined = _("All heads concatenated, + bias, then ELU: [{values}]")
    else:
        combined = _("All heads averaged over heads, + bias: [{values}]")
    lines = [
        combined.format(values=_first(w.layer_out, 6)),
        _("Logits [{logits}] → softmax: **{label}** with {p}").format(
            logits=_first(w.logits, len(w.logits)),
            label=class_name(data.class_names[int(np.argmax(w.probs))]),
            p=fmt(w.probs.max(), ".1%"),
        ),
    ]
    st.markdown("  \n".join(lines))
    ok = w.max_diff < 1e-4
    (st.success if ok else st.error)(
        _("This walk-through reproduces the model's own forward pass: max |difference| = {diff:.1e}").format(
            diff=w.max_diff
        )
    )
    hood = np.unique(np.concatenate([[node], w.sources]))
    if len(hood) <= DENSE_MAX:
        _dense_section(loaded, hood, node, layer, head)
    else:
        st.caption(
            _("The dense N×N view is shown for nodes with at most {count} neighbours.").format(
                count=DENSE_MAX - 1
            )
        )


def _dense_section(loaded: Loaded, hood: np.ndarray, node: int, layer: int, head: int) -> None:
    dv = loaded.cached(
        ("dense", node, layer, head), lambda: dense_view(loaded.outputs.traces[layer], hood, head)
    )
    st.markdown(
        _(
            "**The dense view textbook code uses**: the masked N×N score matrix (−∞ where j → i is no edge) "
            "and a softmax over each full row. Shown: the rows and columns of node {node} and its "
            "neighbours; each row's sources that are not drawn are summed in the last column, so the "
            "α shown are the model's, and each row sums to 1 with that column."
        ).format(node=node)
    )
    ok = dv.max_diff < 1e-4
    (st.success if ok else st.error)(
        _(
            "All {count} rows shown against the model's edge-list α (every incoming edge, drawn or not, and "
            "each row's sum): max |difference| = {diff:.1e}"
        ).format(count=len(dv.nodes), diff=dv.max_diff)
    )
    d1, d2 = st.columns(2)
    d1.plotly_chart(dense_figure(dv, "scores"), key="dense_e", config=NO_BAR)
    d2.plotly_chart(dense_figure(dv, "alpha"), key="dense_a", config=NO_BAR)


def learns_panel(data: Data, loaded: Loaded) -> None:
    history = loaded.result.history
    if not history:
        st.info(_("This model file carries no training history."))
        return
    st.markdown(
        _(
            "Attention is learnable because its parameters a_src and a_dst receive gradients from the loss. "
            "Here, per epoch of this model's training: their gradient norm and how far they moved from "
            "their initial values."
        )
    )
    st.plotly_chart(learning_figure(history), key="learn", config=NO_BAR)
    last = history[-1]
    st.caption(
        _(
            "After {epochs} epochs the attention parameters are {change} away from where they started (in "
            "L2 norm); the last gradient norm was {grad:.2e}."
        ).format(epochs=last.epoch, change=fmt(last.att_change), grad=last.att_grad_norm)
    )
    config, seed = loaded.result.config, loaded.result.seed
    for paragraph in learns_story(lessons(), data.name):
        st.markdown(paragraph)
    base = config.replace(attention="learned")
    rows = [
        (_("attention learned"), (data.name, base, seed)),
        (_("attention frozen at initialisation"), (data.name, base.replace(attention="frozen"), seed)),
        (_("uniform attention (Const-GAT)"), (data.name, base.replace(attention="uniform"), seed)),
    ]
    order = {"learned": 0, "frozen": 1, "uniform": 2}[config.attention]
    rows.insert(0, rows.pop(order))  # the model in use first
    st.markdown(
        _("**These three, one run each** (the same seed and everything else; the first is the model in use):")
    )
    models = twins(resources.store(), data, rows, N_("ablation models"))
    compare_sentences(data, rows, models, seed, _("the model in use"))


def static_panel(data: Data, loaded: Loaded, node: int) -> None:
    """Static vs dynamic attention: how the node and its in-neighbours rank the sources they share,
    under GAT and under GATv2 (the model in use and its twin of the other kind, the same seed)."""
    config, seed = loaded.result.config, loaded.result.seed
    st.markdown(
        _(
            "**Static vs dynamic attention.** GAT's score is LeakyReLU(a_srcᵀWh_j + a_dstᵀWh_i). For one "
            "target i the second term is a constant and LeakyReLU only rises, so i ranks its sources by "
            "a_srcᵀWh_j alone: every node that shares two sources puts them in the same order. GATv2 "
            "scores aᵀLeakyReLU(W_l h_j + W_r h_i): the nonlinearity comes before a, and the order can "
            "depend on i (Brody, Alon & Yahav, ICLR 2022)."
        )
    )
    base = config if config.attention != "uniform" else config.replace(attention="learned")
    activation = "leaky_relu" if base.activation == "prelu" else base.activation  # GATv2 has no PReLU
    v2, gat = base.replace(layer="gatv2", activation=activation), base.replace(layer="gat")
    rows = [("GAT", (data.name, gat, seed)), ("GATv2", (data.name, v2, seed))]
    if config.layer == "gatv2":
        rows.reverse()  # the model in use first
    loaded_twins = twins(resources.store(), data, rows, N_("GAT / GATv2 model"))
    models = dict(zip((label for label, _key in rows), loaded_twins))
    heads = loaded.result.model.layers[0].heads
    head = st.selectbox(
        _("Layer-1 head"), list(range(heads)), format_func=lambda h: _("head {head}").format(head=h + 1),
        key="static_head",
    )  # fmt: skip
    cols = st.columns(2)
    for col, (label, _key) in zip(cols, rows):
        model = models.get(label)
        with col:
            if model is None:
                st.caption(_("{model}: not trained yet (button above).").format(model=label))
                continue
            trace = model.outputs.traces[0]
            view = model.cached(("rank", node, head), lambda t=trace: rank_view(t, node, head))
            whole = model.cached(("disagree", 0), lambda t=trace: disagreement(t.edge_index, t.scores))
            st.plotly_chart(
                rank_figure(view, _("{model}: rank each target gives each source").format(model=label)),
                key=f"rank-{label}", config=NO_BAR,
            )  # fmt: skip
            st.markdown(rank_sentence(view, label))
            st.metric(
                _("{model}, whole graph, layer 1, all heads: opposite orders").format(model=label),
                fmt(whole.share, ".2%"),
                help=_(
                    "Over all {pairs} pairs of target nodes sharing at least two sources, every pair of "
                    "shared sources and every head ({cases} comparisons): the share ranked in opposite "
                    "orders. 0 for GAT with a positive slope (the theorem)."
                ).format(pairs=whole.pairs, cases=whole.cases),
            )
    st.caption(
        _(
            "Rows: the node and up to 11 in-neighbours (most shared sources first); columns: up to 30 "
            "sources, sorted by the source's own term (a_srcᵀWh_j, or aᵀW_l h_j in GATv2). A cell is the "
            "rank among all of the row's incoming edges (1 = highest e_ij). One run each (seed shown above)."
        )
    )


def entropy_panel(data: Data, loaded: Loaded, node: int, layer: int, head: int | str) -> None:
    out = loaded.outputs
    ent = out.entropy[layer]
    values = (ent.mean(1) if head in ("mean", "max") else ent[:, head]).numpy()
    deg = out.in_degree.numpy()
    uniform = np.log(np.maximum(deg, 1))
    if head in ("mean", "max"):
        first = _("Layer {layer}, mean over heads: one point per node.").format(layer=layer + 1)
    else:
        first = _("Layer {layer}, head {head}: one point per node.").format(layer=layer + 1, head=head + 1)
    rest = _(
        "On the dashed line attention is spread evenly over the incoming edges (self loop included); "
        "below it the node favours some neighbours. Click a point to centre it; to list several nodes, "
        "choose box or lasso select in the chart's toolbar (top right) and drag."
    )
    st.markdown(f"{first} {rest}")
    gap = st.toggle(
        _("Plot the gap to uniform (entropy − log(in-degree))"), key="entropy_gap",
        help=_(
            "On Cora attention is so close to uniform that the points hug y = x; the gap spreads them out."
        ),
    )  # fmt: skip
    fig = loaded.cached(
        ("entropy", layer, head, node, gap, current()), lambda: entropy_scatter(values, deg, node, gap)
    )
    key = f"entropy-{layer}-{head}-{int(gap)}-{st.session_state.get('picks', 0)}"
    chart, side = st.columns([1.6, 1])
    with chart:
        event = st.plotly_chart(
            fig, key=key, on_select=functools.partial(_on_entropy_select, key),
            selection_mode=("points", "box", "lasso"), config={"displaylogo": False},
        )  # fmt: skip
    with side:
        here = _(
            "Node {node}: entropy {entropy} nats against {uniform} for uniform ({count} incoming edges)."
        )
        here = here.format(
            node=node, entropy=fmt(values[node]), uniform=fmt(uniform[node]), count=int(deg[node])
        )
        st.markdown(f"{uniformity_sentence(values, uniform)}  \n{here}")
        picked, click = entropy_selection(event)
        if picked and not click:
            _selected_table(data, loaded, picked, values, uniform, deg, f"{key}-rows")


def _selected_table(
    data: Data, loaded: Loaded, nodes: list[int], values: np.ndarray, uniform: np.ndarray,
    deg: np.ndarray, key: str,
) -> None:  # fmt: skip
    """The selected nodes, most peaked attention first; a row click centres the node."""
    ids = np.asarray(nodes)
    ratio = np.divide(values[ids], uniform[ids], out=np.ones(len(ids)), where=uniform[ids] > 0)
    order = np.argsort(ratio, kind="stable")[:SELECTED_MAX]
    ids = ids[order]
    names = np.array([class_name(n) for n in data.class_names])
    pred = loaded.outputs.pred.numpy()
    table = pd.DataFrame(
        {_("node"): ids, _("share of uniform"): tidy(ratio[order], 3), _("entropy"): tidy(values[ids], 3),
         _("in-degree"): deg[ids], _("true"): names[data.y.numpy()[ids]], _("predicted"): names[pred[ids]]}
    )  # fmt: skip
    if len(nodes) > SELECTED_MAX:
        text = _(
            "{count} nodes selected (the {max} lowest shares of uniform listed). Click a row to centre it."
        ).format(count=len(nodes), max=SELECTED_MAX)
    else:
        text = _("{count} nodes selected. Click a row to centre it.").format(count=len(nodes))
    st.caption(text)
    st.dataframe(
        table, hide_index=True, height=min(36 + 35 * len(ids), 320), key=key,
        on_select=functools.partial(_on_row_select, key, [int(i) for i in ids]), selection_mode="single-row",
    )  # fmt: skip


def _on_entropy_select(key: str) -> None:
    nodes, click = entropy_selection(st.session_state.get(key))
    if click and first_answer(st.session_state, key):
        centre(st.session_state, nodes[0])


def _on_row_select(key: str, ids: list[int]) -> None:
    state = st.session_state.get(key)
    rows = getattr(getattr(state, "selection", None), "rows", None) or []
    if rows and 0 <= rows[0] < len(ids) and first_answer(st.session_state, key):
        centre(st.session_state, ids[rows[0]])


def _act_label(config: GATConfig) -> str:
    if config.activation == "prelu":
        return _("PReLU, learned slopes from {slope:g}").format(slope=config.negative_slope)
    return "ReLU" if config.activation == "relu" else f"LeakyReLU α={config.negative_slope:g}"


def _first(values: np.ndarray, k: int = 4) -> str:
    shown = ", ".join(fmt(v) for v in values[:k])
    return shown + (", …" if len(values) > k else "")
