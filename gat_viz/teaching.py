r"""Numbers for the teaching views, each computed from the model in use.

- ReLU vs LeakyReLU on a node's real raw scores $a_{src}\cdot Wh_j + a_{dst}\cdot Wh_i$: under ReLU
  every negative score becomes 0, those neighbours tie, and their gradient is 0 ("dead").
- The attention of one node, layer and head, recomputed step by step the textbook way, with
  the largest difference to the model's own forward pass.
- The dense, masked N×N score matrix of a small neighbourhood, as classic code computes it.

Shapes: k incoming edges of the node (self loop included), C channels per head, K classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from gat_viz.layers import AttentionTrace
from gat_viz.model import GAT


def activation_curves(slope: float, lo: float = -3.0, hi: float = 3.0, n: int = 241) -> dict[str, np.ndarray]:
    """f and f' of ReLU and of LeakyReLU(slope) on a grid (f' at 0 taken from the right)."""
    x = np.linspace(lo, hi, n)
    return {
        "x": x,
        "relu": np.maximum(x, 0.0),
        "leaky": np.where(x >= 0, x, slope * x),
        "d_relu": (x >= 0).astype(float),
        "d_leaky": np.where(x >= 0, 1.0, slope),
    }


@dataclass(frozen=True)
class ScoreComparison:
    sources: np.ndarray  # (k,) source node of each incoming edge
    raw: np.ndarray  # (k,) a_src·Wh_j + a_dst·Wh_i
    relu: np.ndarray  # (k,) max(raw, 0)
    leaky: np.ndarray  # (k,) LeakyReLU(raw, slope)
    alpha_relu: np.ndarray  # (k,) softmax of relu
    alpha_leaky: np.ndarray  # (k,) softmax of leaky
    dead: int  # edges with raw < 0: tied at 0 and without gradient under ReLU
    slope: float


def compare_scores(trace: AttentionTrace, node: int, head: int, slope: float) -> ScoreComparison:
    mask = trace.edge_index[1] == node
    raw = trace.raw[mask, head].double()  # (k,)
    relu = raw.clamp_min(0)
    leaky = F.leaky_relu(raw, slope)
    return ScoreComparison(
        sources=trace.edge_index[0, mask].numpy(),
        raw=raw.numpy(),
        relu=relu.numpy(),
        leaky=leaky.numpy(),
        alpha_relu=torch.softmax(relu, 0).numpy(),
        alpha_leaky=torch.softmax(leaky, 0).numpy(),
        dead=int((raw < 0).sum()),
        slope=slope,
    )


def dead_share(trace: AttentionTrace, head: int | None = None) -> float:
    """Share of the layer's edges (self loops included) whose raw score is negative."""
    raw = trace.raw if head is None else trace.raw[:, head]
    return float((raw < 0).double().mean())


@dataclass(frozen=True)
class Walkthrough:
    """One node, layer and head, recomputed step by step from the layer's parameters."""

    node: int
    layer: int  # 0-based
    head: int
    sources: np.ndarray  # (k,)
    wh_i: np.ndarray  # (C,) W h_i for this head
    wh_j: np.ndarray  # (k, C) W h_j for each source
    src_term: np.ndarray  # (k,) a_src · W h_j
    dst_term: float  # a_dst · W h_i
    raw: np.ndarray  # (k,)
    scores: np.ndarray  # (k,) e_ij after the activation
    alpha: np.ndarray  # (k,) softmax over the incoming edges
    head_out: np.ndarray  # (C,) Σ_j α_ij W h_j
    layer_out: np.ndarray  # the node's layer output: heads concatenated (+bias, ELU) or averaged
    logits: np.ndarray  # (K,) layer 2's output
    probs: np.ndarray  # (K,)
    max_diff: float  # largest |walkthrough − model| over alpha, the layer output and the probabilities


