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
DEFAULT_NODE = 0


def head_options(heads: int) -> list[str]:
    return [*HEAD_CHOICES, *(str(h) for h in range(1, heads + 1))]


def _quote(value: str) -> str:
    """A short harmless echo of user text: letters, digits, . and - only."""
    cleaned = re.sub(r"[^A-Za-z0-9.\-]", "", str(value))[:16]
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
            f"{num_nodes - 1}. Showing node {DEFAULT_NODE}."
        )
    for key, allowed in (("hops", HOPS), ("layer", LAYERS)):
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


# How long a centring click is defended against a stale snapshot (see `keep_centred`).
PICK_GUARD_S = 10.0


def centre(state: MutableMapping, node: int, now: float) -> None:
    """Centre `node` (a click on the chart or a random-node button), remembering the node it
    replaced so that `keep_centred` can undo a stale snapshot."""
    state["pick"] = (node, state.get("node"), now + PICK_GUARD_S)
    state["node"] = node
    state["picks"] = state.get("picks", 0) + 1  # names the next chart widget (see explorer)


def keep_centred(state: MutableMapping, now: float) -> None:
    """Call before the node input is drawn. While a page polls a training (`st.fragment(
    run_every=...)`), a poll sent just after a click carries the browser's widget values from
    before the click, and Streamlit takes the old node as if the user had typed it: the click
    is undone (measured: ~1 click in 50 under load). A node equal to the one the click
    replaced, within `PICK_GUARD_S`, is that stale value; the click's node is put back."""
    pick = state.get("pick")
    if pick is None:
        return
    node, replaced, until = pick
    if now > until:
        del state["pick"]
    elif state.get("node") == replaced and replaced != node:
        state["node"] = node
