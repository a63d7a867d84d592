import numpy as np
import torch

from gat_viz.graph import EDGE_BUDGET, computation_graph, hop_distances, neighbourhood
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


def _pairs(nb, layer=None):
    keep = np.ones(len(nb.edge_ids), bool) if layer is None else nb.edge_layer == layer
    return {(int(nb.nodes[s]), int(nb.nodes[t])) for s, t in zip(nb.src[keep], nb.dst[keep])}


def test_computation_graph_is_what_the_prediction_used():
    # 0 - 1 - 2 - 3 and a lateral edge 1 - 4 - 2 ... centre 1: hop 1 = {0, 2, 4}, hop 2 = {3}
    ei = torch.tensor([[0, 1, 1, 2, 2, 3, 1, 4, 4, 2], [1, 0, 2, 1, 3, 2, 4, 1, 2, 4]])
    ei = AttentionGraph.build(ei, 5).edge_index
    nb = computation_graph(ei, 5, 1, np.ones(ei.size(1)))
    assert _pairs(nb, 1) == {(0, 1), (2, 1), (4, 1)}  # layer 2: into the centre
    # layer 1: into the centre and into each hop-1 node, the lateral 4 <-> 2 included
    assert _pairs(nb, 0) == {(0, 1), (2, 1), (4, 1), (1, 0), (1, 2), (3, 2), (4, 2), (1, 4), (2, 4)}
    assert sorted(nb.nodes.tolist()) == [0, 1, 2, 3, 4] and nb.hidden_edges == 0
    for e, s, t in zip(nb.edge_ids, nb.src, nb.dst):  # edge ids line up with edge_index
        assert (int(ei[0, e]), int(ei[1, e])) == (int(nb.nodes[s]), int(nb.nodes[t]))


def test_computation_graph_of_the_hub_is_summarised(cora):
    ei = AttentionGraph.build(cora.edge_index, cora.num_nodes).edge_index
    hub = 1358
    w = np.random.default_rng(0).random(ei.size(1))
    nb = computation_graph(ei, cora.num_nodes, hub, w, w)
    src, dst = ei[0].numpy(), ei[1].numpy()
    into_hub = int(((dst == hub) & (src != hub)).sum())
    assert (nb.edge_layer == 1).sum() == into_hub == 168  # no layer-2 edge is ever left out
    dist = hop_distances(ei, cora.num_nodes, hub, 2)
    every_layer1 = int(((src != dst) & ((dist[dst] == 1) | (dst == hub))).sum())
    assert (nb.edge_layer == 0).sum() + nb.hidden_edges == every_layer1
    assert (nb.edge_layer == 0).sum() <= EDGE_BUDGET and len(nb.nodes) < 200
    targets = set(nb.nodes[nb.dst[nb.edge_layer == 0]].tolist())
    assert all(dist[t] == 1 for t in targets)  # nothing into hop-2 nodes
