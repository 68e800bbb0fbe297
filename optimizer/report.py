"""The results workbook (MODEL.md §8, §9): tables to a formatted .xlsx, atomically.

I/O only: the tables come from :mod:`optimizer.results`; formats, units and
meanings from :mod:`optimizer.results_contract`. Every sheet is an Excel table
(filters on, banded rows) with its header frozen, numbers formatted and widths
fitted. XlsxWriter writes the workbook, a column at a time, to a temporary file
beside the target, which is then renamed into place: a crash never leaves a
half-written workbook, and an existing file is only ever replaced whole. Nothing
else, in particular the input workbook, is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

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
MAX_DATA_ROWS = 1_048_575  # Excel's last row, less the header
WIDTH_SAMPLE = 2_000  # text values looked at to fit a column's width
# Text is written as text: a name starting with "=" or "http://" stays what it is,
# and XlsxWriter skips the checks for formulas and links on every string.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}


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
    with replacing(target) as temporary:
        workbook = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)
        formats = _Formats(workbook)
        for sheet in RESULT_SHEETS:
            if sheet.name in tables:
                _write_sheet(workbook.add_worksheet(sheet.name), formats, sheet,
                             tables[sheet.name])
        _close(workbook)
    return target


def _close(workbook: xlsxwriter.Workbook) -> None:
    """Write the file out. XlsxWriter wraps a failure to write in its own exception;
    the error that caused it is raised instead, as from any other file written."""
    try:
        workbook.close()
    except FileCreateError as error:
        cause = error.args[0] if error.args else None
        if isinstance(cause, OSError):
            raise cause from None
        raise


def _check(tables: Mapping[str, pd.DataFrame]) -> None:
    """Every sheet declared, in exactly its declared columns, and short enough for Excel."""
    for name, frame in tables.items():
        if name not in RESULT_SHEETS_BY_NAME:
            raise ValueError(f"results sheet {name!r} is not declared in the results contract")
        declared = list(RESULT_SHEETS_BY_NAME[name].column_names)
        if list(frame.columns) != declared:
            raise ValueError(f"{name}: columns {list(frame.columns)} are not the declared "
                             f"{declared}")
        if len(frame) > MAX_DATA_ROWS:
            raise ValueError(f"{name}: {len(frame):,} rows do not fit on an Excel sheet "
                             f"(at most {MAX_DATA_ROWS:,})")


class _Formats:
    """The workbook's cell formats, each made once: XlsxWriter adds a style to the
    file for every Format object, however alike."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.header = workbook.add_format({
            "bold": HEADER_FONT.b,
            "font_color": _colour(HEADER_FONT.color.rgb),
            "bg_color": _colour(HEADER_FILL.fgColor.rgb),
        })
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.numbers: dict[str, Format] = {}

    def number(self, number_format: str) -> Format | None:
        """The format showing numbers in ``number_format``; none for Excel's General."""
        if number_format == TEXT:
            return None
        if number_format not in self.numbers:
            self.numbers[number_format] = self.workbook.add_format(
                {"num_format": number_format}
            )
        return self.numbers[number_format]


def _colour(argb: str) -> str:
    """An openpyxl colour (``"00RRGGBB"``) as XlsxWriter takes it (``"#RRGGBB"``)."""
    return f"#{argb[-6:]}"


# ---------------------------------------------------------------- sheets


def _write_sheet(
    worksheet: Worksheet, formats: _Formats, sheet: ResultSheet, frame: pd.DataFrame
) -> None:
    """One sheet: the data a column at a time, each column's width, then the table over
    header and data, and the frozen header."""
    for index, column in enumerate(sheet.columns):
        values = frame[column.name]
        if column.number_format == BY_FIGURE:
            _write_by_figure(worksheet, formats, index, values, frame["figure"])
        else:
            worksheet.write_column(1, index, _cells(values), _column_format(formats, column))
        worksheet.set_column(index, index, _width(column, frame))
    # an Excel table needs a data row, so an empty sheet's table takes a blank one
    worksheet.add_table(0, 0, max(len(frame), 1), len(sheet.columns) - 1, {
        "name": sheet.name,
        "style": TABLE_STYLE,
        "banded_rows": True,
        "autofilter": True,
        "columns": [_table_column(formats, column) for column in sheet.columns],
    })
    worksheet.freeze_panes(1, 0)


