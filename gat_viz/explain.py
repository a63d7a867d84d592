r"""Why did the model predict this? Exact neighbour contributions, what-ifs and attention's effect.

Layer 2 averages its H₂ heads and adds a bias, so the logits of a node i split exactly over its
incoming edges (self loop included):

.. math::
    z_i = \frac{1}{H_2}\sum_{k=1}^{H_2} \sum_{j \in N(i)} \alpha^{k}_{ij} W^{k} h_j + b
        = \sum_{j \in N(i)} \underbrace{\frac{1}{H_2}\sum_k \alpha^{k}_{ij} W^{k} h_j}_{c_{ij}} + b

where h_j is the ELU of layer 1's output. `why` returns the c_ij, `what_if` runs the whole
two-layer model again on an edited graph (edges removed, or constant attention
α_ij = 1/|N(i)| in both layers: the paper's Const-GAT) and `attention_effect` counts the
predictions that learned attention changes relative to uniform attention.

Speed: a two-layer GAT's output at i depends only on its receptive field: layer 2's edges
into i, layer 1's edges into i's in-neighbours, and the features of their sources. The
what-ifs run on that field only, and `drop_one` runs every single-edge removal at once as
disjoint copies of the field (one copy per neighbour) in one batched pass.

PyG's edge convention throughout: `edge_index[0]` is the source j, `edge_index[1]` the target
i; the attention of a target sums to 1 over its incoming edges. Edges are in GATConv's order
(input edges without self loops, then one self loop per node). The computation here is the
model's own arithmetic written on edge lists, using the layers' own weights (W, a_src, a_dst,
bias); tests/test_explain.py checks it against the `GATConv` twin (`model.to_pyg()`).

Shapes: N nodes, E edges (self loops included), H heads, C channels per head, K classes,
S scenarios (copies of a receptive field), R slots (nodes of all copies together).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from gat_viz.data import Graph
from gat_viz.layers import GATLayer, replace_self_loops, softmax
from gat_viz.model import GAT

Attention = Literal["learned", "uniform"]
ATTENTIONS = ("learned", "uniform")
SPLITS = ("train", "val", "test")


# --- the graph: GATConv's edge order and a CSR index by target ---------------------------------


@dataclass(frozen=True)
class _Edges:
    edge_index: Tensor  # (2, E) GATConv order, one self loop per node
    order: Tensor  # (E,) edge ids sorted by target (stable: GATConv order within a target)
    ptr: Tensor  # (N+1,) incoming edges of i are order[ptr[i]:ptr[i+1]]
    num_nodes: int

    @classmethod
    def of(cls, data: Graph) -> _Edges:
        n = int(data.num_nodes)
        edge_index = replace_self_loops(data.edge_index.long(), n)  # (2, E)
        order = torch.argsort(edge_index[1], stable=True)  # (E,)
        ptr = torch.zeros(n + 1, dtype=torch.long)
        ptr[1:] = torch.cumsum(torch.bincount(edge_index[1], minlength=n), 0)
        return cls(edge_index, order, ptr, n)

    def incoming(self, nodes: Tensor) -> Tensor:
        """Ids of every edge into `nodes`, node by node, in GATConv order within a node."""
        start, end = self.ptr[nodes], self.ptr[nodes + 1]  # (m,)
        counts = end - start
        base = torch.repeat_interleave(start - torch.cumsum(counts, 0) + counts, counts)
        return self.order[base + torch.arange(int(counts.sum()))]  # (Σ counts,)


_EDGES: dict[int, tuple[Tensor, _Edges]] = {}
_EDGES_LOCK = threading.Lock()  # the app's sessions call in from several threads


def _edges(data: Graph) -> _Edges:
    """`_Edges.of(data)`, remembered for the last few edge tensors (the app asks many times).
    The entry holds the tensor itself, so an id reused by a new tensor is never a false hit."""
    key = id(data.edge_index)
    with _EDGES_LOCK:
        hit = _EDGES.get(key)
    if hit is not None and hit[0] is data.edge_index:
        return hit[1]
    graph = _Edges.of(data)
    with _EDGES_LOCK:
        while len(_EDGES) >= 4:
            _EDGES.pop(next(iter(_EDGES)))
        _EDGES[key] = (data.edge_index, graph)
    return graph


@dataclass(frozen=True)
class _Field:
    """The receptive field of one node, relabelled 0..n-1 (`nodes[local]` is the original id)."""

    node: int
    nodes: Tensor  # (n,) original ids
    target: int  # local id of `node`
    edges1: Tensor  # (2, E1) local ids: layer-1 edges into the in-neighbours of `node` (and itself)
    edges2: Tensor  # (2, E2) local ids: layer-2 edges into `node`, GATConv order
    ids2: Tensor  # (E2,) the layer-2 edges' ids in the full graph's GATConv order


def _field(graph: _Edges, node: int) -> _Field:
    ids2 = graph.incoming(torch.tensor([node]))  # (E2,)
    hop1 = torch.unique(graph.edge_index[0, ids2])  # includes node (self loop)
    ids1 = graph.incoming(hop1)  # (E1,)
    e1 = graph.edge_index[:, ids1]  # (2, E1)
    nodes = torch.unique(e1[0])  # every source; hop1 ⊂ nodes through the self loops
    relabel = torch.full((graph.num_nodes,), -1, dtype=torch.long)
    relabel[nodes] = torch.arange(nodes.numel())
    return _Field(
        node=node,
        nodes=nodes,
        target=int(relabel[node]),
        edges1=relabel[e1],
        edges2=relabel[graph.edge_index[:, ids2]],
        ids2=ids2,
    )


# --- the model's arithmetic on edge lists ------------------------------------------------------


def _attend(
    layer: GATLayer, h: Tensor, src: Tensor, dst: Tensor, index: Tensor, num: int, attention: Attention
) -> tuple[Tensor, Tensor]:
    r"""One layer's attention and messages on an edge list, without dropout.

    `h` (R, H, C) is W h per row; edge e sends from row `src[e]` to row `dst[e]` and is summed
    into output `index[e]` (the same as `dst` on a plain graph; a copy of the target otherwise).

    .. math::
        e_{ij} = \mathrm{LeakyReLU}(a_{src}^\top W h_j + a_{dst}^\top W h_i), \quad
        \alpha_{ij} = \mathrm{softmax}_j(e_{ij}) \ \text{(learned) or } 1/|N(i)| \ \text{(uniform)}

    Returns α (E, H) and the messages α_ij W h_j (E, H, C).
    """
    if attention == "learned":
        score_src = (h * layer.att_src).sum(-1)  # (R, H)  a_src · W h_j
        score_dst = (h * layer.att_dst).sum(-1)  # (R, H)  a_dst · W h_i
        raw = score_src[src] + score_dst[dst]  # (E, H)
        if layer.prelu_weight is not None:
            scores = torch.where(raw >= 0, raw, raw * layer.prelu_weight)  # (E, H)
        else:
            scores = F.leaky_relu(raw, layer.negative_slope)  # (E, H)  e_ij
        alpha = softmax(scores, index, num_nodes=num)  # (E, H)  α_ij
    else:
        degree = torch.bincount(index, minlength=num).to(h.dtype)  # (num,) self loop included
        alpha = (1.0 / degree[index]).unsqueeze(-1).expand(-1, layer.heads)  # (E, H)
    messages = alpha.unsqueeze(-1) * h[src]  # (E, H, C)  α_ij W h_j
    return alpha, messages


def _combine(layer: GATLayer, messages: Tensor, index: Tensor, num: int) -> Tensor:
    """h'_i = Σ_j α_ij W h_j, heads concatenated or averaged, plus the bias."""
    out = messages.new_zeros(num, layer.heads, layer.out_channels)  # (num, H, C)
    out.index_add_(0, index, messages)
    out = out.reshape(num, -1) if layer.concat else out.mean(dim=1)  # (num, H·C) or (num, C)
    return out + layer.bias if layer.bias is not None else out


