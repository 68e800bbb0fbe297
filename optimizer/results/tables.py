"""The detail tables of MODEL.md §8, complete, from the solution arrays.

One row per index and tree node, zero rows included (the *node form*): a node's
results are computed once however many scenarios pass through it. The per-scenario
view every sheet is declared in (a node's rows repeated under each scenario through
it, so each scenario reads as a complete plan) is :meth:`Tree.by_scenario`, a
vectorised repeat; the Parquet detail keeps the node form beside the tree, so that
view is one join away.

Pure and vectorised: values and duals are sliced from the solution by the
:class:`~optimizer.solve.highs.Layout`'s blocks, keys become integer positions into the
input's own lists (so rows sort in the input's order), and every column is an array
operation. Names are categoricals in input order; periods appear by name. Columns are
those of :mod:`optimizer.results.contract`, with ``node`` in place of ``scenario``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from optimizer.model import components
from optimizer.model.component import table_columns
from optimizer.model.derive import PRODUCT_OF_STAGE, PRODUCTS, Derived
from optimizer.results.accounting import TINY, clean
from optimizer.results.keys import positions, route_index
from optimizer.results.tree import Tree
from optimizer.solve.highs import CompiledLP, Solution, key_columns

DAYS_PER_YEAR = 365.0
BALANCES: tuple[tuple[str, str], ...] = (
    ("concentrate", "concentrate_balance"),  # MODEL.md §6.3
    ("refined", "refined_balance"),  # MODEL.md §6.4
)
# The detail tables: each one row per index and node; the keys (besides node) that
# name a row, and the columns whose non-zero values make a row worth reading (§8).
DETAIL_KEYS: dict[str, tuple[str, ...]] = {
    "production": ("facility",),
    "flows": ("origin", "destination", "mineral", "stage"),
    "stockpiles": ("stockpile",),
    "shortfalls": ("region", "mineral"),
    "prices": ("region", "mineral", "stage"),
    "dependence": ("mineral",),
}
DETAIL_SHEETS = tuple(DETAIL_KEYS)


def attribute(records: Sequence[Any], name: str, names: Sequence[str],
              index: np.ndarray) -> pd.Categorical:
    """Attribute ``name`` of ``records[index]`` as a categorical over ``names``, looked
    up once per record rather than once per row."""
    codes = positions([getattr(r, name) for r in records], names) if records \
        else np.zeros(0, dtype=np.int64)
    return pd.Categorical.from_codes(codes[index] if len(index) else np.zeros(0, np.int64),
                                     categories=_names(names))


def share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """``part ÷ whole``, NaN (a blank cell) where ``whole`` is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > TINY, part / np.where(whole > TINY, whole, 1.0), np.nan)


# ---------------------------------------------------------------- reading the solution


@dataclass(frozen=True)
class Solved:
    """An optimal solution read by block: values and duals as arrays with their keys."""

    derived: Derived
    lp: CompiledLP
    solution: Solution
    tree: Tree

    def values(self, name: str) -> np.ndarray:
        block = self.lp.layout.column_block(name)
        if block is None or self.solution.values is None:
            return np.zeros(0)
        return self.solution.values[block.start:block.stop]

    def duals(self, name: str) -> np.ndarray:
        block = self.lp.layout.row_block(name)
        if block is None or self.solution.duals is None:
            return np.zeros(0)
        return self.solution.duals[block.start:block.stop]

    def column_keys(self, name: str, width: int) -> tuple[Any, ...]:
        block = self.lp.layout.column_block(name)
        return tuple(np.zeros(0, dtype=object) for _ in range(width)) if block is None \
            else key_columns(block, width)

    def row_keys(self, name: str, width: int) -> tuple[Any, ...]:
        block = self.lp.layout.row_block(name)
        return tuple(np.zeros(0, dtype=object) for _ in range(width)) if block is None \
            else key_columns(block, width)

    @cached_property
    def facility_names(self) -> list[str]:
        return [f.facility for f in self.derived.data.facilities]

    def per_facility_node(self, name: str) -> np.ndarray:
        """A (facility, node) variable as a dense facility × node array (NaN where it
        does not exist)."""
        nodes = len(self.derived.tree.nodes)
        dense = np.full(len(self.facility_names) * nodes, np.nan)
        facility, node = self.column_keys(name, 2)
        if len(facility):
            cell = positions(facility, self.facility_names) * nodes + np.asarray(node, np.int64)
            dense[cell] = self.values(name)
        return dense.reshape(len(self.facility_names), nodes)

    @cached_property
    def built(self) -> np.ndarray:
        """New capacity by facility (0 where it cannot expand)."""
        built = np.zeros(len(self.facility_names))
        (facility,) = self.column_keys("build", 1)
        if len(facility):
            built[positions(facility, self.facility_names)] = self.values("build")
        return built


