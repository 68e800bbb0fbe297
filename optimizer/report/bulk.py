"""The cells of long sheets, written as XML from whole columns at once.

XlsxWriter lays out the workbook (styles, tables, conditional formats, charts, widths,
frozen headers, page set-up) but writes every cell through a Python call, about 5 µs
a cell: minutes for the sheets of a big case. For a long table sheet, the workbook is
written with its header only, and the rows are then put into the sheet's
``<sheetData>`` here, each column turned into its XML by Arrow's string kernels
(numbers in their shortest exact form, blanks left out), about a tenth of the cost.
Cell styles are the very formats XlsxWriter registered for the columns, so a sheet
reads the same either way; text goes to the workbook's shared strings, each distinct
text once, as Excel itself writes it.
"""

from __future__ import annotations

import re
import shutil
import threading
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

ZIP_LEVEL = 1  # deflate fast: the XML of a long sheet is large and very repetitive
WORKERS = 2  # sheets built at once
_SHEET_DATA = re.compile(rb"<sheetData>(.*?)</sheetData>|<sheetData/>", re.DOTALL)
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_TABLE_NAME = re.compile(rb' displayName="([^"]*)"')
_REF = re.compile(rb'ref="[^"]*"')
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML cannot hold these
SHARED_STRINGS = "xl/sharedStrings.xml"


@dataclass(frozen=True)
class BulkSheet:
    """A sheet whose data rows are written here: its XML part, its table and the style
    (XlsxWriter's xf index, 0 for none) of each cell, by column or by row."""

    part: str  # e.g. "xl/worksheets/sheet5.xml"
    table: str  # the name of the Excel table over the sheet's cells
    frame: pd.DataFrame
    styles: Sequence[int | np.ndarray]  # per column: one index, or one per row
    heights: np.ndarray | None = None  # points per row where taller than one line, else 0


def fill(path: Path, sheets: Sequence[BulkSheet]) -> None:
    """Put the data rows of ``sheets`` into the workbook at ``path`` (rewritten in
    place, through a temporary file beside it)."""
    tables = {sheet.table: sheet for sheet in sheets}
    rewritten = path.with_name(path.name + ".fill")
    try:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(
            rewritten, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL
        ) as target:
            shared = _SharedStrings(source.read(SHARED_STRINGS))
            sources = [source.read(sheet.part) for sheet in sheets]
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:  # Arrow and zlib let go
                written = list(pool.map(lambda x: _with_rows(x[0], x[1], shared),  # of
                                        zip(sources, sheets, strict=True)))  # the GIL
            parts = {sheet.part: xml for sheet, xml in zip(sheets, written, strict=True)}
            for info in source.infolist():
                name = info.filename
                if name in parts:
                    data = parts.pop(name)
                elif name == SHARED_STRINGS:
                    data = shared.xml()
                elif name.startswith("xl/tables/"):
                    data = _table_over_rows(source.read(name), tables)
                else:
                    data = source.read(name)
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED,
                                compresslevel=ZIP_LEVEL)
        shutil.move(rewritten, path)
    finally:
        rewritten.unlink(missing_ok=True)


class _SharedStrings:
    """The workbook's table of shared strings, which the long sheets' text cells add to:
    each distinct text is stored once and a cell holds its number, so the sheets are
    smaller and quicker to open than with the text in every cell."""

    def __init__(self, xml: bytes) -> None:
        self.body = xml
        found = re.search(rb'uniqueCount="(\d+)"', xml)
        counted = re.search(rb' count="(\d+)"', xml)
        self.first = int(found.group(1)) if found else 0
        self.references = int(counted.group(1)) if counted else self.first
        self.texts: dict[str, int] = {}
        self.lock = threading.Lock()  # sheets are written by several threads

    def numbers(self, texts: Sequence[str], references: int) -> np.ndarray:
        """The number of each of ``texts`` in the table, added where new; ``references``
        cells will hold them."""
        found = np.empty(len(texts), dtype=np.int64)
        with self.lock:
            self.references += references
            for i, text in enumerate(texts):
                number = self.texts.get(text)
                if number is None:
                    number = self.texts[text] = self.first + len(self.texts)
                found[i] = number
        return found

    def xml(self) -> bytes:
        """The table with the added strings, and its counts."""
        items = "".join(f'<si><t xml:space="preserve">{_escape_text(t)}</t></si>'
                        for t in self.texts)
        unique = self.first + len(self.texts)
        body = re.sub(rb' count="\d+"', f' count="{self.references}"'.encode(), self.body,
                      count=1)
        body = re.sub(rb'uniqueCount="\d+"', f'uniqueCount="{unique}"'.encode(), body, count=1)
        return body.replace(b"</sst>", items.encode() + b"</sst>")


def _last_cell(sheet: BulkSheet) -> str:
    return f"{get_column_letter(len(sheet.frame.columns))}{len(sheet.frame) + 1}"


