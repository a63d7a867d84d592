"""How an edge shows its attention: width, opacity and colour, and the shapes that draw it.

The encoding is honest about the values in the drawn view:
- width is a strictly increasing (linear) function of the value shown, from `WIDTH_PX[0]` for
  the smallest value in the view to `WIDTH_PX[1]` for the largest, so any two different values
  get different widths; opacity rises with it in `LEVELS` steps;
- "relative to uniform" shows r = α × in-degree(i) on a log scale, symmetric around 1: edges
  within ±10% of uniform are grey, above magenta, below indigo (a diverging pair that no class
  colour uses), stronger the further from 1;
- in the computation graph, layer 2 is dark and layer 1 light.

Each edge is a filled polygon (shaft and arrowhead) whose width is exact, not binned; polygons
of one colour and opacity share a trace (coordinates joined with None), so a view with a
thousand edges still draws as a few dozen traces.

Shapes: m drawn edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WIDTH_PX = (0.8, 9.0)  # thinnest and thickest edge in a view, px
LEVELS = 16  # opacity steps
OPACITY = (0.35, 0.95)
NEUTRAL_BAND = 1.1  # "about uniform": 1/1.1 < r < 1.1, i.e. within ±10% on the log scale
ABOVE_COLOUR = (194, 24, 91)  # magenta: more than the uniform share
BELOW_COLOUR = (40, 53, 147)  # indigo: less than the uniform share
NEUTRAL_COLOUR = (150, 150, 150)
LAYER_COLOUR = {1: (34, 34, 34), 0: (120, 120, 120)}  # layer 2 dark, layer 1 light (0-based keys)
LIGHTEN_LAYER1 = 0.45  # relative mode: layer-1 colours mixed this far towards white


@dataclass(frozen=True)
class EdgeStyle:
    value: np.ndarray  # (m,) the value shown: α, or log(α × in-degree)
    width: np.ndarray  # (m,) px
    opacity: np.ndarray  # (m,)
    colour: list[str]  # (m,) "rgb(...)"
    lo: float  # smallest and largest value in the view (α or r, not its log)
    hi: float
    ranges: dict[int, tuple[float, float]] | None = None  # per layer (0-based), when scaled apart


def widths(values: np.ndarray) -> np.ndarray:
    """(m,) -> (m,) px: linear from the view's smallest value to its largest."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12:
        return np.full(len(values), (WIDTH_PX[0] + WIDTH_PX[1]) / 2)
    return WIDTH_PX[0] + (WIDTH_PX[1] - WIDTH_PX[0]) * (values - lo) / (hi - lo)


