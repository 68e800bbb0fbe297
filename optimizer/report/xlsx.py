"""The results workbook (MODEL.md §8, §9): tables to a formatted .xlsx, atomically.

I/O only: the tables come from :mod:`optimizer.results`; formats, highlights, links,
units and meanings from :mod:`optimizer.results_contract`; where each chart's series
lie from :func:`optimizer.charts.layout`. Every sheet but ``charts`` is an Excel table
(filters on, banded rows) with its header frozen, numbers formatted, widths fitted and
a page set up to print one page wide; ``charts`` holds native Excel charts of the
``chart_data`` table. XlsxWriter writes the workbook, a column at a time, to a
temporary file beside the target, which is then renamed into place: a crash never
leaves a half-written workbook, and an existing file is only ever replaced whole.
Nothing else, in particular the input workbook, is touched.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.chart import Chart as XlsxChart
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from optimizer.files import replacing, same_file, work_folder
from optimizer.report import bulk
from optimizer.results.charts import Chart, Series, layout
from optimizer.results.contract import (
    CHART_DATA_SHEET,
    CHARTS_SHEET,
    RESULT_SHEETS,
    RESULT_SHEETS_BY_NAME,
    ROW_FORMATS,
    TEXT,
    ResultColumn,
    ResultSheet,
)
from optimizer.stopping import safe_point
from optimizer.workbook.template import HEADER_FILL, HEADER_FONT

TABLE_STYLE = "TableStyleMedium2"
MIN_WIDTH = 8
MAX_WIDTH = 66  # a SHA-256 in hex fits
WRAP_WIDTH = 90
LINE_HEIGHT = 15  # points: one line of text at the default font
FILTER_BUTTON = 3  # room for the filter arrow beside a header
MAX_DATA_ROWS = 1_048_575  # Excel's last row, less the header
WIDTH_SAMPLE = 2_000  # text values looked at to fit a column's width
BULK_ROWS = 200  # a table sheet this long gets its rows from optimizer.report.bulk
# Text is written as text: a name starting with "=" or "http://" stays what it is,
# and XlsxWriter skips the checks for formulas and links on every string.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}
HIGHLIGHT = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}  # Excel's light red fill
DATA_BAR_COLOUR = "#F8696B"
# The charts sheet: a grid of charts, a row of charts per mineral.
CHART_WIDTH, CHART_HEIGHT = 560, 320  # pixels
CHART_GRID_ROWS, CHART_GRID_COLUMNS = 17, 9  # cells of 20 × 64 pixels a chart's place takes
FIRST_CHART_ROW = 2
CHART_ROWS_PER_PAGE = 3  # printed one page wide, landscape: three rows of charts a page
REFERENCE_LINE = {"color": "#000000", "dash_type": "dash", "width": 1.5}


def write(
    tables: Mapping[str, pd.DataFrame], path: Path | str, *,
    input_path: Path | str | None = None, forms: Mapping[str, ResultSheet] | None = None,
    hidden: Collection[str] = (),
) -> Path:
    """Write ``tables`` (sheet name -> DataFrame) to ``path`` and return the path.

    Sheets follow the order of the results contract; each DataFrame must have
    exactly its sheet's declared columns, or those of its declaration in ``forms``
    (a detail sheet written per node or as expected values). ``input_path``, when
    given, is refused as the target, so the input can never be overwritten. The file
    appears whole or not at all; on any failure an existing file at ``path`` is left
    as it was. Sheets named in ``hidden`` are there but hidden (the charts' numbers
    in a copy for printing).
    """
    target = Path(path)
    if input_path is not None and same_file(target, Path(input_path)):
        raise ValueError(f"{target}: is the input workbook; write the results elsewhere")
    declared = {**RESULT_SHEETS_BY_NAME, **(forms or {})}
    _check(tables, declared)
    drawn = CHART_DATA_SHEET.name in tables  # the charts sheet comes with its data
    written = {*tables, *([CHARTS_SHEET.name] if drawn else [])}
    with replacing(target) as temporary, work_folder(target) as scratch:
        # XlsxWriter's own temporaries go to a private folder, removed however the
        # block ends
        workbook = xlsxwriter.Workbook(str(temporary),
                                       {**WORKBOOK_OPTIONS, "tmpdir": str(scratch)})
        formats = _Formats(workbook)
        charts_sheet = None
        pending: list[_Pending] = []
        for sheet in RESULT_SHEETS:
            safe_point("write-sheet")  # a signal stops the run between sheets
            if sheet is CHARTS_SHEET and drawn:
                charts_sheet = workbook.add_worksheet(sheet.name)
            elif sheet.name in tables:
                worksheet = workbook.add_worksheet(sheet.name)
                later = _write_sheet(worksheet, formats, declared[sheet.name],
                                     tables[sheet.name], written)
                if sheet.name in hidden:
                    worksheet.hide()
                if later is not None:
                    pending.append(later)
        if charts_sheet is not None:
            _draw_charts(workbook, charts_sheet, layout(tables[CHART_DATA_SHEET.name]))
        _close(workbook)
        if pending:  # the formats have their style indices once the workbook is closed
            bulk.fill(temporary, [p.resolved() for p in pending])
    return target


@dataclass(frozen=True)
class _Pending:
    """A long sheet written with its header only, whose rows :mod:`bulk` adds: each
    column's format, or each row's (None: General)."""

    worksheet: Worksheet
    frame: pd.DataFrame
    formats: list[Format | list[Format | None] | None]
    heights: np.ndarray | None  # rows of wrapped text taller than a line

    def resolved(self) -> bulk.BulkSheet:
        def index(cell_format: Format | None) -> int:
            return 0 if cell_format is None else int(cell_format.xf_index or 0)

        styles: list[int | np.ndarray] = [
            np.array([index(f) for f in choice], dtype=np.int64) if isinstance(choice, list)
            else index(choice)
            for choice in self.formats
        ]
        return bulk.BulkSheet(f"xl/worksheets/sheet{self.worksheet.index + 1}.xml",
                              self.worksheet.name, self.frame, styles, self.heights)


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


def _check(tables: Mapping[str, pd.DataFrame], sheets: Mapping[str, ResultSheet]) -> None:
    """Every sheet declared, in exactly its declared columns, and short enough for Excel."""
    for name, frame in tables.items():
        if name not in sheets:
            raise ValueError(f"results sheet {name!r} is not declared in the results contract")
        if not sheets[name].columns:
            raise ValueError(f"{name}: holds charts drawn from {CHART_DATA_SHEET.name}, "
                             "not a table")
        declared = list(sheets[name].column_names)
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
        self.highlight = workbook.add_format(HIGHLIGHT)
        self.link = workbook.get_default_url_format()
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
    worksheet: Worksheet, formats: _Formats, sheet: ResultSheet, frame: pd.DataFrame,
    written: Collection[str],
) -> _Pending | None:
    """One sheet: the data a column at a time, each column's width, then the table over
    header and data, the marks the contract asks for, the frozen header and the page.
    ``written`` names the sheets of the workbook, which cells may link to. A long
    sheet of plain cells gets everything but its data rows, which it returns for
    :mod:`bulk` to add once the workbook is closed."""
    widths = [_width(column, frame) for column in sheet.columns]
    later = len(frame) >= BULK_ROWS and not any(
        column.links_to_sheet for column in sheet.columns)
    for index, column in enumerate(sheet.columns):
        values = frame[column.name]
        if later:
            worksheet.set_column(index, index, widths[index])
            continue
        if column.number_format in ROW_FORMATS:
            _write_by_row(worksheet, formats, index, values, _row_formats(column, frame))
        else:
            worksheet.write_column(1, index, _cells(values), _column_format(formats, column))
        if column.links_to_sheet:
            _write_links(worksheet, formats, index, values, written)
        worksheet.set_column(index, index, widths[index])
    heights = _wrapped_heights(sheet, frame, widths)
    if not later:
        for row in np.flatnonzero(heights).tolist():
            worksheet.set_row(row + 1, float(heights[row]))
    # an Excel table needs a data row, so an empty sheet's table takes a blank one; a
    # long sheet's is declared over one row, bulk.fill widens it over every row
    worksheet.add_table(0, 0, 1 if later else max(len(frame), 1), len(sheet.columns) - 1, {
        "name": sheet.name,
        "style": TABLE_STYLE,
        "banded_rows": True,
        "autofilter": True,
        "columns": [_table_column(formats, column) for column in sheet.columns],
    })
    _mark(worksheet, formats, sheet, len(frame))
    worksheet.freeze_panes(1, 0)
    _set_up_page(worksheet)
    worksheet.repeat_rows(0)
    if not later:
        return None
    return _Pending(worksheet, frame, [
        [formats.number(f) for f in _row_formats(column, frame)]
        if column.number_format in ROW_FORMATS else _column_format(formats, column)
        for column in sheet.columns
    ], heights if heights.any() else None)


def _wrapped_heights(sheet: ResultSheet, frame: pd.DataFrame, widths: list[float]) -> np.ndarray:
    """The height in points of each row whose wrapped text takes several lines (0 for
    the others).

    Excel fits such rows itself when it opens the file, LibreOffice does not (a PDF
    would show the lines over each other). A line is taken to hold as many characters
    as the column is wide, which is fewer than it holds: a row may come out a little
    tall, never too short.
    """
    lines = np.ones(len(frame), dtype=int)
    for index, column in enumerate(sheet.columns):
        if column.wrap:
            length = frame[column.name].astype("string").str.len().fillna(0).to_numpy()
            lines = np.maximum(lines, np.ceil(length / max(widths[index] - 2, 1)).astype(int))
    return np.where(lines > 1, lines * LINE_HEIGHT, 0)


def _mark(worksheet: Worksheet, formats: _Formats, sheet: ResultSheet, rows: int) -> None:
    """The conditional formats the contract asks for, over each column's data rows."""
    if rows == 0:
        return
    for index, column in enumerate(sheet.columns):
        if column.highlight_positive:
            worksheet.conditional_format(1, index, rows, index, {
                "type": "cell", "criteria": ">", "value": 0, "format": formats.highlight,
            })
        if column.data_bar:
            worksheet.conditional_format(1, index, rows, index, {
                "type": "data_bar", "bar_color": DATA_BAR_COLOUR, "data_bar_2010": False,
                "min_type": "num", "min_value": 0, "max_type": "num", "max_value": 1,
            })


