"""What the binding limits are worth (the ``sensitivity`` results sheet).

For every binding budget (§6.10), capacity (§6.1, as a row where new capacity can
come online, else as the bound on ``output``), route capacity (§6.7), zone exclusivity
(§6.9) and member balance where a floor binds (§6.3, §6.4 with price_gap > 0): the
dual, the right-hand side, and the range over which that dual holds, from HiGHS's
ranging of the optimal basis (:class:`optimizer.solve.Solution` ``rhs_ranges`` and
``bound_ranges``). A limit binds when its dual (a bound's reduced cost) is not 0; the
columns are defined once, in :mod:`optimizer.results_contract`.

Duals are in objective units: the change in the objective (expected discounted cost,
blended with CVaR when risk_weight > 0) per unit increase of the right-hand side.
Each range is for that right-hand side alone, everything else held fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.data import Product
from optimizer.pipeline import Outcome
from optimizer.results.keys import positions
from optimizer.solve import Block, key_columns

DUAL_TOLERANCE = 1e-7  # HiGHS's dual feasibility tolerance: smaller duals are noise
GAP_TOLERANCE = 1e-9  # as the prices sheet shows a price_gap of 0

SECTION: dict[str, str] = {
    "stockpile_budget": "§6.10 stockpile budget",
    "expansion_budget": "§6.10 expansion budget",
    "capacity": "§6.1 capacity",
    "routes": "§6.7 routes",
    "zone_exclusivity": "§6.9 zone exclusivity",
    "concentrate_balance": "§6.3 concentrate balance",
    "refined_balance": "§6.4 refined balance",
}
ORDER = tuple(SECTION)  # rows come in this order, then in the model's order
BALANCES: tuple[tuple[str, Product], ...] = (
    ("concentrate_balance", "concentrate"),
    ("refined_balance", "refined"),
)
COLUMNS = ("constraint", "what", "dual", "rhs", "rhs_low", "rhs_high", "unit")


@dataclass(frozen=True, slots=True)
class _Limit:
    """One binding row or bound, where the layout places it."""

    kind: str  # a key of SECTION
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
    describe = _Describer(outcome)
    limits = sorted(_limits(outcome),
                    key=lambda x: (ORDER.index(x.kind), not x.row, x.position))
    rows = [
        (SECTION[x.kind], describe(x), x.dual, x.rhs, x.low, x.high,
         currency if x.kind.endswith("budget") else "t")
        for x in limits
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("dual", "rhs", "rhs_low", "rhs_high"):
        values = frame[column].astype(float)
        # unlimited: a blank cell, as Excel has no ∞
        frame[column] = values.where(np.isfinite(values), np.nan)
    return frame


def _limits(outcome: Outcome) -> Iterator[_Limit]:
    layout = outcome.lp.layout
    for name in ("stockpile_budget", "expansion_budget", "capacity"):
        block = layout.row_block(name)
        if block is not None:
            yield from _rows(outcome, name, block, lambda dual: dual < -DUAL_TOLERANCE)
    yield from _bounds(outcome)
    yield from _floor_balances(outcome)


def _rows(outcome: Outcome, kind: str, block: Block,
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
        if kind != "concentrate_balance" and kind != "refined_balance":
            low = _at_least(low, 0.0)  # a capacity or a budget is never negative
        yield _Limit(kind, True, i, key, float(solution.duals[i]), float(rhs), low, high)


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


def _floor_balances(outcome: Outcome) -> Iterator[_Limit]:
    """Member balance rows of a mineral and product with a floor in the period, where
    the marginal price (dual ÷ (π_n δ_t), as on the prices sheet) is below the floor
    and above 0: picked for all rows at once, described one by one."""
    derived = outcome.derived
    data = derived.data
    minerals = [m.mineral for m in data.minerals]
    regions = [r.region for r in data.regions]
    member = np.array([derived.zone_member[r] for r in regions], dtype=bool)
    nodes = derived.tree.nodes
    period = np.array([n.period for n in nodes], dtype=np.int64)
    weight = np.array([n.probability for n in nodes]) * np.asarray(derived.discount)[period]
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
        yield from _rows(outcome, kind, block, _fixed(below))


def _fixed(chosen: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A choice of rows made beforehand, whatever the duals."""
    return lambda _: chosen


class _Describer:
    """The ``what`` column: the limit in plain words."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.derived = outcome.derived
        self.facilities = {f.facility: f for f in outcome.data.facilities}
        self.periods = [p.period for p in outcome.data.periods]
        self.currency = outcome.data.settings.currency

    def __call__(self, limit: _Limit) -> str:
        text: str = getattr(self, f"_{limit.kind}")(limit)
        return text

    def when(self, node_id: int) -> str:
        """``period P, all scenarios`` on the trunk, else the node's scenarios."""
        tree = self.derived.tree
        node = tree.nodes[node_id]
        if len(node.scenarios) == len(tree.paths):
            who = "all scenarios"
        else:
            who = ("scenario " if len(node.scenarios) == 1 else "scenarios ") + ", ".join(
                node.scenarios)
        return f"period {self.periods[node.period]}, {who}"

    def _stockpile_budget(self, limit: _Limit) -> str:
        paths = self.derived.tree.paths
        leaf = paths[limit.key][-1]
        sharing = [s for s, path in paths.items() if path[-1] == leaf]
        who = ("scenario " if len(sharing) == 1 else "scenarios ") + ", ".join(sharing)
        return (f"stockpile purchases at market prices along the path of {who} ≤ "
                f"stockpile_budget")

    def _expansion_budget(self, limit: _Limit) -> str:
        return "overnight capex of all expansions (build × capex_per_t) ≤ expansion_budget"

    def _capacity(self, limit: _Limit) -> str:
        facility, node = limit.key
        f = self.facilities[facility]
        new = "; rhs is the existing capacity, new capacity adds to it" if limit.row else ""
        return (f"output of {facility} ({f.stage}, {f.mineral}, {f.region}) ≤ its available "
                f"capacity in {self.when(node)}{new}")

    def _routes(self, limit: _Limit) -> str:
        origin, destination, mineral, stage, node = limit.key
        return (f"shipments of {mineral} {stage} on {origin} → {destination} ≤ the route's "
                f"capacity in {self.when(node)}")

    def _zone_exclusivity(self, limit: _Limit) -> str:
        origin, destination, mineral, stage, node = limit.key
        return (f"no {mineral} {stage} from non-member {origin} into member {destination} "
                f"where a floor holds, in {self.when(node)}")

    def _concentrate_balance(self, limit: _Limit) -> str:
        return self._balance(limit, "concentrate", "its refineries' needs")

    def _refined_balance(self, limit: _Limit) -> str:
        return self._balance(limit, "refined", "demand")

    def _balance(self, limit: _Limit, stage: Product, needs: str) -> str:
        region, mineral, node_id = limit.key
        node = self.derived.tree.nodes[node_id]
        floor = self.derived.floor_price[mineral, stage, node.period]
        marginal = limit.dual / (node.probability * self.derived.discount[node.period])
        return (f"{stage} {mineral} in {region}: supply ≥ {needs} in {self.when(node_id)}; "
                f"marginal price {marginal:,.2f} below the floor {floor:,.2f} "
                f"{self.currency}/t")
