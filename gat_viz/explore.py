"""What the explorer shows for one centre node, computed once per (model, node, hops) and
independent of Streamlit: the neighbourhood, the attention on its edges, predictions.

Shapes: N nodes, E edges with self loops (GATConv order), H heads, K classes; n and m are the
nodes and edges drawn.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Data

from gat_viz.attention import entropy, in_degree, relative_to_uniform, select_heads
from gat_viz.data import split_of
from gat_viz.graph import MAX_NODES, Neighbourhood, neighbourhood
from gat_viz.layers import AttentionTrace
from gat_viz.model import GAT


@dataclass(frozen=True)
class ModelOutputs:
    """Everything per model that every view needs: computed once, eval mode, no gradients."""

    traces: tuple[AttentionTrace, ...]  # per layer, every intermediate (see GATLayer.trace)
    edge_index: Tensor  # (2, E) self loops included, GATConv order; same for both layers
    alpha: tuple[Tensor, ...]  # per layer (E, H)
    probs: Tensor  # (N, K)
    pred: Tensor  # (N,)
    in_degree: Tensor  # (N,) incoming edges, self loop included
    entropy: tuple[Tensor, ...]  # per layer (N, H), nats

    @property
    def layers(self) -> int:
        return len(self.alpha)

    def heads(self, layer: int) -> int:
        return int(self.alpha[layer].size(1))


@torch.no_grad()
def model_outputs(model: GAT, data: Data) -> ModelOutputs:
    """One traced forward pass gives attention, raw scores and the class probabilities."""
    model.eval()
    traces = tuple(model.trace(data.x, data.edge_index))
    edge_index = traces[0].edge_index
    probs = torch.softmax(traces[-1].out, dim=-1)  # the last layer's output is the logits
    n = data.num_nodes
    alphas = tuple(t.alpha for t in traces)
    return ModelOutputs(
        traces=traces,
        edge_index=edge_index,
        alpha=alphas,
        probs=probs,
        pred=probs.argmax(dim=-1),
        in_degree=in_degree(edge_index, n),
        entropy=tuple(entropy(edge_index, a, n) for a in alphas),
    )


@dataclass(frozen=True)
class NodeView:
    """One centre node, hops, layer and head: the drawing's data and the inspector's."""

    nb: Neighbourhood
    layer: int  # 0-based
    head: int | str
    edge_alpha: np.ndarray  # (m,) α of each drawn edge j → i
    edge_relative: np.ndarray  # (m,) α × in-degree(i): 1 = uniform
    self_alpha: np.ndarray  # (n,) α of each drawn node's self loop
    toward_centre: np.ndarray  # (n,) α on the node's edge into the centre (NaN if none)


def node_view(
    out: ModelOutputs,
    centre: int,
    hops: int,
    layer: int,
    head: int | str,
    order_key: np.ndarray | None = None,
    max_nodes: int = MAX_NODES,
) -> NodeView:
    if not 0 <= layer < out.layers:
        raise ValueError(f"layer must be 1..{out.layers}")
    alpha = select_heads(out.alpha[layer], head).numpy()  # (E,)
    n = out.probs.size(0)
    nb = neighbourhood(
        out.edge_index, n, centre, hops, order_key=order_key, weight=alpha, max_nodes=max_nodes
    )
    relative = relative_to_uniform(out.edge_index, torch.from_numpy(alpha), n).numpy()  # (E,)
    edge_alpha = alpha[nb.edge_ids]
    self_alpha = np.where(nb.self_loop_ids >= 0, alpha[np.maximum(nb.self_loop_ids, 0)], np.nan)
    toward = np.full(len(nb.nodes), np.nan)
    into_centre = nb.dst == 0
    toward[nb.src[into_centre]] = edge_alpha[into_centre]
    toward[0] = self_alpha[0]
    return NodeView(
        nb=nb,
        layer=layer,
        head=head,
        edge_alpha=edge_alpha,
        edge_relative=relative[nb.edge_ids],
        self_alpha=self_alpha,
        toward_centre=toward,
    )


@dataclass(frozen=True)
class NeighbourRow:
    node: int
    label: str
    predicted: str
    alpha_by_head: tuple[float, ...]
    alpha_mean: float
    relative: float  # mean α × in-degree of the centre


@dataclass(frozen=True)
class Inspection:
    """The node inspector: one node's prediction and what it attended to."""

    node: int
    split: str
    true_label: str
    predicted: str
    correct: bool
    probs: tuple[float, ...]  # (K,)
    in_degree: int  # incoming edges incl. the self loop
    neighbours: tuple[NeighbourRow, ...]  # sorted by mean α, descending (self loop included)
    label_mix: dict[str, int]  # labels of the neighbours (self loop excluded)
    entropy: tuple[float, ...]  # per head, nats, of the chosen layer
    uniform_entropy: float  # log(in_degree)


def inspect(out: ModelOutputs, data: Data, node: int, layer: int) -> Inspection:
    names = data.class_names
    y = data.y
    mask = out.edge_index[1] == node
    sources = out.edge_index[0, mask]
    alpha = out.alpha[layer][mask]  # (k, H)
    deg = int(out.in_degree[node])
    rows = [
        NeighbourRow(
            node=int(j),
            label=names[int(y[j])],
            predicted=names[int(out.pred[j])],
            alpha_by_head=tuple(float(a) for a in alpha[r]),
            alpha_mean=float(alpha[r].mean()),
            relative=float(alpha[r].mean()) * deg,
        )
        for r, j in enumerate(sources.tolist())
    ]
    rows.sort(key=lambda row: (-row.alpha_mean, row.node))
    mix = Counter(names[int(y[j])] for j in sources.tolist() if j != node)
    return Inspection(
        node=node,
        split=split_of(data, node),
        true_label=names[int(y[node])],
        predicted=names[int(out.pred[node])],
        correct=bool(out.pred[node] == y[node]),
        probs=tuple(float(p) for p in out.probs[node]),
        in_degree=deg,
        neighbours=tuple(rows),
        label_mix=dict(mix.most_common()),
        entropy=tuple(float(e) for e in out.entropy[layer][node]),
        uniform_entropy=math.log(max(deg, 1)),
    )
