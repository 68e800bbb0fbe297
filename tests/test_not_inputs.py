"""Workbooks the optimizer writes, given back to it as input: one sentence, exit 2.

A results workbook shares sheet names with the input (``scenarios``, ``stockpiles``,
``prices``) and would otherwise be answered with hundreds of problems.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from optimizer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from optimizer.results.contract import RESULT_SHEETS_BY_NAME
from optimizer.sweep.grid import GRID_SHEET
from optimizer.workbook.reading import NOT_INPUTS
from tests.cases import Tables

Writer = Callable[..., Path]


def _told(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    status = main(list(argv))
    return status, capsys.readouterr().err.splitlines()


def test_the_marks_are_sheets_those_workbooks_always_have() -> None:
    marks = [sorted(m) for m, _ in NOT_INPUTS]
    assert marks == [["headlines", "summary"], [GRID_SHEET], ["comparison"]]
    assert {"summary", "headlines"} <= set(RESULT_SHEETS_BY_NAME)


def test_a_results_workbook_given_as_input(
    tables: Tables, write: Writer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.xlsx"
    assert main(["run", str(write(tables)), "-o", str(results), "--quiet"]) == EXIT_OK
    sentence = (f"{results}: is a results workbook, not an input workbook; give the input "
                "it was made from.")
    assert _told(capsys, "validate", str(results)) == (EXIT_BAD_INPUT, [sentence])
    again = tmp_path / "again.xlsx"
    assert _told(capsys, "run", str(results), "-o", str(again), "--quiet") == (
        EXIT_BAD_INPUT, [sentence])
    assert not again.exists()


def test_a_sweep_grid_given_as_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = tmp_path / "grid.xlsx"
    assert main(["template", "--grid", str(grid)]) == EXIT_OK
    assert _told(capsys, "validate", str(grid)) == (EXIT_BAD_INPUT, [
        f"{grid}: is a sweep grid, not an input workbook; give it to optimizer sweep after "
        "the input."])


def test_a_sweep_comparison_given_as_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sweep.xlsx"
    book = openpyxl.Workbook()
    assert book.active is not None
    book.active.title = "comparison"
    book.active.append(["point", "changes", "status", "objective"])
    book.create_sheet("charts")
    book.save(path)
    assert _told(capsys, "validate", str(path)) == (EXIT_BAD_INPUT, [
        f"{path}: is a sweep's comparison workbook, not an input workbook."])


def test_an_input_with_a_summary_sheet_of_its_own_is_still_an_input(
    tables: Tables, write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The marks count only where the sheets every input has are absent."""
    tables["summary"] = [{"note": "the case of the 2026 review"}]
    assert _told(capsys, "validate", str(write(tables)))[0] == EXIT_OK