@dataclass(frozen=True)
class _Run:
    logits: Tensor  # (S, K)
    alpha: Tensor  # (E2, H₂) layer-2 attention on the batch's layer-2 edges
    messages: Tensor  # (E2, H₂, K)


def _forward(
    model: GAT,
    x: Tensor,
    rows: Tensor,
    edges1: Tensor,
    edges2: Tensor,
    out2: Tensor,
    num_out: int,
    attention: Attention,
) -> _Run:
    """The two layers over R slots whose features are `x[rows]`. Layer 1 computes every slot
    that has incoming `edges1` (slot ids, self loops included); layer 2 sums `edges2` (slot
    ids) into output row `out2[e]` of `num_out`, scoring the target by `edges2[1]`."""
    conv1, conv2 = model.conv1, model.conv2
    unique, inverse = torch.unique(rows, return_inverse=True)
    p = conv1.lin(x[unique])[inverse]  # (R, H₁·C₁)  W₁ x, projected once per distinct node
    h = p.view(-1, conv1.heads, conv1.out_channels)  # (R, H₁, C₁)
    num = int(rows.numel())
    _, messages = _attend(conv1, h, edges1[0], edges1[1], edges1[1], num, attention)
    hidden = F.elu(_combine(conv1, messages, edges1[1], num))  # (R, H₁·C₁)
    h2 = conv2.lin(hidden).view(-1, conv2.heads, conv2.out_channels)  # (R, H₂, K)
    alpha, messages = _attend(conv2, h2, edges2[0], edges2[1], out2, num_out, attention)
    return _Run(_combine(conv2, messages, out2, num_out), alpha, messages)


