from gat_viz import i18n
from gat_viz.ui.state import centre, defaults, first_answer, node_input_changed, open_link


def test_a_link_opens_once_with_a_chapter_under_its_values():
    state = {}
    open_link(state, {"chapter": "6", "heads": "4", "slope": "0.23"}, "zh-CN")
    assert state["chapter"] == 6 and state["kind"] == "gatv2"  # the chapter's model
    assert state["heads"] == 4 and state["slope"] == 0.25  # the link's own values on top
    assert state["lang"] == "zh"  # from the browser's locale
    assert i18n.current() == "en"  # the page sets its language; opening a link does not leak one
    assert len(state["link_notes"]) == 1 and state["link_check"]
    open_link(state, {"heads": "2"}, "en")  # later runs of the session: the link is not read again
    assert state["heads"] == 4
    defaults(state)
    assert state["hops"] == "2" and state["dropout"] == 0.6


def test_a_poll_cannot_change_the_node_but_the_user_can():
    state = {"node": 1413, "drawn": 1413}
    centre(state, 254)
    assert state["node"] == 254 and state["picks"] == 1
    state["drawn"] = 254  # the click's run drew it
    del state["pending"]  # as the explorer does when it draws
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


def test_a_click_answered_in_a_poll_survives_the_echo_of_the_drawn_node():
    """A click's selection answered in a poll's fragment run, then the click's full run carrying
    the node input's old value (the drawn node): the pick stays. Typing another node still wins."""
    state = {"node": 794, "drawn": 794}
    centre(state, 1294)  # in a poll's run: nothing drawn yet
    node_input_changed(state, in_fragment_run=True)  # a poll's echo of 794 in the same run
    assert state["node"] == 1294
    state["node"] = 794  # the click's full run: the input still shows the drawn node
    node_input_changed(state, in_fragment_run=False)
    assert state["node"] == 1294
    state["node"] = 12  # the user types a node
    node_input_changed(state, in_fragment_run=False)
    assert state["node"] == 12


def test_a_selection_is_answered_once_per_widget():
    """A replaced chart's selection sent again by a lagging browser is not acted on twice."""
    state = {"graph-1": {"selection": {"points": [{"customdata": [7]}]}}}
    assert first_answer(state, "graph-1")
    assert not first_answer(state, "graph-1")  # the same selection again: already answered
    state["graph-1"] = {"selection": {"points": [{"customdata": [9]}]}}
    assert first_answer(state, "graph-1")  # a new selection in the same widget (a table's next row)
    for k in range(100):  # many widgets later, the oldest answers are forgotten
        state[f"w{k}"] = k
        assert first_answer(state, f"w{k}")
    assert len(state["answered"]) == 64 and "graph-1" not in state["answered"]
