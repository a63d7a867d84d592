import math

import numpy as np
import pytest
import torch

from gat_viz.config import GATConfig
from gat_viz.model import GAT
from gat_viz.teaching import (
    activation_curves,
    compare_runs,
    compare_scores,
    dead_share,
    dense_view,
    fmt,
    head_slopes,
    noise_band,
    slope_notes,
    tidy,
    uniformity_sentence,
    walkthrough,
)


def test_activation_curves():
    c = activation_curves(0.2, -2, 2, 5)  # x = -2, -1, 0, 1, 2
    assert c["relu"].tolist() == [0, 0, 0, 1, 2]
    assert np.allclose(c["leaky"], [[-0.4, -0.2, 0, 1, 2]])
    assert c["d_relu"].tolist() == [0, 0, 1, 1, 1] and np.allclose(c["d_leaky"], [[0.2, 0.2, 1, 1, 1]])


def test_activation_curves_one_row_per_slope():
    c = activation_curves([-0.7, 1.5], -1, 1, 3)  # x = -1, 0, 1
    assert np.allclose(c["leaky"], [[0.7, 0, 1], [-1.5, 0, 1]])
    assert np.allclose(c["d_leaky"], [[-0.7, 1, 1], [1.5, 1, 1]])


@pytest.mark.parametrize(
    "value, spec, expected",
    [(-0.0001, ".3f", "0.000"), (-0.0, ".3f", "0.000"), (-1e-9, "+.3f", "0.000"), (-0.0004, ".1%", "0.0%"),
     (-0.0006, ".3f", "-0.001"), (0.0002, "+.3f", "0.000"), (0.002, "+.3f", "+0.002"),
     (-2e-5, ".1e", "-2.0e-05"), (-0.0, ".1e", "0.0e+00"), (-12.5, ".1f", "-12.5")],
)  # fmt: skip
def test_fmt_never_prints_negative_zero(value, spec, expected):
    assert fmt(value, spec) == expected


def test_tidy_has_no_negative_zero():
    t = tidy(np.array([-1e-7, -0.00004, 0.12346, -0.5]))
    assert t.tolist() == [0.0, 0.0, 0.1235, -0.5] and not np.signbit(t[:2]).any()


@pytest.fixture(scope="module")
def traces(cora_result, cora):
    return cora_result.model.trace(cora.x, cora.edge_index)


def test_score_comparison_on_real_scores(traces, cora_result):
    t = traces[0]
    node = int(torch.bincount(t.edge_index[1]).argmax())  # many edges: some negative scores
    slope = float(head_slopes(cora_result.model.layers[0])[0])
    assert slope == pytest.approx(0.2)
    cmp = compare_scores(t, node, head=0, slope=slope)
    mask = t.edge_index[1] == node
    assert np.allclose(cmp.raw, t.raw[mask, 0].numpy(), atol=1e-6)
    assert cmp.dead == int((t.raw[mask, 0] < 0).sum()) and cmp.dead > 0
    assert np.allclose(cmp.alpha, t.alpha[mask, 0].numpy(), atol=1e-5)  # the model's own α
    assert cmp.max_diff < 1e-5
    assert math.isclose(cmp.what_if_alpha.sum(), 1) and math.isclose(cmp.alpha.sum(), 1)
    dead = cmp.raw < 0
    assert np.allclose(cmp.what_if_alpha[dead], cmp.what_if_alpha[dead][0])  # ReLU ties them
    assert compare_scores(t, node, 0, slope=0.5).max_diff > 1e-3  # a wrong slope is caught


@pytest.fixture(scope="module")
def prelu_model(cora):
    """PReLU with slopes as a trained one can end up: negative, ordinary, above 1."""
    torch.manual_seed(0)
    model = GAT(GATConfig(activation="prelu", heads=3), cora.num_features, 7)
    with torch.no_grad():
        model.layers[0].prelu_weight.copy_(torch.tensor([-0.66, 0.3, 1.4]))
    model.eval()
    return model


