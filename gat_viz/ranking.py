r"""Static vs dynamic attention: do two target nodes rank the sources they share in the same order?

GAT scores an edge j → i as

.. math::
    e_{ij} = \mathrm{LeakyReLU}\big(a_{src}^\top W h_j + a_{dst}^\top W h_i\big).

For a fixed target i the second term is a constant, and LeakyReLU with a slope > 0 is increasing, so
i ranks its sources by :math:`a_{src}^\top W h_j` alone: every target that shares sources j and k
puts them in the same order ("static attention", Brody, Alon & Yahav, ICLR 2022, Theorem 1). With
slope 0 (ReLU) the order is the same where it is strict, and sources whose raw score is negative
tie at 0. GATv2, :math:`e_{ij} = a^\top \mathrm{LeakyReLU}(W_l h_j + W_r h_i)`, applies the
nonlinearity before `a`, so the order can depend on i ("dynamic attention").

`ranking_disagreement` measures it over a whole layer: over every pair of targets (i₁, i₂) that share
at least two sources, every pair of those shared sources (j, k) and every head, the share of cases in
which sign(e_{i₁j} − e_{i₁k}) = −sign(e_{i₂j} − e_{i₂k}) ≠ 0. `rank_view` shows it for one node.

Shapes: N nodes, E edges (self loops included), H heads; t targets and s sources in a view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from gat_viz.data import Graph as Data
from gat_viz.i18n import _
from gat_viz.layers import AttentionTrace


@dataclass(frozen=True)
class Disagreement:
    opposite: int  # cases (target pair, source pair, head) ranked in opposite orders
    ties: int  # cases in which exactly one of the two targets ties the two sources
    cases: int  # all cases
    pairs: int  # target pairs that share at least two sources

    @property
    def share(self) -> float:
        return self.opposite / self.cases if self.cases else 0.0


def disagreement(edge_index: Tensor, scores: Tensor, targets: Tensor | None = None) -> Disagreement:
    """Opposite orders over all target pairs sharing ≥ 2 sources (see the module docstring).

    edge_index (2, E) with self loops, scores (E, H) (e_ij per edge and head); `targets` restricts
    the target pairs to those nodes. Duplicate edges count once."""
    src, dst = edge_index.numpy()
    e = scores.double().numpy()  # (E, H)
    n = int(max(src.max(initial=-1), dst.max(initial=-1))) + 1
    keep = np.ones(len(src), dtype=bool)
    if targets is not None:
        keep &= np.isin(dst, targets.numpy())
    ids = np.flatnonzero(keep)
    _keys, first = np.unique(src[ids] * n + dst[ids], return_index=True)  # one edge per (source, target)
    ids = ids[first]
    # Per source j, every pair of its targets (i₁ < i₂): one "triple" (j, edge j→i₁, edge j→i₂) each.
    order = ids[np.lexsort((dst[ids], src[ids]))]  # edges sorted by (source, target)
    e1, e2 = _pairs_within_groups(order, src[order])  # (T,) edge ids j→i₁ and j→i₂
    if len(e1) == 0:
        return Disagreement(0, 0, 0, 0)
    # Group the triples by target pair; within a group, every pair of triples is a pair of shared sources.
    pair_key = dst[e1].astype(np.int64) * n + dst[e2]
    by_pair = np.argsort(pair_key, kind="stable")
    t1, t2 = _pairs_within_groups(by_pair, pair_key[by_pair])  # (Q,) triple ids: sources j and k
    pairs = int(np.count_nonzero(np.unique(pair_key, return_counts=True)[1] >= 2))
    d1 = e[e1[t1]] - e[e1[t2]]  # (Q, H)  e_{i₁j} − e_{i₁k}
    d2 = e[e2[t1]] - e[e2[t2]]  # (Q, H)  e_{i₂j} − e_{i₂k}
    opposite = int(np.count_nonzero(np.sign(d1) * np.sign(d2) < 0))
    ties = int(np.count_nonzero((d1 == 0) != (d2 == 0)))
    return Disagreement(opposite=opposite, ties=ties, cases=int(d1.size), pairs=pairs)


def _pairs_within_groups(items: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (a, b), a before b, of `items` with equal `group` (sorted by group) -> two (P,) arrays."""
    if len(items) == 0:
        return items[:0], items[:0]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(items)])
    firsts, seconds = [], []
    for m in np.unique(sizes[sizes >= 2]):  # one vectorised step per distinct group size
        block = starts[sizes == m][:, None] + np.arange(m)  # (G, m) positions in `items`
        a, b = np.triu_indices(m, 1)
        firsts.append(items[block[:, a]].ravel())
        seconds.append(items[block[:, b]].ravel())
    if not firsts:
        return items[:0], items[:0]
    return np.concatenate(firsts), np.concatenate(seconds)


