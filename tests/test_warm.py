"""Warm starts: a point solved by modifying the base point's LP in HiGHS, from its
basis, has the optimum of the same point solved from scratch."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from optimizer.data import ModelData
from optimizer.pipeline import prepare
from optimizer.solve.highs import CompiledLP, SolverOptions, solve
from optimizer.solve.warm import WarmSolver, changes
from tests.workbooks import case, demand, facility, route, yield_of


def _budget(folder: Path) -> ModelData:
    """As ``tests/test_sweep.py``'s budget case: the optimum is 10 050 − 995 ×
    min(10, B ÷ 50) for a stockpile budget B, with one optimal plan for each B."""
    return case(
        folder, settings={"stockpile_budget": 100}, minerals={"m": 1000},
        periods={"p1": 1, "p2": 1},
        facilities=[facility("f", "M", 10, 5)], demand=[demand("M", 20, period="p2")],
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 50}],
        stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m", "capacity_t": 100}],
    )


def _with_budget(data: ModelData, budget: float | None) -> ModelData:
    return replace(data, settings=replace(data.settings, stockpile_budget=budget))


def _lp(data: ModelData) -> CompiledLP:
    return prepare(data)[1]


def _same_as_from_scratch(warm: WarmSolver, lp: CompiledLP) -> float:
    """Solve ``lp`` warm and from scratch; insist on the same objective (to 1e-9
    relative) and the same primal; the objective."""
    hot = warm.solve(lp)
    cold = solve(lp, SolverOptions())
    assert hot.status == cold.status == "optimal"
    assert hot.objective is not None and cold.objective is not None
    assert hot.objective == pytest.approx(cold.objective, rel=1e-9)
    assert hot.values is not None and cold.values is not None
    np.testing.assert_allclose(hot.values, cold.values, rtol=1e-9, atol=1e-9)
    return hot.objective


def test_budget_points_warm_equal_from_scratch(tmp_path: Path) -> None:
    data = _budget(tmp_path)
    warm = WarmSolver(_lp(data), SolverOptions())
    for budget in (250, 800, 0, 500, 100):
        objective = _same_as_from_scratch(warm, _lp(_with_budget(data, budget)))
        assert objective == pytest.approx(10050 - 995 * min(10, budget / 50), rel=1e-12)
    assert (warm.warm, warm.cold) == (5, 0)  # a budget is a row bound: nothing rebuilt


def test_only_what_differs_is_changed(tmp_path: Path) -> None:
    data = _budget(tmp_path)
    changed = changes(_lp(data), _lp(_with_budget(data, 250)))
    assert (len(changed.costs), len(changed.columns), len(changed.rows),
            len(changed.coefficients), changed.offset) == (0, 0, 1, 0, False)
    assert changes(_lp(data), _lp(data)).count == 0


def test_a_new_structure_is_rebuilt(tmp_path: Path) -> None:
    """Without a budget there is no budget row: a point of another structure is solved
    from scratch, and still right (10 t bought, 10 050 − 9 950)."""
    data = _budget(tmp_path)
    warm = WarmSolver(_lp(data), SolverOptions())
    assert _same_as_from_scratch(warm, _lp(_with_budget(data, None))) == pytest.approx(100)
    assert (warm.warm, warm.cold) == (0, 1)


def test_coefficients_costs_and_bounds_warm(tmp_path: Path) -> None:
    """A refinery's yield is a matrix coefficient (§6.3), a unit cost an objective
    coefficient, a capacity a bound: each is changed in place, and the optimum is the
    one from scratch. M needs 50 t; its own refinery (yield y, 8 a tonne) refines N's
    mined concentrate (40 t at 2), and N's recycler sells refined product at 10."""
    data = case(
        tmp_path, regions={"M": True, "N": False}, minerals={"m": 1000},
        facilities=[facility("ref", "M", 30, 8, stage="refine", **yield_of(0.8)),
                    facility("mine", "N", 40, 2, stage="mine"),
                    facility("rec", "N", 100, 10)],
        routes=[route("N", "M", 1, stage="concentrate"), route("N", "M", 1)],
        demand=[demand("M", 50)],
    )
    warm = WarmSolver(_lp(data), SolverOptions())
    ref, mine, rec = data.facilities
    variants = [
        replace(data, facilities=(replace(ref, yield_=0.5), mine, rec)),
        replace(data, facilities=(ref, replace(mine, unit_cost_per_t=30), rec)),
        replace(data, facilities=(replace(ref, capacity_t=10), mine, rec)),
        data,
    ]
    for variant in variants:
        _same_as_from_scratch(warm, _lp(variant))
    assert changes(_lp(data), _lp(variants[0])).coefficients.size == 1
    assert changes(_lp(data), _lp(variants[1])).costs.size == 1
    assert (warm.warm, warm.cold) == (4, 0)


def test_the_order_of_the_points_does_not_matter() -> None:
    """Each point starts from the base point's instance and basis, whatever was solved
    before: solved in either order, every point has the very same plan. The default
    case's stress points have several optima each (which member is short is often
    free), so an instance carrying an earlier point's state would find another one."""
    from optimizer.pipeline import optimize
    from optimizer.sweep.stress import (
        fixed_expansions,
        sources,
        stress_points,
        validated_point,
        window,
    )
    from optimizer.workbook.problems import Problems
    from optimizer.workbook.reading import read_workbook
    from optimizer.workbook.validation import validate

    raw = read_workbook(Path(__file__).parent.parent / "data" / "base_case.xlsx", Problems())
    data = validate(raw, Problems())
    assert data is not None
    first, last = window(data, None, None)
    points = stress_points(sources(data, "region", first, last)[:6],
                           fixed_expansions(optimize(data, SolverOptions())))
    base, *lps = [_lp(validated_point(raw, p)) for p in points]

    def plans(order: list[int]) -> dict[int, np.ndarray]:
        warm = WarmSolver(base, SolverOptions())
        found = {}
        for i in order:
            solution = warm.solve(lps[i])
            assert solution.status == "optimal" and solution.values is not None
            found[i] = solution.values
        return found

    forward, backward = plans(list(range(len(lps)))), plans(list(reversed(range(len(lps)))))
    for i in range(len(lps)):
        np.testing.assert_array_equal(forward[i], backward[i])
