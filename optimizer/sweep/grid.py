"""Sweep grids: the ``sweep`` sheet, its targets, and each point's changed input.

A grid workbook has a sheet ``sweep`` with columns ``point``, ``target``, ``value``.
A target is a settings key (``stockpile_budget``) or ``sheet.column[filter]``
(``prices.floor_price_per_t[mineral=lithium]``, ``facilities.capacity_t[facility=a,
stage=mine]``); a filter matches rows by the input's own values. A value is a number,
a text, or a relative change of the current value (``*1.2``, ``+500``, ``-500``).
Rows with the same ``point`` form one point. Changes are applied to the raw input
tables and every point is validated like an input, so a bad grid is told in the same
``sheet, row, column: what is wrong (found)`` words, for every point, before any solve.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import python_calamine

from optimizer.data import ModelData
from optimizer.workbook import contract
from optimizer.workbook.cells import as_text
from optimizer.workbook.problems import InputError, NotAWorkbookError, Problem, Problems
from optimizer.workbook.reading import (
    Cell,
    RawRecord,
    RawSheet,
    RawWorkbook,
    is_blank,
    normalise_name,
)
from optimizer.workbook.spelling import did_you_mean
from optimizer.workbook.validation import validate

GRID_SHEET = "sweep"
GRID_COLUMNS = ("point", "target", "value")
BASE = "base"  # the unchanged input, always solved

_TARGET = re.compile(r"^(?P<sheet>[^.\[\]]+)\.(?P<column>[^.\[\]]+)(?:\[(?P<filter>[^\]]*)\])?$")
_RELATIVE = re.compile(r"^(?P<op>[*+-])\s*(?P<amount>[0-9.eE+-]+)$")


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the grid: set ``target`` to ``value`` (``row``: the grid's Excel row)."""

    row: int
    target: str
    value: Cell


Record = tuple[tuple[str, Cell], ...]  # one row of a replaced sheet: (column, value) pairs


@dataclass(frozen=True, slots=True)
class Point:
    """A named set of changes to the input. ``sheets`` replaces whole sheets (their
    records) before the changes apply: how a stress point swaps the input's scenarios
    and disruptions for its own; ``note`` says in words what it does instead of the
    changes."""

    name: str
    changes: tuple[Change, ...]
    sheets: tuple[tuple[str, tuple[Record, ...]], ...] = ()
    note: str = ""

    def describe(self) -> str:
        """The changes in words: ``target = value; ...`` (empty for the base point)."""
        said = "; ".join(f"{c.target} = {as_text(c.value)}" for c in self.changes)
        return "; ".join(t for t in (self.note, said) if t)


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed target: a settings key, or a sheet's column with a row filter."""

    sheet: str
    column: str
    filters: tuple[tuple[str, str], ...]
    setting: str | None = None


def read_grid(path: Path, *, factorial: bool = False) -> list[Point]:
    """The points of the grid workbook at ``path`` (without ``base``).

    With ``factorial`` each target's rows are a list of values and the points are
    every combination of them (named ``p1``, ``p2``, …; ``point`` is ignored).
    Raises :class:`InputError` naming sheet ``sweep``, row and column for any bad row.
    """
    problems = Problems()
    changes = _read_rows(path, problems)
    if problems.errors:
        raise InputError(problems.sorted_errors(), [])
    if factorial:
        return _crossed(changes)
    grouped: dict[str, list[Change]] = {}
    for name, change in changes:
        grouped.setdefault(name, []).append(change)
    return [Point(name, tuple(c)) for name, c in grouped.items()]


def _read_rows(path: Path, problems: Problems) -> list[tuple[str, Change]]:
    if not path.exists():
        raise NotAWorkbookError(f"{path}: no such file")
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises several unrelated types on damaged files
        raise NotAWorkbookError(f"{path}: is not a readable Excel workbook ({error})") from None
    titles = {normalise_name(t): t for t in book.sheet_names}
    if GRID_SHEET not in titles:
        raise NotAWorkbookError(
            f"{path}: has no sheet {GRID_SHEET!r} (columns point, target, value)")
    rows = book.get_sheet_by_name(titles[GRID_SHEET]).to_python(skip_empty_area=False)
    header = [normalise_name(c) for c in (rows[0] if rows else [])]
    missing = [c for c in GRID_COLUMNS if c not in header]
    for column in missing:
        problems.error(GRID_SHEET, 1, column, "required column is missing")
    if missing:
        return []
    at = {c: header.index(c) for c in GRID_COLUMNS}
    found: list[tuple[str, Change]] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {c: (row[i] if i < len(row) else None) for c, i in at.items()}
        if all(is_blank(v) for v in cells.values()):
            continue
        for column in GRID_COLUMNS:
            if is_blank(cells[column]):
                problems.error(GRID_SHEET, number, column, "a value is required")
        if any(is_blank(v) for v in cells.values()):
            continue
        name = as_text(cells["point"])
        if name == BASE:
            problems.error(GRID_SHEET, number, "point", f"{BASE!r} is the unchanged input; "
                           "name the point otherwise", name)
            continue
        target = as_text(cells["target"])
        value = cells["value"]
        found.append((name, Change(number, target, value.strip() if isinstance(value, str)
                                   else value)))
    return found


