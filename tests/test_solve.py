"""Solving (MODEL.md §7–§9): the compiled layout, tiny coefficients, statuses other than
optimal on the command line, blank marginal prices where nothing can happen, and
repeatable solutions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyomo.environ as pyo
import pytest

from optimizer.cli import main
from optimizer.data import ModelData
from optimizer.model import build
from optimizer.model.concrete import concrete_model
from optimizer.pipeline import Outcome, optimize
from optimizer.solve.highs import CompiledLP, Solution, SolverOptions, compile_model
from optimizer.workbook.validation import load
from tests.cases import valid_tables, write_tables
from tests.solved import complete_tables
from tests.workbooks import case, demand, facility, route, scenarios, solved

# ---------------------------------------------------------------- the layout


def _two_sources(folder: Path) -> ModelData:
    """M (member) needs 12 t/yr of m; its recycler fM costs 5/t (expandable, at capex 1,000
    per t/yr); X's recycler fX costs 1/t and ships on X→M at 2/t, at most 6 t/yr. M's
    stockpile S starts with 2 t and holds at 1 per t and year, no target at the end. In
    cut, the route halves from p2.

    By hand (one-year periods, no discounting), with nodes 0 (trunk, p1), 1 (calm, p2),
    2 (cut, p2): fX at 3/t landed is cheaper than fM at 5/t, so the route is full: 6, 6
    and 3 t. S releases its 2 t at once (saving 5/t and the holding cost; later it would
    save 5/t too, after a holding cost of 1/t), so fM makes 12 − 6 − 2 = 4, then 6 and
    9. Nothing is built (100 per t over two years, never needed), nothing is short.
    Node costs: 6·1 + 6·2 + 4·5 = 38; 6·1 + 6·2 + 6·5 = 48; 3·1 + 3·2 + 9·5 = 54.
    Objective 38 + 0.5·48 + 0.5·54 = 89.
    """
    return case(
        folder,
        regions={"M": True, "X": False},
        periods={"p1": 1.0, "p2": 1.0},
        facilities=[facility("fM", "M", 10, 5, expandable_t=5, capex_per_t=1000),
                    facility("fX", "X", 100, 1)],
        routes=[route("X", "M", 2, capacity_t=6)],
        demand=[demand("M", 12)],
        stockpiles=[{"stockpile": "S", "region": "M", "mineral": "m", "capacity_t": 10,
                     "initial_t": 2, "terminal_min_t": 0, "holding_cost_per_t": 1}],
        scenarios=scenarios(calm=0.5, cut=0.5),
        disruptions=[{"scenario": "cut", "kind": "route", "region": "X", "destination": "M",
                      "start_period": "p2", "factor": 0.5}],
    )


def _pyomo_objects(model: pyo.ConcreteModel, lp: CompiledLP) -> tuple[list[Any], list[Any]]:
    """The Pyomo variable and constraint of every column and row, as the layout names them."""
    columns = [getattr(model, name)[key] for name, key in
               map(lp.layout.locate_column, range(lp.size[0]))]
    rows = [getattr(model, name)[key] for name, key in
            map(lp.layout.locate_row, range(lp.size[1]))]
    return columns, rows


def _pyomo_model(outcome: Outcome) -> pyo.ConcreteModel:
    """The Pyomo model built from the same declarations as the run's matrices."""
    return concrete_model(build(outcome.derived))


def test_layout_maps_every_column_and_row_to_its_pyomo_component(tmp_path: Path) -> None:
    """Each column and row names exactly one Pyomo object of the model built from the
    declarations (:func:`concrete_model`), every object once. Then, for
    any values put into the Pyomo variables by the layout, Pyomo's own objective and
    constraint bodies agree with the matrices: c·x + offset is the objective, and
    A·x − rhs is body − bound, row by row (distinct values per column, so a swap of
    two columns or two rows would show)."""
    outcome = solved(_two_sources(tmp_path))
    model, lp = _pyomo_model(outcome), outcome.lp
    columns, rows = _pyomo_objects(model, lp)

    variables = list(model.component_data_objects(pyo.Var, active=True, descend_into=True))
    constraints = list(model.component_data_objects(pyo.Constraint, active=True,
                                                    descend_into=True))
    assert len(columns) == len(variables) and {id(v) for v in columns} == {
        id(v) for v in variables}
    assert len(rows) == len(constraints) and {id(c) for c in rows} == {
        id(c) for c in constraints}
    assert [-np.inf if v.lb is None else v.lb for v in columns] == lp.col_lower.tolist()
    assert [np.inf if v.ub is None else v.ub for v in columns] == lp.col_upper.tolist()

    x = 1.0 + np.arange(lp.size[0]) * 0.37
    for variable, value in zip(columns, x, strict=True):
        variable.set_value(float(value), skip_validation=True)
    assert pyo.value(model.objective) == pytest.approx(float(lp.cost @ x) + lp.offset,
                                                       rel=1e-12)
    activity = lp.matrix @ x
    for i, row in enumerate(rows):
        sense = lp.layout.row_sense[i]
        rhs = lp.row_upper[i] if sense > 0 else lp.row_lower[i]
        bound = row.ub if sense > 0 else row.lb
        assert pyo.value(row.body) - bound == pytest.approx(activity[i] - rhs, abs=1e-9), (
            lp.layout.locate_row(i))


