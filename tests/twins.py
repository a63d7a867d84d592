"""Checks shared by tests/test_layers.py and tests/test_layers_v2.py: a layer against its PyG twin
(GATLayer ~ GATConv, GATv2Layer ~ GATv2Conv)."""

import torch

ATOL = 1e-5


def assert_matches_twin(ours, ref, x, edge_index, heads: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Same output, same attention in the same edge order; returns (edge_index, alpha)."""
    out, (ei, alpha) = ours(x, edge_index, return_attention_weights=True)
    ref_out, (ref_ei, ref_alpha) = ref(x, edge_index, return_attention_weights=True)
    assert torch.equal(ei, ref_ei)  # same edge order: input minus self loops, then loops
    assert alpha.shape == ref_alpha.shape == (ei.size(1), heads)
    assert torch.allclose(alpha, ref_alpha, atol=ATOL)
    assert torch.allclose(out, ref_out, atol=ATOL)
    return ei, alpha


def assert_starts_like_pyg(layer, glorot_names: tuple[str, ...]) -> None:
    """reset_parameters draws `glorot_names` by PyG's Glorot, in that order, and zeros the rest."""
    from torch_geometric.nn.inits import glorot as pyg_glorot

    torch.manual_seed(1)
    layer.reset_parameters()
    expected = {name: torch.zeros_like(p) for name, p in layer.named_parameters()}
    torch.manual_seed(1)
    for name in glorot_names:
        pyg_glorot(expected[name])
    for name, p in layer.named_parameters():
        assert torch.equal(p, expected[name]), name
