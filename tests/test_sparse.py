"""The CSR kernels against dense torch ops."""

import torch

from gat_viz.layers import AttentionGraph
from gat_viz.sparse import SparseFeatures, attention_aggregate, keep_mask


def test_sparse_linear_forward_and_backward_match_dense():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(7, 11, generator=g) * (torch.rand(7, 11, generator=g) < 0.3)
    x[3] = 0  # an empty row
    w1 = torch.randn(5, 11, requires_grad=True)
    w2 = w1.detach().clone().requires_grad_()
    out = SparseFeatures(x).linear(w1)
    ref = x @ w2.t()
    assert torch.allclose(out, ref, atol=1e-6)
    grad = torch.randn(7, 5)
    out.backward(grad)
    ref.backward(grad)
    assert torch.allclose(w1.grad, w2.grad, atol=1e-6)
    assert torch.equal(SparseFeatures(x).to_dense(), x)


def test_sparse_dropout_keeps_the_pattern_and_scales():
    x = torch.eye(200)
    torch.manual_seed(0)
    dropped = SparseFeatures(x).dropout(0.5).to_dense()
    kept = dropped[dropped != 0]
    assert torch.allclose(kept, torch.full_like(kept, 2.0))
    assert 60 < kept.numel() < 140
    assert SparseFeatures(x).dropout(0.5, training=False).to_dense().equal(x)


def test_keep_mask_has_the_right_rate_in_every_position():
    torch.manual_seed(0)
    mask = keep_mask(400_000, 0.4).view(-1, 4).float()
    assert torch.allclose(mask.mean(0), torch.full((4,), 0.4), atol=0.01)  # each 16-bit lane
    assert keep_mask(10, 1.0).all() and not keep_mask(10, 0.0).any()


def test_aggregate_matches_scatter_with_duplicates_and_gradients(tiny_graph):
    _, edge_index = tiny_graph
    graph = AttentionGraph.build(edge_index, 6)
    heads, c = 3, 2
    blocks = graph.blocks(heads)
    alpha = torch.rand(heads * graph.num_edges, requires_grad=True)
    h = torch.randn(6 * heads, c, requires_grad=True)
    out = attention_aggregate(alpha, h, blocks)
    # Reference: per (edge, head) message alpha * h[source], summed at the target.
    a_eh = alpha[blocks.pos]  # (E, H) in CSR edge order
    h3 = h.view(6, heads, c)
    ref = torch.zeros(6, heads, c).index_add(0, graph.dst, a_eh.unsqueeze(-1) * h3[graph.src])
    assert torch.allclose(out.view(6, heads, c), ref, atol=1e-6)
    g = torch.randn_like(ref)
    (ga, gh) = torch.autograd.grad(out.view(6, heads, c), (alpha, h), g)
    (ra, rh) = torch.autograd.grad(ref, (alpha, h), g)
    assert torch.allclose(ga, ra, atol=1e-6) and torch.allclose(gh, rh, atol=1e-6)


def test_row_softmax_matches_pyg_softmax_and_its_gradient(tiny_graph):
    from torch_geometric.utils import softmax

    _, edge_index = tiny_graph
    graph = AttentionGraph.build(edge_index, 6)
    blocks = graph.blocks(2)
    scores = (torch.randn(2 * graph.num_edges) * 30).requires_grad_()  # large: needs the max shift
    ours = blocks.softmax(scores)
    ref = softmax(scores, blocks.row, num_nodes=12)
    assert torch.allclose(ours, ref, atol=1e-6)
    g = torch.randn_like(ours)
    assert torch.allclose(
        torch.autograd.grad(ours, scores, g)[0], torch.autograd.grad(ref, scores, g)[0], atol=1e-6
    )


def test_edge_major_inverts_pos(tiny_graph):
    """`edge_major` reads an edge-major (E, H) array into the blocks' order: the inverse of `pos`."""
    _, edge_index = tiny_graph
    graph = AttentionGraph.build(edge_index, 6)
    blocks = graph.blocks(3)
    per_edge = torch.randn(graph.num_edges, 3)  # (E, H) in CSR edge order
    flat = per_edge.reshape(-1).index_select(0, blocks.edge_major)  # (H·E,) in blocks order
    assert torch.equal(flat[blocks.pos], per_edge)
    assert torch.equal(blocks.edge_major.sort().values, torch.arange(3 * graph.num_edges))
