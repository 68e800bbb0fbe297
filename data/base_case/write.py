"""Writing the case: the workbook and its ``sources`` sheet, cell by cell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from base_case.case import Case
from base_case.figures import SOURCES, Figure, PublicFigures, Record
from optimizer.workbook.contract import SHEETS_BY_NAME
from optimizer.workbook.template import write_workbook

# ================================================================ writing

KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "offtakes": ("facility", "start_period"),
    "disruptions": ("scenario", "kind", "region", "mineral", "stage", "destination",
                    "start_period"),
}
SOURCE_COLUMNS = ("sheet", "key", "column", "value", "unit", "source", "url", "derivation")


def source_key(sheet: str, record: Mapping[str, object]) -> str:
    """How the ``sources`` sheet names a record: its key columns (blank as ``*``)."""
    names = KEY_COLUMNS.get(sheet) or tuple(c.name for c in SHEETS_BY_NAME[sheet].keys)
    return ", ".join(_plain(record.get(name)) or "*" for name in names)


def _plain(value: object) -> str:
    if isinstance(value, Figure):
        value = value.value
    return "" if value is None else str(value)


def split(case: Mapping[str, Sequence[Record]]) -> dict[str, list[Record]]:
    """Plain tables for the workbook plus the ``sources`` sheet; every number must come as
    a :class:`Figure`, so none is left without a source."""
    plain: dict[str, list[Record]] = {}
    sources: list[Record] = []
    for sheet, records in case.items():
        plain[sheet] = []
        keys = [source_key(sheet, record) for record in records]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{sheet}: two records share a sources key")
        for record, key in zip(records, keys, strict=True):
            row: Record = {}
            for column, value in record.items():
                if isinstance(value, Figure):
                    sources.append(dict(zip(SOURCE_COLUMNS, (
                        sheet, key, column, value.value, value.unit, value.source, value.url,
                        value.derivation), strict=True)))
                    value = value.value
                elif isinstance(value, int | float):
                    raise ValueError(f"{sheet}.{column}: a number without a source ({value})")
                row[column] = value
            plain[sheet].append(row)
    plain["sources"] = sources
    return plain


def tables() -> dict[str, list[Record]]:
    """Every sheet of the case, numbers as :class:`Figure` with their sources."""
    return Case(PublicFigures(SOURCES)).tables()


def build(path: Path) -> Path:
    """Write the base case to ``path``."""
    write_workbook(path, split(tables()))
    return path
