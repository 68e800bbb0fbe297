"""The LP's numeric ranges before the solve, and the input cells behind their extremes.

HiGHS judges a model's scaling by the ranges of its matrix coefficients, costs,
variable bounds and row bounds (its "Coefficient ranges"); a range of many orders of
magnitude (money budgets of 1e10 beside tonnes) makes it warn that the problem is
badly scaled. :func:`ranges` gives the same four ranges, each end named by its row or
column (MODEL.md's block name and key) and by the input cell that holds the value:
a cell whose number is the value itself, in a row naming an entity of the key (a
facility, region, mineral, stockpile or scenario), or anywhere for a value of at
least :data:`DISTINCT` (a setting). A value computed from several inputs
(discounted, weighted by probability) has no such cell; then only the LP's row or
column is named.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.solve.highs import CompiledLP, Layout
from optimizer.workbook.reading import RawWorkbook

RELATIVE_MATCH = 1e-9  # a cell holds the value when equal to this relative precision
# A value this large found in a row that names none of the key's entities (a setting)
# is still taken for its source; a smaller one (0.5, 2) could be anywhere.
DISTINCT = 1_000.0


@dataclass(frozen=True, slots=True)
class Extreme:
    """One end of a range: the value, where it sits in the LP, and its input cell."""

    value: float
    where: str  # e.g. "stockpile_budget[calm] × purchase[vault-pgm,0]"
    cell: str  # e.g. "prices, row 7, column market_price_per_t", or ""
    keys: tuple[str, ...]  # the entity names of the row's and column's keys


@dataclass(frozen=True, slots=True)
class Range:
    """The smallest and largest absolute non-zero finite value of one kind."""

    kind: str  # matrix, cost, bound, rhs
    smallest: Extreme
    largest: Extreme

    def line(self) -> str:
        def end(e: Extreme) -> str:
            return f"{e.value:.4g} ({e.where}{'; input ' + e.cell if e.cell else ''})"

        return f"{self.kind} range [{end(self.smallest)}, {end(self.largest)}]"


def ranges(lp: CompiledLP, raw: RawWorkbook | None = None) -> list[Range]:
    """The matrix, cost, bound and row-bound (rhs) ranges of ``lp``, each end named;
    kinds with no non-zero finite value are left out. ``raw``: the input read, to
    find the cells behind the ends."""
    cells = list(_numbers(raw)) if raw is not None else []
    found: list[Range] = []
    matrix = lp.matrix.tocoo()
    layout = lp.layout
    kinds: list[tuple[str, np.ndarray, Any]] = [
        ("matrix", matrix.data,
         lambda i: (_row(layout, int(matrix.row[i])), _column(layout, int(matrix.col[i])))),
        ("cost", lp.cost, lambda i: (_column(layout, i),)),
        ("bound", np.concatenate([lp.col_lower, lp.col_upper]),
         lambda i: (_column(layout, i % len(lp.col_lower)),)),
        ("rhs", np.concatenate([lp.row_lower, lp.row_upper]),
         lambda i: (_row(layout, i % len(lp.row_lower)),)),
    ]
    for kind, values, place in kinds:
        magnitude = np.abs(np.asarray(values, dtype=float))
        usable = np.flatnonzero(np.isfinite(magnitude) & (magnitude > 0))
        if not len(usable):
            continue
        ends = [int(usable[np.argmin(magnitude[usable])]),
                int(usable[np.argmax(magnitude[usable])])]
        smallest, largest = (_extreme(float(values[i]), place(i), cells) for i in ends)
        found.append(Range(kind, smallest, largest))
    return found


def _row(layout: Layout, index: int) -> tuple[str, Any]:
    return layout.locate_row(index)


def _column(layout: Layout, index: int) -> tuple[str, Any]:
    return layout.locate_column(index)


_Cell = tuple[str, int, str, float, frozenset[str]]  # sheet, row, column, value, names


def _numbers(raw: RawWorkbook) -> Iterator[_Cell]:
    """Every numeric cell of the input, with the texts of its row."""
    for name, sheet in raw.sheets.items():
        for record in sheet.records:
            texts = frozenset(str(v) for v in record.cells.values() if isinstance(v, str))
            for column, value in record.cells.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    yield name, record.row, column, float(value), texts


def _extreme(value: float, places: tuple[tuple[str, Any], ...], cells: list[_Cell]) -> Extreme:
    where = " × ".join(f"{name}[{_key_text(key)}]" for name, key in places)
    keys = tuple(dict.fromkeys(k for _, key in places for k in _names(key)))
    return Extreme(value, where, _cell(abs(value), set(keys), cells), keys)


def _names(key: Any) -> list[str]:
    parts = key if isinstance(key, tuple) else (key,)
    return [p for p in parts if isinstance(p, str)]


def _key_text(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return ",".join(str(p) for p in parts)


def _cell(magnitude: float, keys: set[str], cells: list[_Cell]) -> str:
    """The input cell holding ``magnitude`` (see the module's words), or ""."""
    exact = [c for c in cells if math.isclose(abs(c[3]), magnitude, rel_tol=RELATIVE_MATCH)]
    named = [c for c in exact if keys & c[4]]
    if named:
        return _where(max(named, key=lambda c: len(keys & c[4])))
    if exact and magnitude >= DISTINCT:
        return _where(exact[0])
    return ""


def _where(cell: _Cell) -> str:
    return f"{cell[0]}, row {cell[1]}, column {cell[2]}"
