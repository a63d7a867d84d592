import numpy as np
import pytest
import torch

from gat_viz.teaching import DenseView, activation_curves, compare_scores, dense_view, head_slopes
from gat_viz.teaching_plots import (
    activation_figure,
    dense_figure,
    entropy_scatter,
    entropy_selection,
    score_comparison_figure,
    training_curve,
)


def _legend_outside_plot(fig):
    legend = fig.layout.legend
    return legend.y >= 1 and legend.yanchor == "bottom" and legend.orientation == "h"


def test_training_curve_legend_above_the_plot(cora_result):
    fig = training_curve(cora_result.history)
    assert len(fig.data[0].x) == cora_result.epochs
    assert _legend_outside_plot(fig) and fig.layout.margin.t >= 50  # two legend rows in a sidebar


def test_activation_figure_draws_each_slope():
    slopes = [-0.66, 0.25, 1.3]
    fig = activation_figure(activation_curves(slopes), [f"head {h + 1}" for h in range(3)], highlight=1)
    assert _legend_outside_plot(fig)  # never on the "raw score" axis title
    by_name = {t.name: t for t in fig.data}
    for h, a in enumerate(slopes):
        f = by_name[f"head {h + 1}"]
        x = np.asarray(f.x)
        k = int(np.argmin(np.abs(x + 1)))  # x = -1
        assert np.isclose(x[k], -1) and np.isclose(f.y[k], -a)
    df = by_name["head 2′"]  # the derivative of the highlighted head only
    assert np.isclose(df.y[0], 0.25) and "head 1′" not in by_name
    assert by_name["head 2"].line.width > by_name["head 1"].line.width
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert legend == ["ReLU", "other heads (hover to name)", "head 2"]  # 3 rows, not one per head


def test_activation_figure_for_a_prelu_model(cora):
    from gat_viz.config import GATConfig
    from gat_viz.model import GAT

    model = GAT(GATConfig(activation="prelu", heads=2), cora.num_features, 7)
    with torch.no_grad():
        model.layers[0].prelu_weight.copy_(torch.tensor([-0.8, 0.4]))
    curves = activation_curves(head_slopes(model.layers[0]))
    fig = activation_figure(curves)
    neg = next(t for t in fig.data if t.name == "slope -0.80")
    assert np.isclose(neg.y[0], 0.8 * 3)  # x = -3 through the learned slope −0.8


@pytest.fixture(scope="module")
def cora_outputs(cora_result, cora):
    from gat_viz.explore import model_outputs

    return model_outputs(cora_result.model, cora)


def test_entropy_scatter_one_point_per_node(cora_outputs, cora):
    ent = cora_outputs.entropy[0].mean(1).numpy()
    deg = cora_outputs.in_degree.numpy()
    fig = entropy_scatter(ent, deg, centre=42)
    points = [t for t in fig.data if t.customdata is not None]
    assert len(points) == 1  # one selectable trace
    (nodes,) = points
    assert len(nodes.x) == len(nodes.y) == cora.num_nodes == 2708
    assert [c[0] for c in nodes.customdata] == list(range(cora.num_nodes))
    assert np.allclose(nodes.x, np.log(deg)) and np.allclose(nodes.y, ent)
    centre = next(t for t in fig.data if t.name == "centre node 42")
    assert np.isclose(centre.x[0], np.log(deg[42])) and np.isclose(centre.y[0], ent[42])
    line = fig.data[0]
    assert list(line.x) == list(line.y)  # y = x: uniform attention
    assert (np.asarray(nodes.y) <= np.asarray(nodes.x) + 1e-5).all()  # entropy ≤ log(in-degree)
    gap = entropy_scatter(ent, deg, centre=42, gap=True)
    g = next(t for t in gap.data if t.customdata is not None)
    assert np.allclose(g.y, ent - np.log(deg)) and list(gap.data[0].y) == [0, 0]
    assert len(g.x) == cora.num_nodes


