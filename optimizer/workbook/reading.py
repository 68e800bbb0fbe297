"""Reading the input workbook into raw tables (MODEL.md §2, "reading" rules).

This layer only finds sheets, columns and records; it does not judge cell values
(that is validation's work). It reads with calamine, which is many times faster than
openpyxl on large sheets, and never modifies the file.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from optimizer.workbook import archive as parts
from optimizer.workbook import contract
from optimizer.workbook.contract import IGNORED_SHEETS
from optimizer.workbook.problems import NotAnInputError, NotAWorkbookError, Problems
from optimizer.workbook.spelling import suggest

log = logging.getLogger(__name__)

Cell = object  # what calamine returns: str, float, int, bool, date, datetime, time, timedelta


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One non-blank row: its Excel row number and its cells by contract column name."""

    row: int
    cells: Mapping[str, Cell]


@dataclass(frozen=True, slots=True)
class RawSheet:
    """A contract sheet as found in the workbook."""

    name: str  # the contract's name
    title: str  # the name in the workbook
    columns: tuple[str, ...]  # contract columns present, in contract order
    records: tuple[RawRecord, ...]
    last_row: int  # the last row with anything in it (1: header only; 0: wholly blank)


@dataclass(frozen=True, slots=True)
class RawWorkbook:
    """The contract sheets found in a workbook, by contract name."""

    path: Path
    sheets: Mapping[str, RawSheet]


def normalise_name(name: object) -> str:
    """Sheet and column names match case-insensitively, ignoring surrounding blanks."""
    return str(name).strip().casefold()