def _write_links(
    worksheet: Worksheet, formats: _Formats, index: int, values: pd.Series,
    written: Collection[str],
) -> None:
    """Cells naming a sheet of the workbook become links to its first cell."""
    for row, value in enumerate(values.tolist(), start=1):
        if isinstance(value, str) and value in written:
            worksheet.write_url(row, index, f"internal:'{value}'!A1", formats.link,
                                string=value)


def _set_up_page(worksheet: Worksheet) -> None:
    """Printed (and in a PDF) landscape, one page wide."""
    worksheet.set_landscape()
    worksheet.fit_to_pages(1, 0)


def _column_format(formats: _Formats, column: ResultColumn) -> Format | None:
    """The format of a column's cells: wrapped text, or its numbers' format."""
    if column.wrap:
        return formats.wrap
    if column.number_format in ROW_FORMATS:
        return None  # a format per row, written with the values
    return formats.number(column.number_format)


def _table_column(formats: _Formats, column: ResultColumn) -> dict[str, object]:
    """A table column: its styled header, and the format Excel gives rows added to it."""
    spec: dict[str, object] = {"header": column.name, "header_format": formats.header}
    cell_format = _column_format(formats, column)
    if cell_format is not None:
        spec["format"] = cell_format
    return spec


def _write_by_row(
    worksheet: Worksheet, formats: _Formats, index: int, values: pd.Series,
    number_formats: list[str],
) -> None:
    """Values of a short column whose rows differ in kind (the summary's figures, the
    chart data's kinds), each number in its own row's format."""
    for row, (value, number_format) in enumerate(
        zip(_cells(values), number_formats, strict=True), start=1
    ):
        number = isinstance(value, float | int) and not isinstance(value, bool)
        worksheet.write(row, index, value, formats.number(number_format) if number else None)


