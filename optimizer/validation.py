"""Validation: every check of MODEL.md §2 and §11, in one pass, into :class:`ModelData`.

The generic checks (presence, cell types, intervals, unique keys, references) come
from the contract declaration; the rules that tie several cells together are one
function per sheet below. Every problem is collected; nothing stops at the first.
"""

from __future__ import annotations

import itertools
import logging
import math
import types
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.cells import Invalid, as_text, is_wildcard, read_cell
from optimizer.contract import (
    FACILITY_STAGES,
    PRODUCTS,
    SETTINGS_BY_KEY,
    SHEETS,
    SHEETS_BY_NAME,
    Column,
    Sheet,
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
from optimizer.problems import InputError, Problem, Problems
from optimizer.reading import RawSheet, RawWorkbook, is_blank, read_workbook

log = logging.getLogger(__name__)

PROBABILITY_TOLERANCE = 1e-6
DEFAULT_SCENARIO = "base"


@dataclass(slots=True)
class Record:
    """A row whose cells have been read: valid values by column, and the bad columns."""

    row: int
    values: dict[str, object]
    filled: frozenset[str]  # columns with a non-blank cell
    bad: set[str] = field(default_factory=set)

    def ok(self, *columns: str) -> bool:
        """Whether every one of ``columns`` was read without error."""
        return not any(c in self.bad for c in columns)

    def text(self, column: str) -> str:
        value = self.values.get(column)
        return "" if value is None else str(value)

    def number(self, column: str) -> float:
        value = self.values[column]
        assert isinstance(value, float)
        return value

    def optional_number(self, column: str) -> float | None:
        value = self.values.get(column)
        return value if isinstance(value, float) else None


Tables = dict[str, list[Record]]


def load(path: Path) -> tuple[ModelData, list[Problem]]:
    """Read and validate the workbook at ``path``.

    Returns the model data and the warnings; raises :class:`InputError` with every
    error (and the warnings) when anything is wrong, or
    :class:`~optimizer.problems.NotAWorkbookError` when the file is no workbook.
    """
    problems = Problems()
    raw = read_workbook(path, problems)
    data = validate(raw, problems)
    errors = problems.sorted_errors()
    if errors or data is None:
        raise InputError(errors, problems.sorted_warnings())
    return data, problems.sorted_warnings()


def validate(raw: RawWorkbook, problems: Problems) -> ModelData | None:
    """Check every rule and build the model data; ``None`` when there were errors."""
    tables = _read_records(raw, problems)
    for sheet in SHEETS:
        if sheet.name in tables:
            _check_unique_keys(sheet, tables[sheet.name], problems)
            _check_references(sheet, tables, problems)
    settings = _read_settings(tables.get("settings", []), problems)
    periods = [r.text("period") for r in tables.get("periods", []) if r.ok("period")]
    order = {p: i for i, p in enumerate(periods)}
    for name, rule in _SHEET_RULES.items():
        rule(tables.get(name, []), order, problems)
    if not all(tables.get(s) for s in ("regions", "minerals", "periods")):
        return None
    matched = _match(tables, periods, problems)
    if problems.errors:
        return None
    return _assemble(tables, settings, matched, periods, problems)


# ---------------------------------------------------------------- generic checks


def _read_records(raw: RawWorkbook, problems: Problems) -> Tables:
    """Presence of sheets and columns, then every cell read by its column's rule."""
    tables: Tables = {}
    for sheet in SHEETS:
        found = raw.sheets.get(sheet.name)
        if found is None:
            if sheet.required:
                problems.error(sheet.name, None, None, "required sheet is missing")
            continue
        if found.last_row > 0:  # a wholly blank sheet is an empty one, not a bad header
            missing = [c for c in sheet.columns if c.must_exist and c.name not in found.columns]
            for column in missing:
                problems.error(sheet.name, 1, column.name, "required column is missing")
        if sheet.non_empty and not found.records:
            problems.error(sheet.name, None, None, "sheet has no records; at least one is required")
        tables[sheet.name] = [
            _read_record(sheet, found, record.row, record.cells, problems)
            for record in found.records
        ]
    return tables


def _read_record(
    sheet: Sheet, found: RawSheet, row: int, cells: Mapping[str, object], problems: Problems
) -> Record:
    values: dict[str, object] = {}
    filled = frozenset(c for c, v in cells.items() if not is_blank(v))
    record = Record(row, values, filled)
    for column in sheet.columns:
        cell = cells.get(column.name)
        if column.wildcard and is_wildcard(cell):
            values[column.name] = None
        elif is_blank(cell):
            if column.required:  # a missing column is reported once, not on every row
                if column.name in found.columns:
                    problems.error(sheet.name, row, column.name, "a value is required")
                record.bad.add(column.name)
            values[column.name] = column.default
        else:
            value = read_cell(cell, column.kind, column.bound, column.choices)
            if isinstance(value, Invalid):
                problems.error(sheet.name, row, column.name, value.message, value.found)
                record.bad.add(column.name)
            else:
                values[column.name] = value
    return record


def _key_text(sheet: Sheet, record: Record) -> str:
    return ", ".join(
        f"{c.name}={'*' if record.values.get(c.name) is None else as_text(record.values[c.name])}"
        for c in sheet.keys
    )


def _check_unique_keys(sheet: Sheet, records: list[Record], problems: Problems) -> None:
    """Keys unique (MODEL.md §2 Checks); blank and ``*`` are the same value."""
    keys = sheet.keys
    if not keys:
        return
    first_row: dict[tuple[object, ...], int] = {}
    for record in records:
        if not record.ok(*(c.name for c in keys)):
            continue
        key = tuple(record.values.get(c.name) for c in keys)
        if key in first_row:
            _duplicate(sheet, record, first_row[key], problems)
        else:
            first_row[key] = record.row


def _duplicate(sheet: Sheet, record: Record, first_row: int, problems: Problems) -> None:
    """Report ``record`` as repeating the key of ``first_row``, and set it aside."""
    keys = sheet.keys
    problems.error(
        sheet.name,
        record.row,
        keys[0].name,
        f"duplicate key: row {first_row} has the same {_key_names(keys)}",
        _key_text(sheet, record),
    )
    record.bad.add(keys[0].name)


def _key_names(keys: Sequence[Column]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = [c.name for c in keys]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _check_references(sheet: Sheet, tables: Tables, problems: Problems) -> None:
    """Every reference names something that exists (MODEL.md §2 Checks).

    References to a sheet that is missing, empty or without a usable key are not
    checked: that sheet's problem is reported once instead of every reference to it.
    """
    for column in sheet.columns:
        target = column.references
        if target is None:
            continue
        key = SHEETS_BY_NAME[target].keys[0].name
        if target == "scenarios" and not tables.get("scenarios"):
            names = {DEFAULT_SCENARIO}
            hint = f"; without scenarios the only scenario is {DEFAULT_SCENARIO!r}"
        else:
            names = {r.text(key) for r in tables.get(target, []) if r.ok(key)}
            hint = f" on the {target} sheet"
        if not names:
            continue
        for record in tables[sheet.name]:
            value = record.values.get(column.name)
            if value is None or not record.ok(column.name) or value in names:
                continue
            problems.error(sheet.name, record.row, column.name,
                           f"no {key} of that name{hint}", value)
            record.bad.add(column.name)


# ---------------------------------------------------------------- rules by sheet


def _read_settings(records: list[Record], problems: Problems) -> Settings:
    """Known keys (case-insensitive) and typed values (MODEL.md §2 settings list)."""
    values: dict[str, object] = {}
    first_row: dict[str, int] = {}
    for record in records:
        if not record.ok("key"):
            continue  # blank, or an exact duplicate already reported
        key = record.text("key").casefold()
        if key in first_row:  # the same key in another case
            _duplicate(SHEETS_BY_NAME["settings"], record, first_row[key], problems)
            continue
        first_row[key] = record.row
        setting = SETTINGS_BY_KEY.get(key)
        if setting is None:
            problems.warn("settings", record.row, "key", "unknown setting; ignored", key)
            continue
        cell = record.values.get("value")
        if cell is None:
            continue
        value = read_cell(cell, setting.kind, setting.bound, (), setting.integer)
        if isinstance(value, Invalid):
            problems.error("settings", record.row, "value", f"{key}: {value.message}", value.found)
        else:
            values[key] = int(value) if setting.integer and isinstance(value, float) else value
    return Settings(**values)  # type: ignore[arg-type]


def _facility_rules(records: list[Record], order: Mapping[str, int], problems: Problems) -> None:
    """capex_per_t required when expandable_t > 0; yield applies to refineries only."""
    for record in records:
        expandable = record.values.get("expandable_t")
        if (
            record.ok("expandable_t")
            and isinstance(expandable, float)
            and expandable > 0
            and "capex_per_t" not in record.filled
        ):
            problems.error("facilities", record.row, "capex_per_t",
                           "required when expandable_t > 0", f"expandable_t {as_text(expandable)}")
        stage = record.values.get("stage")
        if stage in ("mine", "recycle") and "yield" in record.filled:
            problems.warn("facilities", record.row, "yield",
                          f"yield applies to refineries only; ignored for a {stage}")


def _route_rules(records: list[Record], order: Mapping[str, int], problems: Problems) -> None:
    """A route's origin differs from its destination."""
    for record in records:
        if record.ok("origin", "destination") and record.values["origin"] == record.values[
            "destination"
        ]:
            problems.error("routes", record.row, "destination",
                           "must differ from origin", record.values["destination"])


def _stockpile_rules(records: list[Record], order: Mapping[str, int], problems: Problems) -> None:
    """min_level_t ≤ initial_t ≤ capacity_t and terminal_min_t ≤ capacity_t."""
    for record in records:
        if not record.ok("capacity_t", "initial_t", "min_level_t", "terminal_min_t"):
            continue
        capacity = record.optional_number("capacity_t")
        initial = record.number("initial_t")
        minimum = record.number("min_level_t")
        terminal = record.optional_number("terminal_min_t")
        if minimum > initial:
            problems.error("stockpiles", record.row, "min_level_t",
                           f"must not exceed initial_t, which is {as_text(initial)}", minimum)
        if capacity is None:
            continue
        if initial > capacity:
            problems.error("stockpiles", record.row, "initial_t",
                           f"must not exceed capacity_t, which is {as_text(capacity)}", initial)
        if terminal is not None and terminal > capacity:
            problems.error("stockpiles", record.row, "terminal_min_t",
                           f"must not exceed capacity_t, which is {as_text(capacity)}", terminal)


def _check_period_order(
    sheet: str, records: list[Record], order: Mapping[str, int], problems: Problems
) -> None:
    """start_period not after end_period."""
    for record in records:
        start, end = record.values.get("start_period"), record.values.get("end_period")
        if start in order and end in order and order[str(start)] > order[str(end)]:
            problems.error(sheet, record.row, "end_period",
                           f"comes before start_period {start}", end)


def _offtake_rules(records: list[Record], order: Mapping[str, int], problems: Problems) -> None:
    _check_period_order("offtakes", records, order, problems)


def _scenario_rules(records: list[Record], order: Mapping[str, int], problems: Problems) -> None:
    """Probabilities sum to 1 within 1e-6."""
    if not records or any(not r.ok("probability") for r in records):
        return
    total = math.fsum(r.number("probability") for r in records)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE:
        problems.error("scenarios", None, "probability", "probabilities must add up to 1",
                       f"they add up to {total:.10g}")


_NOT_APPLICABLE = {
    # kind -> columns that must stay blank or * (MODEL.md §11)
    "capacity": ("destination",),
    "demand": ("destination",),
    "price": ("destination", "region"),
    "export": (),
    "route": (),
}


def _disruption_rules(records: list[Record], order: Mapping[str, int], problems: Problems) -> None:
    """Stages by kind, columns that do not apply, and period order (MODEL.md §2, §11)."""
    _check_period_order("disruptions", records, order, problems)
    for record in records:
        kind = record.values.get("kind")
        if not isinstance(kind, str) or not record.ok("kind"):
            continue
        for column in _NOT_APPLICABLE[kind]:
            if record.values.get(column) is not None and record.ok(column):
                problems.error("disruptions", record.row, column,
                               f"does not apply to {_a(kind)} disruption; leave it blank",
                               record.values[column])
        stage = record.values.get("stage")
        if stage is None or not record.ok("stage"):
            continue
        if kind == "capacity":
            allowed: tuple[str, ...] = FACILITY_STAGES
        elif kind == "demand":
            allowed = ("refined",)
        else:
            allowed = PRODUCTS
        if stage not in allowed:
            problems.error("disruptions", record.row, "stage",
                           f"{_a(kind)} disruption's stage must be {' / '.join(allowed)}",
                           stage)


def _a(word: str) -> str:
    """``word`` with its indefinite article."""
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _tier_rules(records: list[Record], order: Mapping[str, int], problems: Problems) -> None:
    """Tier penalties do not fall as up_to_share rises."""
    for tiers in _tier_groups(records).values():
        for lower, higher in itertools.pairwise(tiers):
            if higher.number("penalty_per_t") < lower.number("penalty_per_t"):
                problems.error(
                    "shortfall_tiers", higher.row, "penalty_per_t",
                    f"must not fall as up_to_share rises; row {lower.row} has "
                    f"{as_text(lower.number('penalty_per_t'))} up to "
                    f"{as_text(lower.number('up_to_share'))}",
                    higher.number("penalty_per_t"),
                )


def _tier_groups(records: list[Record]) -> dict[str | None, list[Record]]:
    """Valid tier rows by mineral (``None``: the wildcard rows), by ascending share."""
    groups: dict[str | None, list[Record]] = defaultdict(list)
    for record in records:
        if record.ok("mineral", "up_to_share", "penalty_per_t"):
            mineral = record.values.get("mineral")
            groups[None if mineral is None else str(mineral)].append(record)
    for tiers in groups.values():
        tiers.sort(key=lambda r: r.number("up_to_share"))
    return groups


_SHEET_RULES: dict[str, Callable[[list[Record], Mapping[str, int], Problems], None]] = {
    "facilities": _facility_rules,
    "routes": _route_rules,
    "stockpiles": _stockpile_rules,
    "offtakes": _offtake_rules,
    "scenarios": _scenario_rules,
    "disruptions": _disruption_rules,
    "shortfall_tiers": _tier_rules,
}


# ---------------------------------------------------------------- matching and assembly


@dataclass(frozen=True, slots=True)
class Matched:
    """The rows resolved by the most-specific-row rule (MODEL.md §2 Matching)."""

    routes: tuple[Route, ...]
    demand: tuple[Demand, ...]
    prices: tuple[Price, ...]


def _match(tables: Tables, periods: list[str], problems: Problems) -> Matched:
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


def _assemble(
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
    groups = _tier_groups(records)
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


__all__ = ["InputError", "Problem", "load", "validate"]
