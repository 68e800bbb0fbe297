"""The matrices assembled from the declarations are the LP Pyomo compiles.

The run declares the model's blocks from index arrays and assembles the matrices
itself (``optimizer.model.build`` and ``optimizer.solve.highs.compile_program``). Here its
:class:`~optimizer.solve.highs.CompiledLP` is compared, exactly and in the same order, with
the Pyomo model built from the same declarations
(:func:`optimizer.model.concrete.concrete_model`) compiled by Pyomo's
``LinearStandardFormCompiler``: the same blocks, keys, row senses, costs, offset,
bounds and matrix (sparsity and values), on the committed workbooks, the results
tests' cases, hand cases of the optimum tests and random cases.

Until the bulk build replaced it, the per-index Pyomo model (one rule per constraint
and index) was the reference here, and the two were equal, bit for bit, on all these
cases and 200 more random ones. What the formulation means is tested elsewhere: by
optima worked out by hand (``test_optima``), the structure (``test_structure``),
invariants recomputed from the solution (``test_results``) and an independent
scenario-wise model (``test_nonanticipativity``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from optimizer.data import ModelData
from optimizer.model import build
from optimizer.model.concrete import concrete_model
from optimizer.model.derive import derive
from optimizer.solve.highs import CompiledLP, compile_model, compile_program
from optimizer.workbook.validation import load
from tests.cases import write_tables
from tests.test_nonanticipativity import random_case
from tests.test_optima import _ban_case, _border_case, _expansion_case
from tests.test_results import CASES
from tests.test_solve import _two_sources
from tests.workbooks import case, demand, facility, route, scenarios

ROOT = Path(__file__).resolve().parent.parent


def _same(data: ModelData) -> None:
    """The assembled LP equals the Pyomo model's, compiled by Pyomo (a Pyomo model has
    no cost index: the program's own is carried over)."""
    program = build(derive(data))
    expected = replace(compile_model(concrete_model(program)), costs=program.costs)
    assert_same_lp(compile_program(program), expected)


def assert_same_lp(lp: CompiledLP, expected: CompiledLP) -> None:
    """Equal in every part, in the same order."""
    blocks = [(b.name, b.start, b.keys) for b in lp.layout.columns]
    assert blocks == [(b.name, b.start, b.keys) for b in expected.layout.columns]
    blocks = [(b.name, b.start, b.keys) for b in lp.layout.rows]
    assert blocks == [(b.name, b.start, b.keys) for b in expected.layout.rows]
    assert np.array_equal(lp.layout.row_sense, expected.layout.row_sense)
    for part in ("cost", "row_lower", "row_upper", "col_lower", "col_upper"):
        assert np.array_equal(getattr(lp, part), getattr(expected, part)), part
    assert lp.offset == expected.offset
    matrix, other = lp.matrix.tocsc(), expected.matrix.tocsc()
    assert matrix.has_sorted_indices and other.has_sorted_indices
    assert matrix.shape == other.shape
    assert np.array_equal(matrix.indptr, other.indptr)
    assert np.array_equal(matrix.indices, other.indices)
    assert np.array_equal(matrix.data, other.data)


@pytest.mark.parametrize("name", ["example.xlsx", "base_case.xlsx"])
def test_committed_workbooks(name: str) -> None:
    data, _ = load(ROOT / "data" / name)
    _same(data)


@pytest.mark.parametrize("name", list(CASES))
def test_results_cases(tmp_path: Path, name: str) -> None:
    data, _ = load(write_tables(tmp_path / "case.xlsx", CASES[name]()))
    _same(data)


HAND_CASES: dict[str, Callable[[Path], ModelData]] = {
    "two sources": _two_sources,
    "border, floor above market": lambda folder: _border_case(folder, prices=[
        {"mineral": "m", "stage": "refined", "market_price_per_t": 80,
         "floor_price_per_t": 120}]),
    "stockpile and ban": lambda folder: _ban_case(
        folder, {"release_needs_disruption": "yes", "initial_t": 4, "max_release_t": 6},
        reveal=True, settings={"stockpile_budget": 500},
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 50}]),
    "expansion, budget": lambda folder: _expansion_case(folder, expansion_budget=2000),
    "cvar, zero probability, offtake": lambda folder: case(
        folder,
        settings={"risk_weight": 0.5, "cvar_alpha": 0.8, "discount_rate": 0.03},
        periods={"p1": 1.0, "p2": 2.0},
        facilities=[facility("f", "M", 10, 5), facility("g", "X", 50, 1, expandable_t=4,
                                                       capex_per_t=20)],
        regions={"M": True, "X": False},
        routes=[route("X", "M", 2, capacity_t=30)],
        demand=[demand("M", 12)],
        offtakes=[{"facility": "f", "contract_t": 4, "contract_price_per_t": 3},
                  {"facility": "g", "start_period": "p2", "contract_t": 2,
                   "contract_price_per_t": 1}],
        scenarios=scenarios(calm=0.6, cut=0.4, ghost=0.0),
        disruptions=[
            {"scenario": "cut", "kind": "route", "region": "X", "start_period": "p2",
             "factor": 0},
            {"scenario": "ghost", "kind": "capacity", "region": "X", "start_period": "p2",
             "factor": 0.5},
        ],
    ),
}


@pytest.mark.parametrize("name", list(HAND_CASES))
def test_hand_cases(tmp_path: Path, name: str) -> None:
    _same(HAND_CASES[name](tmp_path))


@pytest.mark.parametrize("seed", range(40))
def test_random_cases(tmp_path: Path, seed: int) -> None:
    """The random cases of the tree test; every other one with CVaR in the objective."""
    sheets = random_case(seed)
    if seed % 2:
        sheets["settings"] = {**sheets["settings"], "risk_weight": 0.3, "cvar_alpha": 0.9}
    _same(case(tmp_path, **sheets))
