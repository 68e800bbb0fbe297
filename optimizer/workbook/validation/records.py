"""Reading records cell by cell, and the checks every sheet shares (MODEL.md §2 Checks).

Presence of sheets and columns, cell types and intervals, unique keys and references
all come from the contract declaration, so they are written once for every sheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from optimizer.workbook import contract
from optimizer.workbook.cells import Invalid, as_text, is_wildcard, read_cell
from optimizer.workbook.contract import Column, Sheet
from optimizer.workbook.problems import Problems
from optimizer.workbook.reading import RawSheet, RawWorkbook, is_blank
from optimizer.workbook.spelling import Codes
from optimizer.workbook.validation.slips import bound_hint

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


def read_records(raw: RawWorkbook, problems: Problems) -> Tables:
    """Presence of sheets and columns, then every cell read by its column's rule."""
    tables: Tables = {}
    for sheet in contract.SHEETS:
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
                hint = bound_hint(cell, column.typical, column.bound) \
                    if value.message.startswith("must be") else ""
                problems.error(sheet.name, row, column.name, value.message + hint,
                               value.found)
                record.bad.add(column.name)
            else:
                values[column.name] = value
    return record


def _key_text(sheet: Sheet, record: Record) -> str:
    return ", ".join(
        f"{c.name}={'*' if record.values.get(c.name) is None else as_text(record.values[c.name])}"
        for c in sheet.keys
    )


def check_unique_keys(sheet: Sheet, records: list[Record], problems: Problems) -> None:
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
            report_duplicate(sheet, record, first_row[key], problems)
        else:
            first_row[key] = record.row


def report_duplicate(sheet: Sheet, record: Record, first_row: int, problems: Problems) -> None:
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


def check_references(sheet: Sheet, tables: Tables, problems: Problems) -> None:
    """Every reference names something that exists (MODEL.md §2 Checks).

    References to a sheet that is missing, empty or without a usable key are not
    checked: that sheet's problem is reported once instead of every reference to it.
    """
    for column in sheet.columns:
        target = column.references
        if target is None:
            continue
        key = contract.SHEETS_BY_NAME[target].keys[0].name
        if target == "scenarios" and not tables.get("scenarios"):
            names = {DEFAULT_SCENARIO}
            hint = f"; without scenarios the only scenario is {DEFAULT_SCENARIO!r}"
        else:
            names = {r.text(key) for r in tables.get(target, []) if r.ok(key)}
            hint = f" on the {target} sheet"
        if not names:
            continue
        meant = Codes(names)
        for record in tables[sheet.name]:
            value = record.values.get(column.name)
            if value is None or not record.ok(column.name) or value in names:
                continue
            problems.error(sheet.name, record.row, column.name,
                           f"no {key} of that name{hint}{meant.did_you_mean(str(value))}", value)
            record.bad.add(column.name)
