r"""GATLayer: graph attention (Veličković et al., 2018) on an edge list, a drop-in for PyG's GATConv.

For a target node i with incoming neighbours j ∈ N(i) (self loop included), per head k:

.. math::
    e_{ij} = \mathrm{LeakyReLU}\big(a_{src}^\top W h_j + a_{dst}^\top W h_i\big), \qquad
    \alpha_{ij} = \frac{\exp e_{ij}}{\sum_{l \in N(i)} \exp e_{il}}, \qquad
    h'_i = \sum_{j \in N(i)} \alpha_{ij} W h_j

Heads are concatenated (`concat=True`) or averaged, then a bias is added.

PyG's edge convention: `edge_index[0]` is the source j, `edge_index[1]` the target i; the
attention of a target sums to 1 over its incoming edges. Attention is computed per edge, never
as a dense N×N matrix. Torch only: the few PyG utilities a layer needs (self loops, softmax,
Glorot init) are written at the end of this file, so the app never waits for PyG to import.

Shapes: N nodes, E edges (self loops included once added), H heads, C channels per head,
F input features.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gat_viz.sparse import HeadBlocks, SparseFeatures, attention_aggregate, dropout_scale


class AttentionGraph:
    """The edges a layer attends over. `edge_index` is in GATConv's order: the input edges with
    existing self loops removed, then one self loop per node. Internally the layer works in CSR
    order, sorted by (target, source), and with heads first: scores of shape (H, E). Build the
    graph once and pass it instead of `edge_index` to skip this work on every call."""

    def __init__(self, edge_index: Tensor, num_nodes: int) -> None:
        self.edge_index = edge_index  # (2, E): row 0 source j, row 1 target i
        self.num_nodes = num_nodes
        n = num_nodes
        self.order = torch.argsort(edge_index[1] * n + edge_index[0], stable=True)  # (E,)
        self.inverse = torch.empty_like(self.order)
        self.inverse[self.order] = torch.arange(self.order.numel())  # CSR position of each edge
        self.src = edge_index[0, self.order].contiguous()  # (E,) sources in CSR order
        self.dst = edge_index[1, self.order].contiguous()  # (E,) targets in CSR order
        self._blocks: dict[int, HeadBlocks] = {}

    @classmethod
    def build(cls, edge_index: Tensor, num_nodes: int, add_self_loops: bool = True) -> AttentionGraph:
        if edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"edge_index must have shape (2, E), got {tuple(edge_index.shape)}")
        edge_index = edge_index.long()
        if edge_index.numel() and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
            raise ValueError(f"edge_index refers to nodes outside 0..{num_nodes - 1}")
        if add_self_loops:
            edge_index = replace_self_loops(edge_index, num_nodes)
        return cls(edge_index.contiguous(), int(num_nodes))

    @property
    def num_edges(self) -> int:
        return int(self.order.numel())

    def blocks(self, heads: int) -> HeadBlocks:
        """The block-diagonal CSR structure for `heads` heads, built once per head count."""
        if heads not in self._blocks:
            with torch.inference_mode(False):  # usable by autograd later, whoever builds it first
                self._blocks[heads] = HeadBlocks(self.src, self.dst, self.num_nodes, heads)
        return self._blocks[heads]

    def to_edge_order(self, values: Tensor, heads: int) -> Tensor:
        """A flat per-(edge, head) vector (H·E,) in `blocks(heads)` order -> (E, H) in
        `edge_index` order, as GATConv returns alpha."""
        pos = self.blocks(heads).pos  # (E, H) in CSR edge order
        return values[pos.index_select(0, self.inverse)]  # (E, H)


@dataclass(frozen=True)
class AttentionTrace:
    """Every intermediate of one layer's attention, for teaching views. Eval mode, no dropout."""

    edge_index: Tensor  # (2, E)
    h: Tensor  # (N, H, C)  W h for every node
    score_src: Tensor  # (N, H)  a_src · W h_j, the source half of e_ij
    score_dst: Tensor  # (N, H)  a_dst · W h_i, the target half of e_ij
    raw: Tensor  # (E, H)  score_src[j] + score_dst[i], before the activation
    scores: Tensor  # (E, H)  e_ij = LeakyReLU(raw)
    alpha: Tensor  # (E, H)  softmax of e_ij over each target's incoming edges
    out: Tensor  # (N, H·C) if concat else (N, C): the layer's output, bias included


