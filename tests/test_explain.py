"""explain.py against independent references: the GATConv twin on edited graphs, and a dense
hand computation for uniform attention."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from gat_viz import explain
from gat_viz.config import GATConfig
from gat_viz.model import GAT

TOL = 1e-5


def _tiny_data(x: torch.Tensor, edge_index: torch.Tensor) -> Data:
    n = x.size(0)
    data = Data(x=x, edge_index=edge_index, y=torch.tensor([0, 1, 2, 0, 1, 2]))
    data.test_mask = torch.ones(n, dtype=torch.bool)
    data.train_mask = data.val_mask = torch.zeros(n, dtype=torch.bool)
    data.class_names = ["a", "b", "c"]
    return data


@pytest.fixture
def tiny(tiny_graph):
    """A random two-layer GAT with two output heads (per-head columns) on the tiny graph."""
    x, edge_index = tiny_graph
    torch.manual_seed(3)
    model = GAT(GATConfig(hidden=4, heads=3, out_heads=2), 5, 3).eval()
    return model, _tiny_data(x, edge_index)


def _twin_probs(model: GAT, data: Data, edge_index: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.to_pyg().eval()(data.x, edge_index).exp()  # (N, K)


def _without(edge_index: torch.Tensor, node: int, drop: list[int]) -> torch.Tensor:
    src, dst = edge_index
    gone = torch.zeros(edge_index.size(1), dtype=torch.bool)
    for j in drop:
        gone |= ((src == j) & (dst == node)) | ((src == node) & (dst == j))
    return edge_index[:, ~gone]


def _uniform_by_hand(model: GAT, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    """Const-GAT with dense matrices: A[i, j] counts the edges j → i, self loops replaced by one
    per node; each layer is mean/concat over heads of D⁻¹A (X Wₖᵀ), plus the bias."""
    n = x.size(0)
    a = torch.zeros(n, n)
    src, dst = edge_index
    keep = src != dst
    a.index_put_((dst[keep], src[keep]), torch.ones(int(keep.sum())), accumulate=True)
    a += torch.eye(n)
    a = a / a.sum(1, keepdim=True)  # (N, N) rows sum to 1
    c1, c2 = model.conv1, model.conv2
    with torch.no_grad():
        w1 = c1.lin.weight.view(c1.heads, c1.out_channels, -1)  # (H, C, F)
        h = torch.cat([a @ (x @ w1[k].T) for k in range(c1.heads)], 1) + c1.bias  # (N, H·C)
        h = F.elu(h)
        w2 = c2.lin.weight.view(c2.heads, c2.out_channels, -1)  # (H₂, K, H·C)
        z = torch.stack([a @ (h @ w2[k].T) for k in range(c2.heads)]).mean(0) + c2.bias  # (N, K)
    return torch.softmax(z, -1)


def _check_why(model: GAT, data: Data, node: int) -> explain.Why:
    w = explain.why(model, data, node)
    names = list(w.class_names)
    summed = torch.tensor(w.contributions[names].sum().to_numpy(), dtype=torch.float32)
    assert torch.allclose(summed + w.bias, w.logits, atol=TOL)
    with torch.no_grad():
        probs = model(data.x, data.edge_index).exp()[node]
    assert torch.allclose(torch.softmax(w.logits, -1), probs, atol=TOL)
    assert w.pred == int(probs.argmax())
    # α over the incoming edges sums to 1 (self loop included, one row per edge).
    assert w.contributions["alpha"].sum() == pytest.approx(1.0, abs=1e-5)
    assert int((w.contributions["source"] == node).sum()) == 1
    return w


# --- tiny graph -----------------------------------------------------------------------------------


def test_why_contributions_sum_to_logits_on_tiny_graph(tiny):
    model, data = tiny
    for node in range(6):
        w = _check_why(model, data, node)
        assert len(w.contributions) == int((data.edge_index[1] == node).sum()) + 1 - int(
            ((data.edge_index[0] == node) & (data.edge_index[1] == node)).sum()
        )
    w = explain.why(model, data, 1)  # 0 → 1 twice: one row per edge, as GATConv keeps both
    assert list(w.contributions["source"]).count(0) == 2
    assert {"alpha_h1", "alpha_h2"} <= set(w.contributions.columns)
    per_head = w.contributions[["alpha_h1", "alpha_h2"]].mean(axis=1)
    assert torch.allclose(
        torch.tensor(per_head.to_numpy()), torch.tensor(w.contributions["alpha"].to_numpy())
    )


def test_why_alpha_equals_the_twins_attention(tiny):
    model, data = tiny
    ei, alpha = model.to_pyg().attention(data.x, data.edge_index)[1]
    w = explain.why(model, data, 2)
    into = ei[1] == 2
    assert w.contributions["source"].tolist() == ei[0, into].tolist()  # GATConv's edge order
    assert torch.allclose(torch.tensor(w.contributions["alpha"].to_numpy()), alpha[into].mean(1), atol=TOL)


@pytest.mark.parametrize(("node", "drop"), [(1, [0]), (2, [0, 1]), (3, [4]), (2, [1])])
def test_what_if_drop_equals_the_twin_on_the_edited_graph(tiny, node, drop):
    model, data = tiny
    expected = _twin_probs(model, data, _without(data.edge_index, node, drop))[node]
    got = explain.what_if(model, data, node, drop=drop)
    assert torch.allclose(got, expected, atol=TOL)
    # ...and differs from the unedited prediction (the test can fail).
    assert not torch.allclose(got, _twin_probs(model, data, data.edge_index)[node], atol=1e-4)


def test_drop_all_equals_the_twin_without_edges(tiny):
    model, data = tiny
    empty = torch.empty(2, 0, dtype=torch.long)
    for node in range(6):
        got = explain.what_if(model, data, node, drop="all")
        assert torch.allclose(got, _twin_probs(model, data, empty)[node], atol=TOL)


def test_uniform_equals_a_hand_computation(tiny):
    model, data = tiny
    for node in range(6):
        expected = _uniform_by_hand(model, data.x, data.edge_index)[node]
        assert torch.allclose(explain.what_if(model, data, node, attention="uniform"), expected, atol=TOL)
    edited = _without(data.edge_index, 2, [0])
    expected = _uniform_by_hand(model, data.x, edited)[2]
    got = explain.what_if(model, data, 2, drop=[0], attention="uniform")
    assert torch.allclose(got, expected, atol=TOL)
    assert torch.allclose(
        explain.probabilities(model, data, "uniform"),
        _uniform_by_hand(model, data.x, data.edge_index),
        atol=TOL,
    )


def test_drop_one_equals_what_if_for_every_neighbour(tiny):
    model, data = tiny
    for node in range(5):
        table = explain.drop_one(model, data, node)
        names = ["a", "b", "c"]
        base = explain.what_if(model, data, node)
        pred = int(base.argmax())
        for row in table.itertuples(index=False):
            single = explain.what_if(model, data, node, drop=[row.source])
            assert torch.allclose(torch.tensor([getattr(row, c) for c in names]), single, atol=TOL)
            assert row.pred == int(single.argmax())
            assert row.effect == pytest.approx(float(base[pred] - single[pred]), abs=TOL)


def test_isolated_node_has_only_its_self_loop(tiny):
    model, data = tiny
    w = explain.why(model, data, 5)
    assert w.contributions["source"].tolist() == [5]
    assert w.contributions["alpha"].tolist() == pytest.approx([1.0])
    assert explain.drop_one(model, data, 5).empty
    assert torch.allclose(explain.what_if(model, data, 5, drop="all"), w.probs, atol=TOL)


@pytest.mark.parametrize("bad", [-1, 6, 10**9, 2.5, "3", True, None])
def test_bad_node_ids_raise_clear_errors(tiny, bad):
    model, data = tiny
    for call in (explain.why, explain.what_if, explain.drop_one):
        with pytest.raises(ValueError, match=r"node"):
            call(model, data, bad)
    with pytest.raises(ValueError, match=r"0\.\.5"):
        explain.why(model, data, 6)


def test_bad_arguments_raise_clear_errors(tiny):
    model, data = tiny
    with pytest.raises(ValueError, match="node 4 is not a neighbour of node 0"):
        explain.what_if(model, data, 0, drop=[4])
    with pytest.raises(ValueError, match="attention"):
        explain.what_if(model, data, 0, attention="random")
    with pytest.raises(ValueError, match="'all'"):
        explain.what_if(model, data, 0, drop="none")
    with pytest.raises(ValueError, match="split"):
        explain.attention_effect(model, data, split="dev")


def test_confusion_counts():
    m = explain.confusion([0, 0, 1, 2], [0, 1, 1, 0], 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


# --- Cora -----------------------------------------------------------------------------------------


@pytest.mark.cora
def test_why_and_what_if_on_cora_match_the_twin(cora_result, cora):
    model = cora_result.model.eval()
    degree = torch.bincount(cora.edge_index[1], minlength=cora.num_nodes)
    node = int((degree == 10).nonzero()[0])
    _check_why(model, cora, node)
    _check_why(model, cora, 1358)
    table = explain.drop_one(model, cora, node)
    assert len(table) == 10
    for j in table["source"].tolist()[:4]:
        expected = _twin_probs(model, cora, _without(cora.edge_index, node, [j]))[node]
        got = torch.tensor(
            table.loc[table["source"] == j, cora.class_names].to_numpy()[0], dtype=torch.float32
        )
        assert torch.allclose(got, expected, atol=TOL)
    two = table["source"].tolist()[:2]
    expected = _twin_probs(model, cora, _without(cora.edge_index, node, two))[node]
    assert torch.allclose(explain.what_if(model, cora, node, drop=two), expected, atol=TOL)
    hub = explain.drop_one(model, cora, 1358)
    assert len(hub) == int(degree[1358])
    j = int(hub["source"].iloc[7])
    expected = _twin_probs(model, cora, _without(cora.edge_index, 1358, [j]))[1358]
    assert torch.allclose(explain.what_if(model, cora, 1358, drop=[j]), expected, atol=TOL)


@pytest.mark.cora
def test_uniform_on_cora_equals_a_hand_computation(cora_result, cora):
    model = cora_result.model.eval()
    expected = _uniform_by_hand(model, cora.x, cora.edge_index)
    assert torch.allclose(explain.probabilities(model, cora, "uniform"), expected, atol=TOL)
    for node in (0, 1358, 2000):
        assert torch.allclose(
            explain.what_if(model, cora, node, attention="uniform"), expected[node], atol=TOL
        )


@pytest.mark.cora
def test_attention_effect_agrees_with_a_per_node_loop(cora_result, cora):
    model = cora_result.model.eval()
    fixed, broken = explain.attention_effect(model, cora, "test")
    test = cora.test_mask.nonzero().view(-1).tolist()
    with torch.no_grad():
        learned = model(cora.x, cora.edge_index).argmax(-1)
    loop_fixed = loop_broken = 0
    for node in test:
        uniform = int(explain.what_if(model, cora, node, attention="uniform").argmax())
        right, right_uniform = int(learned[node]) == int(cora.y[node]), uniform == int(cora.y[node])
        loop_fixed += right and not right_uniform
        loop_broken += right_uniform and not right
    assert (fixed, broken) == (loop_fixed, loop_broken)
    assert 0 <= fixed + broken <= len(test)


@pytest.mark.cora
def test_one_neighbour_node(cora_result, cora):
    model = cora_result.model.eval()
    degree = torch.bincount(cora.edge_index[1], minlength=cora.num_nodes)
    node = int((degree == 1).nonzero()[0])
    w = _check_why(model, cora, node)
    assert len(w.contributions) == 2
    table = explain.drop_one(model, cora, node)
    assert len(table) == 1
    j = int(table["source"].iloc[0])
    alone = explain.what_if(model, cora, node, drop="all")
    assert torch.allclose(explain.what_if(model, cora, node, drop=[j]), alone, atol=TOL)
    empty = torch.empty(2, 0, dtype=torch.long)
    assert torch.allclose(alone, _twin_probs(model, cora, empty)[node], atol=TOL)


@pytest.mark.cora
def test_error_table_rows_follow_from_what_if(cora_result, cora):
    model = cora_result.model.eval()
    table = explain.error_table(model, cora)
    with torch.no_grad():
        pred = model(cora.x, cora.edge_index).argmax(-1)
    test = cora.test_mask.nonzero().view(-1)
    wrong = test[pred[test] != cora.y[test]]
    assert table["node"].tolist() == wrong.tolist()
    assert (table["true"] != table["predicted"]).all()
    assert (table["margin"] > 0).all()
    fixes = table[table["fix_edge"] >= 0].head(3)
    stays = table[table["fix_edge"] < 0].head(3)
    assert len(fixes) and len(stays)
    for row in fixes.itertuples():
        assert int(explain.what_if(model, cora, row.node, drop=[row.fix_edge]).argmax()) == int(
            cora.y[row.node]
        )
    for row in stays.itertuples():
        assert (explain.drop_one(model, cora, row.node)["pred"] != int(cora.y[row.node])).all()
    for row in table.head(10).itertuples():
        uniform = int(explain.what_if(model, cora, row.node, attention="uniform").argmax())
        assert row.uniform_fixes == (uniform == int(cora.y[row.node]))


@pytest.mark.cora
def test_bench_why_reports_the_figures(cora, capsys):
    import json

    from gat_viz.cache import ASSETS, entry_name
    from gat_viz.checkpoint import load_checkpoint
    from gat_viz.cli import main

    assert main(["bench", "--why", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["why"]
    shipped = load_checkpoint(ASSETS / entry_name("Cora", GATConfig(), 0), cora).model.eval()
    assert (report["fixed"], report["broken"]) == explain.attention_effect(shipped, cora)
    assert report["hub_neighbours"] == 168
    assert int((cora.edge_index[1] == report["node"]).sum()) == 10 and bool(cora.test_mask[report["node"]])
    assert report["typical_ratio"] == pytest.approx(report["typical_ms"] / 300, abs=1e-3)
    assert all(v > 0 for v in (report["typical_ms"], report["hub_ms"], report["effect_ms"]))
