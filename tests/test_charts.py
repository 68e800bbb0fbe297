"""The charts sheet and the marks on the results workbook (MODEL.md §8).

Structure: every native chart has a title and axis titles and plots ranges of
chart_data that exist and hold numbers; the conditional formats sit on the columns the
contract marks, over their data rows; read_me links to every sheet. Invariants: each
chart's points are recomputed from the sheet a planner would check them on. Bounds:
big cases keep to a bounded number of charts and series.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook

from optimizer.pipeline import Outcome, optimize
from optimizer.report import xlsx
from optimizer.results import charts
from optimizer.results.charts import (
    axis_format,
    chart_data,
    charted_minerals,
    layout,
    shown_scenarios,
)
from optimizer.results.contract import (
    CHART_KINDS,
    COMPONENT_MEANINGS,
    DATA_BAR_NOTE,
    FLOOR_SERIES,
    HIGHLIGHT_NOTE,
    MAX_CHARTED_MINERALS,
    MAX_SCENARIO_SERIES,
    RESULT_SHEETS,
)
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load
from tests.cases import valid_tables, write_tables
from tests.committed import DATA
from tests.solved import complete_tables
from tests.test_results import solve_case

EXAMPLE = DATA / "example.xlsx"
RANGE = re.compile(  # a chart's range: 'sheet'!$F$2:$F$8
    r"^'?(?P<sheet>[^'!]+)'?!\$(?P<c1>[A-Z]+)\$(?P<r1>\d+):\$(?P<c2>[A-Z]+)\$(?P<r2>\d+)$")


class Written:
    """A case's results tables and the workbook written from them."""

    def __init__(self, outcome: Outcome, tables: dict[str, pd.DataFrame], path: Path) -> None:
        self.outcome = outcome
        self.tables = tables
        self.path = path
        self.workbook: Workbook = openpyxl.load_workbook(path)

    @property
    def chart_data(self) -> pd.DataFrame:
        return self.tables["chart_data"]