def test_solution_values_land_on_the_variables_worked_out_by_hand(tmp_path: Path) -> None:
    """The optimum of :func:`_two_sources`, read through the Pyomo variables the layout
    names: the hand-worked plan, with Pyomo's objective 89 and every constraint held."""
    outcome = solved(_two_sources(tmp_path))
    model, lp, solution = _pyomo_model(outcome), outcome.lp, outcome.solution
    assert solution.values is not None
    columns, rows = _pyomo_objects(model, lp)
    for variable, value in zip(columns, solution.values, strict=True):
        variable.set_value(float(value), skip_validation=True)

    def at(variable: Any) -> float:
        return round(float(pyo.value(variable)), 9) + 0.0  # −0 and solver noise as 0

    assert [at(model.output["fM", n]) for n in (0, 1, 2)] == [4.0, 6.0, 9.0]
    assert [at(model.output["fX", n]) for n in (0, 1, 2)] == [6.0, 6.0, 3.0]
    assert [at(model.ship["X", "M", "m", "refined", n]) for n in (0, 1, 2)] == [6.0, 6.0, 3.0]
    assert [at(model.release["S", n]) for n in (0, 1, 2)] == [2.0, 0.0, 0.0]
    assert [at(model.purchase["S", n]) for n in (0, 1, 2)] == [0.0, 0.0, 0.0]
    assert [at(model.level["S", n]) for n in (0, 1, 2)] == [0.0, 0.0, 0.0]
    assert at(model.build["fM"]) == 0.0
    assert sum(at(v) for v in model.shortfall.values()) == 0.0
    assert solution.objective == pytest.approx(89.0, rel=1e-9)
    assert pyo.value(model.objective) == pytest.approx(89.0, rel=1e-9)
    for row in rows:
        body = pyo.value(row.body)
        assert row.lb is None or body >= row.lb - 1e-9, row.name
        assert row.ub is None or body <= row.ub + 1e-9, row.name


# ---------------------------------------------------------------- tiny coefficients


def _tiny_model(coefficient: float) -> pyo.ConcreteModel:
    model = pyo.ConcreteModel()
    model.x = pyo.Var(domain=pyo.NonNegativeReals)
    model.y = pyo.Var(domain=pyo.NonNegativeReals)
    model.cover = pyo.Constraint(expr=model.x + coefficient * model.y >= 1)
    model.cap = pyo.Constraint(expr=model.x + model.y <= 5)
    model.objective = pyo.Objective(expr=model.x + model.y)
    return model


@pytest.mark.parametrize(
    ("coefficient", "warned"),
    [(1e-10, True), (1e-9, True), (-1e-10, True), (2e-9, False)],
    ids=["below", "at", "negative", "above"],
)
def test_a_coefficient_at_or_below_1e_9_is_warned_about(
    caplog: pytest.LogCaptureFixture, coefficient: float, warned: bool
) -> None:
    """HiGHS drops |a| ≤ 1e-9 (``small_matrix_value``); exactly one such entry here."""
    caplog.set_level(logging.WARNING, logger="optimizer.solve.highs")
    lp = compile_model(_tiny_model(coefficient))
    assert lp.matrix.toarray()[0].tolist() == [1.0, coefficient]
    messages = [r.getMessage() for r in caplog.records if r.name == "optimizer.solve.highs"]
    expected = ["1 matrix coefficient(s) at or below 1e-09 would be dropped by HiGHS; "
                "check the units of the input"]
    assert messages == (expected if warned else [])


# ---------------------------------------------------------------- no optimum on the command line


@pytest.mark.parametrize(
    ("status", "message", "words"),
    [
        ("time_limit", "Time limit reached",
         "The time limit ran out before an optimal plan was found; allow more time "
         "(--time-limit) and run again."),
        ("unbounded", "Unbounded",
         "The model is unbounded: some cost can fall without limit; check for negative "
         "costs."),
    ],
    ids=["time limit", "unbounded"],
)
def test_no_optimum_exits_3_in_plain_words_and_writes_no_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    status: str, message: str, words: str,
) -> None:
    """HiGHS is replaced by a stand-in that stops with ``status`` and no solution (the
    model's costs are never negative, so a real unbounded run cannot be built). The
    command line's time limit reaches the solver."""
    _two_sources(tmp_path)
    seen: list[SolverOptions] = []

    def stopped(lp: CompiledLP, options: SolverOptions) -> Solution:
        seen.append(options)
        return Solution(status, message, None, None, None, 0.5)

    monkeypatch.setattr("optimizer.pipeline.solve", stopped)
    output = tmp_path / "out" / "results.xlsx"
    output.parent.mkdir()

    code = main(["run", str(tmp_path / "case.xlsx"), "-o", str(output), "--time-limit", "7"])

    assert code == 3
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err
    assert [o.time_limit_s for o in seen] == [7.0]
    assert sorted(p.name for p in output.parent.iterdir()) == ["results.failed.log"]
    assert words in (output.parent / "results.failed.log").read_text(encoding="utf-8")


