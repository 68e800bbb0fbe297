"""The findings a planner reads first (the ``headlines`` results sheet).

Each headline is one finding in one sentence of at most :data:`MOST_WORDS` words,
generated from the other results tables, with its main number in ``figure`` and the
sheet to check it on. Pure: built from the outcome's data and tree and the tables
already computed. Numbers in sentences are rounded for reading (:func:`number`);
``figure`` keeps the exact value.

Definitions, also on the ``read_me`` sheet:

- *payback* of an expansion: its overnight capex ÷ the expected yearly margin of the
  new capacity, where the margin at a period and scenario is the new capacity's share
  of output (built_t ÷ (capacity_t + built_t) × output_t) × (marginal price of the
  facility's product in its region − unit_cost_per_t − for a refinery, the marginal
  price of concentrate there ÷ yield), weighted by scenario probability, summed over
  the periods from online_period on and divided by their years. Undiscounted; no
  payback when that margin is not positive.
- *before* a disruption: a scenario's periods before it leaves the trunk (the calm
  scenario's path, :attr:`optimizer.model.tree.ScenarioTree.calm`); *during*: its
  periods with a departure from the trunk active
  (:meth:`optimizer.model.tree.ScenarioTree.departures`). Shares of non-member supply
  over them are weighted by scenario probability and tonnes.
- a floor *binds* where the market price, after price disruptions, is below it; its
  *gap* is floor − market price (the prices sheet's floor_gap_per_t, MODEL.md §3);
  *price-gap support* is that gap × member output (the burden sheet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.model import COST_COMPONENTS, components
from optimizer.model.component import largest, number
from optimizer.model.derive import PRODUCT_OF_STAGE
from optimizer.pipeline import Outcome
from optimizer.results.burden import EXPECTED, ZONE

Sheets = Mapping[str, pd.DataFrame]
SAME = 1e-9  # scenario costs this close (relative) are the same
MOST_WORDS = 30  # a headline's length, in words separated by spaces
HALF = 0.5  # "over half" of a mineral's zone supply from non-members


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
        *_widest_gap(outcome, sheets),
        *_support(outcome, sheets),
        *_expansions(outcome, sheets),
        *_dependence(outcome, sheets),
        *_who_pays(outcome, sheets),
        *_stockpile_budget(outcome, sheets),
        *_policy(outcome, sheets),
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
        f"The costliest scenario, {worst['scenario']} (probability "
        f"{share(float(worst['probability']))}), costs {money(total, currency)}, "
        f"{money(total - figures['expected_cost'], currency)} above expected, mostly {why} "
        f"({money(float(worst[why]), currency)} against {money(figures[why], currency)} "
        "expected).",
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
    names = [str(n) for n in same["scenario"]]
    who = f"scenario {names[0]}" + ("" if len(names) == 1 else
                                    f" and {_count(len(names) - 1, 'other')}")
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
    """Per scenario that leaves the trunk with a departure: the days of cover its
    stockpiles hold going in (:func:`cover_going_in`), for the minerals its departures
    then touch: the least and the most. ``figure``: the least."""
    data, tree = outcome.data, outcome.derived.tree
    if not data.stockpiles:
        return [Headline("The input has no stockpiles: nothing covers demand when a "
                         "disruption starts.", np.nan, "days", "stockpiles")]
    periods = [p.period for p in data.periods]
    found = []
    for s in data.scenarios:
        leaves = tree.leaves_trunk(s.scenario)
        rows = () if leaves is None else tree.departures(s.scenario, leaves)
        if leaves is None or not rows:
            continue
        start = f"When {s.scenario} starts in {periods[leaves]}"
        touched = [k for k in data.stockpiles
                   if any(r.mineral is None or r.mineral == k.mineral for r in rows)]
        if not touched:
            minerals = sorted({str(r.mineral) for r in rows})
            found.append(Headline(
                f"{start}, no stockpile holds {_few(minerals)}.", np.nan, "days", "stockpiles",
            ))
            continue
        going_in = cover_going_in(outcome, sheets, s.scenario, leaves)
        known = {k.stockpile: going_in[k.stockpile] for k in touched
                 if not np.isnan(going_in[k.stockpile])}
        if not known:
            found.append(Headline(f"{start}, its stockpiles have no demand to cover.",
                                  np.nan, "days", "stockpiles"))
            continue
        least = min(known, key=lambda k: known[k])
        mineral = next(k.mineral for k in touched if k.stockpile == least)
        if len(known) == 1:
            text = (f"{start}, stockpile {least} ({mineral}) holds {days(known[least])} of "
                    "its region's demand going in.")
        else:
            text = (f"{start}, its {len(known)} stockpiles hold {number(known[least])} to "
                    f"{days(max(known.values()))} of demand going in; least {least} "
                    f"({mineral}).")
        found.append(Headline(text, known[least], "days", "stockpiles"))
    return found


def cover_going_in(outcome: Outcome, sheets: Sheets, scenario: str,
                   period: int) -> dict[str, float]:
    """Each stockpile's days of cover as period index ``period`` of ``scenario`` starts:
    cover_days of the stockpiles sheet at the end of the period before; in the first
    period, initial_t ÷ the region's daily demand then (demand_t of the shortfalls
    sheet ÷ (years × 365)), as cover_days is defined. NaN where there is no demand."""
    data = outcome.data
    if period > 0:
        stock = sheets["stockpiles"]
        before = stock[(stock["scenario"] == scenario)
                       & (stock["period"] == data.periods[period - 1].period)]
        return {str(k): float(v) for k, v in zip(before["stockpile"], before["cover_days"],
                                                 strict=True)}
    first = data.periods[0]
    short = sheets["shortfalls"]
    short = short[(short["scenario"] == scenario) & (short["period"] == first.period)]
    demand = {(str(r), str(m)): float(d) for r, m, d in zip(
        short["region"], short["mineral"], short["demand_t"], strict=True)}
    found = {}
    for k in data.stockpiles:
        daily = demand.get((k.region, k.mineral), 0.0) / (first.years * 365)
        found[k.stockpile] = k.initial_t / daily if daily > 0 else np.nan
    return found


def _few(names: list[str], most: int = 4) -> str:
    """At most ``most`` names, then how many more."""
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"


def _expansions(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    currency = outcome.data.settings.currency
    expansions = sheets["expansions"]
    expansions = expansions[expansions["committed"] == "no"]  # the zone's finance only
    if not len(expansions):
        return [Headline("The input offers no capacity expansion.", 0.0, currency,
                         "expansions")]
    built = expansions[expansions["built_t"] > 0].sort_values("capex", ascending=False,
                                                              kind="stable")
    if not len(built):
        return [Headline("No expansion is chosen.", 0.0, currency, "expansions")]
    row = _records(built)[0]  # the largest capex
    back = payback(outcome, sheets, str(row["facility"]))
    total = float(built["capex"].sum())
    return [Headline(
        f"{len(built)} of {len(expansions)} expansions chosen, {money(total, currency)} of "
        f"overnight capex; the largest, {row['facility']}, {tonnes(float(row['built_t']))}/yr "
        f"for {money(float(row['capex']), currency)}, "
        + (f"pays back in {years(back)}." if back is not None
           else "does not pay back at marginal prices."),
        total, currency, "expansions",
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
    below the floor (floor_gap_per_t > 0, :func:`optimizer.results.tables.floor_gap`,
    MODEL.md §3)."""
    prices = sheets["prices"]
    floored = prices[prices["floor_price_per_t"].notna()
                     & prices["region"].map(outcome.derived.zone_member).astype(bool)]
    if not len(floored):
        return [Headline("No floor price applies in a member region.", 0.0, "rows", "prices")]
    binding = _binding(outcome, prices)
    if not len(binding):
        return [Headline(
            f"No floor binds: in all {len(floored)} member rows with a floor, the market "
            "price is at or above it.", 0.0, "rows", "prices",
        )]
    minerals = list(dict.fromkeys(str(m) for m in binding["mineral"]))
    return [Headline(
        f"Floors bind (market price below the floor) in {len(binding):,} of {len(floored):,} "
        f"member rows with a floor, for {_count(len(minerals), 'mineral')}: "
        f"{_few(minerals)}.", float(len(binding)), "rows", "prices",
    )]


