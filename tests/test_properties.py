"""Property tests: whatever is wrong with a workbook, validation answers in plain words
and points at places that exist.

Each example starts from the small valid case of ``tests/cases.py`` as a grid of cells
(sheet -> rows, the header first), corrupts it (bad cells, copied keys, deleted
columns and sheets, renamed or repeated sheets, blank rows), writes it with openpyxl
and validates it twice: through ``load`` and through the command line.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from optimizer.workbook.contract import SHEETS_BY_NAME, Column, Kind
from optimizer.workbook.problems import InputError, Problem
from optimizer.workbook.validation import load
from tests.cases import Grid, valid_tables, write_grid

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _valid_grid() -> Grid:
    grid: Grid = {}
    for name, records in valid_tables().items():
        header: list[object] = list(
            dict.fromkeys(column for record in records for column in record)
        )
        grid[name] = [header] + [[record.get(str(c)) for c in header] for record in records]
    return grid


VALID = _valid_grid()


# ---------------------------------------------------------------- corrupt values

_TEXT = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "Zs"), exclude_characters="="),
    max_size=12,
)
BAD_VALUES = st.one_of(
    st.sampled_from(["", "   ", "*", " * ", "nowhere", "abc", "-1", "1e400", "nan", "inf",
                     "yes", "TRUE", "2026", "2026.0", "0", "0,5", "1 000"]),
    st.sampled_from([-1, -0.5, 0, 0.5, 1.5, 2026, 2026.0, 1e308, -1e308, 5e-324, 10**15,
                     10**20, -(10**20), 123456789.123456789]),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.times(),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=400)),
    st.none(),
    _TEXT,
)
BAD_HEADERS = st.one_of(
    st.sampled_from(["", "nonsense", "REGION", " Capacity_T ", "zone member", "*"]),
    _TEXT,
)


def _key_columns(grid: Grid, sheet: str) -> list[int]:
    """Positions of the sheet's key columns in its header (all columns when it has none)."""
    header = [str(h).strip().casefold() if h is not None else "" for h in grid[sheet][0]]
    spec = SHEETS_BY_NAME.get(sheet.strip().casefold())
    keys = [c.name for c in spec.keys] if spec is not None else []
    positions = [i for i, name in enumerate(header) if name in keys]
    return positions or list(range(len(header)))


@st.composite
def corrupted_grids(draw: st.DrawFn) -> Grid:
    """The valid grid after one to six corruptions, each drawn against the current grid."""
    grid = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 6))):
        sheet = draw(st.sampled_from(sorted(grid)))
        rows = grid[sheet]
        width = max(len(row) for row in rows) if rows else 0
        action = draw(st.sampled_from([
            "cell", "cell", "cell", "cell", "header", "copy_key", "delete_column",
            "delete_sheet", "blank_row", "rename_sheet", "repeat_sheet", "unknown_sheet",
        ]))
        if action == "cell" and len(rows) > 1 and width:
            row = draw(st.integers(1, len(rows) - 1))
            column = draw(st.integers(0, width - 1))
            rows[row] += [None] * (column + 1 - len(rows[row]))
            rows[row][column] = draw(BAD_VALUES)
        elif action == "header" and width:
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(
                st.one_of(BAD_HEADERS, st.sampled_from([h for h in rows[0]]))
            )
        elif action == "copy_key" and len(rows) > 2:
            source, target = draw(
                st.lists(st.integers(1, len(rows) - 1), min_size=2, max_size=2, unique=True)
            )
            for position in _key_columns(grid, sheet):
                if position < len(rows[source]) and position < len(rows[target]):
                    rows[target][position] = rows[source][position]
        elif action == "delete_column" and width:
            deleted = draw(st.integers(0, width - 1))
            for cells in rows:
                if deleted < len(cells):
                    del cells[deleted]
        elif action == "delete_sheet" and len(grid) > 1:
            del grid[sheet]
        elif action == "blank_row" and rows:
            rows.insert(draw(st.integers(1, len(rows))), [])
        elif action == "rename_sheet":
            title = draw(st.sampled_from([sheet.upper(), f" {sheet.title()} ", f"{sheet}_old"]))
            if title not in grid:
                grid[title] = grid.pop(sheet)
        elif action == "repeat_sheet":
            title = sheet.upper()
            if title not in grid:
                grid[title] = copy.deepcopy(rows)
        elif action == "unknown_sheet" and "notes" not in grid:
            grid["notes"] = [["note"], ["made up by hand"]]
    return grid


# ---------------------------------------------------------------- checking locations


def _normal(name: object) -> str:
    return str(name).strip().casefold()


@dataclass(frozen=True, slots=True)
class _Found:
    """A sheet as written: its last row and its header, as names are matched."""

    last_row: int
    header: frozenset[str]


def _sheets_as_written(path: Path) -> dict[str, list[_Found]]:
    workbook = openpyxl.load_workbook(path)
    found: dict[str, list[_Found]] = {}
    for worksheet in workbook.worksheets:
        header = frozenset(
            _normal(cell.value) for cell in worksheet[1] if cell.value is not None
        ) if worksheet.max_row >= 1 else frozenset()
        found.setdefault(_normal(worksheet.title), []).append(
            _Found(worksheet.max_row, header)
        )
    return found


