"""What the ``charts`` sheet plots (the ``chart_data`` results sheet), and where each
chart's series lie in it.

Pure: :func:`chart_data` builds the small aggregated series from the results tables
already computed (``summary``, ``shortfalls``, ``stockpiles``, ``dependence``,
``prices``), so every point agrees with the sheet a planner would check it on, and
adds the charts the components report (:class:`~optimizer.model.component.ChartSeries`);
:func:`layout` tells :mod:`optimizer.report` which rows of ``chart_data`` each chart's
series occupy and where the chart goes. The kinds of chart, their titles, axes, units
and the bounds on minerals and scenarios that keep a big case's charts few are declared
once, in :mod:`optimizer.results_contract`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.model import components
from optimizer.model.derive import PRODUCTS
from optimizer.pipeline import Outcome
from optimizer.results.contract import (
    CHART_DATA_SHEET,
    CHART_KINDS_BY_NAME,
    COMPONENT_MEANINGS,
    FLOOR_SERIES,
    MAX_CHARTED_MINERALS,
    MAX_SCENARIO_SERIES,
    ChartKind,
    unit_text,
)

Sheets = Mapping[str, pd.DataFrame]
EXPECTED = "expected"  # the cost chart's one series
MEMBERS = "members"
NON_MEMBERS = "non-members"
TINY = 1e-9  # as the other sheets: less demand than this is none
# Value axes of large numbers show them scaled, the scale as a suffix: the number
# format's trailing commas divide by a thousand each, in Excel and LibreOffice alike.
SCALES = (  # from this largest value on: the divisor, its commas and its suffix
    (1e9, 1e9, ",,,", " bn"), (1e6, 1e6, ",,", " M"), (1e4, 1e3, ",", " k"),
)


@dataclass(frozen=True, slots=True)
class _Case:
    """What every chart needs to know of the case besides the sheets."""

    periods: tuple[str, ...]
    probability: dict[str, float]  # every scenario, in input order
    shown: tuple[str, ...]  # the scenarios drawn as series
    minerals: tuple[str, ...]  # the charted minerals, in input order
    members: frozenset[str]
    currency: str


def chart_data(outcome: Outcome, sheets: Sheets) -> pd.DataFrame:
    """The ``chart_data`` sheet: one row per point, chart by chart in the order the
    charts appear (the two charts of all minerals, then each charted mineral's)."""
    case = _case(outcome, sheets)
    parts = [_cost_breakdown(case, sheets["summary"]),
             _shortfall_share(case, sheets["shortfalls"])]
    # each summed once over its whole sheet, then cut by mineral
    stock = sheets["stockpiles"].groupby(["mineral", "stage", "scenario", "period"])[
        "level_t"].sum()
    stocked = {key[:2] for key in stock.index.tolist()}  # (mineral, stage)
    supply = _expected_supply(case, sheets["dependence"])
    price, floor = _member_prices(case, sheets["prices"], sheets["shortfalls"])
    floored = {key[:2] for key in floor.index.tolist()}  # (mineral, stage)
    for mineral in case.minerals:
        for stage in PRODUCTS:
            if (mineral, stage) in stocked:
                wide = _wide(stock, (mineral, stage), case.shown, case.periods)
                parts.append(_points(case, "stock_level", wide, mineral, stage))
        wide = _wide(supply, (mineral,), (MEMBERS, NON_MEMBERS), case.periods)
        parts.append(_points(case, "supply_by_origin", wide, mineral))
        for stage in PRODUCTS:
            if (mineral, stage) in floored:
                wide = _wide(price, (mineral, stage), case.shown, case.periods)
                wide.loc[FLOOR_SERIES] = floor.loc[mineral, stage].reindex(list(case.periods))
                parts.append(_points(case, "price_against_floor", wide, mineral, stage))
    for component in components():  # the charts an instrument reports
        for chart in component.reported.charts(outcome.derived, sheets):
            wide = chart.values.unstack("period").reindex(index=list(case.shown),
                                                          columns=list(case.periods))
            parts.append(_points(case, chart.kind, wide, chart.mineral))
    columns = list(CHART_DATA_SHEET.column_names)
    frames = [p for p in parts if not p.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


# ---------------------------------------------------------------- what is charted


def _case(outcome: Outcome, sheets: Sheets) -> _Case:
    data = outcome.data
    probability = {s.scenario: s.probability for s in data.scenarios}
    members = frozenset(r for r, member in outcome.derived.zone_member.items() if member)
    minerals = charted_minerals([m.mineral for m in data.minerals], members,
                                sheets["shortfalls"], sheets["prices"], probability)
    return _Case(
        periods=tuple(p.period for p in data.periods),
        probability=probability,
        shown=shown_scenarios(probability),
        minerals=minerals,
        members=members,
        currency=data.settings.currency,
    )


def shown_scenarios(probability: Mapping[str, float]) -> tuple[str, ...]:
    """At most MAX_SCENARIO_SERIES scenarios, the most probable (ties in input order),
    in input order."""
    rank = {s: i for i, s in enumerate(probability)}
    ranked = sorted(rank, key=lambda s: (-probability[s], rank[s]))
    kept = set(ranked[:MAX_SCENARIO_SERIES])
    return tuple(s for s in rank if s in kept)


def charted_minerals(
    minerals: Sequence[str], members: frozenset[str], shortfalls: pd.DataFrame,
    prices: pd.DataFrame, probability: Mapping[str, float],
) -> tuple[str, ...]:
    """At most MAX_CHARTED_MINERALS minerals, those with the largest expected member
    demand at market prices (then tonnes, then input order), in input order."""
    demand = shortfalls[shortfalls["region"].isin(members)]
    market = prices.loc[prices["stage"] == "refined",
                        ["region", "mineral", "period", "scenario", "market_price_per_t"]]
    keys = ["region", "mineral", "period", "scenario"]
    valued = demand[[*keys, "demand_t"]].merge(market, on=keys, how="left")
    weight = valued["scenario"].map(probability).fillna(0.0)
    valued = valued.assign(
        tonnes=weight * valued["demand_t"],
        money=weight * valued["demand_t"] * valued["market_price_per_t"].fillna(0.0),
    )
    totals = valued.groupby("mineral")[["money", "tonnes"]].sum().reindex(
        list(minerals)).fillna(0.0)
    money, tonnes = totals["money"].to_dict(), totals["tonnes"].to_dict()
    rank = {m: i for i, m in enumerate(minerals)}
    ranked = sorted(minerals, key=lambda m: (-money[m], -tonnes[m], rank[m]))
    kept = set(ranked[:MAX_CHARTED_MINERALS])
    return tuple(m for m in minerals if m in kept)


# ---------------------------------------------------------------- the charts


def _cost_breakdown(case: _Case, summary: pd.DataFrame) -> pd.DataFrame:
    """The summary's expected cost components, one bar each."""
    value = summary.set_index("figure")["value"]
    components = list(COMPONENT_MEANINGS)
    wide = pd.DataFrame([[float(value[c]) for c in components]], index=[EXPECTED],
                        columns=components)
    return _points(case, "cost_breakdown", wide)


def _shortfall_share(case: _Case, shortfalls: pd.DataFrame) -> pd.DataFrame:
    """Unmet ÷ demanded tonnes along each shown scenario, by charted mineral."""
    totals = shortfalls.groupby(["scenario", "mineral"])[["shortfall_t", "demand_t"]].sum()
    share = (totals["shortfall_t"] / totals["demand_t"]).where(totals["demand_t"] > TINY)
    wide = share.unstack("mineral").reindex(index=list(case.shown),
                                            columns=list(case.minerals))
    return _points(case, "shortfall_share", wide)


def _expected_supply(case: _Case, dependence: pd.DataFrame) -> pd.Series:
    """Zone supply by mineral, origin (members, non-members) and period, each scenario's
    tonnes weighted by its probability."""
    weight = dependence["scenario"].map(case.probability).fillna(0.0)
    weighted = pd.DataFrame({
        "mineral": dependence["mineral"], "period": dependence["period"],
        MEMBERS: weight * dependence["from_members_t"],
        NON_MEMBERS: weight * dependence["from_non_members_t"],
    }).melt(id_vars=["mineral", "period"], var_name="origin", value_name="t")
    return weighted.groupby(["mineral", "origin", "period"])["t"].sum()


def _member_prices(
    case: _Case, prices: pd.DataFrame, shortfalls: pd.DataFrame
) -> tuple[pd.Series, pd.Series]:
    """Of every mineral and product with a floor: the marginal price by scenario and
    period averaged over the member regions, weighted by their demand for the mineral
    (a plain mean where they have none); and the floor by period."""
    keys = ["region", "mineral", "period", "scenario"]
    rows = prices[prices["region"].isin(case.members) & prices["floor_price_per_t"].notna()]
    floor = rows.groupby(["mineral", "stage", "period"])["floor_price_per_t"].max()
    priced = rows[rows["marginal_price_per_t"].notna()].merge(
        shortfalls[[*keys, "demand_t"]], on=keys, how="left")
    weight = priced["demand_t"].fillna(0.0)
    grouped = priced.assign(weight=weight, weighted=weight * priced["marginal_price_per_t"]
                            ).groupby(["mineral", "stage", "scenario", "period"])
    total = grouped["weight"].sum()
    weighted = grouped["weighted"].sum() / total.where(total > TINY)
    return weighted.fillna(grouped["marginal_price_per_t"].mean()), floor


def _wide(
    values: pd.Series, key: tuple[str, ...], series: Sequence[str], periods: Sequence[str]
) -> pd.DataFrame:
    """The values under ``key`` (the leading levels of their index; then series, then
    period) as a table of series by period; blank where there are none."""
    index = pd.MultiIndex.from_tuples([(*key, name) for name in series])
    wide = values.unstack("period").reindex(index=index, columns=list(periods))
    wide.index = pd.Index(list(series))
    return wide


def _points(
    case: _Case, kind_name: str, wide: pd.DataFrame, mineral: str = "", stage: str = ""
) -> pd.DataFrame:
    """One chart's rows: a series per row of ``wide``, a point per column, series by
    series."""
    kind = CHART_KINDS_BY_NAME[kind_name]
    count, length = wide.shape
    return pd.DataFrame({
        "chart": kind.title.format(mineral=mineral, stage=stage),
        "kind": kind.name,
        "mineral": mineral,
        "series": np.repeat(np.asarray(wide.index, dtype=object).astype(str), length),
        "category": np.tile(np.asarray(wide.columns, dtype=object).astype(str), count),
        "value": wide.to_numpy(dtype=float).ravel(),
        "unit": unit_text(kind.unit, case.currency),
    })


# ---------------------------------------------------------------- where the charts go


@dataclass(frozen=True, slots=True)
class Series:
    """A chart series: rows ``first`` to ``last`` of chart_data (0: the first data row)."""

    name: str
    first: int
    last: int
    reference: bool  # a reference line (the floor), drawn apart from the scenarios


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart to draw: its kind, texts, series and place in the grid of charts."""

    kind: ChartKind
    title: str
    category_axis: str
    value_axis: str  # with its unit
    axis_format: str  # the value axis's number format
    series: tuple[Series, ...]
    grid_row: int  # 0: the charts of all minerals; then a row per mineral
    grid_column: int


def layout(chart_data: pd.DataFrame) -> tuple[Chart, ...]:
    """The charts of a ``chart_data`` table, in order, each series located by its rows.

    Rows of one chart, and of one series within it, must be contiguous (as
    :func:`chart_data` writes them).
    """
    charts: list[Chart] = []
    places: dict[str, int] = {}  # mineral -> grid row
    column_in_row: dict[int, int] = {}
    titles = chart_data["chart"].tolist()
    for title, (first, last) in _runs(titles).items():
        rows = chart_data.iloc[first:last + 1]
        kind = CHART_KINDS_BY_NAME[str(rows["kind"].iloc[0])]
        mineral = str(rows["mineral"].iloc[0]) if pd.notna(rows["mineral"].iloc[0]) else ""
        if mineral not in places:  # the charts of all minerals first, then a row each
            places[mineral] = 1 + sum(1 for m in places if m) if mineral else 0
        grid_row = places[mineral]
        grid_column = column_in_row.get(grid_row, 0)
        column_in_row[grid_row] = grid_column + 1
        series = tuple(
            Series(str(name), first + a, first + b, str(name) == FLOOR_SERIES)
            for name, (a, b) in _runs(rows["series"].tolist()).items()
        )
        unit = str(rows["unit"].iloc[0])
        largest = float(np.nan_to_num(rows["value"].abs().max()))
        charts.append(Chart(
            kind, str(title), kind.category_axis,
            kind.value_axis if unit == "share" else f"{kind.value_axis} ({unit})",
            axis_format(kind.number_format, largest), series, grid_row, grid_column,
        ))
    return tuple(charts)


def axis_format(number_format: str, largest: float) -> str:
    """The value axis's format for values up to ``largest``: shares as declared; other
    numbers without decimals, in thousands (k), millions (M) or billions (bn) when
    large, with one decimal when the axis would otherwise repeat a label."""
    if number_format.endswith("%"):
        return number_format
    for at_least, divisor, commas, suffix in SCALES:
        if largest >= at_least:
            decimals = ".0" if largest < 10 * divisor else ""
            return f'#,##0{decimals}{commas}"{suffix}"'
    return "#,##0.0" if largest < 10 else "#,##0"


def _runs(values: Sequence[object]) -> dict[object, tuple[int, int]]:
    """First and last position of each value, which must fill one contiguous run."""
    runs: dict[object, tuple[int, int]] = {}
    previous: object = object()
    for position, value in enumerate(values):
        if value != previous and value in runs:
            raise ValueError(f"chart_data: the rows of {value!r} are not contiguous")
        first = runs.get(value, (position, position))[0]
        runs[value] = (first, position)
        previous = value
    return runs
