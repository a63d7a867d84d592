"""Links: every parameter read back as the sliders can hold it, with a notice for anything else."""

import pytest

from gat_viz.chapters import CHAPTERS
from gat_viz.ui import links
from gat_viz.ui.links import PARAMS, check_view, read, sync, write

HARMFUL = set("<>[]`!*_#|{}\\")  # what markdown or HTML would act on


def test_a_full_link_round_trips():
    state = {
        "dataset": "CiteSeer", "kind": "gatv2", "slope": 0.35, "heads": 4, "dropout": 0.3, "hidden": 16,
        "activation": "relu", "seed": 7, "lr": 0.01, "max_epochs": 500, "node": 12, "mode": "heads grid",
        "hops": "1", "layer": "2", "head": "max", "colour_by": "predicted class", "relative": True,
        "lang": "zh", "chapter": 4, "present": True,
    }  # fmt: skip
    url = write(state)
    assert set(url) == {p.name for p in PARAMS}  # every one differs from its default here
    values, notes = read(url)
    assert notes == [] and values == state


def test_defaults_stay_out_of_the_link():
    state = {p.key: p.default for p in PARAMS}
    assert write(state) == {}


@pytest.mark.parametrize(
    "name, text, key, value",
    [
        ("slope", "0.23", "slope", 0.25),  # nearest slider step
        ("slope", "7", "slope", 1.0),  # clamped
        ("slope", "-1e9", "slope", 0.0),
        ("heads", "40", "heads", 16),
        ("heads", "2.6", "heads", 3),
        ("dropout", "0.93", "dropout", 0.9),
        ("hidden", "0", "hidden", 1),
        ("seed", "123456", "seed", 9999),
        ("epochs", "17", "max_epochs", 20),
        ("lr", "0.004", "lr", 0.005),  # nearest level
        ("chapter", "9", "chapter", 7),
    ],
)
def test_out_of_range_values_move_to_the_nearest_with_a_notice(name, text, key, value):
    values, notes = read({name: text})
    assert values == {key: value}
    assert len(notes) == 1 and name in notes[0]
    assert not set(notes[0]) & HARMFUL


@pytest.mark.parametrize("param", [p.name for p in PARAMS])
@pytest.mark.parametrize(
    "text",
    ["1" * 400, "9" * 5000, "x" * 5000, "nan", "inf", "-inf", "1e999", "<script>alert(1)</script>", "", " "],
)
def test_any_value_of_any_parameter_gives_a_notice_or_a_valid_value(param, text):
    values, notes = read({param: text})
    p = links.BY_NAME[param]
    if values:  # accepted: it must be a value the widgets hold
        assert p.key in values
    else:
        assert len(notes) == 1
    for note in notes:
        assert not set(note) & HARMFUL & set(text) and len(note) < 200  # no echo of markup


def test_unknown_parameters_are_ignored():
    assert read({"utm_source": "mail"}) == ({}, [])


def test_sync_touches_only_what_changes():
    class Query(dict):
        writes = 0

        def __setitem__(self, k, v):
            Query.writes += 1
            super().__setitem__(k, v)

    query = Query(node="5", slope="0.3", utm_source="mail")
    sync(query, {"node": "5", "heads": "4"})
    assert dict(query) == {"node": "5", "heads": "4", "utm_source": "mail"} and Query.writes == 1


@pytest.mark.parametrize(
    "state, expect, noticed",
    [
        ({"node": 5}, {"node": 5}, 0),
        ({"node": 99999}, {"node": None}, 1),
        ({"head": "5", "layer": "2", "mode": "one layer"}, {"head": "mean"}, 1),
        ({"head": "5", "layer": "1", "mode": "one layer"}, {"head": "5"}, 0),
        ({"head": "8", "layer": "2", "mode": "computation graph"}, {"head": "8"}, 0),  # layer 1's heads
        ({"node": 99999, "head": "9", "mode": "computation graph"}, {"node": None, "head": "mean"}, 2),
    ],
)
def test_the_node_and_head_are_checked_against_the_graph_and_model(state, expect, noticed):
    state = dict(state)
    notes = check_view(state, 2708, [8, 1])
    assert {k: state[k] for k in expect} == expect and len(notes) == noticed


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: f"chapter{c.number}")
def test_every_chapter_is_a_valid_link(chapter):
    values, notes = read(chapter.view)
    assert notes == [] and set(values) <= {p.key for p in PARAMS}