def _write(input_path: Path, folder: Path) -> Written:
    data, _ = load(input_path)
    outcome = optimize(data, SolverOptions())
    assert outcome.optimal
    tables = complete_tables(outcome, input_path, "sha", 1.0)
    return Written(outcome, tables, xlsx.write(tables, folder / "results.xlsx"))


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Written:
    return _write(EXAMPLE, tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """No routes, stockpiles, offtakes, expansions or floors: fewer charts, none broken."""
    tables = valid_tables()
    for sheet in ("routes", "stockpiles", "offtakes"):
        del tables[sheet]
    tables["settings"] = [r for r in tables["settings"] if r["key"] != "stockpile_budget"]
    for facility in tables["facilities"]:
        for column in ("expandable_t", "capex_per_t", "lifetime_years", "online_period"):
            facility.pop(column, None)
    for price in tables["prices"]:
        price.pop("floor_price_per_t", None)
    folder = tmp_path_factory.mktemp("bare")
    return _write(write_tables(folder / "input.xlsx", tables), folder)


# ---------------------------------------------------------------- the charts sheet


def _text(title: Any) -> str:
    """The text of a chart or axis title as openpyxl reads it back."""
    assert title is not None and title.tx is not None and title.tx.rich is not None
    return "".join(run.t for paragraph in title.tx.rich.p for run in (paragraph.r or []))


def _cells(workbook: Workbook, reference: str) -> list[Any]:
    """The values in a chart's one-column range, which must lie on an existing sheet."""
    found = RANGE.match(reference)
    assert found, reference
    assert found["sheet"] in workbook.sheetnames, reference
    assert found["c1"] == found["c2"], reference
    column = column_index_from_string(found["c1"])
    worksheet = workbook[found["sheet"]]
    first, last = int(found["r1"]), int(found["r2"])
    assert 2 <= first <= last <= worksheet.max_row, reference
    return [worksheet.cell(row=r, column=column).value for r in range(first, last + 1)]


def _reference(data_source: Any) -> str:
    ref = data_source.numRef or data_source.strRef
    return str(ref.f)


@pytest.mark.parametrize("case", ["example", "bare"])
def test_every_chart_plots_existing_non_empty_ranges_with_titles(
    case: str, request: pytest.FixtureRequest
) -> None:
    written: Written = request.getfixturevalue(case)
    drawn = written.workbook["charts"]._charts
    titles = list(dict.fromkeys(written.chart_data["chart"]))
    assert [_text(c.title) for c in drawn] == titles
    for chart in drawn:
        title = _text(chart.title)
        assert _text(chart.x_axis.title) and _text(chart.y_axis.title), title
        assert any(f"({unit})" in _text(a.title) for a in (chart.x_axis, chart.y_axis)
                   for unit in ("t", "USD", "USD/t")) or "share" in _text(chart.y_axis.title)
        assert chart.series, title
        for series in chart.series:
            values = _cells(written.workbook, _reference(series.val))
            categories = _cells(written.workbook, _reference(series.cat))
            assert len(values) == len(categories) > 0, title
            assert all(isinstance(c, str) and c for c in categories), title
            assert any(isinstance(v, int | float) for v in values), (title, series.tx.v)


def test_example_draws_every_kind_of_chart_for_its_minerals(example: Written) -> None:
    data = example.chart_data
    by_kind = data.groupby("kind", sort=False)["chart"].unique().to_dict()
    # the example has no origin rule (§12), so no certified premium to chart
    assert list(by_kind) == [k.name for k in CHART_KINDS if k.name != "certified_premium"]
    minerals = ["ndpr", "gallium", "cobalt"]  # input order; every one is stockpiled
    assert list(by_kind["stock_level"]) == [f"Stock of {m} (refined) by scenario"
                                            for m in minerals]
    assert list(by_kind["supply_by_origin"]) == [f"Zone supply of {m} by origin, expected"
                                                 for m in minerals]
    # only ndpr has a floor in the example
    assert list(by_kind["price_against_floor"]) == ["Price of ndpr (refined) against its floor"]
    drawn = {_text(c.title): c for c in example.workbook["charts"]._charts}
    supply = drawn["Zone supply of ndpr by origin, expected"]
    assert supply.grouping == "stacked"
    assert [s.tx.v for s in supply.series] == ["members", "non-members"]
    price = drawn["Price of ndpr (refined) against its floor"]
    assert [s.tx.v for s in price.series] == ["calm", "china_ban", "cobalt_quota", FLOOR_SERIES]


def test_charts_lie_in_a_grid_a_row_per_mineral(example: Written) -> None:
    placed = [(c.anchor._from.row, c.anchor._from.col) for c in
              example.workbook["charts"]._charts]
    assert len(set(placed)) == len(placed)
    plan = layout(example.chart_data)
    rows = {c.grid_row for c in plan if c.kind.name in ("cost_breakdown", "shortfall_share")}
    assert rows == {0}
    minerals = example.chart_data.drop_duplicates("chart")["mineral"].tolist()
    for chart, mineral in zip(plan, minerals, strict=True):
        if mineral:
            assert chart.grid_row == ["ndpr", "gallium", "cobalt"].index(mineral) + 1


def test_charts_sheet_links_to_its_data(example: Written) -> None:
    cell = example.workbook["charts"]["A1"]
    assert cell.hyperlink is not None and cell.hyperlink.location == "'chart_data'!A1"


# ---------------------------------------------------------------- the points


def _points(data: pd.DataFrame, kind: str, mineral: str = "") -> pd.Series:
    rows = data[(data["kind"] == kind) & (data["mineral"] == mineral)]
    return rows.set_index(["series", "category"])["value"]


def _pair(key: object) -> tuple[Any, Any]:
    """A (series, category) key of :func:`_points`, unpacked (pandas types it Hashable)."""
    assert isinstance(key, tuple) and len(key) == 2
    return key[0], key[1]


def test_cost_chart_is_the_summary(example: Written) -> None:
    points = _points(example.chart_data, "cost_breakdown")
    summary = example.tables["summary"].set_index("figure")["value"]
    assert points.index.get_level_values("category").tolist() == list(COMPONENT_MEANINGS)
    for component in COMPONENT_MEANINGS:
        assert points["expected", component] == pytest.approx(float(summary[component]))


def test_shortfall_chart_is_unmet_over_demanded_tonnes(example: Written) -> None:
    points = _points(example.chart_data, "shortfall_share")
    sheet = example.tables["shortfalls"]
    for key, value in points.items():
        scenario, mineral = _pair(key)
        rows = sheet[(sheet["scenario"] == scenario) & (sheet["mineral"] == mineral)]
        assert value == pytest.approx(rows["shortfall_t"].sum() / rows["demand_t"].sum())
    assert points.max() > 0  # the example's disruptions leave some demand unmet


def test_stock_chart_sums_the_mineral_stockpiles(example: Written) -> None:
    stock = example.tables["stockpiles"]
    for mineral in ("ndpr", "gallium", "cobalt"):
        points = _points(example.chart_data, "stock_level", mineral)
        for key, value in points.items():
            scenario, period = _pair(key)
            rows = stock[(stock["mineral"] == mineral) & (stock["scenario"] == scenario)
                         & (stock["period"] == period)]
            assert value == pytest.approx(rows["level_t"].sum())


def test_supply_chart_is_the_expected_dependence(example: Written) -> None:
    dependence = example.tables["dependence"]
    probability = example.tables["scenarios"].set_index("scenario")["probability"]
    for mineral in ("ndpr", "gallium", "cobalt"):
        points = _points(example.chart_data, "supply_by_origin", mineral)
        rows = dependence[dependence["mineral"] == mineral]
        weight = rows["scenario"].map(probability)
        for series, column in (("members", "from_members_t"),
                               ("non-members", "from_non_members_t")):
            expected = (weight * rows[column]).groupby(rows["period"]).sum()
            for period, value in expected.items():
                key: Any = (series, period)  # pandas types the period Hashable
                assert points[key] == pytest.approx(value)


def test_price_chart_is_the_member_demand_weighted_price_and_the_floor(
    example: Written,
) -> None:
    points = _points(example.chart_data, "price_against_floor", "ndpr")
    prices, shortfalls = example.tables["prices"], example.tables["shortfalls"]
    members = {"US", "CA", "AU"}  # the example's zone
    keys = ["region", "mineral", "period", "scenario"]
    rows = prices[(prices["mineral"] == "ndpr") & (prices["stage"] == "refined")
                  & prices["region"].isin(members)].merge(shortfalls, on=keys, how="left")
    for key, value in points.items():
        series, period = _pair(key)
        at = rows[rows["period"] == period]
        if series == FLOOR_SERIES:
            assert value == at["floor_price_per_t"].max() == 110_000
            continue
        at = at[at["scenario"] == series]
        weight = at["demand_t"].fillna(0.0)
        assert value == pytest.approx((weight * at["marginal_price_per_t"]).sum() / weight.sum())


# ---------------------------------------------------------------- bounds


def test_scenarios_shown_are_the_most_probable_in_input_order() -> None:
    probability = {f"s{i}": p for i, p in enumerate([0.01] * 5 + [0.2] * 4 + [0.01] * 15)}
    shown = shown_scenarios(probability)
    assert len(shown) == MAX_SCENARIO_SERIES
    assert shown == ("s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9")
    assert shown_scenarios({"a": 0.5, "b": 0.5}) == ("a", "b")


def test_minerals_charted_are_those_with_most_member_demand_at_market_prices() -> None:
    count = MAX_CHARTED_MINERALS + 4
    minerals = [f"m{i:02d}" for i in range(count)]
    demand = pd.DataFrame({
        "region": ["A"] * count + ["X"], "mineral": [*minerals, "m00"],
        "period": "2026", "scenario": "s", "demand_t": [1.0] * count + [1e9],
    })
    prices = demand.drop(columns="demand_t").assign(
        stage="refined", market_price_per_t=[float(i) for i in range(count)] + [1.0])
    charted = charted_minerals(minerals, frozenset({"A"}), demand, prices, {"s": 1.0})
    # non-member X's demand does not count; m00..m03 are worth least
    assert charted == tuple(minerals[count - MAX_CHARTED_MINERALS:])


def test_a_case_beyond_the_bounds_keeps_to_them(
    example: Written, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example with room for two minerals and two scenarios: as a big case would be."""
    monkeypatch.setattr(charts, "MAX_CHARTED_MINERALS", 2)
    monkeypatch.setattr(charts, "MAX_SCENARIO_SERIES", 2)
    data = chart_data(example.outcome, example.tables)
    assert set(data["mineral"]) == {"", "ndpr", "cobalt"}  # gallium is worth least
    assert len(data["chart"].unique()) == 2 + 2 + 2 + 1  # stock, supply, ndpr's floor
    stock = data[data["kind"] == "stock_level"]
    assert list(stock["series"].unique()) == ["calm", "china_ban"]  # the most probable
    assert set(data.loc[data["kind"] == "shortfall_share", "category"]) == {"ndpr", "cobalt"}


@pytest.mark.parametrize(("largest", "wanted"), [
    (0.0, "#,##0.0"), (5.0, "#,##0.0"), (1_200.0, "#,##0"), (25_000.0, '#,##0," k"'),
    (2.5e6, '#,##0.0,," M"'), (3e7, '#,##0,," M"'), (1.5e10, '#,##0,,," bn"'),
])
def test_value_axes_scale_large_numbers(largest: float, wanted: str) -> None:
    assert axis_format("#,##0.00", largest) == wanted
    assert axis_format("0.0%", largest) == "0.0%"


def test_layout_refuses_rows_out_of_order(example: Written) -> None:
    shuffled = example.chart_data.iloc[[0, 8, 1]].reset_index(drop=True)
    with pytest.raises(ValueError, match="not contiguous"):
        layout(shuffled)


# ---------------------------------------------------------------- marks and links


def test_conditional_formats_sit_on_the_marked_columns(example: Written) -> None:
    marked = 0
    for sheet in RESULT_SHEETS:
        if sheet.name not in example.tables or not sheet.columns:
            continue
        worksheet = example.workbook[sheet.name]
        rules: dict[str, list[str]] = {}
        for formatting in worksheet.conditional_formatting:
            rules[str(formatting.sqref)] = [
                f"{r.type} {r.operator or ''} {r.formula or ''}".strip()
                for r in formatting.rules]
        last = len(example.tables[sheet.name]) + 1
        wanted: dict[str, list[str]] = {}
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            kinds = ((["cellIs greaterThan ['0']"] if column.highlight_positive else [])
                     + (["dataBar"] if column.data_bar else []))
            if kinds:
                wanted[f"{letter}2:{letter}{last}"] = kinds
        assert rules == wanted, sheet.name
        marked += len(wanted)
    # scenarios and shortfalls shortfall_t, shortfalls share and certified_shortfall_t
    # (§12), floor_gap_per_t
    assert marked == 5
    assert "shortfall_t" in example.tables["shortfalls"]


def test_highlights_are_explained_on_read_me(example: Written) -> None:
    read_me = example.tables["read_me"].set_index(["sheet", "column"])["meaning"]
    assert read_me["prices", "floor_gap_per_t"].endswith(HIGHLIGHT_NOTE)
    assert read_me["shortfalls", "share"].endswith(HIGHLIGHT_NOTE + DATA_BAR_NOTE)
    for kind in CHART_KINDS:
        assert read_me["charts", kind.name] == kind.meaning


def test_read_me_links_to_every_written_sheet(example: Written) -> None:
    workbook = example.workbook
    links = {}
    for (cell,) in workbook["read_me"].iter_rows(min_row=2, max_col=1):
        if cell.hyperlink is not None:
            target = re.fullmatch(r"'([^']+)'!A1", cell.hyperlink.location or "")
            assert target and target[1] == cell.value
            links[cell.value] = target[1]
        else:  # only a sheet this run did not write goes without a link
            assert cell.value not in workbook.sheetnames
    assert set(links) == set(workbook.sheetnames)
    headlines = workbook["headlines"]
    column = [c.value for c in headlines[1]].index("sheet") + 1
    for (cell,) in headlines.iter_rows(min_row=2, min_col=column, max_col=column):
        assert cell.hyperlink is not None and cell.hyperlink.location == f"'{cell.value}'!A1"


def test_report_refuses_a_table_for_the_charts_sheet(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="charts"):
        xlsx.write({"charts": pd.DataFrame()}, tmp_path / "r.xlsx")


def test_no_charts_sheet_without_chart_data(tmp_path: Path) -> None:
    """A workbook written without chart_data has no charts sheet."""
    outcome, input_path = solve_case(valid_tables(), tmp_path)
    tables = complete_tables(outcome, input_path, "sha", 0.0)
    del tables["chart_data"]
    path = xlsx.write(tables, tmp_path / "r.xlsx")
    assert "charts" not in openpyxl.load_workbook(path).sheetnames