def _scenarios(model: GAT, data: Graph, fields: Sequence[_Field], drops: Sequence[Tensor],
               attention: Attention) -> _Run:  # fmt: skip
    """Run `fields[s]` with the edges between its node and the original ids in `drops[s]`
    (both directions) removed, all scenarios in one batch. Logits (S, K)."""
    rows, e1, e2, out2 = [], [], [], []
    offset = 0
    for s, (f, drop) in enumerate(zip(fields, drops)):
        n = f.nodes.numel()
        gone = torch.isin(f.nodes, drop)  # (n,) local nodes whose edges with f.target go
        src1, dst1 = f.edges1
        keep1 = ~((gone[src1] & (dst1 == f.target)) | (gone[dst1] & (src1 == f.target)))  # (E1,)
        keep2 = ~gone[f.edges2[0]]  # (E2,)
        rows.append(f.nodes)
        e1.append(f.edges1[:, keep1] + offset)
        e2.append(f.edges2[:, keep2] + offset)
        out2.append(torch.full((int(keep2.sum()),), s, dtype=torch.long))
        offset += n
    return _forward(
        model, data.x, torch.cat(rows), torch.cat(e1, 1), torch.cat(e2, 1), torch.cat(out2), len(fields),
        attention,
    )  # fmt: skip


def _copies(model: GAT, data: Graph, f: _Field, drops: Tensor, attention: Attention) -> Tensor:
    """Logits (S, K) of `f.node` with neighbour `drops[s]` removed in copy s (-1: nothing).

    Removing the edges j ↔ i changes layer 1's output only at i (and at j, whose output then
    no longer reaches i), so layer 1 runs once for every node of the field plus once more for
    i per copy, on i's remaining incoming edges; layer 2 runs per copy on i's remaining edges,
    taking i's own hidden vector from the copy. Built with tensor operations, no loop."""
    s, n, t = drops.numel(), f.nodes.numel(), f.target
    gone = f.nodes.unsqueeze(0) == drops.unsqueeze(1)  # (S, n)
    src1, dst1 = f.edges1
    into = src1[dst1 == t]  # (deg,) layer-1 sources of the target
    copy1, e1 = (~gone[:, into]).nonzero(as_tuple=True)  # kept (copy, edge) pairs
    edges1 = torch.cat([f.edges1, torch.stack([into[e1], n + copy1])], 1)  # slot n + c: i in copy c
    rows = torch.cat([f.nodes, f.nodes[t].repeat(s)])  # (n + S,)
    copy2, e2 = (~gone[:, f.edges2[0]]).nonzero(as_tuple=True)
    src2 = f.edges2[0, e2]
    src2 = torch.where(src2 == t, n + copy2, src2)  # the self loop reads the copy's own i
    edges2 = torch.stack([src2, n + copy2])  # (2, Σ kept)
    return _forward(model, data.x, rows, edges1, edges2, copy2, s, attention).logits


# --- the public API ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Why:
    """One node's logits split over its incoming layer-2 edges (see the module docstring)."""

    node: int
    logits: Tensor  # (K,) layer 2's output, heads averaged, bias included
    probs: Tensor  # (K,) softmax(logits): the model's probabilities
    pred: int
    label: int  # the true class
    contributions: pd.DataFrame  # one row per incoming edge: source, alpha, alpha_h*, a column per class
    bias: Tensor  # (K,)
    class_names: tuple[str, ...]

    @property
    def correct(self) -> bool:
        return self.pred == self.label

    @property
    def rival(self) -> int:
        """The class the margin is measured against: the true class when the prediction is
        wrong, else the runner-up."""
        if not self.correct:
            return self.label
        return int(torch.topk(self.logits, 2).indices[1]) if self.logits.numel() > 1 else self.pred

    def margin(self) -> pd.Series:
        """Each edge's share of z_pred − z_rival (the logit margin; the bias has the rest)."""
        names = self.class_names
        return self.contributions[names[self.pred]] - self.contributions[names[self.rival]]


