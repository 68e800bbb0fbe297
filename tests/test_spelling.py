"""Slips of the pen: a sheet, column, setting, name or choice that nearly matches a known
one is an error saying which was meant; one that matches nothing stays a warning.

The header slips start from ``data/example.xlsx``, the workbook a new user tries first.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from optimizer.cli import EXIT_BAD_INPUT, main
from optimizer.workbook.contract import IGNORED_SHEETS, SETTINGS, SHEETS, SHEETS_BY_NAME
from optimizer.workbook.problems import InputError
from optimizer.workbook.spelling import Codes, edits, one_edit, suggest
from optimizer.workbook.validation import load
from tests.cases import Grid, Tables, write_grid

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "example.xlsx"

Writer = Callable[..., Path]
Validator = Callable[[Path], tuple[int, list[str]]]


# ---------------------------------------------------------------- the matching itself


@pytest.mark.parametrize(("a", "b", "count"), [
    ("capacity_t", "capacity_t", 0),
    ("capacty_t", "capacity_t", 1),  # a letter dropped
    ("yeild", "yield", 1),  # neighbours swapped
    ("kitten", "sitting", 3),  # above the limit of 2: reported as 3
    ("a", "abcdef", 3),
])
def test_edits_counts_to_one_above_the_limit(a: str, b: str, count: int) -> None:
    assert edits(a, b) == count


@pytest.mark.parametrize(("typed", "meant"), [
    ("unit_cost", "unit_cost_per_t"),  # cut at a word boundary
    ("capacity", "capacity_t"),
    ("cost_per_t", "unit_cost_per_t"),  # cut at the front
    ("Unit Cost per t", "unit_cost_per_t"),  # case and separators only
    ("capactiy_t", "capacity_t"),
    ("lifetime_yaers", "lifetime_years"),
])
def test_facility_headers(typed: str, meant: str) -> None:
    assert suggest(typed, SHEETS_BY_NAME["facilities"].column_names) == meant


@pytest.mark.parametrize("typed", [
    "comment", "notes", "cost", "t", "id", "source",
    "expandabel",  # a swap and a cut together: three edits, and not a cut of the name
])
def test_a_name_like_nothing_suggests_nothing(typed: str) -> None:
    assert suggest(typed, SHEETS_BY_NAME["facilities"].column_names) is None


@pytest.mark.parametrize(("typed", "meant"), [
    ("china", "China"),  # case only
    ("Chna", "China"),
    ("AU-Li-mien", "AU-Li-mine"),
    ("2026h1", "2026H1"),
    ("US-Li-mine", None),  # US is not AU: another facility altogether
    ("CN", None),  # a two-letter code is another code, not a slip
    ("2029", None),  # another year
    ("2026H3", None),
])
def test_codes_nearly_match_only_by_case_or_a_slip_in_a_long_word(
    typed: str, meant: str | None
) -> None:
    known = ["China", "CA", "AU-Li-mine", "2026", "2026H1", "2026H2"]
    assert suggest(typed, known, codes=True) == meant
    assert Codes(known).suggest(typed) == meant


_CODE = st.text("abcdeAB12-_", min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(st.text("abc", max_size=7), st.text("abc", max_size=7))
def test_one_edit_in_linear_time_agrees_with_counting_edits(x: str, y: str) -> None:
    assert one_edit(x, y) == (edits(x, y) == 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CODE, min_size=1, max_size=30, unique=True), _CODE)
def test_the_index_of_codes_finds_what_comparing_with_each_finds(
    known: list[str], typed: str
) -> None:
    """The index only saves time: it suggests exactly what the plain search does."""
    assume(typed not in known)
    assert Codes(known).suggest(typed) == suggest(typed, sorted(known), codes=True)


def test_no_two_contract_names_are_near_misses_of_each_other() -> None:
    """Otherwise a slip could be taken for the wrong one: every contract column, sheet
    and setting key is told from its neighbours by more than a near miss, bar one
    documented cut (``initial_t`` ends ``certified_initial_t``, which a one-edit slip
    of either still tells apart, since edits rank before cuts)."""
    groups = [list(s.column_names) for s in SHEETS]
    groups += [[s.name for s in SHEETS], [s.key for s in SETTINGS]]
    close = [(a, b) for names in groups for i, a in enumerate(names) for b in names[i + 1:]
             if suggest(a, [b]) is not None]
    assert close == [("initial_t", "certified_initial_t")]


# ---------------------------------------------------------------- the slips


def _example_with(tmp_path: Path, sheet: str, column: str, header: str) -> Path:
    """``data/example.xlsx`` with one header renamed."""
    book = openpyxl.load_workbook(EXAMPLE)
    worksheet = book[sheet]
    for cell in worksheet[1]:
        if cell.value == column:
            cell.value = header
    path = tmp_path / "example.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize(("column", "typed", "letter"), [
    ("unit_cost_per_t", "unit_cost", "F"),
    ("capacity_t", "capacity", "E"),
])
def test_a_near_miss_header_is_an_error_naming_the_column(
    tmp_path: Path, validate_cli: Validator, column: str, typed: str, letter: str
) -> None:
    path = _example_with(tmp_path, "facilities", column, typed)
    assert validate_cli(path) == (EXIT_BAD_INPUT, [
        f"facilities, column {letter}: unknown column {typed} — did you mean {column}?"
    ])


def test_a_near_miss_header_stops_a_run_before_the_solve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _example_with(tmp_path, "facilities", "unit_cost_per_t", "unit_cost")
    results = tmp_path / "results.xlsx"
    capsys.readouterr()
    assert main(["run", str(path), "-o", str(results), "--quiet"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.splitlines()
    assert err[-2:] == ["1 problem(s) in the input:",
                        "facilities, column F: unknown column unit_cost — did you mean "
                        "unit_cost_per_t?"]
    assert not results.exists()
    assert not results.with_suffix(".failed.log").exists()


def test_a_header_that_matches_nothing_stays_a_warning(tmp_path: Path) -> None:
    path = _example_with(tmp_path, "facilities", "unit_cost_per_t", "remarks")
    _, warnings = load(path)
    assert [str(w) for w in warnings] == [
        "facilities, row 1, remarks: column F is not part of the contract; ignored"]


def test_a_near_miss_of_a_column_that_is_there_too_is_a_warning(
    tables: Tables, write: Writer
) -> None:
    """``capacity_t2`` beside ``capacity_t`` is a copy kept on purpose, not a slip."""
    tables["facilities"][0]["capacity_t2"] = 5
    _, warnings = load(write(tables))
    assert [str(w) for w in warnings] == [
        "facilities, row 1, capacity_t2: column G is not part of the contract; ignored"]


def test_a_near_miss_sheet_is_an_error(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    tables["scenario"] = tables.pop("scenarios")
    tables.pop("disruptions")
    assert validate_cli(write(tables)) == (EXIT_BAD_INPUT, [
        "scenario: unknown sheet — did you mean scenarios?"])


def test_a_near_miss_of_a_required_sheet_also_says_it_is_missing(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    tables["Facility"] = tables.pop("facilities")
    tables.pop("offtakes")
    assert validate_cli(write(tables)) == (EXIT_BAD_INPUT, [
        "facilities: required sheet is missing",
        "Facility: unknown sheet — did you mean facilities?",
    ])


def test_a_near_miss_setting_is_an_error(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    for record in tables["settings"]:
        if record["key"] == "discount_rate":
            record["key"] = "discount"
    row = 2 + [r["key"] for r in tables["settings"]].index("discount")
    assert validate_cli(write(tables)) == (EXIT_BAD_INPUT, [
        f"settings, row {row}, key: unknown setting discount — did you mean discount_rate?"])


def test_a_name_that_misses_by_case_suggests_the_name(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    region = tables["facilities"][0]["region"]
    tables["facilities"][0]["region"] = region.lower()
    assert validate_cli(write(tables)) == (EXIT_BAD_INPUT, [
        f"facilities, row 2, region: no region of that name on the regions sheet — did "
        f"you mean {region}? ({region.lower()})"])


def test_a_choice_that_misses_by_a_letter_suggests_the_choice(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    tables["facilities"][0]["stage"] = "minr"
    assert validate_cli(write(tables)) == (EXIT_BAD_INPUT, [
        "facilities, row 2, stage: expected one of mine, refine, recycle — did you mean "
        "mine? (minr)"])


# ---------------------------------------------------------------- every header of example.xlsx


def _example_grid() -> Grid:
    """The contract sheets of ``data/example.xlsx`` as rows of values, header first."""
    book = openpyxl.load_workbook(EXAMPLE)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)]
            for ws in book.worksheets if ws.title not in IGNORED_SHEETS}


GRID = _example_grid()
HEADERS = [(sheet, index, str(name)) for sheet, rows in GRID.items()
           for index, name in enumerate(rows[0]) if name is not None]


def _errors_with(grid: Grid, renamed: dict[str, dict[int, str]]) -> list[str]:
    changed = {sheet: [list(row) for row in rows] for sheet, rows in grid.items()}
    for sheet, headers in renamed.items():
        for index, header in headers.items():
            changed[sheet][0][index] = header
    with tempfile.TemporaryDirectory() as folder:
        path = write_grid(Path(folder) / "input.xlsx", changed)
        with pytest.raises(InputError) as raised:
            load(path)
    return [str(p) for p in raised.value.errors]


def _drop_middle(name: str) -> str:
    middle = len(name) // 2
    return name[:middle] + name[middle + 1:]


@pytest.mark.parametrize("sheet", list(GRID))
def test_every_header_of_the_example_with_a_letter_dropped(sheet: str) -> None:
    """Every header of a sheet misspelt at once: each is named, with what it was."""
    renamed = {i: _drop_middle(name) for s, i, name in HEADERS if s == sheet}
    errors = _errors_with(GRID, {sheet: renamed})
    for index, typed in renamed.items():
        expected = (f"{sheet}, column {get_column_letter(index + 1)}: unknown column "
                    f"{typed} — did you mean {GRID[sheet][0][index]}?")
        assert expected in errors, expected


_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"


@st.composite
def _one_edit(draw: st.DrawFn) -> tuple[str, int, str, str]:
    """A header of the example and that header with one letter added, dropped, changed
    or swapped with its neighbour."""
    sheet, index, name = draw(st.sampled_from(HEADERS))
    at = draw(st.integers(0, len(name) - 1))
    letter = draw(st.sampled_from(_LETTERS))
    how = draw(st.sampled_from(["add", "drop", "change", "swap"]))
    if how == "add":
        typed = name[:at] + letter + name[at:]
    elif how == "drop":
        typed = name[:at] + name[at + 1:]
    elif how == "change":
        typed = name[:at] + letter + name[at + 1:]
    else:
        after = min(at + 1, len(name) - 1)
        typed = name[:at] + name[after] + name[at + 1:after] + name[at] + name[after + 1:]
    return sheet, index, name, typed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_one_edit())
def test_any_header_one_edit_away_is_an_error_naming_it(
    edit: tuple[str, int, str, str]
) -> None:
    sheet, index, name, typed = edit
    assume(typed != name)  # a letter changed to itself, or two alike swapped
    errors = _errors_with(GRID, {sheet: {index: typed}})
    expected = (f"{sheet}, column {get_column_letter(index + 1)}: unknown column {typed} — "
                f"did you mean {name}?")
    assert expected in errors, errors
