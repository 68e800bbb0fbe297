"""One run from model data to solution, each stage timed (MODEL.md §3–§7).

    ModelData -> derive -> build (declarations) -> compile (matrices) -> solve (HiGHS)

The stages are pure functions of the one before; :class:`Outcome` keeps what the
results, explanations and tests read: the data, the derived data, the matrices with
their layout and cost index, and the solution.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from optimizer.data import ModelData
from optimizer.memory import check as check_memory
from optimizer.memory import check_results
from optimizer.model import Extra, build
from optimizer.model.derive import Derived, derive
from optimizer.solve.highs import CompiledLP, Solution, SolverOptions, compile_program, solve
from optimizer.timing import timed

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Outcome:
    """Every stage's product for one run."""

    data: ModelData
    derived: Derived
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


def prepare(data: ModelData, timings: dict[str, float] | None = None, *,
            extra: Iterable[Extra] = (), results_only: bool = False,
            ) -> tuple[Derived, CompiledLP]:
    """Derive, build and compile: the matrices HiGHS will solve (refused with
    :class:`~optimizer.memory.NotEnoughMemoryError` when they would not fit). The same data always
    gives the same LP, column for column and row for row. ``extra`` are the caller's
    own constraints (:func:`optimizer.model.build`). ``results_only``: the matrices
    only place a solution found otherwise for the results, never solved (rank 0 of
    progressive hedging, ``optimizer report``), and the memory guard estimates that
    work (:func:`~optimizer.memory.check_results`) rather than a whole run's."""
    timings = {} if timings is None else timings
    with timed(timings, "derive"):
        derived = derive(data)
    # refused here rather than killed later
    expected = check_results(derived) if results_only else check_memory(derived)
    log.info("expected peak memory %.0f MB%s (%s node entities)", expected.bytes / 2**20,
             " to write the results without a solve" if results_only else "",
             f"{expected.node_entities:,}")
    with timed(timings, "build"):
        program = build(derived, extra)
    with timed(timings, "compile"):
        lp = compile_program(program)
    return derived, lp


def optimize(
    data: ModelData, options: SolverOptions, timings: dict[str, float] | None = None, *,
    extra: Iterable[Extra] = (), compiled: Callable[[CompiledLP], None] | None = None,
) -> Outcome:
    """Derive, build, compile and solve; the solution may be of any status. ``extra``
    are the caller's own constraints (:func:`optimizer.model.build`); ``compiled`` is
    told of the matrices before they are solved."""
    timings = {} if timings is None else timings
    derived, lp = prepare(data, timings, extra=extra)
    if compiled is not None:
        compiled(lp)
    with timed(timings, "solve"):
        solution = solve(lp, options)
    log.info("%d variables, %d constraints: %s", lp.size[0], lp.size[1], solution.message)
    return Outcome(data, derived, lp, solution, timings)
