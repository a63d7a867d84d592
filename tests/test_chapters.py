"""The guided story's chapters: whole, valid links, and the nodes their rules pick."""

import re

import pytest

from gat_viz import chapters, explain
from gat_viz.cache import entry_name
from gat_viz.chapters import CHAPTERS, DYNAMIC, NEGATIVE, OPENING, WRONG, facts, pick_node
from gat_viz.checkpoint import load_checkpoint
from gat_viz.config import GATConfig
from gat_viz.data import assets_dir
from gat_viz.explore import default_node, model_outputs
from gat_viz.ranking import rank_view

MODELS = assets_dir() / "models"


def test_seven_chapters_along_the_tutorial():
    assert [c.number for c in CHAPTERS] == list(range(1, 8))
    assert {c.panel for c in CHAPTERS} <= set(chapters.PANELS)
    for c in CHAPTERS:
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", c.text)
        assert 2 <= len(sentences) <= 5, (c.number, len(sentences))


def test_the_facts_a_text_names_come_from_the_graph(cora):
    text = CHAPTERS[0].text.format(**facts(cora))
    assert "7 topics" in text and "1,433 word" in text and "140 labelled" in text and "1,000 test" in text


@pytest.fixture(scope="module")
def shipped(cora):
    gat = load_checkpoint(MODELS / entry_name("Cora", GATConfig(), 0), cora)
    v2 = load_checkpoint(MODELS / entry_name("Cora", GATConfig(layer="gatv2"), 0), cora)
    return gat, model_outputs(gat.model, cora), v2, model_outputs(v2.model, cora)


def test_every_rule_names_a_node_that_shows_its_point(cora, shipped):
    gat, out, v2, out2 = shipped
    opening = default_node(out, cora)
    assert pick_node(OPENING, gat, out, cora, opening) == opening

    node = pick_node(NEGATIVE, gat, out, cora, opening)
    trace = out.traces[0]
    into = trace.edge_index[1] == node
    assert cora.test_mask[node] and int((trace.raw[into, 0] < 0).sum()) >= 2

    node = pick_node(DYNAMIC, v2, out2, cora, opening)
    assert rank_view(out2.traces[0], node, 0).result.opposite > 0  # GATv2 reorders here
    # GAT's attention is static (positive slope): no node qualifies, so the rule falls back.
    assert pick_node(DYNAMIC, gat, out, cora, opening) == opening

    node = pick_node(WRONG, gat, out, cora, opening)
    table = explain.error_table(gat.model, cora).set_index("node")
    assert node in table.index and table.loc[node, "fix_edge"] >= 0
    assert 3 <= table.loc[node, "in_degree"] - 1 <= 8
