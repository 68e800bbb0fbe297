"""The results workbook (MODEL.md §8, §9): tables to a formatted .xlsx, atomically.

I/O only: the tables come from :mod:`optimizer.results`; formats, units and
meanings from :mod:`optimizer.results_contract`. Every sheet is an Excel table
(filters on, banded rows) with its header frozen, numbers formatted and widths
fitted. The workbook is streamed (openpyxl's write-only mode), so large results
stay within memory, written to a temporary file beside the target and renamed into
place: a crash never leaves a half-written workbook, and an existing file is only
ever replaced whole. Nothing else, in particular the input workbook, is touched.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from optimizer.files import replacing, same_file
from optimizer.results_contract import (
    BY_FIGURE,
    FIGURES_BY_NAME,
    RESULT_SHEETS,
    RESULT_SHEETS_BY_NAME,
    TEXT,
    ResultColumn,
    ResultSheet,
)
from optimizer.template import HEADER_FILL, HEADER_FONT

TABLE_STYLE = "TableStyleMedium2"
MIN_WIDTH = 8
MAX_WIDTH = 66  # a SHA-256 in hex fits
WRAP_WIDTH = 90
FILTER_BUTTON = 3  # room for the filter arrow beside a header
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_DATA_ROWS = 1_048_575  # Excel's last row, less the header


def write(
    tables: Mapping[str, pd.DataFrame], path: Path | str, *, input_path: Path | str | None = None
) -> Path:
    """Write ``tables`` (sheet name -> DataFrame) to ``path`` and return the path.

    Sheets follow the order of the results contract; each DataFrame must have
    exactly its sheet's declared columns. ``input_path``, when given, is refused as
    the target, so the input can never be overwritten. The file appears whole or not
    at all; on any failure an existing file at ``path`` is left as it was.
    """
    target = Path(path)
    if input_path is not None and same_file(target, Path(input_path)):
        raise ValueError(f"{target}: is the input workbook; write the results elsewhere")
    _check(tables)
    workbook = Workbook(write_only=True)
    for sheet in RESULT_SHEETS:
        if sheet.name in tables:
            _write_sheet(workbook, sheet, tables[sheet.name])
    with replacing(target) as temporary:
        workbook.save(temporary)
    return target



def _check(tables: Mapping[str, pd.DataFrame]) -> None:
    """Every sheet declared, in exactly its declared columns."""
    for name, frame in tables.items():
        if name not in RESULT_SHEETS_BY_NAME:
            raise ValueError(f"results sheet {name!r} is not declared in the results contract")
        declared = list(RESULT_SHEETS_BY_NAME[name].column_names)
        if list(frame.columns) != declared:
            raise ValueError(f"{name}: columns {list(frame.columns)} are not the declared "
                             f"{declared}")


# ---------------------------------------------------------------- sheets


def _write_sheet(workbook: Workbook, sheet: ResultSheet, frame: pd.DataFrame) -> None:
    """One sheet: widths, frozen header, header row, data rows, then the table over them
    (write-only sheets take column settings before rows)."""
    worksheet = workbook.create_sheet(sheet.name)
    formats = [_formats(sheet, column, frame) for column in sheet.columns]
    for index, column in enumerate(sheet.columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = _width(
            column, frame[column.name], formats[index - 1]
        )
    worksheet.freeze_panes = "A2"
    worksheet.append([_header_cell(worksheet, name) for name in sheet.column_names])
    if len(frame) > MAX_DATA_ROWS:
        raise ValueError(f"{sheet.name}: {len(frame):,} rows do not fit on an Excel sheet "
                         f"(at most {MAX_DATA_ROWS:,})")
    cells = [_Cells(worksheet, c.wrap) for c in sheet.columns]
    columns = [frame[c.name].tolist() for c in sheet.columns]
    for row in range(len(frame)):
        worksheet.append([
            cells[i].cell(values[row], formats[i][row]) for i, values in enumerate(columns)
        ])
    if frame.empty:  # an Excel table needs a data row, even a blank one
        worksheet.append([None] * len(sheet.columns))
    with warnings.catch_warnings():  # openpyxl warns in write-only mode whether or not
        warnings.filterwarnings("ignore", "In write-only mode")  # the columns are named
        worksheet.add_table(_table(sheet, max(len(frame), 1)))


def _formats(sheet: ResultSheet, column: ResultColumn, frame: pd.DataFrame) -> list[str]:
    """Each row's number format for ``column``: the column's, or the summary figure's."""
    if column.number_format == BY_FIGURE:
        return [FIGURES_BY_NAME[f].number_format if f in FIGURES_BY_NAME else TEXT
                for f in frame["figure"]]
    return [column.number_format] * len(frame)


