"""The ``sensitivity`` sheet and the ranging behind it: duals and right-hand-side ranges
worked out by hand on tiny cases, checked against re-solves, and the sheet's shape on
the results cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optimizer.data import ModelData
from optimizer.pipeline import Outcome, optimize
from optimizer.results.sensitivity import SECTION, sensitivity
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load
from tests.cases import write_tables
from tests.solved import complete_tables
from tests.test_results import CASES
from tests.workbooks import case, demand, facility, route

RANGING = SolverOptions(ranging=True)


def solve_ranged(data: ModelData, options: SolverOptions = RANGING) -> Outcome:
    outcome = optimize(data, options)
    assert outcome.optimal, outcome.solution.message
    return outcome


def _rows(outcome: Outcome) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()}
            for r in sensitivity(outcome).to_dict("records")]


# ---------------------------------------------------------------- by hand


def _budgeted(folder: Path, budget: float) -> ModelData:
    """One member region M needs 10 t of m in one year; shortfall costs 1000/t. Its
    recycler fM has no capacity but may build up to 20 t/yr at capex 100 per t/yr over a
    one-year life (so 100 per t/yr in the objective), and makes m at 1/t. The expansion
    budget is ``budget``.

    By hand, with budget 500: build = 5 (budget ÷ capex), output 5, shortfall 5;
    objective 5 + 500 + 5000 = 5505. One more unit of budget buys 1/100 t/yr, which
    replaces 1/100 t of shortfall at 1000 by output at 1 + 100: dual −(1000 − 101) ÷ 100
    = −8.99, while the budget lies in [0, 1000] (at 1000, build 10 meets all demand).
    One more tonne on the capacity row (rhs 0: fM has no existing capacity) saves
    1000 − 1 = 999: dual −999, in [0, 5] (at 5 there is no shortfall left; below 0 is
    no capacity)."""
    return case(
        folder, name=f"budget-{budget:g}.xlsx",
        settings={"expansion_budget": budget},
        minerals={"m": 1000},
        facilities=[facility("fM", "M", 0, 1, expandable_t=20, capex_per_t=100,
                             lifetime_years=1)],
        demand=[demand("M", 10)],
    )


def test_budget_and_capacity_rows_worked_out_by_hand(tmp_path: Path) -> None:
    outcome = solve_ranged(_budgeted(tmp_path, 500))
    assert outcome.solution.objective == pytest.approx(5505)
    rows = _rows(outcome)
    assert [r["constraint"] for r in rows] == ["§6.10 expansion budget", "§6.1 capacity"]
    budget, capacity = rows
    assert budget["dual"] == pytest.approx(-8.99)
    assert (budget["rhs"], budget["rhs_low"], budget["rhs_high"]) == pytest.approx(
        (500, 0, 1000))
    assert budget["unit"] == "USD"
    assert capacity["dual"] == pytest.approx(-999)
    assert (capacity["rhs"], capacity["rhs_low"], capacity["rhs_high"]) == pytest.approx(
        (0, 0, 5))
    assert capacity["unit"] == "t"
    assert capacity["what"] == (
        "output of fM (recycle, m, M) ≤ its available capacity in period p1, all "
        "scenarios; rhs is the existing capacity, new capacity adds to it")


@pytest.mark.parametrize(("budget", "inside"), [(0, True), (800, True), (1000, True),
                                                 (1200, False)])
def test_the_dual_holds_exactly_over_the_range(tmp_path: Path, budget: float,
                                               inside: bool) -> None:
    """Re-solved with another budget, the objective moves by dual × the change inside
    [0, 1000], and no longer beyond it (at 1200 the extra 200 buys nothing)."""
    moved = solve_ranged(_budgeted(tmp_path, budget)).solution.objective
    assert moved is not None
    linear = 5505 - 8.99 * (budget - 500)
    assert (moved == pytest.approx(linear)) == inside
    if not inside:
        assert moved == pytest.approx(10 + 1000)  # build 10, no shortfall


def floored_case(folder: Path, exclusive: bool = False) -> ModelData:
    """Member M needs 15 t of m; its recycler fM makes 10 t/yr at 50/t. Non-member X's
    recycler fX makes up to 100 t/yr at 10/t; X itself needs 1 t. The route X → M costs
    5/t with a tariff of 3/t. m's market price is 30 and its floor 80, so the border
    adjustment is 3 + (80 − 30) = 53 and a tonne from X lands in M at 10 + 5 + 53 = 68.
    Shortfall costs 1000/t."""
    return case(
        folder, name=f"floor-{exclusive}.xlsx",
        settings={"zone_exclusive": "yes" if exclusive else "no"},
        regions={"M": True, "X": False},
        minerals={"m": 1000},
        facilities=[facility("fM", "M", 10, 50), facility("fX", "X", 100, 10)],
        routes=[route("X", "M", 5, tariff_per_t=3)],
        demand=[demand("M", 15), demand("X", 1)],
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 30,
                 "floor_price_per_t": 80}],
    )


def test_a_floor_balance_and_a_capacity_bound_worked_out_by_hand(tmp_path: Path) -> None:
    """fM runs full (50 < 68) and M imports 5 t: M's marginal price is 68, below the floor
    of 80, so its refined balance is floor-related. It holds 68 for demand in [10, 109]
    (below 10 nothing is imported and fM sets the price; above 10 + 99 fX, which also
    serves X's 1 t, is full). fM's
    capacity bound (10 t) is worth 50 − 68 = −18 per t, for capacity in [0, 15] (at 15
    nothing is imported)."""
    rows = _rows(solve_ranged(floored_case(tmp_path)))
    assert [r["constraint"] for r in rows] == ["§6.1 capacity", "§6.4 refined balance"]
    capacity, balance = rows
    assert capacity["dual"] == pytest.approx(-18)
    assert (capacity["rhs"], capacity["rhs_low"], capacity["rhs_high"]) == pytest.approx(
        (10, 0, 15))
    assert capacity["what"] == ("output of fM (recycle, m, M) ≤ its available capacity in "
                                "period p1, all scenarios")
    assert balance["dual"] == pytest.approx(68)
    assert (balance["rhs"], balance["rhs_low"], balance["rhs_high"]) == pytest.approx(
        (15, 10, 109))
    assert balance["what"] == ("refined m in M: supply ≥ demand in period p1, all "
                               "scenarios; marginal price 68.00 below the floor 80.00 USD/t")


def test_zone_exclusivity_worked_out_by_hand(tmp_path: Path) -> None:
    """With zone exclusivity the route is closed: M makes 10 t and 5 t go short at 1000,
    so M's price (1000) is above the floor and its balance drops out. Opening the route
    by a tonne would bring one from X at 10 (X's price, which fX sets) + 5 + 53 = 68
    instead of going short at 1000: reduced cost 5 + 53 − (1000 − 10) = −932, for a
    bound in [0, 5] (at 5 nothing goes short). fM's bound is worth 50 − 1000 = −950, for
    capacity in [0, 15]."""
    rows = _rows(solve_ranged(floored_case(tmp_path, exclusive=True)))
    assert [r["constraint"] for r in rows] == ["§6.1 capacity", "§6.9 zone exclusivity"]
    capacity, closed = rows
    assert capacity["dual"] == pytest.approx(-950)
    assert (capacity["rhs"], capacity["rhs_low"], capacity["rhs_high"]) == pytest.approx(
        (10, 0, 15))
    assert closed["dual"] == pytest.approx(-932)
    assert (closed["rhs"], closed["rhs_low"], closed["rhs_high"]) == pytest.approx((0, 0, 5))
    assert closed["what"] == ("no m refined from non-member X into member M where a floor "
                              "holds, in period p1, all scenarios")


def test_without_ranging_the_ranges_are_blank(tmp_path: Path) -> None:
    outcome = solve_ranged(_budgeted(tmp_path, 500), SolverOptions())
    assert outcome.solution.rhs_ranges is None and outcome.solution.bound_ranges is None
    frame = sensitivity(outcome)
    assert len(frame) == 2
    assert frame["rhs_low"].isna().all() and frame["rhs_high"].isna().all()
    assert frame["dual"].tolist() == pytest.approx([-8.99, -999])


def test_unlimited_ranges_are_blank_and_budgets_stop_at_zero(tmp_path: Path) -> None:
    """Excel has no infinity: an unlimited side is a blank cell; a budget's or a
    capacity's lower side never goes below 0, even when HiGHS says it could."""
    outcome = solve_ranged(_budgeted(tmp_path, 500))
    assert outcome.solution.rhs_ranges is not None
    outcome.solution.rhs_ranges[:] = (-np.inf, np.inf)
    frame = sensitivity(outcome)
    assert frame["rhs_low"].tolist() == [0.0, 0.0]
    assert frame["rhs_high"].isna().all()


def test_ranging_covers_every_row_and_column(tmp_path: Path) -> None:
    outcome = solve_ranged(floored_case(tmp_path))
    solution, (columns, rows) = outcome.solution, outcome.lp.size
    assert solution.rhs_ranges is not None and solution.rhs_ranges.shape == (rows, 2)
    assert solution.bound_ranges is not None and solution.bound_ranges.shape == (columns, 2)
    assert solution.reduced_costs is not None and solution.reduced_costs.shape == (columns,)


# ---------------------------------------------------------------- the results cases


@pytest.fixture(scope="module", params=list(CASES))
def ranged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    path = write_tables(tmp_path_factory.mktemp(request.param) / "input.xlsx",
                        CASES[request.param]())
    return solve_ranged(load(path)[0])


def test_sheet_rows_are_binding_limits_within_their_ranges(ranged: Outcome) -> None:
    """Every row names a declared constraint, has a dual of the sign its kind implies
    (≤ limits negative, balances positive), and an rhs inside its range; the sheet is
    the one results.tables returns."""
    frame = complete_tables(ranged, "input.xlsx", "sha", 0.0)["sensitivity"]
    pd.testing.assert_frame_equal(frame, sensitivity(ranged))
    assert set(frame["constraint"]) <= set(SECTION.values())
    for row in frame.to_dict("records"):
        balance = "balance" in str(row["constraint"])
        assert (row["dual"] > 0) if balance else (row["dual"] < 0), row
        assert row["rhs_low"] - 1e-6 <= row["rhs"] <= row["rhs_high"] + 1e-6, row
        assert row["unit"] == ("USD" if "budget" in str(row["constraint"]) else "t")


def test_binding_capacity_bounds_are_all_listed(ranged: Outcome) -> None:
    """Each facility running at an upper bound with a negative reduced cost is a
    §6.1 capacity row of the sheet; nothing else is."""
    solution, layout = ranged.solution, ranged.lp.layout
    block = layout.column_block("output")
    assert block is not None and solution.reduced_costs is not None
    reduced = solution.reduced_costs[block.start:block.stop]
    expected = int(np.count_nonzero(
        (reduced < -1e-7) & np.isfinite(ranged.lp.col_upper[block.start:block.stop])))
    rows = layout.row_block("capacity")
    duals = ranged.duals("capacity")
    expected += sum(1 for d in duals.values() if d < -1e-7) if rows is not None else 0
    frame = sensitivity(ranged)
    assert int((frame["constraint"] == "§6.1 capacity").sum()) == expected
