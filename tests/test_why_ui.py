"""The "Why?" view and the error finder: their sentences follow from the numbers, and the
pages run (streamlit.testing AppTest on tests/apps/why_app.py with the shipped Cora model)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from gat_viz import explain
from gat_viz.cache import ASSETS, entry_name
from gat_viz.checkpoint import load_checkpoint
from gat_viz.config import GATConfig
from gat_viz.i18n import class_name
from gat_viz.ui import errors, why

APP = Path(__file__).parent / "apps" / "why_app.py"


@pytest.fixture(scope="module")
def shipped(cora):
    return load_checkpoint(ASSETS / entry_name("Cora", GATConfig(), 0), cora).model.eval()


def test_rank_sentence_follows_the_number():
    assert "agree: the edges with more attention matter more" in why.rank_sentence(0.8, 10)
    assert "agree weakly" in why.rank_sentence(0.3, 10)
    assert "do not agree" in why.rank_sentence(-0.1, 10)
    assert "disagree" in why.rank_sentence(-0.6, 10)
    assert "0.80" in why.rank_sentence(0.8, 10) and "10 neighbours" in why.rank_sentence(0.8, 10)
    assert "says nothing" in why.rank_sentence(float("nan"), 2)
    assert "-0.00" not in why.rank_sentence(-0.001, 5)


def test_error_sentences():
    assert errors.headline(9, 6, 1000) == (
        "Compared with uniform attention, learned attention fixes 9 and breaks 6 of the 1,000 "
        "test predictions."
    )
    table = pd.DataFrame({"fix_edge": [3, -1, 7], "uniform_fixes": [False, True, False]})
    text = errors.summary(table, 1000)
    assert "3 of the 1,000" in text and "99.7% right" in text
    assert "For 2 of them" in text and "makes 1 of them right" in text
    shown = errors.display_table(
        pd.DataFrame(
            {
                "node": [5],
                "true": ["a"],
                "predicted": ["b"],
                "confidence": [0.6],
                "margin": [0.2],
                "in_degree": [3],
                "same_label_share": [0.5],
                "fix_edge": [-1],
                "uniform_fixes": [True],
            }
        )
    )
    assert shown["one edge flips it"].tolist() == [""]
    assert errors._selected_rows({"selection": {"rows": [2]}}) == [2]
    assert errors._selected_rows(SimpleNamespace(selection=SimpleNamespace(rows=[]))) == []


@pytest.mark.cora
def test_flip_sentences_name_what_the_model_says(shipped, cora):
    table = explain.error_table(shipped, cora)
    row = table[table["fix_edge"] >= 0].iloc[0]
    node, j = int(row["node"]), int(row["fix_edge"])
    w = explain.why(shipped, cora, node)
    lines = why.flip_sentences(w, explain.drop_one(shipped, cora, node))
    probs = explain.what_if(shipped, cora, node, drop=[j]).numpy()
    expected = (
        f"Without node {j} the model says {why.says(cora.class_names, probs)} "
        "(the prediction changes; the true class)."
    )
    assert lines[0] == expected
    # A node whose prediction no single edge changes says so, with the largest change.
    stays = table[table["fix_edge"] < 0]
    for node in stays["node"].tolist():
        drops = explain.drop_one(shipped, cora, node)
        w = explain.why(shipped, cora, node)
        if (drops["pred"] == w.pred).all() and len(drops):
            assert why.flip_sentences(w, drops)[0].startswith("No single edge changes the prediction")
            break


@pytest.mark.cora
def test_what_if_outcomes_use_the_same_words(shipped, cora):
    w = explain.why(shipped, cora, 1774)
    assert why.outcome(w, w.pred).startswith("the prediction unchanged")
    assert why.outcome(w, w.label).endswith("the true class") and "changes" in why.outcome(w, w.label)


def test_explainer_agreement_follows_the_small_sample_rule():
    import pandas as pd

    corr = pd.DataFrame(
        [[1, 1, -1], [1, 1, -1], [-1, -1, 1]],
        index=["effect", "GNN", "alpha"],
        columns=["effect", "GNN", "alpha"],
    )
    assert why.agreement_sentence(corr, 2) == "With 2 neighbours a rank correlation says nothing."
    assert "GNN agrees most" in why.agreement_sentence(corr, 5)


@pytest.mark.cora
def test_one_neighbour_note(shipped, cora):
    degree = torch.bincount(cora.edge_index[1], minlength=cora.num_nodes)
    node = int((degree == 1).nonzero()[0])
    note = why.one_neighbour_note(explain.why(shipped, cora, node))
    assert note is not None and "nothing to choose" in note
    assert why.one_neighbour_note(explain.why(shipped, cora, 1358)) is None


@pytest.mark.cora
def test_pages_run_and_the_explainers_run_on_request(shipped, cora, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(Path(__file__).parent.parent)
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    fixed, broken = explain.attention_effect(shipped, cora)
    text = " ".join(m.value for m in at.markdown)
    assert errors.headline(fixed, broken, 1000) in text
    w = explain.why(shipped, cora, 1842)
    assert why.headline(w, "test") in text
    assert len(at.dataframe) == 2  # the error table and the drop-one table
    assert "Spearman rank correlation of α and effect over 10 neighbours" in text
    # The explainers run only when asked.
    assert not any("Spearman rank correlations between the columns" in m.value for m in at.markdown)
    at.button(key="why-run-1842").click().run()
    assert not at.exception, at.exception
    assert any("Spearman rank correlations between the columns" in m.value for m in at.markdown)
    assert len(at.dataframe) == 4
    # A picked node moves the view (what the table's row click does through on_pick).
    at.session_state["node"] = 1358
    at.run()
    assert not at.exception, at.exception
    assert "Node 1358" in " ".join(m.value for m in at.markdown)
    # The confusion matrix cell filter.
    at.session_state[errors.CELL] = (2, 6)
    at.run()
    assert not at.exception, at.exception
    names = [class_name(n) for n in cora.class_names]  # as shown: "Neural Networks"
    captions = " ".join(c.value for c in at.caption)
    assert f"True {names[2]}, predicted {names[6]}:" in captions
    assert np.isfinite(fixed)


@pytest.mark.cora
def test_waterfall_caption_numbers(shipped, cora):
    w = explain.why(shipped, cora, 1358)
    margin = w.margin()
    text = why.waterfall_caption(w, margin)
    order = margin.abs().sort_values(ascending=False, kind="stable")
    rest = margin.loc[order.index[15:]].sum()
    assert f"The {len(margin) - 15} smaller shares add up to {why.fmt(float(rest), 2)}." in text
    top = int(w.contributions["source"].loc[order.index[0]])
    assert f"node {top}: {why.fmt(abs(float(margin.loc[order.index[0]])), 2)} toward" in text


def test_spearman_equals_pandas_spearman():
    import numpy as np
    import pandas as pd

    from gat_viz.ui.why import spearman

    rng = np.random.default_rng(0)
    a = pd.Series(rng.normal(size=40).round(1))  # ties included
    b = pd.Series(a * 0.3 + rng.normal(size=40))
    assert abs(spearman(a, b) - a.corr(b, method="spearman")) < 1e-12
