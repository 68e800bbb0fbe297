"""Which duals of an LP are unique, and whether a dual vector is optimal.

For min c·x s.t. L ≤ A x ≤ U, l ≤ x ≤ u and a primal optimum x*, the optimal duals are
exactly the row duals y (HiGHS's signs: ≥ 0 on a row at its lower bound, ≤ 0 at its
upper, 0 where the row is slack, free on an equality) whose reduced costs
d = c − Aᵀy are ≥ 0 on columns at their lower bound, ≤ 0 at their upper, 0 between
(complementary slackness with x*, whichever primal optimum it is). That set is a
polyhedron, the optimal dual face; a row's dual is unique when the face's minimum and
maximum of it coincide. Degenerate LPs (a route full and a balance tight at once, say)
have faces of more than one point, so two correct solvers may return different duals.

These helpers take any object with the matrices of :class:`optimizer.solve.highs.CompiledLP`
(``cost``, ``matrix``, ``row_lower``, ``row_upper``, ``col_lower``, ``col_upper``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from optimizer.solve.highs import highs_lp

ACTIVE = 1e-7  # relative distance to a bound under which a row or column is at it
RELATIVE = 1e-6  # duals and objectives compare to this, relative (floor 1)


@dataclass(frozen=True, slots=True)
class Face:
    """The optimal dual face as bounds on y and on Aᵀy."""

    y_lower: np.ndarray
    y_upper: np.ndarray
    aty_lower: np.ndarray  # bounds on (Aᵀy)_j = c_j − d_j
    aty_upper: np.ndarray


def _at(value: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Where ``value`` sits at a finite ``bound``, to :data:`ACTIVE` relative."""
    finite = np.isfinite(bound)
    close = np.abs(value - np.where(finite, bound, 0.0)) <= ACTIVE * np.maximum(
        1.0, np.abs(np.where(finite, bound, 0.0)))
    return np.asarray(finite & close)


def face(lp: Any, x: np.ndarray) -> Face:
    """The optimal dual face of ``lp``, from a primal optimum ``x``."""
    activity = lp.matrix @ x
    at_low, at_high = _at(activity, lp.row_lower), _at(activity, lp.row_upper)
    y_lower = np.where(at_high, -np.inf, 0.0)
    y_upper = np.where(at_low, np.inf, 0.0)
    col_low, col_high = _at(x, lp.col_lower), _at(x, lp.col_upper)
    d_lower = np.where(col_high, -np.inf, 0.0)  # d ≤ 0 allowed only at the upper bound
    d_upper = np.where(col_low, np.inf, 0.0)
    return Face(y_lower, y_upper, lp.cost - d_upper, lp.cost - d_lower)


def residual(lp: Any, x: np.ndarray, y: np.ndarray) -> float:
    """How far ``y`` is from the optimal dual face, relative to the costs' scale: 0 for
    an optimal dual (up to the solver's tolerances)."""
    f = face(lp, x)
    aty = lp.matrix.T @ y
    scale = max(1.0, float(np.max(np.abs(lp.cost))), float(np.max(np.abs(y))))
    gaps = np.concatenate([
        np.maximum(f.y_lower - y, 0.0), np.maximum(y - f.y_upper, 0.0),
        np.maximum(f.aty_lower - aty, 0.0), np.maximum(aty - f.aty_upper, 0.0),
    ])
    return float(np.max(gaps, initial=0.0)) / scale


def dual_objective(lp: Any, y: np.ndarray, offset: float = 0.0) -> float:
    """The dual objective of row duals ``y``: Σ y_i × (the row bound y_i sits on) plus
    Σ d_j × (the column bound d_j sits on), d = c − Aᵀy (strong duality: equal to the
    primal optimum when y is an optimal dual)."""
    d = lp.cost - lp.matrix.T @ y
    rows = np.where(y > 0, lp.row_lower, np.where(y < 0, lp.row_upper, 0.0))
    columns = np.where(d > 0, lp.col_lower, np.where(d < 0, lp.col_upper, 0.0))
    # an infinite bound carries no dual at an optimum (the face check says so); noise
    # of the solver's tolerance there counts nothing
    rows = np.where(np.isfinite(rows), rows, 0.0)
    columns = np.where(np.isfinite(columns), columns, 0.0)
    return float(offset + y @ rows + d @ columns)


def ranges(lp: Any, x: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The least and greatest optimal dual of each of ``rows`` (±inf where the face is
    unbounded: a row whose columns are all fixed, say): two small LPs over the face
    per row, warm-started from one another."""
    f = face(lp, x)
    transposed = lp.matrix.tocsr()  # Aᵀ column-wise is A row-wise
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    model = highspy.HighsLp()
    height, width = lp.matrix.shape
    model.num_col_, model.num_row_ = height, width
    model.col_cost_ = np.zeros(height)
    model.col_lower_, model.col_upper_ = f.y_lower, f.y_upper
    model.row_lower_, model.row_upper_ = f.aty_lower, f.aty_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = transposed.indptr
    model.a_matrix_.index_ = transposed.indices
    model.a_matrix_.value_ = transposed.data
    highs.passModel(model)
    low, high = np.empty(len(rows)), np.empty(len(rows))
    for k, row in enumerate(np.asarray(rows).tolist()):
        for sign, out in ((1.0, low), (-1.0, high)):
            highs.changeColCost(row, sign)
            highs.run()
            status = highs.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                out[k] = sign * highs.getInfo().objective_function_value
            elif status == highspy.HighsModelStatus.kUnbounded:  # a row nothing can move
                out[k] = -sign * np.inf
            else:
                raise AssertionError(f"the dual face of row {row}: "
                                     f"{highs.modelStatusToString(status)}")
        highs.changeColCost(row, 0.0)
    return low, high


def unique(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Where a dual's range is one value, to :data:`RELATIVE`."""
    bounded = np.isfinite(low) & np.isfinite(high)
    spread = np.where(bounded, high - low, np.inf)
    return np.asarray(bounded & (spread <= RELATIVE * np.maximum(1.0, np.abs(
        np.where(bounded, high, 0.0)))))


def agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where two vectors agree to :data:`RELATIVE` (with a floor of 1)."""
    return np.asarray(np.abs(a - b) <= RELATIVE * np.maximum(1.0, np.maximum(np.abs(a),
                                                                               np.abs(b))))


def optimum(lp: Any) -> tuple[float, np.ndarray, np.ndarray]:
    """Solve ``lp`` with HiGHS's defaults (seed pinned): the objective (with ``lp.offset``),
    the primal values and the row duals."""
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 0)
    highs.passModel(highs_lp(lp))
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise AssertionError(highs.modelStatusToString(status))
    solution = highs.getSolution()
    return (float(highs.getInfo().objective_function_value), np.asarray(solution.col_value),
            np.asarray(solution.row_dual))
