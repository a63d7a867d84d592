"""GAT: the paper's two-layer network, with attention read-out and a PyG twin.

input dropout → GATLayer (H heads × C, concatenated) → ELU → dropout → GATLayer (out_heads
averaged, K classes) → log_softmax. `config.layer` chooses the attention layer: `GATLayer` ("gat")
or `GATv2Layer` ("gatv2"); `config.attention == "uniform"` is the paper's Const-GAT: the attention
vectors are zero and stay zero, so every score is 0 and α_ij = 1/|N(i)| exactly.

Shapes: N nodes, E edges (self loops included), F features, H heads, C channels per head,
K classes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gat_viz.config import GATConfig
from gat_viz.layers import AttentionGraph, AttentionTrace, GATLayer, _dropout
from gat_viz.layers_v2 import GATv2Layer
from gat_viz.sparse import SparseFeatures

Layer = GATLayer | GATv2Layer


def attention_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The attention vectors: a_src and a_dst of GAT layers, a of GATv2 layers."""
    return [p for n, p in model.named_parameters() if n.rsplit(".", 1)[-1] in ("att_src", "att_dst", "att")]


class _MessageDropout:
    """The GAT paper's own code (Veličković et al., `utils/layers.py: attn_head`) drops, in training,
    not only the layer's input and the coefficients α_ij but also the transformed features W h_j
    before they are summed: h'_i = Σ_j α_ij · dropout(W h_j), with the scores computed from W h_j
    before that dropout. PyG's GATConv does not. With it, the paper's setting reaches the paper's
    accuracy: over seeds 0-9, the validation accuracy of the kept weights rises from 81.8 to 82.5 on
    Cora and from 73.5 to 74.4 on CiteSeer (chosen on validation; test: 82.9 → 83.5, 71.5 → 72.4).
    Eval mode, `trace`, the weights and the PyG twins are unchanged: this is training only.
    `message_dropout` is set by `GAT`."""

    message_dropout = 0.0

    def _aggregate(self, h: Tensor, alpha: Tensor, graph: AttentionGraph) -> Tensor:
        # Not under no_grad: `trace` (always no_grad) shows the layer as it computes in eval mode.
        if self.training and self.message_dropout > 0 and torch.is_grad_enabled():
            h = _dropout(h, self.message_dropout, True)  # (N·H, C)
        return super()._aggregate(h, alpha, graph)  # type: ignore[misc]


class PaperGATLayer(_MessageDropout, GATLayer):
    """`GATLayer` with the paper's message dropout in training (same parameters and eval output)."""


class PaperGATv2Layer(_MessageDropout, GATv2Layer):
    """`GATv2Layer` with the paper's message dropout in training (same parameters and eval output)."""


def _layer(config: GATConfig, in_channels: int, out_channels: int, heads: int, concat: bool) -> Layer:
    layer: PaperGATLayer | PaperGATv2Layer
    if config.layer == "gatv2":
        layer = PaperGATv2Layer(
            in_channels, out_channels, heads=heads, concat=concat,
            negative_slope=config.negative_slope, dropout=config.dropout,
        )  # fmt: skip
    else:
        layer = PaperGATLayer(
            in_channels, out_channels, heads=heads, concat=concat, negative_slope=config.negative_slope,
            dropout=config.dropout, activation=config.activation,
        )  # fmt: skip
    layer.message_dropout = config.dropout
    return layer


