"""The ``burden`` sheet: who pays, worked out by hand on a tiny case, and on the results
cases recomputed from the other sheets and added up to the cost components it splits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimizer.model.derive import PRODUCT_OF_STAGE
from optimizer.pipeline import Outcome
from optimizer.results.burden import AMOUNTS, EXPECTED, ZONE
from tests.solved import complete_tables
from tests.test_sensitivity import floored_case, solve_ranged

Tables = dict[str, pd.DataFrame]
TOLERANCE = 1e-6


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b), scale)


def _row(burden: pd.DataFrame, scenario: str, region: str) -> dict[str, Any]:
    match = burden[(burden["scenario"] == scenario) & (burden["region"] == region)]
    assert len(match) == 1, (scenario, region)
    return {str(k): v for k, v in match.iloc[0].to_dict().items()}


def test_who_pays_worked_out_by_hand(tmp_path: Path) -> None:
    """The floor case of tests/test_sensitivity.py: member M imports 5 t from non-member
    X at a tariff of 3 and a floor gap of 80 − 30 = 50 per t, and its own recycler makes
    10 t while M's marginal price is 68, 12 below the floor. M pays 5 × 3 = 15 in tariffs
    and 5 × 50 = 250 in floor gap; paying its 10 t the floor instead of the market price
    takes 10 × (80 − 30) = 500 (price-gap support is on the market price, not on M's
    marginal price). No stockpiles, offtakes or expansions; one scenario, so
    expected = base."""
    outcome = solve_ranged(floored_case(tmp_path))
    burden = complete_tables(outcome, "case.xlsx", "sha", 0.0)["burden"]
    assert burden[["scenario", "region"]].to_numpy().tolist() == [
        [EXPECTED, "M"], [EXPECTED, ZONE], ["base", "M"], ["base", ZONE]]
    for scenario in (EXPECTED, "base"):
        for region in ("M", ZONE):
            row = _row(burden, scenario, region)
            assert row["border_tariff"] == pytest.approx(15)
            assert row["border_floor_gap"] == pytest.approx(250)
            assert row["price_gap_support"] == pytest.approx(500)
            assert row["stockpile_spending"] == row["contract_payments"] == row["capex"] == 0
            assert row["total"] == pytest.approx(765)


def _summary(tables: Tables) -> dict[str, Any]:
    summary = tables["summary"]
    return dict(zip(summary["figure"], summary["value"], strict=True))


def test_rows_are_expected_then_each_scenario_by_member_then_zone(
    solved: tuple[Outcome, Tables]
) -> None:
    outcome, tables = solved
    members = [r.region for r in outcome.data.regions if r.zone_member]
    scenarios = [EXPECTED, *(s.scenario for s in outcome.data.scenarios)]
    expected = [[s, r] for s in scenarios for r in [*members, ZONE]]
    assert tables["burden"][["scenario", "region"]].to_numpy().tolist() == expected


def test_amounts_add_up_to_the_cost_components_they_split(
    solved: tuple[Outcome, Tables]
) -> None:
    """The zone's border adjustments are those paid into members (expected_cost −
    zone_net_cost); its contract payments are contract_cost and its capex capex, in
    expectation and for every scenario."""
    outcome, tables = solved
    burden, summary = tables["burden"], _summary(tables)
    zone = _row(burden, EXPECTED, ZONE)
    scale = summary["expected_cost"]
    assert close(zone["border_tariff"] + zone["border_floor_gap"],
                 summary["expected_cost"] - summary["zone_net_cost"], scale)
    assert close(zone["contract_payments"], summary["contract_cost"], scale)
    assert close(zone["capex"], summary["capex"], scale)

    discount = {p.period: outcome.derived.discount[i] for i, p in enumerate(outcome.data.periods)}
    member = outcome.derived.zone_member
    flows = tables["flows"]
    outside = flows[~flows["destination"].map(member).astype(bool)]
    paid_outside = (outside["flow_t"] * outside["border_adjustment_per_t"]
                    * outside["period"].map(discount)).groupby(outside["scenario"]).sum()
    for row in tables["scenarios"].to_dict("records"):
        s = str(row["scenario"])
        zone = _row(burden, s, ZONE)
        assert close(zone["border_tariff"] + zone["border_floor_gap"],
                     row["border_adjustment"] - paid_outside.get(s, 0.0), row["total_cost"])
        assert close(zone["contract_payments"], row["contract_cost"], row["total_cost"])
        assert close(zone["capex"], row["capex"], row["total_cost"])


def test_amounts_recomputed_from_the_sheets(solved: tuple[Outcome, Tables]) -> None:
    """Tariffs and floor gaps from the flows sheet and the routes' tariffs; price-gap
    support from the prices and production sheets; spending from the stockpiles sheet;
    each discounted along the scenario's path, by region."""
    outcome, tables = solved
    data = outcome.data
    discount = {p.period: outcome.derived.discount[i] for i, p in enumerate(data.periods)}
    tariff = {(r.origin, r.destination, r.mineral, r.stage): r.tariff_per_t
              for r in data.routes}
    expected: dict[tuple[str, str, str], float] = {}

    def add(scenario: str, region: str, amount: str, money: float) -> None:
        expected[scenario, region, amount] = expected.get((scenario, region, amount), 0.0) + money

    for r in tables["flows"].to_dict("records"):
        key = (r["origin"], r["destination"], r["mineral"], r["stage"])
        weight = discount[r["period"]] * r["flow_t"]
        add(r["scenario"], r["destination"], "border_tariff", weight * tariff[key])
        add(r["scenario"], r["destination"], "border_floor_gap",
            weight * (r["border_adjustment_per_t"] - tariff[key]))
    production = tables["production"]
    for p in tables["prices"].to_dict("records"):
        market = 0.0 if pd.isna(p["market_price_per_t"]) else p["market_price_per_t"]
        gap = p["floor_price_per_t"] - market  # floor − market price, MODEL.md §3
        if pd.isna(gap) or gap <= 0:
            continue
        made = production[(production["region"] == p["region"])
                          & (production["mineral"] == p["mineral"])
                          & (production["stage"].map(PRODUCT_OF_STAGE) == p["stage"])
                          & (production["period"] == p["period"])
                          & (production["scenario"] == p["scenario"])]["output_t"].sum()
        add(p["scenario"], p["region"], "price_gap_support",
            discount[p["period"]] * gap * made)
    for k in tables["stockpiles"].to_dict("records"):
        add(k["scenario"], k["region"], "stockpile_spending", discount[k["period"]] * k["spend"])

    burden = tables["burden"]
    scale = float(burden["total"].abs().max())
    members = [r.region for r in data.regions if r.zone_member]
    for s in data.scenarios:
        for region in members:
            row = _row(burden, s.scenario, region)
            for amount in ("border_tariff", "border_floor_gap", "price_gap_support",
                           "stockpile_spending"):
                assert close(row[amount], expected.get((s.scenario, region, amount), 0.0),
                             scale), (s.scenario, region, amount)
        zone = _row(burden, s.scenario, ZONE)
        spent = sum(v for (sc, _, a), v in expected.items()
                    if sc == s.scenario and a == "stockpile_spending")
        assert close(zone["stockpile_spending"], spent, scale)