class EdgeAttention(nn.Module):
    """What GATLayer and GATv2Layer share: the graph they attend over and the weighted sum
    h'_i = Σ_j α_ij · message_j with the heads combined, and the shape arguments and output bias
    both take from GATConv (`_setup`, `_add_bias`)."""

    heads: int
    out_channels: int
    concat: bool
    add_self_loops: bool
    bias: nn.Parameter | None

    def _setup(
        self, in_channels: int, out_channels: int, heads: int, concat: bool, negative_slope: float,
        dropout: float, add_self_loops: bool,
    ) -> None:  # fmt: skip
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.heads = heads
        self.concat = concat
        self.negative_slope = float(negative_slope)
        self.dropout = dropout
        self.add_self_loops = add_self_loops

    def _add_bias(self, bias: bool) -> None:
        """The output bias, (H·C) with concatenated heads, else (C); registered after the
        subclass's weights, in GATConv's parameter order."""
        if bias:
            size = self.heads * self.out_channels if self.concat else self.out_channels
            self.bias = nn.Parameter(torch.empty(size))  # (H·C) or (C)
        else:
            self.register_parameter("bias", None)

    def _graph(self, x: Tensor | SparseFeatures, edge_index: Tensor | AttentionGraph) -> AttentionGraph:
        if isinstance(edge_index, AttentionGraph):
            return edge_index
        return AttentionGraph.build(edge_index, _num_nodes(x), self.add_self_loops)

    def _aggregate(self, h: Tensor, alpha: Tensor, graph: AttentionGraph) -> Tensor:
        """h'_i = Σ_j α_ij W h_j, then concat or mean over heads, then bias."""
        out = attention_aggregate(alpha, h, graph.blocks(self.heads))  # (N·H, C)
        if self.concat:
            out = out.view(-1, self.heads * self.out_channels)  # (N, H·C)
        else:
            out = out.view(-1, self.heads, self.out_channels).mean(dim=1)  # (N, C)
        if self.bias is not None:
            out = out + self.bias
        return out


