"""Attention read-outs per node: incoming weights, relative-to-uniform, entropy.

All functions take what `GAT.attention()` returns for one layer: `edge_index` (2, E) with
self loops, in GATConv's order, and `alpha` (E, H). PyG's convention: edge j → i is column e
with edge_index[0, e] = j (source) and edge_index[1, e] = i (target); α sums to 1 over each
target's incoming edges.
"""

from __future__ import annotations

import torch
from torch import Tensor


def select_heads(alpha: Tensor, head: int | str) -> Tensor:
    """(E, H) -> (E,): one head (0-based), their mean, or their max."""
    if head == "mean":
        return alpha.mean(dim=1)
    if head == "max":
        return alpha.max(dim=1).values
    if isinstance(head, int) and 0 <= head < alpha.size(1):
        return alpha[:, head]
    raise ValueError(f"head must be 0..{alpha.size(1) - 1}, 'mean' or 'max', got {head!r}")


def in_degree(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Incoming edges per node (N,), self loop included when edge_index has them."""
    return torch.bincount(edge_index[1], minlength=num_nodes)


def relative_to_uniform(edge_index: Tensor, alpha: Tensor, num_nodes: int) -> Tensor:
    """α_ij × |N(i)|: 1 means "no preference", 2 means twice the uniform share. Same shape as alpha."""
    deg = in_degree(edge_index, num_nodes).to(alpha.dtype)  # (N,)
    scale = deg[edge_index[1]]  # (E,)
    return alpha * (scale.unsqueeze(-1) if alpha.dim() == 2 else scale)


def entropy(edge_index: Tensor, alpha: Tensor, num_nodes: int) -> Tensor:
    """Attention entropy per target node and head, in nats: −Σ_j α_ij log α_ij. (N, H)."""
    a = alpha if alpha.dim() == 2 else alpha.unsqueeze(-1)
    terms = -(a * torch.log(a.clamp_min(1e-30)))  # (E, H); 0·log 0 = 0
    out = torch.zeros(num_nodes, a.size(1), dtype=a.dtype)
    return out.index_add_(0, edge_index[1], terms)


def uniform_entropy(edge_index: Tensor, num_nodes: int) -> Tensor:
    """log |N(i)|, the largest possible entropy: attention spread evenly. (N,)."""
    return torch.log(in_degree(edge_index, num_nodes).clamp_min(1).double()).float()
