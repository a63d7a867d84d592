r"""Numbers for the teaching views, each computed from the model in use.

- ReLU vs the model's own activation on a node's real raw scores $a_{src}\cdot Wh_j + a_{dst}\cdot Wh_i$:
  under ReLU every negative score becomes 0, those neighbours tie, and their gradient is 0 ("dead").
  The model's activation is LeakyReLU with its slope, or PReLU with the slope each head learned.
- The attention of one node, layer and head, recomputed step by step the textbook way, with
  the largest difference to the model's own forward pass.
- The dense, masked N×N score matrix as classic code computes it, shown for a small node set.
- Sentences that compare two trained models, produced from their numbers by a stated rule.

Shapes: k incoming edges of the node (self loop included), C channels per head, K classes,
s nodes in the dense view.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from gat_viz.i18n import _
from gat_viz.layers import AttentionTrace, GATLayer
from gat_viz.model import GAT
from gat_viz.numbers import fmt

# The GAT paper's standard deviation of test accuracy over 100 runs (Cora 83.0 ± 0.7, CiteSeer
# 72.5 ± 0.7): the spread between seeds that a single-run comparison cannot see past.
RUN_STD = {"Cora": 0.007, "CiteSeer": 0.007}


def tidy(values: np.ndarray, digits: int = 4) -> np.ndarray:
    """Rounded for a table, with -0.0 turned into 0.0 (so a table never shows "-0.0000")."""
    return np.round(np.asarray(values, dtype=float), digits) + 0.0


def head_slopes(conv: GATLayer) -> np.ndarray:
    """The slope for negative scores of each head (H,): PReLU's learned ones, else the fixed slope."""
    if conv.prelu_weight is not None:
        return conv.prelu_weight.detach().double().numpy().copy()
    return np.full(conv.heads, float(conv.negative_slope))


def activation_name(conv: GATLayer, head: int | None = None) -> str:
    if conv.prelu_weight is not None:
        if head is None:
            return "PReLU"
        return _("PReLU, learned slope {slope}").format(slope=fmt(head_slopes(conv)[head]))
    return "ReLU" if conv.negative_slope == 0 else f"LeakyReLU {conv.negative_slope:g}"


def slope_notes(slopes: Sequence[float]) -> list[str]:
    """At most two notes, naming the heads whose learned slope changes what the function does."""
    negative = [h + 1 for h, a in enumerate(slopes) if a < 0]
    steep = [h + 1 for h, a in enumerate(slopes) if a > 1]
    notes = []
    if negative:
        template = (
            _(
                "head {heads}: negative slope, so the function is not monotone: a more negative raw score "
                "gives a higher e_ij"
            )
            if len(negative) == 1
            else _(
                "heads {heads}: negative slope, so the function is not monotone: a more negative raw score "
                "gives a higher e_ij"
            )
        )
        notes.append(template.format(heads=_listed(negative)))
    if steep:
        template = (
            _("head {heads}: slope above 1, so negative scores are amplified")
            if len(steep) == 1
            else _("heads {heads}: slope above 1, so negative scores are amplified")
        )
        notes.append(template.format(heads=_listed(steep)))
    return notes


def _listed(heads: list[int]) -> str:
    return ", ".join(map(str, heads))


def activation_curves(
    slopes: float | Sequence[float], lo: float = -3.0, hi: float = 3.0, n: int = 241
) -> dict[str, np.ndarray]:
    """f and f' of ReLU and of LeakyReLU/PReLU with each slope, on a grid (f' at 0 from the right).

    "leaky" and "d_leaky" have one row per slope: (len(slopes), n)."""
    x = np.linspace(lo, hi, n)
    a = np.atleast_1d(np.asarray(slopes, dtype=float))[:, None]  # (S, 1)
    return {
        "x": x,
        "slopes": a[:, 0],
        "relu": np.maximum(x, 0.0),
        "leaky": np.where(x >= 0, x, a * x),
        "d_relu": (x >= 0).astype(float),
        "d_leaky": np.where(x >= 0, 1.0, a * np.ones_like(x)),
    }


