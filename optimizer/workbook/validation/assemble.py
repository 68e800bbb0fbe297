"""The most-specific-row rule (MODEL.md §2 Matching) and the assembly of ModelData.

Only error-free tables are assembled; every default is filled in here. Records become
dataclasses by column name (:func:`_from_record`), with the few fields whose rule is
not a column's default given by hand; the sheets ModelData has no field for (an
instrument's) become :class:`~optimizer.data.Row` records the same way, so a new
sheet needs nothing here.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

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
    Row,
    Scenario,
    Settings,
    Stockpile,
    Tier,
)
from optimizer.workbook import contract
from optimizer.workbook.cells import as_text
from optimizer.workbook.contract import PRODUCTS, Kind, Sheet
from optimizer.workbook.matching import Key, resolve
from optimizer.workbook.problems import Problems
from optimizer.workbook.validation.records import DEFAULT_SCENARIO, Record, Tables
from optimizer.workbook.validation.rules import tier_groups

T = TypeVar("T")

# The sheets ModelData holds in fields of their own; every other contract sheet is
# kept as rows by name (ModelData.sheets).
ASSEMBLED = ("settings", "regions", "minerals", "periods", "facilities", "routes", "demand",
             "prices", "stockpiles", "offtakes", "scenarios", "disruptions", "shortfall_tiers")


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
            Demand(region, mineral, period, demand_rows[row].number("demand_t"),
                   demand_rows[row].optional_number("certified_share") or 0.0)
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
        regions=_records(Region, "regions", tables),
        minerals=_records(Mineral, "minerals", tables),
        periods=_records(Period, "periods", tables),
        facilities=tuple(_facility(r, first) for r in tables["facilities"]),
        routes=matched.routes,
        demand=matched.demand,
        prices=matched.prices,
        stockpiles=tuple(_stockpile(r) for r in tables.get("stockpiles", [])),
        offtakes=tuple(
            _from_record(Offtake, _sheet("offtakes"), r,
                         start_period=r.text("start_period") or first,
                         end_period=r.text("end_period") or last)
            for r in tables.get("offtakes", [])
        ),
        scenarios=_records(Scenario, "scenarios", tables)
        or (Scenario(DEFAULT_SCENARIO, 1.0, "the only scenario (no scenarios sheet)"),),
        disruptions=tuple(
            _from_record(Disruption, _sheet("disruptions"), r,
                         end_period=r.text("end_period") or last)
            for r in tables.get("disruptions", [])
        ),
        tiers=types.MappingProxyType(
            _resolve_tiers(tables.get("shortfall_tiers", []), tables["minerals"], problems)
        ),
        sheets=types.MappingProxyType({
            sheet.name: tuple(_row(sheet, r) for r in tables.get(sheet.name, []))
            for sheet in contract.SHEETS if sheet.name not in ASSEMBLED
        }),
    )


def _sheet(name: str) -> Sheet:
    return contract.SHEETS_BY_NAME[name]


def _value(column: contract.Column, record: Record) -> Any:
    """A cell as read, its default filled in; a blank text is ``""``."""
    value = record.values.get(column.name)
    return "" if value is None and column.kind is Kind.TEXT else value


def _from_record(cls: type[T], sheet: Sheet, record: Record, **given: Any) -> T:
    """``cls`` from ``record``, field by column name (``yield_`` is ``yield``); ``given``
    fills the fields whose rule is not the column's default."""
    fields = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in given:
            fields[field.name] = given[field.name]
        else:
            fields[field.name] = _value(sheet.column(field.name.rstrip("_")), record)
    return cls(**fields)


def _records(cls: type[T], name: str, tables: Tables) -> tuple[T, ...]:
    """Every record of sheet ``name`` as ``cls``, mechanically; none when it is absent."""
    sheet = _sheet(name)
    return tuple(_from_record(cls, sheet, r) for r in tables.get(name, []))


def _row(sheet: Sheet, record: Record) -> Row:
    """An instrument's record: every column of its sheet, in contract order."""
    return Row(tuple((c.name, _value(c, record)) for c in sheet.columns))


def _facility(record: Record, first_period: str) -> Facility:
    return _from_record(
        Facility, _sheet("facilities"), record,
        yield_=record.number("yield") if record.text("stage") == "refine" else 1.0,
        capex_per_t=record.optional_number("capex_per_t") or 0.0,
        online_period=record.text("online_period") or first_period,
    )


def _stockpile(record: Record) -> Stockpile:
    terminal = record.optional_number("terminal_min_t")
    return _from_record(
        Stockpile, _sheet("stockpiles"), record,
        terminal_min_t=record.number("initial_t") if terminal is None else terminal,
    )


def _resolve(
    sheet: str,
    records: list[Record],
    columns: tuple[str, ...],
    domains: Sequence[Sequence[str]],
    problems: Problems,
) -> dict[tuple[str, ...], int]:
    """The most specific row of ``records`` for each item; conflicts are errors."""
    spec = _sheet(sheet)
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


