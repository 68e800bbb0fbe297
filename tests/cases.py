"""A small valid case, and writers that put cases into workbooks for the tests.

``valid_tables()`` returns fresh, mutable tables (sheet -> list of records), so a test
can break exactly one rule and write the result with :func:`write_tables`. Row numbers
in a written sheet are the record's index + 2 (the header is row 1).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

Tables = dict[str, list[dict[str, Any]]]
Grid = dict[str, list[list[object]]]  # sheet -> rows of cell values, header first

_VALID: Tables = {
    "settings": [
        {"key": "currency", "value": "USD"},
        {"key": "discount_rate", "value": 0.05},
        {"key": "stockpile_budget", "value": 5e8},
    ],
    "regions": [
        {"region": "US", "zone_member": "yes", "name": "United States", "group": "Americas"},
        {"region": "AU", "zone_member": "yes", "name": "Australia", "group": "Oceania"},
        {"region": "CN", "zone_member": "no", "name": "China", "group": "Asia"},
    ],
    "minerals": [
        {"mineral": "lithium", "shortfall_penalty_per_t": 50000,
         "description": "lithium carbonate equivalent, t"},
        {"mineral": "gallium", "shortfall_penalty_per_t": 2000000,
         "description": "gallium metal, t"},
    ],
    "periods": [
        {"period": 2026, "years": 1},
        {"period": 2027, "years": 1},
        {"period": 2028, "years": 1},
    ],
    "facilities": [
        {"facility": "AU-Li-mine", "region": "AU", "mineral": "lithium", "stage": "mine",
         "capacity_t": 90000, "unit_cost_per_t": 800},
        {"facility": "CN-Li-ref", "region": "CN", "mineral": "lithium", "stage": "refine",
         "capacity_t": 60000, "unit_cost_per_t": 2000, "yield": 0.9},
        {"facility": "US-Li-ref", "region": "US", "mineral": "lithium", "stage": "refine",
         "capacity_t": 5000, "unit_cost_per_t": 3000, "yield": 0.9, "expandable_t": 20000,
         "capex_per_t": 25000, "lifetime_years": 20, "online_period": 2027},
        {"facility": "CN-Ga-rec", "region": "CN", "mineral": "gallium", "stage": "recycle",
         "capacity_t": 600, "unit_cost_per_t": 300000},
    ],
    "routes": [
        {"origin": "AU", "destination": "CN", "mineral": "lithium", "stage": "concentrate",
         "cost_per_t": 60},
        {"origin": "AU", "destination": "US", "mineral": "lithium", "stage": "concentrate",
         "cost_per_t": 90},
        {"origin": "CN", "destination": "US", "mineral": "*", "stage": "refined",
         "cost_per_t": 100, "tariff_per_t": 50},
    ],
    "demand": [
        {"region": "US", "mineral": "lithium", "period": "*", "demand_t": 20000},
        {"region": "US", "mineral": "lithium", "period": 2028, "demand_t": 25000},
        {"region": "US", "mineral": "gallium", "demand_t": 20},
        {"region": "CN", "mineral": "lithium", "demand_t": 30000},
    ],
    "prices": [
        {"mineral": "lithium", "stage": "refined", "market_price_per_t": 9000,
         "floor_price_per_t": 12000},
        {"mineral": "gallium", "stage": "refined", "market_price_per_t": 500000},
    ],
    "stockpiles": [
        {"stockpile": "vault-Li", "region": "US", "mineral": "lithium", "capacity_t": 5000,
         "max_release_t": 4000, "holding_cost_per_t": 200,
         "release_needs_disruption": "yes"},
        {"stockpile": "vault-Ga", "region": "US", "mineral": "gallium", "stage": "refined",
         "capacity_t": 10, "initial_t": 2, "min_level_t": 1, "terminal_min_t": 2},
    ],
    "offtakes": [
        {"facility": "US-Li-ref", "start_period": 2026, "end_period": 2027,
         "contract_t": 3000, "contract_price_per_t": 11000},
    ],
    "scenarios": [
        {"scenario": "calm", "probability": 0.6, "description": "no disruption"},
        {"scenario": "ga_ban", "probability": 0.3, "description": "China bans gallium"},
        {"scenario": "li_dump", "probability": 0.1, "description": "lithium price falls"},
    ],
    "disruptions": [
        {"scenario": "ga_ban", "kind": "export", "region": "CN", "mineral": "gallium",
         "stage": "refined", "destination": "US", "start_period": 2027, "factor": 0},
        {"scenario": "li_dump", "kind": "price", "mineral": "lithium", "stage": "refined",
         "start_period": 2027, "end_period": 2027, "factor": 0.6},
    ],
    "shortfall_tiers": [
        {"mineral": "*", "up_to_share": 0.1, "penalty_per_t": 10000},
        {"mineral": "*", "up_to_share": 1, "penalty_per_t": 60000},
    ],
}

COLUMNS: Mapping[str, Sequence[str]] | None = None  # filled lazily from the contract


def valid_tables() -> Tables:
    """A fresh copy of the small valid case."""
    return copy.deepcopy(_VALID)


def write_tables(path: Path, tables: Mapping[str, Sequence[Mapping[str, Any]]],
                 headers: Mapping[str, Sequence[str]] | None = None) -> Path:
    """Write ``tables`` plainly with openpyxl: one sheet each, header row then records.

    The header of a sheet is ``headers[sheet]`` when given, else the union of its
    records' columns in first-seen order. ``None`` in a record list leaves a wholly
    blank row.
    """
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for name, records in tables.items():
        sheet = workbook.create_sheet(name)
        columns = list(headers[name]) if headers and name in headers else list(
            dict.fromkeys(c for r in records if r is not None for c in r)
        )
        sheet.append(columns)
        for record in records:
            if record is None:
                sheet.append([])
                sheet.cell(row=sheet.max_row + 1, column=1, value=None)
                continue
            sheet.append([record.get(c) for c in columns])
    workbook.save(path)
    return path


def write_grid(path: Path, grid: Grid) -> Path:
    """Write ``grid`` cell by cell with openpyxl, one sheet per entry, rows as given (the
    header too): for workbooks that ``write_tables`` cannot express, such as broken or
    misspelt headers."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for title, rows in grid.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(row)
    workbook.save(path)
    return path