@torch.no_grad()
def walkthrough(
    model: GAT,
    x: Tensor,
    edge_index: Tensor,
    node: int,
    layer: int,
    head: int,
    traces: list[AttentionTrace] | None = None,
    model_probs: Tensor | None = None,
) -> Walkthrough:
    """The textbook computation on the node's incoming edges only, checked against the model.

    `traces` (from `model.trace`) and `model_probs` (N, K) may be passed when already at hand;
    they are the model's own numbers that the walk-through is compared with.
    """
    model.eval()
    traces = traces if traces is not None else model.trace(x, edge_index)
    t, conv = traces[layer], model.layers[layer]
    inputs = x if layer == 0 else F.elu(traces[0].out)  # (N, F_in) of this layer
    heads, c = conv.heads, conv.out_channels
    mask = t.edge_index[1] == node
    sources = t.edge_index[0, mask]  # (k,)
    wh_j = (inputs[sources] @ conv.lin.weight.t()).view(-1, heads, c)  # (k, H, C)
    wh_i = (conv.lin.weight @ inputs[node]).view(heads, c)  # (H, C)
    src_term = (wh_j * conv.att_src[0]).sum(-1)  # (k, H)  a_src · W h_j
    dst_term = (wh_i * conv.att_dst[0]).sum(-1)  # (H,)    a_dst · W h_i
    raw = src_term + dst_term  # (k, H)
    if conv.prelu_weight is not None:
        scores = torch.where(raw >= 0, raw, raw * conv.prelu_weight)
    else:
        scores = F.leaky_relu(raw, conv.negative_slope)
    alpha = torch.softmax(scores, dim=0)  # (k, H): over the incoming edges
    head_out = torch.einsum("kh,khc->hc", alpha, wh_j)  # (H, C)
    layer_out = (head_out.reshape(-1) if conv.concat else head_out.mean(0)) + conv.bias
    logits = traces[1].out[node] if layer == 0 else layer_out  # (K,)
    probs = torch.softmax(logits, 0)
    if model_probs is None:
        model_probs = model(x, edge_index).exp()  # the model's own forward pass
    own = model_probs[node]  # (K,)
    max_diff = max(
        float((alpha - t.alpha[mask]).abs().max()),
        float((layer_out - t.out[node]).abs().max()),
        float((probs - own).abs().max()),
    )
    return Walkthrough(
        node=node, layer=layer, head=head, sources=sources.numpy(), wh_i=wh_i[head].numpy(),
        wh_j=wh_j[:, head].numpy(), src_term=src_term[:, head].numpy(),
        dst_term=float(dst_term[head]), raw=raw[:, head].numpy(), scores=scores[:, head].numpy(),
        alpha=alpha[:, head].numpy(), head_out=head_out[head].numpy(),
        layer_out=(F.elu(layer_out) if layer == 0 else layer_out).numpy(), logits=logits.numpy(),
        probs=probs.numpy(), max_diff=max_diff,
    )  # fmt: skip


@dataclass(frozen=True)
class DenseView:
    nodes: np.ndarray  # (s,) the node ids, rows and columns
    scores: np.ndarray  # (s, s) e_ij where j → i is an edge, −inf elsewhere (row i = target)
    alpha: np.ndarray  # (s, s) row-wise softmax of scores
    max_diff: float  # against the edge-list α of the same edges


def dense_view(trace: AttentionTrace, nodes: np.ndarray, head: int) -> DenseView:
    """The classic dense computation on a small node set: mask, softmax per row.

    Only edges whose source and target are both in `nodes` exist here, so it equals the
    edge-list α for targets whose every neighbour is in the set (e.g. the centre of its own
    1-hop neighbourhood); `max_diff` is taken over those rows.
    """
    s = len(nodes)
    index = {int(n): k for k, n in enumerate(nodes)}
    dense = torch.full((s, s), float("-inf"), dtype=torch.float64)
    src, dst = trace.edge_index
    complete = np.ones(s, dtype=bool)
    pick = []
    for e in torch.isin(dst, torch.as_tensor(nodes)).nonzero().view(-1).tolist():
        i, j = int(dst[e]), int(src[e])
        if j in index:
            dense[index[i], index[j]] = float(trace.scores[e, head])
            pick.append((index[i], index[j], float(trace.alpha[e, head])))
        else:
            complete[index[i]] = False
    alpha = torch.softmax(dense, dim=1)
    diffs = [abs(float(alpha[i, j]) - a) for i, j, a in pick if complete[i]]
    return DenseView(np.asarray(nodes), dense.numpy(), alpha.nan_to_num(0.0).numpy(), max(diffs, default=0.0))
