"""The rules that tie several cells of one sheet together (MODEL.md §2 Checks, §11).

One function per sheet, each ``(records, period order, problems) -> None``.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Mapping

from optimizer.data import (
    Settings,
)
from optimizer.workbook.cells import Invalid, as_text, read_cell
from optimizer.workbook.contract import (
    FACILITY_STAGES,
    PRODUCTS,
    SETTINGS_BY_KEY,
    SHEETS_BY_NAME,
)
from optimizer.workbook.problems import Problems
from optimizer.workbook.spelling import suggest
from optimizer.workbook.validation.records import Record, report_duplicate
from optimizer.workbook.validation.slips import bound_hint, implausible, shown

PROBABILITY_TOLERANCE = 1e-6


def read_settings(records: list[Record], problems: Problems) -> Settings:
    """Known keys (case-insensitive) and typed values (MODEL.md §2 settings list)."""
    values: dict[str, object] = {}
    first_row: dict[str, int] = {}
    given = {record.text("key").casefold() for record in records if record.ok("key")}
    absent = [key for key in SETTINGS_BY_KEY if key not in given]
    for record in records:
        if not record.ok("key"):
            continue  # blank, or an exact duplicate already reported
        key = record.text("key").casefold()
        if key in first_row:  # the same key in another case
            report_duplicate(SHEETS_BY_NAME["settings"], record, first_row[key], problems)
            continue
        first_row[key] = record.row
        setting = SETTINGS_BY_KEY.get(key)
        if setting is None:
            _unknown_setting(record.row, key, absent, problems)
            continue
        cell = record.values.get("value")
        if cell is None:
            continue
        value = read_cell(cell, setting.kind, setting.bound, (), setting.integer)
        typical = () if setting.typical is None else (setting.typical,)
        if isinstance(value, Invalid):
            hint = bound_hint(cell, typical, setting.bound) \
                if value.message.startswith("must be") else ""
            problems.error("settings", record.row, "value", f"{key}: {value.message}{hint}",
                           value.found)
            continue
        values[key] = int(value) if setting.integer and isinstance(value, float) else value
        if setting.typical is not None and isinstance(value, float) \
                and not setting.typical.holds(value):
            problems.warn("settings", record.row, "value",
                          implausible(key, value, setting.typical, setting.bound))
    return Settings(**values)  # type: ignore[arg-type]


def _unknown_setting(row: int, key: str, absent: list[str], problems: Problems) -> None:
    """An error when ``key`` nearly matches a setting not given (its default would apply
    silently), else a warning."""
    meant = suggest(key, absent)
    if meant is None:
        problems.warn("settings", row, "key", "unknown setting; ignored", key)
    else:
        problems.error("settings", row, "key", f"unknown setting {key} — did you mean {meant}?")


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
    """min_level_t ≤ initial_t ≤ capacity_t, terminal_min_t ≤ capacity_t and
    certified_initial_t ≤ initial_t (§12)."""
    for record in records:
        if record.ok("initial_t", "certified_initial_t"):
            certified = record.optional_number("certified_initial_t") or 0.0
            if certified > record.number("initial_t"):
                problems.error("stockpiles", record.row, "certified_initial_t",
                               "must not exceed initial_t, which is "
                               f"{as_text(record.number('initial_t'))}", certified)
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
    """Stages by kind, columns that do not apply, period order and identical rows
    (MODEL.md §2, §11)."""
    _check_period_order("disruptions", records, order, problems)
    _identical_disruptions(records, problems)
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


def _identical_disruptions(records: list[Record], problems: Problems) -> None:
    """A row identical to an earlier one still counts (MODEL.md §11: multipliers multiply,
    export caps each apply), but is most likely pasted twice: a warning naming both."""
    columns = SHEETS_BY_NAME["disruptions"].column_names
    first: dict[tuple[object, ...], int] = {}
    for record in records:
        if record.bad:
            continue
        key = tuple(record.values.get(c) for c in columns)
        if key not in first:
            first[key] = record.row
            continue
        kind, factor = record.values.get("kind"), record.number("factor")
        effect = ("each is its own cap, so the copy changes nothing" if kind == "export"
                  else f"their factors multiply ({kind} × {as_text(factor)} × "
                  f"{as_text(factor)} = × {shown(factor * factor)})")
        problems.warn("disruptions", record.row, None,
                      f"identical to row {first[key]}: both apply and {effect}; delete one "
                      "if it was pasted twice")


def _a(word: str) -> str:
    """``word`` with its indefinite article."""
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _tier_rules(records: list[Record], order: Mapping[str, int], problems: Problems) -> None:
    """Tier penalties do not fall as up_to_share rises."""
    for tiers in tier_groups(records).values():
        for lower, higher in itertools.pairwise(tiers):
            if higher.number("penalty_per_t") < lower.number("penalty_per_t"):
                problems.error(
                    "shortfall_tiers", higher.row, "penalty_per_t",
                    f"must not fall as up_to_share rises; row {lower.row} has "
                    f"{as_text(lower.number('penalty_per_t'))} up to "
                    f"{as_text(lower.number('up_to_share'))}",
                    higher.number("penalty_per_t"),
                )


def tier_groups(records: list[Record]) -> dict[str | None, list[Record]]:
    """Valid tier rows by mineral (``None``: the wildcard rows), by ascending share."""
    groups: dict[str | None, list[Record]] = defaultdict(list)
    for record in records:
        if record.ok("mineral", "up_to_share", "penalty_per_t"):
            mineral = record.values.get("mineral")
            groups[None if mineral is None else str(mineral)].append(record)
    for tiers in groups.values():
        tiers.sort(key=lambda r: r.number("up_to_share"))
    return groups


SHEET_RULES: dict[str, Callable[[list[Record], Mapping[str, int], Problems], None]] = {
    "facilities": _facility_rules,
    "routes": _route_rules,
    "stockpiles": _stockpile_rules,
    "offtakes": _offtake_rules,
    "scenarios": _scenario_rules,
    "disruptions": _disruption_rules,
    "shortfall_tiers": _tier_rules,
}


