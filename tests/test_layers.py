"""GATLayer against the reference, torch_geometric.nn.GATConv, after a weight copy."""

import pytest
import torch
from torch_geometric.nn import GATConv
from torch_geometric.utils import scatter

from gat_viz.layers import AttentionGraph, GATLayer
from gat_viz.sparse import SparseFeatures

ATOL = 1e-5


def pair(in_channels, out_channels, **kwargs):
    torch.manual_seed(0)
    ours = GATLayer(in_channels, out_channels, **kwargs)
    ref = GATConv(in_channels, out_channels, **kwargs)
    ref.load_state_dict(ours.state_dict(), strict=True)  # same names, same shapes
    return ours.eval(), ref.eval()


@pytest.mark.parametrize("heads, concat", [(1, True), (3, True), (4, False)])
@pytest.mark.parametrize("slope", [0.2, 0.0, 1.0])
def test_matches_gatconv_on_a_tricky_graph(tiny_graph, heads, concat, slope):
    x, edge_index = tiny_graph
    ours, ref = pair(5, 4, heads=heads, concat=concat, negative_slope=slope)
    out, (ei, alpha) = ours(x, edge_index, return_attention_weights=True)
    ref_out, (ref_ei, ref_alpha) = ref(x, edge_index, return_attention_weights=True)
    assert torch.equal(ei, ref_ei)  # same edge order: input minus self loops, then loops
    assert alpha.shape == ref_alpha.shape == (ei.size(1), heads)
    assert torch.allclose(alpha, ref_alpha, atol=ATOL)
    assert torch.allclose(out, ref_out, atol=ATOL)


def test_attention_sums_to_one_per_target_and_isolated_nodes_keep_a_self_loop(tiny_graph):
    x, edge_index = tiny_graph
    ours, _ = pair(5, 4, heads=2)
    _, (ei, alpha) = ours(x, edge_index, return_attention_weights=True)
    sums = scatter(alpha, ei[1], dim=0, dim_size=6, reduce="sum")
    assert torch.allclose(sums, torch.ones(6, 2), atol=1e-6)
    loop = (ei[0] == 5) & (ei[1] == 5)
    assert int(loop.sum()) == 1 and torch.allclose(alpha[loop], torch.ones(1, 2))


def test_return_attention_weights_as_gatconv(tiny_graph):
    """GATConv 2.8.1: True returns (out, (edge_index, alpha)); None and False return out alone."""
    x, edge_index = tiny_graph
    ours, ref = pair(5, 4)
    for flag in (None, False, True):
        assert type(ours(x, edge_index, return_attention_weights=flag)) is type(
            ref(x, edge_index, return_attention_weights=flag)
        )
    assert torch.allclose(ours(x, edge_index, None, None), ref(x, edge_index, None, None), atol=1e-6)


@pytest.mark.parametrize("layer", ["GATLayer", "GATv2Layer"])
@pytest.mark.parametrize(
    "kwargs, name",
    [({"edge_dim": 3}, "edge_dim"), ({"fill_value": 0.0}, "fill_value"), ({"residual": True}, "residual")],
)
def test_other_conv_arguments_are_refused_by_name(layer, kwargs, name):
    import gat_viz

    cls = getattr(gat_viz, layer)
    cls(5, 4, edge_dim=None, fill_value="mean", residual=False)  # the defaults are accepted
    with pytest.raises(NotImplementedError, match=name):
        cls(5, 4, **kwargs)
    with pytest.raises(TypeError, match="unexpected argument"):
        cls(5, 4, flow="target_to_source_typo")


def test_forward_refuses_edge_attr_and_size(tiny_graph):
    x, edge_index = tiny_graph
    ours, _ = pair(5, 4)
    with pytest.raises(NotImplementedError, match="edge_attr"):
        ours(x, edge_index, edge_attr=torch.ones(edge_index.size(1), 1))
    with pytest.raises(NotImplementedError, match="size"):
        ours(x, edge_index, size=(6, 6))


def test_without_self_loops_and_without_bias(tiny_graph):
    x, edge_index = tiny_graph
    ours, ref = pair(5, 3, heads=2, add_self_loops=False, bias=False)
    out, (ei, alpha) = ours(x, edge_index, return_attention_weights=True)
    ref_out, (ref_ei, ref_alpha) = ref(x, edge_index, return_attention_weights=True)
    assert torch.equal(ei, ref_ei)
    assert torch.allclose(alpha, ref_alpha, atol=ATOL) and torch.allclose(out, ref_out, atol=ATOL)