def _crossed(changes: Sequence[tuple[str, Change]]) -> list[Point]:
    by_target: dict[str, list[Change]] = {}
    for _, change in changes:
        by_target.setdefault(change.target, []).append(change)
    combos = itertools.product(*by_target.values())
    return [Point(f"p{i}", tuple(combo)) for i, combo in enumerate(combos, start=1)]


def parse_target(text: str) -> Target | str:
    """The target ``text`` names, or a sentence saying what is wrong with it."""
    text = text.strip()
    match = _TARGET.match(text)
    if match is None:
        key = normalise_name(text)
        if key in {normalise_name(s.key) for s in contract.SETTINGS}:
            return Target("settings", "value", (("key", key),), setting=key)
        meant = did_you_mean(key, [s.key for s in contract.SETTINGS])
        return (f"not a settings key nor sheet.column[filter]{meant}" if "." not in text
                else "expected sheet.column or sheet.column[column=value,...]")
    sheet = normalise_name(match["sheet"])
    column = normalise_name(match["column"])
    if sheet not in contract.SHEETS_BY_NAME:
        return (f"no sheet {sheet!r} in the input contract"
                f"{did_you_mean(sheet, contract.SHEETS_BY_NAME)}")
    known = contract.SHEETS_BY_NAME[sheet].column_names
    if column not in known:
        return f"sheet {sheet} has no column {column!r}{did_you_mean(column, known)}"
    filters: list[tuple[str, str]] = []
    for part in (match["filter"] or "").split(","):
        if not part.strip():
            continue
        name, equals, wanted = part.partition("=")
        name = normalise_name(name)
        if not equals or not wanted.strip():
            return f"filter {part.strip()!r} is not column=value"
        if name not in known:
            return f"sheet {sheet} has no column {name!r} to filter on"
        filters.append((name, normalise_name(wanted)))
    return Target(sheet, column, tuple(filters))


def point_input(raw: RawWorkbook, point: Point, problems: Problems) -> RawWorkbook:
    """``raw`` with the point's changes applied; what is wrong with a change is an
    error on the grid's row (sheet ``sweep``)."""
    sheets = dict(raw.sheets)
    for name, records in point.sheets:
        if records:
            sheets[name] = replaced_sheet(name, records, sheets.get(name))
        else:  # an optional sheet without records: as if absent
            sheets.pop(name, None)
    for change in point.changes:
        target = parse_target(change.target)
        if isinstance(target, str):
            problems.error(GRID_SHEET, change.row, "target", target, change.target)
            continue
        sheet = sheets.get(target.sheet)
        if sheet is None:
            problems.error(GRID_SHEET, change.row, "target",
                           f"the input has no sheet {target.sheet}", change.target)
            continue
        sheets[target.sheet] = _apply(sheet, target, change, problems)
    return RawWorkbook(raw.path, sheets)


def replaced_sheet(name: str, records: Sequence[Record], old: RawSheet | None) -> RawSheet:
    """Sheet ``name`` holding only ``records`` (rows 2, 3, … as Excel numbers them)."""
    present = {column for record in records for column, _ in record}
    columns = tuple(c for c in contract.SHEETS_BY_NAME[name].column_names if c in present)
    rows = tuple(RawRecord(row, dict(record)) for row, record in enumerate(records, start=2))
    return RawSheet(name, old.title if old is not None else name, columns, rows,
                    len(records) + 1)


def _matches(record: RawRecord, filters: tuple[tuple[str, str], ...]) -> bool:
    return all(normalise_name(as_text(record.cells.get(c))) == wanted
               for c, wanted in filters if record.cells.get(c) is not None)\
        and all(record.cells.get(c) is not None for c, _ in filters)