def test_entropy_scatter_hover_has_no_negative_zero():
    fig = entropy_scatter(np.array([-0.0, -1e-9, 0.5]), np.array([1, 1, 2]), centre=0)
    texts = next(t for t in fig.data if t.customdata is not None).text
    assert list(texts) == [
        "node 0: entropy 0.000 nats",
        "node 1: entropy 0.000 nats",
        "node 2: entropy 0.500 nats",
    ]


@pytest.mark.parametrize(
    "selection, expected",
    [
        ({"selection": {"points": [{"customdata": [5]}], "box": [], "lasso": []}}, ([5], True)),
        ({"selection": {"points": [{"customdata": {"0": 9}}]}}, ([9], True)),
        ({"selection": {"points": [{"customdata": [5]}], "box": [{"x": [0, 1]}], "lasso": []}}, ([5], False)),
        ({"selection": {"points": [{"customdata": [1]}, {"customdata": [2]}], "lasso": [{"x": [0]}]}},
         ([1, 2], False)),
        ({"selection": {"points": [{"x": 0.1}], "box": []}}, ([], False)),
        ({"selection": {"points": []}}, ([], False)),
        (None, ([], False)),
    ],
)  # fmt: skip
def test_entropy_selection(selection, expected):
    assert entropy_selection(selection) == expected


def test_score_comparison_figure(cora_result, cora):
    t = cora_result.model.trace(cora.x, cora.edge_index)[0]
    cmp = compare_scores(t, 7, 0, 0.2)
    fig = score_comparison_figure(cmp, "LeakyReLU 0.2", "ReLU")
    assert [d.name for d in fig.data] == ["α, this model (LeakyReLU 0.2)", "α if ReLU (what-if)"]
    assert _legend_outside_plot(fig)
    assert np.isclose(sum(fig.data[0].y), 1)


def _texts(fig):
    return [str(v) for t in fig.data if getattr(t, "text", None) is not None for row in t.text for v in row]


def test_dense_figure_marks_masked_and_outside_cells(cora_result, cora):
    t = cora_result.model.trace(cora.x, cora.edge_index)[0]
    nodes = np.unique(t.edge_index[0, t.edge_index[1] == 0].numpy())
    dv = dense_view(t, nodes, 0)
    fig = dense_figure(dv, "alpha")
    names = [d.name for d in fig.data]
    assert {"edge", "masked", "not drawn"} <= set(names)
    legend = fig.layout.annotations[0].text
    assert "no edge (masked" in legend and "not drawn: Σα (count)" in legend
    edge, masked, outside = (fig.data[names.index(n)] for n in ("edge", "masked", "not drawn"))
    s = len(nodes)
    z, zm, zo = (np.asarray(t.z, dtype=float) for t in (edge, masked, outside))
    assert (np.isnan(z[:, :s]) == ~dv.edge).all() and (np.isnan(zm[:, :s]) == dv.edge).all()  # never both
    assert np.isnan(z[:, s]).all() and np.isnan(zm[:, s]).all() and (zo[:, s] == 1).all()
    assert np.isnan(zo[:, :s]).all()
    assert np.allclose(z[:, :s][dv.edge], dv.alpha[dv.edge])
    assert list(edge.x) == list(outside.x) == [*map(str, nodes), "not drawn"]  # one set of columns
    rows = [r[-1] for r in outside.text]
    assert rows == [f"{dv.outside[r]:.3f} ({dv.outside_count[r]})" if dv.outside_count[r] else "none"
                    for r in range(s)]  # fmt: skip
    assert "−∞" in _texts(dense_figure(dv, "scores"))


def test_dense_figure_never_prints_negative_zero():
    edge = np.array([[True, True], [False, True]])
    dv = DenseView(
        nodes=np.array([3, 8]), scores=np.array([[-1e-5, -0.0002], [-np.inf, -0.0]]),
        alpha=np.array([[0.5, 0.5], [np.nan, 1.0]]), edge=edge, outside=np.array([-1e-9, 0.0]),
        outside_count=np.array([0, 0]), max_diff=0.0,
    )  # fmt: skip
    for which in ("scores", "alpha"):
        texts = _texts(dense_figure(dv, which))
        assert texts and not any(s.startswith("-0.000") for s in texts), texts
