"""Session and URL state: widget keys, defaults, and checking what a shared link asks for.

node, hops, layer, head and dataset live in the URL (`bind="query-params"`). Streamlit drops
values that do not fit a widget silently, so we look first and say so. Values from the URL are
never rendered as markdown or HTML: a notice quotes at most a sanitised fragment.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping

DATASETS = ("Cora", "CiteSeer")
HOPS = ("1", "2")
LAYERS = ("1", "2")
HEAD_CHOICES = ("mean", "max")
# The option labels are also the URL values (`?mode=heads+grid`): a bound selectbox puts its
# shown label in the URL.
MODES = ("computation graph", "one layer", "heads grid")


def head_options(heads: int) -> list[str]:
    return [*HEAD_CHOICES, *(str(h) for h in range(1, heads + 1))]


def _quote(value: str) -> str:
    """A short harmless echo of user text: letters, digits, . and - only."""
    cleaned = re.sub(r"[^A-Za-z0-9.\- ]", "", str(value))[:20]
    return cleaned or "…"


def check_dataset(params: MutableMapping[str, str]) -> list[str]:
    value = params.get("dataset")
    if value is None or value in DATASETS:
        return []
    del params["dataset"]
    return [f"The link asked for an unknown dataset ({_quote(value)}); showing Cora."]


def check_view(params: MutableMapping[str, str], num_nodes: int, heads_by_layer: list[int]) -> list[str]:
    """Remove parameters that name nothing in this graph or model; return notices."""
    notes = []
    node = params.get("node")
    if node is not None and not (node.isdigit() and int(node) < num_nodes):
        del params["node"]
        notes.append(
            f"The link asked for node {_quote(node)}, which does not exist: nodes are 0 to "
            f"{num_nodes - 1}. Showing the opening node."
        )
    for key, allowed in (("hops", HOPS), ("layer", LAYERS), ("mode", MODES)):
        value = params.get(key)
        if value is not None and value not in allowed:
            del params[key]
            notes.append(f"The link asked for {key} {_quote(value)}; choose {' or '.join(allowed)}.")
    head = params.get("head")
    layer = int(params.get("layer", "1")) - 1
    if head is not None and head not in head_options(heads_by_layer[layer]):
        del params["head"]
        notes.append(
            f"The link asked for head {_quote(head)}, which this layer does not have; showing the mean."
        )
    return notes


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
