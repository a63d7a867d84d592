"""GATLayer against the reference, torch_geometric.nn.GATConv, after a weight copy; the PyG
utilities `gat_viz.layers` writes in torch against PyG's own."""

import itertools
import math

import pytest
import torch
from torch_geometric.nn import GATConv
from torch_geometric.utils import scatter

from gat_viz.layers import (
    AttentionGraph,
    GATLayer,
    add_self_loops,
    glorot,
    k_hop_subgraph,
    remove_self_loops,
    replace_self_loops,
    softmax,
    zeros,
)
from gat_viz.sparse import SparseFeatures
from tests.twins import assert_matches_twin, assert_starts_like_pyg

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
    assert_matches_twin(ours, ref, x, edge_index, heads)


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


# --- the PyG utilities written in torch (gat_viz.layers), against PyG's own --------------------


def _edge_attrs(e):
    g = torch.Generator().manual_seed(3)
    return [torch.randn(e, generator=g), torch.randn(e, 3, generator=g)]  # (E,) and (E, D)


@pytest.mark.parametrize("fill_value", [None, 2.5, 3, torch.tensor([0.5, -1.0, 2.0]), "add", "sum", "mean",
                                        "min", "max", "mul"])  # fmt: skip
def test_self_loops_are_pygs_on_a_graph_with_loops_duplicates_and_an_isolated_node(tiny_graph, fill_value):
    from torch_geometric.utils import add_self_loops as pyg_add
    from torch_geometric.utils import remove_self_loops as pyg_remove

    _, edge_index = tiny_graph  # loops 2→2 and 3→3, 0→1 twice, node 5 isolated
    for attr in _edge_attrs(edge_index.size(1)):
        if isinstance(fill_value, torch.Tensor) and attr.dim() == 1:
            continue  # a (3,) fill goes with (E, 3) attributes
        got, want = remove_self_loops(edge_index, attr), pyg_remove(edge_index, attr)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
        for n in (6, None):  # None: the largest index + 1 (5 here, the isolated node is missed)
            got = add_self_loops(edge_index, attr, fill_value=fill_value, num_nodes=n)
            want = pyg_add(edge_index, attr, fill_value=fill_value, num_nodes=n)
            assert torch.equal(got[0], want[0])  # input order kept, existing loops too, then 0..N-1
            assert got[1].dtype == want[1].dtype and torch.equal(got[1], want[1]), (fill_value, n)
    got, want = add_self_loops(edge_index, num_nodes=6), pyg_add(edge_index, num_nodes=6)
    assert torch.equal(got[0], want[0]) and got[1] is None and want[1] is None
    assert got[0].size(1) == edge_index.size(1) + 6
    assert torch.equal(replace_self_loops(edge_index, 6), pyg_add(pyg_remove(edge_index)[0], num_nodes=6)[0])
    empty = torch.empty(2, 0, dtype=torch.long)
    assert torch.equal(add_self_loops(empty, num_nodes=3)[0], pyg_add(empty, num_nodes=3)[0])


def test_softmax_is_pygs_values_and_gradients():
    from torch_geometric.utils import softmax as pyg_softmax

    g = torch.Generator().manual_seed(0)
    index = torch.tensor([3, 0, 3, 1, 3, 0, 1, 1, 4])  # node 2 receives nothing
    for shape in ((9,), (9, 3)):
        scores = (torch.randn(*shape, generator=g) * 30).requires_grad_()  # large: needs the max shift
        ref_scores = scores.detach().clone().requires_grad_()
        ours, ref = softmax(scores, index, num_nodes=5), pyg_softmax(ref_scores, index, num_nodes=5)
        assert torch.equal(ours, ref)
        weights = torch.randn(*shape, generator=g)
        (ours * weights).sum().backward()
        (ref * weights).sum().backward()
        assert torch.allclose(scores.grad, ref_scores.grad, atol=1e-6)
    assert torch.equal(softmax(scores, index), pyg_softmax(scores, index))  # N from the index


@pytest.mark.parametrize("shape", [(8, 5), (1, 8, 4), (64, 1433)])
def test_glorot_draws_what_pyg_draws(shape):
    from torch_geometric.nn.inits import glorot as pyg_glorot
    from torch_geometric.nn.inits import zeros as pyg_zeros

    ours, ref = torch.empty(shape), torch.empty(shape)
    torch.manual_seed(7)
    glorot(ours)
    torch.manual_seed(7)
    pyg_glorot(ref)
    assert torch.equal(ours, ref)  # the same bound and the same draws
    bound = math.sqrt(6.0 / (shape[-2] + shape[-1]))
    assert float(ours.abs().max()) <= bound and float(ours.abs().max()) > 0.9 * bound
    zeros(ours)
    pyg_zeros(ref)
    assert torch.equal(ours, ref) and not ours.any()
    zeros(None)  # no bias: nothing to do, as PyG


def test_a_new_layer_starts_where_gatconv_would_from_the_same_draws():
    """reset_parameters: W, a_src, a_dst by Glorot in GATConv's order, the bias 0."""
    torch.manual_seed(0)
    assert_starts_like_pyg(GATLayer(7, 4, heads=3), ("lin.weight", "att_src", "att_dst"))


def test_k_hop_subgraph_is_pygs(tiny_graph, cora):
    from torch_geometric.utils import k_hop_subgraph as pyg_k_hop

    _, edge_index = tiny_graph
    cases = itertools.product((0, 5, [1, 4], torch.tensor([3])), (1, 2, 3), (False, True))
    for node, hops, relabel in cases:
        got = k_hop_subgraph(node, hops, edge_index, relabel_nodes=relabel, num_nodes=6)
        want = pyg_k_hop(node, hops, edge_index, relabel_nodes=relabel, num_nodes=6)
        for a, b in zip(got, want):
            assert torch.equal(a, b), (node, hops, relabel)
    for node in (1358, 0):  # a hub and an ordinary paper
        got = k_hop_subgraph(node, 2, cora.edge_index, relabel_nodes=True, num_nodes=cora.num_nodes)
        want = pyg_k_hop(node, 2, cora.edge_index, relabel_nodes=True, num_nodes=cora.num_nodes)
        assert all(torch.equal(a, b) for a, b in zip(got, want))
