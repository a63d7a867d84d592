"""GAT: the paper's two-layer network, with attention read-out and a PyG twin.

input dropout → GATLayer (H heads × C, concatenated) → ELU → dropout → GATLayer (out_heads
averaged, K classes) → log_softmax.

Shapes: N nodes, E edges (self loops included), F features, H heads, C channels per head,
K classes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gat_viz.config import GATConfig
from gat_viz.layers import AttentionGraph, AttentionTrace, GATLayer, _dropout
from gat_viz.sparse import SparseFeatures


class GAT(nn.Module):
    def __init__(self, config: GATConfig, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.config = config
        self.in_channels = in_channels
        self.num_classes = num_classes
        c = config
        self.conv1 = GATLayer(
            in_channels, c.hidden, heads=c.heads, concat=True, negative_slope=c.negative_slope,
            dropout=c.dropout, activation=c.activation,
        )  # fmt: skip
        self.conv2 = GATLayer(
            c.hidden * c.heads, num_classes, heads=c.out_heads, concat=False,
            negative_slope=c.negative_slope, dropout=c.dropout, activation=c.activation,
        )  # fmt: skip

    @property
    def layers(self) -> tuple[GATLayer, GATLayer]:
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
        """An equivalent module built from `torch_geometric.nn.GATConv`, carrying these weights."""
        return PyGGAT.from_gat(self)


class PyGGAT(nn.Module):
    """The same network written with `torch_geometric.nn.GATConv`: the reference we check against."""

    def __init__(self, config: GATConfig, in_channels: int, num_classes: int) -> None:
        from torch_geometric.nn import GATConv

        super().__init__()
        if config.activation == "prelu":
            raise ValueError("GATConv has no learnable slope: a PReLU model has no PyG twin")
        c = config
        self.config = config
        self.conv1 = GATConv(
            in_channels, c.hidden, heads=c.heads, concat=True,
            negative_slope=c.negative_slope, dropout=c.dropout,
        )  # fmt: skip
        self.conv2 = GATConv(
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