@torch.no_grad()
def why(model: GAT, data: Graph, node: int) -> Why:
    """The exact contribution c_ij of every incoming layer-2 edge j → i to the logits of i."""
    node = _check_node(data, node)
    f = _field(_edges(data), node)
    run = _scenarios(model, data, [f], [torch.empty(0, dtype=torch.long)], "learned")
    names = tuple(_class_names(data, run.logits.size(1)))
    alpha = run.alpha  # (E2, H₂), edges in GATConv order
    table = pd.DataFrame({"source": f.nodes[f.edges2[0]].numpy(), "alpha": alpha.mean(1).numpy()})
    if alpha.size(1) > 1:
        for k in range(alpha.size(1)):
            table[f"alpha_h{k + 1}"] = alpha[:, k].numpy()
    contrib = run.messages.mean(dim=1)  # (E2, K)  mean over heads of α_h W_h h_j
    for c, name in enumerate(names):
        table[name] = contrib[:, c].numpy()
    logits = run.logits[0]
    bias = model.conv2.bias.detach().clone() if model.conv2.bias is not None else torch.zeros_like(logits)
    probs = torch.softmax(logits, -1)
    return Why(node, logits, probs, int(probs.argmax()), int(data.y[node]), table, bias, names)


@torch.no_grad()
def what_if(
    model: GAT,
    data: Graph,
    node: int,
    *,
    drop: Iterable[int] | Literal["all"] = (),
    attention: Attention = "learned",
) -> Tensor:
    """Class probabilities (K,) of `node` after the whole model runs on an edited graph.

    `drop` lists neighbours whose edges with `node` (both directions) are removed; "all"
    removes every one, leaving the self loop: the prediction from the node's features alone.
    `attention="uniform"` sets α_ij = 1/|N(i)| (self loop included) in both layers.
    """
    node = _check_node(data, node)
    _check_attention(attention)
    f = _field(_edges(data), node)
    gone = _check_drop(f, drop)
    logits = _scenarios(model, data, [f], [gone], attention).logits[0]
    return torch.softmax(logits, -1)


@torch.no_grad()
def drop_one(model: GAT, data: Graph, node: int, attention: Attention = "learned") -> pd.DataFrame:
    """Every single-neighbour removal at once: one row per neighbour j ≠ node (sorted by id),
    with the probabilities after removing the edges j ↔ node, the new prediction `pred`, and
    `effect` = p(original prediction) − p(original prediction without j): how much the edge
    supports the prediction (negative: it worked against it). Empty for a node without
    neighbours."""
    node = _check_node(data, node)
    _check_attention(attention)
    f = _field(_edges(data), node)
    neighbours = _neighbours(f)  # (D,)
    drops = torch.cat([torch.tensor([-1]), neighbours])  # copy 0: the unedited graph
    probs = torch.softmax(_copies(model, data, f, drops, attention), -1)  # (D+1, K)
    names = _class_names(data, probs.size(1))
    base = int(probs[0].argmax())
    table = pd.DataFrame(probs[1:].numpy(), columns=names)
    table.insert(0, "source", neighbours.numpy())
    table["pred"] = probs[1:].argmax(-1).numpy()
    table["effect"] = (probs[0, base] - probs[1:, base]).numpy()
    return table


@torch.no_grad()
def probabilities(model: GAT, data: Graph, attention: Attention = "learned") -> Tensor:
    """Class probabilities (N, K) of every node, with learned or uniform attention."""
    _check_attention(attention)
    g = _edges(data)
    n = g.num_nodes
    run = _forward(model, data.x, torch.arange(n), g.edge_index, g.edge_index, g.edge_index[1], n, attention)
    return torch.softmax(run.logits, -1)


def _split_nodes(data: Graph, split: str) -> Tensor:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    return getattr(data, f"{split}_mask").nonzero().view(-1)


@torch.no_grad()
def attention_effect(model: GAT, data: Graph, split: str = "test") -> tuple[int, int]:
    """(fixed, broken): predictions in `split` that learned attention gets right and uniform
    attention gets wrong, and the reverse."""
    nodes = _split_nodes(data, split)
    y = data.y[nodes]
    learned = probabilities(model, data, "learned")[nodes].argmax(-1) == y  # (m,)
    uniform = probabilities(model, data, "uniform")[nodes].argmax(-1) == y  # (m,)
    return int((learned & ~uniform).sum()), int((~learned & uniform).sum())