class GATLayer(EdgeAttention):
    r"""Graph attention layer with GATConv's arguments, parameter names and return values.

    Args:
        in_channels: F, the size of each input feature vector.
        out_channels: C, the size of each head's output.
        heads: H, the number of attention heads.
        concat: concatenate the heads' outputs (True) or average them (False).
        negative_slope: LeakyReLU slope for negative scores (0 gives ReLU).
        dropout: dropout on the attention coefficients in training.
        add_self_loops: replace existing self loops by exactly one per node.
        bias: add a learnable bias to the output.
        activation: "leaky_relu" (GATConv's), "relu", or "prelu" (a learned slope per head,
            stored as `prelu_weight` and initialised to `negative_slope`). Beyond GATConv.

    Shapes:
        input: x (N, F) dense, or a :class:`SparseFeatures`; edge_index (2, E_in) or an
        :class:`AttentionGraph`.
        output: (N, H·C) if concat else (N, C); with `return_attention_weights` also
        `(edge_index (2, E), alpha (E, H))`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        heads: int = 1,
        concat: bool = True,
        negative_slope: float = 0.2,
        dropout: float = 0.0,
        add_self_loops: bool = True,
        edge_dim: int | None = None,
        fill_value: float | str = "mean",
        bias: bool = True,
        residual: bool = False,
        activation: str = "leaky_relu",
        **kwargs: object,
    ) -> None:
        refuse_unsupported("GATLayer", edge_dim=edge_dim, fill_value=fill_value, residual=residual, **kwargs)
        super().__init__()
        if activation not in ("leaky_relu", "relu", "prelu"):
            raise ValueError(f"unknown activation {activation!r}")
        slope = 0.0 if activation == "relu" else negative_slope
        self._setup(in_channels, out_channels, heads, concat, slope, dropout, add_self_loops)
        self.activation = activation

        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False)  # W, all heads
        self.att_src = nn.Parameter(torch.empty(1, heads, out_channels))  # a_src per head
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_channels))  # a_dst per head
        self._add_bias(bias)
        if activation == "prelu":
            self.prelu_weight = nn.Parameter(torch.full((heads,), self.negative_slope))
        else:
            self.register_parameter("prelu_weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GATConv's initialisation: Glorot for W and a, zeros for the bias."""
        glorot(self.lin.weight)
        glorot(self.att_src)
        glorot(self.att_dst)
        zeros(self.bias)
        if self.prelu_weight is not None:
            self.prelu_weight.data.fill_(self.negative_slope)

    # --- the computation, in the order of the equations above ------------------------------------

    def _project(self, x: Tensor | SparseFeatures) -> Tensor:
        """W h for every node and head: (N, F) -> (N·H, C), node-major (a free view)."""
        if isinstance(x, SparseFeatures):
            wh = x.linear(self.lin.weight)  # (N, H·C)
        else:
            wh = self.lin(x)  # (N, H·C)
        return wh.view(-1, self.out_channels)  # (N·H, C)

    def _attention(self, h: Tensor, graph: AttentionGraph) -> tuple[Tensor, ...]:
        """The two halves of the score per node, then per edge: e_ij before and after the
        activation and α_ij, each flat (H·E,) in `graph.blocks(H)` order."""
        blocks = graph.blocks(self.heads)
        heads, c = self.heads, self.out_channels
        # a_src · W h_j and a_dst · W h_i for all nodes and heads as one matmul with a
        # block-diagonal (H·C, H·2) matrix: row k·C + c holds head k's a_src[c] and a_dst[c].
        att = torch.stack([self.att_src[0], self.att_dst[0]], dim=-1)  # (H, C, 2)
        eye = torch.eye(heads, dtype=att.dtype).view(heads, 1, heads, 1)  # (H, 1, H, 1)
        att_blocks = (att.unsqueeze(2) * eye).reshape(heads * c, heads * 2)  # (H·C, H·2)
        halves = h.view(-1, heads * c) @ att_blocks  # (N, H·2): [src, dst] per head
        flat = halves.view(-1)  # (N·H·2,)
        raw = flat.index_select(0, blocks.src_half) + flat.index_select(0, blocks.dst_half)
        if self.prelu_weight is not None:  # PReLU: one learned slope per head
            slope = self.prelu_weight.repeat(graph.num_nodes).index_select(0, blocks.row)
            scores = torch.where(raw >= 0, raw, raw * slope)  # (H·E,)
        else:
            scores = F.leaky_relu(raw, self.negative_slope)  # (H·E,)
        alpha = blocks.softmax(scores)  # (H·E,)
        halves = halves.view(-1, heads, 2)  # (N, H, 2)
        return halves[..., 0], halves[..., 1], raw, scores, alpha

    def forward(
        self,
        x: Tensor | SparseFeatures,
        edge_index: Tensor | AttentionGraph,
        edge_attr: Tensor | None = None,
        size: tuple[int, int] | None = None,
        return_attention_weights: bool | None = None,
    ) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor]]:
        refuse_unsupported("GATLayer", edge_attr=edge_attr, size=size)
        graph = self._graph(x, edge_index)
        h = self._project(x)  # (N·H, C)
        alpha = self._attention(h, graph)[-1]  # (H·E,)
        alpha = _dropout(alpha, self.dropout, self.training)
        out = self._aggregate(h, alpha, graph)
        # As GATConv 2.8.1 does: True asks for the attention weights; None and False do not.
        if return_attention_weights:
            return out, (graph.edge_index, graph.to_edge_order(alpha, self.heads))
        return out

    @torch.no_grad()
    def trace(self, x: Tensor | SparseFeatures, edge_index: Tensor | AttentionGraph) -> AttentionTrace:
        """Every intermediate of the forward pass without dropout, for teaching views."""
        graph = self._graph(x, edge_index)
        h = self._project(x)  # (N·H, C)
        score_src, score_dst, raw, scores, alpha = self._attention(h, graph)
        out = self._aggregate(h, alpha, graph)
        per_edge = lambda values: graph.to_edge_order(values, self.heads)  # noqa: E731
        return AttentionTrace(
            edge_index=graph.edge_index,
            h=h.view(-1, self.heads, self.out_channels),  # (N, H, C)
            score_src=score_src,  # (N, H)
            score_dst=score_dst,  # (N, H)
            raw=per_edge(raw),
            scores=per_edge(scores),
            alpha=per_edge(alpha),
            out=out,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, heads={self.heads}, concat={self.concat}, "
            f"activation={self.activation}, negative_slope={self.negative_slope}"
        )


