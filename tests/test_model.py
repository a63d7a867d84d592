"""GAT against the same network written with torch_geometric.nn.GATConv."""

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.utils import scatter

from gat_viz.config import GATConfig
from gat_viz.model import GAT

ATOL = 1e-5


def test_outputs_and_attention_equal_gatconv_on_cora(cora):
    torch.manual_seed(0)
    model = GAT(GATConfig(), cora.num_features, 7).eval()
    twin = model.to_pyg().eval()
    assert torch.allclose(model(cora.x, cora.edge_index), twin(cora.x, cora.edge_index), atol=ATOL)
    for (ei, alpha), (ref_ei, ref_alpha) in zip(
        model.attention(cora.x, cora.edge_index), twin.attention(cora.x, cora.edge_index)
    ):
        assert torch.equal(ei, ref_ei)
        assert ei.shape == (2, 10556 + 2708)
        assert torch.allclose(alpha, ref_alpha, atol=ATOL)
        sums = scatter(alpha, ei[1], dim=0, dim_size=cora.num_nodes, reduce="sum")
        assert torch.allclose(sums, torch.ones_like(sums), atol=1e-5)


def test_attention_shapes_per_layer(tiny_graph):
    x, edge_index = tiny_graph
    model = GAT(GATConfig(heads=3, hidden=4, out_heads=2), 5, 3)
    (ei1, a1), (ei2, a2) = model.attention(x, edge_index)
    assert a1.shape == (ei1.size(1), 3) and a2.shape == (ei2.size(1), 2)
    assert model.training  # attention() does not change the mode


def test_attention_is_eval_mode_even_when_training(tiny_graph):
    x, edge_index = tiny_graph
    model = GAT(GATConfig(), 5, 3).train()
    first = model.attention(x, edge_index)[0][1]
    second = model.attention(x, edge_index)[0][1]
    assert torch.equal(first, second)  # no dropout inside


def test_trained_model_matches_its_pyg_twin(cora_result, cora):
    model = cora_result.model
    twin = model.to_pyg()
    assert torch.allclose(model(cora.x, cora.edge_index), twin(cora.x, cora.edge_index), atol=ATOL)


def test_prelu_has_no_pyg_twin():
    with pytest.raises(ValueError, match="PReLU"):
        GAT(GATConfig(activation="prelu"), 5, 3).to_pyg()


def test_attention_parameters_learn(cora):
    """What makes attention learnable: att_src/att_dst get gradients from the loss and change;
    frozen, the attention stays exactly as initialised."""
    torch.manual_seed(0)
    model = GAT(GATConfig(dropout=0.0), cora.num_features, 7)
    before = model.attention(cora.x, cora.edge_index)
    att = {n: p for n, p in model.named_parameters() if n.endswith(("att_src", "att_dst"))}
    initial = {n: p.detach().clone() for n, p in att.items()}
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    loss = F.nll_loss(model(cora.x, cora.edge_index)[cora.train_mask], cora.y[cora.train_mask])
    loss.backward()
    for name, p in att.items():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    opt.step()
    for name, p in att.items():
        assert not torch.equal(p, initial[name]), name
    after = model.attention(cora.x, cora.edge_index)
    assert any(not torch.allclose(a[1], b[1]) for a, b in zip(before, after))

    # Frozen at initialisation, the attention parameters get no gradient and stay bitwise
    # the same while everything else trains; the layer-1 coefficients, which depend only on
    # a_src, a_dst and W (frozen here too), stay exactly as initialised.
    torch.manual_seed(0)
    frozen = GAT(GATConfig(dropout=0.0), cora.num_features, 7)
    start = frozen.attention(cora.x, cora.edge_index)
    att0 = {n: p.detach().clone() for n, p in frozen.named_parameters() if n.endswith(("att_src", "att_dst"))}
    for name, p in frozen.named_parameters():
        p.requires_grad_(not (name in att0 or name == "conv1.lin.weight"))
    opt = torch.optim.Adam([p for p in frozen.parameters() if p.requires_grad], lr=0.005)
    for _ in range(3):
        opt.zero_grad()
        out = frozen(cora.x, cora.edge_index)
        F.nll_loss(out[cora.train_mask], cora.y[cora.train_mask]).backward()
        opt.step()
    params = dict(frozen.named_parameters())
    for name, value in att0.items():
        assert params[name].grad is None and torch.equal(params[name], value), name
    end = frozen.attention(cora.x, cora.edge_index)
    assert torch.equal(start[0][1], end[0][1])
    assert not torch.equal(start[1][1], end[1][1])  # layer 2 sees layer 1's trained bias


def test_uniform_attention_is_one_over_in_degree_exactly(cora):
    """Const-GAT: a_src = a_dst = 0, so every e_ij is 0 and α_ij = 1/|N(i)|, bit for bit; its
    GATConv twin (the same weights, zero attention vectors) agrees."""
    torch.manual_seed(0)
    model = GAT(GATConfig(attention="uniform"), cora.num_features, 7).eval()
    for ei, alpha in model.attention(cora.x, cora.edge_index):
        deg = torch.bincount(ei[1], minlength=cora.num_nodes).float()
        assert torch.equal(alpha, (1.0 / deg[ei[1]]).unsqueeze(1).expand_as(alpha))
    twin = model.to_pyg().eval()
    assert torch.allclose(model(cora.x, cora.edge_index), twin(cora.x, cora.edge_index), atol=ATOL)
    # The other weights are the learned model's at the same seed: only attention differs.
    torch.manual_seed(0)
    learned = GAT(GATConfig(), cora.num_features, 7)
    assert torch.equal(learned.conv1.lin.weight, model.conv1.lin.weight)
