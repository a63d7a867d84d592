"""Static vs dynamic attention: the vectorised count against a direct loop, and the theorem."""

import itertools

import numpy as np
import pytest
import torch

from gat_viz.config import GATConfig
from gat_viz.model import GAT
from gat_viz.ranking import disagreement, rank_sentence, rank_view, ranking_disagreement


def direct(edge_index: torch.Tensor, scores: torch.Tensor) -> tuple[int, int, int]:
    """(opposite, ties, cases) by the definition, with plain loops."""
    e = {}
    for k, (j, i) in enumerate(edge_index.t().tolist()):
        e.setdefault((i, j), k)  # duplicates count once
    sources: dict[int, set[int]] = {}
    for i, j in e:
        sources.setdefault(i, set()).add(j)
    opposite = ties = cases = 0
    for i1, i2 in itertools.combinations(sorted(sources), 2):
        for j, k in itertools.combinations(sorted(sources[i1] & sources[i2]), 2):
            for h in range(scores.size(1)):
                d1 = float(scores[e[(i1, j)], h] - scores[e[(i1, k)], h])
                d2 = float(scores[e[(i2, j)], h] - scores[e[(i2, k)], h])
                cases += 1
                opposite += d1 * d2 < 0
                ties += (d1 == 0) != (d2 == 0)
    return opposite, ties, cases


def random_graph(n: int = 12, m: int = 50, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, m), generator=g)
    loops = torch.arange(n).repeat(2, 1)
    return torch.cat([ei, loops, ei[:, :5]], 1)  # duplicates and self loops included


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_count_equals_a_direct_loop(seed):
    ei = random_graph(seed=seed)
    scores = torch.randn(ei.size(1), 3, generator=torch.Generator().manual_seed(seed))
    scores[::7] = 0.0  # some ties
    d = disagreement(ei, scores)
    assert (d.opposite, d.ties, d.cases) == direct(ei, scores)
    assert d.opposite > 0


def test_gat_is_static_gatv2_is_dynamic(tiny_graph):
    x, _ = tiny_graph
    ei = random_graph(n=6, m=30)
    for seed in range(3):
        torch.manual_seed(seed)
        gat = GAT(GATConfig(heads=4), 5, 3).eval()
        t = gat.trace(x, ei)[0]
        assert disagreement(t.edge_index, t.scores).opposite == 0  # the theorem, for every seed
        torch.manual_seed(seed)
        v2 = GAT(GATConfig(heads=4, layer="gatv2"), 5, 3).eval()
        t2 = v2.trace(x, ei)[0]
        assert disagreement(t2.edge_index, t2.scores).opposite == direct(t2.edge_index, t2.scores)[0]
    assert disagreement(t2.edge_index, t2.scores).opposite > 0


def test_on_cora(cora):
    torch.manual_seed(0)
    gat = GAT(GATConfig(), cora.num_features, 7)
    assert ranking_disagreement(gat, cora, layer=1) == 0.0
    assert ranking_disagreement(gat, cora, layer=2) == 0.0
    torch.manual_seed(0)
    v2 = GAT(GATConfig(layer="gatv2"), cora.num_features, 7)
    assert ranking_disagreement(v2, cora, layer=1) > 0.0


def test_rank_view(cora):
    torch.manual_seed(0)
    gat = GAT(GATConfig(), cora.num_features, 7).eval()
    t = gat.trace(cora.x, cora.edge_index)[0]
    view = rank_view(t, 1358, head=0)
    assert view.targets[0] == 1358 and view.ranks.shape == (len(view.targets), len(view.sources))
    assert np.all(np.diff(view.static) <= 0)  # columns sorted by the source's own term
    for row in view.ranks:  # GAT: along every row the ranks never go down
        r = row[~np.isnan(row)]
        assert np.all(np.diff(r) >= 0)
    assert view.result.opposite == 0 and "static attention" in rank_sentence(view, "GAT")
    torch.manual_seed(0)
    v2 = GAT(GATConfig(layer="gatv2"), cora.num_features, 7).eval()
    view2 = rank_view(v2.trace(cora.x, cora.edge_index)[0], 1358, head=0)
    assert view2.result.opposite > 0 and "dynamic attention" in rank_sentence(view2, "GATv2")