@dataclass(frozen=True)
class ScoreComparison:
    """One node's incoming edges for one head: the model's own scores and α against a what-if in
    which the same raw scores go through another slope (0: ReLU), without retraining."""

    sources: np.ndarray  # (k,) source node of each incoming edge
    raw: np.ndarray  # (k,) a_src·Wh_j + a_dst·Wh_i
    scores: np.ndarray  # (k,) e_ij = f(raw) with the model's slope for this head
    alpha: np.ndarray  # (k,) softmax of scores: the model's own α
    what_if_scores: np.ndarray  # (k,) the raw scores through the what-if slope
    what_if_alpha: np.ndarray  # (k,) softmax of what_if_scores
    dead: int  # edges with raw < 0: tied at 0 and without gradient under ReLU
    slope: float  # the model's slope for this head (learned under PReLU)
    what_if_slope: float  # 0 for ReLU
    max_diff: float  # largest |f(raw) − model's e_ij| and |softmax − model's α|: is f the model's?


def compare_scores(
    trace: AttentionTrace, node: int, head: int, slope: float, what_if_slope: float = 0.0
) -> ScoreComparison:
    """`slope` is the model's (see `head_slopes`); the check `max_diff` says whether it is."""
    mask = trace.edge_index[1] == node
    raw = trace.raw[mask, head].double()  # (k,)
    scores = torch.where(raw >= 0, raw, raw * slope)
    alpha = torch.softmax(scores, 0)
    other = torch.where(raw >= 0, raw, raw * what_if_slope)
    max_diff = max(
        float((scores - trace.scores[mask, head].double()).abs().max()),
        float((alpha - trace.alpha[mask, head].double()).abs().max()),
    )
    return ScoreComparison(
        sources=trace.edge_index[0, mask].numpy(),
        raw=raw.numpy(),
        scores=scores.numpy(),
        alpha=alpha.numpy(),
        what_if_scores=other.numpy(),
        what_if_alpha=torch.softmax(other, 0).numpy(),
        dead=int((raw < 0).sum()),
        slope=float(slope),
        what_if_slope=float(what_if_slope),
        max_diff=max_diff,
    )


def dead_share(trace: AttentionTrace, head: int | None = None) -> float:
    """Share of the layer's edges (self loops included) whose raw score is negative."""
    raw = trace.raw if head is None else trace.raw[:, head]
    return float((raw < 0).double().mean())


def noise_band(dataset: str) -> float:
    """How far apart two single runs' test accuracies can fall by chance: 2·√2 × the per-run
    standard deviation (two standard deviations of a difference of two independent runs)."""
    return 2 * math.sqrt(2) * RUN_STD.get(dataset, 0.007)


def compare_runs(label: str, acc: float, others: Sequence[tuple[str, float]], dataset: str, seed: int) -> str:
    """Sentences comparing single runs, produced by a rule from their numbers: each of `others`
    (label, test accuracy) against the model `label`. A difference inside `noise_band` reads
    "no measurable difference in this single run"; a larger one names the higher model and still
    says it is a single run."""
    band = noise_band(dataset)
    parts = [
        _("One run each (seed {seed}), {dataset} test accuracy: {label} {acc}.").format(
            seed=seed, dataset=dataset, label=label, acc=fmt(acc, ".1%")
        )
    ]
    for other, acc_b in others:
        diff = acc_b - acc
        if abs(diff) < band:
            template = _("{other} {acc}: no measurable difference in this single run ({points} points).")
        elif diff > 0:
            template = _(
                "{other} {acc}: {points} points higher than {label}, more than chance alone would explain, "
                "but a single run."
            )
        else:
            template = _(
                "{other} {acc}: {points} points lower than {label}, more than chance alone would explain, "
                "but a single run."
            )
        points = fmt(100 * abs(diff), ".1f")
        shown = other[:1].upper() + other[1:]
        parts.append(template.format(other=shown, acc=fmt(acc_b, ".1%"), points=points, label=label))
    parts.append(
        _(
            "Two single runs differ by up to ±{band} points by chance (2·√2 × the paper's ±{std} over 100 "
            "runs)."
        ).format(band=fmt(100 * band, ".1f"), std=fmt(100 * RUN_STD.get(dataset, 0.007), ".1f"))
    )
    return " ".join(parts)


