"""The ``headlines`` sheet: every number a sentence cites is recomputed here from the
other results tables (and the input), and must appear in the sentence as
:func:`optimizer.model.component.number` rounds it, with ``figure`` its exact value."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optimizer.model import COST_COMPONENTS
from optimizer.model.component import number
from optimizer.model.derive import PRODUCT_OF_STAGE
from optimizer.pipeline import Outcome
from optimizer.results.burden import EXPECTED, ZONE
from optimizer.results.headlines import money, share
from tests.solved import complete_tables
from tests.test_sensitivity import floored_case, solve_ranged

Tables = dict[str, pd.DataFrame]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _headline(tables: Tables, start: str) -> dict[str, Any]:
    (row,) = _headlines(tables, start)
    return row


def _headlines(tables: Tables, start: str) -> list[dict[str, Any]]:
    return [r for r in _records(tables["headlines"]) if str(r["headline"]).startswith(start)]


def _cites(row: dict[str, Any], *texts: str) -> None:
    for text in texts:
        assert text in row["headline"], (text, row["headline"])


def _figure(row: dict[str, Any], value: float) -> None:
    if np.isnan(value):
        assert np.isnan(row["figure"]), row
    else:
        assert row["figure"] == pytest.approx(value, rel=1e-9, abs=1e-9), row


def _summary(tables: Tables) -> dict[str, Any]:
    return dict(zip(tables["summary"]["figure"], tables["summary"]["value"], strict=True))


# ---------------------------------------------------------------- the sheet


def test_headlines_are_numbered_and_point_at_sheets(solved: tuple[Outcome, Tables]) -> None:
    _, tables = solved
    frame = tables["headlines"]
    assert frame["number"].tolist() == list(range(1, len(frame) + 1))
    assert 8 <= len(frame) <= 20
    assert set(frame["sheet"]) <= set(tables)
    assert frame["headline"].str.endswith(".").all()
    assert (frame["unit"] != "").all()


def test_exact_sentences_on_a_case_worked_by_hand(tmp_path: Path) -> None:
    """The floor case of tests/test_sensitivity.py: the market price 30 sits 50 below the
    floor of 80 (62.5% of it); M pays 15 in tariffs and 250 in floor gap, and paying its
    10 t the floor instead of the market price would take 10 × 50 = 500: 765 in all."""
    outcome = solve_ranged(floored_case(tmp_path))
    tables = complete_tables(outcome, "case.xlsx", "sha", 0.0)
    sentences = tables["headlines"]["headline"].tolist()
    assert "No demand goes unmet in any scenario." in sentences
    assert ("Floors bind (market price below the floor) in 1 of 1 member rows with a floor, "
            "1 mineral; widest gap 50.0 USD/t, 62% of the floor (m refined, M, p1, "
            "base).") in sentences
    assert ("Paying member output the floor instead of the market price (price-gap support) "
            "would cost 500 USD in expectation, discounted; M most, 500 USD.") in sentences
    assert ("Among members, M carries the most: 765 USD in expectation, discounted (of "
            "765 USD for the zone), mostly price_gap_support (500 USD).") in sentences
    assert "There is one scenario, base; its cost" in " ".join(sentences)


# ---------------------------------------------------------------- costs


def test_cost_and_its_largest_part(solved: tuple[Outcome, Tables]) -> None:
    outcome, tables = solved
    currency = outcome.data.settings.currency
    summary = _summary(tables)
    row = _headline(tables, "The plan's expected discounted cost")
    largest = max(COST_COMPONENTS, key=lambda c: summary[c])
    _cites(row, money(summary["expected_cost"], currency), largest,
           money(summary[largest], currency), share(summary[largest] / summary["expected_cost"]))
    _figure(row, summary["expected_cost"])
    assert row["sheet"] == "summary"


def test_costliest_scenario_and_why(solved: tuple[Outcome, Tables]) -> None:
    outcome, tables = solved
    currency = outcome.data.settings.currency
    summary = _summary(tables)
    scenarios = _records(tables["scenarios"])
    worst = scenarios[int(np.argmax([r["total_cost"] for r in scenarios]))]
    totals = [r["total_cost"] for r in scenarios]
    if max(totals) - min(totals) <= 1e-9 * max(totals):
        row = _headline(tables, "All ")
        _cites(row, f"All {len(scenarios)} scenarios cost the same",
               money(worst["total_cost"], currency))
    else:
        row = _headline(tables, "The costliest scenario is ")
        why = max(COST_COMPONENTS, key=lambda c: worst[c] - summary[c])
        _cites(row, f"is {worst['scenario']} ", share(worst["probability"]),
               money(worst["total_cost"], currency),
               money(worst["total_cost"] - summary["expected_cost"], currency),
               f"difference is {why}: {money(worst[why], currency)} against "
               f"{money(summary[why], currency)} expected")
    _figure(row, worst["total_cost"])


# ---------------------------------------------------------------- supply


def test_largest_shortfall(solved: tuple[Outcome, Tables]) -> None:
    _, tables = solved
    short = _records(tables["shortfalls"])
    largest = max((r["shortfall_t"] for r in short), default=0.0)
    if largest <= 0:
        row = _headline(tables, "No demand goes unmet")
        _figure(row, 0.0)
        return
    row = _headline(tables, "The largest shortfall is ")
    first = next(r for r in short if r["shortfall_t"] == largest)
    sharing = [r["scenario"] for r in short
               if (r["region"], r["mineral"], r["period"], r["shortfall_t"])
               == (first["region"], first["mineral"], first["period"], largest)]
    _cites(row, f"{number(largest)} t of {first['mineral']} in {first['region']} in period "
                f"{first['period']}", ", ".join(sharing), share(first["share"]))
    _figure(row, largest)


def test_days_of_cover_when_each_disruption_starts(solved: tuple[Outcome, Tables]) -> None:
    """cover_days of the stockpiles sheet at the end of the period each scenario leaves
    the trunk (the scenarios sheet's leaves_trunk), and at the end of the period before,
    for the stockpiles of the minerals its disruptions then touch."""
    outcome, tables = solved
    data = outcome.data
    if not data.stockpiles:
        _figure(_headline(tables, "The input has no stockpiles"), np.nan)
        return
    periods = [p.period for p in data.periods]
    stock = {(r["stockpile"], r["scenario"], r["period"]): r["cover_days"]
             for r in _records(tables["stockpiles"])}
    leaving = [r for r in _records(tables["scenarios"]) if not pd.isna(r["leaves_trunk"])]
    assert len(_headlines(tables, "When ")) == len(leaving)
    for scenario in leaving:
        name, period = scenario["scenario"], scenario["leaves_trunk"]
        minerals = {d.mineral for d in data.disruptions if d.scenario == name
                    and d.start_period == period}
        touched = [k for k in data.stockpiles if None in minerals or k.mineral in minerals]
        row = _headline(tables, f"When {name} starts in {period}")
        before = periods[periods.index(period) - 1] if periods.index(period) else None
        ends, empty = [], []
        for k in touched:
            end = stock[k.stockpile, name, period]
            if pd.isna(end):
                _cites(row, f"{k.stockpile} ({k.mineral}, {k.region}) no demand to cover")
                continue
            first = None if before is None else stock[k.stockpile, name, before]
            if end == 0 and first in (None, 0):  # stays empty: named, not "0.00 → 0.00"
                empty.append(k.stockpile)
                assert f"{k.stockpile} ({k.mineral}" not in row["headline"]
                continue
            ends.append(end)
            start = "" if first is None else f"{number(first)} → "
            _cites(row, f"{k.stockpile} ({k.mineral}, {k.region}) {start}{number(end)}")
        if empty:
            _cites(row, ", ".join(empty) + ".")
        _figure(row, min(ends) if ends else 0.0 if empty else np.nan)
        assert row["sheet"] == "stockpiles"


def test_expansions_and_their_payback(solved: tuple[Outcome, Tables]) -> None:
    """Payback = capex ÷ (Σ_s p_s Σ_t new output × (marginal price − unit cost − for a
    refinery, concentrate price ÷ yield) ÷ Σ years), over the periods from online_period,
    recomputed with joins on the production and prices sheets."""
    outcome, tables = solved
    currency = outcome.data.settings.currency
    expansions = tables["expansions"]
    built = expansions[expansions["built_t"] > 0]
    if not len(expansions) or not len(built):
        row = _headline(tables, "The input offers no" if not len(expansions) else "No expansion")
        _figure(row, 0.0)
        return
    row = _headline(tables, f"{len(built)} of {len(expansions)} expansions chosen")
    _cites(row, money(float(built["capex"].sum()), currency))
    _figure(row, float(built["capex"].sum()))
    facilities = {f.facility: f for f in outcome.data.facilities}
    probability = {s.scenario: s.probability for s in outcome.data.scenarios}
    order = [p.period for p in outcome.data.periods]
    years = {p.period: p.years for p in outcome.data.periods}
    prices = tables["prices"][["region", "mineral", "stage", "period", "scenario",
                               "marginal_price_per_t"]]
    for expansion in _records(built):
        f = facilities[expansion["facility"]]
        running = order[order.index(f.online_period):]
        made = tables["production"]
        made = made[(made["facility"] == f.facility) & made["period"].isin(running)].assign(
            stage=PRODUCT_OF_STAGE[f.stage])
        made = made.merge(prices, on=["region", "mineral", "stage", "period", "scenario"])
        cost = pd.Series(f.unit_cost_per_t, index=made.index)
        if f.stage == "refine":
            concentrate = made[["region", "mineral", "period", "scenario"]].merge(
                prices[prices["stage"] == "concentrate"], how="left",
                on=["region", "mineral", "period", "scenario"])["marginal_price_per_t"]
            cost = cost + concentrate.to_numpy() / f.yield_
        new = made["output_t"] * expansion["built_t"] / (f.capacity_t + expansion["built_t"])
        margin = (made["scenario"].map(probability) * new
                  * (made["marginal_price_per_t"] - cost)).sum()  # NaN prices drop out
        yearly = margin / sum(years[p] for p in running)
        text = f"payback {number(expansion['capex'] / yearly)} years" if yearly > 0 \
            else "no payback at marginal prices"
        _cites(row, f"{f.facility} {number(expansion['built_t'])} t/yr for "
                    f"{money(expansion['capex'], currency)}, {text}")


# ---------------------------------------------------------------- floors and who pays


def test_floors_that_bind(solved: tuple[Outcome, Tables]) -> None:
    """A floor binds where the market price, after price disruptions, is below it
    (MODEL.md §3); the widest gap as a share of its floor."""
    outcome, tables = solved
    member = {r.region: r.zone_member for r in outcome.data.regions}
    prices = tables["prices"]
    floored = prices[prices["floor_price_per_t"].notna()
                     & prices["region"].map(member).astype(bool)]
    gap = floored["floor_price_per_t"] - floored["market_price_per_t"].fillna(0.0)
    binding = floored.assign(gap=gap, share=gap / floored["floor_price_per_t"])[gap > 0]
    if not len(binding):
        row = _headline(tables, "No floor")
        _figure(row, 0.0)
        return
    row = _headline(tables, "Floors bind")
    minerals = binding["mineral"].nunique()
    _cites(row, f"in {len(binding)} of {len(floored)} member rows with a floor, "
                f"{minerals} mineral{'' if minerals == 1 else 's'};")
    widest = binding.iloc[int(np.argmax(binding["share"].astype(float).to_numpy()))]
    _cites(row, f"{money(float(widest['gap']), outcome.data.settings.currency)}/t, "
                f"{100 * float(widest['share']):.0f}% of the floor ({widest['mineral']} "
                f"{widest['stage']}, {widest['region']}, {widest['period']}, "
                f"{widest['scenario']})")
    _figure(row, float(len(binding)))


def test_no_headline_cites_a_gap_larger_than_its_floor(
    solved: tuple[Outcome, Tables],
) -> None:
    """A floor's gap is floor − market price with the market price ≥ 0: never more than
    the floor, so the share the floors headline cites is at most 100%."""
    _, tables = solved
    for row in _headlines(tables, "Floors bind"):
        share = re.search(r"(\d+)% of the floor", str(row["headline"]))
        assert share is not None, row
        assert int(share.group(1)) <= 100, row


def test_price_gap_cost_and_who_pays(solved: tuple[Outcome, Tables]) -> None:
    outcome, tables = solved
    currency = outcome.data.settings.currency
    burden = tables["burden"]
    expected = burden[burden["scenario"] == EXPECTED]
    zone = _records(expected[expected["region"] == ZONE])[0]
    members = _records(expected[expected["region"] != ZONE])
    support = [r for r in _headlines(tables, "Paying") + _headlines(tables, "Price-gap")]
    if zone["price_gap_support"] > 0:
        (row,) = support
        most = max(members, key=lambda r: r["price_gap_support"])
        _cites(row, money(zone["price_gap_support"], currency),
               f"{most['region']} most, {money(most['price_gap_support'], currency)}")
        _figure(row, zone["price_gap_support"])
    else:
        assert all(r["figure"] == 0 for r in support)
    if not any(r["total"] > 0 for r in members):
        _figure(_headline(tables, "No member region pays"), 0.0)
        return
    row = _headline(tables, "Among members, ")
    top = max(members, key=lambda r: r["total"])
    amounts = [c for c in burden.columns if c not in ("scenario", "region", "total")]
    most_of = max(amounts, key=lambda c: top[c])
    _cites(row, f"{top['region']} carries the most: {money(top['total'], currency)}",
           f"of {money(zone['total'], currency)} for the zone",
           f"mostly {most_of} ({money(top[most_of], currency)})")
    _figure(row, top["total"])


# ---------------------------------------------------------------- dependence and stock


def test_non_member_dependence_before_and_during(solved: tuple[Outcome, Tables]) -> None:
    """Probability- and tonne-weighted shares over the dependence sheet's rows before a
    scenario leaves the trunk and while a disruption of it is active (from the input's
    disruption periods)."""
    outcome, tables = solved
    data = outcome.data
    order = [p.period for p in data.periods]
    probability = {s.scenario: s.probability for s in data.scenarios}
    leaves = {r["scenario"]: r["leaves_trunk"] for r in _records(tables["scenarios"])}

    def active(scenario: str, period: str) -> bool:
        i = order.index(period)
        return any(order.index(d.start_period) <= i <= order.index(d.end_period)
                   for d in data.disruptions if d.scenario == scenario)

    sums: dict[tuple[str, str], list[float]] = {}
    for r in _records(tables["dependence"]):
        scenario, period = r["scenario"], r["period"]
        if active(scenario, period):
            phase = "during"
        elif pd.isna(leaves[scenario]) or order.index(period) < order.index(leaves[scenario]):
            phase = "before"
        else:
            continue
        p = probability[scenario]
        total = sums.setdefault((r["mineral"], phase), [0.0, 0.0])
        total[0] += p * r["from_non_members_t"]
        total[1] += p * (r["from_members_t"] + r["from_non_members_t"])
    shares = {k: v[0] / v[1] for k, v in sums.items() if v[1] > 0}
    if not shares:
        _figure(_headline(tables, "The zone receives no refined supply"), np.nan)
        return
    row = _headline(tables, "Non-member share of zone supply")
    disrupted = any(phase == "during" for _, phase in sums)
    for m in data.minerals:
        before, during = shares.get((m.mineral, "before"), np.nan), shares.get(
            (m.mineral, "during"), np.nan)
        if np.isnan(before) and np.isnan(during):
            assert f"{m.mineral} " not in row["headline"]
            continue
        _cites(row, f"{m.mineral} {share(before)} → {share(during)}" if disrupted
               else f"{m.mineral} {share(before)}")
    _figure(row, max(v for (_, phase), v in shares.items()
                     if phase == ("during" if disrupted else "before")))


def test_stockpile_spending_against_the_budget(solved: tuple[Outcome, Tables]) -> None:
    """The stockpile budget row sums purchases × market price along a path: the
    stockpiles sheet's spend, summed by scenario."""
    outcome, tables = solved
    settings = outcome.data.settings
    if not outcome.data.stockpiles:
        assert not _headlines(tables, "Stockpile") and not _headlines(tables, "No stockpile")
        return
    spend = tables["stockpiles"].groupby("scenario", sort=False)["spend"].sum()
    most = float(spend.max())
    if most <= 0:
        row = _headline(tables, "No stockpile buys anything")
    else:
        row = _headline(tables, "Stockpile purchases spend at most")
        _cites(row, money(most, settings.currency), f"({spend.idxmax()}, undiscounted)")
        if settings.stockpile_budget:
            _cites(row, share(most / settings.stockpile_budget),
                   money(settings.stockpile_budget, settings.currency))
    _figure(row, most)
