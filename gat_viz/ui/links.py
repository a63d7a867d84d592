"""Links that carry everything: the URL ↔ the session's settings.

A link holds the model's setting (dataset, slope, heads, dropout, hidden, activation, attention,
seed, lr, epochs), the view (node, hops, layer, head, mode, colour, relative) and lang, chapter
and present. `read` turns a link into session-state values, once per session; `write` turns the
session's values back into the URL after every full run, leaving out what equals the default
(short links). Pure Python: no streamlit here, so every rule is tested directly.

A value the app's controls could not hold gives a notice and the nearest value they can: a slope
of 0.23 becomes 0.25 (the slider's step), 40 heads become 16, a 400-digit number or a 5,000-character
string is refused before it is parsed. So a link can never start a training the sliders could not
ask for. The node and head are checked once the graph and model are known (`check_view`).
Notices never echo more than a short, sanitised fragment of what the link held.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from gat_viz.config import SLIDERS
from gat_viz.i18n import LANGUAGES, _

MAX_CHARS = 24  # longer values are refused unread (a float of 400 digits is inf; int() of 5,000 raises)

DATASETS = ("Cora", "CiteSeer")
# The kind of model: (GATConfig.layer, GATConfig.attention) by its code in the URL (`attention=`).
KINDS = {
    "gat": ("gat", "learned"),
    "gatv2": ("gatv2", "learned"),
    "frozen": ("gat", "frozen"),
    "uniform": ("gat", "uniform"),
}
ACTIVATIONS = ("leaky_relu", "relu", "prelu")
# Up to 0.2 trains (Cora: ≥ 81%); from 0.5 the loss blows up and the app says so (see train.DIVERGENCE).
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
MODES = ("computation graph", "one layer", "heads grid")
HOPS = ("1", "2")
LAYERS = ("1", "2")
HEAD_CHOICES = ("mean", "max")
COLOURS = {"true": "true class", "predicted": "predicted class", "correct": "correct / wrong"}
CHAPTERS = 7


def quote(value: str) -> str:
    """A short harmless echo of user text: letters, digits, . and - only."""
    cleaned = re.sub(r"[^A-Za-z0-9.\- ]", "", str(value))[:20]
    return cleaned or "…"


@dataclass(frozen=True)
class Param:
    """One URL parameter: its name, the session-state key it fills, its default there, and how a
    URL string becomes a value (returning the value and a notice, or None for a refusal)."""

    name: str
    key: str
    default: Any
    parse: Callable[[str], tuple[Any, str | None]] = field(repr=False)
    show: Callable[[Any], str] = str  # the value as written in the URL


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def number(name: str, lo: float, hi: float, step: float, integer: bool = False):
    """A slider's value: clamped to [lo, hi] and put on the step grid, with a notice when moved."""

    def parse(text: str) -> tuple[Any, str | None]:
        value = _number(text)
        if value is None:
            return None, _("The link's {name} ({value}) is not a number; using the default.").format(
                name=name, value=quote(text)
            )
        snapped = min(max(lo + round((value - lo) / step) * step, lo), hi)
        snapped = round(snapped) if integer else round(snapped, 4)
        note = None
        if not math.isclose(snapped, value, abs_tol=1e-9):
            note = _("The link's {name} {value} is not on the slider ({lo}–{hi}, step {step}); using {used}.")
            note = note.format(name=name, value=quote(text), lo=lo, hi=hi, step=step, used=snapped)
        return snapped, note

    return parse


def levels(name: str, values: tuple[float, ...]):
    """A select slider's value: the nearest of its levels (on a log scale)."""

    def parse(text: str) -> tuple[Any, str | None]:
        value = _number(text)
        if value is None or value <= 0:
            return None, _("The link's {name} ({value}) is not a positive number; using the default.").format(
                name=name, value=quote(text)
            )
        nearest = min(values, key=lambda v: abs(math.log(v / value)))
        if math.isclose(nearest, value, rel_tol=1e-9):
            return nearest, None
        note = _("The link's {name} {value} is not one of the choices; using {used}.")
        return nearest, note.format(name=name, value=quote(text), used=nearest)

    return parse


def choice(name: str, options: Mapping[str, Any] | tuple[str, ...]):
    """One of a selectbox's options, by its URL token."""
    tokens = dict(options) if isinstance(options, Mapping) else {o: o for o in options}

    def parse(text: str) -> tuple[Any, str | None]:
        if text in tokens:
            return tokens[text], None
        note = _("The link asked for {name} {value}; choose {choices}.")
        return None, note.format(name=name, value=quote(text), choices=" / ".join(tokens))

    return parse


def flag(name: str):
    def parse(text: str) -> tuple[Any, str | None]:
        if text.lower() in ("1", "true", "yes", "on"):
            return True, None
        if text.lower() in ("0", "false", "no", "off"):
            return False, None
        return None, _("The link's {name} ({value}) should be 1 or 0.").format(name=name, value=quote(text))

    return parse