# ---------------------------------------------------------------- marginal prices


def test_marginal_price_is_blank_on_the_nodes_of_a_zero_probability_scenario(
    tmp_path: Path,
) -> None:
    """M's recycler makes m at 5/t with room to spare, so one more tonne of demand costs 5
    wherever it can happen: the marginal price is 5, 4 below the floor of 9, while the
    floor gap, on the market price 7, is 2.
    ghost (probability 0) shares the trunk in p1 (probability 1: a number) but its own p2
    node has probability 0, so its price there is blank, and so is the marginal cost below
    the floor."""
    outcome = solved(case(
        tmp_path,
        periods={"p1": 1.0, "p2": 1.0},
        facilities=[facility("f", "M", 100, 5)],
        demand=[demand("M", 10)],
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 7,
                 "floor_price_per_t": 9}],
        scenarios=scenarios(calm=1.0, ghost=0.0),
        disruptions=[{"scenario": "ghost", "kind": "demand", "start_period": "p2",
                      "factor": 2}],
    ))
    sheet = complete_tables(outcome, input_path="case.xlsx", sha="0" * 64,
                            seconds=0.0)["prices"]
    rows = sheet[["scenario", "period", "region", "mineral", "stage"]].to_numpy().tolist()
    assert rows == [
        ["calm", "p1", "M", "m", "refined"], ["calm", "p2", "M", "m", "refined"],
        ["ghost", "p1", "M", "m", "refined"], ["ghost", "p2", "M", "m", "refined"],
    ]
    marginal = sheet["marginal_price_per_t"].tolist()
    assert marginal[:3] == pytest.approx([5.0, 5.0, 5.0], rel=1e-9)
    assert np.isnan(marginal[3])
    below = sheet["marginal_below_floor_per_t"].tolist()
    assert below[:3] == pytest.approx([4.0, 4.0, 4.0], rel=1e-9)
    assert np.isnan(below[3])
    # the floor gap is on the market price (7), not the marginal price: 9 − 7 = 2, in
    # every row, ghost's too (its market price is known without a dual)
    assert sheet["floor_gap_per_t"].tolist() == pytest.approx([2.0] * 4, rel=1e-9)
    assert sheet["floor_gap_share"].tolist() == pytest.approx([2 / 9] * 4, rel=1e-9)
    assert sheet["market_price_per_t"].tolist() == [7.0, 7.0, 7.0, 7.0]


# ---------------------------------------------------------------- determinism


def test_the_same_input_solved_twice_gives_the_same_plan(tmp_path: Path) -> None:
    """The example case of ``tests.cases``, read and solved twice in one process: the
    matrices, the objective, every value and every dual are identical, bit for bit."""
    path = write_tables(tmp_path / "case.xlsx", valid_tables())
    first, second = (optimize(load(path)[0], SolverOptions()) for _ in range(2))
    assert first.optimal and second.optimal
    assert (first.lp.matrix != second.lp.matrix).nnz == 0
    assert np.array_equal(first.lp.cost, second.lp.cost)
    assert first.solution.objective == second.solution.objective
    assert first.solution.values is not None and second.solution.values is not None
    assert np.array_equal(first.solution.values, second.solution.values)
    assert first.solution.duals is not None and second.solution.duals is not None
    assert np.array_equal(first.solution.duals, second.solution.duals)


def test_a_variable_in_no_row_and_no_cost_keeps_its_column() -> None:
    """A free expansion (capex 0) whose capacity is disrupted to 0 in every period it
    could run appears nowhere; its column stays in the Layout, empty, and solves to 0."""
    from optimizer.solve.highs import solve

    model = pyo.ConcreteModel()
    model.x = pyo.Var(["a", "b"], domain=pyo.NonNegativeReals, bounds=(0, 5))
    model.unused = pyo.Var(domain=pyo.NonNegativeReals, bounds=(0, 7))
    model.y = pyo.Var(domain=pyo.NonNegativeReals)
    model.need = pyo.Constraint(expr=model.x["a"] + 2 * model.y >= 4)
    model.objective = pyo.Objective(expr=3 * model.x["a"] + model.x["b"] + 4 * model.y)

    lp = compile_model(model)

    assert [(b.name, b.start, len(b.keys)) for b in lp.layout.columns] == [
        ("x", 0, 2), ("unused", 2, 1), ("y", 3, 1),
    ]
    assert lp.matrix.shape == (1, 4)
    assert lp.matrix.toarray().tolist() == [[1.0, 0.0, 0.0, 2.0]]
    assert lp.cost.tolist() == [3.0, 1.0, 0.0, 4.0]
    solution = solve(lp, SolverOptions())
    # x_a costs 3 per unit of the need, y costs 4 / 2 = 2: y = 2, the rest 0
    assert solution.objective == pytest.approx(8.0)
    assert solution.values is not None
    assert solution.values.tolist() == pytest.approx([0.0, 0.0, 0.0, 2.0])
