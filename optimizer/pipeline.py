"""One run from model data to solution, each stage timed (MODEL.md §3–§7).

    ModelData -> derive -> build (Pyomo) -> compile (matrices) -> solve (HiGHS)

The stages are pure functions of the one before; :class:`Outcome` keeps each
stage's product so results, explanations and tests read from one place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo

from optimizer.data import ModelData
from optimizer.derive import Derived, derive
from optimizer.model import build_model
from optimizer.model.terms import Terms
from optimizer.solve import CompiledLP, Solution, SolverOptions, compile_model, solve
from optimizer.timing import timed

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Outcome:
    """Every stage's product for one run."""

    data: ModelData
    derived: Derived
    model: pyo.ConcreteModel
    terms: Terms
    lp: CompiledLP
    solution: Solution
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def optimal(self) -> bool:
        return self.solution.status == "optimal"

    def values(self, name: str) -> dict[Any, float]:
        """A variable's values by index (empty when it does not exist or no solution)."""
        return self.solution.value_map(self.lp.layout, name)

    def duals(self, name: str) -> dict[Any, float]:
        """A constraint's duals by index."""
        return self.solution.dual_map(self.lp.layout, name)


def prepare(
    data: ModelData, timings: dict[str, float]
) -> tuple[Derived, pyo.ConcreteModel, Terms, CompiledLP]:
    """Derive, build and compile: the LP of ``data``, ready to solve. The same data
    always gives the same LP, column for column and row for row."""
    with timed(timings, "derive"):
        derived = derive(data)
    with timed(timings, "build"):
        model, terms = build_model(derived)
    with timed(timings, "compile"):
        lp = compile_model(model, terms)
    return derived, model, terms, lp


def optimize(
    data: ModelData, options: SolverOptions, timings: dict[str, float] | None = None
) -> Outcome:
    """Derive, build, compile and solve; the solution may be of any status."""
    timings = {} if timings is None else timings
    derived, model, terms, lp = prepare(data, timings)
    with timed(timings, "solve"):
        solution = solve(lp, options)
    log.info("%d variables, %d constraints: %s", lp.size[0], lp.size[1], solution.message)
    return Outcome(data, derived, model, terms, lp, solution, timings)