def is_blank(cell: Cell) -> bool:
    """Whether a cell is empty (or holds only blanks)."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def _check_file(path: Path) -> None:
    """Raise :class:`NotAWorkbookError` with a plain sentence unless ``path`` looks
    like an ``.xlsx`` workbook."""
    if not path.exists():
        raise NotAWorkbookError(f"{path}: no such file")
    if path.is_dir():
        raise NotAWorkbookError(f"{path}: is a folder, not an Excel workbook")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            if head.startswith(_OLE_MAGIC):
                handle.seek(0)
                encrypted = _ENCRYPTED_MARK in handle.read()
    except OSError as error:
        raise NotAWorkbookError(f"{path}: cannot be opened ({error.strerror})") from None
    if not head:
        raise NotAWorkbookError(f"{path}: the file is empty")
    if head.startswith(_OLE_MAGIC):
        if encrypted:
            raise NotAWorkbookError(
                f"{path}: the workbook is protected by a password; "
                "save an unprotected copy and run again"
            )
        raise NotAWorkbookError(
            f"{path}: is an old-style Excel 97-2003 workbook (.xls); "
            "save it as an Excel workbook (.xlsx) and run again"
        )
    if not head.startswith(_ZIP_MAGIC):
        kind = "a CSV or text file" if _looks_like_text(path) else "not an Excel workbook"
        raise NotAWorkbookError(
            f"{path}: is {kind}; the optimizer reads Excel workbooks (.xlsx)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            parts.check_members(str(path), archive)
    except zipfile.BadZipFile:
        raise NotAWorkbookError(
            f"{path}: the workbook is damaged or incomplete (not a readable .xlsx file)"
        ) from None
    if "xl/workbook.xml" not in names:
        raise NotAWorkbookError(
            f"{path}: is a zip archive but not an Excel workbook (.xlsx)"
        )


def _scan(path: Path, titles: Sequence[str]) -> dict[str, parts.SheetScan]:
    """Each contract sheet's extent and formula cells, refusing sheets beyond the caps
    before calamine materialises them."""
    scans: dict[str, parts.SheetScan] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = parts.sheet_parts(archive)
            for title in titles:
                member = members.get(title)
                if member is None or member not in archive.namelist():
                    continue
                sheet = contract.SHEETS_BY_NAME[normalise_name(title)]
                limit = len(sheet.column_names) + parts.EXTRA_COLUMNS
                scans[title] = parts.scan_sheet(str(path), title, archive, member, limit)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise NotAWorkbookError(
            f"{path}: the workbook is damaged or incomplete and cannot be read ({error})"
        ) from None
    return scans


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        sample = handle.read(4096)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in sample


def read_workbook(path: Path, problems: Problems) -> RawWorkbook:
    """Read every contract sheet of the workbook at ``path``.

    A sheet or column that nearly matches a contract name the workbook lacks is an
    error saying which it was meant to be (:mod:`optimizer.workbook.spelling`); one
    that matches nothing is a warning. A sheet found twice (names that differ only in
    case or blanks) and a column found twice are errors. Raises
    :class:`NotAWorkbookError` when the file is not a readable ``.xlsx``, and
    :class:`NotAnInputError` for a results workbook, a sweep grid or comparison, or a
    template never filled in.
    """
    _check_file(path)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise NotAWorkbookError(
            f"{path}: the workbook is protected by a password; "
            "save an unprotected copy and run again"
        ) from None
    except Exception as error:  # calamine raises several unrelated types on damaged files
        raise NotAWorkbookError(
            f"{path}: the workbook is damaged or incomplete and cannot be read ({error})"
        ) from None

    _check_kind(path, workbook.sheet_names)
    contract_titles = [t for t in workbook.sheet_names
                       if normalise_name(t) in contract.SHEETS_BY_NAME]
    scans = _scan(path, contract_titles)
    present = {normalise_name(t) for t in workbook.sheet_names}
    absent = [s.name for s in contract.SHEETS if s.name not in present]
    found: dict[str, RawSheet] = {}
    for title in workbook.sheet_names:
        name = normalise_name(title)
        if name in IGNORED_SHEETS:
            continue
        if name not in contract.SHEETS_BY_NAME:
            _unknown_sheet(title, absent, problems)
            continue
        if name in found:
            problems.error(
                name,
                None,
                None,
                f"sheet appears twice (as {found[name].title!r} and {title!r})",
            )
            continue
        try:
            rows = workbook.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception as error:
            raise NotAWorkbookError(
                f"{path}: sheet {title!r} is damaged and cannot be read ({error})"
            ) from None
        scan = scans.get(title)
        found[name] = _read_sheet(name, title, rows, problems,
                                  scan.formulas if scan else ())
    _check_filled(path, found)
    return RawWorkbook(path=path, sheets=found)


def _unknown_sheet(title: str, absent: Sequence[str], problems: Problems) -> None:
    """A sheet the contract does not know: an error when its name nearly matches a
    contract sheet the workbook lacks (a slip that would leave that sheet unread),
    else a warning."""
    meant = suggest(title.strip(), absent)
    if meant is None:
        problems.warn(title, None, None, "sheet is not part of the contract; ignored")
    else:
        problems.error(title, None, None, f"unknown sheet — did you mean {meant}?")


# Sheets that mark the workbooks the optimizer writes, which are not inputs: every
# results workbook has a summary and a headlines sheet (optimizer.results.contract),
# a sweep grid a sweep sheet (optimizer.sweep.grid), a sweep's comparison workbook a
# comparison sheet (optimizer.sweep.comparison).
NOT_INPUTS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"summary", "headlines"}),
     "is a results workbook, not an input workbook; give the input it was made from"),
    (frozenset({"sweep"}),
     "is a sweep grid, not an input workbook; give it to optimizer sweep after the input"),
    (frozenset({"comparison"}),
     "is a sweep's comparison workbook, not an input workbook"),
)


def _check_kind(path: Path, titles: Sequence[str]) -> None:
    """Raise :class:`NotAnInputError` for a workbook the optimizer wrote that is not an
    input: one with a marking sheet and none of the sheets every input has."""
    names = {normalise_name(t) for t in titles}
    if any(s.name in names for s in contract.SHEETS if s.required):
        return
    for marks, sentence in NOT_INPUTS:
        if marks & names:
            raise NotAnInputError(f"{path}: {sentence}.")


def _check_filled(path: Path, found: Mapping[str, RawSheet]) -> None:
    """Raise :class:`NotAnInputError` for a template never filled in: every required
    sheet present, no record on any contract sheet, and no setting given a value."""
    if not all(s.name in found for s in contract.SHEETS if s.required):
        return
    if any(sheet.records for name, sheet in found.items() if name != "settings"):
        return
    if any(not is_blank(r.cells.get("value")) for r in found["settings"].records):
        return
    required = [s.name for s in contract.SHEETS if s.non_empty]
    raise NotAnInputError(
        f"{path}: is an input template with nothing filled in yet; fill in at least "
        f"{', '.join(required[:-1])} and {required[-1]} (read_me explains every column)."
    )


UNSAVED_FORMULA = (
    "formula without a saved value: open and save the workbook in Excel or LibreOffice"
)
ERROR_FORMULA = "formula whose saved value is an error; correct it and save the workbook"


def _read_sheet(
    name: str, title: str, rows: Sequence[Sequence[Cell]], problems: Problems,
    formulas: Sequence[parts.FormulaCell] = (),
) -> RawSheet:
    """Turn a sheet's cells into records keyed by contract column names.

    A formula cell without a stored value, or with a stored error, is an error naming
    the cell (calamine would read it as blank, and the default would apply silently).
    """
    sheet = contract.SHEETS_BY_NAME[name]
    header = rows[0] if rows else []
    positions: dict[str, int] = {}
    headed = {normalise_name(cell) for cell in header if not is_blank(cell)}
    absent = [c for c in sheet.column_names if c not in headed]
    for index, cell in enumerate(header):
        if is_blank(cell):
            continue
        column = normalise_name(cell)
        letter = _column_letter(index)
        if column in sheet.notes:
            continue  # explanations the template writes for the reader
        if column not in sheet.column_names:
            _unknown_column(name, str(cell).strip(), letter, absent, problems)
        elif column in positions:
            problems.error(
                name,
                1,
                column,
                f"column appears twice (columns {_column_letter(positions[column])} and {letter})",
            )
        else:
            positions[column] = index
    records: list[RawRecord] = []
    last_row = 0 if all(is_blank(cell) for cell in header) else 1
    for offset, row in enumerate(rows[1:], start=2):
        if all(is_blank(cell) for cell in row):
            continue
        last_row = offset
        cells = {
            column: _strip(row[index]) if index < len(row) else None
            for column, index in positions.items()
        }
        if all(is_blank(cell) for cell in cells.values()):
            continue  # only unknown columns are filled: nothing the contract reads
        records.append(RawRecord(row=offset, cells=cells))
    by_position = {index: column for column, index in positions.items()}
    untrusted = {(cell.row, cell.column) for cell in formulas if cell.column in by_position}
    for cell in formulas:
        if cell.column in by_position:
            message = UNSAVED_FORMULA if cell.reason == "unsaved" else ERROR_FORMULA
            problems.error(name, cell.row, by_position[cell.column], message)
    if untrusted:
        records = [
            RawRecord(record.row, {
                column: None if (record.row, positions[column]) in untrusted else value
                for column, value in record.cells.items()
            })
            for record in records
        ]
    columns = tuple(c for c in sheet.column_names if c in positions)
    return RawSheet(name, title, columns, tuple(records), last_row)


def _unknown_column(
    sheet: str, header: str, letter: str, absent: Sequence[str], problems: Problems
) -> None:
    """A header the contract does not know: an error when it nearly matches a column
    the sheet lacks (that column would silently take its default), else a warning."""
    meant = suggest(header, absent)
    if meant is None:
        problems.warn(sheet, 1, header, f"column {letter} is not part of the contract; ignored")
    else:
        problems.error(sheet, None, f"column {letter}",
                       f"unknown column {header} — did you mean {meant}?")


def _strip(cell: Cell) -> Cell:
    if isinstance(cell, str):
        stripped = cell.strip()
        return stripped if stripped else None
    return cell


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