def _binding(outcome: Outcome, prices: pd.DataFrame) -> pd.DataFrame:
    """The prices sheet's member rows where a floor binds (floor_gap_per_t > 0)."""
    member = prices["region"].map(outcome.derived.zone_member).astype(bool)
    return prices[member & (prices["floor_gap_per_t"].fillna(0.0) > 0)]


def _widest_gap(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    """The widest floor gap where a floor binds in a member region, as a share of its
    floor (the prices sheet's floor_gap_share); ``figure``: the gap per t."""
    binding = _binding(outcome, sheets["prices"])
    if not len(binding):
        return []
    widest = _largest(binding, "floor_gap_share")
    currency = outcome.data.settings.currency
    gap = float(widest["floor_gap_per_t"])
    return [Headline(
        f"The widest floor gap is {money(gap, currency)}/t, "
        f"{share(float(widest['floor_gap_share']))} of the floor: {widest['mineral']} "
        f"{widest['stage']} in {widest['region']}, {widest['period']}, {widest['scenario']}.",
        gap, f"{currency}/t", "prices",
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
        f"Price-gap support, (floor − market price) × member output, would cost "
        f"{money(total, currency)} in expectation, discounted; {most['region']} needs most, "
        f"{money(float(most['price_gap_support']), currency)}.", total, currency, "burden",
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
    """The non-member share of zone supply before disruptions: how many minerals take
    over half from non-members, and the most dependent; then, during disruptions, the
    mineral whose share moves most (see the module's definitions)."""
    shares = dependence_shares(outcome, sheets["dependence"])
    before = {m: v["before"] for m, v in shares.items() if not np.isnan(v["before"])}
    during = {m: v["during"] for m, v in shares.items() if not np.isnan(v["during"])}
    if not before and not during:
        return [Headline("The zone receives no refined supply.", np.nan, "share",
                         "dependence")]
    found = []
    if before:
        most = max(before, key=lambda m: before[m])
        over = sum(1 for v in before.values() if v > HALF)
        found.append(Headline(
            f"Before disruptions, {over} of {_count(len(before), 'mineral')} take over half "
            f"their zone supply from non-members; the most dependent is {most}, "
            f"{share(before[most])}.", before[most], "share", "dependence",
        ))
    both = [m for m in during if m in before]
    if both:
        moved = max(both, key=lambda m: abs(during[m] - before[m]))
        found.append(Headline(
            f"During disruptions the non-member share of {moved}'s zone supply moves most: "
            f"{share(before[moved])} before, {share(during[moved])} during.",
            during[moved], "share", "dependence",
        ))
    return found


def dependence_shares(outcome: Outcome, frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per mineral (input order, only those with supply), the non-member share of zone
    supply ``before`` and ``during`` disruptions: Σ p_s × from_non_members_t ÷ Σ p_s ×
    (from_members_t + from_non_members_t) over the dependence sheet's rows of each
    phase; NaN where a phase has no supply."""
    data, tree = outcome.data, outcome.derived.tree
    periods = {p.period: i for i, p in enumerate(data.periods)}
    probability = {s.scenario: s.probability for s in data.scenarios}
    leaving = {s.scenario: tree.leaves_trunk(s.scenario) for s in data.scenarios}
    phases: dict[tuple[str, str], str] = {}
    for scenario, period in set(zip(frame["scenario"].tolist(), frame["period"].tolist(),
                                    strict=True)):
        index, leaves = periods[period], leaving[scenario]
        if tree.departures(scenario, index):
            phases[scenario, period] = "during"
        elif leaves is None or index < leaves:
            phases[scenario, period] = "before"
        else:
            phases[scenario, period] = "after"
    phase = [phases[k] for k in zip(frame["scenario"].tolist(), frame["period"].tolist(),
                                    strict=True)]
    weight = frame["scenario"].map(probability)
    weighted = frame.assign(
        phase=phase, outside=frame["from_non_members_t"] * weight,
        supply=(frame["from_members_t"] + frame["from_non_members_t"]) * weight,
    )
    sums = {(str(r["mineral"]), str(r["phase"])): (float(r["outside"]), float(r["supply"]))
            for r in _records(weighted.groupby(["mineral", "phase"], as_index=False,
                                               observed=True)[["outside", "supply"]].sum())}
    found = {}
    for m in data.minerals:
        values = {}
        for when in ("before", "during"):
            outside, supply = sums.get((m.mineral, when), (0.0, 0.0))
            values[when] = outside / supply if supply > 0 else np.nan
        if not (np.isnan(values["before"]) and np.isnan(values["during"])):
            found[m.mineral] = values
    return found


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


# ---------------------------------------------------------------- the policy package


def _policy(outcome: Outcome, sheets: Sheets) -> list[Headline]:
    """With the policy sheet (``optimizer run --compare-policy``): what the package adds
    to the expected cost against the baseline and the shortfall it avoids; the mineral
    whose shortfall it avoids most and whose dependence it cuts most; and what each
    instrument adds within the package (the package against it alone switched off)."""
    if "policy" not in sheets:
        return []
    currency = outcome.data.settings.currency
    policy = sheets["policy"]
    runs = {str(r["run"]): r for r in _records(policy[policy["mineral"] == "all"])}
    baseline = runs.get("baseline")
    if baseline is None:
        return [Headline("The input has no floors, stockpiles or expansions to compare the "
                         "plan without.", 0.0, currency, "policy")]
    off = str(baseline["switched_off"]).split(", ")
    what = off[0] if len(off) == 1 else f"{', '.join(off[:-1])} or {off[-1]}"
    if baseline["status"] != "optimal":
        return [Headline(f"Without {what} the case has no optimal plan "
                         f"({baseline['status']}).", np.nan, currency, "policy")]
    extra = float(baseline["package_extra_cost"])
    found = [Headline(
        f"Against a baseline without {what}, the package "
        f"{_effect(extra, float(baseline['shortfall_avoided_t']), currency, 's')}.",
        extra, currency, "policy",
    )]
    minerals = policy[(policy["run"] == "baseline") & (policy["mineral"] != "all")]
    if len(minerals) and (minerals["shortfall_avoided_t"] > 0).any():
        most = _largest(minerals, "shortfall_avoided_t")
        found.append(Headline(
            f"Of the shortfall the package avoids, most is {most['mineral']}: "
            f"{tonnes(float(most['shortfall_avoided_t']))} expected over the horizon.",
            float(most["shortfall_avoided_t"]), "t", "policy",
        ))
    if len(minerals) and (minerals["dependence_reduced"] > 0).any():
        most = _largest(minerals, "dependence_reduced")
        reduced = float(most["dependence_reduced"])
        found.append(Headline(
            f"The package cuts the non-member share of {most['mineral']}'s zone supply most: "
            f"{share(float(most['non_member_share']))} without it, "
            f"{share(float(most['non_member_share']) - reduced)} with it.",
            reduced, "share", "policy",
        ))
    for name, row in runs.items():
        if not name.startswith("without_") or row["status"] != "optimal":
            continue
        instrument = str(row["switched_off"])
        extra = float(row["package_extra_cost"])
        found.append(Headline(
            f"Within the package, {instrument} "
            f"{_effect(extra, float(row['shortfall_avoided_t']), currency, '')}.",
            extra, currency, "policy",
        ))
    return found


def _effect(extra: float, avoided: float, currency: str, verb: str) -> str:
    """``adds X to the expected cost and avoids Y t of expected shortfall``, with
    ``saves`` and ``adds`` where the amounts are negative; ``verb`` the verbs' ending."""
    cost = (f"add{verb} {money(extra, currency)} to the expected cost" if extra >= 0
            else f"save{verb} {money(-extra, currency)} of expected cost")
    short = (f"avoid{verb} {tonnes(avoided)} of expected shortfall" if avoided >= 0
             else f"add{verb} {tonnes(-avoided)} of expected shortfall")
    return f"{cost} and {short}"
