"""What the binding limits are worth (the ``sensitivity`` results sheet).

For every binding budget (§6.10), capacity (§6.1, as a row where new capacity can
come online, else as the bound on ``output``), route capacity (§6.7), zone exclusivity
(§6.9) and member balance where the marginal cost is below the floor (§6.3, §6.4
with marginal_below_floor_per_t > 0), and every binding row of an instrument whose
descriptor gives it a limit: the dual, the
right-hand side, and the range over which that dual holds, from HiGHS's ranging of
the optimal basis (:class:`optimizer.solve.highs.Solution` ``rhs_ranges`` and
``bound_ranges``). A limit binds when its dual (a bound's reduced cost) is not 0; the
columns are defined once, in :mod:`optimizer.results.contract`. This module decides
which limits bind; their sections and words are the components' own
(:class:`optimizer.model.component.Limit`).

Duals are in objective units: the change in the objective (expected discounted cost,
blended with CVaR when risk_weight > 0) per unit increase of the right-hand side.
Each range is for that right-hand side alone, everything else held fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from optimizer.data import Product
from optimizer.model import descriptors
from optimizer.model.component import Context, Descriptors, Limit
from optimizer.model.program import EQUAL, LESS
from optimizer.pipeline import Outcome
from optimizer.results.keys import positions
from optimizer.results.tree import Tree
from optimizer.solve.highs import Block, key_columns

DUAL_TOLERANCE = 1e-7  # HiGHS's dual feasibility tolerance: smaller duals are noise
GAP_TOLERANCE = 1e-9  # as the prices sheet shows a marginal_below_floor_per_t of 0

# The sheet's rows come grouped by kind in this order (an instrument's kinds follow, in
# the order the model lists them), then in the model's order.
ORDER = ("stockpile_budget", "expansion_budget", "capacity", "routes", "zone_exclusivity",
         "concentrate_balance", "refined_balance")
# The sections of the limits the model's components declare, by kind.
SECTION: dict[str, str] = {kind: limit.section for kind, limit in descriptors().limits.items()}
BALANCES: tuple[tuple[str, Product], ...] = (
    ("concentrate_balance", "concentrate"),
    ("refined_balance", "refined"),
)
COLUMNS = ("constraint", "what", "dual", "rhs", "rhs_low", "rhs_high", "unit")


@dataclass(frozen=True, slots=True)
class _Limit:
    """One binding row or bound, where the layout places it."""

    kind: str  # a Limit's kind
    row: bool  # a row of the matrix, else a column's upper bound
    position: int  # row or column index
    key: Any
    dual: float
    rhs: float
    low: float
    high: float


def sensitivity(outcome: Outcome) -> pd.DataFrame:
    """The ``sensitivity`` sheet: one row per binding limit of the kinds above."""
    currency = outcome.data.settings.currency
    described = descriptors()
    limits = described.limits
    rank = {kind: i for i, kind in enumerate(dict.fromkeys([*ORDER, *limits]))}
    context = Context.for_sheet(outcome.derived)
    found = sorted(_limits(outcome, described),
                   key=lambda x: (rank[x.kind], not x.row, x.position))
    rows = [
        (limits[x.kind].section, limits[x.kind].words(context, x), x.dual, x.rhs, x.low,
         x.high, currency if limits[x.kind].money else "t")
        for x in found
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("dual", "rhs", "rhs_low", "rhs_high"):
        values = frame[column].astype(float)
        # unlimited: a blank cell, as Excel has no ∞
        frame[column] = values.where(np.isfinite(values), np.nan)
    return frame


def _limits(outcome: Outcome, described: Descriptors) -> Iterator[_Limit]:
    """Rows whose descriptor names a limit, where they bind (balances only where a
    floor binds), then the binding bounds."""
    layout = outcome.lp.layout
    floor_balances = {kind for kind, _ in BALANCES}
    for rows in described.rows.values():
        if rows.limit is None or rows.limit.kind in floor_balances:
            continue
        block = layout.row_block(rows.name)
        if block is not None:
            yield from _rows(outcome, rows.limit, block,
                             partial(_binding, sense=layout.row_sense[block.start:block.stop]))
    yield from _bounds(outcome)
    yield from _floor_balances(outcome, described.limits)


def _binding(dual: np.ndarray, sense: np.ndarray) -> np.ndarray:
    """Rows whose dual is not 0: below 0 on a ≤ row (more room lowers the cost), above
    0 on a ≥ row, either way on an equation."""
    return np.where(sense == LESS, dual < -DUAL_TOLERANCE,
                    np.where(sense == EQUAL, np.abs(dual) > DUAL_TOLERANCE,
                             dual > DUAL_TOLERANCE))


def _rows(outcome: Outcome, limit: Limit, block: Block,
          chosen: Callable[[np.ndarray], np.ndarray]) -> Iterator[_Limit]:
    """The rows of ``block`` whose duals ``chosen`` picks (a test on all of them at
    once), with their dual, active right-hand side and range."""
    lp, solution = outcome.lp, outcome.solution
    assert solution.duals is not None
    duals = solution.duals[block.start:block.stop]
    for offset in np.flatnonzero(chosen(duals)).tolist():
        key = block.keys[offset]
        i = block.start + offset
        rhs = lp.row_upper[i] if lp.layout.row_sense[i] > 0 else lp.row_lower[i]
        low, high = _range(solution.rhs_ranges, i)
        if limit.nonnegative:
            low = _at_least(low, 0.0)  # a capacity or a budget is never negative
        yield _Limit(limit.kind, True, i, key, float(solution.duals[i]), float(rhs), low,
                     high)


def _range(ranges: np.ndarray | None, index: int) -> tuple[float, float]:
    """(low, high), possibly infinite; NaN when the run was not ranged."""
    if ranges is None:
        return (np.nan, np.nan)
    return (float(ranges[index, 0]), float(ranges[index, 1]))


def _at_least(low: float, floor: float) -> float:
    """``low`` raised to ``floor`` (NaN, not ranged, stays NaN)."""
    return low if np.isnan(low) else max(low, floor)


def _bounds(outcome: Outcome) -> Iterator[_Limit]:
    """Upper bounds on ``output`` (§6.1) and ``ship`` (§6.7, §6.9) that bind: their
    reduced cost is negative (more room would lower the cost)."""
    lp, solution, derived = outcome.lp, outcome.solution, outcome.derived
    if solution.reduced_costs is None:
        return
    periods = {node.id: node.period for node in derived.tree.nodes}
    exclusive = derived.data.settings.zone_exclusive
    member = derived.zone_member
    for name in ("output", "ship"):
        block = lp.layout.column_block(name)
        if block is None:
            continue
        reduced_costs = solution.reduced_costs[block.start:block.stop]
        binding = (reduced_costs < -DUAL_TOLERANCE) & np.isfinite(
            lp.col_upper[block.start:block.stop])
        for offset in np.flatnonzero(binding).tolist():
            key = block.keys[offset]
            j = block.start + offset
            reduced = float(solution.reduced_costs[j])
            kind = "capacity"
            if name == "ship":
                origin, destination, mineral, stage, node = key
                kind = "zone_exclusivity" if (
                    exclusive and not member[origin] and member[destination]
                    and (mineral, stage, periods[node]) in derived.floor_price
                ) else "routes"
            low, high = _range(solution.bound_ranges, j)
            yield _Limit(kind, False, j, key, reduced, float(lp.col_upper[j]),
                         _at_least(low, float(lp.col_lower[j])), high)


def _floor_balances(outcome: Outcome, limits: dict[str, Limit]) -> Iterator[_Limit]:
    """Member balance rows of a mineral and product with a floor in the period, where
    the marginal price (dual ÷ (π_n δ_t), as on the prices sheet) is below the floor
    and above 0: picked for all rows at once, described one by one."""
    derived = outcome.derived
    data = derived.data
    minerals = [m.mineral for m in data.minerals]
    regions = [r.region for r in data.regions]
    member = np.array([derived.zone_member[r] for r in regions], dtype=bool)
    tree = Tree(derived)
    period, weight = tree.period, tree.weight
    solution = outcome.solution
    assert solution.duals is not None
    for kind, stage in BALANCES:
        block = outcome.lp.layout.row_block(kind)
        if block is None or not block.keys:
            continue
        floors = np.full((len(minerals), len(data.periods)), np.nan)
        for (mineral, product, t), floor in derived.floor_price.items():
            if product == stage:
                floors[minerals.index(mineral), t] = floor
        region, mineral, node = key_columns(block, 3)
        node = np.asarray(node, dtype=np.int64)
        floor = floors[positions(mineral, minerals), period[node]]
        dual = solution.duals[block.start:block.stop]
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = floor - dual / np.where(weight[node] > 0, weight[node], 1.0)
        below = (member[positions(region, regions)] & ~np.isnan(floor) & (weight[node] > 0)
                 & (dual > DUAL_TOLERANCE) & (gap > GAP_TOLERANCE))
        yield from _rows(outcome, limits[kind], block, _fixed(below))


def _fixed(chosen: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A choice of rows made beforehand, whatever the duals."""
    return lambda _: chosen