def refuse_unsupported(layer: str, **given: object) -> None:
    """GATConv's (and GATv2Conv's) other arguments are accepted at their defaults and refused with
    one line naming the argument otherwise: this layer does not implement them."""
    defaults = {"edge_dim": None, "fill_value": "mean", "residual": False, "share_weights": False,
                "edge_attr": None, "size": None}  # fmt: skip
    for name, value in given.items():
        if name not in defaults:
            raise TypeError(f"{layer} got an unexpected argument {name!r}")
        if not (value is defaults[name] or (isinstance(value, str) and value == defaults[name])):
            raise NotImplementedError(f"{layer} does not implement {name}={value!r} (only the default)")


def _dropout(t: Tensor, p: float, training: bool) -> Tensor:
    """Inverted dropout, as F.dropout, with a cheaper mask (see `sparse.keep_mask`)."""
    if not training or p == 0.0:
        return t
    return t * dropout_scale(t.numel(), p, t.dtype).view_as(t)


def _num_nodes(x: Tensor | SparseFeatures) -> int:
    return x.shape[0] if isinstance(x, SparseFeatures) else int(x.size(0))


# --- PyG's graph utilities and initialisers, in torch alone -------------------------------------
# gat_viz imports no torch_geometric where the app needs it: importing PyG costs ~2 s (it pulls in
# torch._dynamo) that the app would pay before its first picture. Each function here does what its
# PyG namesake does, with the same edge order and the same random draws (tests/test_layers.py
# checks them against PyG): the layers' self loops, softmax and init, `explain`'s softmax, and
# `explainers`' subgraph.


