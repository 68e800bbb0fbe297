"""The comparison of a sweep's points: tables, and the workbook and Parquet that hold them.

One row per point: its name, what it changed, its status and reason, the target and
value it sweeps (when it changes one target to one number), every figure of
:func:`optimizer.sweep.engine.figures`, and each figure's difference from the base
point (``delta_<figure>``). The long table (a row per point and figure) goes to
Parquet. The workbook has the table with highlights on infeasible points and
shortfalls; charts of each figure against the swept value, one per target that is the
only change of two points or more (else of each figure by point); and the
cost-versus-expected-shortfall frontier. A stress test adds its ranking first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import xlsxwriter

from optimizer.files import replacing
from optimizer.sweep.engine import Figures
from optimizer.sweep.grid import BASE, Point, relative

LEADING = ("point", "changes", "status", "reason", "swept_target", "swept_value")
PLOTTED = ("objective", "cost_", "shortfall_", "non_member_share_", "price_gap_support",
           "vss", "peak_stock_t", "vault_spend", "expansion_spend")


def swept(point: Point) -> tuple[str, float] | None:
    """The target a point sweeps and its value, when it makes one change to a number:
    the number itself, or for a relative change the number after the sign (``*1.2``:
    1.2 with the target ``stockpile_budget ×``; ``+500``: 500; ``-500``: −500)."""
    if len(point.changes) != 1 or point.sheets:
        return None
    change = point.changes[0]
    value = change.value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return change.target, float(value)
    change_by = relative(value)
    if change_by is None:
        return None
    op, amount = change_by
    if amount is None:
        return None
    return (f"{change.target} ×", amount) if op == "*" else \
        (f"{change.target} +", amount if op == "+" else -amount)


def comparison(points: Sequence[Point], found: Mapping[str, Figures]) -> pd.DataFrame:
    """One row per point (``base`` first) with its figures and their deltas from base."""
    described = {BASE: "", **{p.name: p.describe() for p in points}}
    sweeps = {p.name: swept(p) for p in points}
    rows = [{"point": name, "changes": described[name],
             "swept_target": (sweeps.get(name) or ("", 0.0))[0],
             "swept_value": (sweeps.get(name) or ("", float("nan")))[1],
             **found[name]} for name in found]
    table = pd.DataFrame(rows)
    _base_on_relative_axes(table)
    figures = [c for c in table.columns if c not in LEADING]
    table = table[[*LEADING, *figures]]
    base = table.loc[table["point"] == BASE, figures]
    for column in figures:
        start = base[column].iloc[0] if len(base) else float("nan")
        table[f"delta_{column}"] = table[column] - start
    return table.reset_index(drop=True)


def _base_on_relative_axes(table: pd.DataFrame) -> None:
    """The base point sits at ×1 and +0 of a relative sweep: a row of its own there,
    so that each relative target's charts start from the unchanged input. (On an
    absolute target's axis the base has no value the grid names.)"""
    targets = [t for t in table["swept_target"].unique() if t.endswith((" ×", " +"))]
    if len(targets) == 1 and (table["point"] == BASE).any():
        at = table.index[table["point"] == BASE][0]
        table.loc[at, "swept_target"] = targets[0]
        table.loc[at, "swept_value"] = 1.0 if targets[0].endswith(" ×") else 0.0


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


def write_workbook(table: pd.DataFrame, path: Path,
                   ranking: pd.DataFrame | None = None) -> Path:
    """The comparison workbook: sheet ``comparison`` (highlighted), sheet ``charts``;
    with a stress test's ``ranking``, sheet ``stress`` first, with its chart."""
    with replacing(path) as temporary:
        book = xlsxwriter.Workbook(str(temporary), {"nan_inf_to_errors": True})
        if ranking is not None:
            _ranking_sheet(book, ranking)
        sheet = book.add_worksheet("comparison")
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
        red = book.add_format({"bg_color": "#F8CBAD"})
        amber = book.add_format({"bg_color": "#FFE699"})
        sheet.write_row(0, 0, list(table.columns), bold)
        _rows(sheet, table)
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


def _rows(sheet: xlsxwriter.worksheet.Worksheet, table: pd.DataFrame) -> None:
    """The table's rows from row 2; a missing figure (NaN, None) is a blank cell."""
    for r, row in enumerate(table.itertuples(index=False), start=1):
        for c, value in enumerate(row):
            if value is None or (isinstance(value, float) and value != value):
                continue
            sheet.write(r, c, value)


