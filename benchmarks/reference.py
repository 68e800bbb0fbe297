"""An independent assembly of the LP of MODEL.md §5–§7, straight into scipy.sparse.

The optimizer builds its LP through Pyomo (``optimizer.model``) and compiles it
(``optimizer.solve.highs``). This module builds the same LP a second way, with numpy index
arithmetic over the derived data and nothing from either of those modules, and solves
it with HiGHS. It serves two purposes:

- a check: on any valid case both must reach the same optimal objective, so a change
  to the formulation, the tree or the compiler that alters the optimum shows up;
- a yardstick: its assembly time is about what building the matrices needs, so the
  pipeline's time outside the solver can be compared with it.

What it takes from :func:`optimizer.model.derive.derive` is the part of §3–§4 that is about
matching and the tree (nodes and their parents and probabilities, capacity, route,
demand and price multipliers per node, release bans, export caps, tier widths). It
recomputes the simple arithmetic itself: period lengths, discount factors, capex
annuities, contract quantities and payments, floors and border adjustments.

    python benchmarks/reference.py CASE.xlsx [--compare]

prints the reference objective (and with ``--compare`` the pipeline's, and whether
they agree to 1e-7 relative).

Each column and row also has a key in the optimizer's vocabulary, ``(component, key)``
as :class:`optimizer.solve.highs.Layout` names them (``("ship", (origin, destination,
mineral, stage, node))``), computed only when asked for (:class:`Keys`), so that the
two matrices can be compared entry by entry whatever their order
(``tests/test_reference.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from optimizer.data import ModelData
from optimizer.model.derive import Derived, derive

# Tolerance of the objective check: relative, with an absolute floor of 1 currency unit
# so a case whose optimum is 0 still compares sensibly.
RELATIVE_TOLERANCE = 1e-7

_INF = np.inf

Named = list[tuple[str, Any]]  # (component, key) per column or row, in order


@dataclass(frozen=True, slots=True)
class Keys:
    """The columns' and rows' keys, ``(component, key)`` as the optimizer's Layout has
    them, each family's made only when asked for (so the assembly time stays the
    matrices' own)."""

    column_parts: tuple[Callable[[], Named], ...] = ()
    row_parts: tuple[Callable[[], Named], ...] = ()
    retained: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def columns(self) -> Named:
        """Every column's key, in column order."""
        return [key for part in self.column_parts for key in part()]

    def rows(self) -> Named:
        """Every row's key, in row order (the rows left out as empty are left out)."""
        every = [key for part in self.row_parts for key in part()]
        return [key for key, kept in zip(every, self.retained.tolist(), strict=True) if kept]