def _row_formats(column: ResultColumn, frame: pd.DataFrame) -> list[str]:
    """The number format of each row of a column declared with a format per row."""
    key, by_key = ROW_FORMATS[column.number_format]
    return [by_key.get(value, TEXT) for value in frame[key].tolist()]


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


# ---------------------------------------------------------------- charts


def _draw_charts(
    workbook: xlsxwriter.Workbook, worksheet: Worksheet, charts: tuple[Chart, ...]
) -> None:
    """The charts sheet: a line saying where the numbers are, then the charts in their
    grid, each series pointing at its rows of the chart data."""
    worksheet.write_url(0, 0, f"internal:'{CHART_DATA_SHEET.name}'!A1",
                        string=f"The numbers these charts plot are on the "
                               f"{CHART_DATA_SHEET.name} sheet; read_me explains each chart.")
    if not charts:
        worksheet.write(FIRST_CHART_ROW, 0, "Nothing to chart.")
    for chart in charts:
        worksheet.insert_chart(FIRST_CHART_ROW + chart.grid_row * CHART_GRID_ROWS,
                               chart.grid_column * CHART_GRID_COLUMNS,
                               _chart(workbook, chart))
    _set_up_page(worksheet)
    # a page break between rows of charts, never through a chart
    rows = max((c.grid_row for c in charts), default=0) + 1
    worksheet.set_h_pagebreaks([FIRST_CHART_ROW + r * CHART_GRID_ROWS
                                for r in range(CHART_ROWS_PER_PAGE, rows, CHART_ROWS_PER_PAGE)])