def test_zone_expected_and_total_rows_are_sums(solved: tuple[Outcome, Tables]) -> None:
    """Members add up to the zone for market payments; the zone's own instruments count
    wherever they sit, so never less than the members'; expected = Σ_s p_s × scenario;
    total = the six amounts."""
    outcome, tables = solved
    burden = tables["burden"]
    scale = float(burden["total"].abs().max())
    for amount in AMOUNTS:
        assert (burden[amount] >= -1e-6).all(), amount
    for scenario in burden["scenario"].unique():
        rows = burden[burden["scenario"] == scenario]
        members = rows[rows["region"] != ZONE][list(AMOUNTS)].sum()
        zone = _row(burden, str(scenario), ZONE)
        for amount in AMOUNTS:
            if amount in ("border_tariff", "border_floor_gap", "price_gap_support"):
                assert close(zone[amount], float(members[amount]), scale), amount
            else:
                assert zone[amount] >= float(members[amount]) - 1e-6 * scale, amount
    probability = {s.scenario: s.probability for s in outcome.data.scenarios}
    scenarios = burden[burden["scenario"] != EXPECTED]
    weighted = scenarios[list(AMOUNTS)].mul(scenarios["scenario"].map(probability), axis=0)
    by_region = weighted.groupby(scenarios["region"]).sum()
    for row in burden[burden["scenario"] == EXPECTED].to_dict("records"):
        for amount in AMOUNTS:
            assert close(row[amount], float(by_region.loc[row["region"], amount]), scale)
    assert ((burden["total"] - burden[list(AMOUNTS)].sum(axis=1)).abs() <= 1e-6 * scale).all()
