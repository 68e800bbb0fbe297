"""The comparison of a sweep's points: tables, and the workbook and Parquet that hold them.

One row per point: its name, what it changed, its status and reason, every figure of
:func:`optimizer.sweep.engine.figures`, and each figure's difference from the base
point (``delta_<figure>``). The long table (a row per point and figure) goes to
Parquet. The workbook has the table with highlights on infeasible points and
shortfalls, a chart of each figure against the point, and the cost-versus-expected-
shortfall frontier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import xlsxwriter

from optimizer.files import replacing
from optimizer.sweep.engine import Figures
from optimizer.sweep.grid import BASE, Point

LEADING = ("point", "changes", "status", "reason")


def comparison(points: Sequence[Point], found: Mapping[str, Figures]) -> pd.DataFrame:
    """One row per point (``base`` first) with its figures and their deltas from base."""
    described = {BASE: "", **{p.name: p.describe() for p in points}}
    rows = [{"point": name, "changes": described[name], **found[name]} for name in found]
    table = pd.DataFrame(rows)
    figures = [c for c in table.columns if c not in LEADING]
    table = table[[*LEADING, *figures]]
    base = table.loc[table["point"] == BASE, figures]
    for column in figures:
        start = base[column].iloc[0] if len(base) else float("nan")
        table[f"delta_{column}"] = table[column] - start
    return table.reset_index(drop=True)


def long_table(table: pd.DataFrame) -> pd.DataFrame:
    """A row per point and figure: ``point``, ``status``, ``figure``, ``value``."""
    figures = [c for c in table.columns if c not in LEADING]
    return table.melt(id_vars=["point", "status"], value_vars=figures,
                      var_name="figure", value_name="value")


def write_parquet(table: pd.DataFrame, path: Path) -> Path:
    """The long comparison table as one Parquet file, written whole or not at all."""
    with replacing(path) as temporary:
        long_table(table).to_parquet(temporary, index=False)
    return path


def write_workbook(table: pd.DataFrame, path: Path) -> Path:
    """The comparison workbook: sheet ``comparison`` (highlighted), sheet ``charts``."""
    with replacing(path) as temporary:
        book = xlsxwriter.Workbook(str(temporary), {"nan_inf_to_errors": True})
        sheet = book.add_worksheet("comparison")
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
        red = book.add_format({"bg_color": "#F8CBAD"})
        amber = book.add_format({"bg_color": "#FFE699"})
        sheet.write_row(0, 0, list(table.columns), bold)
        for r, row in enumerate(table.itertuples(index=False), start=1):
            for c, value in enumerate(row):
                if isinstance(value, float) and value != value:
                    continue  # no figure for an infeasible point: a blank cell
                sheet.write(r, c, value)
        last = len(table)
        width = len(table.columns)
        sheet.freeze_panes(1, 1)
        sheet.autofilter(0, 0, last, width - 1)
        status = list(table.columns).index("status")
        sheet.conditional_format(1, 0, last, width - 1, {
            "type": "formula", "criteria": f'=${_letter(status)}2<>"optimal"', "format": red})
        for c, name in enumerate(table.columns):
            if name.startswith("shortfall_"):
                sheet.conditional_format(1, c, last, c, {
                    "type": "cell", "criteria": ">", "value": 1e-6, "format": amber})
        charts = book.add_worksheet("charts")
        _charts(book, charts, table)
        book.close()
    return path


def _charts(book: xlsxwriter.Workbook, charts: xlsxwriter.worksheet.Worksheet,
            table: pd.DataFrame) -> None:
    last = len(table)
    plotted = [c for c in table.columns
               if c == "objective" or c.startswith(("cost_", "shortfall_"))]
    for i, name in enumerate(plotted):
        c = list(table.columns).index(name)
        chart = book.add_chart({"type": "column"})
        chart.add_series({"name": name, "categories": ["comparison", 1, 0, last, 0],
                          "values": ["comparison", 1, c, last, c]})
        chart.set_title({"name": f"{name} by point"})
        chart.set_legend({"none": True})
        charts.insert_chart(1 + 16 * (i // 2), 1 + 9 * (i % 2), chart)
    shortfalls = [c for c in table.columns if c.startswith("shortfall_")]
    if "objective" in table.columns and shortfalls:
        frontier = book.add_chart({"type": "scatter"})
        cost = list(table.columns).index("objective")
        for name in shortfalls:
            c = list(table.columns).index(name)
            frontier.add_series({"name": name, "categories": ["comparison", 1, c, last, c],
                                 "values": ["comparison", 1, cost, last, cost]})
        frontier.set_title({"name": "cost against expected shortfall"})
        frontier.set_x_axis({"name": "expected shortfall, t"})
        frontier.set_y_axis({"name": "objective"})
        charts.insert_chart(1 + 16 * ((len(plotted) + 1) // 2), 1, frontier)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
