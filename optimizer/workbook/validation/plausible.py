"""Plausibility: values that are allowed but most likely a slip (docs/workbook.md,
Plausibility).

A number inside its hard bound but outside its column's or setting's typical range
(:class:`~optimizer.workbook.contract.Typical`) is a warning that names the cell, the
value and the likely slip (``discount_rate 5 is unusual (typically in [0, 0.3]) — did
you mean 0.05?``); so is a money figure per tonne a thousand times off its mineral's
market price. A value outside its hard bound stays an error, with the same
suggestion when one fits. ``--strict`` makes every warning an error.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from optimizer.workbook.contract import PRICE_SCALE_COLUMNS, Sheet
from optimizer.workbook.problems import Problems
from optimizer.workbook.validation.records import Record, Tables
from optimizer.workbook.validation.slips import implausible, shown

PRICE_SCALE = 1000.0  # a money figure per tonne this many times off the market price


def check_typical(sheet: Sheet, records: list[Record], problems: Problems) -> None:
    """Every valid number of ``sheet`` against its column's typical ranges."""
    for column in sheet.columns:
        for record in records:
            value = record.values.get(column.name)
            if not isinstance(value, float) or not record.ok(column.name):
                continue
            for typical in column.typical:
                if typical.applies(record.values) and not typical.holds(value):
                    what = "" if typical.when is None else \
                        f" for {_a(str(record.values[typical.when[0]]))} row"
                    problems.warn(sheet.name, record.row, column.name,
                                  implausible(column.name, value, typical, column.bound,
                                              what))


def check_price_scale(tables: Tables, problems: Problems) -> None:
    """Money per tonne against the order of magnitude of the mineral's market price
    (the median of its ``prices`` rows): a figure :data:`PRICE_SCALE` times larger or
    smaller is most likely in another unit (per kg, in thousands)."""
    reference = _market_prices(tables)
    if not reference:
        return
    facility_mineral = {str(r.values.get("facility")): r.values.get("mineral")
                        for r in tables.get("facilities", []) if r.ok("facility", "mineral")}
    for sheet, column in PRICE_SCALE_COLUMNS:
        for record in tables.get(sheet, []):
            value = record.values.get(column)
            mineral = record.values.get("mineral") if "mineral" in record.values \
                else facility_mineral.get(str(record.values.get("facility")))
            if not isinstance(value, float) or value <= 0 or not record.ok(column) \
                    or mineral not in reference:
                continue
            market = reference[str(mineral)]
            ratio = value / market
            if ratio >= PRICE_SCALE or ratio <= 1 / PRICE_SCALE:
                scale = f"about {ratio:,.0f} times" if ratio > 1 else f"about 1/{1 / ratio:,.0f} of"
                problems.warn(sheet, record.row, column,
                              f"{column} {shown(value)} is {scale} {mineral}'s market price "
                              f"({shown(market)} per t, the median of its prices rows): is it "
                              "per tonne, in the workbook's currency?")

def _market_prices(tables: Tables) -> dict[str, float]:
    """The median market price of each mineral with a valid ``prices`` row."""
    found: dict[str, list[float]] = defaultdict(list)
    for record in tables.get("prices", []):
        value = record.values.get("market_price_per_t")
        if record.ok("mineral", "market_price_per_t") and isinstance(value, float) \
                and value > 0:
            found[str(record.values["mineral"])].append(value)
    return {mineral: statistics.median(values) for mineral, values in found.items()}


def _a(word: str) -> str:
    """``word`` with its indefinite article."""
    return f"{'an' if word[:1] in tuple('aeiou') else 'a'} {word}"