@dataclass(frozen=True, slots=True)
class ReferenceLP:
    """min cost·x + offset, row_lower ≤ A x ≤ row_upper, col_lower ≤ x ≤ col_upper."""

    cost: np.ndarray
    offset: float
    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    column_blocks: dict[str, int]  # columns per variable family, in column order
    row_blocks: dict[str, int]  # rows per constraint family (after dropping empty rows)
    keys: Keys = field(default_factory=Keys)

    @property
    def columns(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def rows(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def nonzeros(self) -> int:
        return int(self.matrix.nnz)


@dataclass(frozen=True, slots=True)
class ReferenceResult:
    """The reference LP's size, optimum and timings."""

    status: str  # HiGHS's model status in words ("Optimal", ...)
    objective: float | None  # None unless optimal
    columns: int
    rows: int
    nonzeros: int
    nodes: int  # tree nodes
    assembly_seconds: float  # Derived -> matrices ready for HiGHS
    solve_seconds: float  # highs.run() only


# ---------------------------------------------------------------- building blocks


class _Columns:
    """Allocates columns family by family and keeps their bounds and costs.

    ``node_cost`` is cost(n, t) of §7 per column (undiscounted, at the column's node
    ``node``); ``first_stage`` is a cost already discounted over the horizon (capex),
    the same in every scenario.
    """

    def __init__(self) -> None:
        self.count = 0
        self.blocks: dict[str, int] = {}
        self.keys: list[Callable[[], Named]] = []
        self._lower: list[np.ndarray] = []
        self._upper: list[np.ndarray] = []
        self._node: list[np.ndarray] = []
        self._node_cost: list[np.ndarray] = []
        self._first_stage: list[np.ndarray] = []

    def add(
        self,
        name: str,
        lower: np.ndarray,
        upper: np.ndarray,
        node: np.ndarray | None = None,
        node_cost: np.ndarray | None = None,
        first_stage: np.ndarray | None = None,
        keys: Callable[[], Sequence[Any]] = list,
    ) -> np.ndarray:
        """Add ``len(lower)`` columns; returns their indices. ``keys`` gives their keys
        in the optimizer's vocabulary, in order, when called."""
        size = len(lower)
        index = np.arange(self.count, self.count + size)
        self.count += size
        self.blocks[name] = self.blocks.get(name, 0) + size
        self.keys.append(lambda: [(name, key) for key in keys()])
        zeros = np.zeros(size)
        self._lower.append(np.asarray(lower, dtype=float))
        self._upper.append(np.asarray(upper, dtype=float))
        self._node.append(np.full(size, -1, dtype=np.int64) if node is None
                          else np.asarray(node, dtype=np.int64))
        self._node_cost.append(zeros if node_cost is None else np.asarray(node_cost, dtype=float))
        self._first_stage.append(zeros if first_stage is None
                                 else np.asarray(first_stage, dtype=float))
        return index

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """lower, upper, node, node_cost, first_stage over all columns."""
        return tuple(  # type: ignore[return-value]
            np.concatenate(parts) if parts else np.zeros(0)
            for parts in (self._lower, self._upper, self._node, self._node_cost,
                          self._first_stage)
        )


class _Rows:
    """Allocates rows family by family and collects the matrix as triplets."""

    def __init__(self) -> None:
        self.count = 0
        self.family: list[np.ndarray] = []  # family name index per row
        self.names: list[str] = []
        self.keys: list[Callable[[], Named]] = []
        self._lower: list[np.ndarray] = []
        self._upper: list[np.ndarray] = []
        self._entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, name: str, lower: np.ndarray, upper: np.ndarray,
            keys: Callable[[], Sequence[Any]] = list,
            named: Callable[[], Named] | None = None) -> np.ndarray:
        """Add ``len(lower)`` rows; returns their indices. ``keys`` gives their keys in
        the optimizer's vocabulary when called (``named``: (component, key) pairs, for
        a family the optimizer splits into components)."""
        size = len(lower)
        index = np.arange(self.count, self.count + size)
        self.count += size
        self.keys.append(named if named is not None
                         else (lambda: [(name, key) for key in keys()]))
        if name not in self.names:
            self.names.append(name)
        self.family.append(np.full(size, self.names.index(name), dtype=np.int64))
        self._lower.append(np.asarray(lower, dtype=float))
        self._upper.append(np.asarray(upper, dtype=float))
        return index

    def entries(self, rows: np.ndarray, columns: np.ndarray, values: np.ndarray | float) -> None:
        """Add coefficients ``values`` at (``rows``, ``columns``); duplicates add up."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        columns = np.asarray(columns, dtype=np.int64).ravel()
        values = np.broadcast_to(np.asarray(values, dtype=float), rows.shape).ravel()
        self._entries.append((rows, columns, values))

    def matrix(
        self, width: int
    ) -> tuple[sp.csc_array, np.ndarray, np.ndarray, dict[str, int], np.ndarray]:
        """The matrix, row bounds, rows per family and which rows were kept: not those
        that have no coefficient and hold trivially (an empty balance, say), as Pyomo
        leaves them out."""
        rows = np.concatenate([e[0] for e in self._entries]) if self._entries else np.zeros(0)
        columns = np.concatenate([e[1] for e in self._entries]) if self._entries else rows
        values = np.concatenate([e[2] for e in self._entries]) if self._entries else rows
        keep = values != 0.0
        rows, columns, values = rows[keep], columns[keep], values[keep]
        lower = np.concatenate(self._lower) if self._lower else np.zeros(0)
        upper = np.concatenate(self._upper) if self._upper else np.zeros(0)
        family = np.concatenate(self.family) if self.family else np.zeros(0, dtype=np.int64)
        used = np.zeros(self.count, dtype=bool)
        used[rows] = True
        # an empty row that does not hold (0 outside its bounds) stays, so HiGHS reports
        # the infeasibility instead of it vanishing
        retained = used | (lower > 0.0) | (upper < 0.0)
        new_index = np.cumsum(retained) - 1
        matrix = sp.csc_array(
            sp.coo_array((values, (new_index[rows], columns)),
                         shape=(int(retained.sum()), width))
        )
        matrix.sum_duplicates()
        counts = np.bincount(family[retained], minlength=len(self.names))
        return (matrix, lower[retained], upper[retained],
                {name: int(c) for name, c in zip(self.names, counts, strict=True)}, retained)


def _dense(mapping: dict[tuple[int, int], float] | None, shape: tuple[int, int],
           default: float) -> np.ndarray:
    """A (first index, node) -> value mapping as a dense array, ``default`` elsewhere."""
    array = np.full(shape, default)
    if mapping:
        keys = np.array(list(mapping.keys()), dtype=np.int64)
        array[keys[:, 0], keys[:, 1]] = np.fromiter(mapping.values(), dtype=float,
                                                    count=len(mapping))
    return array


def annuity(capex_per_t: float, rate: float, lifetime_years: float) -> float:
    """Annualised capex of §3: capex × r / (1 − (1 + r)^−lifetime), capex / lifetime at r = 0."""
    if rate == 0.0:
        return capex_per_t / lifetime_years
    return float(capex_per_t * rate / (1.0 - (1.0 + rate) ** -lifetime_years))


# ---------------------------------------------------------------- the LP


def assemble(derived: Derived) -> ReferenceLP:
    """The LP of MODEL.md §5–§7 and §12 for ``derived``, as sparse matrices."""
    data = derived.data
    tree = derived.tree
    nodes = len(tree.nodes)
    node_ids = np.arange(nodes)
    period_of = np.array([n.period for n in tree.nodes], dtype=np.int64)
    parent_of = np.array([-1 if n.parent is None else n.parent for n in tree.nodes],
                         dtype=np.int64)
    probability = np.array([n.probability for n in tree.nodes])

    # §3: period lengths and δ_t = (1 + rate)^−(years before t)
    years = np.array([p.years for p in data.periods])
    rate = data.settings.discount_rate
    elapsed = np.concatenate(([0.0], np.cumsum(years)[:-1]))
    discount = (1.0 + rate) ** -elapsed
    years_n = years[period_of]

    region_index = {r.region: i for i, r in enumerate(data.regions)}
    mineral_index = {m.mineral: i for i, m in enumerate(data.minerals)}
    period_index = {p.period: i for i, p in enumerate(data.periods)}
    n_minerals = len(data.minerals)
    groups = len(data.regions) * n_minerals
    member = np.array([r.zone_member for r in data.regions])

    columns = _Columns()
    rows = _Rows()
    # names by position, for the keys
    region_names = [r.region for r in data.regions]
    mineral_names = [m.mineral for m in data.minerals]
    every_node = range(nodes)

    # Balances (§6.3, §6.4): one virtual row per product, region, mineral and node,
    # ≥ the demand (refined) or 0; empty ones are dropped at the end.
    product_code = {"concentrate": 0, "refined": 1}
    balance_lower = np.zeros(2 * groups * nodes)
    for (region, mineral, node), demand in derived.demand_t.items():
        g = region_index[region] * n_minerals + mineral_index[mineral]
        balance_lower[(groups + g) * nodes + node] = demand
    balance_start = rows.add(
        "balance", balance_lower, np.full(2 * groups * nodes, _INF),
        named=lambda: [(f"{product}_balance", (region, mineral, n))
                       for product in product_code for region in region_names
                       for mineral in mineral_names for n in every_node])[0]

    def balance_row(product: int | np.ndarray, group: int | np.ndarray,
                    node: int | np.ndarray) -> np.ndarray:
        """The balance row of a product code, region × mineral group and node."""
        return np.asarray(
            balance_start + (np.asarray(product) * groups + np.asarray(group)) * nodes + node)

    # ---- supply (§5 build, output; §6.1 capacity; §6.10 expansion budget)
    facilities = data.facilities
    n_fac = len(facilities)
    capacity = np.array([f.capacity_t for f in facilities])
    unit_cost = np.array([f.unit_cost_per_t for f in facilities])
    expandable = np.array([f.expandable_t for f in facilities])
    online = np.array([period_index[f.online_period] for f in facilities], dtype=np.int64)
    facility_index = {f.facility: i for i, f in enumerate(facilities)}
    avail = _dense(
        {(facility_index[f], n): v for (f, n), v in derived.capacity_factor.items()},
        (n_fac, nodes), 1.0,
    )

    built = np.flatnonzero(expandable > 0)
    # discounted capex over the horizon: Σ_{t ≥ online} δ_t × y_t × annuity
    weight_from = np.cumsum((discount * years)[::-1])[::-1]  # Σ_{t' ≥ t} δ_t' y_t'
    capex_cost = np.array([
        annuity(facilities[i].capex_per_t, rate, facilities[i].lifetime_years)
        * weight_from[online[i]]
        for i in built
    ])
    build_column = np.full(n_fac, -1, dtype=np.int64)
    build_column[built] = columns.add("build", np.zeros(len(built)), expandable[built],
                                      first_stage=capex_cost,
                                      keys=lambda: [facilities[i].facility for i in built])
    facility_names = [f.facility for f in facilities]

    limit = avail * capacity[:, None] * years_n[None, :]
    with_row = ((expandable[:, None] > 0) & (period_of[None, :] >= online[:, None])
                & (avail > 0))
    output = columns.add(
        "output", np.zeros(n_fac * nodes), np.where(with_row, _INF, limit).ravel(),
        node=np.tile(node_ids, n_fac), node_cost=np.repeat(unit_cost, nodes),
        keys=lambda: [(f, n) for f in facility_names for n in every_node],
    ).reshape(n_fac, nodes)
    f_rows, n_rows = np.nonzero(with_row)
    capacity_rows = rows.add(
        "capacity", np.full(len(f_rows), -_INF), limit[f_rows, n_rows],
        keys=lambda: [(facility_names[f], n) for f, n in zip(f_rows.tolist(), n_rows.tolist(),
                                                             strict=True)])
    rows.entries(capacity_rows, output[f_rows, n_rows], 1.0)
    rows.entries(capacity_rows, build_column[f_rows],
                 -avail[f_rows, n_rows] * years_n[n_rows])

    fac_group = np.array([region_index[f.region] * n_minerals + mineral_index[f.mineral]
                          for f in facilities], dtype=np.int64)
    stage = np.array([f.stage for f in facilities])
    for code, mask in ((0, stage == "mine"), (1, stage != "mine")):
        chosen = np.flatnonzero(mask)
        rows.entries(balance_row(code, fac_group[chosen][:, None], node_ids[None, :]),
                     output[chosen], 1.0)
    refineries = np.flatnonzero(stage == "refine")
    yields = np.array([facilities[i].yield_ for i in refineries])
    rows.entries(balance_row(0, fac_group[refineries][:, None], node_ids[None, :]),
                 output[refineries], np.repeat(-1.0 / yields, nodes))

    budget = data.settings.expansion_budget
    priced = [i for i in built if facilities[i].capex_per_t > 0]
    if budget is not None and priced:
        row = rows.add("expansion_budget", np.array([-_INF]), np.array([budget]),
                       keys=lambda: [None])
        rows.entries(np.repeat(row, len(priced)), build_column[priced],
                     np.array([facilities[i].capex_per_t for i in priced]))

    # ---- offtakes (§6.2, §7 take-or-pay, §11 several offtakes add up)
    contract = np.zeros((n_fac, len(data.periods)))
    payment = np.zeros((n_fac, len(data.periods)))
    covered = np.zeros((n_fac, len(data.periods)), dtype=bool)
    for offtake in data.offtakes:
        i = facility_index[offtake.facility]
        span = slice(period_index[offtake.start_period], period_index[offtake.end_period] + 1)
        contract[i, span] += offtake.contract_t
        payment[i, span] += offtake.contract_t * offtake.contract_price_per_t
        covered[i, span] = True
    t_fac, t_node = np.nonzero(covered[:, period_of])
    t_period = period_of[t_node]
    take = columns.add(
        "contract_take", np.zeros(len(t_fac)),
        avail[t_fac, t_node] * np.minimum(contract[t_fac, t_period], capacity[t_fac])
        * years_n[t_node],
        node=t_node, node_cost=-unit_cost[t_fac], keys=lambda: take_keys(),
    )
    take_rows = rows.add("take_within_output", np.full(len(t_fac), -_INF), np.zeros(len(t_fac)),
                         keys=lambda: take_keys())

    def take_keys() -> list[tuple[str, int]]:
        return [(facility_names[f], n) for f, n in zip(t_fac.tolist(), t_node.tolist(),
                                                       strict=True)]
    rows.entries(take_rows, take, 1.0)
    rows.entries(take_rows, output[t_fac, t_node], -1.0)
    node_constant = np.zeros(nodes)
    np.add.at(node_constant, t_node, payment[t_fac, t_period] * years_n[t_node])

    # ---- trade (§6.7 routes, §6.9 zone exclusivity, §3 border adjustment, §6.8 export caps)
    routes = data.routes
    n_routes = len(routes)
    origin = np.array([region_index[r.origin] for r in routes], dtype=np.int64)
    destination = np.array([region_index[r.destination] for r in routes], dtype=np.int64)
    route_mineral = np.array([mineral_index[r.mineral] for r in routes], dtype=np.int64)
    route_product = np.array([product_code[r.stage] for r in routes], dtype=np.int64)
    route_capacity = np.array([_INF if r.capacity_t is None else r.capacity_t for r in routes])
    route_factor = _dense(dict(derived.route_factor), (n_routes, nodes), 1.0)
    into_zone = ~member[origin] & member[destination]

    # market prices by mineral, product and node (price disruptions applied; none: 0)
    market = np.zeros((n_minerals, 2, nodes))
    for (mineral, product, node), price in derived.market_price.items():
        market[mineral_index[mineral], product_code[product], node] = price
    floor_price = np.full((n_minerals, 2, len(data.periods)), np.nan)
    for p in data.prices:
        if p.floor_price_per_t is not None:
            floor_price[mineral_index[p.mineral], product_code[p.stage],
                        period_index[p.period]] = p.floor_price_per_t
    route_floor = floor_price[route_mineral, route_product][:, period_of]
    has_floor = into_zone[:, None] & ~np.isnan(route_floor)
    # the border adjustment's floor gap: max(0, floor − market) into members only
    gap = np.where(has_floor, np.maximum(
        0.0, np.nan_to_num(route_floor) - market[route_mineral, route_product]), 0.0)
    tariff = np.array([r.tariff_per_t for r in routes])
    cost_per_t = np.array([r.cost_per_t for r in routes])

    with np.errstate(invalid="ignore"):  # ∞ × a factor of 0 is handled by the next line
        ship_upper = route_capacity[:, None] * route_factor * years_n[None, :]
    ship_upper = np.where(route_factor == 0.0, 0.0, ship_upper)
    if data.settings.zone_exclusive:
        ship_upper = np.where(has_floor, 0.0, ship_upper)
    ship = columns.add(
        "ship", np.zeros(n_routes * nodes), ship_upper.ravel(),
        node=np.tile(node_ids, n_routes),
        node_cost=(cost_per_t[:, None] + tariff[:, None] + gap).ravel(),
        keys=lambda: [(r.origin, r.destination, r.mineral, r.stage, n)
                      for r in routes for n in every_node],
    ).reshape(n_routes, nodes)
    for sign, end in ((-1.0, origin), (1.0, destination)):
        end_group = end * n_minerals + route_mineral
        rows.entries(balance_row(route_product[:, None], end_group[:, None], node_ids[None, :]),
                     ship, sign)

    if derived.export_caps:
        caps = derived.export_caps
        scale = np.array([c.factor * years[period_of[c.node]] for c in caps])
        existing = np.array([
            sum(avail[facility_index[f], c.node] * capacity[facility_index[f]]
                for f in c.facilities)
            for c in caps
        ])
        # the optimizer numbers export caps by their position in derived.export_caps
        cap_rows = rows.add("export_cap", np.full(len(caps), -_INF), scale * existing,
                            keys=lambda: list(range(len(caps))))
        ship_r: list[int] = []
        ship_c: list[int] = []
        build_r: list[int] = []
        build_c: list[int] = []
        build_v: list[float] = []
        for row, cap in zip(cap_rows.tolist(), caps, strict=True):
            ship_r.extend([row] * len(cap.routes))
            ship_c.extend(ship[list(cap.routes), cap.node].tolist())
            for name in cap.facilities:
                f = facility_index[name]
                if expandable[f] > 0 and period_of[cap.node] >= online[f]:
                    build_r.append(row)
                    build_c.append(int(build_column[f]))
                    build_v.append(-cap.factor * years[period_of[cap.node]]
                                   * avail[f, cap.node])
        rows.entries(np.array(ship_r), np.array(ship_c), 1.0)
        rows.entries(np.array(build_r), np.array(build_c), np.array(build_v))

    # ---- stockpiles (§6.6, §6.10 stockpile budget)
    stockpiles = data.stockpiles
    n_stock = len(stockpiles)
    last = len(data.periods) - 1

    def per_period(per_year: list[float | None]) -> np.ndarray:
        """A yearly rate limit (None: unlimited) per stockpile and node, × years."""
        limit = np.array([_INF if v is None else v for v in per_year])
        return (limit[:, None] * years_n[None, :]).ravel() if n_stock else np.zeros(0)

    allowed = np.array([[(s.stockpile, n) in derived.release_allowed for n in range(nodes)]
                        for s in stockpiles], dtype=bool).reshape(n_stock, nodes)
    min_level = np.array([s.min_level_t for s in stockpiles])
    terminal = np.array([s.terminal_min_t for s in stockpiles])
    level_lower = np.where(period_of[None, :] == last,
                           np.maximum(min_level, terminal)[:, None], min_level[:, None])
    holding = np.array([s.holding_cost_per_t for s in stockpiles])

    def stock_keys() -> list[tuple[str, int]]:
        return [(s.stockpile, n) for s in stockpiles for n in every_node]

    purchase = columns.add(
        "purchase", np.zeros(n_stock * nodes), per_period([s.max_purchase_t for s in stockpiles]),
        node=np.tile(node_ids, n_stock), keys=stock_keys,
    ).reshape(n_stock, nodes)
    release_upper = per_period([s.max_release_t for s in stockpiles])
    release = columns.add(
        "release", np.zeros(n_stock * nodes),
        np.where(allowed.ravel(), release_upper, 0.0), node=np.tile(node_ids, n_stock),
        keys=stock_keys,
    ).reshape(n_stock, nodes)
    level = columns.add(
        "level", level_lower.ravel(),
        np.repeat([s.capacity_t for s in stockpiles], nodes),
        node=np.tile(node_ids, n_stock),
        node_cost=(holding[:, None] * years_n[None, :]).ravel(), keys=stock_keys,
    ).reshape(n_stock, nodes)
    # level − level(parent) − purchase + release = initial_t at the root, else 0
    initial = np.array([s.initial_t for s in stockpiles])
    stock_rhs = np.where(parent_of[None, :] < 0, initial[:, None], 0.0).ravel()
    stock_rows = rows.add("stock_balance", stock_rhs, stock_rhs,
                          keys=stock_keys).reshape(n_stock, nodes)
    rows.entries(stock_rows, level, 1.0)
    rows.entries(stock_rows, purchase, -1.0)
    rows.entries(stock_rows, release, 1.0)
    has_parent = parent_of >= 0
    rows.entries(stock_rows[:, has_parent], level[:, parent_of[has_parent]], -1.0)
    stock_group = np.array([region_index[s.region] * n_minerals + mineral_index[s.mineral]
                            for s in stockpiles], dtype=np.int64)
    stock_product = np.array([product_code[s.stage] for s in stockpiles], dtype=np.int64)
    stock_balance = balance_row(stock_product[:, None], stock_group[:, None], node_ids[None, :])
    rows.entries(stock_balance, release, 1.0)
    rows.entries(stock_balance, purchase, -1.0)

    stock_budget = data.settings.stockpile_budget
    if stock_budget is not None and n_stock:
        stock_mineral = np.array([mineral_index[s.mineral] for s in stockpiles])
        price = market[stock_mineral, stock_product]  # (stockpile, node)
        # one row per distinct path: scenarios that share every node share the row, named
        # (as the optimizer names it) after the last of them in the scenarios' order
        paths = {path[-1]: (scenario, path) for scenario, path in derived.tree.paths.items()}
        for scenario, path in paths.values():
            on_path = np.array(path, dtype=np.int64)
            spend = price[:, on_path]
            k, j = np.nonzero(spend > 0)
            if len(k):
                row = rows.add("stockpile_budget", np.array([-_INF]), np.array([stock_budget]),
                               keys=partial(list, [scenario]))
                rows.entries(np.repeat(row, len(k)), purchase[k, on_path[j]], spend[k, j])

    # ---- demand and shortfall tiers (§6.4, §6.5)
    keys = [(key, demand) for key, demand in derived.demand_t.items() if demand > 0]
    width_parts, penalty_parts, node_parts, group_parts = [], [], [], []
    for (region, mineral, node), demand in keys:
        steps = derived.tiers[mineral]
        width_parts.append([s.width * demand for s in steps])
        penalty_parts.append([s.penalty_per_t for s in steps])
        node_parts.append([node] * len(steps))
        group_parts.append([region_index[region] * n_minerals + mineral_index[mineral]]
                           * len(steps))

    def flat(parts: list[list[float]] | list[list[int]]) -> np.ndarray:
        return np.array([v for part in parts for v in part])

    short_node = flat(node_parts).astype(np.int64)
    shortfall = columns.add(
        "shortfall", np.zeros(len(short_node)), flat(width_parts), node=short_node,
        node_cost=flat(penalty_parts),
        keys=lambda: [(region, mineral, step.tier, node)
                      for (region, mineral, node), _ in keys
                      for step in derived.tiers[mineral]])
    rows.entries(balance_row(1, flat(group_parts).astype(np.int64), short_node), shortfall, 1.0)

    # ---- certified supply (§12): only for minerals with certified demand
    shares = {(d.region, d.mineral, d.period): d.certified_share for d in data.demand}
    period_names = [p.period for p in data.periods]
    certified_demand = {}
    for (region, mineral, node), demand in derived.demand_t.items():
        value = shares.get((region, mineral, period_names[period_of[node]]), 0.0) * demand
        if value > 0.0:
            certified_demand[region, mineral, node] = value
    certified_minerals = {mineral for _, mineral, _ in certified_demand}
    if certified_minerals:
        certifies = {r.region: r.zone_member if r.certifies is None else r.certifies
                     for r in data.regions}
        c_lower = np.zeros(2 * groups * nodes)
        for (region, mineral, node), value in certified_demand.items():
            g = region_index[region] * n_minerals + mineral_index[mineral]
            c_lower[(groups + g) * nodes + node] = value
        c_start = rows.add(
            "certified_balance", c_lower, np.full(2 * groups * nodes, _INF),
            named=lambda: [(f"certified_{product}_balance", (region, mineral, n))
                           for product in product_code for region in region_names
                           for mineral in mineral_names for n in every_node])[0]

        def c_row(product: int | np.ndarray, group: int | np.ndarray,
                  node: int | np.ndarray) -> np.ndarray:
            return np.asarray(
                c_start + (np.asarray(product) * groups + np.asarray(group)) * nodes + node)

        def within(name: str, certified: np.ndarray, plain: np.ndarray,
                   keys: Callable[[], Sequence[Any]]) -> None:
            """c ≤ plain, one row per certified column."""
            row = rows.add("certified_within", np.full(certified.size, -_INF),
                           np.zeros(certified.size),
                           named=lambda: [("certified_within", (name, " ".join(
                               map(str, key[:-1])), key[-1])) for key in keys()])
            rows.entries(row, certified.ravel(), 1.0)
            rows.entries(row, plain.ravel(), -1.0)

        chosen = np.array([i for i, f in enumerate(facilities)
                           if f.mineral in certified_minerals and certifies[f.region]],
                          dtype=np.int64)

        def output_keys() -> list[tuple[str, int]]:
            return [(facility_names[i], n) for i in chosen.tolist() for n in every_node]
        c_output = columns.add("c_output", np.zeros(len(chosen) * nodes),
                               np.full(len(chosen) * nodes, _INF),
                               node=np.tile(node_ids, len(chosen)),
                               keys=output_keys).reshape(len(chosen), nodes)
        within("output", c_output, output[chosen], output_keys)
        c_group = fac_group[chosen][:, None]
        c_stage = stage[chosen]
        rows.entries(c_row(np.where(c_stage == "mine", 0, 1)[:, None], c_group,
                           node_ids[None, :]), c_output, 1.0)
        refining = c_stage == "refine"
        c_yield = np.array([facilities[i].yield_ for i in chosen[refining]])
        rows.entries(c_row(0, c_group[refining], node_ids[None, :]), c_output[refining],
                     np.repeat(-1.0 / c_yield, nodes))

        carried = np.array([i for i, r in enumerate(routes) if r.mineral in certified_minerals],
                           dtype=np.int64)

        def ship_keys() -> list[tuple[str, str, str, str, int]]:
            return [(routes[i].origin, routes[i].destination, routes[i].mineral,
                     routes[i].stage, n) for i in carried.tolist() for n in every_node]
        c_ship = columns.add("c_ship", np.zeros(len(carried) * nodes),
                             np.full(len(carried) * nodes, _INF),
                             node=np.tile(node_ids, len(carried)),
                             keys=ship_keys).reshape(len(carried), nodes)
        within("ship", c_ship, ship[carried], ship_keys)
        for sign, end in ((-1.0, origin), (1.0, destination)):
            end_group = end[carried] * n_minerals + route_mineral[carried]
            rows.entries(c_row(route_product[carried][:, None], end_group[:, None],
                               node_ids[None, :]), c_ship, sign)

        held = np.array([k for k, s in enumerate(stockpiles) if s.mineral in certified_minerals],
                        dtype=np.int64)

        def held_keys() -> list[tuple[str, int]]:
            return [(stockpiles[k].stockpile, n) for k in held.tolist() for n in every_node]
        c_stock = {}
        for name, plain in (("purchase", purchase), ("release", release), ("level", level)):
            c_stock[name] = columns.add(
                f"c_{name}", np.zeros(len(held) * nodes), np.full(len(held) * nodes, _INF),
                node=np.tile(node_ids, len(held)), keys=held_keys).reshape(len(held), nodes)
            within(name, c_stock[name], plain[held], held_keys)
        c_initial = np.array([stockpiles[k].certified_initial_t for k in held.tolist()])
        c_rhs = np.where(parent_of[None, :] < 0, c_initial[:, None], 0.0).ravel()
        c_stock_rows = rows.add("certified_stock", c_rhs, c_rhs,
                                keys=held_keys).reshape(len(held), nodes)
        rows.entries(c_stock_rows, c_stock["level"], 1.0)
        rows.entries(c_stock_rows, c_stock["purchase"], -1.0)
        rows.entries(c_stock_rows, c_stock["release"], 1.0)
        rows.entries(c_stock_rows[:, has_parent], c_stock["level"][:, parent_of[has_parent]],
                     -1.0)
        c_balance = c_row(stock_product[held][:, None], stock_group[held][:, None],
                          node_ids[None, :])
        rows.entries(c_balance, c_stock["release"], 1.0)
        rows.entries(c_balance, c_stock["purchase"], -1.0)

        short_keys = list(certified_demand)
        c_shortfall = columns.add("c_shortfall", np.zeros(len(short_keys)),
                                  np.array([certified_demand[k] for k in short_keys]),
                                  node=np.array([k[2] for k in short_keys], dtype=np.int64),
                                  keys=lambda: short_keys)
        short_group = np.array([region_index[r] * n_minerals + mineral_index[m]
                                for r, m, _ in short_keys], dtype=np.int64)
        short_at = np.array([k[2] for k in short_keys], dtype=np.int64)
        rows.entries(c_row(1, short_group, short_at), c_shortfall, 1.0)
        c_short_rows = rows.add("certified_shortfall", np.full(len(short_keys), -_INF),
                                np.zeros(len(short_keys)), keys=lambda: short_keys)
        rows.entries(c_short_rows, c_shortfall, 1.0)
        position = {(int(g), int(n)): i for i, (g, n) in enumerate(
            zip(short_group, short_at, strict=True))}
        tier_rows = [position.get((int(g), int(n)), -1) for g, n in zip(
            flat(group_parts).astype(np.int64), short_node, strict=True)]
        tiers = np.flatnonzero(np.array(tier_rows, dtype=np.int64) >= 0)
        rows.entries(c_short_rows[np.array(tier_rows, dtype=np.int64)[tiers]],
                     shortfall[tiers], -1.0)

    # ---- objective (§7)
    col_lower, col_upper, col_node, node_cost, first_stage = columns.arrays()
    node_weight = probability * discount[period_of]  # π_n δ_t
    at_node = col_node >= 0
    expected = first_stage.copy()
    expected[at_node] += node_weight[col_node[at_node]] * node_cost[at_node]
    constant = float(node_weight @ node_constant)

    settings = data.settings
    risk = settings.risk_weight
    if risk == 0.0:
        cost, offset = expected, constant
    else:
        # CVaR: min (1 − λ) E[C] + λ (η + Σ_s p_s excess_s / (1 − α)), excess_s ≥ C_s − η
        scenarios = data.scenarios
        n_scen = len(scenarios)
        scenario_names = [s.scenario for s in scenarios]
        eta = columns.add("eta", np.array([-_INF]), np.array([_INF]), keys=lambda: [None])
        excess = columns.add("excess", np.zeros(n_scen), np.full(n_scen, _INF),
                             keys=lambda: scenario_names)
        width = columns.count
        # node × scenario incidence: a node lies on the path of each of its scenarios
        scenario_index = {s.scenario: i for i, s in enumerate(scenarios)}
        inc_node = [n.id for n in tree.nodes for _ in n.scenarios]
        inc_scen = [scenario_index[s] for n in tree.nodes for s in n.scenarios]
        incidence = sp.csr_array((np.ones(len(inc_node)), (inc_node, inc_scen)),
                                 shape=(nodes, n_scen))
        costed = np.flatnonzero(at_node & (node_cost != 0.0))
        discounted = sp.diags_array(discount[period_of[col_node[costed]]]
                                    * node_cost[costed])
        # C_s(x) by scenario: Σ over the path's columns of δ_t × cost(n, t), plus capex
        scenario_cost = (discounted @ incidence[col_node[costed]]).T.tocoo()
        cvar_const = incidence.T @ (discount[period_of] * node_constant)
        cvar_rows = rows.add("cvar_excess", cvar_const, np.full(n_scen, _INF),
                             keys=lambda: scenario_names)
        rows.entries(cvar_rows[scenario_cost.row], costed[scenario_cost.col],
                     -scenario_cost.data)
        capex_columns = np.flatnonzero(first_stage)
        rows.entries(np.repeat(cvar_rows, len(capex_columns)),
                     np.tile(capex_columns, n_scen), -np.tile(first_stage[capex_columns], n_scen))
        rows.entries(cvar_rows, excess, 1.0)
        rows.entries(cvar_rows, np.repeat(eta, n_scen), 1.0)
        tail = 1.0 / (1.0 - settings.cvar_alpha)
        cost = np.zeros(width)
        cost[: len(expected)] = (1.0 - risk) * expected
        cost[eta] = risk
        cost[excess] = risk * tail * np.array([s.probability for s in scenarios])
        offset = (1.0 - risk) * constant
        col_lower = np.concatenate((col_lower, [-_INF], np.zeros(n_scen)))
        col_upper = np.concatenate((col_upper, [_INF], np.full(n_scen, _INF)))

    matrix, row_lower, row_upper, row_blocks, retained = rows.matrix(columns.count)
    return ReferenceLP(cost, offset, matrix, row_lower, row_upper, col_lower, col_upper,
                       dict(columns.blocks), row_blocks,
                       Keys(tuple(columns.keys), tuple(rows.keys), retained))


# ---------------------------------------------------------------- solving


def _quiet_highs() -> highspy.Highs:
    """A HiGHS instance without the banner it prints to standard output when first made
    in a process (it would corrupt a benchmark's table or JSON)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def solve(lp: ReferenceLP, threads: int | None = None) -> tuple[str, float | None, float]:
    """Solve with HiGHS's defaults (seed pinned as the pipeline pins it); returns the
    model status in words, the objective (None unless optimal) and highs.run() seconds."""
    highs = _quiet_highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 0)
    if threads is not None:
        highs.setOptionValue("threads", int(threads))
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = lp.columns, lp.rows
    model.col_cost_ = lp.cost
    model.offset_ = lp.offset
    model.col_lower_, model.col_upper_ = lp.col_lower, lp.col_upper
    model.row_lower_, model.row_upper_ = lp.row_lower, lp.row_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = lp.matrix.indptr
    model.a_matrix_.index_ = lp.matrix.indices
    model.a_matrix_.value_ = lp.matrix.data
    highs.passModel(model)
    started = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - started
    status = highs.getModelStatus()
    words = highs.modelStatusToString(status)
    if status != highspy.HighsModelStatus.kOptimal:
        return words, None, seconds
    return words, float(highs.getInfo().objective_function_value), seconds


def reference(derived: Derived, threads: int | None = None) -> ReferenceResult:
    """Assemble and solve the reference LP of ``derived``."""
    started = time.perf_counter()
    lp = assemble(derived)
    assembly = time.perf_counter() - started
    status, objective, seconds = solve(lp, threads)
    return ReferenceResult(status, objective, lp.columns, lp.rows, lp.nonzeros,
                           len(derived.tree.nodes), assembly, seconds)


def reference_of(data: ModelData, threads: int | None = None) -> ReferenceResult:
    """Derive ``data`` (§3, §4) and solve its reference LP."""
    return reference(derive(data), threads)


def agrees(reference_objective: float | None, objective: float | None) -> bool:
    """Whether two optimal objectives agree to :data:`RELATIVE_TOLERANCE`."""
    if reference_objective is None or objective is None:
        return False
    scale = max(1.0, abs(reference_objective), abs(objective))
    return abs(reference_objective - objective) <= RELATIVE_TOLERANCE * scale


def main(argv: Sequence[str]) -> int:
    """Print the reference objective of a case (and compare it with the pipeline's)."""
    from optimizer.workbook.validation import load

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", type=Path)
    parser.add_argument("--compare", action="store_true",
                        help="also solve with the optimizer's pipeline and compare")
    args = parser.parse_args(argv)
    data, _ = load(args.case)
    result = reference_of(data)
    sys.stdout.write(
        f"{args.case}: {result.status}; objective {result.objective!r}; "
        f"{result.columns} columns, {result.rows} rows, {result.nonzeros} nonzeros, "
        f"{result.nodes} nodes; assembly {result.assembly_seconds:.3f} s, "
        f"HiGHS {result.solve_seconds:.3f} s\n"
    )
    if not args.compare:
        return 0 if result.objective is not None else 1
    from optimizer.pipeline import optimize
    from optimizer.solve.highs import SolverOptions

    outcome = optimize(data, SolverOptions())
    columns, rows = outcome.lp.size
    same = agrees(result.objective, outcome.solution.objective)
    sys.stdout.write(
        f"pipeline: {outcome.solution.message}; objective {outcome.solution.objective!r}; "
        f"{columns} columns, {rows} rows, {outcome.lp.matrix.nnz} nonzeros\n"
        f"objective check: {'ok' if same else 'FAILED'}\n"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
