"""explainers.py: PyG's explainers on the node's incoming edges, lined up with attention."""

from __future__ import annotations

import math

import pytest
import torch
from torch_geometric.data import Data

from gat_viz import explainers
from gat_viz.config import GATConfig
from gat_viz.model import GAT


@pytest.fixture
def tiny(tiny_graph):
    x, edge_index = tiny_graph
    torch.manual_seed(5)
    model = GAT(GATConfig(hidden=4, heads=2), 5, 3).eval()
    data = Data(x=x, edge_index=edge_index, y=torch.tensor([0, 1, 2, 0, 1, 2]))
    data.class_names = ["a", "b", "c"]
    return model, data


def _model_max_attention(model: GAT, data: Data, node: int) -> dict[int, float]:
    """AttentionExplainer's definition, from the model's own attention: for each edge j → node,
    the max over both layers and all heads of α_j,node."""
    best: dict[int, float] = {}
    for ei, alpha in model.attention(data.x, data.edge_index):
        into = (ei[1] == node) & (ei[0] != node)
        for j, a in zip(ei[0, into].tolist(), alpha[into].max(1).values.tolist()):
            best[j] = max(best.get(j, -math.inf), a)
    return best


def test_masks_cover_the_incoming_edges_and_are_finite(tiny):
    model, data = tiny
    calls = []
    sources, scores, seconds = explainers.edge_masks(
        model, data, 2, on_progress=lambda done, total, what: calls.append((done, total, what))
    )
    into = (data.edge_index[1] == 2) & (data.edge_index[0] != 2)
    assert sorted(sources.tolist()) == sorted(data.edge_index[0, into].tolist())
    assert set(scores) == set(explainers.METHODS) == set(seconds)
    for method, mask in scores.items():
        assert mask.shape == sources.shape, method
        assert torch.isfinite(mask).all(), method
    assert calls[0] == (0, 3, "GNNExplainer") and calls[-1] == (3, 3, "done")


def test_gnnexplainer_is_deterministic_with_a_seed(tiny):
    model, data = tiny
    one = explainers.edge_masks(model, data, 1, ("GNNExplainer",), seed=1, epochs=30)[1]["GNNExplainer"]
    two = explainers.edge_masks(model, data, 1, ("GNNExplainer",), seed=1, epochs=30)[1]["GNNExplainer"]
    other = explainers.edge_masks(model, data, 1, ("GNNExplainer",), seed=2, epochs=30)[1]["GNNExplainer"]
    assert torch.equal(one, two)
    assert not torch.equal(one, other)


def test_attention_explainer_is_the_models_own_attention(tiny):
    model, data = tiny
    for node in (1, 2, 3):
        sources, scores, _ = explainers.edge_masks(model, data, node, ("AttentionExplainer",))
        expected = _model_max_attention(model, data, node)
        got = scores["AttentionExplainer"].tolist()
        assert got == pytest.approx([expected[j] for j in sources.tolist()], abs=1e-6)


def test_isolated_node_and_bad_arguments(tiny):
    model, data = tiny
    sources, scores, _ = explainers.edge_masks(model, data, 5)
    assert sources.numel() == 0 and all(s.numel() == 0 for s in scores.values())
    with pytest.raises(ValueError, match="unknown explainer"):
        explainers.edge_masks(model, data, 0, ("LIME",))
    with pytest.raises(ValueError, match="node"):
        explainers.edge_masks(model, data, 99)


@pytest.mark.cora
def test_comparison_on_cora(cora_result, cora):
    model = cora_result.model.eval()
    degree = torch.bincount(cora.edge_index[1], minlength=cora.num_nodes)
    node = int(((degree == 6) & cora.test_mask).nonzero()[0])
    c = explainers.compare(model, cora, node)
    assert len(c.table) == 6
    assert c.table["alpha"].is_monotonic_decreasing
    assert c.table[["alpha", "effect", *explainers.METHODS]].notna().all().all()
    assert list(c.correlations.columns) == ["alpha", "effect", *explainers.METHODS]
    assert c.correlations.loc["alpha", "alpha"] == pytest.approx(1.0)
    # Spearman from the table itself, so the matrix belongs to these rows.
    ranks = c.table[["alpha", "effect"]].rank()
    assert c.correlations.loc["alpha", "effect"] == pytest.approx(ranks.corr().loc["alpha", "effect"])
    # AttentionExplainer equals the model's own attention (max over layers and heads).
    expected = _model_max_attention(model, cora, node)
    att = dict(zip(c.table["source"], c.table["AttentionExplainer"]))
    assert att == pytest.approx(expected, abs=1e-6)
    assert set(c.seconds) == set(explainers.METHODS)
