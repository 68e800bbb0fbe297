"""``optimizer run --solver-option KEY=VALUE``: checked with HiGHS before anything is
read, carried to HiGHS, and the plan's marginal prices right whichever LP solver HiGHS
is told to use.

The refusals quote HiGHS's own reasons where it gives one (as HiGHS 1.16 words them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from python_calamine import CalamineWorkbook

from optimizer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from optimizer.pipeline import Outcome, optimize
from optimizer.solve.highs import SolverOptions
from optimizer.solve.options import checked
from optimizer.workbook.validation import load
from tests import duals
from tests.committed import DATA

EXAMPLE = DATA / "example.xlsx"
BALANCES = ("concentrate_balance", "refined_balance")
URL = "https://ergo-code.github.io/HiGHS/stable/options/definitions/"


@pytest.mark.parametrize(("option", "message"), [
    ("solvr=ipm", "HiGHS has no option solvr; the closest it knows are solver and presolve."),
    ("time_limt=60", "HiGHS has no option time_limt; the closest it knows are time_limit and "
                     "iis_time_limit."),
    ("Solver=ipm", "HiGHS has no option Solver; the closest it knows is solver."),
    ("xyzzy=1", f"HiGHS has no option xyzzy (its options are listed at {URL})."),
    ("simplex_strategy=9", 'HiGHS refuses "9" for simplex_strategy, which takes a whole number '
                           '(value 9 for option "simplex_strategy" is above upper bound of 4).'),
    ("simplex_strategy=two", 'HiGHS refuses "two" for simplex_strategy, which takes a whole '
                             "number."),
    ("primal_feasibility_tolerance=1e-12",
     'HiGHS refuses "1e-12" for primal_feasibility_tolerance, which takes a number (value '
     '1e-12 for option "primal_feasibility_tolerance" is below lower bound of 1e-10).'),
    ("mip_detect_symmetry=yes", 'HiGHS refuses "yes" for mip_detect_symmetry, which takes true '
                                'or false (value "yes" cannot be interpreted as a bool).'),
    ("run_crossover=maybe", 'HiGHS refuses "maybe" for run_crossover, which takes text (value '
                            '"maybe" for run_crossover option is not one of "off", "choose" or '
                            '"on").'),
    ("output_flag=true", "the optimizer sets output_flag itself (HiGHS's log always goes to "
                         "the run's log file)."),
    ("log_to_console=true", "the optimizer sets log_to_console itself (HiGHS's log goes to the "
                            "run's log file, not to the screen)."),
    ("log_file=highs.log", "the optimizer sets log_file itself (HiGHS's log is appended to the "
                           "run's own log, beside the results)."),
    ("threads=2", "threads has its own flag, --threads N; use that instead."),
    ("time_limit=60", "time_limit has its own flag, --time-limit S; use that instead."),
    ("ipm", "expected KEY=VALUE, a HiGHS option and its value, such as solver=ipm."),
])
def test_a_bad_solver_option_is_refused_in_one_sentence_before_anything_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, message: str
) -> None:
    missing = tmp_path / "missing.xlsx"  # never read: reading it would fail otherwise
    status = main(["run", str(missing), "-o", str(tmp_path / "r.xlsx"),
                   "--solver-option", "solver=ipm", "--solver-option", option])
    assert status == EXIT_BAD_INPUT
    assert capsys.readouterr().err.splitlines() == [f"--solver-option {option}: {message}"]
    assert list(tmp_path.iterdir()) == []


def test_options_are_checked_and_kept_in_order() -> None:
    assert checked([" solver = ipm", "run_crossover=off", "solver=simplex"]) == (
        ("solver", "ipm"), ("run_crossover", "off"), ("solver", "simplex"))
    assert checked([]) == ()


def _balance_rows(outcome: Outcome) -> np.ndarray:
    layout = outcome.lp.layout
    blocks = [layout.row_block(name) for name in BALANCES]
    return np.concatenate([np.arange(b.start, b.stop) for b in blocks if b is not None])


def test_ipm_gives_the_default_objective_and_marginal_prices() -> None:
    """The marginal prices are the balance duals ÷ (π_n δ_t), so equal duals give equal
    prices. Where a balance's optimal dual is not unique (the LP is degenerate: a route
    full and a balance tight at once), two correct solvers may return different ones,
    so those are checked to be optimal duals, not equal."""
    data, _ = load(EXAMPLE)
    default = optimize(data, SolverOptions(ranging=True))
    ipm = optimize(data, SolverOptions(ranging=True, extra=checked(["solver=ipm"])))
    assert default.optimal and ipm.optimal
    assert default.solution.objective is not None and ipm.solution.objective is not None
    assert ipm.solution.objective == pytest.approx(default.solution.objective, rel=1e-6)
    lp, x = default.lp, default.solution.values
    assert x is not None and default.solution.duals is not None
    assert ipm.solution.duals is not None
    rows = _balance_rows(default)
    low, high = duals.ranges(lp, x, rows)
    pinned = duals.unique(low, high)
    # 149 of example.xlsx's 286 balances have one optimal dual; 56 can take any large
    # value (balances whose every term is a column fixed at 0: a closed route, a banned
    # release), the other 81 a range
    assert (int(pinned.sum()), int(np.isinf(high).sum()), len(rows)) == (149, 56, 286)
    mine, theirs = default.solution.duals[rows], ipm.solution.duals[rows]
    assert duals.agree(mine, theirs)[pinned].all()
    assert not duals.agree(mine, theirs).all()  # the face is real: some differ elsewhere
    for y in (default.solution.duals, ipm.solution.duals):
        assert duals.residual(lp, x, y) < 1e-9  # complementary to the optimum, feasible
        assert duals.dual_objective(lp, y, lp.offset) == pytest.approx(
            default.solution.objective, rel=1e-9)  # strong duality
    assert ipm.solution.rhs_ranges is not None  # crossover leaves a basis to range


def _summary(path: Path) -> dict[str, object]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("summary").to_python()
    header = [str(c) for c in rows[0]]
    figure, value = header.index("figure"), header.index("value")
    return {str(row[figure]): row[value] for row in rows[1:]}


def _sensitivity_ranges(path: Path) -> list[object]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("sensitivity").to_python()
    header = [str(c) for c in rows[0]]
    low, high = header.index("rhs_low"), header.index("rhs_high")
    return [cell for row in rows[1:] for cell in (row[low], row[high])]


@pytest.mark.parametrize(("options", "says"), [
    (["solver=ipm", "run_crossover=off"], "Ipx: IPM       optimal"),
    (["solver=pdlp"], "Solving with cuPDLP-C"),
], ids=["ipm-without-crossover", "pdlp"])
def test_a_solver_without_a_basis_still_writes_the_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], says: str
) -> None:
    """No basis, so HiGHS cannot range: the sensitivity ranges are blank, the log says
    why, and everything else is written; the optimum is the default's."""
    out = tmp_path / "results.xlsx"
    arguments = [a for option in options for a in ("--solver-option", option)]
    assert main(["run", str(EXAMPLE), "-o", str(out), "--quiet", *arguments]) == EXIT_OK
    data, _ = load(EXAMPLE)
    default = optimize(data, SolverOptions())
    assert default.solution.objective is not None
    summary = _summary(out)
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(default.solution.objective, rel=1e-6)
    ranges = _sensitivity_ranges(out)
    assert ranges and all(cell in ("", None) for cell in ranges)
    log = out.with_suffix(".log").read_text(encoding="utf-8")
    assert f"HiGHS options: {', '.join(options)}" in log
    assert "HiGHS could not range the solution; the sensitivity ranges stay blank" in log
    assert says in log.partition("--- HiGHS log ---")[2]
