r"""GATv2Layer: dynamic graph attention (Brody, Alon & Yahav, ICLR 2022), a drop-in for PyG's GATv2Conv.

For a target node i with incoming neighbours j ∈ N(i) (self loop included), per head k:

.. math::
    e_{ij} = a^\top \mathrm{LeakyReLU}\big(W_l h_j + W_r h_i\big), \qquad
    \alpha_{ij} = \frac{\exp e_{ij}}{\sum_{l \in N(i)} \exp e_{il}}, \qquad
    h'_i = \sum_{j \in N(i)} \alpha_{ij} W_l h_j

(`W_l`, `W_r` with their biases: PyG's `lin_l`, `lin_r`.) GAT applies the nonlinearity *after* the
sum of a source term and a target term, so with a monotone LeakyReLU every target ranks the sources it
shares with other targets in the same order ("static attention"). GATv2 applies it *before* `a`, so
the ranking of the sources can depend on the target ("dynamic attention").

Same conventions as :mod:`gat_viz.layers`: `edge_index[0]` is the source j, `edge_index[1]` the
target i; self loops replaced by one per node; α returned in GATv2Conv's edge order. The softmax and
the aggregation are the CSR kernels of :mod:`gat_viz.sparse` (`HeadBlocks.softmax`,
`attention_aggregate`), shared with `GATLayer`.

Shapes: N nodes, E edges (self loops included), H heads, C channels per head, F input features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gat_viz.layers import (
    AttentionGraph,
    AttentionTrace,
    EdgeAttention,
    _dropout,
    glorot,
    refuse_unsupported,
    zeros,
)
from gat_viz.sparse import SparseFeatures


class GATv2Layer(EdgeAttention):
    r"""GATv2 attention layer with GATv2Conv's arguments (`share_weights=False`), parameter names
    (`lin_l`, `lin_r`, `att`, `bias`) and return values, so that its `state_dict` loads into
    `torch_geometric.nn.GATv2Conv` with `strict=True` and back.

    Args:
        in_channels: F, the size of each input feature vector.
        out_channels: C, the size of each head's output.
        heads: H, the number of attention heads.
        concat: concatenate the heads' outputs (True) or average them (False).
        negative_slope: LeakyReLU slope inside the score (0 gives ReLU).
        dropout: dropout on the attention coefficients in training.
        add_self_loops: replace existing self loops by exactly one per node.
        bias: biases in `lin_l`, `lin_r` and on the output, as GATv2Conv.

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
        share_weights: bool = False,
        residual: bool = False,
        **kwargs: object,
    ) -> None:
        refuse_unsupported(
            "GATv2Layer", edge_dim=edge_dim, fill_value=fill_value, share_weights=share_weights,
            residual=residual, **kwargs,
        )  # fmt: skip
        super().__init__()
        self._setup(in_channels, out_channels, heads, concat, negative_slope, dropout, add_self_loops)
        self.prelu_weight = None  # GATLayer's PReLU option does not exist here (teaching code checks it)

        self.lin_l = nn.Linear(in_channels, heads * out_channels, bias=bias)  # W_l: sources j, messages
        self.lin_r = nn.Linear(in_channels, heads * out_channels, bias=bias)  # W_r: targets i
        self.att = nn.Parameter(torch.empty(1, heads, out_channels))  # a per head
        self._add_bias(bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GATv2Conv's initialisation: Glorot for W_l, W_r and a; zeros for every bias."""
        for lin in (self.lin_l, self.lin_r):
            glorot(lin.weight)
            zeros(lin.bias)
        glorot(self.att)
        zeros(self.bias)

    # --- the computation, in the order of the equations above ------------------------------------

    def _project(self, x: Tensor | SparseFeatures, lin: nn.Linear) -> Tensor:
        """W h + b for every node and head: (N, F) -> (N·H, C), node-major (a free view)."""
        if isinstance(x, SparseFeatures):
            wh = x.linear(lin.weight)  # (N, H·C)
            if lin.bias is not None:
                wh = wh + lin.bias
        else:
            wh = lin(x)  # (N, H·C)
        return wh.view(-1, self.out_channels)  # (N·H, C)

    def _attention(self, h_l: Tensor, h_r: Tensor, graph: AttentionGraph) -> tuple[Tensor, Tensor]:
        """e_ij and α_ij, each flat (H·E,) in `graph.blocks(H)` order.

        The scores are computed edge-major, one row of all heads per edge, then put in the blocks'
        order: gathering whole (H·C) rows and broadcasting `a` over the edges is 2.5× faster
        (forward and backward) than gathering one (C,) row per edge and head."""
        heads, c = self.heads, self.out_channels
        h_j = h_l.view(-1, heads * c).index_select(0, graph.src)  # (E, H·C)  W_l h_j, CSR edge order
        h_i = h_r.view(-1, heads * c).index_select(0, graph.dst)  # (E, H·C)  W_r h_i
        z = F.leaky_relu(h_j + h_i, self.negative_slope).view(-1, heads, c)  # (E, H, C)
        scores = (z * self.att).sum(-1)  # (E, H)  e_ij = aᵀ LeakyReLU(W_l h_j + W_r h_i)
        blocks = graph.blocks(heads)
        scores = scores.view(-1).index_select(0, blocks.edge_major)  # (H·E,) in blocks order
        return scores, blocks.softmax(scores)

    def forward(
        self,
        x: Tensor | SparseFeatures,
        edge_index: Tensor | AttentionGraph,
        edge_attr: Tensor | None = None,
        size: tuple[int, int] | None = None,
        return_attention_weights: bool | None = None,
    ) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor]]:
        refuse_unsupported("GATv2Layer", edge_attr=edge_attr, size=size)
        graph = self._graph(x, edge_index)
        h_l, h_r = self._project(x, self.lin_l), self._project(x, self.lin_r)  # (N·H, C) each
        alpha = self._attention(h_l, h_r, graph)[1]  # (H·E,)
        alpha = _dropout(alpha, self.dropout, self.training)
        out = self._aggregate(h_l, alpha, graph)
        # As GATv2Conv 2.8.1 does: a true value asks for the attention weights (False does not).
        if return_attention_weights:
            return out, (graph.edge_index, graph.to_edge_order(alpha, self.heads))
        return out

    @torch.no_grad()
    def trace(self, x: Tensor | SparseFeatures, edge_index: Tensor | AttentionGraph) -> AttentionTrace:
        """Every intermediate without dropout, in `GATLayer.trace`'s form. GATv2 has no scalar score
        before its activation, so `raw` holds the score the same parameters give *without* it,
        aᵀ(W_l h_j + W_r h_i) = score_src[j] + score_dst[i]: the part GAT would rank by. `scores`
        are the real e_ij, which are not a function of `raw`."""
        graph = self._graph(x, edge_index)
        h_l, h_r = self._project(x, self.lin_l), self._project(x, self.lin_r)  # (N·H, C) each
        scores, alpha = self._attention(h_l, h_r, graph)
        out = self._aggregate(h_l, alpha, graph)
        heads, c = self.heads, self.out_channels
        score_src = (h_l.view(-1, heads, c) * self.att).sum(-1)  # (N, H)  aᵀ W_l h_j
        score_dst = (h_r.view(-1, heads, c) * self.att).sum(-1)  # (N, H)  aᵀ W_r h_i
        src, dst = graph.edge_index
        return AttentionTrace(
            edge_index=graph.edge_index,
            h=h_l.view(-1, heads, c),  # (N, H, C): the messages W_l h_j
            score_src=score_src,
            score_dst=score_dst,
            raw=score_src[src] + score_dst[dst],  # (E, H)
            scores=graph.to_edge_order(scores, heads),  # (E, H)
            alpha=graph.to_edge_order(alpha, heads),  # (E, H)
            out=out,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, heads={self.heads}, concat={self.concat}, "
            f"negative_slope={self.negative_slope}"
        )
