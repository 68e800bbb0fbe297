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
from optimizer.results.headlines import MOST_WORDS, money, share
from tests.solved import complete_tables
from tests.test_sensitivity import floored_case, solve_ranged
from tests.workbooks import case, demand, facility, route, scenarios

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


def test_every_headline_is_one_short_sentence(solved: tuple[Outcome, Tables],
                                              tmp_path: Path) -> None:
    """An analyst's brief: each headline one sentence of at most 30 words (words as the
    spaces separate them), on every results case and the floor case."""
    _, tables = solved
    floored = complete_tables(solve_ranged(floored_case(tmp_path)), "case.xlsx", "sha", 0.0)
    for frame in (tables["headlines"], floored["headlines"]):
        for text in frame["headline"]:
            assert len(str(text).split()) <= MOST_WORDS, text
            assert str(text).count(". ") == 0, text  # one sentence


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
            "for 1 mineral: m.") in sentences
    assert ("The widest floor gap is 50.0 USD/t, 62.5% of the floor: m refined in M, p1, "
            "base.") in sentences
    assert ("Price-gap support, (floor − market price) × member output, would cost 500 USD "
            "in expectation, discounted; M needs most, 500 USD.") in sentences
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
        row = _headline(tables, "The costliest scenario, ")
        why = max(COST_COMPONENTS, key=lambda c: worst[c] - summary[c])
        _cites(row, f"scenario, {worst['scenario']} ", share(worst["probability"]),
               f"costs {money(worst['total_cost'], currency)}",
               f"{money(worst['total_cost'] - summary['expected_cost'], currency)} above "
               f"expected, mostly {why} ({money(worst[why], currency)} against "
               f"{money(summary[why], currency)} expected)")
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
    others = len(sharing) - 1
    _cites(row, f"{number(largest)} t of {first['mineral']} in {first['region']} in period "
                f"{first['period']} under scenario {sharing[0]}"
                + ("" if not others else f" and {others} other{'s' if others > 1 else ''}"),
           share(first["share"]))
    _figure(row, largest)


def test_days_of_cover_when_each_disruption_starts(solved: tuple[Outcome, Tables]) -> None:
    """Days of cover going in: cover_days of the stockpiles sheet at the end of the
    period before each scenario leaves the trunk (the scenarios sheet's leaves_trunk),
    or the initial stock over the first period's daily demand, for the stockpiles of
    the minerals its rows beyond the calm scenario's then touch: the least and the
    most."""
    outcome, tables = solved
    data = outcome.data
    if not data.stockpiles:
        _figure(_headline(tables, "The input has no stockpiles"), np.nan)
        return
    order = [p.period for p in data.periods]
    stock = {(r["stockpile"], r["scenario"], r["period"]): r["cover_days"]
             for r in _records(tables["stockpiles"])}
    calm = outcome.derived.tree.calm

    def rows(scenario: str, period: str) -> list[tuple[str, str | None]]:
        """(kind, mineral) of the input's rows active then, less the calm scenario's."""
        def active(name: str) -> list[tuple[str, str | None]]:
            i = order.index(period)
            return [(d.kind, d.mineral) for d in data.disruptions if d.scenario == name
                    and order.index(d.start_period) <= i <= order.index(d.end_period)]
        added, common = [], active(calm)
        for row in active(scenario):
            if row in common:
                common.remove(row)
            else:
                added.append(row)
        return added

    leaving = [(r["scenario"], r["leaves_trunk"]) for r in _records(tables["scenarios"])
               if not pd.isna(r["leaves_trunk"]) and rows(r["scenario"], r["leaves_trunk"])]
    assert len(_headlines(tables, "When ")) == len(leaving)
    for name, period in leaving:
        minerals = {m for _, m in rows(name, period)}
        touched = [k for k in data.stockpiles if None in minerals or k.mineral in minerals]
        row = _headline(tables, f"When {name} starts in {period}, ")
        assert row["sheet"] == "stockpiles"
        if not touched:
            _figure(row, np.nan)
            continue
        at = order.index(period)
        if at:  # the end of the period before, on the same path
            going_in = {k.stockpile: stock[k.stockpile, name, order[at - 1]] for k in touched}
        else:  # the initial stock over the first period's daily demand
            short = tables["shortfalls"]
            going_in = {}
            for k in touched:
                demand = short[(short["scenario"] == name) & (short["period"] == period)
                               & (short["region"] == k.region)
                               & (short["mineral"] == k.mineral)]["demand_t"].sum()
                daily = demand / (data.periods[0].years * 365)
                going_in[k.stockpile] = k.initial_t / daily if daily > 0 else np.nan
        mineral = {k.stockpile: k.mineral for k in touched}
        cover = {k: v for k, v in going_in.items() if not pd.isna(v)}
        if not cover:
            _cites(row, "no demand to cover")
            _figure(row, np.nan)
            continue
        least = min(cover, key=lambda k: cover[k])
        if len(cover) == 1:
            _cites(row, f"stockpile {least} ({mineral[least]}) holds {number(cover[least])} "
                        "days of its region's demand going in")
        else:
            _cites(row, f"its {len(cover)} stockpiles hold {number(cover[least])} to "
                        f"{number(max(cover.values()))} days of demand going in",
                   f"least {least} ({mineral[least]})")
        _figure(row, cover[least])