def test_gradients_match_gatconv(tiny_graph):
    x, edge_index = tiny_graph
    ours, ref = pair(5, 4, heads=3)
    weights = torch.randn(6, 12)
    (ours(x, edge_index) * weights).sum().backward()
    (ref(x, edge_index) * weights).sum().backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        assert torch.allclose(p.grad, q.grad, atol=ATOL), name


def test_sparse_input_and_prebuilt_graph_give_the_same_result(tiny_graph):
    x, edge_index = tiny_graph
    x = x * (x > 0)  # make it sparse-ish
    ours, ref = pair(5, 4, heads=2)
    graph = AttentionGraph.build(edge_index, 6)
    assert torch.allclose(ours(SparseFeatures(x), graph), ref(x, edge_index), atol=ATOL)


def test_training_mode_applies_attention_dropout(tiny_graph):
    x, edge_index = tiny_graph
    ours, _ = pair(5, 4, heads=2, dropout=0.5)
    ours.train()
    torch.manual_seed(0)
    _, (_, alpha) = ours(x, edge_index, return_attention_weights=True)
    assert (alpha == 0).any()  # some coefficients dropped, the rest scaled by 2


def test_trace_reproduces_forward_and_exposes_raw_scores(tiny_graph):
    x, edge_index = tiny_graph
    ours, ref = pair(5, 4, heads=3, negative_slope=0.2)
    t = ours.trace(x, edge_index)
    _, (ei, alpha) = ref(x, edge_index, return_attention_weights=True)
    assert torch.equal(t.edge_index, ei) and torch.allclose(t.alpha, alpha, atol=ATOL)
    assert torch.allclose(t.out, ref(x, edge_index), atol=ATOL)
    wh = (x @ ours.lin.weight.t()).view(6, 3, 4)  # (N, H, C)
    assert torch.allclose(t.h, wh, atol=ATOL)
    src, dst = ei
    raw = (wh[src] * ours.att_src).sum(-1) + (wh[dst] * ours.att_dst).sum(-1)  # (E, H)
    assert torch.allclose(t.raw, raw, atol=ATOL)
    assert torch.allclose(t.scores, torch.nn.functional.leaky_relu(raw, 0.2), atol=ATOL)
    assert torch.allclose(t.score_src[src] + t.score_dst[dst], raw, atol=ATOL)


def test_relu_activation_equals_slope_zero(tiny_graph):
    x, edge_index = tiny_graph
    torch.manual_seed(0)
    relu = GATLayer(5, 4, heads=2, activation="relu", negative_slope=0.5)
    _, ref = pair(5, 4, heads=2, negative_slope=0.0)
    relu.load_state_dict(ref.state_dict())
    assert torch.allclose(relu.eval()(x, edge_index), ref(x, edge_index), atol=ATOL)


def test_prelu_learns_a_slope_per_head(tiny_graph):
    x, edge_index = tiny_graph
    layer = GATLayer(5, 4, heads=3, activation="prelu", negative_slope=0.25)
    assert layer.prelu_weight.shape == (3,)
    assert torch.allclose(layer.prelu_weight, torch.full((3,), 0.25))
    t = layer.trace(x, edge_index)
    expected = torch.where(t.raw >= 0, t.raw, t.raw * layer.prelu_weight)
    assert torch.allclose(t.scores, expected)
    layer(x, edge_index).sum().backward()
    assert layer.prelu_weight.grad is not None and layer.prelu_weight.grad.abs().sum() > 0


def test_rejects_bad_edges():
    layer = GATLayer(2, 2)
    with pytest.raises(ValueError, match="outside"):
        layer(torch.randn(3, 2), torch.tensor([[0, 5], [1, 1]]))
    with pytest.raises(ValueError, match=r"shape \(2, E\)"):
        layer(torch.randn(3, 2), torch.tensor([0, 1, 2]))


def test_cora_layer_matches_gatconv(cora):
    ours, ref = pair(cora.num_features, 8, heads=8)
    out, (ei, alpha) = ours(cora.x, cora.edge_index, return_attention_weights=True)
    ref_out, (ref_ei, ref_alpha) = ref(cora.x, cora.edge_index, return_attention_weights=True)
    assert torch.equal(ei, ref_ei)
    assert torch.allclose(alpha, ref_alpha, atol=ATOL) and torch.allclose(out, ref_out, atol=ATOL)
