import numpy as np
import torch

from gat_viz.graph import hop_distances, neighbourhood
from gat_viz.layers import AttentionGraph


def line_graph():
    # 0 - 1 - 2 - 3 (both directions), self loops added as GATConv does
    ei = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    return AttentionGraph.build(ei, 4).edge_index


def test_hop_distances():
    ei = line_graph()
    assert hop_distances(ei, 4, 0, 2).tolist() == [0, 1, 2, -1]
    assert hop_distances(ei, 4, 1, 1).tolist() == [1, 0, 1, -1]


def test_neighbourhood_draws_inward_edges_only():
    ei = line_graph()
    nb = neighbourhood(ei, 4, 0, 2)
    assert nb.nodes.tolist() == [0, 1, 2] and nb.hop.tolist() == [0, 1, 2]
    drawn = {(int(nb.nodes[s]), int(nb.nodes[t])) for s, t in zip(nb.src, nb.dst)}
    assert drawn == {(1, 0), (2, 1)}  # messages towards the centre
    for e, s, t in zip(nb.edge_ids, nb.src, nb.dst):  # edge ids line up with edge_index
        assert (int(ei[0, e]), int(ei[1, e])) == (int(nb.nodes[s]), int(nb.nodes[t]))
    for k, loop in enumerate(nb.self_loop_ids):
        assert ei[0, loop] == ei[1, loop] == nb.nodes[k]
    # rings: the centre in the middle, hop k at radius k
    assert np.allclose(np.hypot(*nb.pos.T), [0, 1, 2])


def test_cap_keeps_the_strongest_hop2_nodes(cora):
    ei = AttentionGraph.build(cora.edge_index, cora.num_nodes).edge_index
    hub = int(torch.bincount(cora.edge_index[1]).argmax())
    full = neighbourhood(ei, cora.num_nodes, hub, 2, max_nodes=10_000)
    assert full.total_nodes == len(full.nodes) > 400 and not full.truncated
    weight = np.random.default_rng(0).random(ei.size(1))
    capped = neighbourhood(ei, cora.num_nodes, hub, 2, weight=weight, max_nodes=250)
    assert len(capped.nodes) == 250 and capped.truncated
    assert capped.dropped_nodes == full.total_nodes - 250
    assert (capped.hop == 1).sum() == (full.hop == 1).sum()  # hop 1 is never dropped


def test_isolated_node_is_just_itself(citeseer):
    ei = AttentionGraph.build(citeseer.edge_index, citeseer.num_nodes).edge_index
    isolated = int((torch.bincount(citeseer.edge_index[1], minlength=citeseer.num_nodes) == 0).nonzero()[0])
    nb = neighbourhood(ei, citeseer.num_nodes, isolated, 2)
    assert nb.nodes.tolist() == [isolated] and len(nb.edge_ids) == 0 and nb.self_loop_ids[0] >= 0
