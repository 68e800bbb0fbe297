"""The findings a planner reads first (the ``headlines`` results sheet).

Each headline is a sentence generated from the other results tables, with its main
number in ``figure`` and the sheet to check it on. Pure: built from the outcome's
data and tree and the tables already computed. Numbers in sentences are rounded for
reading (:func:`number`); ``figure`` keeps the value as the other sheets hold it.

Definitions, also on the ``read_me`` sheet:

- *payback* of an expansion: its overnight capex ÷ the expected yearly margin of the
  new capacity, where the margin at a period and scenario is the new capacity's share
  of output (built_t ÷ (capacity_t + built_t) × output_t) × (marginal price of the
  facility's product in its region − unit_cost_per_t − for a refinery, the marginal
  price of concentrate there ÷ yield), weighted by scenario probability, summed over
  the periods from online_period on and divided by their years. Undiscounted; no
  payback when that margin is not positive.
- *before* a disruption: a scenario's periods before it first leaves the trunk;
  *during*: its periods with an active disruption. Shares of non-member supply over
  them are weighted by scenario probability and tonnes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.model import COST_COMPONENTS, components
from optimizer.model.component import largest, number
from optimizer.model.derive import PRODUCT_OF_STAGE
from optimizer.pipeline import Outcome
from optimizer.results.burden import EXPECTED, ZONE, floor_gap

Sheets = Mapping[str, pd.DataFrame]
SAME = 1e-9  # scenario costs this close (relative) are the same


@dataclass(frozen=True, slots=True)
class Headline:
    headline: str
    figure: float
    unit: str
    sheet: str


def headlines(outcome: Outcome, sheets: Sheets) -> pd.DataFrame:
    """The ``headlines`` sheet, numbered in reading order."""
    found = [
        *_warnings(sheets),
        *_cost(outcome, sheets),
        *_costliest(outcome, sheets),
        *_shortfall(sheets),
        *_reported(outcome, sheets),
        *_cover(outcome, sheets),
        *_floors(outcome, sheets),
        *_support(outcome, sheets),
        *_expansions(outcome, sheets),
        *_dependence(outcome, sheets),
        *_who_pays(outcome, sheets),
        *_stockpile_budget(outcome, sheets),
    ]
    return pd.DataFrame({
        "number": list(range(1, len(found) + 1)),
        "headline": [h.headline for h in found],
        "figure": [h.figure for h in found],
        "unit": [h.unit for h in found],
        "sheet": [h.sheet for h in found],
    })


# ---------------------------------------------------------------- numbers in words
# (``number``, the rounding every sentence uses, is the components' own: they write
# headlines too)


def money(value: float, currency: str) -> str:
    return f"{number(value)} {currency}"


def tonnes(value: float) -> str:
    return f"{number(value)} t"


def share(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.1%}"


def days(value: float) -> str:
    return f"{number(value)} days"


def years(value: float) -> str:
    return f"{number(value)} years"


def _count(n: int, noun: str) -> str:
    """``1 mineral``, ``13 minerals``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _list(items: Iterable[str]) -> str:
    return "; ".join(items)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


_largest = largest


def _figures(sheets: Sheets) -> dict[str, float]:
    summary = sheets["summary"]
    return {str(f): v for f, v in zip(summary["figure"], summary["value"], strict=True)
            if isinstance(v, int | float)}


# ---------------------------------------------------------------- costs


def _warnings(sheets: Sheets) -> list[Headline]:
    """First, when the input raised warnings: how many, and where they are."""
    count = len(sheets["warnings"]) if "warnings" in sheets else 0
    if not count:
        return []
    return [Headline(f"{_count(count, 'warning')} on the input; see the warnings sheet.",
                     float(count), "count", "warnings")]


