"""Warm-started solves of many variants of one LP: a sweep's points.

The base point's LP is passed to HiGHS once and solved; every later point of the same
structure (the same columns and rows, the same non-zero pattern, in the same order) is
solved by the same HiGHS instance, after changing only what differs from the base
through HiGHS's modification calls (``changeColsCost``, ``changeColsBounds``,
``changeRowsBounds``, ``changeCoeff``, ``changeObjectiveOffset``), starting from the
base point's optimal basis, and the instance is changed back to the base point after
the solve. So each point starts from the same instance and basis whatever was solved
before it, in whatever process: where a point has several optima, every process finds
the same one. A point whose change alters the structure (a column or row more or less)
is solved from scratch on a fresh instance; after a point without an optimum the
instance is set up again from the base point. Either way the answer is an optimum of
the point's own LP; only where it starts differs.

HiGHS fixes its thread pool at the first solve of a process, so one
:class:`WarmSolver` per process, with the process's one thread count.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.solve.highs import (
    CompiledLP,
    Layout,
    Solution,
    SolverOptions,
    instance,
    run_instance,
)


@dataclass(frozen=True, slots=True)
class Changed:
    """What differs between the loaded LP and the next point's, position by position."""

    costs: np.ndarray  # columns whose cost differs
    columns: np.ndarray  # columns whose bounds differ
    rows: np.ndarray  # rows whose bounds differ
    coefficients: np.ndarray  # positions in the matrix's data whose value differs
    offset: bool

    @property
    def count(self) -> int:
        return (len(self.costs) + len(self.columns) + len(self.rows)
                + len(self.coefficients) + int(self.offset))


def _keys(layout: Layout) -> tuple[object, ...]:
    return (tuple((b.name, b.start, b.keys) for b in layout.columns),
            tuple((b.name, b.start, b.keys) for b in layout.rows))


def _differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Positions where two float arrays differ (infinities equal to themselves)."""
    return np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))


def changes(loaded: CompiledLP, lp: CompiledLP) -> Changed:
    """What must change in ``loaded`` to make it ``lp`` (of the same structure)."""
    return Changed(
        costs=_differ(loaded.cost, lp.cost),
        columns=np.union1d(_differ(loaded.col_lower, lp.col_lower),
                           _differ(loaded.col_upper, lp.col_upper)),
        rows=np.union1d(_differ(loaded.row_lower, lp.row_lower),
                        _differ(loaded.row_upper, lp.row_upper)),
        coefficients=_differ(loaded.matrix.data, lp.matrix.data),
        offset=loaded.offset != lp.offset,
    )


def modify(highs: highspy.Highs, lp: CompiledLP, changed: Changed) -> None:
    """Apply ``changed`` to the instance through HiGHS's modification calls, so that it
    holds ``lp``."""
    if len(changed.costs):
        at = changed.costs.astype(np.int32)
        highs.changeColsCost(len(at), at, lp.cost[at])
    if len(changed.columns):
        at = changed.columns.astype(np.int32)
        highs.changeColsBounds(len(at), at, lp.col_lower[at], lp.col_upper[at])
    if len(changed.rows):
        at = changed.rows.astype(np.int32)
        highs.changeRowsBounds(  # type: ignore[attr-defined]  # not in highspy's stubs
            len(at), at, lp.row_lower[at], lp.row_upper[at])
    if len(changed.coefficients):
        matrix = lp.matrix
        column_of = np.repeat(np.arange(matrix.shape[1]), np.diff(matrix.indptr))
        for k in changed.coefficients.tolist():
            highs.changeCoeff(int(matrix.indices[k]), int(column_of[k]), float(matrix.data[k]))
    if changed.offset:
        highs.changeObjectiveOffset(float(lp.offset))


class WarmSolver:
    """Solves the points of one sweep in one process, warm-started from the base point.

    ``base`` is the base point's LP; it is solved at the first :meth:`solve` and its
    optimal basis is where every later point of the same structure starts.
    """

    def __init__(self, base: CompiledLP, options: SolverOptions) -> None:
        self.base = base
        self._base_keys = _keys(base.layout)
        self.options = options
        self._highs: highspy.Highs | None = None
        self._basis: highspy.HighsBasis | None = None
        self.warm = 0  # points solved by modification, warm-started
        self.cold = 0  # points rebuilt and solved from scratch

    def prime(self) -> None:
        """Pass the base point's LP to HiGHS and solve it (done at the first
        :meth:`solve` if not before)."""
        if self._highs is None:
            self._start()

    def _start(self) -> None:
        self._highs = instance(self.base, self.options)
        solution = run_instance(self._highs)
        if solution.status == "optimal":
            self._basis = self._highs.getBasis()

    def solve(self, lp: CompiledLP) -> Solution:
        """An optimum (or the status) of ``lp``: warm when it has the base's structure
        and the base has an optimal basis, else from scratch."""
        if self._highs is None:
            self._start()
        assert self._highs is not None
        if self._basis is None or not self._same_structure(lp):
            self.cold += 1
            return run_instance(instance(lp, self.options))
        changed = changes(self.base, lp)
        modify(self._highs, lp, changed)
        self._highs.clearSolver()  # no factorisation or edge weights of an earlier point
        self._highs.setBasis(self._basis)
        self.warm += 1
        solution = run_instance(self._highs)
        if solution.status == "optimal":
            modify(self._highs, self.base, changed)  # back to the base point
        else:  # the infeasible subset's search leaves the instance changed: start again
            self._highs = None
        return solution

    def _same_structure(self, lp: CompiledLP) -> bool:
        """Whether ``lp`` has the base's columns, rows and non-zero pattern, in order."""
        base = self.base
        return (base.matrix.shape == lp.matrix.shape
                and np.array_equal(base.matrix.indptr, lp.matrix.indptr)
                and np.array_equal(base.matrix.indices, lp.matrix.indices)
                and self._base_keys == _keys(lp.layout))
