"""What a click or a box/lasso in a Streamlit chart selected, read from the widget's state.

Streamlit gives `{"selection": {"points": [{"customdata": [...], ...}], "box": [...],
"lasso": [...]}}`, as a dict or as an object with those attributes; customdata comes back as
a list or, for numpy input, as a dict {"0": a, "1": b, ...}. Every chart's `picked_*` reads it
through these two functions. No Streamlit import: they are unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping


def selection_parts(selection: object) -> dict[str, list]:
    """{"points": [...], "box": [...], "lasso": [...]}, empty lists for what is missing."""
    if isinstance(selection, Mapping):
        sel = selection.get("selection", selection)
    else:
        sel = getattr(selection, "selection", selection)
    if sel is None:
        return {"points": [], "box": [], "lasso": []}

    def get(key: str) -> object:
        return sel.get(key) if isinstance(sel, Mapping) else getattr(sel, key, None)

    return {key: list(get(key) or []) for key in ("points", "box", "lasso")}


def point_custom(point: object) -> list | None:
    """A selected point's customdata as a list, or None."""
    custom = point.get("customdata") if isinstance(point, Mapping) else None
    if isinstance(custom, Mapping):  # numpy customdata: {"0": a, "1": b, ...}
        try:
            custom = [custom[k] for k in sorted(custom, key=int)]
        except (TypeError, ValueError):
            return None
    return list(custom) if isinstance(custom, list | tuple) and custom else None


def first_custom(selection: object) -> list | None:
    """The customdata of the first selected point (a click), or None."""
    points = selection_parts(selection)["points"]
    return point_custom(points[0]) if points else None
