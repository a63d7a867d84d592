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
import pandas as pd
import scipy.sparse as sp
import torch
from torch import Tensor

from gat_viz.attention import entropy, in_degree, relative_to_uniform, select_heads
from gat_viz.data import Graph, split_of
from gat_viz.graph import MAX_NODES, Neighbourhood, computation_graph, neighbourhood
from gat_viz.i18n import N_
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
def model_outputs(model: GAT, data: Graph) -> ModelOutputs:
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
    edge_layer: np.ndarray  # (m,) 0-based layer whose attention each drawn edge shows
    mode: str = "one layer"  # or "computation graph"

    @property
    def layers_drawn(self) -> tuple[int, ...]:
        return tuple(sorted({int(v) for v in self.edge_layer})) or (self.layer,)


def node_view(
    out: ModelOutputs,
    centre: int,
    hops: int,
    layer: int,
    head: int | str,
    order_key: np.ndarray | None = None,
    max_nodes: int = MAX_NODES,
    only: np.ndarray | None = None,
) -> NodeView:
    if not 0 <= layer < out.layers:
        raise ValueError(f"layer must be 1..{out.layers}")
    alpha = select_heads(out.alpha[layer], head).numpy()  # (E,)
    n = out.probs.size(0)
    nb = neighbourhood(
        out.edge_index, n, centre, hops, order_key=order_key, weight=alpha, max_nodes=max_nodes, only=only
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
        edge_layer=np.full(len(nb.edge_ids), layer, dtype=np.int64),
    )


def layer_heads(out: ModelOutputs, layer: int, head: int | str) -> int | str:
    """The head choice as it applies to `layer`: a head number the layer lacks (layer 2 has
    one output head in the paper's model) falls back to the mean."""
    if isinstance(head, int) and head >= out.heads(layer):
        return "mean"
    return head


def computation_view(
    out: ModelOutputs, centre: int, head: int | str, order_key: np.ndarray | None = None
) -> NodeView:
    """The computation graph of the centre's prediction (see `graph.computation_graph`): layer-2
    attention on the edges into the centre, layer-1 attention on the edges into the centre and
    into each hop-1 node. The self loop outlines show layer 2 for the centre, layer 1 elsewhere."""
    n = out.probs.size(0)
    alpha = [select_heads(out.alpha[k], layer_heads(out, k, head)).numpy() for k in range(2)]  # (E,) each
    rel = [relative_to_uniform(out.edge_index, torch.from_numpy(a), n).numpy() for a in alpha]
    nb = computation_graph(out.edge_index, n, centre, alpha[0], alpha[1], order_key=order_key)
    assert nb.edge_layer is not None
    pick = nb.edge_layer  # (m,) 0 or 1
    edge_alpha = np.where(pick == 1, alpha[1][nb.edge_ids], alpha[0][nb.edge_ids])
    edge_rel = np.where(pick == 1, rel[1][nb.edge_ids], rel[0][nb.edge_ids])
    loops = np.maximum(nb.self_loop_ids, 0)
    self_alpha = np.where(nb.self_loop_ids >= 0, alpha[0][loops], np.nan)
    self_alpha[0] = alpha[1][loops[0]]
    toward = np.full(len(nb.nodes), np.nan)
    into_centre = (nb.dst == 0) & (pick == 1)
    toward[nb.src[into_centre]] = edge_alpha[into_centre]
    toward[0] = self_alpha[0]
    return NodeView(
        nb=nb,
        layer=1,
        head=head,
        edge_alpha=edge_alpha,
        edge_relative=edge_rel,
        self_alpha=self_alpha,
        toward_centre=toward,
        edge_layer=pick,
        mode="computation graph",
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


def inspect(out: ModelOutputs, data: Graph, node: int, layer: int) -> Inspection:
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


def default_node(out: ModelOutputs, data: Graph) -> int:
    """The node the app opens on, by a stated rule (`DEFAULT_RULE`): among the test nodes the
    model gets right with 3 to 8 neighbours and at most 30 nodes within 2 hops (a legible
    picture), the one whose layer-2 attention is least uniform (the largest α × in-degree on
    one incoming edge), so the picture shows a clear preference."""
    ei = out.edge_index
    rel = relative_to_uniform(ei, out.alpha[-1].mean(dim=1), data.num_nodes)  # (E,)
    peak = torch.zeros(data.num_nodes).scatter_reduce_(0, ei[1], rel.float(), "amax")  # (N,)
    deg = out.in_degree - 1  # neighbours, self loop excluded
    n = data.num_nodes
    hop1 = sp.csr_matrix((np.ones(ei.size(1)), (ei[1].numpy(), ei[0].numpy())), shape=(n, n))  # (N, N)
    reach2 = torch.from_numpy(np.diff((hop1 @ hop1).indptr))  # (N,) nodes within 2 hops, itself included
    ok = data.test_mask & (out.pred == data.y) & (deg >= 3) & (deg <= 8) & (reach2 <= 30)
    if not bool(ok.any()):
        return 0
    score = torch.where(ok, peak, torch.full_like(peak, -1.0))
    return int(score.argmax())


DEFAULT_RULE = N_(
    "of the correctly predicted test nodes with 3–8 neighbours and at most 30 nodes within 2 hops, "
    "the one whose layer-2 attention is least uniform"
)


def edge_table(
    out: ModelOutputs, data: Graph, view: NodeView, heads: tuple[int | str, ...] = ()
) -> pd.DataFrame:
    """The drawn view as a table: for every target that receives a drawn edge (and the centre),
    all its incoming edges in that layer, self loop included, so α sums to 1 per (target, layer,
    head); `drawn` tells which are on screen. `heads` overrides the head choice (heads grid)."""
    names = np.array(data.class_names)
    y = data.y.numpy()
    src_all, dst_all = out.edge_index[0].numpy(), out.edge_index[1].numpy()
    centre = int(view.nb.nodes[0])
    frames = []
    for layer in view.layers_drawn:
        picked = view.edge_layer == layer
        drawn_ids = view.nb.edge_ids[picked]
        targets = np.union1d(view.nb.nodes[view.nb.dst[picked]], [centre])
        mask = np.isin(dst_all, targets)
        ids = np.flatnonzero(mask)
        n = data.num_nodes
        for head in heads or (layer_heads(out, layer, view.head),):
            alpha = select_heads(out.alpha[layer], head)  # (E,)
            rel = relative_to_uniform(out.edge_index, alpha, n).numpy()
            frames.append(
                pd.DataFrame(
                    {
                        "source": src_all[ids],
                        "target": dst_all[ids],
                        "layer": layer + 1,
                        "head": head if isinstance(head, str) else head + 1,
                        "alpha": alpha.numpy()[ids],
                        "alpha_x_uniform": rel[ids],
                        "source_label": names[y[src_all[ids]]],
                        "target_label": names[y[dst_all[ids]]],
                        "drawn": np.isin(ids, drawn_ids) | (src_all[ids] == dst_all[ids]),
                    }
                )
            )
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["layer", "head", "target", "source"], key=_sort_key, ignore_index=True)


def _sort_key(col: pd.Series) -> pd.Series:
    return col.astype(str) if col.name == "head" else col
