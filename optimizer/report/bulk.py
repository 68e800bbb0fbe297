"""The cells of long sheets, written as XML from whole columns at once.

XlsxWriter lays out the workbook (styles, tables, conditional formats, charts, widths,
frozen headers, page set-up) but writes every cell through a Python call, about 5 µs
a cell: minutes for the sheets of a big case. For a long table sheet, the workbook is
written with its header only, and the rows are then put into the sheet's
``<sheetData>`` here, each column turned into its XML by Arrow's string kernels
(numbers in their shortest exact form, text escaped, blanks left out), about a tenth
of the cost. Cell styles are the very formats XlsxWriter registered for the columns,
so a sheet reads the same either way; strings are inline (``t="inlineStr"``), which
Excel, LibreOffice and every reader of the format accept.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ZIP_LEVEL = 1  # deflate fast: the XML of a long sheet is large and very repetitive
_SHEET_DATA = re.compile(rb"<sheetData>(.*?)</sheetData>|<sheetData/>", re.DOTALL)
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_TABLE_NAME = re.compile(rb' displayName="([^"]*)"')
_REF = re.compile(rb'ref="[^"]*"')


@dataclass(frozen=True)
class BulkSheet:
    """A sheet whose data rows are written here: its XML part, its table and the style
    (XlsxWriter's xf index, 0 for none) of each cell, by column or by row."""

    part: str  # e.g. "xl/worksheets/sheet5.xml"
    table: str  # the name of the Excel table over the sheet's cells
    frame: pd.DataFrame
    styles: Sequence[int | np.ndarray]  # per column: one index, or one per row
    heights: np.ndarray | None = None  # points per row where taller than one line, else 0


def column_letters(index: int) -> str:
    """Excel's name of a 0-based column: A, …, Z, AA, …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def fill(path: Path, sheets: Sequence[BulkSheet]) -> None:
    """Put the data rows of ``sheets`` into the workbook at ``path`` (rewritten in
    place, through a temporary file beside it)."""
    parts = {sheet.part: sheet for sheet in sheets}
    tables = {sheet.table: sheet for sheet in sheets}
    rewritten = path.with_name(path.name + ".fill")
    try:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(
            rewritten, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL
        ) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename in parts:
                    data = _with_rows(data, parts[info.filename])
                elif info.filename.startswith("xl/tables/"):
                    data = _table_over_rows(data, tables)
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED,
                                compresslevel=ZIP_LEVEL)
        shutil.move(rewritten, path)
    finally:
        rewritten.unlink(missing_ok=True)


def _last_cell(sheet: BulkSheet) -> str:
    return f"{column_letters(len(sheet.frame.columns) - 1)}{len(sheet.frame) + 1}"


def _with_rows(xml: bytes, sheet: BulkSheet) -> bytes:
    """The sheet's XML with its data rows after the header row XlsxWriter wrote."""
    found = _SHEET_DATA.search(xml)
    if found is None:
        raise ValueError(f"{sheet.part}: no sheetData to fill")
    header = found.group(1) or b""
    rows = rows_xml(sheet.frame, sheet.styles, first_row=2, heights=sheet.heights)
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
             heights: np.ndarray | None = None) -> bytes:
    """``<row>`` elements for every row of ``frame``, the first numbered ``first_row``;
    a row with a positive height in ``heights`` gets that height (wrapped text)."""
    count = len(frame)
    if not count:
        return b""
    numbers = pc.cast(pa.array(np.arange(first_row, first_row + count)), pa.large_string())
    cells = [
        _cells(frame[name], column_letters(index), numbers, styles[index])
        for index, name in enumerate(frame.columns)
    ]
    tall: pa.Array | str = ""
    if heights is not None:
        tall = pc.if_else(pa.array(heights > 0), _join(
            ' ht="', pc.cast(pa.array(heights.astype(float)), pa.large_string()),
            '" customHeight="1"'), pa.scalar("", pa.large_string()))
    rows = _join('<row r="', numbers, '"', tall, ">", *cells, "</row>")
    return _concatenated(rows)


def _join(*parts: str | pa.Array | pa.Scalar) -> pa.Array:
    """The element-wise concatenation of ``parts`` (texts are the same in every row)."""
    return pc.binary_join_element_wise(
        *(pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts),
        pa.scalar("", pa.large_string()))


def _cells(values: pd.Series, letter: str, numbers: pa.Array,
           style: int | np.ndarray) -> pa.Array:
    """One column's ``<c>`` elements, empty where the value is blank."""
    text, numeric = _values(values)
    if isinstance(style, np.ndarray):
        styles = pc.if_else(pa.array(style > 0),
                            _join(' s="', pc.cast(pa.array(style), pa.large_string()), '"'),
                            pa.scalar("", pa.large_string()))
    else:
        styles = f' s="{style}"' if style else ""
    if numeric:
        cell = _join(f'<c r="{letter}', numbers, '"', styles, "><v>", text, "</v></c>")
    else:
        cell = _join(f'<c r="{letter}', numbers, '"', styles,
                     ' t="inlineStr"><is><t xml:space="preserve">', text, "</t></is></c>")
    return pc.fill_null(cell, pa.scalar("", pa.large_string()))


def _values(values: pd.Series) -> tuple[pa.Array, bool]:
    """A column's values as XML text (null where blank), and whether they are numbers."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return pa.array(values.map({True: "TRUE", False: "FALSE"}).astype(object),
                        pa.large_string()), False
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float)
        array = pa.array(numbers, mask=~np.isfinite(numbers))
        return pc.cast(array, pa.large_string()), True
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = pa.array(values.cat.categories.astype(str).tolist(), pa.large_string())
        escaped = _escape(categories)
        codes = values.cat.codes.to_numpy()
        return escaped.take(pa.array(codes, mask=codes < 0)), False
    objects = values.astype(object)
    blank = objects.isna() | objects.eq("")
    texts = [None if empty else str(value)
             for value, empty in zip(objects.tolist(), blank.tolist(), strict=True)]
    return _escape(pa.array(texts, pa.large_string())), False


def _escape(text: pa.Array) -> pa.Array:
    """Text safe inside an XML element: markup escaped, and the control characters XML
    cannot hold left out."""
    text = pc.replace_substring_regex(text, "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]", "")
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, raw, entity)
    return text


def _concatenated(strings: pa.Array) -> bytes:
    """Every string of an Arrow string array, one after the other, as bytes: the
    array's own data buffer, between its first and last offsets."""
    strings = strings.cast(pa.large_string()) if strings.type != pa.large_string() else strings
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[strings.offset:
                                                    strings.offset + len(strings) + 1]
    joined: bytes = data.to_pybytes()[int(bounds[0]):int(bounds[-1])]
    return joined