def test_expansions_and_their_payback(solved: tuple[Outcome, Tables]) -> None:
    """Payback = capex ÷ (Σ_s p_s Σ_t new output × (marginal price − unit cost − for a
    refinery, concentrate price ÷ yield) ÷ Σ years), over the periods from online_period,
    recomputed with joins on the production and prices sheets."""
    outcome, tables = solved
    currency = outcome.data.settings.currency
    expansions = tables["expansions"]
    expansions = expansions[expansions["committed"] == "no"]  # committed is not finance
    built = expansions[expansions["built_t"] > 0]
    if not len(expansions) or not len(built):
        row = _headline(tables, "The input offers no" if not len(expansions) else "No expansion")
        _figure(row, 0.0)
        return
    row = _headline(tables, f"{len(built)} of {len(expansions)} expansions chosen")
    _cites(row, money(float(built["capex"].sum()), currency))
    _figure(row, float(built["capex"].sum()))
    largest = _records(built)[int(np.argmax(built["capex"].to_numpy()))]
    facilities = {f.facility: f for f in outcome.data.facilities}
    probability = {s.scenario: s.probability for s in outcome.data.scenarios}
    order = [p.period for p in outcome.data.periods]
    years = {p.period: p.years for p in outcome.data.periods}
    prices = tables["prices"][["region", "mineral", "stage", "period", "scenario",
                               "marginal_price_per_t"]]
    for expansion in [largest]:  # the headline tells of the largest
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
        text = f"pays back in {number(expansion['capex'] / yearly)} years" if yearly > 0 \
            else "does not pay back at marginal prices"
        _cites(row, f"the largest, {f.facility}, {number(expansion['built_t'])} t/yr for "
                    f"{money(expansion['capex'], currency)}, {text}.")


# ---------------------------------------------------------------- floors and who pays


def _binding(outcome: Outcome, tables: Tables) -> pd.DataFrame:
    """Member rows of the prices sheet where the market price (after price disruptions,
    blank as 0) is below the floor (MODEL.md §3), with the gap and its share of the
    floor recomputed."""
    member = {r.region: r.zone_member for r in outcome.data.regions}
    prices = tables["prices"]
    floored = prices[prices["floor_price_per_t"].notna()
                     & prices["region"].map(member).astype(bool)]
    gap = floored["floor_price_per_t"] - floored["market_price_per_t"].fillna(0.0)
    return floored.assign(gap=gap, share=gap / floored["floor_price_per_t"])[gap > 0]