# ---------------------------------------------------------------- the detail tables


def production(solved: Solved) -> pd.DataFrame:
    """``production``: output against available capacity, per facility and node."""
    derived, tree = solved.derived, solved.tree
    facilities = derived.data.facilities
    count, nodes = len(facilities), len(derived.tree.nodes)
    output = np.nan_to_num(solved.per_facility_node("output"))
    take = solved.per_facility_node("contract_take")
    available = np.ones((count, nodes))
    index = {name: i for i, name in enumerate(solved.facility_names)}
    for (facility, node), factor in derived.capacity_factor.items():
        available[index[facility], node] = factor
    period_index = {p.period: i for i, p in enumerate(derived.data.periods)}
    online = np.array([period_index[f.online_period] for f in facilities], dtype=np.int64)
    existing = np.array([f.capacity_t for f in facilities], dtype=float)
    running = tree.period[None, :] >= online[:, None]
    capacity = available * (existing[:, None] + solved.built[:, None] * running) \
        * tree.years[None, :]
    of_row = np.repeat(np.arange(count), nodes)  # the facility of each row
    return pd.DataFrame({
        "facility": pd.Categorical.from_codes(of_row, categories=_names(solved.facility_names)),
        "node": np.tile(np.arange(nodes, dtype=np.int64), count),
        "region": attribute(facilities, "region", _regions(derived), of_row),
        "mineral": attribute(facilities, "mineral", _minerals(derived), of_row),
        "stage": attribute(facilities, "stage", list(PRODUCT_OF_STAGE), of_row),
        "output_t": clean(output.ravel()),
        "contract_take_t": clean(take.ravel()),
        "capacity_t": clean(capacity.ravel()),
        "utilisation": share(output.ravel(), capacity.ravel()),
    })


def flows(solved: Solved) -> pd.DataFrame:
    """``flows``: shipments on every route and node, with cost and border adjustment."""
    derived = solved.derived
    routes = derived.data.routes
    origin, destination, mineral, stage, node = solved.column_keys("ship", 5)
    route = route_index((origin, destination, mineral, stage), routes, _regions(derived),
                        _minerals(derived))
    node = np.asarray(node, dtype=np.int64)
    nodes = len(derived.tree.nodes)
    adjustment = np.zeros(len(routes) * nodes)
    for (index, at), amount in derived.border_adjustment.items():
        adjustment[index * nodes + at] = amount
    regions = _regions(derived)
    cost = np.array([r.cost_per_t for r in routes], dtype=float)
    return pd.DataFrame({
        "origin": attribute(routes, "origin", regions, route),
        "destination": attribute(routes, "destination", regions, route),
        "mineral": attribute(routes, "mineral", _minerals(derived), route),
        "stage": attribute(routes, "stage", PRODUCTS, route),
        "node": node,
        "flow_t": clean(solved.values("ship")),
        "cost_per_t": cost[route] if len(route) else np.zeros(0),
        "border_adjustment_per_t": adjustment[route * nodes + node] if len(node)
        else np.zeros(0),
    })


def stockpiles(solved: Solved) -> pd.DataFrame:
    """``stockpiles``: levels, purchases, releases, spend and cover per node."""
    derived, tree = solved.derived, solved.tree
    piles = derived.data.stockpiles
    names = [s.stockpile for s in piles]
    stockpile, node = solved.column_keys("level", 2)
    pile = positions(stockpile, names)
    node = np.asarray(node, dtype=np.int64)
    cell = pile * len(derived.tree.nodes) + node

    def by_cell(variable: str) -> np.ndarray:
        found, at = solved.column_keys(variable, 2)
        dense = np.zeros(len(piles) * len(derived.tree.nodes))
        if len(found):
            dense[positions(found, names) * len(derived.tree.nodes)
                  + np.asarray(at, np.int64)] = solved.values(variable)
        found_values: np.ndarray = dense[cell]
        return found_values

    level, purchase, release = by_cell("level"), by_cell("purchase"), by_cell("release")
    price = np.array([derived.market_price.get((piles[p].mineral, piles[p].stage, n), 0.0)
                      for p, n in zip(pile.tolist(), node.tolist(), strict=True)])
    demand = np.array([derived.demand_t.get((piles[p].region, piles[p].mineral, n), 0.0)
                       for p, n in zip(pile.tolist(), node.tolist(), strict=True)])
    daily = demand / (tree.years[node] * DAYS_PER_YEAR) if len(node) else demand
    return pd.DataFrame({
        "stockpile": pd.Categorical.from_codes(pile, categories=_names(names)),
        "node": node,
        "region": attribute(piles, "region", _regions(derived), pile),
        "mineral": attribute(piles, "mineral", _minerals(derived), pile),
        "stage": attribute(piles, "stage", PRODUCTS, pile),
        "level_t": clean(level),
        "purchase_t": clean(purchase),
        "release_t": clean(release),
        "spend": clean(purchase * price),
        "cover_days": clean(share(level, daily)),
    })


