from gat_viz import i18n
from gat_viz.ui.state import centre, defaults, node_input_changed, open_link


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