def test_prelu_panel_uses_the_learned_slopes(prelu_model, cora):
    conv = prelu_model.layers[0]
    slopes = head_slopes(conv)
    assert np.allclose(slopes, [-0.66, 0.3, 1.4])
    t = prelu_model.trace(cora.x, cora.edge_index)[0]
    node = int(torch.bincount(t.edge_index[1]).argmax())
    for h in range(3):
        cmp = compare_scores(t, node, h, float(slopes[h]))
        assert cmp.max_diff < 1e-5 and cmp.slope == pytest.approx(slopes[h])
        neg = cmp.raw < 0
        assert neg.any() and np.allclose(cmp.scores[neg], slopes[h] * cmp.raw[neg])
    # the initial slope 0.2, which the panel drew before, does not reproduce the model
    assert compare_scores(t, node, 0, conv.negative_slope).max_diff > 1e-3
    notes = slope_notes(slopes)
    assert len(notes) == 2 and notes[0].startswith("head 1:") and "negative" in notes[0]
    assert notes[1].startswith("head 3:") and "above 1" in notes[1]
    assert slope_notes([-0.9, -0.7, 0.2])[0].startswith("heads 1, 2:") and slope_notes([0.2, 0.9]) == []


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


def test_walkthrough_prelu(prelu_model, cora):
    assert walkthrough(prelu_model, cora.x, cora.edge_index, 3, 0, 1).max_diff < 1e-5


@pytest.mark.parametrize("node, layer, head", [(0, 0, 1), (24, 1, 0), (33, 0, 4)])
def test_dense_view_rows_are_the_models_alpha(traces, node, layer, head):
    t = traces[layer]
    src, dst = t.edge_index
    nodes = np.unique(src[dst == node].numpy())  # the node and its neighbours (self loop included)
    dv = dense_view(t, nodes, head)
    s = len(nodes)
    assert dv.alpha.shape == dv.scores.shape == dv.edge.shape == (s, s)
    for r, i in enumerate(nodes):  # every row shown, not only the centre's
        into = (dst == int(i)).nonzero().view(-1)
        drawn = [e for e in into.tolist() if int(src[e]) in set(nodes.tolist())]
        for e in drawn:
            c = int(np.flatnonzero(nodes == int(src[e]))[0])
            assert dv.edge[r, c]
            assert dv.alpha[r, c] == pytest.approx(float(t.alpha[e, head]), abs=1e-6)
            assert dv.scores[r, c] == pytest.approx(float(t.scores[e, head]), abs=1e-6)
        rest = [e for e in into.tolist() if e not in drawn]
        assert dv.outside_count[r] == len(rest)
        assert dv.outside[r] == pytest.approx(float(t.alpha[rest, head].sum()) if rest else 0.0, abs=1e-6)
        assert np.nansum(dv.alpha[r]) + dv.outside[r] == pytest.approx(1.0, abs=1e-6)
    masked = ~dv.edge
    assert masked.any() and np.isneginf(dv.scores[masked]).all() and np.isnan(dv.alpha[masked]).all()
    assert dv.max_diff < 1e-5
    centre = int(np.flatnonzero(nodes == node)[0])
    assert dv.outside_count[centre] == 0
    # Rows of neighbours carry real weight outside the drawn set: renormalising them over the
    # drawn nodes (as this view once did) would be visibly wrong, and this test would catch it.
    assert dv.outside.max() > 0.05


def test_compare_runs_follows_the_rule():
    # issue 13: frozen 83.0 vs learned 82.8 must not read "works nearly as well"
    s = compare_runs("attention learned", 0.828, [("attention frozen", 0.830)], "Cora", 0)
    assert "no measurable difference in this single run (0.2 points)" in s and "nearly" not in s
    assert "82.8%" in s and "83.0%" in s and "seed 0" in s and "±2.0 points" in s
    s = compare_runs("this model", 0.80, [("trained with ReLU", 0.835)], "Cora", 3)
    assert "Trained with ReLU 83.5%: 3.5 points higher than this model" in s and "single run" in s
    assert "no measurable" not in s
    s = compare_runs("this model", 0.80, [("a", 0.77), ("b", 0.80)], "Cora", 3)
    assert "A 77.0%: 3.0 points lower than this model" in s and "B 80.0%: no measurable" in s
    assert "-0.0" not in s
    band = noise_band("Cora")
    assert band == pytest.approx(2 * math.sqrt(2) * 0.007)
    below = compare_runs("a", 0.80, [("b", 0.80 + band * 0.99)], "Cora", 0)
    above = compare_runs("a", 0.80, [("b", 0.80 + band * 1.01)], "Cora", 0)
    assert "no measurable" in below and "higher" in above


def test_uniformity_sentence():
    uniform = np.log(np.array([1, 4, 4, 9.0]))
    assert "close to uniform" in uniformity_sentence(uniform * 0.95, uniform)
    assert "far below uniform" in uniformity_sentence(uniform * 0.3, uniform)
    assert "3 nodes" in uniformity_sentence(uniform, uniform)