def _cost(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    currency = outcome.data.settings.currency
    figures = _figures(sheets)
    total = figures["expected_cost"]
    largest = max(COST_COMPONENTS, key=lambda c: figures[c])
    part = f" ({share(figures[largest] / total)})" if total > 0 else ""
    return [Headline(
        f"The plan's expected discounted cost is {money(total, currency)}; its largest part "
        f"is {largest} at {money(figures[largest], currency)}{part}.",
        total, currency, "summary",
    )]


def _costliest(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    currency = outcome.data.settings.currency
    scenarios = sheets["scenarios"]
    figures = _figures(sheets)
    worst = _largest(scenarios, "total_cost")
    total = float(worst["total_cost"])
    if len(scenarios) == 1:
        return [Headline(
            f"There is one scenario, {worst['scenario']}; its cost "
            f"{money(total, currency)} is the expected cost.", total, currency, "scenarios",
        )]
    cheapest = float(scenarios["total_cost"].min())
    if total - cheapest <= SAME * max(1.0, abs(total)):
        return [Headline(
            f"All {len(scenarios)} scenarios cost the same, {money(total, currency)}: no "
            "disruption changes the cost of the plan.", total, currency, "scenarios",
        )]
    why = max(COST_COMPONENTS, key=lambda c: float(worst[c]) - figures[c])
    return [Headline(
        f"The costliest scenario is {worst['scenario']} (probability "
        f"{share(float(worst['probability']))}) at {money(total, currency)}, "
        f"{money(total - figures['expected_cost'], currency)} above the expected cost; most "
        f"of the difference is {why}: {money(float(worst[why]), currency)} against "
        f"{money(figures[why], currency)} expected.",
        total, currency, "scenarios",
    )]


# ---------------------------------------------------------------- supply


def _shortfall(sheets: Sheets) -> list[Headline]:
    short = sheets["shortfalls"]
    if not len(short) or not (short["shortfall_t"] > 0).any():
        return [Headline("No demand goes unmet in any scenario.", 0.0, "t", "shortfalls")]
    worst = _largest(short, "shortfall_t")
    same = short[(short["region"] == worst["region"]) & (short["mineral"] == worst["mineral"])
                 & (short["period"] == worst["period"])
                 & (short["shortfall_t"] == worst["shortfall_t"])]
    who = ("scenario " if len(same) == 1 else "scenarios ") + ", ".join(same["scenario"])
    amount = float(worst["shortfall_t"])
    return [Headline(
        f"The largest shortfall is {tonnes(amount)} of {worst['mineral']} in "
        f"{worst['region']} in period {worst['period']} under {who} "
        f"({share(float(worst['share']))} of demand).",
        amount, "t", "shortfalls",
    )]


def _reported(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    """The headlines the components report (an instrument's), in component order."""
    return [Headline(f.headline, f.figure, f.unit, f.sheet) for component in components()
            for f in component.reported.headlines(outcome.derived, sheets)]


def _cover(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    """Days of cover (cover_days of the stockpiles sheet) at the end of the period each
    scenario leaves the trunk, and at the end of the period before, for the stockpiles
    of the minerals its disruptions then touch. ``figure``: the least at the end of the
    first disrupted period."""
    data, tree = outcome.data, outcome.derived.tree
    if not data.stockpiles:
        return [Headline("The input has no stockpiles: nothing covers demand when a "
                         "disruption starts.", np.nan, "days", "stockpiles")]
    stock = sheets["stockpiles"]
    cover = dict(zip(zip(*(stock[c].tolist() for c in ("stockpile", "scenario", "period")),
                         strict=True), stock["cover_days"].astype(float).tolist(), strict=True))
    periods = [p.period for p in data.periods]
    found = []
    for s in data.scenarios:
        leaves = tree.leaves_trunk(s.scenario)
        if leaves is None:
            continue
        period = periods[leaves]
        rows = tree.nodes[tree.paths[s.scenario][leaves]].active
        touched = [k for k in data.stockpiles
                   if any(r.mineral is None or r.mineral == k.mineral for r in rows)]
        if not touched:
            minerals = sorted({r.mineral for r in rows if r.mineral is not None})
            found.append(Headline(
                f"When {s.scenario} starts in {period}, no stockpile holds "
                f"{', '.join(minerals)}.", np.nan, "days", "stockpiles",
            ))
            continue
        before = periods[leaves - 1] if leaves > 0 else None
        parts, known, empty = [], [], []
        for k in touched:
            end = cover[k.stockpile, s.scenario, period]
            if np.isnan(end):
                parts.append(f"{k.stockpile} ({k.mineral}, {k.region}) no demand to cover")
                continue
            first = np.nan if before is None else cover[k.stockpile, s.scenario, before]
            if end == 0 and (before is None or first == 0):
                empty.append(k.stockpile)  # stays empty: "0.00 → 0.00" says nothing
                continue
            known.append(end)
            start = "" if before is None else f"{number(first)} → "
            parts.append(f"{k.stockpile} ({k.mineral}, {k.region}) {start}{number(end)}")
        if not parts:
            found.append(Headline(
                f"When {s.scenario} starts in {period}, the stockpiles of what it disrupts "
                f"are empty: {', '.join(empty)}.", 0.0, "days", "stockpiles"))
            continue
        when = f"at the end of {period}" if before is None else \
            f"at the end of {before} → of {period}"
        found.append(Headline(
            f"When {s.scenario} starts in {period}, stockpiles cover, in days of their "
            f"region's demand {when}: {_list(parts)}"
            + (f"; empty at both: {', '.join(empty)}." if empty else "."),
            min(known) if known else np.nan, "days", "stockpiles",
        ))
    return found


def _expansions(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    currency = outcome.data.settings.currency
    expansions = sheets["expansions"]
    if not len(expansions):
        return [Headline("The input offers no capacity expansion.", 0.0, currency,
                         "expansions")]
    built = expansions[expansions["built_t"] > 0].sort_values("capex", ascending=False,
                                                              kind="stable")
    if not len(built):
        return [Headline("No expansion is chosen.", 0.0, currency, "expansions")]
    parts = []
    backs = paybacks(outcome, sheets, [str(f) for f in built["facility"]])
    for row in built.to_dict("records"):
        back = backs[str(row["facility"])]
        parts.append(
            f"{row['facility']} {tonnes(float(row['built_t']))}/yr for "
            f"{money(float(row['capex']), currency)}, "
            + (f"payback {years(back)}" if back is not None
               else "no payback at marginal prices")
        )
    total = float(built["capex"].sum())
    return [Headline(
        f"{len(built)} of {len(expansions)} expansions chosen, {money(total, currency)} of "
        f"overnight capex: {_list(parts)}.", total, currency, "expansions",
    )]


def paybacks(outcome: Outcome, sheets: Sheets, facilities: list[str]) -> dict[str, float | None]:
    """Years for the expected yearly margin of each facility's new capacity to repay its
    overnight capex (see the module's definitions); ``None`` where the margin is not
    positive. All facilities at once: their production rows joined with the marginal
    prices of their product (and, for a refinery, of concentrate) in one merge."""
    data = outcome.data
    chosen = {f.facility: f for f in data.facilities if f.facility in set(facilities)}
    expansions = sheets["expansions"].astype({"facility": object}).set_index("facility")
    periods = [p.period for p in data.periods]
    years = {p.period: p.years for p in data.periods}
    probability = {s.scenario: s.probability for s in data.scenarios}
    production = sheets["production"]
    rows = production[production["facility"].isin(list(chosen))][
        ["facility", "period", "scenario", "output_t"]].astype(
        {"facility": object, "period": object, "scenario": object})
    online = {name: periods.index(f.online_period) for name, f in chosen.items()}
    rows = rows[[periods.index(p) >= online[f] for f, p in
                 zip(rows["facility"].tolist(), rows["period"].tolist(), strict=True)]]
    keys = ["region", "mineral", "period", "scenario"]
    prices = sheets["prices"]
    needed = prices["region"].isin({f.region for f in chosen.values()}) & prices[
        "mineral"].isin({f.mineral for f in chosen.values()})  # the facilities' own only
    prices = prices[needed].astype({k: object for k in [*keys, "stage"]}).set_index(
        [*keys, "stage"])["marginal_price_per_t"].unstack("stage")
    region = rows["facility"].map({n: f.region for n, f in chosen.items()})
    mineral = rows["facility"].map({n: f.mineral for n, f in chosen.items()})
    at = prices.reindex(pd.MultiIndex.from_arrays(
        [region, mineral, rows["period"], rows["scenario"]], names=keys))
    product = rows["facility"].map({n: PRODUCT_OF_STAGE[f.stage] for n, f in chosen.items()})
    refined = at["refined"].to_numpy(dtype=float) if "refined" in at \
        else np.full(len(rows), np.nan)
    concentrate = at["concentrate"].to_numpy(dtype=float) if "concentrate" in at \
        else np.full(len(rows), np.nan)
    price = np.where(product.to_numpy() == "refined", refined, concentrate)
    unit = rows["facility"].map({n: f.unit_cost_per_t for n, f in chosen.items()}).to_numpy(
        dtype=float)
    refines = rows["facility"].map({n: f.stage == "refine" for n, f in chosen.items()})
    feed = rows["facility"].map({n: f.yield_ for n, f in chosen.items()}).to_numpy(dtype=float)
    unit = np.where(refines.to_numpy(dtype=bool), unit + concentrate / feed, unit)
    built = rows["facility"].map(expansions["built_t"]).to_numpy(dtype=float)
    existing = rows["facility"].map({n: f.capacity_t for n, f in chosen.items()}).to_numpy(
        dtype=float)
    new = rows["output_t"].to_numpy(dtype=float) * built / (existing + built)
    weight = rows["scenario"].map(probability).to_numpy(dtype=float)
    known = ~np.isnan(price) & ~np.isnan(unit)
    margin = pd.Series(np.where(known, weight * new * (price - unit), 0.0)).groupby(
        rows["facility"].to_numpy()).sum()
    capex = {str(f): float(c) for f, c in zip(expansions.index, expansions["capex"],
                                               strict=True)}
    found: dict[str, float | None] = {}
    for name in facilities:
        running = sum(years[p] for p in periods[online[name]:])
        yearly = float(margin.get(name, 0.0)) / running
        found[name] = capex[name] / yearly if yearly > 0 else None
    return found


def payback(outcome: Outcome, sheets: Sheets, facility: str) -> float | None:
    """Years for the expected yearly margin of ``facility``'s new capacity to repay its
    overnight capex; ``None`` when the margin is not positive (see :func:`paybacks`)."""
    return paybacks(outcome, sheets, [facility])[facility]


# ---------------------------------------------------------------- floors and who pays


def _floors(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    """Where floors bind in member regions: the market price, after price disruptions, is
    below the floor (:func:`optimizer.results.burden.floor_gap`, MODEL.md §3)."""
    currency = outcome.data.settings.currency
    prices = sheets["prices"]
    floored = prices[prices["floor_price_per_t"].notna()
                     & prices["region"].map(outcome.derived.zone_member).astype(bool)]
    if not len(floored):
        return [Headline("No floor price applies in a member region.", 0.0, "rows", "prices")]
    gap = floor_gap(floored)
    binding = floored.assign(gap=gap, share=gap / floored["floor_price_per_t"])[gap > 0]
    if not len(binding):
        return [Headline(
            f"No floor binds: in all {len(floored)} member rows with a floor, the market "
            "price is at or above it.", 0.0, "rows", "prices",
        )]
    widest = _largest(binding, "share")
    return [Headline(
        f"Floors bind (market price below the floor) in {len(binding)} of {len(floored)} "
        f"member rows with a floor, {_count(binding['mineral'].nunique(), 'mineral')}; widest gap "
        f"{money(float(widest['gap']), currency)}/t, {100 * float(widest['share']):.0f}% of "
        f"the floor ({widest['mineral']} {widest['stage']}, {widest['region']}, "
        f"{widest['period']}, {widest['scenario']}).",
        float(len(binding)), "rows", "prices",
    )]


def _support(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    prices = sheets["prices"]
    if not prices["floor_price_per_t"].notna().any():
        return []
    currency = outcome.data.settings.currency
    burden = sheets["burden"]
    expected = burden[burden["scenario"] == EXPECTED]
    total = sum(float(r["price_gap_support"]) for r in _records(expected[
        expected["region"] == ZONE]))
    members = expected[expected["region"] != ZONE]
    if total <= 0 or not len(members):
        return [Headline("Price-gap support costs nothing: no member output sells below a "
                         "floor.", 0.0, currency, "burden")]
    most = _largest(members, "price_gap_support")
    return [Headline(
        f"Paying member output the floor instead of the market price (price-gap support) "
        f"would cost {money(total, currency)} in expectation, discounted; {most['region']} "
        f"most, {money(float(most['price_gap_support']), currency)}.", total, currency,
        "burden",
    )]


def _who_pays(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    currency = outcome.data.settings.currency
    burden = sheets["burden"]
    expected = burden[(burden["scenario"] == EXPECTED) & (burden["region"] != ZONE)]
    amounts = [c for c in burden.columns if c not in ("scenario", "region", "total")]
    if not len(expected) or not (expected["total"] > 0).any():
        return [Headline("No member region pays border adjustments, price-gap support, "
                         "stockpile spending, take-or-pay payments or capex.", 0.0, currency,
                         "burden")]
    top = _largest(expected, "total")
    most = max(amounts, key=lambda c: float(top[c]))
    zone = float(burden[(burden["scenario"] == EXPECTED) & (burden["region"] == ZONE)][
        "total"].iloc[0])
    return [Headline(
        f"Among members, {top['region']} carries the most: "
        f"{money(float(top['total']), currency)} in expectation, discounted (of "
        f"{money(zone, currency)} for the zone), mostly "
        f"{most} ({money(float(top[most]), currency)}).", float(top["total"]), currency,
        "burden",
    )]


# ---------------------------------------------------------------- dependence and stock


def _dependence(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    data, tree = outcome.data, outcome.derived.tree
    periods = {p.period: i for i, p in enumerate(data.periods)}
    probability = {s.scenario: s.probability for s in data.scenarios}
    frame = sheets["dependence"]
    phase = []
    for scenario, period in zip(frame["scenario"].tolist(), frame["period"].tolist(),
                                strict=True):
        index = periods[period]
        leaves = tree.leaves_trunk(scenario)
        if tree.nodes[tree.paths[scenario][index]].active:
            phase.append("during")
        elif leaves is None or index < leaves:
            phase.append("before")
        else:
            phase.append("after")
    weight = frame["scenario"].map(probability)
    weighted = frame.assign(
        phase=phase, outside=frame["from_non_members_t"] * weight,
        supply=(frame["from_members_t"] + frame["from_non_members_t"]) * weight,
    )
    sums = {(str(r["mineral"]), str(r["phase"])): (float(r["outside"]), float(r["supply"]))
            for r in _records(weighted.groupby(["mineral", "phase"], as_index=False)[
                ["outside", "supply"]].sum())}
    disrupted = "during" in phase
    parts, shares = [], []
    for m in data.minerals:
        values = {}
        for when in ("before", "during"):
            outside, supply = sums.get((m.mineral, when), (0.0, 0.0))
            values[when] = outside / supply if supply > 0 else np.nan
        if np.isnan(values["before"]) and np.isnan(values["during"]):
            continue
        shares.append(values["during"] if disrupted else values["before"])
        parts.append(f"{m.mineral} {share(values['before'])} → {share(values['during'])}"
                     if disrupted else f"{m.mineral} {share(values['before'])}")
    if not parts:
        return [Headline("The zone receives no refined supply.", np.nan, "share",
                         "dependence")]
    known = [s for s in shares if not np.isnan(s)]
    figure = max(known) if known else np.nan
    if disrupted:
        text = ("Non-member share of zone supply, before → during disruptions: "
                f"{_list(parts)}.")
    else:
        text = f"Non-member share of zone supply (no disruption occurs): {_list(parts)}."
    return [Headline(text, figure, "share", "dependence")]


def _stockpile_budget(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    data = outcome.data
    if not data.stockpiles:
        return []
    currency = data.settings.currency
    spend = sheets["stockpiles"].groupby("scenario", sort=False)["spend"].sum()
    scenario = str(spend.idxmax())
    most = float(spend[scenario])
    budget = data.settings.stockpile_budget
    if most <= 0:
        limit = "" if budget is None else f" (budget {money(budget, currency)})"
        return [Headline(f"No stockpile buys anything in any scenario{limit}.", 0.0,
                         currency, "stockpiles")]
    if budget is None:
        tail = "; no stockpile budget is set"
    elif budget > 0:
        tail = f", {share(most / budget)} of the {money(budget, currency)} stockpile budget"
    else:
        tail = ", against a stockpile budget of 0"
    return [Headline(
        f"Stockpile purchases spend at most {money(most, currency)} along one scenario's "
        f"path ({scenario}, undiscounted){tail}.", most, currency, "stockpiles",
    )]