def test_floors_that_bind(solved: tuple[Outcome, Tables]) -> None:
    """A floor binds where the market price, after price disruptions, is below it
    (MODEL.md §3), not where the marginal price is; the widest gap as a share of its
    floor."""
    outcome, tables = solved
    member = {r.region: r.zone_member for r in outcome.data.regions}
    prices = tables["prices"]
    floored = prices[prices["floor_price_per_t"].notna()
                     & prices["region"].map(member).astype(bool)]
    binding = _binding(outcome, tables)
    if not len(binding):
        row = _headline(tables, "No floor")
        _figure(row, 0.0)
        assert not _headlines(tables, "The widest floor gap")
        return
    row = _headline(tables, "Floors bind")
    minerals = list(dict.fromkeys(binding["mineral"].astype(str)))
    _cites(row, f"in {len(binding):,} of {len(floored):,} member rows with a floor, for "
                f"{len(minerals)} mineral{'' if len(minerals) == 1 else 's'}: "
                + ", ".join(minerals[:4]))
    _figure(row, float(len(binding)))
    widest = binding.iloc[int(np.argmax(binding["share"].astype(float).to_numpy()))]
    row = _headline(tables, "The widest floor gap")
    _cites(row, f"{money(float(widest['gap']), outcome.data.settings.currency)}/t, "
                f"{share(float(widest['share']))} of the floor: {widest['mineral']} "
                f"{widest['stage']} in {widest['region']}, {widest['period']}, "
                f"{widest['scenario']}.")
    _figure(row, float(widest["gap"]))


def test_no_headline_cites_a_gap_larger_than_its_floor(
    solved: tuple[Outcome, Tables], tmp_path: Path,
) -> None:
    """A floor's gap is floor − market price with the market price ≥ 0: never more than
    the floor. Every share of a floor a headline cites is at most 100%, and every gap it
    cites per t is at most the floor of the row it names."""
    floored = solve_ranged(floored_case(tmp_path))
    for outcome, tables in (solved, (floored, complete_tables(floored, "case.xlsx", "sha",
                                                              0.0))):
        binding = _binding(outcome, tables)
        for row in _records(tables["headlines"]):
            for cited in re.findall(r"([\d.]+)% of the floor", str(row["headline"])):
                assert float(cited) <= 100, row
        for row in _headlines(tables, "The widest floor gap"):
            named = binding[binding["share"] == binding["share"].max()].iloc[0]
            assert row["figure"] <= float(named["floor_price_per_t"]), row
            assert row["figure"] <= float(binding["floor_price_per_t"].max()), row