@torch.no_grad()
def ranking_disagreement(model: torch.nn.Module, data: Data, layer: int = 1) -> float:
    """The share of opposite orders in layer `layer` (1-based) of `model` on `data`'s graph: 0 for GAT
    with a slope > 0 (up to float ties, which count as no disagreement), above 0 for GATv2."""
    trace = model.trace(data.x, data.edge_index)[layer - 1]
    return disagreement(trace.edge_index, trace.scores).share


@dataclass(frozen=True)
class RankView:
    """One node and its in-neighbours as targets, the sources of all of them as columns."""

    targets: np.ndarray  # (t,) the node first, then its in-neighbours
    sources: np.ndarray  # (s,) columns, sorted by `static` (highest first)
    static: np.ndarray  # (s,) the source half of the score, a_srcᵀWh_j (GATv2: aᵀW_l h_j)
    ranks: np.ndarray  # (t, s) 1 = the source the target scores highest; NaN: not one of its sources
    scores: np.ndarray  # (t, s) e_ij; NaN where j → i is no edge
    result: Disagreement  # over the targets of this view


def rank_view(
    trace: AttentionTrace, node: int, head: int, max_targets: int = 12, max_sources: int = 30
) -> RankView:
    """The ranks each target gives its sources (ties share the best rank), for the node and up to
    `max_targets − 1` of its in-neighbours (those sharing the most sources with the others first)."""
    src, dst = trace.edge_index
    into = src[dst == node]
    neighbours = into[into != node]
    shared = torch.isin(dst, neighbours) & torch.isin(src, into)  # (E,) edges from the node's sources
    overlap = torch.bincount(dst[shared], minlength=trace.out.size(0))[neighbours]
    picked = neighbours[torch.argsort(-overlap, stable=True)][: max_targets - 1]
    targets = torch.cat([torch.tensor([node]), picked])
    mask = torch.isin(dst, targets)
    counts = torch.bincount(src[mask], minlength=trace.out.size(0))
    cand = torch.unique(src[mask])
    cand = cand[torch.argsort(-counts[cand], stable=True)][:max_sources]  # most shared sources first
    static = trace.score_src[cand, head].double()
    cols = cand[torch.argsort(-static, stable=True)]
    col_of = {int(j): c for c, j in enumerate(cols)}
    row_of = {int(i): r for r, i in enumerate(targets)}
    scores = np.full((len(targets), len(cols)), np.nan)
    for e in torch.nonzero(mask & torch.isin(src, cols)).view(-1).tolist():
        scores[row_of[int(dst[e])], col_of[int(src[e])]] = float(trace.scores[e, head])
    ranks = np.full_like(scores, np.nan)
    for r in range(len(targets)):
        # rank among *all* the target's sources, drawn or not: 1 + how many score strictly higher
        own = trace.scores[dst == targets[r], head].double().numpy()
        ok = ~np.isnan(scores[r])
        ranks[r, ok] = 1 + (own[None, :] > scores[r, ok][:, None]).sum(1)
    sub = torch.isin(src, cols)
    result = disagreement(trace.edge_index[:, sub], trace.scores[sub, head : head + 1], targets)
    return RankView(
        targets=targets.numpy(), sources=cols.numpy(), static=trace.score_src[cols, head].double().numpy(),
        ranks=ranks, scores=scores, result=result,
    )  # fmt: skip


def rank_sentence(view: RankView, model_name: str) -> str:
    """What the view's numbers say, by rule: no opposite orders → one order; else how many."""
    d = view.result
    if d.cases == 0:
        return _("{model}: no two of these targets share two sources; there is nothing to compare.").format(
            model=model_name
        )
    if d.opposite == 0 and not d.ties:
        template = _(
            "{model}: in all {cases} comparisons ({pairs} target pairs × their shared source pairs), the "
            "targets put their shared sources in the same order. Sorted by the source's own term, every "
            "row's ranks rise from left to right: one order for every target (static attention)."
        )
    elif d.opposite == 0:
        template = _(
            "{model}: in all {cases} comparisons ({pairs} target pairs × their shared source pairs), the "
            "targets put their shared sources in the same order; in {ties} one target ties the two sources "
            "and the other does not (ReLU's zeros). Sorted by the source's own term, every row's ranks rise "
            "from left to right: one order for every target (static attention)."
        )
    elif not d.ties:
        template = _(
            "{model}: in {opposite} of {cases} comparisons ({pairs} target pairs × their shared source "
            "pairs) ({share:.1%}), two targets rank the same two sources in opposite orders: the order "
            "depends on the target (dynamic attention)."
        )
    else:
        template = _(
            "{model}: in {opposite} of {cases} comparisons ({pairs} target pairs × their shared source "
            "pairs) ({share:.1%}), two targets rank the same two sources in opposite orders; in {ties} one "
            "target ties the two sources and the other does not (ReLU's zeros): the order depends on the "
            "target (dynamic attention)."
        )
    return template.format(
        model=model_name, cases=d.cases, pairs=d.pairs, ties=d.ties, opposite=d.opposite, share=d.share
    )
