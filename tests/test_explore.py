import numpy as np
import pytest
import torch

from gat_viz.explore import computation_view, default_node, edge_table, inspect, model_outputs, node_view


@pytest.fixture(scope="module")
def outputs(cora_result, cora):
    return model_outputs(cora_result.model, cora)


def test_outputs_match_the_model(outputs, cora_result, cora):
    ref = cora_result.model.to_pyg().attention(cora.x, cora.edge_index)
    for alpha, (_, ref_alpha) in zip(outputs.alpha, ref):
        assert torch.allclose(alpha, ref_alpha, atol=1e-5)
    assert torch.allclose(outputs.probs.sum(1), torch.ones(cora.num_nodes), atol=1e-5)
    with torch.no_grad():  # the traced pass gives the model's own probabilities
        forward = cora_result.model.eval()(cora.x, cora.edge_index).exp()
    assert torch.allclose(outputs.probs, forward, atol=1e-6)


def test_node_view_edges_carry_their_attention(outputs):
    v = node_view(outputs, 0, 2, 0, "mean")
    alpha = outputs.alpha[0].mean(1).numpy()
    assert np.allclose(v.edge_alpha, alpha[v.nb.edge_ids])
    deg = outputs.in_degree.numpy()
    targets = outputs.edge_index[1].numpy()[v.nb.edge_ids]
    assert np.allclose(v.edge_relative, v.edge_alpha * deg[targets])
    hop1 = v.nb.hop == 1
    assert not np.isnan(v.toward_centre[hop1]).any() and np.isnan(v.toward_centre[v.nb.hop == 2]).all()
    with pytest.raises(ValueError):
        node_view(outputs, 0, 2, 5, "mean")


def test_inspection_sums_and_sorts(outputs, cora):
    insp = inspect(outputs, cora, 0, 0)
    assert insp.in_degree == len(insp.neighbours) == 4  # 3 neighbours + self loop
    means = [r.alpha_mean for r in insp.neighbours]
    assert means == sorted(means, reverse=True) and abs(sum(means) - 1) < 1e-5
    assert sum(insp.label_mix.values()) == 3
    assert insp.uniform_entropy == pytest.approx(np.log(4))
    assert all(e <= insp.uniform_entropy + 1e-6 for e in insp.entropy)
    assert insp.true_label in cora.class_names and abs(sum(insp.probs) - 1) < 1e-5


def test_computation_view_shows_each_layers_attention(outputs):
    v = computation_view(outputs, 1358, "mean")
    for layer in (0, 1):
        pick = v.edge_layer == layer
        expected = outputs.alpha[layer].mean(dim=1).numpy()[v.nb.edge_ids[pick]]
        assert np.allclose(v.edge_alpha[pick], expected)
    assert v.layers_drawn == (0, 1) and v.mode == "computation graph"


@pytest.mark.parametrize(
    "make",
    [
        lambda o: computation_view(o, 0, "mean"),
        lambda o: computation_view(o, 1358, 2),
        lambda o: node_view(o, 1358, 2, 0, 3),
        lambda o: node_view(o, 7, 1, 1, "mean"),
    ],
)
def test_edge_table_sums_to_one_and_holds_every_drawn_edge(outputs, cora, make):
    v = make(outputs)
    table = edge_table(outputs, cora, v)
    assert list(table.columns[:8]) == [
        "source", "target", "layer", "head", "alpha", "alpha_x_uniform", "source_label", "target_label",
    ]  # fmt: skip
    sums = table.groupby(["target", "layer", "head"]).alpha.sum()
    assert np.allclose(sums, 1, atol=1e-5)
    rows = set(zip(table.source, table.target, table.layer))
    for s, t, layer in zip(v.nb.src, v.nb.dst, v.edge_layer):
        assert (int(v.nb.nodes[s]), int(v.nb.nodes[t]), int(layer) + 1) in rows
    assert ((table.source == table.target) & (table.target == v.nb.nodes[0])).any()  # self loops


def test_default_node_follows_its_rule(outputs, cora):
    node = default_node(outputs, cora)
    deg = int(outputs.in_degree[node]) - 1
    assert bool(cora.test_mask[node]) and int(outputs.pred[node]) == int(cora.y[node]) and 3 <= deg <= 8
