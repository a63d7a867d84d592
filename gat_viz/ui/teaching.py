"""Teaching views: ReLU vs LeakyReLU, the attention math step by step, attention learning,
and entropy against uniform. Every number comes from the model in use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from torch_geometric.data import Data

from gat_viz.attention import uniform_entropy
from gat_viz.teaching import activation_curves, compare_scores, dead_share, dense_view, walkthrough
from gat_viz.teaching_plots import (
    activation_figure,
    dense_figure,
    entropy_figure,
    learning_figure,
    score_comparison_figure,
)
from gat_viz.ui import resources
from gat_viz.ui.jobs import Key, Loaded, ModelStore

DENSE_MAX = 12  # nodes in the dense N×N view


def relu_panel(data: Data, loaded: Loaded, node: int, layer: int, head: int) -> None:
    config = loaded.result.config
    slope = config.negative_slope if config.negative_slope > 0 else 0.2
    st.markdown(
        "**The dying-ReLU problem.** ReLU sends every negative score to 0 with zero gradient: those "
        "neighbours tie and the loss cannot move them apart. A small negative slope α keeps a "
        "gradient (α) flowing, so attention can still learn from them."
    )
    st.plotly_chart(
        activation_figure(activation_curves(slope), slope), key="act", config={"displayModeBar": False}
    )
    conv = loaded.result.model.layers[layer]
    if conv.prelu_weight is not None:
        learned = ", ".join(f"{v:.3f}" for v in conv.prelu_weight.tolist())
        st.caption(f"This PReLU model learned, per head of layer {layer + 1}: α = {learned}")
    t = loaded.outputs.traces[layer]
    cmp = compare_scores(t, node, head, slope)
    k = len(cmp.raw)
    st.markdown(
        f"Node {node}, layer {layer + 1}, head {head + 1}: **{cmp.dead} of its {k} incoming edges** "
        f"have a negative raw score a_src·Wh_j + a_dst·Wh_i. Under ReLU they tie at 0 and get no "
        f"gradient; LeakyReLU(α={slope:g}) keeps them apart."
    )
    st.plotly_chart(score_comparison_figure(cmp), key="cmp", config={"displayModeBar": False})
    table = pd.DataFrame(
        {"source": cmp.sources, "raw": cmp.raw, "ReLU": cmp.relu, f"LeakyReLU {slope:g}": cmp.leaky,
         "α ReLU": cmp.alpha_relu, "α LeakyReLU": cmp.alpha_leaky}
    ).sort_values("raw", ascending=False)  # fmt: skip
    st.dataframe(table, hide_index=True, height=min(36 + 35 * k, 250))
    share = dead_share(t)
    st.metric(f"Whole graph, layer {layer + 1}: raw scores < 0 (dead under ReLU)", f"{share:.1%}")
    st.markdown("**Trained with each, everything else equal** (seed included):")
    leaky = config.replace(activation="leaky_relu", negative_slope=slope)
    twins(
        resources.store(), data,
        [(f"LeakyReLU α={slope:g}", (data.name, leaky, loaded.result.seed)),
         ("ReLU", (data.name, config.replace(activation="relu"), loaded.result.seed))],
        "ReLU / LeakyReLU model",
    )  # fmt: skip


def math_panel(data: Data, loaded: Loaded, node: int, layer: int, head: int) -> None:
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
        f"Node {node} (i), layer {layer + 1}, head {head + 1}, over its {len(w.sources)} incoming "
        "edges j (self loop included)."
    )
    c1, c2 = st.columns(2)
    with c1:
        st.latex(rf"e_{{ij}} = \mathrm{{{act}}}\big(a_{{src}}^\top W h_j + a_{{dst}}^\top W h_i\big)")
        st.latex(r"\alpha_{ij} = \frac{\exp e_{ij}}{\sum_{l \in \mathcal{N}(i)} \exp e_{il}}")
        st.latex(r"h'_i = \sum_{j \in \mathcal{N}(i)} \alpha_{ij}\, W h_j")
    with c2:
        st.markdown(
            f"W h_i = [{_first(w.wh_i)}], "
            f"‖W h_i‖ = {np.linalg.norm(w.wh_i):.3f}  \n"
            f"a_dst · W h_i = **{w.dst_term:.4f}** (the same for every j)  \n"
            f"h'_i (this head) = [{_first(w.head_out)}]"
        )
    rows = pd.DataFrame(
        {"j": w.sources, "W h_j (first 3)": [_first(v, 3) for v in w.wh_j],
         "‖W h_j‖": np.linalg.norm(w.wh_j, axis=1), "a_src·W h_j": w.src_term,
         "raw = sum of halves": w.raw, f"e_ij ({act})": w.scores, "α_ij": w.alpha}
    )  # fmt: skip
    st.dataframe(rows, hide_index=True, height=min(36 + 35 * len(rows), 280))
    combine = "concatenated, + bias, then ELU" if layer == 0 else "averaged over heads, + bias"
    st.markdown(
        f"All heads {combine}: [{_first(w.layer_out, 6)}]  \n"
        f"Logits [{_first(w.logits, len(w.logits))}] → softmax: "
        f"**{data.class_names[int(np.argmax(w.probs))]}** with {w.probs.max():.1%}"
    )
    ok = w.max_diff < 1e-4
    (st.success if ok else st.error)(
        f"This walk-through reproduces the model's own forward pass: max |difference| = {w.max_diff:.1e}"
    )
    hood = np.unique(np.concatenate([[node], w.sources]))
    if len(hood) <= DENSE_MAX:
        dv = dense_view(loaded.outputs.traces[layer], hood, head)
        st.markdown(
            "**The dense view textbook code uses**: the masked N×N score matrix (blank = −∞, no edge) "
            f"and its row-wise softmax. Against the edge-list α: max |difference| = {dv.max_diff:.1e}."
        )
        d1, d2 = st.columns(2)
        d1.plotly_chart(dense_figure(dv.scores, dv.nodes, "e_ij (−∞ off the edges)"), key="dense_e")
        d2.plotly_chart(dense_figure(dv.alpha, dv.nodes, "α_ij = softmax per row"), key="dense_a")
    else:
        st.caption(f"The dense N×N view is shown for nodes with at most {DENSE_MAX - 1} neighbours.")


def learns_panel(data: Data, loaded: Loaded) -> None:
    history = loaded.result.history
    if not history:
        st.info("This model file carries no training history.")
        return
    st.markdown(
        "Attention is learnable because its parameters a_src and a_dst receive gradients from the loss. "
        "Here, per epoch of this model's training: their gradient norm and how far they moved from their "
        "initial values."
    )
    st.plotly_chart(learning_figure(history), key="learn", config={"displayModeBar": False})
    last = history[-1]
    st.caption(
        f"After {last.epoch} epochs the attention parameters are {last.att_change:.3f} away from where they "
        f"started (in L2 norm); the last gradient norm was {last.att_grad_norm:.2e}."
    )
    config, seed = loaded.result.config, loaded.result.seed
    st.markdown("**The ablation**: the same GAT with a_src, a_dst frozen at their initial values.")
    learned, frozen = twins(
        resources.store(), data,
        [("attention learned", (data.name, config.replace(learn_attention=True), seed)),
         ("attention frozen at initialisation", (data.name, config.replace(learn_attention=False), seed))],
        "ablation model",
    )  # fmt: skip
    if learned is not None and frozen is not None:
        gap = learned.result.test_acc - frozen.result.test_acc
        st.markdown(
            f"Learning the attention changes test accuracy by **{gap:+.1%}** here: frozen attention is "
            "still a softmax over random scores, close to a fixed weighted mean of the neighbours, and on "
            "Cora, where neighbours mostly share a label, that already works nearly as well."
        )


def entropy_panel(data: Data, loaded: Loaded, node: int, layer: int, head: int | str) -> None:
    out = loaded.outputs
    ent = out.entropy[layer]
    values = (ent.mean(1) if head in ("mean", "max") else ent[:, head]).numpy()
    uniform = uniform_entropy(out.edge_index, data.num_nodes).numpy()
    label = "mean over heads" if head in ("mean", "max") else f"head {head + 1}"
    st.plotly_chart(
        entropy_figure(values, uniform, float(values[node])), key="entropy", config={"displayModeBar": False}
    )
    gap = float(np.mean(uniform - values))
    st.markdown(
        f"Layer {layer + 1}, {label}: the learned attention's entropy is on average **{gap:.3f} nats** below "
        f"uniform (node {node}: {values[node]:.3f} vs {uniform[node]:.3f}). On Cora neighbours mostly share "
        "a label, so averaging them evenly already works; attention has little reason to pick favourites "
        "and stays close to uniform."
    )


def _first(values: np.ndarray, k: int = 4) -> str:
    shown = ", ".join(f"{v:.3f}" for v in values[:k])
    return shown + (", …" if len(values) > k else "")


def twins(store: ModelStore, data: Data, rows: list[tuple[str, Key]], what: str) -> list[Loaded | None]:
    """Models that differ in one setting, side by side: loaded from memory or disk, or trained
    on request with progress. Returns the loaded ones (None where missing)."""
    loaded = [store.get(key, data) for _, key in rows]
    table = []
    for (label, _), model in zip(rows, loaded):
        if model is None:
            table.append({"model": label, "test accuracy": "not trained yet"})
            continue
        first = model.outputs.traces[0]
        table.append(
            {
                "model": label,
                "test accuracy": f"{model.result.test_acc:.1%}",
                "raw scores < 0, layer 1": f"{dead_share(first):.1%}",
                "mean attention entropy, layer 1": f"{float(model.outputs.entropy[0].mean()):.3f} nats",
            }
        )
    st.table(pd.DataFrame(table).set_index("model"))
    missing = [key for (_, key), model in zip(rows, loaded) if model is None]
    if missing:
        if any(job is not None and job.running for job in map(store.job, missing)):
            _twin_progress(store, missing)
        else:
            st.button(
                f"Train the missing {what} (about 10 s each)",
                key=f"train-{what}",
                on_click=lambda: [store.start(k, data) for k in missing],
            )
    return loaded


@st.fragment(run_every=1.0)
def _twin_progress(store: ModelStore, keys: list[Key]) -> None:
    jobs = [store.job(k) for k in keys]
    if not any(j is not None and j.running for j in jobs):
        st.rerun()
    for j in jobs:
        if j is not None:
            st.caption(f"{j.key[1].label()}: {j.state}, epoch {j.epoch}")