def shortfalls(solved: Solved) -> pd.DataFrame:
    """``shortfalls``: demand and unmet demand per region, mineral and node with demand."""
    derived = solved.derived
    regions = [r.region for r in derived.data.regions]
    minerals = [m.mineral for m in derived.data.minerals]
    nodes = len(derived.tree.nodes)
    demand = derived.demand_t
    keys = np.array([(a, b, n) for a, b, n in zip(
        positions([k[0] for k in demand], regions), positions([k[1] for k in demand], minerals),
        [k[2] for k in demand], strict=True)], dtype=np.int64).reshape(-1, 3)
    order = np.lexsort((keys[:, 2], keys[:, 1], keys[:, 0]))
    keys = keys[order]
    demanded = np.fromiter(demand.values(), dtype=float, count=len(demand))[order]
    unmet = np.zeros(len(regions) * len(minerals) * nodes)
    region, mineral, _, node = solved.column_keys("shortfall", 4)
    if len(node):
        cell = (positions(region, regions) * len(minerals) + positions(mineral, minerals)) \
            * nodes + np.asarray(node, np.int64)
        np.add.at(unmet, cell, solved.values("shortfall"))
    at = (keys[:, 0] * len(minerals) + keys[:, 1]) * nodes + keys[:, 2]
    short = unmet[at]
    return pd.DataFrame({
        "region": pd.Categorical.from_codes(keys[:, 0], categories=_names(regions)),
        "mineral": pd.Categorical.from_codes(keys[:, 1], categories=_names(minerals)),
        "node": keys[:, 2],
        "demand_t": clean(demanded),
        "shortfall_t": clean(short),
        "share": clean(share(short, demanded)),
    })


def reported_figures(solved: Solved) -> dict[str, float]:
    """The ``summary`` figures the components report, by name."""
    return {name: value for component in components()
            for name, value in component.reported.figures(solved).items()}


def floor_gap(floor: np.ndarray, market: np.ndarray) -> np.ndarray:
    """The one definition of a floor's price gap: max(0, floor − market price), the
    market price after price disruptions (blank counts as 0, as the model prices it) —
    the gap of the border adjustment (MODEL.md §3). A floor *binds* where it is
    positive; NaN where there is no floor. Price-gap support is this gap × member
    output (:mod:`optimizer.results.burden`)."""
    gap: np.ndarray = np.maximum(0.0, floor - np.nan_to_num(market, nan=0.0))
    return gap


def prices(solved: Solved) -> pd.DataFrame:
    """``prices``: marginal prices (balance duals ÷ (π_n δ_t)) against market and floor
    prices, per region, mineral, product and node with a balance row: the floor gap
    (:func:`floor_gap`), its share of the floor, and the marginal cost below the floor
    (max(0, floor − marginal price), a dual comparison, not the floor gap)."""
    derived, tree = solved.derived, solved.tree
    regions = [r.region for r in derived.data.regions]
    minerals = [m.mineral for m in derived.data.minerals]
    parts = []
    for stage, row_name in BALANCES:
        region, mineral, node = solved.row_keys(row_name, 3)
        node = np.asarray(node, dtype=np.int64)
        dual = solved.duals(row_name)
        weight = tree.weight[node]
        with np.errstate(divide="ignore", invalid="ignore"):
            marginal = np.where(weight > 0, dual / np.where(weight > 0, weight, 1.0), np.nan)
        market = np.array([derived.market_price.get((m, stage, n), np.nan)
                           for m, n in zip(mineral, node.tolist(), strict=True)], dtype=float)
        floors: Mapping[tuple[str, str, int], float] = derived.floor_price  # type: ignore[assignment]
        floor = np.array([floors.get((m, stage, t), np.nan)
                          for m, t in zip(mineral, tree.period[node].tolist(), strict=True)],
                         dtype=float)
        gap = floor_gap(floor, market)
        below = np.maximum(0.0, floor - marginal)  # NaN where either is blank
        parts.append(pd.DataFrame({
            "region": positions(region, regions), "mineral": positions(mineral, minerals),
            "stage": PRODUCTS.index(stage), "node": node,
            "marginal_price_per_t": clean(marginal), "market_price_per_t": market,
            "floor_price_per_t": floor, "floor_gap_per_t": clean(gap),
            "floor_gap_share": share(gap, floor),
            "marginal_below_floor_per_t": clean(below),
        }))
    frame = pd.concat(parts, ignore_index=True).sort_values(
        ["region", "mineral", "stage", "node"], kind="stable", ignore_index=True)
    for column, names in (("region", regions), ("mineral", minerals), ("stage", list(PRODUCTS))):
        frame[column] = pd.Categorical.from_codes(frame[column].to_numpy(),
                                                  categories=_names(names))
    return frame