def _column_format(formats: _Formats, column: ResultColumn) -> Format | None:
    """The format of a column's cells: wrapped text, or its numbers' format."""
    if column.wrap:
        return formats.wrap
    if column.number_format == BY_FIGURE:
        return None  # a format per row, written with the values
    return formats.number(column.number_format)


def _table_column(formats: _Formats, column: ResultColumn) -> dict[str, object]:
    """A table column: its styled header, and the format Excel gives rows added to it."""
    spec: dict[str, object] = {"header": column.name, "header_format": formats.header}
    cell_format = _column_format(formats, column)
    if cell_format is not None:
        spec["format"] = cell_format
    return spec


def _write_by_figure(
    worksheet: Worksheet, formats: _Formats, index: int, values: pd.Series, figures: pd.Series
) -> None:
    """The summary's values, each number in its own figure's format."""
    for row, (value, figure) in enumerate(zip(_cells(values), figures, strict=True), start=1):
        number = isinstance(value, float | int) and not isinstance(value, bool)
        cell_format = formats.number(_figure_format(figure)) if number else None
        worksheet.write(row, index, value, cell_format)


def _cells(values: pd.Series) -> list[object]:
    """A column's values as XlsxWriter takes them: Python scalars, with NaN, NA, None and
    empty text as None (a blank cell)."""
    blank = values.isna()
    if not pd.api.types.is_numeric_dtype(values.dtype):
        blank |= values.astype(object).eq("")
    cells: list[object] = values.astype(object).where(~blank, None).tolist()
    if values.dtype == object:  # mixed values may hold numpy scalars
        return [_plain(value) for value in cells]
    return cells


def _plain(value: object) -> object:
    """numpy scalars as Python values, which XlsxWriter writes without guessing."""
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------- widths


def _width(column: ResultColumn, frame: pd.DataFrame) -> float:
    """A width that shows the header (with its filter button) and the widest value."""
    header = len(column.name) + FILTER_BUTTON
    values = frame[column.name]
    widest = (_widest_by_figure(values, frame["figure"]) if column.number_format == BY_FIGURE
              else _widest(values, column.number_format))
    if column.wrap:
        return float(min(max(header, widest) + 2, WRAP_WIDTH))
    return float(min(max(MIN_WIDTH, header, widest + 2), MAX_WIDTH))


def _widest(values: pd.Series, number_format: str) -> int:
    """About how many characters the widest of ``values`` shows.

    Numbers: the largest or the smallest, over the whole column (a vectorised min and
    max, and a number too wide for its column shows as ``####``). Text: the longest of
    a random sample (seeded, so a workbook is written the same every time; random, so
    the sample cannot fall in step with the repeating keys), since a longer text
    missed is only cut off at the cell's edge.
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        present = values.dropna()
        if present.empty:
            return 0
        return max(_shown_length(present.max(), number_format),
                   _shown_length(present.min(), number_format))
    sample = values.sample(n=min(len(values), WIDTH_SAMPLE), random_state=0).dropna()
    return max((_shown_length(v, number_format) for v in sample.tolist()), default=0)


def _widest_by_figure(values: pd.Series, figures: pd.Series) -> int:
    """The summary's values, each shown in its own figure's format (a few rows)."""
    return max((_shown_length(v, _figure_format(f)) for v, f in zip(
        _cells(values), figures, strict=True) if v is not None), default=0)


def _figure_format(figure: str) -> str:
    known = FIGURES_BY_NAME.get(figure)
    return known.number_format if known else TEXT


def _shown_length(value: object, number_format: str) -> int:
    """About how many characters Excel shows for ``value`` in ``number_format``."""
    value = _plain(value)
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
