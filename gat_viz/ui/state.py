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


def node_input_changed(state: MutableMapping, in_fragment_run: bool) -> None:
    """`on_change` of the node input; `state["drawn"]` is the node the last full run drew.

    A browser sends all its widget values with every rerun request, the training poll's
    (`st.fragment(run_every=...)`) included. A poll sent after a click but before the browser
    heard of the new node carries the old one, and Streamlit takes it as typed: the click is
    undone (seen under load, and reproduced with a delayed websocket in
    tests/test_browser.py::test_a_stale_poll_cannot_undo_a_click). The node input lies outside
    the fragment, so a change that arrives in a fragment-only run was never typed: put the
    drawn node back. A change in a full run is the user's, whatever its value."""
    if in_fragment_run and "drawn" in state:
        state["node"] = state["drawn"]
