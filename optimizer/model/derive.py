"""Data derived before the model is built (MODEL.md §3), computed once.

Everything here is plain, typed data keyed by names and node ids: discount factors,
annualised capex, the scenario tree, disruption multipliers per node, export caps,
border adjustments and shortfall-tier widths. No Pyomo object exists yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from optimizer.data import Disruption, Facility, ModelData, Product, Route
from optimizer.model.tree import ScenarioTree, build_tree

PRODUCTS: tuple[Product, ...] = ("concentrate", "refined")
PRODUCT_OF_STAGE: Mapping[str, Product] = {
    "mine": "concentrate",
    "refine": "refined",
    "recycle": "refined",
}


@dataclass(frozen=True, slots=True)
class ExportCap:
    """One active export row at one node, for one region, mineral and stage (§3).

    Shipments on ``routes`` may not exceed ``factor`` × the available capacity of
    ``facilities`` (new capacity included) × years.
    """

    node: int
    region: str
    mineral: str
    stage: Product
    destination: str | None
    factor: float
    routes: tuple[int, ...]  # indices into ModelData.routes
    facilities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TierStep:
    """A shortfall tier as the model uses it: a share of demand and its penalty."""

    tier: int  # 1, 2, ... in ascending share
    width: float  # this tier's share minus the previous tier's share
    penalty_per_t: float


@dataclass(frozen=True, slots=True)
class Derived:
    """The model data plus everything §3 and §4 derive from it."""

    data: ModelData
    tree: ScenarioTree
    years: tuple[float, ...]  # by period index
    discount: tuple[float, ...]  # δ_t by period index
    annualised_capex: Mapping[str, float]  # facility -> per (t/yr) and year
    capacity_factor: Mapping[tuple[str, int], float]  # (facility, node); absent means 1
    demand_t: Mapping[tuple[str, str, int], float]  # (region, mineral, node): t in the period
    route_factor: Mapping[tuple[int, int], float]  # (route, node); absent means 1
    market_price: Mapping[tuple[str, str, int], float]  # (mineral, stage, node)
    floor_price: Mapping[tuple[str, Product, int], float]  # (mineral, stage, period); floors
    border_adjustment: Mapping[tuple[int, int], float]  # (route, node): tariff + floor gap
    export_caps: tuple[ExportCap, ...]
    release_allowed: frozenset[tuple[str, int]]  # (stockpile, node) where release may happen
    contract_t: Mapping[tuple[str, int], float]  # (facility, period): Σ active contract_t, t/yr
    contract_payment: Mapping[tuple[str, int], float]  # (facility, period): Σ price × t, per yr
    tiers: Mapping[str, tuple[TierStep, ...]]  # by mineral
    zone_member: Mapping[str, bool]

    def period_of(self, node: int) -> int:
        return self.tree.nodes[node].period


def discount_factors(data: ModelData) -> tuple[float, ...]:
    """δ_t = (1 + rate)^−(years of all periods before t)."""
    rate = data.settings.discount_rate
    factors, elapsed = [], 0.0
    for period in data.periods:
        factors.append((1.0 + rate) ** -elapsed)
        elapsed += period.years
    return tuple(factors)


def annualised_capex(facility: Facility, rate: float) -> float:
    """capex × r / (1 − (1 + r)^−lifetime), or capex / lifetime when r = 0."""
    if facility.capex_per_t == 0.0:
        return 0.0
    if rate == 0.0:
        return facility.capex_per_t / facility.lifetime_years
    return float(
        facility.capex_per_t * rate / (1.0 - (1.0 + rate) ** -facility.lifetime_years)
    )


SUPPLY_KINDS = frozenset({"capacity", "export", "route"})


def unlocks_release(row: Disruption) -> bool:
    """Whether an active disruption row lets a stockpile of its mineral release when
    the stockpile needs a disruption (MODEL.md §6.6): only supply rows do — capacity,
    export and route rows, and demand rows with a factor above 1 (a surge). A price row
    or a fall in demand never does: a Vault buys in a price collapse, it does not sell."""
    return row.kind in SUPPLY_KINDS or (row.kind == "demand" and row.factor > 1.0)


def _matches(row_value: str | None, value: str) -> bool:
    """A disruption cell matches a value when it is a wildcard or equal."""
    return row_value is None or row_value == value


def _product(rows: tuple[Disruption, ...], kind: str, *keys: tuple[str, str]) -> float:
    """The product of the factors of the active rows of ``kind`` whose every
    (column, value) pair matches; several matching rows multiply (§3)."""
    factor = 1.0
    for row in rows:
        if row.kind == kind and all(_matches(getattr(row, c), v) for c, v in keys):
            factor *= row.factor
    return factor


def _export_caps(data: ModelData, tree: ScenarioTree) -> tuple[ExportCap, ...]:
    """One cap per active export row, node and matching region, mineral and stage (§3).

    A cap whose destinations have no route is dropped (§11).
    """
    routes_out: dict[tuple[str, str, str], list[tuple[int, Route]]] = defaultdict(list)
    for index, route in enumerate(data.routes):
        routes_out[route.origin, route.mineral, route.stage].append((index, route))
    producers: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for f in data.facilities:
        producers[f.region, f.mineral, PRODUCT_OF_STAGE[f.stage]].append(f.facility)

    def matched(row: Disruption) -> list[tuple[str, str, Product, tuple[int, ...],
                                               tuple[str, ...]]]:
        """What a row caps wherever it is active: (region, mineral, stage, routes,
        facilities) for each region, mineral and stage it matches that has a route."""
        found = []
        for region in data.regions:
            for mineral in data.minerals:
                for stage in PRODUCTS:
                    if not (_matches(row.region, region.region)
                            and _matches(row.mineral, mineral.mineral)
                            and _matches(row.stage, stage)):
                        continue
                    key = (region.region, mineral.mineral, stage)
                    covered = tuple(
                        i for i, r in routes_out.get(key, [])
                        if _matches(row.destination, r.destination)
                    )
                    if covered:
                        found.append((*key, covered, tuple(producers.get(key, []))))
        return found

    # a row is active at many nodes, and scenarios repeat rows: match each kind of row once
    matches: dict[tuple[str | None, ...], list[tuple[str, str, Product, tuple[int, ...],
                                                   tuple[str, ...]]]] = {}
    caps: list[ExportCap] = []
    for node in tree.nodes:
        for row in node.active:
            if row.kind != "export":
                continue
            key = (row.region, row.mineral, row.stage, row.destination)
            if key not in matches:
                matches[key] = matched(row)
            caps.extend(
                ExportCap(node.id, region, mineral, stage, row.destination, row.factor,
                          covered, facilities)
                for region, mineral, stage, covered, facilities in matches[key]
            )
    return tuple(caps)


def derive(data: ModelData) -> Derived:
    """Compute §3 and §4 from the validated data."""
    tree = build_tree(data)
    periods = {p.period: i for i, p in enumerate(data.periods)}
    member = {r.region: r.zone_member for r in data.regions}
    capacity_factor: dict[tuple[str, int], float] = {}
    route_factor: dict[tuple[int, int], float] = {}
    demand_t: dict[tuple[str, str, int], float] = {}
    market: dict[tuple[str, str, int], float] = {}
    border: dict[tuple[int, int], float] = {}
    release: set[tuple[str, int]] = set()

    demand_by_period = defaultdict(list)
    for d in data.demand:
        demand_by_period[periods[d.period]].append(d)
    prices = {(p.mineral, p.stage, periods[p.period]): p for p in data.prices}
    floor = {
        key: p.floor_price_per_t
        for key, p in prices.items()
        if p.floor_price_per_t is not None
    }

    prices_by_period = defaultdict(list)
    for (mineral, stage, period), price in prices.items():
        prices_by_period[period].append((mineral, stage, price))
    # only routes with a tariff, or into the zone, can carry a border adjustment
    charged = [(index, route) for index, route in enumerate(data.routes)
               if route.tariff_per_t or (not member[route.origin] and member[route.destination])]

    for node in tree.nodes:
        t = node.period
        years = data.periods[t].years
        # each kind of row acts on its own things; a node without any leaves them at 1
        rows = {kind: tuple(r for r in node.active if r.kind == kind)
                for kind in ("capacity", "demand", "route", "price")}
        if rows["capacity"]:
            for f in data.facilities:
                factor = _product(rows["capacity"], "capacity", ("region", f.region),
                                  ("mineral", f.mineral), ("stage", f.stage))
                if factor != 1.0:
                    capacity_factor[f.facility, node.id] = factor
        for d in demand_by_period[t]:
            factor = _product(rows["demand"], "demand", ("region", d.region),
                              ("mineral", d.mineral))
            demand_t[d.region, d.mineral, node.id] = d.demand_t * factor * years
        for mineral, stage, price in prices_by_period[t]:
            market[mineral, stage, node.id] = price.market_price_per_t * _product(
                rows["price"], "price", ("mineral", mineral), ("stage", stage)
            )
        if rows["route"]:
            for index, route in enumerate(data.routes):
                factor = _product(
                    rows["route"], "route", ("region", route.origin),
                    ("destination", route.destination), ("mineral", route.mineral),
                    ("stage", route.stage),
                )
                if factor != 1.0:
                    route_factor[index, node.id] = factor
        for index, route in charged:
            adjustment = route.tariff_per_t
            if not member[route.origin] and member[route.destination]:
                gap = floor.get((route.mineral, route.stage, t))
                if gap is not None:
                    adjustment += max(0.0, gap - market.get((route.mineral, route.stage, node.id),
                                                            0.0))
            if adjustment:
                border[index, node.id] = adjustment
        for stockpile in data.stockpiles:
            if not stockpile.release_needs_disruption or any(
                unlocks_release(r) and _matches(r.mineral, stockpile.mineral)
                for r in node.active
            ):
                release.add((stockpile.stockpile, node.id))

    contract_t: dict[tuple[str, int], float] = defaultdict(float)
    payment: dict[tuple[str, int], float] = defaultdict(float)
    for offtake in data.offtakes:
        for t in range(periods[offtake.start_period], periods[offtake.end_period] + 1):
            contract_t[offtake.facility, t] += offtake.contract_t
            payment[offtake.facility, t] += offtake.contract_t * offtake.contract_price_per_t

    return Derived(
        data=data,
        tree=tree,
        years=tuple(p.years for p in data.periods),
        discount=discount_factors(data),
        annualised_capex={
            f.facility: annualised_capex(f, data.settings.discount_rate)
            for f in data.facilities
            if f.expandable_t > 0
        },
        capacity_factor=capacity_factor,
        demand_t=demand_t,
        route_factor=route_factor,
        market_price=market,
        floor_price=floor,
        border_adjustment=border,
        export_caps=_export_caps(data, tree),
        release_allowed=frozenset(release),
        contract_t=dict(contract_t),
        contract_payment=dict(payment),
        tiers={
            mineral: tuple(
                TierStep(i + 1, tier.up_to_share - (steps[i - 1].up_to_share if i else 0.0),
                         tier.penalty_per_t)
                for i, tier in enumerate(steps)
            )
            for mineral, steps in data.tiers.items()
        },
        zone_member=member,
    )