def test_price_gap_cost_and_who_pays(solved: tuple[Outcome, Tables]) -> None:
    outcome, tables = solved
    currency = outcome.data.settings.currency
    burden = tables["burden"]
    expected = burden[burden["scenario"] == EXPECTED]
    zone = _records(expected[expected["region"] == ZONE])[0]
    members = _records(expected[expected["region"] != ZONE])
    support = _headlines(tables, "Price-gap support")
    if zone["price_gap_support"] > 0:
        (row,) = support
        most = max(members, key=lambda r: r["price_gap_support"])
        _cites(row, money(zone["price_gap_support"], currency),
               f"{most['region']} needs most, {money(most['price_gap_support'], currency)}")
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
    scenario leaves the trunk and while a row beyond the calm scenario's is active (from
    the input's disruption periods); how many minerals are over half before, the most
    dependent, and the mineral whose share moves most during."""
    outcome, tables = solved
    data = outcome.data
    order = [p.period for p in data.periods]
    probability = {s.scenario: s.probability for s in data.scenarios}
    leaves = {r["scenario"]: r["leaves_trunk"] for r in _records(tables["scenarios"])}
    calm = outcome.derived.tree.calm

    def active(scenario: str, period: str) -> list[tuple[object, ...]]:
        i = order.index(period)
        return [(d.kind, d.region, d.mineral, d.stage, d.destination, d.factor)
                for d in data.disruptions if d.scenario == scenario
                and order.index(d.start_period) <= i <= order.index(d.end_period)]

    def departs(scenario: str, period: str) -> bool:
        if pd.isna(leaves[scenario]) or order.index(period) < order.index(leaves[scenario]):
            return False
        common = active(calm, period)
        for row in active(scenario, period):
            if row not in common:
                return True
            common.remove(row)
        return False

    sums: dict[tuple[str, str], list[float]] = {}
    for r in _records(tables["dependence"]):
        scenario, period = r["scenario"], r["period"]
        if departs(scenario, period):
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
    before = {m: v for (m, phase), v in shares.items() if phase == "before"}
    during = {m: v for (m, phase), v in shares.items() if phase == "during"}
    names = [m.mineral for m in data.minerals]
    if before:
        row = _headline(tables, "Before disruptions, ")
        most = max(sorted(before, key=names.index), key=lambda m: before[m])
        over = sum(1 for v in before.values() if v > 0.5)
        _cites(row, f"{over} of {len(before)} mineral", f"most dependent is {most}, "
                    f"{share(before[most])}")
        _figure(row, before[most])
    both = sorted((m for m in during if m in before), key=names.index)
    if both:
        row = _headline(tables, "During disruptions the non-member share of ")
        moved = max(both, key=lambda m: abs(during[m] - before[m]))
        _cites(row, f"of {moved}'s zone supply moves most: {share(before[moved])} before, "
                    f"{share(during[moved])} during.")
        _figure(row, during[moved])
    else:
        assert not _headlines(tables, "During disruptions")


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


def test_read_me_states_the_report_definitions(solved: tuple[Outcome, Tables]) -> None:
    """A floor binds on the market price; its gap, its share of the floor, price-gap
    support and the marginal cost below floor are each defined once, on read_me."""
    _, tables = solved
    read_me = tables["read_me"]
    meaning = {(str(s), str(c)): str(m) for s, c, m in zip(
        read_me["sheet"], read_me["column"].fillna(""), read_me["meaning"], strict=True)}
    assert meaning["prices", "floor_gap_per_t"].startswith(
        "Floor gap: max(0, floor − market price), the market price after price disruptions")
    assert "A floor binds where it is above 0" in meaning["prices", "floor_gap_per_t"]
    assert meaning["prices", "floor_gap_share"].startswith("floor_gap_per_t ÷ floor_price_per_t")
    assert meaning["prices", "marginal_below_floor_per_t"].startswith(
        "Marginal cost below floor: floor − marginal price")
    assert meaning["burden", "price_gap_support"].startswith(
        "Price-gap support: (floor − market price) × member output")
    headlines = meaning["headlines", ""]
    assert "A floor binds where the market price, after price disruptions, is below it" \
        in headlines
    assert "at most 30 words" in headlines
    assert "price_gap" not in {c for _, c in meaning}  # the old, ambiguous name is gone


def test_a_scenario_starts_where_it_leaves_the_calm_trunk_not_at_its_first_row(
    tmp_path: Path,
) -> None:
    """X's export quota (factor 0.5) is today's policy, in force from p1 in calm and ban
    alike; ban adds a ban on X's exports from p2. So the trunk is calm's path with the
    quota active, calm never starts, and ban starts in p2 (not p1, its first row): its
    cover going in is the vault's at the end of p1, and p1 counts as before."""
    quota = {"kind": "export", "region": "X", "mineral": "m", "stage": "refined",
             "start_period": "p1", "factor": 0.5}
    data = case(
        tmp_path, regions={"X": False, "M": True}, minerals={"m": 1000.0},
        periods={"p1": 1.0, "p2": 1.0, "p3": 1.0},
        facilities=[facility("fx", "X", 100), facility("fm", "M", 10, 50)],
        routes=[route("X", "M", 5)], demand=[demand("M", 20)],
        stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m", "capacity_t": 10,
                     "initial_t": 5, "release_needs_disruption": "yes"}],
        scenarios=scenarios(calm=0.5, ban=0.5),
        disruptions=[{"scenario": "calm", **quota}, {"scenario": "ban", **quota},
                     {"scenario": "ban", "kind": "export", "region": "X", "mineral": "m",
                      "stage": "refined", "start_period": "p2", "factor": 0}],
    )
    outcome = solve_ranged(data)
    assert outcome.derived.tree.calm == "calm"
    tables = complete_tables(outcome, "case.xlsx", "sha", 0.0)
    leaves = tables["scenarios"].set_index("scenario")["leaves_trunk"]
    assert pd.isna(leaves["calm"]) and leaves["ban"] == "p2"
    stock = tables["stockpiles"]
    held = float(stock[(stock["scenario"] == "ban") & (stock["period"] == "p1")][
        "cover_days"].iloc[0])
    sentences = tables["headlines"]["headline"].tolist()
    assert [s for s in sentences if s.startswith("When ")] == [
        f"When ban starts in p2, stockpile vault (m) holds {number(held)} days of its "
        "region's demand going in."]
    row = _headline(tables, "Before disruptions, ")
    dependence = tables["dependence"]
    before = dependence[(dependence["period"] == "p1") | (dependence["scenario"] == "calm")]
    outside = float(before["from_non_members_t"].sum())  # equal probabilities
    _figure(row, outside / (outside + float(before["from_members_t"].sum())))