def levels(values: np.ndarray, steps: int = LEVELS) -> np.ndarray:
    """(m,) -> (m,) integers 0..steps-1, rising with the value (for opacity)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values.astype(int)
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12:
        return np.full(len(values), steps - 1)
    return np.minimum(((values - lo) / (hi - lo) * steps).astype(int), steps - 1)


def side(relative: np.ndarray) -> np.ndarray:
    """+1 above uniform, -1 below, 0 within the neutral band."""
    r = np.asarray(relative, dtype=float)
    band = math.log(NEUTRAL_BAND)
    log_r = np.log(np.clip(r, 1e-12, None))
    return np.where(log_r > band, 1, np.where(log_r < -band, -1, 0))


def _rgb(c: tuple[float, float, float]) -> str:
    return "rgb({},{},{})".format(*(round(v) for v in c))


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[float, float, float]:
    return tuple(x + (y - x) * t for x, y in zip(a, b))  # type: ignore[return-value]


def style(
    alpha: np.ndarray, relative: np.ndarray, layer: np.ndarray, show_relative: bool, two_layers: bool
) -> EdgeStyle:
    """Width, opacity and colour for each drawn edge j → i.

    alpha, relative (α × in-degree(i)) and layer (0-based) are (m,). With `two_layers` each
    layer is scaled to its own range (`ranges`): a hub's layer-2 α (~1/169) would otherwise all
    be hairlines beside layer 1's (~1/2 for its leaf neighbours)."""
    alpha = np.asarray(alpha, dtype=float)
    if show_relative:
        value = np.log(np.clip(np.asarray(relative, dtype=float), 1e-12, None))  # symmetric around 0
        shown = np.asarray(relative, dtype=float)
    else:
        value = alpha
        shown = alpha
    layer = np.asarray(layer)
    width = np.empty(len(value))
    step = np.empty(len(value))
    groups = [layer == k for k in (0, 1)] if two_layers else [np.ones(len(value), bool)]
    ranges: dict[int, tuple[float, float]] = {}
    for k, pick in enumerate(groups):
        width[pick] = widths(value[pick])
        step[pick] = levels(value[pick])
        if two_layers and pick.any():
            ranges[k] = (float(shown[pick].min()), float(shown[pick].max()))
    opacity = OPACITY[0] + (OPACITY[1] - OPACITY[0]) * step / (LEVELS - 1)
    colours: list[str] = []
    if show_relative:
        s = side(relative)
        reach = float(np.abs(value).max()) if len(value) else 1.0
        reach = max(reach, math.log(NEUTRAL_BAND) * 2)
        for k in range(len(value)):
            if s[k] == 0:
                c: tuple[float, float, float] = NEUTRAL_COLOUR  # type: ignore[assignment]
            else:
                # 4 strengths per side, from just outside the band to the view's furthest edge
                t = (abs(value[k]) - math.log(NEUTRAL_BAND)) / (reach - math.log(NEUTRAL_BAND))
                step = min(int(t * 4), 3)
                c = _mix(NEUTRAL_COLOUR, ABOVE_COLOUR if s[k] > 0 else BELOW_COLOUR, 0.4 + 0.2 * step)
            if two_layers and layer[k] == 0:
                c = _mix(tuple(round(v) for v in c), (255, 255, 255), LIGHTEN_LAYER1)  # type: ignore[arg-type]
            colours.append(_rgb(c))
    else:
        for k in range(len(value)):
            key = int(layer[k]) if two_layers else 1
            colours.append(_rgb(LAYER_COLOUR[key]))
    lo = float(shown.min()) if len(shown) else float("nan")
    hi = float(shown.max()) if len(shown) else float("nan")
    return EdgeStyle(
        value=value, width=width, opacity=opacity, colour=colours, lo=lo, hi=hi, ranges=ranges or None
    )


def arrow_polygons(
    p0: np.ndarray,
    p1: np.ndarray,
    width_px: np.ndarray,
    unit: float,
    gap0: np.ndarray,
    gap1: np.ndarray,
    offset: np.ndarray,
    heads: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """m arrows j → i as closed polygons in data units (`unit` data units per px): p0, p1 (m, 2)
    the ends; a shaft `width_px` (m,) wide and a head at p1; the ends stop `gap0`/`gap1` (m,)
    short (the markers' rims); `offset` (m,) shifts each to the right of its direction, so
    that j → i and i → j, or one edge in two layers, lie side by side. Joined with NaN (a gap,
    like None, but a numpy array plotly takes without checking each value: 3× faster for the
    heads grid) into one x and one y array. Without `heads`, plain bars (the small multiples,
    where every edge points at the centre)."""
    m = len(p0)
    if m == 0:
        return np.empty(0), np.empty(0)
    d = p1 - p0  # (m, 2)
    length = np.hypot(d[:, 0], d[:, 1])
    length[length == 0] = 1.0
    u = d / length[:, None]  # (m, 2) unit directions
    n = np.stack([u[:, 1], -u[:, 0]], axis=1)  # (m, 2) normals, to the right
    a = p0 + u * gap0[:, None] + n * offset[:, None]
    tip = p1 - u * gap1[:, None] + n * offset[:, None]
    room = np.maximum(np.einsum("ij,ij->i", tip - a, u), 1e-9)  # (m,)
    half = (width_px / 2 * unit)[:, None]  # (m, 1)
    if heads:
        head = np.minimum(np.maximum(2.2 * width_px, 7.0) * unit, 0.6 * room)[:, None]
        wing = (np.maximum(1.3 * width_px, 3.5) * unit)[:, None]
        base = tip - u * head
        corners = [a + n * half, base + n * half, base + n * wing, tip, base - n * wing, base - n * half]
        corners += [a - n * half, a + n * half]
    else:
        corners = [a + n * half, tip + n * half, tip - n * half, a - n * half, a + n * half]
    pts = np.stack(corners, axis=1)  # (m, c, 2)
    c = pts.shape[1]
    xs = np.full((m, c + 1), np.nan)  # (m, c + 1): the corners, then a gap
    ys = np.full((m, c + 1), np.nan)
    xs[:, :c] = pts[:, :, 0]
    ys[:, :c] = pts[:, :, 1]
    return xs.ravel(), ys.ravel()  # (m · (c + 1),)