def remove_self_loops(edge_index: Tensor, edge_attr: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    """`torch_geometric.utils.remove_self_loops`: the edges i → i dropped, the rest kept in order."""
    keep = edge_index[0] != edge_index[1]  # (E,)
    return edge_index[:, keep], None if edge_attr is None else edge_attr[keep]


def add_self_loops(
    edge_index: Tensor,
    edge_attr: Tensor | None = None,
    fill_value: float | Tensor | str | None = None,
    num_nodes: int | None = None,
) -> tuple[Tensor, Tensor | None]:
    """`torch_geometric.utils.add_self_loops`: the input edges unchanged (existing loops too), then
    one loop i → i for every node 0..N-1, isolated ones included. N is `num_nodes`, else the
    largest index + 1. A self loop's `edge_attr` is `fill_value`: 1 when None, a number or a
    tensor as given, or a reduction ("add", "sum", "mean", "min", "max", "mul") of the attributes
    of the node's incoming edges (0 where there are none, 1 for "mul")."""
    n = num_nodes if num_nodes is not None else (int(edge_index.max()) + 1 if edge_index.numel() else 0)
    loops = torch.arange(n, device=edge_index.device).view(1, -1).repeat(2, 1)  # (2, N)
    full = torch.cat([edge_index, loops], dim=1)  # (2, E + N)
    if edge_attr is None:
        return full, None
    return full, torch.cat([edge_attr, _loop_attr(edge_index, edge_attr, n, fill_value)], dim=0)


def _loop_attr(
    edge_index: Tensor, edge_attr: Tensor, n: int, fill_value: float | Tensor | str | None
) -> Tensor:
    """The self loops' attributes (N, ...), as PyG's `compute_loop_attr`."""
    size = (n, *edge_attr.shape[1:])
    if fill_value is None or isinstance(fill_value, (int, float)):
        return edge_attr.new_full(size, 1.0 if fill_value is None else fill_value)
    if isinstance(fill_value, Tensor):
        value = fill_value.to(edge_attr.device, edge_attr.dtype)
        return (value.unsqueeze(0) if value.dim() != edge_attr.dim() else value).expand(size).contiguous()
    dst = edge_index[1].view(-1, *[1] * (edge_attr.dim() - 1)).expand_as(edge_attr)  # target per value
    if fill_value in ("add", "sum", "mean"):
        out = edge_attr.new_zeros(size).scatter_add_(0, dst, edge_attr)
        if fill_value == "mean":
            count = torch.bincount(edge_index[1], minlength=n).clamp(min=1).to(out.dtype)  # (N,)
            out = out / count.view(-1, *[1] * (out.dim() - 1))
        return out
    if fill_value in ("min", "max"):
        return edge_attr.new_zeros(size).scatter_reduce_(
            0, dst, edge_attr, f"a{fill_value}", include_self=False
        )
    if fill_value == "mul":
        return edge_attr.new_ones(size).scatter_reduce_(0, dst, edge_attr, "prod")
    raise ValueError(f"fill_value {fill_value!r}: a number, a tensor, or add, sum, mean, min, max or mul")


def replace_self_loops(edge_index: Tensor, num_nodes: int) -> Tensor:
    """GATConv's edges: existing self loops removed, then exactly one per node appended. (2, E)."""
    return add_self_loops(remove_self_loops(edge_index)[0], num_nodes=num_nodes)[0]


def softmax(src: Tensor, index: Tensor, num_nodes: int | None = None) -> Tensor:
    """`torch_geometric.utils.softmax` over edges grouped by `index` (the target of each edge):
    α_e = exp(s_e − m) / Σ_{e' → same target} exp(s_e' − m), m the group's largest score (for
    safety only). src (E, ...) -> (E, ...)."""
    n = num_nodes if num_nodes is not None else (int(index.max()) + 1 if index.numel() else 0)
    group = index.view(-1, *[1] * (src.dim() - 1)).expand_as(src)  # (E, ...) target per value
    top = src.new_zeros((n, *src.shape[1:])).scatter_reduce_(
        0, group, src.detach(), "amax", include_self=False
    )
    exp = (src - top.index_select(0, index)).exp()  # (E, ...)
    total = src.new_zeros((n, *src.shape[1:])).scatter_add_(0, group, exp) + 1e-16  # (N, ...)
    return exp / total.index_select(0, index)


def k_hop_subgraph(
    node_idx: int | Sequence[int] | Tensor,
    num_hops: int,
    edge_index: Tensor,
    relabel_nodes: bool = False,
    num_nodes: int | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """`torch_geometric.utils.k_hop_subgraph` (its default flow, source to target): `subset`, the
    sorted nodes from which `node_idx` is reached in at most `num_hops` edges (itself included);
    every edge between two of them, in input order (relabelled to positions in `subset` if asked);
    `mapping`, where `node_idx` sits in `subset`; and `edge_mask` (E,), the edges kept."""
    n = num_nodes if num_nodes is not None else (int(edge_index.max()) + 1 if edge_index.numel() else 0)
    src, dst = edge_index
    seeds = torch.as_tensor(node_idx, device=edge_index.device).view(-1)
    frontier = [seeds]
    reached = torch.zeros(n, dtype=torch.bool, device=edge_index.device)  # (N,)
    for _ in range(num_hops):
        reached.fill_(False)
        reached[frontier[-1]] = True
        frontier.append(src[reached[dst]])  # the sources of edges into the last hop
    subset, inverse = torch.cat(frontier).unique(return_inverse=True)
    reached.fill_(False)
    reached[subset] = True
    edge_mask = reached[src] & reached[dst]  # (E,)
    kept = edge_index[:, edge_mask]
    if relabel_nodes:
        position = torch.full((n,), -1, dtype=edge_index.dtype, device=edge_index.device)
        position[subset] = torch.arange(subset.numel(), device=edge_index.device)
        kept = position[kept]
    return subset, kept, inverse[: seeds.numel()], edge_mask


def glorot(tensor: Tensor) -> None:
    """Glorot (Xavier) uniform init in place, as PyG's `inits.glorot` (same draws): U(−b, b) with
    b = √(6 / (fan_in + fan_out)), the fans being the last two dimensions."""
    bound = math.sqrt(6.0 / (tensor.size(-2) + tensor.size(-1)))
    tensor.data.uniform_(-bound, bound)


def zeros(tensor: Tensor | None) -> None:
    """Fill with zeros in place, as PyG's `inits.zeros`; None (no bias) is left alone."""
    if tensor is not None:
        tensor.data.fill_(0.0)
