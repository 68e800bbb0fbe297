"""Generate synthetic input workbooks of any size for benchmarks and tests.

A generated case is valid (``optimizer validate``), feasible and not trivial: every
mechanism of MODEL.md is exercised and most of the LP survives HiGHS's presolve.

- Regions are zone members (``Z..``) or not (``N..``); non-members produce more cheaply.
- Every mineral has mines, refineries (concentrate of their own region at a yield) and
  recyclers; some facilities are expandable at a capex low enough to be built, online
  from a given period, under an expansion budget that binds.
- Demand grows from period to period (a wildcard row for the first period, a row per
  later period that overrides it); shortfall is priced in tiers.
- Routes leave every region for ``routes_per_region`` others, most carrying every
  mineral and stage, some overridden by a more specific row with a capacity.
- Refined prices have floors above the market for most minerals (so the border
  adjustment bites) and below it for some (so only a price fall makes them bind).
- Stockpiles sit in members, some only released in a disruption of their mineral, some
  with a fill target, all under a stockpile budget; some facilities have offtakes.
- Scenarios: one calm scenario stays on the trunk; the others come in ``families``.
  A family shares a start period and its rows (an export ban or quota by a non-member
  producer, a price spike or fall), so its scenarios share tree nodes off the trunk,
  then each member but the first diverges ``diverge_after`` periods later with a row of
  its own (capacity, route, demand surge or another export cap).

Everything depends on the arguments and the seed only (numpy's seeded generator, a
fixed workbook creation date), so the same call writes the same workbook.

    python benchmarks/generate.py OUT.xlsx --preset 1m
    python benchmarks/generate.py OUT.xlsx --regions 28 --minerals 10 --periods 20 \
        --scenarios 40 --families 8 --routes-per-region 6 --seed 0
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter

Record = dict[str, Any]
Tables = dict[str, list[Record]]

# The creation date written into the workbook's properties: fixed, so that the same
# arguments give the same file.
CREATED = dt.datetime(2026, 1, 1)


@dataclass(frozen=True, slots=True)
class Knobs:
    """The size and shape of a generated case."""

    regions: int = 8
    minerals: int = 3
    periods: int = 6
    scenarios: int = 6
    families: int = 2  # scenario families sharing a disruption start
    routes_per_region: int = 3  # route rows leaving each region
    facilities_per_region: float = 3.0  # mines, refineries and recyclers, on average
    stockpiles_per_member: float = 1.0  # stockpiles per zone member, on average
    member_share: float = 0.5  # share of regions in the zone
    diverge_after: int = 2  # periods between a family's start and its members' divergence
    risk_weight: float = 0.0
    zone_exclusive: bool = False
    seed: int = 0


# Sizes the project quotes, at seed 0 (variables / constraints / tree nodes, as the
# pipeline and the reference LP both count them): tiny 2,600 / 863 / 18;
# 50k 49,632 / 10,986 / 59; 275k 282,761 / 70,867 / 153; 1m 1,030,179 / 206,435 / 287;
# 2m 1,981,554 / 505,576 / 552.
PRESETS: Mapping[str, Knobs] = {
    "tiny": Knobs(regions=6, minerals=3, periods=6, scenarios=5, families=2,
                  routes_per_region=3, facilities_per_region=3.0, diverge_after=1),
    "50k": Knobs(regions=13, minerals=6, periods=10, scenarios=12, families=3,
                 routes_per_region=5, facilities_per_region=5.0, diverge_after=2),
    "275k": Knobs(regions=24, minerals=8, periods=16, scenarios=24, families=6,
                  routes_per_region=4, facilities_per_region=6.0, diverge_after=5),
    "1m": Knobs(regions=28, minerals=10, periods=20, scenarios=40, families=8,
                routes_per_region=6, facilities_per_region=10.0, stockpiles_per_member=2.0,
                diverge_after=6),
    "2m": Knobs(regions=32, minerals=12, periods=24, scenarios=56, families=10,
                routes_per_region=4, facilities_per_region=9.0, diverge_after=4),
}

_DEFAULTS = Knobs()
# The kinds of row that set a family's members apart, in turn.
_OWN_KINDS = ("capacity", "route", "demand", "export")
_GROUPS = ("Americas", "Europe", "Asia", "Oceania", "Africa")


def _round(value: float, digits: int = 3) -> float:
    """A figure rounded to ``digits`` significant digits, as planners write them."""
    if value == 0.0:
        return 0.0
    return float(f"{value:.{digits}g}")


class _Case:
    """Builds the tables of one case from its knobs with one seeded generator."""

    def __init__(self, knobs: Knobs) -> None:
        if knobs.regions < 2 or knobs.minerals < 1 or knobs.periods < 2:
            raise ValueError("a case needs at least 2 regions, 1 mineral and 2 periods")
        if knobs.scenarios < 1 or knobs.routes_per_region < 1:
            raise ValueError("a case needs at least 1 scenario and 1 route per region")
        self.k = knobs
        self.rng = np.random.default_rng(knobs.seed)
        self.tables: Tables = {}

    # ------------------------------------------------------------ the sheets

    def build(self) -> Tables:
        self._regions()
        self._minerals()
        self._periods()
        self._demand()
        self._facilities()
        self._routes()
        self._prices()
        self._stockpiles()
        self._offtakes()
        self._scenarios()
        self._tiers()
        self._settings()
        order = ("settings", "regions", "minerals", "periods", "facilities", "routes",
                 "demand", "prices", "stockpiles", "offtakes", "scenarios", "disruptions",
                 "shortfall_tiers")
        return {name: self.tables[name] for name in order}

    def _regions(self) -> None:
        count = self.k.regions
        members = min(count - 1, max(1, round(self.k.member_share * count)))
        is_member = np.zeros(count, dtype=bool)
        is_member[self.rng.permutation(count)[:members]] = True
        self.member = is_member
        self.regions = [f"{'Z' if m else 'N'}{i + 1:02d}" for i, m in enumerate(is_member)]
        self.tables["regions"] = [
            {"region": name, "zone_member": "yes" if m else "no",
             "name": f"{'Member' if m else 'Partner'} {i + 1}",
             "group": _GROUPS[int(self.rng.integers(len(_GROUPS)))]}
            for i, (name, m) in enumerate(zip(self.regions, is_member, strict=True))
        ]

    def _minerals(self) -> None:
        count = self.k.minerals
        # refined prices from 3,000 to 300,000 USD/t and world demand from 2 to 200 kt/yr,
        # spread evenly on a log scale as real critical minerals are
        self.price = np.array([_round(v) for v in np.exp(
            self.rng.uniform(np.log(3e3), np.log(3e5), count))])
        self.world = np.array([_round(v) for v in np.exp(
            self.rng.uniform(np.log(2e3), np.log(2e5), count))])
        self.minerals = [f"m{i + 1:02d}" for i in range(count)]
        self.tables["minerals"] = [
            {"mineral": name, "shortfall_penalty_per_t": 6.0 * self.price[i],
             "description": f"synthetic mineral {i + 1}, refined product, t"}
            for i, name in enumerate(self.minerals)
        ]

    def _periods(self) -> None:
        count = self.k.periods
        # half-year periods first (the near term in detail), then years: tests period
        # lengths in rates, discounting and annualised capex
        halves = count // 4 if count >= 4 else 0
        self.years = np.array([0.5] * halves + [1.0] * (count - halves))
        self.elapsed = np.concatenate(([0.0], np.cumsum(self.years)[:-1]))
        self.periods = [f"t{i + 1:02d}" for i in range(count)]
        self.tables["periods"] = [
            {"period": name, "years": float(y)}
            for name, y in zip(self.periods, self.years, strict=True)
        ]

    def _demand(self) -> None:
        rng, k = self.rng, self.k
        horizon = float(self.years.sum())
        self.demand = np.zeros((k.regions, k.minerals))  # first-period t/yr
        records: list[Record] = []
        for m in range(k.minerals):
            has = rng.random(k.regions) < np.where(self.member, 0.75, 0.6)
            if not has[self.member].any():
                has[int(np.flatnonzero(self.member)[0])] = True
            shares = rng.dirichlet(np.ones(int(has.sum())))
            self.demand[has, m] = [_round(self.world[m] * s) for s in shares]
            # 20-60% more demand at the end of the horizon than at its start
            growth = rng.uniform(1.2, 1.6) ** (1.0 / horizon) - 1.0
            for r in np.flatnonzero(has):
                base = self.demand[r, m]
                records.append({"region": self.regions[r], "mineral": self.minerals[m],
                                "period": "*", "demand_t": base})
                records.extend(
                    {"region": self.regions[r], "mineral": self.minerals[m],
                     "period": self.periods[t],
                     "demand_t": _round(base * (1.0 + growth) ** self.elapsed[t], 4)}
                    for t in range(1, k.periods)
                )
        self.tables["demand"] = records

    def _pick(self, count: int, weights: np.ndarray) -> np.ndarray:
        """``count`` distinct regions drawn with ``weights`` (where positive)."""
        candidates = np.flatnonzero(weights > 0)
        count = min(count, len(candidates))
        p = weights[candidates] / weights[candidates].sum()
        return np.sort(self.rng.choice(candidates, size=count, replace=False, p=p))

    def _facilities(self) -> None:
        rng, k = self.rng, self.k
        total = max(3 * k.minerals, round(k.facilities_per_region * k.regions))
        per_mineral = np.full(k.minerals, total // k.minerals)
        per_mineral[: total % k.minerals] += 1
        members = self.member.astype(float)
        others = 1.0 - members
        self.facilities: list[Record] = []
        self.producers: dict[tuple[int, int, str], float] = {}  # (region, mineral, stage)
        for m in range(k.minerals):
            n = int(per_mineral[m])
            n_recycle = max(1, round(0.15 * n))
            n_mine = max(1, round(0.4 * n))
            n_refine = max(1, n - n_mine - n_recycle)
            mines = self._pick(n_mine, 2.0 * others + members)
            refineries = self._pick(n_refine, 1.5 * others + members)
            if not self.member[refineries].any():  # allied refining to expand
                refineries[0] = int(rng.choice(np.flatnonzero(self.member)))
                refineries = np.unique(refineries)
            recyclers = self._pick(n_recycle, members)
            refined_capacity = 1.1 * self.world[m]  # spare capacity for the first years
            split = rng.dirichlet(np.ones(len(refineries) + len(recyclers)) * 2.0)
            split[len(refineries):] *= 0.3  # recycling is a small part of supply
            split *= refined_capacity / split.sum()
            yields = np.round(rng.uniform(0.6, 0.95, len(refineries)), 2)
            concentrate = 1.1 * float(np.sum(split[: len(refineries)] / yields))
            mine_split = rng.dirichlet(np.ones(len(mines)) * 2.0) * concentrate
            for r, capacity in zip(mines, mine_split, strict=True):
                self._facility(r, m, "mine", capacity, rng.uniform(0.15, 0.25))
            for r, capacity, y in zip(refineries, split[: len(refineries)], yields, strict=True):
                self._facility(r, m, "refine", capacity, rng.uniform(0.1, 0.2), float(y))
            for r, capacity in zip(recyclers, split[len(refineries):], strict=True):
                self._facility(r, m, "recycle", capacity, rng.uniform(0.5, 0.8))
        self.tables["facilities"] = self.facilities

    def _facility(self, r: int, m: int, stage: str, capacity: float, cost_share: float,
                  yield_: float | None = None) -> None:
        """One facility; members' facilities cost more to run and are often expandable."""
        rng, member = self.rng, bool(self.member[r])
        capacity = max(1.0, _round(capacity))
        record: Record = {
            "facility": f"{self.regions[r]}-{self.minerals[m]}-{stage}",
            "region": self.regions[r], "mineral": self.minerals[m], "stage": stage,
            "capacity_t": capacity,
            "unit_cost_per_t": _round(self.price[m] * cost_share * (1.0 if member else 0.75)),
        }
        if yield_ is not None:
            record["yield"] = yield_
        if rng.random() < (0.7 if member else 0.2):
            # capex of 0.4-1.5 years of revenue per t/yr: cheap beside a shortfall
            record.update({
                "expandable_t": _round(capacity * rng.uniform(0.3, 1.0)),
                "capex_per_t": _round(self.price[m] * rng.uniform(0.4, 1.5)),
                "lifetime_years": int(rng.choice([15, 20, 25, 30])),
                "online_period": self.periods[int(rng.integers(0, self.k.periods // 2 + 1))],
            })
        self.facilities.append(record)
        self.producers[r, m, stage] = capacity

    def _routes(self) -> None:
        rng, k = self.rng, self.k
        records: list[Record] = []
        self.route_pairs: list[tuple[int, int]] = []
        typical = float(np.median(self.world))
        for origin in range(k.regions):
            others = np.array([r for r in range(k.regions) if r != origin])
            count = min(k.routes_per_region, len(others))
            for destination in np.sort(rng.choice(others, size=count, replace=False)):
                self.route_pairs.append((origin, int(destination)))
                into_zone = not self.member[origin] and self.member[destination]
                row: Record = {
                    "origin": self.regions[origin], "destination": self.regions[destination],
                    "mineral": "*", "stage": "*",
                    "cost_per_t": _round(rng.uniform(20, 300)),
                    "capacity_t": None,
                    "tariff_per_t": _round(rng.uniform(10, 200))
                    if into_zone and rng.random() < 0.5 else 0.0,
                }
                draw = rng.random()
                if draw < 0.25:  # a route for one mineral only, at its own capacity
                    m = int(rng.integers(k.minerals))
                    row.update({"mineral": self.minerals[m],
                                "capacity_t": _round(0.1 * self.world[m])})
                elif draw < 0.4:  # a shared link with a capacity per mineral and stage
                    row["capacity_t"] = _round(0.3 * typical)
                records.append(row)
                if row["mineral"] == "*" and rng.random() < 0.2:
                    # a more specific row overrides the wildcard for one refined product
                    m = int(rng.integers(k.minerals))
                    records.append({**row, "mineral": self.minerals[m], "stage": "refined",
                                    "cost_per_t": _round(float(row["cost_per_t"]) * 1.5),
                                    "capacity_t": _round(0.05 * self.world[m])})
        records.extend(self._supply_links(records))
        self.tables["routes"] = records

    def _supply_links(self, records: list[Record]) -> list[Record]:
        """A backbone of unlimited routes, one mineral and product each, so that every
        chain can run in calm: concentrate out of each mine region its refineries cannot
        absorb and into each refinery region short of concentrate, refined product out
        of each region making more than it uses and into each region using more than it
        makes. Each goes to (or comes from) the largest counterpart not yet linked."""
        k = self.k
        region = {name: i for i, name in enumerate(self.regions)}
        unlimited: set[tuple[int, int, str, str]] = set()  # (origin, destination, mineral, stage)
        taken: set[tuple[int, int, str, str]] = set()  # keys of rows naming a mineral
        for row in records:
            o, d = region[row["origin"]], region[row["destination"]]
            minerals = self.minerals if row["mineral"] == "*" else [row["mineral"]]
            stages = ("concentrate", "refined") if row["stage"] == "*" else (row["stage"],)
            if row["mineral"] != "*":
                taken.update((o, d, row["mineral"], s) for s in stages)
            if row["capacity_t"] is None:
                unlimited.update((o, d, m, s) for m in minerals for s in stages)
        links: list[Record] = []

        def link(ends: list[tuple[float, int]], fixed: int, outward: bool, m: int,
                 stage: str) -> None:
            name = self.minerals[m]

            def key(other: int) -> tuple[int, int, str, str]:
                return (fixed, other, name, stage) if outward else (other, fixed, name, stage)

            others = [(size, r) for size, r in sorted(ends, reverse=True) if r != fixed]
            if any(key(r) in unlimited for _, r in others):
                return
            free = [r for _, r in others if key(r) not in taken]
            if not free:
                return
            o, d, _, _ = key(free[0])
            unlimited.add(key(free[0]))
            taken.add(key(free[0]))
            links.append({
                "origin": self.regions[o], "destination": self.regions[d],
                "mineral": name, "stage": stage,
                "cost_per_t": _round(self.rng.uniform(50, 400)), "capacity_t": None,
                "tariff_per_t": 0.0,
            })

        for m in range(k.minerals):
            def capacity(stages: tuple[str, ...], m: int = m) -> np.ndarray:
                return np.array([sum(self.producers.get((r, m, s), 0.0) for s in stages)
                                 for r in range(k.regions)])

            mined = capacity(("mine",))
            refining = capacity(("refine",))
            # concentrate a region's refineries need, at a typical yield of 0.8
            needs = refining / 0.8
            made = refining + capacity(("recycle",))
            used = self.demand[:, m]
            sinks = [(float(needs[r]), r) for r in range(k.regions) if needs[r] > 0]
            sources = [(float(mined[r]), r) for r in range(k.regions) if mined[r] > 0]
            for r in range(k.regions):
                if mined[r] > needs[r]:
                    link(sinks, r, True, m, "concentrate")
                if needs[r] > mined[r]:
                    link(sources, r, False, m, "concentrate")
            sinks = [(float(used[r]), r) for r in range(k.regions) if used[r] > 0]
            sources = [(float(made[r]), r) for r in range(k.regions) if made[r] > 0]
            for r in range(k.regions):
                if made[r] > used[r]:
                    link(sinks, r, True, m, "refined")
                if used[r] > made[r]:
                    link(sources, r, False, m, "refined")
        return links

    def _prices(self) -> None:
        rng, k = self.rng, self.k
        records: list[Record] = []
        for m, name in enumerate(self.minerals):
            draw = rng.random()
            floor: float | None = None
            if draw < 0.6:  # above the market: imports into the zone pay the gap
                floor = _round(self.price[m] * rng.uniform(1.05, 1.3))
            elif draw < 0.8:  # below it: binds only when the price falls
                floor = _round(self.price[m] * rng.uniform(0.8, 0.95))
            records.append({"mineral": name, "stage": "refined", "period": "*",
                            "market_price_per_t": self.price[m], "floor_price_per_t": floor})
            records.append({"mineral": name, "stage": "concentrate", "period": "*",
                            "market_price_per_t": _round(0.35 * self.price[m]),
                            "floor_price_per_t": None})
        # the first mineral's market firms up in the second half of the horizon
        records.extend(
            {"mineral": self.minerals[0], "stage": "refined", "period": self.periods[t],
             "market_price_per_t": _round(self.price[0] * 1.1),
             "floor_price_per_t": records[0]["floor_price_per_t"]}
            for t in range(k.periods // 2, k.periods)
        )
        self.tables["prices"] = records

    def _stockpiles(self) -> None:
        rng, k = self.rng, self.k
        members = np.flatnonzero(self.member)
        count = max(1, round(k.stockpiles_per_member * len(members)))
        pairs = [(int(r), m) for r in members for m in range(k.minerals)]
        weight = np.array([2.0 if self.demand[r, m] > 0 else 1.0 for r, m in pairs])
        chosen = rng.choice(len(pairs), size=min(count, len(pairs)), replace=False,
                            p=weight / weight.sum())
        horizon = float(self.years.sum())
        records: list[Record] = []
        self.fill_spend = 0.0  # the most the fill targets can cost, price spikes included
        self.stock_value = 0.0
        for index in np.sort(chosen):
            r, m = pairs[index]
            stage = "concentrate" if rng.random() < 0.15 else "refined"
            price = self.price[m] * (0.35 if stage == "concentrate" else 1.0)
            capacity = _round(max(0.3 * self.demand[r, m], 0.01 * self.world[m]))
            initial = 0.0 if rng.random() < 0.3 else _round(0.3 * capacity)
            record: Record = {
                "stockpile": f"vault-{self.regions[r]}-{self.minerals[m]}", "stage": stage,
                "region": self.regions[r], "mineral": self.minerals[m],
                "capacity_t": capacity, "initial_t": initial,
                "min_level_t": _round(0.5 * initial) if rng.random() < 0.5 else 0.0,
                "max_release_t": _round(0.5 * capacity) if rng.random() < 0.7 else None,
                "max_purchase_t": _round(0.35 * capacity),
                "holding_cost_per_t": _round(0.02 * price),
                "release_needs_disruption": "yes" if rng.random() < 0.6 else "no",
            }
            # a fill target only where the region makes the product itself, without
            # inputs a disruption could cut (recyclers, mines): it stays reachable
            local = self.producers.get((r, m, "mine" if stage == "concentrate" else "recycle"))
            if local:
                fill = _round(min(0.3 * capacity, 0.1 * local * horizon))
                record["terminal_min_t"] = _round(min(capacity, initial + fill), 6)
                self.fill_spend += fill * price
            self.stock_value += capacity * price
            records.append(record)
        self.tables["stockpiles"] = records

    def _offtakes(self) -> None:
        rng, k = self.rng, self.k
        records: list[Record] = []
        for facility in self.facilities:
            region = self.regions.index(facility["region"])
            if not self.member[region] or facility["stage"] == "mine" or rng.random() > 0.4:
                continue
            contracts = 2 if rng.random() < 0.2 else 1  # several offtakes add up
            for _ in range(contracts):
                start = int(rng.integers(0, k.periods // 2 + 1))
                end = int(rng.integers(start, k.periods))
                records.append({
                    "facility": facility["facility"],
                    "start_period": self.periods[start], "end_period": self.periods[end],
                    "contract_t": _round(float(facility["capacity_t"]) * rng.uniform(0.2, 0.6)),
                    "contract_price_per_t": _round(
                        float(facility["unit_cost_per_t"]) * rng.uniform(1.1, 1.4)),
                })
        if not records:  # every case has one: the first member refinery or recycler
            facility = next(f for f in self.facilities if f["stage"] != "mine"
                            and self.member[self.regions.index(f["region"])])
            records.append({"facility": facility["facility"], "start_period": self.periods[0],
                            "end_period": self.periods[-1],
                            "contract_t": _round(0.4 * float(facility["capacity_t"])),
                            "contract_price_per_t": _round(
                                1.2 * float(facility["unit_cost_per_t"]))})
        self.tables["offtakes"] = records

    def _scenarios(self) -> None:
        rng, k = self.rng, self.k
        periods = k.periods
        families = max(0, min(k.families, k.scenarios - 1))
        sizes = np.full(families, (k.scenarios - 1) // max(1, families), dtype=np.int64)
        sizes[: (k.scenarios - 1) % max(1, families)] += 1
        gap = max(1, k.diverge_after)
        first = max(1, periods // 5)
        last = max(first, periods - 1 - gap)
        weights = rng.dirichlet(np.ones(max(1, k.scenarios - 1)) * 3.0)
        calm = 1.0 if k.scenarios == 1 else 0.3
        scenarios: list[Record] = [{"scenario": "calm", "probability": calm,
                                    "description": "no disruption: the trunk"}]
        disruptions: list[Record] = []
        exporters = [r for r in range(k.regions) if not self.member[r]]
        member_regions = np.flatnonzero(self.member)
        facility_keys = list(self.producers)
        mineral_order = rng.permutation(k.minerals)
        index = 0
        for f in range(families):
            start = first if families == 1 else first + round(f * (last - first)
                                                               / (families - 1))
            diverge = min(start + gap, periods - 1)
            m = int(mineral_order[f % k.minerals])
            # the family's exporter: the non-member with the most capacity of the mineral
            exporter = max(exporters, key=lambda r: self._capacity(r, m))
            ban = f % 2 == 0
            spike = f % 3 != 2
            shared: list[Record] = [
                self._row("export", start, min(periods - 1, start + 2 + f % 4),
                          0.0 if ban else 0.25, region=self.regions[exporter],
                          mineral=self.minerals[m], stage="*" if ban else "refined"),
                # distinct factors keep families that start together apart in the tree
                self._row("price", start, min(periods - 1, start + 1),
                          (1.5 if spike else 0.6) + 0.01 * f, mineral=self.minerals[m],
                          stage="refined"),
            ]
            for i in range(int(sizes[f])):
                name = f"f{f + 1:02d}s{i + 1:02d}"
                scenarios.append({
                    "scenario": name, "probability": 0.7 * float(weights[index]),
                    "description": f"family {f + 1}: {'ban' if ban else 'quota'} on "
                                   f"{self.minerals[m]} from {self.periods[start]}",
                })
                index += 1
                rows = [dict(row, scenario=name) for row in shared]
                if i > 0:  # the first member stays on the family's branch
                    end = int(rng.integers(diverge, periods))
                    kind = _OWN_KINDS[(i - 1 + f) % len(_OWN_KINDS)]
                    rows.append(dict(self._own_row(kind, i, diverge, end, exporter,
                                                   facility_keys, member_regions),
                                     scenario=name))
                disruptions.extend(rows)
        # the calm scenario takes 0.3 and the families the rest, exactly
        total = sum(s["probability"] for s in scenarios[1:])
        for record in scenarios[1:]:
            record["probability"] = float(record["probability"]) * (1.0 - calm) / total
        self.tables["scenarios"] = scenarios
        self.tables["disruptions"] = disruptions

    def _capacity(self, r: int, m: int) -> float:
        """Mine and refinery capacity of mineral ``m`` in region ``r``."""
        return sum(self.producers.get((r, m, stage), 0.0) for stage in ("mine", "refine"))

    def _row(self, kind: str, start: int, end: int, factor: float, **columns: str) -> Record:
        return {"scenario": None, "kind": kind, "region": columns.get("region", "*"),
                "mineral": columns.get("mineral", "*"), "stage": columns.get("stage", "*"),
                "destination": columns.get("destination"),
                "start_period": self.periods[start], "end_period": self.periods[end],
                "factor": round(factor, 4)}

    def _own_row(self, kind: str, i: int, start: int, end: int, exporter: int,
                 facility_keys: list[tuple[int, int, str]],
                 member_regions: np.ndarray) -> Record:
        """The row of ``kind`` that sets member ``i`` of a family apart; its factor is
        distinct within the family, so no two members share a node after they diverge."""
        rng = self.rng
        if kind == "capacity":
            # the largest plant of a mineral outside the family's exporter (whose exports
            # are already cut): an outage that matters
            m = int(rng.integers(self.k.minerals))
            candidates = [key for key in facility_keys if key[1] == m and key[0] != exporter]
            r, m, stage = max(candidates or facility_keys, key=lambda key: self.producers[key])
            return self._row(kind, start, end, 0.2 + 0.01 * i, region=self.regions[r],
                             mineral=self.minerals[m], stage=stage)
        if kind == "route":
            origin, destination = self.route_pairs[int(rng.integers(len(self.route_pairs)))]
            return self._row(kind, start, end, 0.01 * (i - 1), region=self.regions[origin],
                             destination=self.regions[destination])
        if kind == "demand":
            r = int(rng.choice(member_regions))
            m = int(rng.integers(self.k.minerals))
            return self._row(kind, start, end, 1.2 + 0.01 * i, region=self.regions[r],
                             mineral=self.minerals[m])
        exporters = [r for r in range(self.k.regions) if not self.member[r]]
        r = exporters[int(rng.integers(len(exporters)))]
        m = int(rng.integers(self.k.minerals))
        return self._row(kind, start, end, 0.3 + 0.01 * i, region=self.regions[r],
                         mineral=self.minerals[m], stage="concentrate",
                         destination=self.regions[int(rng.choice(member_regions))])

    def _tiers(self) -> None:
        records: list[Record] = []
        # every mineral but the last has its own tiers; the last uses the wildcard rows
        for m, name in enumerate(self.minerals[:-1]):
            records.extend(
                {"mineral": name, "up_to_share": share, "penalty_per_t": factor * self.price[m]}
                for share, factor in ((0.05, 1.5), (0.3, 3.0), (1.0, 6.0))
            )
        top = float(self.price[-1])
        records.extend([{"mineral": "*", "up_to_share": 0.1, "penalty_per_t": 2.0 * top},
                        {"mineral": "*", "up_to_share": 1.0, "penalty_per_t": 6.0 * top}])
        self.tables["shortfall_tiers"] = records

    def _settings(self) -> None:
        k = self.k
        capex = sum(float(f["expandable_t"]) * float(f["capex_per_t"])
                    for f in self.facilities if "expandable_t" in f)
        # the fill targets stay affordable at the highest price a scenario can reach
        # (a 1.5-1.6× spike on a price that firms by 10%); beyond them the budget is
        # tight enough to bind in some scenarios
        stockpile_budget = 1.2 * 1.6 * 1.1 * self.fill_spend + 0.15 * self.stock_value
        self.tables["settings"] = [
            {"key": "currency", "value": "USD"},
            {"key": "discount_rate", "value": 0.05},
            {"key": "risk_weight", "value": k.risk_weight},
            {"key": "cvar_alpha", "value": 0.9},
            {"key": "stockpile_budget", "value": _round(stockpile_budget, 4)},
            {"key": "expansion_budget", "value": _round(0.6 * capex, 4) if capex else None},
            {"key": "zone_exclusive", "value": "yes" if k.zone_exclusive else "no"},
        ]


def tables(knobs: Knobs) -> Tables:
    """The sheets of the case ``knobs`` describes, as records."""
    return _Case(knobs).build()


def write(path: Path, sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> Path:
    """Write ``sheets`` with XlsxWriter: a header row (the union of the records'
    columns, in first-seen order), then one row per record; ``None`` stays blank."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": CREATED, "author": "benchmarks/generate.py"})
    for name, records in sheets.items():
        sheet = workbook.add_worksheet(name)
        columns = list(dict.fromkeys(c for r in records for c in r))
        if name == "settings":
            columns = ["key", "value"]
        sheet.write_row(0, 0, columns)
        for row, record in enumerate(records, start=1):
            for column, key in enumerate(columns):
                value = record.get(key)
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(row, column, value)
                else:
                    sheet.write_number(row, column, float(value))
    workbook.close()
    return path


def generate(
    path: Path | str,
    *,
    regions: int = _DEFAULTS.regions,
    minerals: int = _DEFAULTS.minerals,
    periods: int = _DEFAULTS.periods,
    scenarios: int = _DEFAULTS.scenarios,
    families: int = _DEFAULTS.families,
    routes_per_region: int = _DEFAULTS.routes_per_region,
    facilities_per_region: float = _DEFAULTS.facilities_per_region,
    stockpiles_per_member: float = _DEFAULTS.stockpiles_per_member,
    member_share: float = _DEFAULTS.member_share,
    diverge_after: int = _DEFAULTS.diverge_after,
    risk_weight: float = _DEFAULTS.risk_weight,
    zone_exclusive: bool = _DEFAULTS.zone_exclusive,
    seed: int = 0,
) -> Path:
    """Write a generated case to ``path`` (see the module's docstring) and return it."""
    knobs = Knobs(regions, minerals, periods, scenarios, families, routes_per_region,
                  facilities_per_region, stockpiles_per_member, member_share, diverge_after,
                  risk_weight, zone_exclusive, seed)
    return write(Path(path), tables(knobs))


def generate_preset(path: Path | str, name: str, seed: int = 0, **overrides: Any) -> Path:
    """Write the preset case ``name`` (a key of :data:`PRESETS`), with any knob
    overridden, to ``path``."""
    knobs = dataclasses.replace(PRESETS[name], seed=seed, **overrides)
    return write(Path(path), tables(knobs))


def tree_nodes(knobs: Knobs) -> int:
    """The number of scenario-tree nodes a case of ``knobs`` has, without building it:
    the trunk, each family's shared stretch, and one branch per member after it
    diverges (a family's first member stays on the family's branch)."""
    periods = knobs.periods
    families = max(0, min(knobs.families, knobs.scenarios - 1))
    if families == 0:
        return periods
    gap = max(1, knobs.diverge_after)
    first = max(1, periods // 5)
    last = max(first, periods - 1 - gap)
    total = periods
    for f in range(families):
        size = (knobs.scenarios - 1) // families + (f < (knobs.scenarios - 1) % families)
        start = first if families == 1 else first + round(f * (last - first) / (families - 1))
        diverge = min(start + gap, periods - 1)
        total += (diverge - start) + size * (periods - diverge)
    return total


def main(argv: Sequence[str]) -> int:
    """The command line: write one generated case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, metavar="OUT.xlsx")
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        help="start from a named size; other options override it")
    defaults = Knobs()
    for field in dataclasses.fields(Knobs):
        option = "--" + field.name.replace("_", "-")
        if field.type in ("bool", bool):
            parser.add_argument(option, action=argparse.BooleanOptionalAction, default=None)
        else:
            kind = {"int": int, "float": float}[str(field.type)]
            parser.add_argument(option, type=kind, default=None,
                                help=f"default {getattr(defaults, field.name)}")
    args = parser.parse_args(argv)
    base = PRESETS[args.preset] if args.preset else defaults
    chosen = {f.name: getattr(args, f.name) for f in dataclasses.fields(Knobs)
              if getattr(args, f.name) is not None}
    knobs = dataclasses.replace(base, **chosen)
    write(args.output, tables(knobs))
    sys.stdout.write(f"{args.output}: generated, {tree_nodes(knobs)} tree nodes "
                     f"({', '.join(f'{k}={v}' for k, v in dataclasses.asdict(knobs).items())})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
