"""Session state: opening a link into it, and the rules for moving the centre node.

Widget keys are the session-state keys of gat_viz.ui.links.PARAMS; no widget is bound to the URL
(a bound selectbox would put its shown, translated label there): `open_link` reads the link once
per session, and the page writes the URL back after every full run (`links.write`).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from gat_viz import i18n
from gat_viz.ui import links, tour


def open_link(state: MutableMapping[str, Any], query: Mapping[str, str], locale: str | None) -> None:
    """Once per session: the link's values, a chapter's view under them, defaults for the rest.
    The notices wait in `state["link_notes"]` for the page to show them; the node and head are
    checked against the graph and model when they are known (`links.check_view`)."""
    if state.get("link_read"):
        return
    values, notes = links.read(query)
    state["lang"] = values.pop("lang", None) or i18n.preferred(locale)
    if values.get("chapter"):
        tour.enter(state, values["chapter"])  # the chapter's view; the link's other values on top
    state.update(values)
    state["link_notes"] = notes
    state["link_check"] = True
    state["link_read"] = True


def defaults(state: MutableMapping[str, Any]) -> None:
    """Every run: a default for each setting the session lacks. Streamlit forgets a widget's key
    after a run that did not draw the widget (the explorer waits for a first model), and a widget
    created with a key and no value would then fall back to its first option, not our default."""
    for p in links.PARAMS:
        if p.default is not None:
            state.setdefault(p.key, p.default)


def centre(state: MutableMapping, node: int) -> None:
    """Centre `node` (a click on the chart or a random-node button)."""
    state["node"] = node
    state["picks"] = state.get("picks", 0) + 1  # names the next chart widget (see explorer)


def first_answer(state: MutableMapping[str, Any], key: str) -> bool:
    """Whether the selection now held by widget `key` (a chart or a table) is one the app has not
    acted on yet; if so, it is recorded as answered. Every selection callback asks before it acts.

    A browser that has not yet heard that a selection widget was replaced (a loaded server, a
    slow network) sends the old widget's state again with its next request. Streamlit dropped
    that state when the widget went away, so it takes the old selection for a change and calls
    the old widget's callback once more, in the same run as the new widget's and sometimes after
    it: the old click undid the new one (the load test's unanswered clicks; reproduced in
    tests/test_browser.py::test_a_replaced_chart_cannot_undo_a_click). A key therefore answers a
    given selection once. Keys never recur: each holds a counter (`picks`, the error filter's
    version), so a fresh widget never inherits an old answer. The last 64 answers are kept."""
    value = repr(state.get(key))
    answered = state.setdefault("answered", {})
    if answered.get(key) == value:
        return False
    answered[key] = value
    while len(answered) > 64:
        del answered[next(iter(answered))]
    return True


def node_input_key(state: MutableMapping[str, Any]) -> str:
    """The node input's widget key for this run; the input shows `state["node"]` (its value).

    Whenever something other than the input changed the node (a click, a random node, a link,
    the tour), the input is drawn afresh under a new key. A browser sends all its widget values
    with every rerun request, the training poll's included, and until it hears of the new node
    its input still holds an old one. Under one key Streamlit took such an echo for typing and
    the click was undone: in a poll's run (reproduced with a delayed websocket in
    tests/test_browser.py::test_a_stale_poll_cannot_undo_a_click) and in full runs too (the
    30-session load test: the node went back one click later). Under a new key the echo belongs
    to an input that no longer exists, and `node_typed` ignores it."""
    version = state.get("node_version", 0)
    shown = state.get(f"node-input-{version}")
    if shown is not None and shown != state.get("node"):
        version += 1
        state["node_version"] = version
    return f"node-input-{version}"


def node_typed(state: MutableMapping[str, Any], key: str) -> None:
    """`on_change` of the node input drawn under `key`: the node, if that input is the current one."""
    if key == f"node-input-{state.get('node_version', 0)}" and state.get(key) is not None:
        state["node"] = state[key]
