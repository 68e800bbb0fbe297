"""The most-specific-row rule (MODEL.md §2 Matching) and the assembly of ModelData.

Only error-free tables are assembled; every default is filled in here.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass

from optimizer.cells import as_text
from optimizer.contract import (
    PRODUCTS,
    SHEETS_BY_NAME,
)
from optimizer.data import (
    Demand,
    Disruption,
    Facility,
    Mineral,
    ModelData,
    Offtake,
    Period,
    Price,
    Region,
    Route,
    Scenario,
    Settings,
    Stockpile,
    Tier,
)
from optimizer.matching import Key, resolve
from optimizer.problems import Problems
from optimizer.validation.records import DEFAULT_SCENARIO, Record, Tables
from optimizer.validation.rules import tier_groups


@dataclass(frozen=True, slots=True)
class Matched:
    """The rows resolved by the most-specific-row rule (MODEL.md §2 Matching)."""

    routes: tuple[Route, ...]
    demand: tuple[Demand, ...]
    prices: tuple[Price, ...]


def match(tables: Tables, periods: list[str], problems: Problems) -> Matched:
    """Resolve routes, demand and prices on their valid rows; ambiguities are errors."""
    regions = [r.text("region") for r in tables["regions"]]
    minerals = [r.text("mineral") for r in tables["minerals"]]
    route_rows = [r for r in tables.get("routes", []) if not r.bad]
    demand_rows = [r for r in tables.get("demand", []) if not r.bad]
    price_rows = [r for r in tables.get("prices", []) if not r.bad]
    routes = _resolve(
        "routes", route_rows, ("origin", "destination", "mineral", "stage"),
        ([], [], minerals, PRODUCTS), problems,
    )
    demand = _resolve(
        "demand", demand_rows, ("region", "mineral", "period"),
        (regions, minerals, periods), problems,
    )
    prices = _resolve(
        "prices", price_rows, ("mineral", "stage", "period"),
        (minerals, PRODUCTS, periods), problems,
    )
    return Matched(
        routes=tuple(
            Route(origin, destination, mineral, stage,  # type: ignore[arg-type]
                  route_rows[row].number("cost_per_t"),
                  route_rows[row].optional_number("capacity_t"),
                  route_rows[row].number("tariff_per_t"))
            for (origin, destination, mineral, stage), row in routes.items()
        ),
        demand=tuple(
            Demand(region, mineral, period, demand_rows[row].number("demand_t"))
            for (region, mineral, period), row in demand.items()
        ),
        prices=tuple(
            Price(mineral, stage, period,  # type: ignore[arg-type]
                  price_rows[row].number("market_price_per_t"),
                  price_rows[row].optional_number("floor_price_per_t"))
            for (mineral, stage, period), row in prices.items()
        ),
    )


def assemble(
    tables: Tables, settings: Settings, matched: Matched, periods: list[str], problems: Problems
) -> ModelData:
    """Build the model data from error-free tables, filling every default."""
    first, last = periods[0], periods[-1]
    return ModelData(
        settings=settings,
        regions=tuple(
            Region(r.text("region"), bool(r.values["zone_member"]), r.text("name"),
                   r.text("group"))
            for r in tables["regions"]
        ),
        minerals=tuple(
            Mineral(r.text("mineral"), r.number("shortfall_penalty_per_t"),
                    r.text("description"))
            for r in tables["minerals"]
        ),
        periods=tuple(Period(r.text("period"), r.number("years")) for r in tables["periods"]),
        facilities=tuple(_facility(r, first) for r in tables["facilities"]),
        routes=matched.routes,
        demand=matched.demand,
        prices=matched.prices,
        stockpiles=tuple(_stockpile(r) for r in tables.get("stockpiles", [])),
        offtakes=tuple(
            Offtake(r.text("facility"), r.text("start_period") or first,
                    r.text("end_period") or last, r.number("contract_t"),
                    r.number("contract_price_per_t"))
            for r in tables.get("offtakes", [])
        ),
        scenarios=tuple(
            Scenario(r.text("scenario"), r.number("probability"), r.text("description"))
            for r in tables.get("scenarios", [])
        ) or (Scenario(DEFAULT_SCENARIO, 1.0, "the only scenario (no scenarios sheet)"),),
        disruptions=tuple(_disruption(r, last) for r in tables.get("disruptions", [])),
        tiers=types.MappingProxyType(
            _resolve_tiers(tables.get("shortfall_tiers", []), tables["minerals"], problems)
        ),
    )


def _facility(record: Record, first_period: str) -> Facility:
    stage = record.text("stage")
    return Facility(
        facility=record.text("facility"),
        region=record.text("region"),
        mineral=record.text("mineral"),
        stage=stage,  # type: ignore[arg-type]
        capacity_t=record.number("capacity_t"),
        unit_cost_per_t=record.number("unit_cost_per_t"),
        yield_=record.number("yield") if stage == "refine" else 1.0,
        expandable_t=record.number("expandable_t"),
        capex_per_t=record.optional_number("capex_per_t") or 0.0,
        lifetime_years=record.number("lifetime_years"),
        online_period=record.text("online_period") or first_period,
    )


def _stockpile(record: Record) -> Stockpile:
    initial = record.number("initial_t")
    terminal = record.optional_number("terminal_min_t")
    return Stockpile(
        stockpile=record.text("stockpile"),
        region=record.text("region"),
        mineral=record.text("mineral"),
        stage=record.text("stage"),  # type: ignore[arg-type]
        capacity_t=record.number("capacity_t"),
        initial_t=initial,
        min_level_t=record.number("min_level_t"),
        terminal_min_t=initial if terminal is None else terminal,
        max_release_t=record.optional_number("max_release_t"),
        max_purchase_t=record.optional_number("max_purchase_t"),
        holding_cost_per_t=record.number("holding_cost_per_t"),
        release_needs_disruption=bool(record.values["release_needs_disruption"]),
    )


def _disruption(record: Record, last_period: str) -> Disruption:
    def wild(column: str) -> str | None:
        value = record.values.get(column)
        return None if value is None else str(value)

    return Disruption(
        scenario=record.text("scenario"),
        kind=record.text("kind"),  # type: ignore[arg-type]
        region=wild("region"),
        mineral=wild("mineral"),
        stage=wild("stage"),
        destination=wild("destination"),
        start_period=record.text("start_period"),
        end_period=record.text("end_period") or last_period,
        factor=record.number("factor"),
    )


def _resolve(
    sheet: str,
    records: list[Record],
    columns: tuple[str, ...],
    domains: Sequence[Sequence[str]],
    problems: Problems,
) -> dict[tuple[str, ...], int]:
    """The most specific row of ``records`` for each item; conflicts are errors."""
    spec = SHEETS_BY_NAME[sheet]
    wildcard_positions = [i for i, c in enumerate(columns) if spec.column(c).wildcard]
    keys: list[Key] = [
        tuple(None if r.values.get(c) is None else str(r.values[c]) for c in columns)
        for r in records
    ]
    winners, conflicts = resolve(keys, domains, wildcard_positions)
    for conflict in conflicts:
        a, b = records[conflict.first], records[conflict.second]
        differing = next(
            (c for c in columns if a.values.get(c) != b.values.get(c)), columns[0]
        )
        item = ", ".join(f"{c}={v}" for c, v in zip(columns, conflict.item, strict=True))
        problems.error(
            sheet, b.row, differing,
            f"row {a.row} is as specific and matches the same item; make one of them "
            "more specific", item,
        )
    return winners


def _resolve_tiers(
    records: list[Record], minerals: list[Record], problems: Problems
) -> dict[str, tuple[Tier, ...]]:
    """Each mineral's tiers: its own rows, else the wildcard rows, else its penalty.

    When the largest share is below 1, a last tier up to 1 is added at the larger of
    the mineral's penalty and the last tier's (MODEL.md §2, §11), with a warning.
    """
    groups = tier_groups(records)
    tiers: dict[str, tuple[Tier, ...]] = {}
    for mineral in minerals:
        name = mineral.text("mineral")
        penalty = mineral.number("shortfall_penalty_per_t")
        rows = groups.get(name, groups.get(None, []))
        steps = [Tier(r.number("up_to_share"), r.number("penalty_per_t")) for r in rows]
        if not steps:
            steps = [Tier(1.0, penalty)]
        elif steps[-1].up_to_share < 1.0:
            last = max(penalty, steps[-1].penalty_per_t)
            problems.warn(
                "shortfall_tiers", rows[-1].row, "up_to_share",
                f"tiers for {name} end below 1; a last tier up to 1 at "
                f"{as_text(last)} per t is added", as_text(steps[-1].up_to_share),
            )
            steps.append(Tier(1.0, last))
        tiers[name] = tuple(steps)
    return tiers