def _with_rows(xml: bytes, sheet: BulkSheet, shared: _SharedStrings) -> bytes:
    """The sheet's XML with its data rows after the header row XlsxWriter wrote."""
    found = _SHEET_DATA.search(xml)
    if found is None:
        raise ValueError(f"{sheet.part}: no sheetData to fill")
    header = found.group(1) or b""
    rows = rows_xml(sheet.frame, sheet.styles, 2, shared, sheet.heights)
    start, end = found.span()
    head = _DIMENSION.sub(f'<dimension ref="A1:{_last_cell(sheet)}"/>'.encode(), xml[:start],
                          count=1)
    return b"".join((head, b"<sheetData>", header, rows, b"</sheetData>", xml[end:]))


def _table_over_rows(xml: bytes, tables: dict[str, BulkSheet]) -> bytes:
    """A table's XML with its range (and its filter's) over every row of its sheet: the
    table was declared over the header and one row, as XlsxWriter keeps a record of
    every cell a table covers."""
    found = _TABLE_NAME.search(xml)
    sheet = tables.get(found.group(1).decode()) if found else None
    if sheet is None:
        return xml
    return _REF.sub(f'ref="A1:{_last_cell(sheet)}"'.encode(), xml, count=2)


def rows_xml(frame: pd.DataFrame, styles: Sequence[int | np.ndarray], first_row: int,
             shared: _SharedStrings, heights: np.ndarray | None = None) -> bytes:
    """``<row>`` elements for every row of ``frame``, the first numbered ``first_row``;
    a row with a positive height in ``heights`` gets that height (wrapped text). Text
    goes to the ``shared`` strings; each row is one concatenation of all its pieces."""
    count = len(frame)
    if not count:
        return b""
    numbers = pc.cast(pa.array(np.arange(first_row, first_row + count)), pa.large_string())
    parts: list[str | pa.Array] = ['<row r="', numbers, '"']
    if heights is not None:
        parts.append(pc.if_else(pa.array(heights > 0), _join(
            ' ht="', pc.cast(pa.array(heights.astype(float)), pa.large_string()),
            '" customHeight="1"'), pa.scalar("", pa.large_string())))
    parts.append(">")
    for name, style in zip(frame.columns, styles, strict=True):
        parts.append(_cells(frame[name], style, shared))
    parts.append("</row>")
    return _concatenated(_join(*parts))


def _join(*parts: str | pa.Array | pa.Scalar) -> pa.Array:
    """The element-wise concatenation of ``parts`` (texts are the same in every row)."""
    return pc.binary_join_element_wise(
        *(pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts),
        pa.scalar("", pa.large_string()))


def _cells(values: pd.Series, style: int | np.ndarray, shared: _SharedStrings) -> pa.Array:
    """One column's ``<c>`` elements, empty where the value is blank. A cell's
    reference (``r``) is left out, as the format allows: a cell without one is the
    next in its row, and a blank cell is left out, so every cell of a column that
    follows a blank would shift left — hence blanks are written as empty cells."""
    if isinstance(style, np.ndarray):
        styles: str | pa.Array = pc.if_else(
            pa.array(style > 0), _join(' s="', pc.cast(pa.array(style), pa.large_string()), '"'),
            pa.scalar("", pa.large_string()))
    else:
        styles = f' s="{style}"' if style else ""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype):
        numbers_of = values.to_numpy(dtype=float)
        text = pc.cast(pa.array(numbers_of, mask=~np.isfinite(numbers_of)), pa.large_string())
        cell = _join("<c", styles, "><v>", text, "</v></c>")
    else:
        cell = _join("<c", styles, ' t="s"><v>', _shared_numbers(values, shared), "</v></c>")
    return pc.fill_null(cell, pa.scalar("<c/>", pa.large_string()))


def _shared_numbers(values: pd.Series, shared: _SharedStrings) -> pa.Array:
    """The shared-string number of each text, as XML text (null where blank)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        texts = [str(c) for c in values.cat.categories]
        codes = values.cat.codes.to_numpy()
    else:
        objects = values.astype(object)
        blank = (objects.isna() | objects.eq("")).to_numpy()
        codes, uniques = pd.factorize(objects.where(~blank, None).map(
            lambda v: v if v is None else ("TRUE" if v is True else "FALSE" if v is False
                                           else str(v))), use_na_sentinel=True)
        texts = [str(u) for u in uniques]
    numbers = shared.numbers(texts, int((codes >= 0).sum()))
    found = numbers[np.where(codes >= 0, codes, 0)] if len(numbers) else np.zeros(len(codes),
                                                                                   np.int64)
    return pc.cast(pa.array(found, mask=codes < 0), pa.large_string())


def _escape_text(text: str) -> str:
    """One text safe inside an XML element (see :func:`_escape`)."""
    text = _CONTROL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _concatenated(strings: pa.Array) -> bytes:
    """Every string of an Arrow string array, one after the other, as bytes: the
    array's own data buffer, between its first and last offsets."""
    strings = strings.cast(pa.large_string()) if strings.type != pa.large_string() else strings
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[strings.offset:
                                                    strings.offset + len(strings) + 1]
    joined: bytes = data.to_pybytes()[int(bounds[0]):int(bounds[-1])]
    return joined
