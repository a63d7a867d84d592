import math

import torch

from gat_viz.attention import entropy, relative_to_uniform, select_heads, uniform_entropy
from gat_viz.layers import AttentionGraph


def test_uniform_attention_has_entropy_log_in_degree_and_relative_one():
    ei = AttentionGraph.build(torch.tensor([[0, 1, 2, 0], [1, 0, 0, 2]]), 3).edge_index
    deg = torch.bincount(ei[1], minlength=3).float()
    alpha = (1.0 / deg[ei[1]]).unsqueeze(-1).repeat(1, 2)  # uniform, 2 heads
    assert torch.allclose(entropy(ei, alpha, 3), uniform_entropy(ei, 3).unsqueeze(-1).expand(3, 2))
    assert math.isclose(float(uniform_entropy(ei, 3)[0]), math.log(3), rel_tol=1e-6)  # 2 in + self
    assert torch.allclose(relative_to_uniform(ei, alpha, 3), torch.ones_like(alpha))


def test_select_heads():
    alpha = torch.tensor([[0.2, 0.6], [0.8, 0.4]])
    assert torch.equal(select_heads(alpha, 1), alpha[:, 1])
    assert torch.allclose(select_heads(alpha, "mean"), torch.tensor([0.4, 0.6]))
    assert torch.equal(select_heads(alpha, "max"), torch.tensor([0.6, 0.8]))
