"""why_plots.py: the figures say what explain.py computed, and print numbers cleanly."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.data import Data

from gat_viz import explain, why_plots
from gat_viz.config import GATConfig
from gat_viz.model import GAT


@pytest.fixture
def star():
    """A centre (0) with 20 neighbours, some of them linked, and a random GAT."""
    g = torch.Generator().manual_seed(0)
    n = 24
    pairs = [(0, j) for j in range(1, 21)] + [(j, j + 1) for j in range(1, 23)]
    edge_index = torch.tensor(pairs).T
    edge_index = torch.cat([edge_index, edge_index.flip(0)], 1)
    data = Data(
        x=torch.randn(n, 6, generator=g), edge_index=edge_index, y=torch.randint(0, 3, (n,), generator=g)
    )
    data.class_names = ["a", "b", "c"]
    torch.manual_seed(0)
    model = GAT(GATConfig(hidden=4, heads=2), 6, 3).eval()
    return model, data


def _texts(fig) -> list[str]:
    out = []
    for trace in fig.data:
        for key in ("text", "hovertext"):
            value = getattr(trace, key, None)
            if value is not None:
                out += [str(v) for v in np.atleast_1d(value)]
    return out


def test_fmt_never_prints_negative_zero():
    assert why_plots.fmt(-0.0001) == "0.000"
    assert why_plots.fmt(-0.0) == "0.000"
    assert why_plots.fmt(-0.0006) == "-0.001"
    assert why_plots.fmt(1.23456, 2) == "1.23"
    assert why_plots.pct(-0.001) == "0%"
    assert why_plots.pct(0.625) == "62%" or why_plots.pct(0.625) == "63%"


def test_waterfall_adds_up_to_the_margin(star):
    model, data = star
    w = explain.why(model, data, 0)
    with torch.no_grad():
        pred = model(data.x, data.edge_index).argmax(-1).numpy()
    fig = why_plots.waterfall_figure(w, data.y.numpy(), pred, max_bars=8)
    bars = fig.data[0]
    values = np.asarray(bars.y, dtype=float)
    assert list(bars.measure[-1:]) == ["total"]
    margin = float(w.logits[w.pred] - w.logits[w.rival])
    assert values[:-1].sum() == pytest.approx(margin, abs=1e-5)
    assert values[-1] == pytest.approx(margin, abs=1e-6)
    # 8 edges one by one, the other 13 of the 21 incoming edges together, then bias and total.
    assert len(values) == 8 + 1 + 2
    assert bars.x[8] == "13 other neighbours"
    shares = np.abs(values[:8])
    assert (np.diff(shares) <= 1e-12).all()  # largest first
    assert all(shares[-1] >= abs(v) for v in w.margin().abs().sort_values().to_numpy()[:13])
    # Hover text names α, the true label and the neighbour's own prediction.
    first = bars.x[0]
    j = int(re.search(r"\d+", first).group())
    row = w.contributions[w.contributions["source"] == j].iloc[0]
    assert f"α = {why_plots.fmt(row['alpha'])}" in bars.hovertext[0]
    assert f"true label: {data.class_names[int(data.y[j])]}" in bars.hovertext[0]
    assert f"its own prediction: {data.class_names[int(pred[j])]}" in bars.hovertext[0]
    assert not [t for t in _texts(fig) if re.search(r"-0\.0+(?![0-9])", t)]  # never "-0.00"


def test_waterfall_rival_is_the_true_class_when_wrong(star):
    model, data = star
    for node in range(21):
        w = explain.why(model, data, node)
        if not w.correct:
            assert w.rival == w.label
            fig = why_plots.waterfall_figure(w, data.y.numpy(), data.y.numpy())
            assert "true class" in fig.layout.title.text
            assert data.class_names[w.label] in fig.layout.yaxis.title.text
            break
    else:
        pytest.fail("the random model got every node right")


def test_what_if_figure_has_one_series_per_scenario():
    fig = why_plots.what_if_figure([0.7, 0.2, 0.1], {"without node 3": [0.2, 0.5, 0.3]}, ["a", "b", "c"])
    assert [t.name for t in fig.data] == ["as trained", "without node 3"]
    assert list(fig.data[1].text) == ["20%", "50%", "30%"]
    assert fig.layout.xaxis.title.text == "probability"


def test_alpha_effect_figure_points():
    table = pd.DataFrame({"source": [1, 2, 3], "alpha": [0.5, 0.3, 0.2], "effect": [0.1, -0.0001, 0.0]})
    fig = why_plots.alpha_effect_figure(table, "a", ["a", "b"], [0, 1, 0, 1])
    assert list(fig.data[0].x) == [0.5, 0.3, 0.2]
    assert "effect = 0.000" in fig.data[0].hovertext[1]  # not -0.000
    assert fig.data[0].customdata[2][0] == 3


def test_confusion_figure_and_click():
    m = explain.confusion([0, 0, 1, 2, 2], [0, 1, 1, 0, 2], 3)
    fig = why_plots.confusion_figure(m, ["a", "b", "c"], picked=(0, 1))
    trace = fig.data[0]
    assert sum(int(t) for t in trace.text) == 5
    cells = {tuple(c): int(t) for c, t in zip(trace.customdata, trace.text)}
    assert cells[(0, 1)] == 1 and cells[(2, 0)] == 1 and cells[(1, 0)] == 0
    assert trace.marker.line.width[1] == 3  # the picked cell is outlined
    json.loads(fig.to_json())
    assert why_plots.picked_cell({"selection": {"points": [{"customdata": [2, 0]}]}}) == (2, 0)
    assert why_plots.picked_cell({"selection": {"points": [{"customdata": {"0": 1, "1": 2}}]}}) == (1, 2)
    assert why_plots.picked_cell(
        SimpleNamespace(selection=SimpleNamespace(points=[{"customdata": [0, 1]}]))
    ) == (0, 1)
    assert why_plots.picked_cell({"selection": {"points": []}}) is None
    assert why_plots.picked_cell(None) is None
