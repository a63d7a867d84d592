"""GATv2Layer against the reference, torch_geometric.nn.GATv2Conv, after a weight copy."""

import pytest
import torch
from torch_geometric.nn import GATv2Conv
from torch_geometric.utils import scatter

from gat_viz.config import GATConfig
from gat_viz.layers import AttentionGraph
from gat_viz.layers_v2 import GATv2Layer
from gat_viz.model import GAT
from gat_viz.sparse import SparseFeatures
from tests.twins import assert_matches_twin, assert_starts_like_pyg

ATOL = 1e-5


def pair(in_channels, out_channels, **kwargs):
    torch.manual_seed(0)
    ref = GATv2Conv(in_channels, out_channels, **kwargs)
    with torch.no_grad():  # GATv2Conv starts its biases at 0; non-zero ones test that they are used
        for name, p in ref.named_parameters():
            if name.endswith("bias"):
                p.normal_()
    ours = GATv2Layer(in_channels, out_channels, **kwargs)
    ours.load_state_dict(ref.state_dict(), strict=True)  # same names, same shapes
    return ours.eval(), ref.eval()


def test_parameter_names_are_gatv2convs():
    ours, ref = pair(5, 4, heads=3)
    assert list(ours.state_dict()) == list(ref.state_dict())
    shapes = lambda m: {k: v.shape for k, v in m.state_dict().items()}  # noqa: E731
    assert shapes(ours) == shapes(ref)
    ref.load_state_dict(ours.state_dict(), strict=True)  # and the other way


@pytest.mark.parametrize("heads, concat", [(1, True), (3, True), (4, False)])
@pytest.mark.parametrize("slope", [0.2, 0.0, 1.0])
def test_matches_gatv2conv_on_a_tricky_graph(tiny_graph, heads, concat, slope):
    """Isolated node, duplicate edges and existing self loops (see conftest.tiny_graph)."""
    x, edge_index = tiny_graph
    ours, ref = pair(5, 4, heads=heads, concat=concat, negative_slope=slope)
    ei, alpha = assert_matches_twin(ours, ref, x, edge_index, heads)
    sums = scatter(alpha, ei[1], dim=0, dim_size=6, reduce="sum")
    assert torch.allclose(sums, torch.ones(6, heads), atol=1e-6)


def test_return_attention_weights_as_gatv2conv(tiny_graph):
    x, edge_index = tiny_graph
    ours, ref = pair(5, 4)
    for flag in (None, False, True):
        assert type(ours(x, edge_index, return_attention_weights=flag)) is type(
            ref(x, edge_index, return_attention_weights=flag)
        ), flag


def test_gradients_match_gatv2conv(tiny_graph):
    x, edge_index = tiny_graph
    ours, ref = pair(5, 4, heads=2)
    weights = torch.randn(6, 8)
    (ours(x, edge_index) * weights).sum().backward()
    (ref(x, edge_index) * weights).sum().backward()
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=ATOL), name


def test_sparse_input_and_prebuilt_graph_give_the_same(tiny_graph):
    x, edge_index = tiny_graph
    ours, ref = pair(5, 4, heads=2)
    graph = AttentionGraph.build(edge_index, 6)
    assert torch.allclose(ours(SparseFeatures(x), graph), ref(x, edge_index), atol=ATOL)


def test_trace_holds_the_real_intermediates(tiny_graph):
    x, edge_index = tiny_graph
    ours, ref = pair(5, 3, heads=2)
    t = ours.trace(x, edge_index)
    ref_out, (ei, ref_alpha) = ref(x, edge_index, return_attention_weights=True)
    assert torch.allclose(t.alpha, ref_alpha, atol=ATOL) and torch.allclose(t.out, ref_out, atol=ATOL)
    # e_ij = aᵀ LeakyReLU(W_l h_j + W_r h_i), by hand for every edge
    xl, xr = ours.lin_l(x).view(-1, 2, 3), ours.lin_r(x).view(-1, 2, 3)
    e = (torch.nn.functional.leaky_relu(xl[ei[0]] + xr[ei[1]], 0.2) * ours.att).sum(-1)  # (E, H)
    assert torch.allclose(t.scores, e, atol=ATOL)
    # raw is the same score without the nonlinearity, which splits into a source and a target half
    assert torch.allclose(t.raw, ((xl[ei[0]] + xr[ei[1]]) * ours.att).sum(-1), atol=ATOL)
    assert torch.allclose(t.raw, t.score_src[ei[0]] + t.score_dst[ei[1]], atol=ATOL)


def test_model_equals_its_gatv2conv_twin_on_cora(cora):
    torch.manual_seed(0)
    model = GAT(GATConfig(layer="gatv2"), cora.num_features, 7).eval()
    twin = model.to_pyg().eval()
    assert type(twin.conv1).__name__ == "GATv2Conv"
    out, ref = model(cora.x, cora.edge_index), twin(cora.x, cora.edge_index)
    assert torch.allclose(out, ref, atol=ATOL)
    for (ei, alpha), (ref_ei, ref_alpha) in zip(
        model.attention(cora.x, cora.edge_index), twin.attention(cora.x, cora.edge_index)
    ):
        assert torch.equal(ei, ref_ei) and torch.allclose(alpha, ref_alpha, atol=ATOL)


def test_gatv2_trains_and_matches_its_twin(cora):
    from gat_viz.train import train

    result = train(cora, GATConfig(layer="gatv2", max_epochs=40), seed=0)
    assert result.history[-1].att_change > 0 and result.history[0].att_grad_norm > 0
    assert result.test_acc > 0.6  # far above the 0.32 of the largest class after 40 epochs
    model = result.model
    twin = model.to_pyg().eval()
    assert torch.allclose(model(cora.x, cora.edge_index), twin(cora.x, cora.edge_index), atol=ATOL)


def test_a_new_layer_starts_where_gatv2conv_would_from_the_same_draws():
    """reset_parameters: W_l, W_r and a by Glorot in GATv2Conv's order (gat_viz.layers.glorot, whose
    draws tests/test_layers.py compares with PyG's), every bias 0."""
    torch.manual_seed(0)
    assert_starts_like_pyg(GATv2Layer(7, 4, heads=3), ("lin_l.weight", "lin_r.weight", "att"))
