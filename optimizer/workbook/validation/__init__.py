"""Validation: every check of MODEL.md §2 and §11, in one pass, into :class:`ModelData`.

``records`` reads every cell by its column's rule and runs the checks all sheets share;
``rules`` holds the rules that tie cells of one sheet together; ``assemble`` resolves
the most-specific-row rule and builds the model data. Every problem is collected;
nothing stops at the first.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.data import ModelData
from optimizer.timing import timed
from optimizer.workbook import contract
from optimizer.workbook.problems import InputError, Problem, Problems
from optimizer.workbook.reading import RawWorkbook, read_workbook
from optimizer.workbook.validation.assemble import assemble, match
from optimizer.workbook.validation.plausible import check_price_scale, check_typical
from optimizer.workbook.validation.records import (
    check_references,
    check_unique_keys,
    read_records,
)
from optimizer.workbook.validation.rules import SHEET_RULES, read_settings


def load(
    path: Path | str, timings: dict[str, float] | None = None, *, strict: bool = False
) -> tuple[ModelData, list[Problem]]:
    """Read and validate the workbook at ``path``, timing both stages into ``timings``.

    Returns the model data and the warnings; raises :class:`InputError` with every
    error (and the warnings) when anything is wrong, or
    :class:`~optimizer.workbook.problems.NotAWorkbookError` when the file is no workbook.
    ``strict`` (``--strict``): any warning is an error too.
    """
    timings = {} if timings is None else timings
    problems = Problems()
    with timed(timings, "read"):
        raw = read_workbook(Path(path), problems)
    with timed(timings, "validate"):
        data = validate(raw, problems)
    errors = problems.sorted_errors()
    warnings = problems.sorted_warnings()
    if strict and warnings:
        raise InputError(sorted([*errors, *warnings], key=Problem.sort_key), strict=True)
    if errors or data is None:
        raise InputError(errors, warnings)
    return data, warnings


def validate(raw: RawWorkbook, problems: Problems) -> ModelData | None:
    """Check every rule and build the model data; ``None`` when there were errors."""
    tables = read_records(raw, problems)
    for sheet in contract.SHEETS:
        if sheet.name in tables:
            check_unique_keys(sheet, tables[sheet.name], problems)
            check_references(sheet, tables, problems)
    settings = read_settings(tables.get("settings", []), problems)
    periods = [r.text("period") for r in tables.get("periods", []) if r.ok("period")]
    order = {p: i for i, p in enumerate(periods)}
    for name, rule in SHEET_RULES.items():
        rule(tables.get(name, []), order, problems)
    for sheet in contract.SHEETS:
        check_typical(sheet, tables.get(sheet.name, []), problems)
    check_price_scale(tables, problems)
    if not all(tables.get(s) for s in ("regions", "minerals", "periods")):
        return None
    matched = match(tables, periods, problems)
    if problems.errors:
        return None
    return assemble(tables, settings, matched, periods, problems)


__all__ = ["InputError", "Problem", "load", "validate"]
