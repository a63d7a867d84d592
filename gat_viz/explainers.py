"""Explainers from the ecosystem, side by side with attention and the exact drop-one effect.

Thin adapters over `torch_geometric.explain.Explainer`: `GNNExplainer`, `AttentionExplainer`
and `CaptumExplainer("IntegratedGradients")` (the `captum` package). Each returns an edge mask;
we keep its values on the selected node's incoming edges (self loop excluded: none of these
methods scores the self loops that GATConv adds) and line them up with layer 2's attention α
and `explain.drop_one`'s effect, plus Spearman rank correlations between every pair.

They run on the model's `to_pyg()` twin (PyG's `GATConv` layers, which the explainers hook
into: AttentionExplainer reads the `alpha` GATConv passes to `message`, GNNExplainer and
Captum mask the messages) restricted to the node's 2-hop subgraph (`k_hop_subgraph`). The
twin's output there equals the full graph's output at the node: a two-layer GAT sees nothing
further away.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import torch

from gat_viz import explain
from gat_viz.data import Graph as Data
from gat_viz.i18n import N_
from gat_viz.layers import k_hop_subgraph, remove_self_loops
from gat_viz.model import GAT

METHODS = ("GNNExplainer", "AttentionExplainer", "IntegratedGradients")

# What each column measures, one sentence each (the UI shows these).
DESCRIPTIONS = {  # N_: translated where shown (gat_viz.ui.why)
    "alpha": N_(
        "Layer 2's attention α on the edge (mean over heads): the weight of the neighbour's "
        "message in the node's output."
    ),
    "effect": N_(
        "How much the predicted class's probability falls when this edge alone is removed and "
        "the model runs again (exact; negative: the edge worked against the prediction)."
    ),
    "GNNExplainer": N_(
        "A soft mask over edges, trained for a fixed number of steps to keep the "
        "prediction with as few edges as possible (Ying et al., 2019); random start, so seeded."
    ),
    "AttentionExplainer": N_(
        "The model's own attention coefficients, maximised over both layers and "
        "all heads (PyG's default reduction): no extra computation, no counterfactual."
    ),
    "IntegratedGradients": N_(
        "Gradient of the predicted class's log-probability with respect to each "
        "edge's weight, integrated from all edges off to all edges on (Sundararajan et al., 2017)."
    ),
}

OnProgress = Callable[[int, int, str], None]  # (done, total, what runs next)


@dataclass(frozen=True)
class Comparison:
    """One row per incoming edge j → node (self loop excluded), sorted by α descending."""

    node: int
    table: pd.DataFrame  # source, alpha, effect, one column per method
    correlations: pd.DataFrame  # Spearman rank correlations between the score columns
    seconds: dict[str, float] = field(default_factory=dict)  # per method, wall time

    @property
    def columns(self) -> list[str]:
        return [c for c in self.table.columns if c != "source"]


def _explainer(model: torch.nn.Module, method: str, epochs: int, steps: int):  # type: ignore[no-untyped-def]
    from torch_geometric.explain import Explainer
    from torch_geometric.explain.algorithm import AttentionExplainer, CaptumExplainer, GNNExplainer

    if method == "GNNExplainer":
        algorithm = GNNExplainer(epochs=epochs)
    elif method == "AttentionExplainer":
        algorithm = AttentionExplainer()
    elif method == "IntegratedGradients":
        algorithm = CaptumExplainer("IntegratedGradients", n_steps=steps)
    else:
        raise ValueError(f"unknown explainer {method!r}: choose from {', '.join(METHODS)}")
    return Explainer(
        model=model,
        algorithm=algorithm,
        explanation_type="model",  # explain the model's own prediction
        node_mask_type=None,
        edge_mask_type="object",  # one score per edge
        model_config=dict(mode="multiclass_classification", task_level="node", return_type="log_probs"),
    )


def edge_masks(
    model: GAT,
    data: Data,
    node: int,
    methods: tuple[str, ...] = METHODS,
    *,
    seed: int = 0,
    epochs: int = 100,
    steps: int = 50,
    on_progress: OnProgress | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, float]]:
    """(sources (m,), {method: scores (m,)}, {method: seconds}) for the m incoming edges of
    `node` other than its self loop, in the order of `data.edge_index`; `on_progress(done,
    total, next)` is called before each method and once at the end. GNNExplainer runs
    `epochs` optimisation steps from a random start drawn under `seed`; Integrated Gradients
    uses `steps` points on the path."""
    node = explain._check_node(data, node)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown explainer {unknown[0]!r}: choose from {', '.join(METHODS)}")
    subset, edge_index, mapping, _ = k_hop_subgraph(
        node, 2, data.edge_index, relabel_nodes=True, num_nodes=int(data.num_nodes)
    )
    # GATConv replaces self loops anyway; AttentionExplainer lines its mask up with the input
    # edges only when there are none (it keeps the first E of GATConv's E' + N coefficients).
    edge_index, _ = remove_self_loops(edge_index)  # (2, E_sub)
    x = data.x[subset]  # (n, F)
    centre = int(mapping[0])
    incoming = edge_index[1] == centre  # (E_sub,)
    sources = subset[edge_index[0, incoming]]  # (m,) original ids
    scores: dict[str, torch.Tensor] = {}
    seconds: dict[str, float] = {}
    for done, method in enumerate(methods):
        if on_progress is not None:
            on_progress(done, len(methods), method)
        start = time.perf_counter()
        if not bool(incoming.any()):
            scores[method] = torch.empty(0)
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                # A fresh twin per method: GNNExplainer leaves its layers in a state in which
                # Captum's edge mask no longer reaches the output (seen with PyG 2.8.1).
                twin = model.to_pyg().eval()
                explanation = _explainer(twin, method, epochs, steps)(x, edge_index, index=centre)
            scores[method] = explanation.edge_mask.detach()[incoming].float()  # (m,)
        seconds[method] = time.perf_counter() - start
    if on_progress is not None:
        on_progress(len(methods), len(methods), "done")
    return sources, scores, seconds


def compare(
    model: GAT,
    data: Data,
    node: int,
    methods: tuple[str, ...] = METHODS,
    *,
    seed: int = 0,
    on_progress: OnProgress | None = None,
) -> Comparison:
    """Attention, drop-one effect and each explainer's score on the same edges, with Spearman
    rank correlations (NaN where a column is constant or there are fewer than two edges)."""
    sources, scores, seconds = edge_masks(model, data, node, methods, seed=seed, on_progress=on_progress)
    w = explain.why(model, data, node)
    alpha = w.contributions[w.contributions["source"] != node].groupby("source")["alpha"].sum()
    effect = explain.drop_one(model, data, node).set_index("source")["effect"]
    table = pd.DataFrame({"source": sources.numpy()})
    table["alpha"] = table["source"].map(alpha)
    table["effect"] = table["source"].map(effect)
    for method in methods:
        table[method] = scores[method].numpy()
    table = table.sort_values(["alpha", "source"], ascending=[False, True], ignore_index=True)
    numeric = table.drop(columns="source")
    # Spearman's ρ is Pearson's r of the (average) ranks: pandas' method="spearman" imports
    # scipy.stats for it, half a second on the page's first "Why?".
    correlations = numeric.rank().corr() if len(table) > 1 else _nan_matrix(numeric.columns)
    return Comparison(node, table, correlations, seconds)


def _nan_matrix(columns: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(float("nan"), index=columns, columns=columns)