def _charts(book: xlsxwriter.Workbook, charts: xlsxwriter.worksheet.Worksheet,
            table: pd.DataFrame) -> None:
    """A chart of each figure against each swept target that is the only change of two
    points or more (a line through the points, sorted by value); without such a
    target, a column chart of each figure by point; then the frontier."""
    plotted = [c for c in table.columns if c.startswith(PLOTTED) and c not in LEADING]
    counts = table.loc[table["swept_target"] != "", "swept_target"].value_counts()
    targets = [str(t) for t in counts.index if counts[t] >= 2]
    place = 0
    if targets:
        order = table.assign(_row=range(1, len(table) + 1)).sort_values(
            ["swept_target", "swept_value"], kind="stable")
        for target in targets:
            rows = order.loc[order["swept_target"] == target, "_row"].tolist()
            first, last = rows[0], rows[-1]  # sorted rows sit together in a helper sheet
            for name in plotted:
                place = _against(book, charts, table, target, name, first, last, place)
    else:
        last = len(table)
        for name in plotted:
            c = list(table.columns).index(name)
            chart = book.add_chart({"type": "column"})
            chart.add_series({"name": name, "categories": ["comparison", 1, 0, last, 0],
                              "values": ["comparison", 1, c, last, c]})
            chart.set_title({"name": f"{name} by point"})
            chart.set_legend({"none": True})
            charts.insert_chart(1 + 16 * (place // 2), 1 + 9 * (place % 2), chart)
            place += 1
    _frontier(book, charts, table, 1 + 16 * ((place + 1) // 2))


def _against(book: xlsxwriter.Workbook, charts: xlsxwriter.worksheet.Worksheet,
             table: pd.DataFrame, target: str, name: str, first: int, last: int,
             place: int) -> int:
    """One scatter chart (lines and markers) of ``name`` against ``target``'s value,
    from the sorted copy of the table in sheet ``sorted``; the next place."""
    sheet = _sorted_sheet(book, table)
    x = list(table.columns).index("swept_value")
    y = list(table.columns).index(name)
    chart = book.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    chart.add_series({"name": name, "categories": [sheet, first, x, last, x],
                      "values": [sheet, first, y, last, y]})
    chart.set_title({"name": f"{name} against {target}"})
    chart.set_x_axis({"name": target})
    chart.set_legend({"none": True})
    charts.insert_chart(1 + 16 * (place // 2), 1 + 9 * (place % 2), chart)
    return place + 1


_SORTED = "sorted"  # the comparison sorted by target and value: what the line charts read


def _sorted_sheet(book: xlsxwriter.Workbook, table: pd.DataFrame) -> str:
    if book.get_worksheet_by_name(_SORTED) is None:
        sheet = book.add_worksheet(_SORTED)
        sheet.write_row(0, 0, list(table.columns))
        _rows(sheet, table.sort_values(["swept_target", "swept_value"], kind="stable"))
        sheet.hide()
    return _SORTED


def _frontier(book: xlsxwriter.Workbook, charts: xlsxwriter.worksheet.Worksheet,
              table: pd.DataFrame, row: int) -> None:
    """The objective against the expected shortfall of each mineral, a point per point."""
    shortfalls = [c for c in table.columns if c.startswith("shortfall_")]
    if "objective" not in table.columns or not shortfalls:
        return
    last = len(table)
    frontier = book.add_chart({"type": "scatter"})
    cost = list(table.columns).index("objective")
    for name in shortfalls:
        c = list(table.columns).index(name)
        frontier.add_series({"name": name, "categories": ["comparison", 1, c, last, c],
                             "values": ["comparison", 1, cost, last, cost]})
    frontier.set_title({"name": "cost against expected shortfall"})
    frontier.set_x_axis({"name": "expected shortfall, t"})
    frontier.set_y_axis({"name": "objective"})
    charts.insert_chart(row, 1, frontier)


def _ranking_sheet(book: xlsxwriter.Workbook, ranking: pd.DataFrame) -> None:
    """Sheet ``stress``: the ranked sources, and a bar chart of the years each lasts
    (a source whose loss the zone survives to the horizon is shown at the horizon)."""
    sheet = book.add_worksheet("stress")
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    sheet.write_row(0, 0, list(ranking.columns), bold)
    _rows(sheet, ranking)
    sheet.freeze_panes(1, 2)
    last = len(ranking)
    if not last or "survive_years" not in ranking.columns:
        return
    sheet.autofilter(0, 0, last, len(ranking.columns) - 1)
    helper = len(ranking.columns) + 1  # the chart's values, beside the table
    sheet.write(0, helper, "chart: years to the first shortfall")
    horizon = float(ranking.attrs.get("horizon_years", ranking["survive_years"].max()))
    for r, (years, status) in enumerate(zip(ranking["survive_years"], ranking["status"],
                                            strict=True), start=1):
        if status == "optimal":
            sheet.write(r, helper, horizon if pd.isna(years) else float(years))
    chart = book.add_chart({"type": "bar"})
    source = list(ranking.columns).index("source")
    chart.add_series({"name": "years to the first shortfall",
                      "categories": ["stress", 1, source, last, source],
                      "values": ["stress", 1, helper, last, helper]})
    chart.set_title({"name": "time to survive the loss of each source, years"})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": max(300, 18 * last)})
    sheet.insert_chart(last + 3, 1, chart)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