class GAT(nn.Module):
    def __init__(self, config: GATConfig, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.config = config
        self.in_channels = in_channels
        self.num_classes = num_classes
        c = config
        self.conv1 = _layer(c, in_channels, c.hidden, c.heads, concat=True)
        self.conv2 = _layer(c, c.hidden * c.heads, num_classes, c.out_heads, concat=False)
        if c.attention == "uniform":
            # After the usual initialisation, so that the other weights equal the learned model's
            # at the same seed. Zero vectors give e_ij = 0 for every edge (LeakyReLU(0) = 0, and
            # aᵀ anything = 0 in GATv2): the softmax is 1/|N(i)|. `train` keeps them frozen.
            with torch.no_grad():
                for p in attention_parameters(self):
                    p.zero_()

    @property
    def layers(self) -> tuple[Layer, Layer]:
        return (self.conv1, self.conv2)

    def forward(self, x: Tensor | SparseFeatures, edge_index: Tensor | AttentionGraph) -> Tensor:
        """Log-probabilities (N, K)."""
        graph = self.graph(x, edge_index)
        return self.forward_layers(x, graph, graph)

    def forward_layers(
        self, x: Tensor | SparseFeatures, graph1: AttentionGraph, graph2: AttentionGraph
    ) -> Tensor:
        """The forward pass with one edge set per layer. Training uses it to compute only the
        receptive field of the labelled nodes (see `train.receptive_field`)."""
        p = self.config.dropout
        if isinstance(x, SparseFeatures):
            x = x.dropout(p, self.training)  # same law as F.dropout, on the non-zeros only
        else:
            x = _dropout(x, p, self.training)
        x = F.elu(self.conv1(x, graph1))  # (N, H·C)
        x = _dropout(x, p, self.training)
        x = self.conv2(x, graph2)  # (N, K)
        return F.log_softmax(x, dim=-1)

    def graph(self, x: Tensor | SparseFeatures, edge_index: Tensor | AttentionGraph) -> AttentionGraph:
        if isinstance(edge_index, AttentionGraph):
            return edge_index
        return AttentionGraph.build(edge_index, x.shape[0])

    @torch.no_grad()
    def attention(
        self, x: Tensor | SparseFeatures, edge_index: Tensor | AttentionGraph
    ) -> list[tuple[Tensor, Tensor]]:
        """Per layer `(edge_index (2, E), alpha (E, heads))`, in eval mode without gradients:
        what `GATConv(..., return_attention_weights=True)` returns for each layer."""
        return [(t.edge_index, t.alpha) for t in self.trace(x, edge_index)]

    @torch.no_grad()
    def trace(self, x: Tensor | SparseFeatures, edge_index: Tensor | AttentionGraph) -> list[AttentionTrace]:
        """Every intermediate of both layers (see `GATLayer.trace`), in eval mode."""
        graph = self.graph(x, edge_index)
        first = self.conv1.trace(x, graph)
        second = self.conv2.trace(F.elu(first.out), graph)
        return [first, second]

    def to_pyg(self) -> nn.Module:
        """An equivalent module built from `torch_geometric.nn.GATConv` (or `GATv2Conv` for a GATv2
        model), carrying these weights. A uniform-attention model becomes the same convolutions with
        zero attention vectors, which is what it is."""
        return PyGGAT.from_gat(self)


class PyGGAT(nn.Module):
    """The same network written with `torch_geometric.nn.GATConv` or `GATv2Conv`: the reference we
    check against."""

    def __init__(self, config: GATConfig, in_channels: int, num_classes: int) -> None:
        from torch_geometric.nn import GATConv, GATv2Conv

        super().__init__()
        if config.activation == "prelu":
            raise ValueError("GATConv has no learnable slope: a PReLU model has no PyG twin")
        c = config
        self.config = config
        conv = GATv2Conv if c.layer == "gatv2" else GATConv
        self.conv1 = conv(
            in_channels, c.hidden, heads=c.heads, concat=True,
            negative_slope=c.negative_slope, dropout=c.dropout,
        )  # fmt: skip
        self.conv2 = conv(
            c.hidden * c.heads, num_classes, heads=c.out_heads, concat=False,
            negative_slope=c.negative_slope, dropout=c.dropout,
        )  # fmt: skip

    @classmethod
    def from_gat(cls, model: GAT) -> PyGGAT:
        twin = cls(model.config, model.in_channels, model.num_classes)
        twin.load_state_dict(model.state_dict(), strict=True)
        return twin.train(model.training)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        p = self.config.dropout
        x = F.dropout(x, p, self.training)
        x = F.elu(self.conv1(x, edge_index))
        x = F.dropout(x, p, self.training)
        return F.log_softmax(self.conv2(x, edge_index), dim=-1)

    @torch.no_grad()
    def attention(self, x: Tensor, edge_index: Tensor) -> list[tuple[Tensor, Tensor]]:
        was = self.training
        self.eval()
        h, first = self.conv1(x, edge_index, return_attention_weights=True)
        _, second = self.conv2(F.elu(h), edge_index, return_attention_weights=True)
        self.train(was)
        return [first, second]