def uniformity_sentence(entropy: np.ndarray, uniform: np.ndarray) -> str:
    """How close attention is to uniform, from the numbers: mean entropy as a share of the mean
    uniform entropy over nodes with more than one incoming edge (others have no choice)."""
    choice = uniform > 1e-9
    if not choice.any():
        return _("No node here has more than one incoming edge: attention has nothing to choose.")
    share = float(entropy[choice].mean() / uniform[choice].mean())
    gap = float((uniform[choice] - entropy[choice]).mean())
    if share >= 0.9:
        template = _(
            "Over the {nodes} nodes with more than one incoming edge, attention keeps {share} of the uniform "
            "entropy, on average {gap} nats below uniform: close to uniform: it hardly picks favourites."
        )
    elif share >= 0.7:
        template = _(
            "Over the {nodes} nodes with more than one incoming edge, attention keeps {share} of the uniform "
            "entropy, on average {gap} nats below uniform: somewhat below uniform: it leans towards some "
            "neighbours."
        )
    else:
        template = _(
            "Over the {nodes} nodes with more than one incoming edge, attention keeps {share} of the uniform "
            "entropy, on average {gap} nats below uniform: far below uniform: it concentrates on few "
            "neighbours."
        )
    return template.format(nodes=int(choice.sum()), share=fmt(share, ".1%"), gap=fmt(gap))


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
    """The textbook dense computation, shown for a small node set: rows and columns are `nodes`.

    Each row i is the softmax over the *full* row of the masked N×N score matrix, i.e. over all
    of i's incoming edges, drawn or not; the columns of sources outside `nodes` are summed into
    `outside`. Cells of the drawn set are either an edge or masked (no edge: −∞, α = 0)."""

    nodes: np.ndarray  # (s,) the node ids, rows and columns
    scores: np.ndarray  # (s, s) e_ij where j → i is an edge, −inf where masked (row i = target)
    alpha: np.ndarray  # (s, s) α_ij of the full-row softmax where j → i is an edge, NaN where masked
    edge: np.ndarray  # (s, s) bool: j → i is an edge
    outside: np.ndarray  # (s,) Σ α_ij over the sources j of row i that are not in `nodes`
    outside_count: np.ndarray  # (s,) how many such sources
    max_diff: float  # against the model's edge-list α, over every cell of every row, and 1 − row sum


@torch.no_grad()
def dense_view(trace: AttentionTrace, nodes: np.ndarray, head: int) -> DenseView:
    """Masked dense score rows (N columns each) for `nodes`, softmax per row, compared with the
    model's edge-list α on every edge into every row shown."""
    nodes = np.asarray(nodes, dtype=np.int64)
    s, n = len(nodes), int(trace.out.size(0))
    src, dst = trace.edge_index  # (E,)
    full = torch.full((s, n), float("-inf"), dtype=torch.float64)  # rows of the N×N matrix
    row_of = torch.full((n,), -1, dtype=torch.long)
    row_of[torch.as_tensor(nodes)] = torch.arange(s)
    into = (row_of[dst] >= 0).nonzero().view(-1)  # (m,) edges into a shown row
    rows, cols = row_of[dst[into]], src[into]
    full[rows, cols] = trace.scores[into, head].double()
    full_alpha = torch.softmax(full, dim=1)  # (s, N): a row with only −∞ cannot occur (self loops)
    model_alpha = trace.alpha[into, head].double()
    diffs = (full_alpha[rows, cols] - model_alpha).abs()  # every edge into every shown row
    cols_shown = torch.as_tensor(nodes)
    edge = torch.isfinite(full[:, cols_shown])  # (s, s)
    alpha = torch.where(edge, full_alpha[:, cols_shown], torch.tensor(float("nan"), dtype=torch.float64))
    shown_mass = alpha.nan_to_num(0.0).sum(1)  # (s,)
    in_set = row_of[cols] >= 0
    outside_count = torch.bincount(rows[~in_set], minlength=s)
    outside = torch.zeros(s, dtype=torch.float64).index_add_(0, rows[~in_set], model_alpha[~in_set])
    row_sum = (shown_mass + outside - 1).abs()
    max_diff = max(float(diffs.max()) if diffs.numel() else 0.0, float(row_sum.max()) if s else 0.0)
    return DenseView(
        nodes=nodes, scores=full[:, cols_shown].numpy(), alpha=alpha.numpy(), edge=edge.numpy(),
        outside=outside.numpy(), outside_count=outside_count.numpy(), max_diff=max_diff,
    )  # fmt: skip