def _apply(sheet: RawSheet, target: Target, change: Change, problems: Problems) -> RawSheet:
    records = list(sheet.records)
    hits = [i for i, r in enumerate(records) if _matches(r, target.filters)]
    if not hits and target.setting is None:
        problems.error(GRID_SHEET, change.row, "target", "the filter matches no row of "
                       f"sheet {target.sheet}", change.target)
        return sheet
    if not hits:  # a setting the input leaves at its default: add it
        if relative(change.value) is not None:
            problems.error(GRID_SHEET, change.row, "value", f"{target.setting} is not set in "
                           "the input, so it cannot be changed relatively", change.value)
            return sheet
        added = RawRecord(sheet.last_row + 1, {"key": target.setting, "value": change.value})
        return replace(sheet, records=(*records, added), last_row=sheet.last_row + 1)
    columns = sheet.columns if target.column in sheet.columns else (*sheet.columns,
                                                                   target.column)
    for i in hits:
        new = _new_value(records[i].cells.get(target.column), change, problems)
        if new is None:
            return sheet
        records[i] = RawRecord(records[i].row, {**records[i].cells, target.column: new})
    return replace(sheet, columns=columns, records=tuple(records))


def relative(value: object) -> tuple[str, float | None] | None:
    """A relative change's sign and amount (``*1.2``: ``("*", 1.2)``; the amount is None
    when what follows the sign is not a number); None when ``value`` is not one."""
    found = _RELATIVE.match(value) if isinstance(value, str) else None
    if found is None:
        return None
    try:
        return found["op"], float(found["amount"])
    except ValueError:
        return found["op"], None


def _new_value(current: Cell, change: Change, problems: Problems) -> Cell | None:
    value = change.value
    change_by = relative(value)
    if change_by is None:
        return value
    op, amount = change_by
    if amount is None:
        problems.error(GRID_SHEET, change.row, "value", "not a number after the sign", value)
        return None
    if isinstance(current, bool) or not isinstance(current, int | float):
        problems.error(GRID_SHEET, change.row, "value", "a relative change needs a number "
                       "in the input", f"{value} of {as_text(current) or 'a blank cell'}")
        return None
    return current * amount if op == "*" else current + amount if op == "+" \
        else current - amount


def check_point(raw: RawWorkbook, point: Point) -> tuple[list[Problem], ModelData | None]:
    """The point's changes applied to ``raw`` and validated like an input: its errors,
    each prefixed by its point (``point c: ...``), and its model data (None when it
    has errors). What a pool worker does with a batch of points before any is solved."""
    problems = Problems()
    changed = point_input(raw, point, problems)
    data = validate(changed, problems) if not problems.errors else None
    return [replace(problem, message=f"point {point.name}: {problem.message}")
            for problem in problems.sorted_errors()], data


def point_data(raw: RawWorkbook, points: Sequence[Point]) -> dict[str, ModelData]:
    """Every point's validated model data, ``base`` first; raises :class:`InputError`
    with every problem of every point (each prefixed by its point) before any solve."""
    errors: list[Problem] = []
    found: dict[str, ModelData] = {}
    for point in (Point(BASE, ()), *points):
        problems, data = check_point(raw, point)
        errors.extend(problems)
        if data is not None:
            found[point.name] = data
    if errors:
        raise InputError(errors, [])
    return found


_READ_ME = (
    ("sweep", "One row per change. Rows with the same point form one point; the "
              "unchanged input is always solved too, as point 'base'."),
    ("point", "The point's name (any text but 'base')."),
    ("target", "A settings key (stockpile_budget) or sheet.column[filter], such as "
               "prices.floor_price_per_t[mineral=ndpr] or "
               "facilities.capacity_t[facility=a,stage=mine]; the filter matches rows by "
               "the input's own values, and every matching row is changed."),
    ("value", "A number or a text that replaces the cell, or a relative change of the "
              "input's number: *1.2, +500, -500."),
    ("--factorial", "With optimizer sweep --factorial, each target's rows are a list of "
                    "values and every combination of them is a point (point is ignored)."),
)


def write_grid_template(path: Path) -> None:
    """An empty grid workbook: sheet ``sweep`` with its header, and sheet ``read_me``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from optimizer.files import replacing

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = GRID_SHEET
    sheet.append(list(GRID_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 50
    notes = book.create_sheet("read_me")
    notes.append(["item", "meaning"])
    for row in _READ_ME:
        notes.append(list(row))
    notes.column_dimensions["B"].width = 100
    with replacing(path) as temporary:
        book.save(temporary)
