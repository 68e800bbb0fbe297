"""Reading one cell as its contract column says (MODEL.md §2, reading rules)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from optimizer.workbook.contract import NO_WORDS, WILDCARD, YES_WORDS, Bound, Kind
from optimizer.workbook.reading import Cell, is_blank
from optimizer.workbook.spelling import did_you_mean


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a cell cannot be read: a message and what was found."""

    message: str
    found: str


def as_text(cell: Cell) -> str:
    """A cell as text; a whole number loses its ``.0`` (``2026.0`` -> ``"2026"``)."""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, float):
        if cell.is_integer() and abs(cell) < 1e15:
            return str(int(cell))
        return repr(cell)
    if isinstance(cell, dt.datetime) and cell.time() == dt.time(0):
        return cell.date().isoformat()
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    return str(cell).strip()


def read_number(cell: Cell, bound: Bound | None, integer: bool = False) -> float | Invalid:
    """A finite number within ``bound``; text holding a plain number is accepted."""
    if isinstance(cell, bool | dt.date | dt.time | dt.timedelta):
        return Invalid("expected a number", as_text(cell))
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        text = str(cell).strip()
        try:
            value = float(text)
        except ValueError:
            return Invalid("expected a number", text)
    if not math.isfinite(value):
        return Invalid("expected a finite number", as_text(cell))
    if integer and not value.is_integer():
        return Invalid("expected a whole number", as_text(cell))
    if bound is not None and not bound.holds(value):
        return Invalid(f"must be {bound.describe()}", as_text(cell))
    return value


def read_yes_no(cell: Cell) -> bool | Invalid:
    """yes/no/true/false/1/0, in any case; Excel's TRUE and FALSE too."""
    if isinstance(cell, bool):
        return cell
    word = as_text(cell).casefold()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return Invalid("expected yes or no", as_text(cell))


def read_choice(cell: Cell, choices: tuple[str, ...]) -> str | Invalid:
    """One of ``choices``, compared in lower case."""
    word = as_text(cell).casefold()
    if word in choices:
        return word
    return Invalid(f"expected one of {', '.join(choices)}{did_you_mean(word, choices)}",
                   as_text(cell))


def is_wildcard(cell: Cell) -> bool:
    """Blank and ``*`` both mean "all" in a wildcard column."""
    return is_blank(cell) or (isinstance(cell, str) and cell.strip() == WILDCARD)


def read_cell(
    cell: Cell, kind: Kind, bound: Bound | None, choices: tuple[str, ...], integer: bool = False
) -> object:
    """A non-blank cell as ``kind`` says, or :class:`Invalid`."""
    if kind is Kind.NUMBER:
        return read_number(cell, bound, integer)
    if kind is Kind.YESNO:
        return read_yes_no(cell)
    if kind is Kind.ENUM:
        return read_choice(cell, choices)
    return as_text(cell)
