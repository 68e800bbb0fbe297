"""Numerics (issue 15, item 9): the LP's ranges before the solve, each end named by its
row or column and the input cell behind it; HiGHS's largest primal and dual
infeasibilities after it, on the ``summary`` sheet."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from python_calamine import CalamineWorkbook

from optimizer.cli import main
from optimizer.pipeline import prepare
from optimizer.solve.highs import Block, CompiledLP, Layout, SolverOptions, solve
from optimizer.solve.numerics import ranges
from optimizer.workbook.problems import Problems
from optimizer.workbook.reading import read_workbook
from optimizer.workbook.validation import load
from tests.cases import valid_tables, write_tables


def test_the_ends_of_each_range_are_named_with_the_input_cell_behind_them(
    tmp_path: Path,
) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    data, _ = load(source)
    _, lp = prepare(data)
    found = {r.kind: r for r in ranges(lp, read_workbook(source, Problems()))}
    assert sorted(found) == ["bound", "cost", "matrix", "rhs"]
    # the stockpile budget (5e8, settings row 4) holds purchases at the market price
    # of gallium (500,000 a tonne, prices row 3): the widest entries of the LP
    largest = found["matrix"].largest
    assert (largest.value, largest.cell) == (
        500_000.0, "prices, row 3, column market_price_per_t")
    assert largest.where == "stockpile_budget[calm] × purchase[vault-Ga,0]"
    assert (found["rhs"].largest.value, found["rhs"].largest.cell) == (
        5e8, "settings, row 4, column value")
    # the largest bound is the capacity of the Australian mine, 90,000 t (row 2)
    assert (found["bound"].largest.value, found["bound"].largest.cell) == (
        90_000.0, "facilities, row 2, column capacity_t")
    assert found["bound"].largest.where == "output[AU-Li-mine,0]"
    # the smallest bound: vault-Ga's minimum level of 1 t (stockpiles row 3)
    assert (found["bound"].smallest.value, found["bound"].smallest.cell) == (
        1.0, "stockpiles, row 3, column min_level_t")
    assert found["rhs"].line().startswith("rhs range [2 (stock_balance[vault-Ga,0]; input "
                                          "stockpiles, row 3, column initial_t), 5e+08 (")


def test_a_value_no_input_cell_holds_names_only_its_row_and_column() -> None:
    lp = _hand_lp()
    found = {r.kind: r for r in ranges(lp)}
    assert found["matrix"].smallest.where == "cover[0] × x[a]"
    assert found["matrix"].smallest.cell == ""
    assert (found["cost"].smallest.value, found["cost"].largest.value) == (1.0, 3.0)
    assert "bound" not in found  # 0 and +∞ only: nothing to range


def _hand_lp() -> CompiledLP:
    """min x + 3 y subject to x + 2 y ≥ 2 (row cover[0]), x, y ≥ 0."""
    matrix = sp.csc_array(np.array([[1.0, 2.0]]))
    layout = Layout(columns=(Block("x", 0, ("a",)), Block("y", 1, ("b",))),
                    rows=(Block("cover", 0, (0,)),), row_sense=np.array([-1], dtype=np.int8))
    return CompiledLP(np.array([1.0, 3.0]), 0.0, matrix, np.array([2.0]), np.array([np.inf]),
                      np.zeros(2), np.full(2, np.inf), layout)


def test_highs_s_largest_infeasibilities_come_with_the_solution() -> None:
    # x = 2, y = 0 is optimal (x covers at 1 a unit, y at 1.5); a vertex HiGHS hits
    # exactly: no violation, primal or dual
    solution = solve(_hand_lp(), SolverOptions())
    assert solution.status == "optimal"
    assert solution.values is not None and list(solution.values) == [2.0, 0.0]
    assert (solution.max_primal_infeasibility, solution.max_dual_infeasibility) == (0.0, 0.0)


def test_the_summary_sheet_reports_the_infeasibilities(tmp_path: Path) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    assert main(["run", str(source), "-o", str(tmp_path / "r.xlsx"), "-q"]) == 0
    rows = CalamineWorkbook.from_path(str(tmp_path / "r.xlsx")).get_sheet_by_name(
        "summary").to_python()
    figures = {row[0]: row[1] for row in rows[1:]}
    for name in ("max_primal_infeasibility", "max_dual_infeasibility"):
        value = figures[name]
        assert isinstance(value, float) and math.isfinite(value)
        assert 0.0 <= value <= 1e-7  # within HiGHS's feasibility tolerances
    log = (tmp_path / "r.log").read_text(encoding="utf-8")
    assert "matrix range [" in log and "rhs range [" in log


def test_the_ranges_go_to_the_log_file_not_the_screen(tmp_path: Path) -> None:
    """The numeric ranges and where the results went are the log file's: the screen has
    the stages and the one line saying where the results and their log are."""
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", "run", str(source), "-o", str(tmp_path / "r.xlsx")],
        capture_output=True, text=True, check=True)
    screen = run.stdout + run.stderr
    assert "range [" not in screen
    assert "results written to" not in screen
    assert screen.count("results written") == 1
    assert f"{tmp_path / 'r.xlsx'}: results written (log: {tmp_path / 'r.log'})." in screen
    log = (tmp_path / "r.log").read_text(encoding="utf-8")
    assert "matrix range [" in log and f"results written to {tmp_path / 'r.xlsx'}" in log
