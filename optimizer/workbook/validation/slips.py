"""The words of a plausibility warning: the value, its typical range, what a value
outside it does, and the slip it most likely is (``— did you mean 0.05?``)."""

from __future__ import annotations

from optimizer.workbook.cells import as_text
from optimizer.workbook.contract import Bound, Typical


def shown(value: float) -> str:
    """A number as a message quotes it, without float noise (``0.07``, not
    ``0.07000000000000001``)."""
    return as_text(float(f"{value:.12g}"))


def implausible(name: str, value: float, typical: Typical, hard: Bound | None,
                what: str = "") -> str:
    """The warning for ``value`` outside ``typical``: the value, the range, what it does
    and the likely slip. ``what`` says which rows the range is for."""
    text = f"{name} {shown(value)} is unusual{what} (typically {typical.describe()})"
    if typical.why:
        text += f": {typical.why}"
    return text + suggestion(value, typical, hard)


def suggestion(value: float, typical: Typical, hard: Bound | None) -> str:
    """`` — did you mean X?`` when the typical range's slip gives a plausible value."""
    corrected = typical.suggestion(value, hard)
    return "" if corrected is None else f" — did you mean {shown(corrected)}?"


def bound_hint(cell: object, typicals: tuple[Typical, ...], hard: Bound | None) -> str:
    """For a number outside its hard bound: the likely slip, when one gives an allowed
    and plausible value (a probability of 30 — did you mean 0.3?)."""
    try:
        value = float(str(cell).strip()) if not isinstance(cell, int | float) else float(cell)
    except ValueError:
        return ""
    for typical in typicals:
        hint = suggestion(value, typical, hard)
        if hint:
            return hint
    return ""
