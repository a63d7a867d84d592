import pytest

from gat_viz.ui.state import centre, check_dataset, check_view, head_options, node_input_changed


@pytest.mark.parametrize(
    "params, kept",
    [
        ({"node": "5"}, {"node": "5"}),
        ({"node": "abc"}, {}),
        ({"node": "99999"}, {}),
        ({"node": "-3"}, {}),
        ({"node": "2.5"}, {}),
        ({"node": "1" * 400}, {}),
        ({"layer": "9"}, {}),
        ({"hops": "3", "node": "4"}, {"node": "4"}),
        ({"head": "5", "layer": "2"}, {"layer": "2"}),
        ({"head": "5"}, {"head": "5"}),
        ({"head": "<script>alert(1)</script>"}, {}),
    ],
)
def test_bad_values_are_removed_with_a_notice(params, kept):
    removed = set(params) - set(kept)
    params = dict(params)
    notes = check_view(params, 2708, [8, 1])
    assert params == kept
    assert len(notes) == len(removed)  # one notice per value dropped
    for note in notes:
        assert not set(note) & set("<>[]`!*_#|{}\\")  # nothing that markdown or HTML would act on


def test_unknown_dataset():
    params = {"dataset": "Reddit<b>"}
    notes = check_dataset(params)
    assert params == {} and "Reddit" in notes[0] and "<" not in notes[0]
    assert check_dataset({"dataset": "CiteSeer"}) == []


def test_head_options():
    assert head_options(2) == ["mean", "max", "1", "2"]


def test_a_poll_cannot_change_the_node_but_the_user_can():
    state = {"node": 1413, "drawn": 1413}
    centre(state, 254)
    assert state["node"] == 254 and state["picks"] == 1
    state["drawn"] = 254  # the click's run drew it
    state["node"] = 1413  # a poll carrying the browser's value from before the click
    node_input_changed(state, in_fragment_run=True)
    assert state["node"] == 254 and state["picks"] == 1
    state["node"] = 1413  # the user types the old node back: a full run
    node_input_changed(state, in_fragment_run=False)
    assert state["node"] == 1413
    del state["drawn"]  # nothing drawn yet: nothing to restore
    state["node"] = 5
    node_input_changed(state, in_fragment_run=True)
    assert state["node"] == 5