def _header_cell(worksheet: Any, name: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(worksheet, value=name)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    return cell


class _Cells:
    """Turns one column's values into what a write-only sheet takes: plain values, or,
    for formatted numbers and wrapped text, a styled cell.

    A write-only sheet writes a row out as soon as it is appended, so one styled cell
    per format is reused from row to row rather than styled anew for every value.
    """

    def __init__(self, worksheet: Any, wrap: bool) -> None:
        self.worksheet = worksheet
        self.wrap = wrap
        self.styled: dict[str, WriteOnlyCell] = {}

    def cell(self, value: object, number_format: str) -> object:
        """The value as Excel takes it; numbers carry their format, blanks stay empty."""
        value = _plain(value)
        if value is None:
            return None
        number = isinstance(value, float | int) and not isinstance(value, bool)
        if number and number_format != TEXT:
            key = number_format
        elif self.wrap and not number:
            key = "wrap"
        else:
            return value
        cell = self.styled.get(key)
        if cell is None:
            cell = self.styled[key] = WriteOnlyCell(self.worksheet)
            if key == "wrap":
                cell.alignment = WRAP
            else:
                cell.number_format = number_format
        cell.value = value
        return cell


def _plain(value: object) -> object:
    """numpy and pandas scalars as Python values; NaN, NA and None as None."""
    if value is None or value is pd.NA or value == "":
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _table(sheet: ResultSheet, rows: int) -> Table:
    """The Excel table over the header and ``rows`` data rows, filters on."""
    reference = f"A1:{get_column_letter(len(sheet.columns))}{rows + 1}"
    table = Table(displayName=sheet.name, ref=reference)
    # a write-only sheet cannot be read back, so the columns are named here rather
    # than found in the header row by openpyxl
    table.tableColumns = [
        TableColumn(id=i, name=name) for i, name in enumerate(sheet.column_names, start=1)
    ]
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    table.autoFilter = AutoFilter(ref=reference)
    return table


# ---------------------------------------------------------------- widths


def _width(column: ResultColumn, values: pd.Series, formats: Sequence[str]) -> float:
    """A width that shows the header (with its filter button) and the widest value."""
    header = len(column.name) + FILTER_BUTTON
    widest = _widest(values, formats)
    if column.wrap:
        return float(min(max(header, widest) + 2, WRAP_WIDTH))
    return float(min(max(MIN_WIDTH, header, widest + 2), MAX_WIDTH))


def _widest(values: pd.Series, formats: Sequence[str]) -> int:
    """About how many characters the widest of ``values`` shows: for numbers in one
    format the largest or the smallest, for text the longest."""
    if len(set(formats)) > 1:  # the summary's values, each in its figure's format
        return max(_shown_length(v, f) for v, f in zip(values.tolist(), formats, strict=True))
    present = values.dropna()
    if present.empty:
        return 0
    if pd.api.types.is_numeric_dtype(present):
        return max(_shown_length(present.max(), formats[0]),
                   _shown_length(present.min(), formats[0]))
    return int(present.astype(str).str.len().max())


def _shown_length(value: object, number_format: str) -> int:
    """About how many characters Excel shows for ``value`` in ``number_format``."""
    value = _plain(value)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, float | int):
        return len(str(value))
    decimals = len(number_format.split(".")[1].rstrip("%")) if "." in number_format else 0
    if number_format.endswith("%"):
        return len(f"{value * 100:.{decimals}f}%")
    if "," in number_format:
        return len(f"{value:,.{decimals}f}")
    if number_format == TEXT:
        return len(str(value))
    return len(f"{value:.{decimals}f}")
