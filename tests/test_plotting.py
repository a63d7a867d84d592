import numpy as np
import pytest

from gat_viz.data import split_of
from gat_viz.explore import inspect, model_outputs, node_view
from gat_viz.plotting import COLOUR_BY, neighbourhood_figure, picked_node, probability_figure
from gat_viz.teaching_plots import training_curve


@pytest.fixture(scope="module")
def setup(cora_result, cora):
    out = model_outputs(cora_result.model, cora)
    splits = [split_of(cora, i) for i in range(cora.num_nodes)]
    return out, cora, splits


@pytest.mark.parametrize("colour_by", COLOUR_BY)
@pytest.mark.parametrize("relative", [False, True])
def test_figure_has_every_node_and_edge_once(setup, colour_by, relative):
    out, cora, splits = setup
    v = node_view(out, 0, 2, 0, "mean")
    fig = neighbourhood_figure(v, out, cora.y.numpy(), cora.class_names, splits, colour_by, relative)
    nodes = [t for t in fig.data if t.customdata is not None]
    ids = sorted(c[0] for t in nodes for c in t.customdata)
    assert ids == sorted(v.nb.nodes.tolist())
    assert all(isinstance(c[0], int) for t in nodes for c in t.customdata)  # plain lists: clickable
    edges = [t for t in fig.data if t.customdata is None]
    assert sum(len(t.x) for t in edges) == 3 * len(v.nb.edge_ids)
    assert all(t.hoverinfo == "skip" for t in edges)
    legend = {t.name for t in nodes}
    if colour_by == "correct / wrong":
        assert legend <= {"correct", "wrong"}
    else:
        assert legend <= set(cora.class_names)


def test_wider_edges_for_more_attention(setup):
    out, cora, splits = setup
    v = node_view(out, 1358, 1, 1, 0)
    fig = neighbourhood_figure(v, out, cora.y.numpy(), cora.class_names, splits)
    edges = [t for t in fig.data if t.customdata is None]
    widths = [t.line.width for t in edges]
    assert widths == sorted(widths) and len(set(widths)) == len(widths)


def test_probability_figure(setup):
    out, cora, _ = setup
    insp = inspect(out, cora, 5, 1)
    fig = probability_figure(insp, cora.class_names)
    assert list(fig.data[0].y) == cora.class_names
    assert np.isclose(sum(fig.data[0].x), 1, atol=1e-5)


def test_training_curve(cora_result):
    fig = training_curve(cora_result.history)
    assert len(fig.data[0].x) == cora_result.epochs


@pytest.mark.parametrize(
    "selection, expected",
    [
        ({"selection": {"points": [{"customdata": [42, "x"]}]}}, 42),
        ({"selection": {"points": [{"customdata": {"0": 7, "1": 3}}]}}, 7),
        ({"selection": {"points": []}}, None),
        ({"selection": {"points": [{"x": 1}]}}, None),
        (None, None),
        ({"selection": {"points": [{"customdata": ["abc"]}]}}, None),
    ],
)
def test_picked_node(selection, expected):
    assert picked_node(selection) == expected
