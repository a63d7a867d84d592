"""Numbers for people: one formatter for every view, so no screen ever shows "-0.000"."""

from __future__ import annotations

import re


def fmt(value: float, spec: int | str = 3) -> str:
    """`format(value, spec)` (an int n means `.nf`), except that a value which rounds to zero
    prints without a sign ("0.000", never "-0.000" or "+0.000")."""
    text = format(float(value), f".{spec}f" if isinstance(spec, int) else spec)
    mantissa = re.split(r"[eE]", text)[0]
    if not re.search(r"[1-9]", mantissa):
        text = text.lstrip("+-")
    return text


def pct(value: float) -> str:
    """A probability as a percentage, never "-0%"; one decimal near 0 and 1, so that 99.7% does
    not read as a certainty."""
    digits = 1 if 0 < value < 0.005 or 0.995 < value < 1 else 0
    return fmt(100 * value, digits) + "%"