def whole(name: str, hi: int):
    """A non-negative whole number below `hi` (the node: checked against the graph later)."""

    def parse(text: str) -> tuple[Any, str | None]:
        if text.isdigit() and int(text) < hi:
            return int(text), None
        return None, _("The link asked for {name} {value}, which does not exist.").format(
            name=name, value=quote(text)
        )

    return parse


def _token(value: Any, options: Mapping[str, Any]) -> str:
    return next(k for k, v in options.items() if v == value)


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


PARAMS = (
    # the model's setting (sidebar)
    Param("dataset", "dataset", "Cora", choice("dataset", DATASETS)),
    Param("attention", "kind", "gat", choice("attention", tuple(KINDS))),
    Param("slope", "slope", 0.2, number("slope", *SLIDERS["negative_slope"]), _num),
    Param("heads", "heads", 8, number("heads", *SLIDERS["heads"], integer=True)),
    Param("dropout", "dropout", 0.6, number("dropout", *SLIDERS["dropout"]), _num),
    Param("hidden", "hidden", 8, number("hidden", *SLIDERS["hidden"], integer=True)),
    Param("activation", "activation", "leaky_relu", choice("activation", ACTIVATIONS)),
    Param("seed", "seed", 0, number("seed", 0, 9999, 1, integer=True)),
    Param("lr", "lr", 0.005, levels("lr", LEARNING_RATES), _num),
    Param("epochs", "max_epochs", 1000, number("epochs", *SLIDERS["max_epochs"], integer=True)),
    # the view
    Param("node", "node", None, whole("node", 10**6)),
    Param("mode", "mode", MODES[0], choice("mode", MODES)),
    Param("hops", "hops", "2", choice("hops", HOPS)),
    Param("layer", "layer", "1", choice("layer", LAYERS)),
    Param("head", "head", "mean", choice("head", (*HEAD_CHOICES, *(str(h) for h in range(1, 17))))),
    Param("colour", "colour_by", COLOURS["true"], choice("colour", COLOURS), lambda v: _token(v, COLOURS)),
    Param("relative", "relative", False, flag("relative"), lambda v: str(int(v))),
    # the page
    Param("lang", "lang", None, choice("lang", tuple(LANGUAGES))),
    Param("chapter", "chapter", None, number("chapter", 1, CHAPTERS, 1, integer=True)),
    Param("present", "present", False, flag("present"), lambda v: str(int(v))),
)
BY_NAME = {p.name: p for p in PARAMS}


def read(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The session-state values a link asks for, and a notice for each value it could not have.
    Unknown parameters are ignored (other tools add their own, e.g. utm_source)."""
    values, notes = {}, []
    for p in PARAMS:
        text = params.get(p.name)
        if text is None:
            continue
        if len(text) > MAX_CHARS:
            notes.append(
                _("The link's {name} is {count:,} characters long; using the default.").format(
                    name=p.name, count=len(text)
                )
            )
            continue
        value, note = p.parse(text)
        if note:
            notes.append(note)
        if value is not None:
            values[p.key] = value
    return values, notes


def write(state: Mapping[str, Any]) -> dict[str, str]:
    """The URL parameters for the session's values: those that differ from the default."""
    out = {}
    for p in PARAMS:
        value = state.get(p.key)
        if value is None or value == p.default:
            continue
        out[p.name] = p.show(value)
    return out


def sync(query: MutableMapping[str, str], wanted: Mapping[str, str]) -> None:
    """Make the URL's parameters `wanted`, touching only what changes (each change is a message
    to the browser)."""
    for name in [n for n in query if n in BY_NAME and n not in wanted]:
        del query[name]
    for name, value in wanted.items():
        if query.get(name) != value:
            query[name] = value


def head_options(heads: int) -> list[str]:
    return [*HEAD_CHOICES, *(str(h) for h in range(1, heads + 1))]


def check_view(state: MutableMapping[str, Any], num_nodes: int, heads_by_layer: list[int]) -> list[str]:
    """Put the node and head the graph and model do not have back to the defaults; notices."""
    notes = []
    node = state.get("node")
    if node is not None and node >= num_nodes:
        state["node"] = None
        notes.append(
            _("Node {node} does not exist: nodes are 0 to {last}. Showing the opening node.").format(
                node=node, last=num_nodes - 1
            )
        )
    head = state.get("head")
    layer = int(state.get("layer", "1")) - 1
    if state.get("mode") == MODES[0]:
        layer = 0
    if head is not None and head not in head_options(heads_by_layer[layer]):
        state["head"] = "mean"
        notes.append(_("This layer has no head {head}; showing the mean.").format(head=head))
    return notes
