from gat_viz import i18n
from gat_viz.ui.state import centre, defaults, first_answer, node_input_key, node_typed, open_link


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


def test_the_node_input_is_drawn_afresh_when_the_node_changes_elsewhere():
    """A click (or a link, the tour) moves the node: the input gets a new key, so a browser's echo
    of the old input's value is ignored, in a poll's run or a full one. Typing in the current
    input moves the node and keeps the key."""
    state = {"node": 1413}
    key = node_input_key(state)
    state[key] = 1413  # Streamlit holds the input's value under its key
    assert node_input_key(state) == key  # nothing changed: the same input
    centre(state, 254)  # a click
    assert state["node"] == 254 and state["picks"] == 1
    new = node_input_key(state)
    assert new != key
    state[new] = 254
    state[key] = 1413  # the browser's echo of the old input, from before it heard of 254
    node_typed(state, key)
    assert state["node"] == 254
    state[new] = 77  # the user types in the current input
    node_typed(state, new)
    assert state["node"] == 77 and node_input_key(state) == new


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