def _chart(workbook: xlsxwriter.Workbook, chart: Chart) -> XlsxChart:
    """One native chart: its series, title, axis titles, number format and legend."""
    kind = chart.kind
    drawn = workbook.add_chart({"type": kind.chart_type,
                                **({"subtype": "stacked"} if kind.stacked else {})})
    for series in chart.series:
        drawn.add_series(_series(series, kind.chart_type))
    drawn.set_title({"name": chart.title, "name_font": {"size": 12, "bold": True}})
    category: dict[str, object] = {"name": chart.category_axis}
    value: dict[str, object] = {"name": chart.value_axis, "num_format": chart.axis_format}
    horizontal, vertical = category, value
    if kind.chart_type == "bar":  # on its side: values across, categories down from the top
        category.update(reverse=True, crossing="max")
        horizontal, vertical = value, category
    drawn.set_x_axis(horizontal)
    drawn.set_y_axis(vertical)
    drawn.set_legend({"none": True} if len(chart.series) == 1 else {"position": "bottom"})
    drawn.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
    return drawn


def _series(series: Series, chart_type: str) -> dict[str, object]:
    """A series over its rows of the chart data: categories and values side by side."""
    columns = CHART_DATA_SHEET.column_names
    category, value = columns.index("category"), columns.index("value")
    first, last = series.first + 1, series.last + 1  # below the header
    spec: dict[str, object] = {
        "name": series.name,
        "categories": [CHART_DATA_SHEET.name, first, category, last, category],
        "values": [CHART_DATA_SHEET.name, first, value, last, value],
    }
    if chart_type == "line":
        spec["marker"] = {"type": "none" if series.reference else "circle", "size": 4}
    if series.reference:
        spec["line"] = REFERENCE_LINE
    return spec


# ---------------------------------------------------------------- widths


def _width(column: ResultColumn, frame: pd.DataFrame) -> float:
    """A width that shows the header (with its filter button) and the widest value."""
    header = len(column.name) + FILTER_BUTTON
    values = frame[column.name]
    widest = (_widest_by_row(values, _row_formats(column, frame))
              if column.number_format in ROW_FORMATS
              else _widest(values, column.number_format))
    if column.wrap:
        return float(min(max(header, widest) + 2, WRAP_WIDTH))
    return float(min(max(MIN_WIDTH, header, widest + 2), MAX_WIDTH))


def _widest(values: pd.Series, number_format: str) -> int:
    """About how many characters the widest of ``values`` shows.

    Numbers: the largest or the smallest, over the whole column (a vectorised min and
    max, and a number too wide for its column shows as ``####``). Names (categoricals):
    the longest name used. Other text: the longest of a random sample (seeded, so a
    workbook is written the same every time; random, so the sample cannot fall in step
    with the repeating keys), since a longer text missed is only cut off at the cell's
    edge.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype):
        numbers = values.to_numpy(dtype=float)
        numbers = numbers[np.isfinite(numbers)]
        if not len(numbers):
            return 0
        return max(_shown_length(float(numbers.max()), number_format),
                   _shown_length(float(numbers.min()), number_format))
    if isinstance(values.dtype, pd.CategoricalDtype):
        used = np.unique(values.cat.codes.to_numpy())
        names = values.cat.categories[used[used >= 0]]
        return max((len(str(name)) for name in names), default=0)
    sample = values.sample(n=min(len(values), WIDTH_SAMPLE), random_state=0).dropna()
    return max((_shown_length(v, number_format) for v in sample.tolist()), default=0)


def _widest_by_row(values: pd.Series, number_formats: list[str]) -> int:
    """Values each shown in its own row's format (a short column)."""
    return max((_shown_length(v, f) for v, f in zip(
        _cells(values), number_formats, strict=True) if v is not None), default=0)


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
