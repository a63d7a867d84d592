import numpy as np
import pytest

from gat_viz.data import split_of
from gat_viz.explore import model_outputs
from gat_viz.heads import head_similarity, head_views, heads_grid_figure, picked_head


@pytest.fixture(scope="module")
def outputs(cora_result, cora):
    return model_outputs(cora_result.model, cora)


def test_grid_has_a_panel_per_head_and_the_mean_on_one_scale(outputs, cora):
    views = head_views(outputs, 1358, 0)
    assert [label for label, _ in views] == [*(str(h) for h in range(1, 9)), "mean"]
    assert all(np.array_equal(v.nb.pos, views[0][1].nb.pos) for _, v in views)  # same layout
    splits = [split_of(cora, i) for i in range(cora.num_nodes)]
    fig = heads_grid_figure(views, outputs, cora.y.numpy(), cora.class_names, splits, selected="3")
    labels = {c[0] for t in fig.data if t.customdata is not None for c in t.customdata}
    assert labels == {label for label, _ in views}  # every panel's nodes name their head
    everything = np.concatenate([v.edge_alpha for _, v in views])
    assert (
        f"{everything.min():.3f}" in fig.layout.title.text
        and f"{everything.max():.3f}" in fig.layout.title.text
    )
    assert len(fig.layout.shapes) == 1  # the selected panel is framed


@pytest.fixture(scope="module")
def shipped_outputs(cora):
    from gat_viz.cache import ASSETS, entry_name
    from gat_viz.checkpoint import load_checkpoint
    from gat_viz.config import GATConfig

    return model_outputs(load_checkpoint(ASSETS / entry_name("Cora", GATConfig(), 0), cora).model, cora)


def test_near_uniform_heads_are_called_so(outputs):
    """The 60-epoch model's heads stay within ±10% of uniform at the hub: no correlation story."""
    sim = head_similarity(outputs, 1358, 0)
    alpha = outputs.alpha[0][(outputs.edge_index[1] == 1358)].numpy()
    if abs(alpha * alpha.shape[0] - 1).max() < 0.1:
        assert "barely differ" in sim.sentence and "alike" not in sim.sentence


def test_similarity_names_the_most_alike_pair(shipped_outputs):
    outputs = shipped_outputs
    sim = head_similarity(outputs, 1358, 0)
    corr = sim.corr.copy()
    np.fill_diagonal(corr, -np.inf)
    a, b = np.unravel_index(np.nanargmax(corr), corr.shape)
    assert f"heads {min(a, b) + 1} and {max(a, b) + 1} attend most alike" in sim.sentence
    assert "one head" in head_similarity(outputs, 1358, 1).sentence


@pytest.mark.parametrize(
    "selection, expected",
    [
        ({"selection": {"points": [{"customdata": ["3", 42]}]}}, "3"),
        ({"selection": {"points": [{"customdata": ["mean", 42]}]}}, "mean"),
        ({"selection": {"points": []}}, None),
        (None, None),
    ],
)
def test_picked_head(selection, expected):
    assert picked_head(selection) == expected
