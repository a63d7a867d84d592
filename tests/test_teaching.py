import math

import numpy as np
import pytest
import torch

from gat_viz.config import GATConfig
from gat_viz.model import GAT
from gat_viz.teaching import activation_curves, compare_scores, dead_share, dense_view, walkthrough


def test_activation_curves():
    c = activation_curves(0.2, -2, 2, 5)  # x = -2, -1, 0, 1, 2
    assert c["relu"].tolist() == [0, 0, 0, 1, 2]
    assert np.allclose(c["leaky"], [-0.4, -0.2, 0, 1, 2])
    assert c["d_relu"].tolist() == [0, 0, 1, 1, 1] and np.allclose(c["d_leaky"], [0.2, 0.2, 1, 1, 1])


@pytest.fixture(scope="module")
def traces(cora_result, cora):
    return cora_result.model.trace(cora.x, cora.edge_index)


def test_score_comparison_on_real_scores(traces):
    t = traces[0]
    node = int(torch.bincount(t.edge_index[1]).argmax())  # many edges: some negative scores
    cmp = compare_scores(t, node, head=0, slope=0.2)
    mask = t.edge_index[1] == node
    assert np.allclose(cmp.raw, t.raw[mask, 0].numpy(), atol=1e-6)
    assert cmp.dead == int((t.raw[mask, 0] < 0).sum()) and cmp.dead > 0
    assert np.allclose(cmp.alpha_leaky, t.alpha[mask, 0].numpy(), atol=1e-5)  # the model's own α
    assert math.isclose(cmp.alpha_relu.sum(), 1) and math.isclose(cmp.alpha_leaky.sum(), 1)
    dead = cmp.raw < 0
    assert np.allclose(cmp.alpha_relu[dead], cmp.alpha_relu[dead][0])  # ReLU ties them


def test_dead_share(traces):
    t = traces[0]
    assert dead_share(t, 2) == pytest.approx(float((t.raw[:, 2] < 0).float().mean()), abs=1e-6)
    assert 0 < dead_share(t) < 1


@pytest.mark.parametrize("layer, head", [(0, 0), (0, 5), (1, 0)])
def test_walkthrough_reproduces_the_forward_pass(cora_result, cora, layer, head):
    w = walkthrough(cora_result.model, cora.x, cora.edge_index, 7, layer, head)
    assert w.max_diff < 1e-5
    assert np.allclose(w.raw, w.src_term + w.dst_term, atol=1e-6)
    assert math.isclose(w.alpha.sum(), 1, rel_tol=1e-5) and math.isclose(w.probs.sum(), 1, rel_tol=1e-5)
    assert np.allclose(w.head_out, w.alpha @ w.wh_j, atol=1e-6)


def test_walkthrough_prelu(cora):
    torch.manual_seed(0)
    model = GAT(GATConfig(activation="prelu", heads=2), cora.num_features, 7)
    assert walkthrough(model, cora.x, cora.edge_index, 3, 0, 1).max_diff < 1e-5


def test_dense_view_equals_edge_list(traces, cora):
    t = traces[0]
    node = 0
    nodes = np.unique(t.edge_index[0, t.edge_index[1] == node].numpy())  # node 0 and its neighbours
    dv = dense_view(t, nodes, head=1)
    k = int(np.flatnonzero(nodes == node)[0])
    assert np.isclose(dv.alpha[k].sum(), 1) and dv.max_diff < 1e-5
    assert np.isinf(dv.scores).any()  # −∞ where there is no edge