@torch.no_grad()
def error_table(model: GAT, data: Graph, split: str = "test") -> pd.DataFrame:
    """The misclassified nodes of `split`, one row each: node, true and predicted class
    (names), confidence p(pred), margin p(pred) − p(true), in-degree (self loop included),
    share of neighbours with the true label, `fix_edge` (the neighbour whose removal alone
    makes the prediction right, the one with the largest p(true) after removal; -1 if none)
    and `uniform_fixes` (uniform attention makes it right)."""
    nodes = _split_nodes(data, split)
    probs = probabilities(model, data, "learned")  # (N, K)
    uniform_pred = probabilities(model, data, "uniform").argmax(-1)  # (N,)
    pred = probs.argmax(-1)
    y = data.y
    wrong = nodes[pred[nodes] != y[nodes]]
    names = _class_names(data, probs.size(1))
    g = _edges(data)
    fields = [_field(g, int(i)) for i in wrong]
    neighbours = [_neighbours(f) for f in fields]
    # One scenario per (wrong node, neighbour): all single-edge removals of all wrong nodes at once.
    owner = [k for k, nb in enumerate(neighbours) for _ in range(nb.numel())]
    flat = [f for f, nb in zip(fields, neighbours) for _ in range(nb.numel())]
    drops = [j.view(1) for nb in neighbours for j in nb]
    fix_edge = np.full(len(wrong), -1)
    if flat:
        after = torch.softmax(_scenarios(model, data, flat, drops, "learned").logits, -1)  # (S, K)
        best = np.full(len(wrong), -np.inf)
        for s, k in enumerate(owner):
            t = int(y[wrong[k]])
            if int(after[s].argmax()) == t and float(after[s, t]) > best[k]:
                best[k], fix_edge[k] = float(after[s, t]), int(drops[s])
    same = []
    for i, nb in zip(wrong.tolist(), neighbours):
        same.append(float((y[nb] == y[i]).float().mean()) if nb.numel() else float("nan"))
    degree = g.ptr[wrong + 1] - g.ptr[wrong]
    rows = torch.arange(len(wrong))
    p = probs[wrong]  # (m, K)
    return pd.DataFrame(
        {
            "node": wrong.numpy(),
            "true": [names[int(c)] for c in y[wrong]],
            "predicted": [names[int(c)] for c in pred[wrong]],
            "confidence": p[rows, pred[wrong]].numpy(),
            "margin": (p[rows, pred[wrong]] - p[rows, y[wrong]]).numpy(),
            "in_degree": degree.numpy(),
            "same_label_share": same,
            "fix_edge": fix_edge,
            "uniform_fixes": (uniform_pred[wrong] == y[wrong]).numpy(),
        }
    )


def confusion(y_true: Sequence[int] | Tensor, y_pred: Sequence[int] | Tensor, num_classes: int) -> np.ndarray:
    """(K, K) counts: row = true class, column = predicted class."""
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    return np.bincount(t * num_classes + p, minlength=num_classes**2).reshape(num_classes, num_classes)


# --- argument checks: clear messages for the UI and the command line ----------------------------


def _check_node(data: Graph, node: object) -> int:
    n = int(data.num_nodes)
    whole = isinstance(node, Tensor) and node.numel() == 1 and not node.is_floating_point()
    if isinstance(node, bool) or not (isinstance(node, (int, np.integer)) or whole):
        raise ValueError(f"node must be an integer id, got {node!r}")
    node = int(node)
    if not 0 <= node < n:
        raise ValueError(f"node {node} does not exist: node ids are 0..{n - 1}")
    return node


def _check_attention(attention: str) -> None:
    if attention not in ATTENTIONS:
        raise ValueError(f"attention must be 'learned' or 'uniform', got {attention!r}")


def _neighbours(f: _Field) -> Tensor:
    """Original ids of the distinct sources of edges into f.node, the node itself excluded."""
    sources = f.nodes[f.edges2[0]]
    return torch.unique(sources[sources != f.node])


def _check_drop(f: _Field, drop: Iterable[int] | str) -> Tensor:
    neighbours = _neighbours(f)
    if isinstance(drop, str):
        if drop != "all":
            raise ValueError(f"drop must be a list of neighbours or 'all', got {drop!r}")
        return neighbours
    ids = [int(j) for j in drop]
    strangers = sorted(set(ids) - set(neighbours.tolist()))
    if strangers:
        listed = ", ".join(map(str, neighbours.tolist()[:20])) or "none"
        raise ValueError(
            f"node {strangers[0]} is not a neighbour of node {f.node}; its neighbours are {listed}"
            + (" ..." if neighbours.numel() > 20 else "")
        )
    return torch.tensor(ids, dtype=torch.long)


def _class_names(data: Graph, k: int) -> list[str]:
    names = list(getattr(data, "class_names", []) or [])
    return names if len(names) == k else [f"class {c}" for c in range(k)]