def _location_problems(problem: Problem, written: dict[str, list[_Found]]) -> list[str]:
    """Why the problem's location does not exist in the written workbook (empty if it does)."""
    sheet = _normal(problem.sheet)
    if sheet not in written:
        if problem.row is None and problem.column is None and "missing" in problem.message:
            return []
        return [f"sheet {problem.sheet!r} is not in the workbook"]
    spec = SHEETS_BY_NAME.get(sheet)
    contract_columns = set(spec.column_names) if spec is not None else set()
    reasons: list[str] = []
    for candidate in written[sheet]:
        reasons = []
        if problem.row is not None and not 1 <= problem.row <= candidate.last_row:
            reasons.append(f"row {problem.row} is outside 1..{candidate.last_row}")
        if problem.column is not None:
            column = _normal(problem.column)
            if column not in candidate.header and column not in contract_columns:
                reasons.append(f"column {problem.column!r} is neither in the header nor the "
                               "contract")
        if not reasons:
            return []
    return reasons


def _validate_both_ways(path: Path) -> tuple[list[Problem], list[Problem], int, str]:
    """Errors and warnings from ``load``; status and output of ``optimizer validate``."""
    try:
        _, warnings = load(path)
        errors: list[Problem] = []
    except InputError as error:
        errors, warnings = list(error.errors), list(error.warnings)
        assert errors, "InputError without errors"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["validate", str(path)])
    return errors, warnings, status, out.getvalue() + err.getvalue()


@EXAMPLES
@given(grid=corrupted_grids())
def test_corrupt_workbooks_are_reported_at_places_that_exist(grid: Grid) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_grid(Path(folder) / "corrupt.xlsx", grid)
        errors, warnings, status, output = _validate_both_ways(path)
        written = _sheets_as_written(path)

    assert status in (EXIT_OK, EXIT_BAD_INPUT), output
    assert "Traceback" not in output
    assert "unexpected error" not in output, output
    assert (status == EXIT_OK) == (not errors), output
    for problem in errors:
        assert str(problem) in output, f"{problem} is not printed"
    for problem in errors + warnings:
        assert problem.message
        reasons = _location_problems(problem, written)
        assert not reasons, f"{problem}: {'; '.join(reasons)}"


# ---------------------------------------------------------------- one clear mistake


def _wrong_values(column: Column) -> st.SearchStrategy[object]:
    """Values no reading of ``column`` accepts."""
    if column.kind is Kind.NUMBER:
        wrong = ["lots", True, dt.date(2026, 1, 1), -1, -1e308]
        if column.bound is not None and column.bound.high is not None:
            wrong.append(1e308)
        return st.sampled_from(wrong)
    if column.kind is Kind.ENUM:
        return st.sampled_from(["sideways", 3.5, False])
    if column.kind is Kind.YESNO:
        return st.sampled_from(["maybe", 2, dt.date(2026, 1, 1)])
    return st.sampled_from(["nowhere", 3.25])


_CHECKED_CELLS = [
    (sheet, row, position)
    for sheet, rows in VALID.items()
    if sheet != "settings"
    for position, name in enumerate(rows[0])
    if (column := SHEETS_BY_NAME[sheet].column(str(name))).kind is not Kind.TEXT
    and (column.kind is not Kind.KEY or column.references is not None)
    for row in range(1, len(rows))
]


@EXAMPLES
@given(data=st.data())
def test_a_wrong_cell_is_reported_at_that_cell(data: st.DataObject) -> None:
    sheet, row, position = data.draw(st.sampled_from(_CHECKED_CELLS))
    grid = copy.deepcopy(VALID)
    name = str(grid[sheet][0][position])
    value = data.draw(_wrong_values(SHEETS_BY_NAME[sheet].column(name)), label="value")
    grid[sheet][row][position] = value
    with tempfile.TemporaryDirectory() as folder:
        errors, _, status, output = _validate_both_ways(write_grid(Path(folder) / "bad.xlsx", grid))
    assert status == EXIT_BAD_INPUT, output
    assert (sheet, row + 1, name) in {(p.sheet, p.row, p.column) for p in errors}, output


_KEYED_SHEETS = sorted(
    sheet for sheet, rows in VALID.items() if SHEETS_BY_NAME[sheet].keys and len(rows) > 2
)


@EXAMPLES
@given(data=st.data())
def test_a_copied_key_is_reported_at_the_later_row(data: st.DataObject) -> None:
    sheet = data.draw(st.sampled_from(_KEYED_SHEETS), label="sheet")
    grid = copy.deepcopy(VALID)
    rows = grid[sheet]
    source, target = data.draw(
        st.lists(st.integers(1, len(rows) - 1), min_size=2, max_size=2, unique=True),
        label="rows",
    )
    for position in _key_columns(grid, sheet):
        rows[target][position] = rows[source][position]
    with tempfile.TemporaryDirectory() as folder:
        errors, _, status, output = _validate_both_ways(write_grid(Path(folder) / "dup.xlsx", grid))
    assert status == EXIT_BAD_INPUT, output
    first_key = SHEETS_BY_NAME[sheet].keys[0].name
    assert (sheet, max(source, target) + 1, first_key) in {
        (p.sheet, p.row, p.column) for p in errors
    }, output