def dependence(solved: Solved, stock: pd.DataFrame, moved: pd.DataFrame) -> pd.DataFrame:
    """``dependence``: zone supply of refined product by source, per mineral and node
    (see ``ZONE_SUPPLY_DEFINITION`` in the results contract)."""
    derived = solved.derived
    data = derived.data
    member = derived.zone_member
    minerals = [m.mineral for m in data.minerals]
    nodes = len(derived.tree.nodes)
    made = np.zeros((len(minerals), nodes))
    bought = np.zeros((len(minerals), nodes))
    output = np.nan_to_num(solved.per_facility_node("output"))
    for i, f in enumerate(data.facilities):
        if member[f.region] and PRODUCT_OF_STAGE[f.stage] == "refined":
            made[minerals.index(f.mineral)] += output[i]
    refined = stock[(stock["stage"] == "refined")
                    & stock["region"].map(member).astype(bool)]
    np.add.at(made, (positions(refined["mineral"], minerals), refined["node"].to_numpy()),
              refined["release_t"].to_numpy())
    moved = moved[moved["stage"] == "refined"]
    from_member = moved["origin"].map(member).astype(bool).to_numpy()
    to_member = moved["destination"].map(member).astype(bool).to_numpy()
    out = from_member & ~to_member
    into = ~from_member & to_member
    at = positions(moved["mineral"], minerals), moved["node"].to_numpy()
    np.subtract.at(made, (at[0][out], at[1][out]), moved["flow_t"].to_numpy()[out])
    np.add.at(bought, (at[0][into], at[1][into]), moved["flow_t"].to_numpy()[into])
    from_members = np.maximum(0.0, made).ravel()
    return pd.DataFrame({
        "mineral": pd.Categorical.from_codes(np.repeat(np.arange(len(minerals)), nodes),
                                             categories=_names(minerals)),
        "node": np.tile(np.arange(nodes, dtype=np.int64), len(minerals)),
        "from_members_t": clean(from_members),
        "from_non_members_t": clean(bought.ravel()),
        "non_member_share": clean(share(bought.ravel(), from_members + bought.ravel())),
    })


def expansions(solved: Solved) -> pd.DataFrame:
    """``expansions``: one row per expandable facility."""
    annual = solved.derived.annualised_capex
    rows = [
        (f.facility, f.region, f.mineral, f.stage, f.online_period,
         "yes" if f.committed else "no", f.expandable_t,
         solved.built[i], solved.built[i] * f.capex_per_t,
         solved.built[i] * annual.get(f.facility, 0.0))
        for i, f in enumerate(solved.derived.data.facilities)
        if f.expandable_t > 0
    ]
    frame = pd.DataFrame(rows, columns=[
        "facility", "region", "mineral", "stage", "online_period", "committed",
        "expandable_t", "built_t", "capex", "annualised_cost"]).astype(
        {"expandable_t": float, "built_t": float, "capex": float, "annualised_cost": float})
    for column in ("built_t", "capex", "annualised_cost"):
        frame[column] = clean(frame[column].to_numpy())
    for column in ("facility", "region", "mineral", "stage", "online_period", "committed"):
        frame[column] = frame[column].astype(object)
    return frame


def detail_tables(solved: Solved) -> dict[str, pd.DataFrame]:
    """Every detail table in node form, complete: one row per index and node, a
    ``period`` column beside ``node``."""
    moved, stock = flows(solved), stockpiles(solved)
    tables = {
        "production": production(solved), "flows": moved, "stockpiles": stock,
        "shortfalls": shortfalls(solved), "prices": prices(solved),
        "dependence": dependence(solved, stock, moved),
    }
    listed = components()
    for name, frame in tables.items():  # the columns the instruments add
        for added in table_columns(listed, name):
            for column, values in added.compute(solved, frame).items():
                frame[column] = clean(np.asarray(values, dtype=float))
    for frame in tables.values():
        at = list(frame.columns).index("node") + 1
        frame.insert(at, "period", pd.Series(
            solved.tree.period_column(frame["node"].to_numpy(dtype=np.int64)), index=frame.index))
    return tables


def _regions(derived: Derived) -> list[str]:
    return [r.region for r in derived.data.regions]


def _minerals(derived: Derived) -> list[str]:
    return [m.mineral for m in derived.data.minerals]


def _names(names: Iterable[str]) -> pd.Index:
    return pd.Index(list(names), dtype=object)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its categoricals as plain text columns (as a workbook holds them)."""
    return frame.astype({c: object for c, t in frame.dtypes.items()
                         if isinstance(t, pd.CategoricalDtype)})
