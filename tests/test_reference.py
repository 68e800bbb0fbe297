"""The fast build gives the LP of the independent reference assembly
(``benchmarks/reference.py``), entry by entry, and the same marginal prices.

Columns and rows are matched by their keys, ``(component, key)`` as
:class:`optimizer.solve.highs.Layout` names them and as the reference names its own; the
matrices, bounds, costs and objective constant must then be the same, whatever order
each assembly put them in. Duals: the balance duals (the marginal prices, §8) of the
two LPs, each solved by HiGHS in its own row and column order, must agree wherever the
optimal dual is unique (``tests/duals.py`` finds the range of each over the optimal
dual face); where it is not, both must be optimal duals of the optimizer's LP
(complementary to its optimum, and of the optimal value: strong duality). On the base
case the dual ranges are computed for a fixed sample of its 14,384 balances (all of
them take minutes); on the small cases for every balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from benchmarks.generate import generate_preset
from benchmarks.reference import ReferenceLP, assemble
from optimizer.model.derive import Derived
from optimizer.pipeline import prepare
from optimizer.solve.highs import CompiledLP
from optimizer.workbook.validation import load
from tests import duals
from tests.committed import DATA
from tests.test_certified import random_certified_case

BALANCES = ("concentrate_balance", "refined_balance")
# Balances whose dual range is computed: all of them, but on the base case (ranging its
# 14,384 balances takes minutes) a fixed sample
SAMPLED = {"base-case": 150}
EXACT = 1e-12  # relative: the two assemblies compute the same numbers, in other orders


@dataclass(frozen=True, slots=True)
class Pair:
    """A case's LP twice, and where each optimizer column and row sits in the reference."""

    name: str
    derived: Derived
    lp: CompiledLP
    reference: ReferenceLP
    columns: np.ndarray  # the reference's position of each of the optimizer's columns
    rows: np.ndarray


CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "example": ("example.xlsx", {}),
    "base-case": ("base_case.xlsx", {}),
    "tiny": ("tiny", {}),
    "tiny-cvar": ("tiny", {"risk_weight": 0.4, "seed": 1}),
    "tiny-zone-exclusive": ("tiny", {"zone_exclusive": True, "seed": 2}),
    "tiny-one-scenario": ("tiny", {"scenarios": 1, "seed": 3}),
    "tiny-certified": ("certified", {"seed": 1}),  # §12 drawn at random on tiny
}


def _positions(mine: list[tuple[str, Any]], theirs: list[tuple[str, Any]]) -> np.ndarray:
    where = {key: i for i, key in enumerate(theirs)}
    assert len(where) == len(theirs), "the reference's keys are not unique"
    assert len(set(mine)) == len(mine), "the optimizer's keys are not unique"
    missing, extra = set(mine) - set(where), set(where) - set(mine)
    assert not missing and not extra, (sorted(map(str, missing))[:5],
                                       sorted(map(str, extra))[:5])
    return np.array([where[key] for key in mine], dtype=np.int64)


@pytest.fixture(scope="module", params=list(CASES))
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    name, knobs = CASES[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    if name == "certified":
        data = random_certified_case(folder, **knobs)
    else:
        path = DATA / name if name.endswith(".xlsx") else generate_preset(
            folder / "case.xlsx", name, **knobs)
        data, _ = load(path)
    derived, lp = prepare(data)
    reference = assemble(derived)
    layout = lp.layout
    columns = _positions([(b.name, k) for b in layout.columns for k in b.keys],
                         reference.keys.columns())
    rows = _positions([(b.name, k) for b in layout.rows for k in b.keys],
                      reference.keys.rows())
    return Pair(request.param, derived, lp, reference, columns, rows)


def _close(mine: np.ndarray, theirs: np.ndarray) -> bool:
    """Equal to :data:`EXACT`, infinities where the other has the same infinity."""
    same_infinity = np.isinf(mine) & (mine == theirs)
    finite = np.isfinite(mine) & np.isfinite(theirs)
    a, b = np.where(finite, mine, 0.0), np.where(finite, theirs, 0.0)
    near = np.abs(a - b) <= EXACT * np.maximum(1.0, np.abs(b))
    return bool(np.all(same_infinity | (finite & near)))


def test_the_same_matrix_bounds_and_costs(pair: Pair) -> None:
    lp, reference = pair.lp, pair.reference
    assert lp.size == (reference.columns, reference.rows)
    assert lp.matrix.nnz == reference.nonzeros
    # the reference's matrix in the optimizer's order of rows and columns
    theirs = reference.matrix.tocsr()[pair.rows][:, pair.columns].tocsc()
    theirs.sort_indices()
    mine = lp.matrix.tocsc()
    mine.sort_indices()
    assert np.array_equal(mine.indptr, theirs.indptr)
    assert np.array_equal(mine.indices, theirs.indices)  # the same nonzeros
    assert _close(mine.data, theirs.data)
    assert _close(lp.cost, reference.cost[pair.columns])
    assert lp.offset == pytest.approx(reference.offset, rel=EXACT, abs=1e-6)
    assert _close(lp.col_lower, reference.col_lower[pair.columns])
    assert _close(lp.col_upper, reference.col_upper[pair.columns])
    assert _close(lp.row_lower, reference.row_lower[pair.rows])
    assert _close(lp.row_upper, reference.row_upper[pair.rows])


def _balance_rows(lp: CompiledLP) -> np.ndarray:
    blocks = [lp.layout.row_block(name) for name in BALANCES]
    return np.concatenate([np.arange(b.start, b.stop) for b in blocks if b is not None])


def test_the_same_marginal_prices_where_they_are_unique(pair: Pair) -> None:
    lp, reference = pair.lp, pair.reference
    objective, x, y = duals.optimum(lp)
    their_objective, _, their_y = duals.optimum(reference)
    assert their_objective == pytest.approx(objective, rel=1e-9)
    theirs = their_y[pair.rows]  # the reference's duals, in the optimizer's row order
    for dual in (y, theirs):  # both optimal duals of the optimizer's LP
        assert duals.residual(lp, x, dual) < 1e-9
        assert duals.dual_objective(lp, dual, lp.offset) == pytest.approx(objective, rel=1e-9)
    rows = _balance_rows(lp)
    if pair.name in SAMPLED:
        rows = np.sort(np.random.default_rng(0).choice(rows, SAMPLED[pair.name], replace=False))
    low, high = duals.ranges(lp, x, rows)
    pinned = duals.unique(low, high)
    assert pinned.sum() >= 10, "too few unique duals for the check to mean anything"
    same = duals.agree(y[rows], theirs[rows])
    assert same[pinned].all(), [lp.layout.locate_row(int(r)) for r in rows[pinned & ~same]][:5]
