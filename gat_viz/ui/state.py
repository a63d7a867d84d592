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
