"""The lessons table and its sentence rule."""

import json
import math

import pytest

from gat_viz.lessons import ASSET, COMMAND, Lessons, LessonsError, Row, compare, verdict


def row(variant: str, accs: list[float], dataset: str = "Cora") -> Row:
    n = len(accs)
    mean = sum(accs) / n
    std = math.sqrt(sum((a - mean) ** 2 for a in accs) / (n - 1))
    return Row(dataset, variant, variant, n, mean, std, None, None, None, tuple(accs))


def test_the_rule_at_its_boundary():
    """|d| ≤ 2·SE(d) reads "no measurable difference"; just beyond it names the higher one."""
    a = row("gat", [83.0, 84.0] * 5)  # mean 83.5, std 0.527, SE 0.167
    se_d = math.sqrt(2) * a.se
    inside = Row("Cora", "b", "b", 10, a.mean - 2 * se_d + 1e-9, a.std, None, None, None, ())
    outside = Row("Cora", "b", "b", 10, a.mean - 2 * se_d - 1e-6, a.std, None, None, None, ())
    assert "no measurable difference on Cora (10 seeds)" in compare(a, inside)
    assert verdict(a, inside) == "same"
    text = compare(a, outside)
    assert "gat is 0.5 points higher on Cora (10 seeds)" in text and verdict(a, outside) == "higher"
    assert verdict(outside, a) == "lower"
    assert compare(a, inside).count("83.5 ± 0.5%") == 1


def test_rule_refuses_rows_of_different_datasets():
    with pytest.raises(ValueError):
        compare(row("a", [1.0, 2.0]), row("b", [1.0, 2.0], "CiteSeer"))


def table(rows: dict) -> dict:
    return {
        "format": "gat_viz.lessons", "version": 1, "seeds": 3, "command": COMMAND,
        "variants": {"gat": {"label": "GAT"}, "relu": {"label": "ReLU"}},
        "rows": rows,
    }  # fmt: skip


def entry(accs: list[float], dead: float | None = None) -> dict:
    r = row("x", accs)
    return {
        "n": r.n, "test_acc_mean": r.mean, "test_acc_std": r.std, "entropy_share_mean": 0.98,
        "entropy_gap_mean": 0.02, "dead_share_mean": dead, "runs": [{"test_acc": a} for a in accs],
    }  # fmt: skip


def test_reading_a_table(tmp_path):
    path = tmp_path / "lessons.json"
    rows = {"Cora": {"gat": entry([83, 83.5, 84]), "relu": entry([80, 80.2, 80.1], 0.4)}}
    path.write_text(json.dumps(table(rows)))
    lessons = Lessons.load(path)
    assert lessons.datasets == ["Cora"] and lessons.variants("Cora") == ["gat", "relu"]
    relu = lessons.row("Cora", "relu")
    assert relu.label == "ReLU" and relu.dead_share == 0.4 and relu.accs == (80, 80.2, 80.1)
    assert "GAT is 3.4 points higher on Cora (3 seeds)" in lessons.sentence("Cora", "relu", "gat")
    assert lessons.sentence("Cora", "gat", "uniform") is None
    assert "raw<0 40.0%" in lessons.summary()


def test_bad_files(tmp_path):
    with pytest.raises(LessonsError, match="bench --variants"):
        Lessons.load(tmp_path / "missing.json")
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(LessonsError, match="corrupt"):
        Lessons.load(tmp_path / "x.json")
    with pytest.raises(LessonsError, match="not a gat_viz lessons table"):
        Lessons({"rows": {}})


def test_the_shipped_table():
    """assets/lessons.json: every variant on Cora and CiteSeer over 10 seeds, with its command."""
    lessons = Lessons.load(ASSET)
    assert lessons.seeds == 10 and lessons.command == COMMAND
    for dataset in ("Cora", "CiteSeer"):
        assert lessons.variants(dataset) == ["gat", "relu", "slope1", "prelu", "frozen", "uniform", "gatv2"]
        for variant in lessons.variants(dataset):
            r = lessons.row(dataset, variant)
            assert r.n == 10 and len(r.accs) == 10
            assert r.mean == pytest.approx(sum(r.accs) / 10, abs=1e-3)
            assert 0.0 < r.entropy_share <= 1.0 + 1e-9
        assert lessons.row(dataset, "uniform").entropy_share == pytest.approx(1.0)
        assert lessons.row(dataset, "relu").dead_share is not None
        assert lessons.row(dataset, "gatv2").dead_share is None


def test_variant_of():
    from gat_viz.config import GATConfig
    from gat_viz.lessons import variant_of

    assert variant_of(GATConfig()) == "gat"
    assert variant_of(GATConfig(learn_attention=False)) == "frozen"
    assert variant_of(GATConfig(negative_slope=0.0)) == "relu"
    assert variant_of(GATConfig(negative_slope=1.0)) == "slope1"
    assert variant_of(GATConfig(layer="gatv2")) == "gatv2"
    assert variant_of(GATConfig(heads=4)) is None


def test_learns_story_takes_every_comparison_from_the_table():
    from gat_viz.lessons import learns_story

    lessons = Lessons(
        table({"Cora": {"gat": entry([83, 83.5, 84]), "frozen": entry([83.2, 83.4, 83.9]),
                        "uniform": entry([80, 80.5, 80.2])}})
    )  # fmt: skip
    text = " ".join(learns_story(lessons, "Cora"))
    assert "averages its word vectors" in text and "nn.Parameter" in text
    assert "no measurable difference on Cora (3 seeds)" in text  # gat vs frozen
    assert "points higher on Cora (3 seeds)" in text  # gat vs uniform
    assert "0.973 ± 0.002" in text and "0.934 ± 0.006" in text  # the paper's PPI
    assert "98.00% of the uniform entropy" in text and "2.0e-02 nats below it" in text
    assert "bench --variants" in " ".join(learns_story(None, "Cora"))
