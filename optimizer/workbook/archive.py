"""Bounded inspection of an ``.xlsx`` archive before any sheet is parsed.

An input workbook is untrusted: a small file can unzip to gigabytes, or name one cell
at XFD1048576 so that a reader allocates the whole empty rectangle before it. This
module looks at the zip's declared sizes and streams each sheet's XML once, in fixed
chunks, to find its extent and its formula cells, so that such a file is refused with
one sentence before calamine sees it. The limits are documented in
``docs/reliability.md``.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from optimizer.workbook.problems import NotAWorkbookError

MAX_MEMBER_BYTES = 200 * 2**20
"""The largest uncompressed size of one file inside the workbook."""
MAX_RATIO = 100
"""The largest compression ratio of a member bigger than :data:`RATIO_FLOOR_BYTES`."""
RATIO_FLOOR_BYTES = 2**20
"""Members below this size may compress as well as they like (tiny XML parts do)."""
MAX_ROWS = 1_000_000
"""The most rows a sheet may reach."""
EXTRA_COLUMNS = 50
"""How many columns beyond its declared ones a sheet may reach."""

_CHUNK = 2**20
_TOKEN = re.compile(
    rb"<(?:\w+:)?row\b([^>]*)>|<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL
)
_OPENING = re.compile(rb"<(?:\w+:)?(?:c|row)\b")
_REF = re.compile(rb'\br="\$?([A-Z]{1,3})?\$?([0-9]+)?"')
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]+<")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")


@dataclass(frozen=True, slots=True)
class FormulaCell:
    """A formula cell whose value cannot be trusted: 1-based row, 0-based column."""

    row: int
    column: int
    reason: str  # "unsaved" (no stored value) or "error" (a stored error such as #DIV/0!)


@dataclass(frozen=True, slots=True)
class SheetScan:
    """What one pass over a sheet's XML found."""

    last_row: int
    last_column: int  # 0-based; -1 when the sheet has no cell
    formulas: tuple[FormulaCell, ...]


def check_members(path: str, archive: zipfile.ZipFile) -> None:
    """Refuse a member whose declared size or compression ratio is beyond the limits."""
    for info in archive.infolist():
        if info.file_size > MAX_MEMBER_BYTES:
            raise NotAWorkbookError(
                f"{path}: part {info.filename} unzips to {info.file_size / 2**20:,.0f} MB, "
                f"more than the {MAX_MEMBER_BYTES // 2**20} MB a workbook part may hold; "
                "refused as unsafe"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise NotAWorkbookError(
                f"{path}: part {info.filename} unzips {ratio:,.0f} times its packed size, "
                f"more than the {MAX_RATIO}:1 a workbook part may; refused as unsafe"
            )


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's title and the archive member holding its cells."""
    targets: dict[bytes, str] = {}
    for attributes in _RELATION.findall(_small_part(archive, "xl/_rels/workbook.xml.rels")):
        ident, target = _attribute(attributes, b"Id"), _attribute(attributes, b"Target")
        if ident is not None and target is not None:
            name = target.decode("utf-8", "replace")
            member = name.lstrip("/") if name.startswith("/") else str(
                PurePosixPath("xl") / name
            )
            targets[ident] = member
    parts: dict[str, str] = {}
    for attributes in _SHEET.findall(_small_part(archive, "xl/workbook.xml")):
        title, ident = _attribute(attributes, b"name"), _attribute(attributes, b"r:id")
        if title is not None and ident in targets:
            parts[_unescape(title.decode("utf-8", "replace"))] = targets[ident]
    return parts


def scan_sheet(path: str, title: str, archive: zipfile.ZipFile, member: str,
               max_columns: int) -> SheetScan:
    """Stream one sheet's XML: its extent and formula cells; refuse one beyond the caps.

    ``max_columns`` is the number of columns (0-based index excluded) the sheet may
    reach; rows are capped at :data:`MAX_ROWS`.
    """
    row, column, last_row, last_column = 0, -1, 0, -1
    formulas: list[FormulaCell] = []
    buffer = b""
    with archive.open(member) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            buffer += chunk
            end = 0
            for match in _TOKEN.finditer(buffer):
                end = match.end()
                if match.group(1) is not None:
                    number = _ROW_NUMBER.search(match.group(1))
                    row = int(number.group(1)) if number else row + 1
                    column = -1
                    _check_extent(path, title, row, 0, max_columns)
                    continue
                attributes, content = match.group(2), match.group(3) or b""
                row, column = _position(attributes, row, column)
                _check_extent(path, title, row, column, max_columns)
                last_row, last_column = max(last_row, row), max(last_column, column)
                if _ERROR_TYPE.search(attributes):
                    formulas.append(FormulaCell(row, column, "error"))
                elif _FORMULA.search(content) and not _VALUE.search(content):
                    formulas.append(FormulaCell(row, column, "unsaved"))
            rest = buffer[end:]
            openings = [found.start() for found in _OPENING.finditer(rest)]
            buffer = rest[openings[-1]:] if openings else rest[-32:]
            if not chunk:
                break
    return SheetScan(last_row, last_column, tuple(formulas))


def _check_extent(path: str, title: str, row: int, column: int, max_columns: int) -> None:
    if row > MAX_ROWS:
        raise NotAWorkbookError(
            f"{path}: sheet {title!r} reaches row {row:,}, beyond the {MAX_ROWS:,} rows "
            "a sheet may have; refused"
        )
    if column >= max_columns:
        raise NotAWorkbookError(
            f"{path}: sheet {title!r} reaches column {column_letter(column)}, beyond the "
            f"{max_columns} columns it may have ({EXTRA_COLUMNS} more than its declared "
            "ones); refused"
        )


def _position(attributes: bytes, row: int, column: int) -> tuple[int, int]:
    """A cell's row and 0-based column: from its reference, or following the last."""
    ref = _REF.search(attributes)
    if ref is None:
        return max(row, 1), column + 1
    letters, digits = ref.group(1), ref.group(2)
    new_column = column + 1
    if letters:
        new_column = 0
        for letter in letters:
            new_column = new_column * 26 + letter - 64
        new_column -= 1
    return (int(digits) if digits else max(row, 1)), new_column


def _small_part(archive: zipfile.ZipFile, member: str) -> bytes:
    try:
        with archive.open(member) as stream:
            return stream.read(MAX_MEMBER_BYTES)
    except KeyError:
        return b""


def _attribute(attributes: bytes, name: bytes) -> bytes | None:
    found = re.search(rb"(?:^|\s)" + re.escape(name) + rb'="([^"]*)"', attributes)
    return found.group(1) if found else None


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def column_letter(index: int) -> str:
    """The spreadsheet letters of a 0-based column index."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
