"""The value of the stochastic solution and of perfect information (optimizer.information).

A case worked out on paper, a textbook instance with published figures, the definition
of the expected-value problem item by item, the EEV of a plan that cannot be carried
out, invariants on random small cases, and the command line.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from optimizer.cli import main
from optimizer.data import ModelData
from optimizer.model.derive import derive
from optimizer.pipeline import optimize
from optimizer.results.contract import RESULT_SHEETS_BY_NAME
from optimizer.results.information import (
    EXPECTED_VALUE,
    expected_value_data,
    fix_plan,
    risk_objective,
    value_of_information,
)
from optimizer.solve.highs import SolverOptions
from tests.test_nonanticipativity import random_case, scenario_wise_optimum
from tests.workbooks import case, demand, facility, route, scenarios, solved

approx = pytest.approx


# ---------------------------------------------------------------- worked on paper


def _outage_case(folder: Path, settings: dict[str, Any] | None = None,
                 capacity_t: float = 20, **stockpile: Any) -> ModelData:
    """Member M needs 10 t a year in p1 and p2 from its recycler f (20 t/yr, 1 per t);
    unmet demand costs 100 per t. In scenario ``outage`` (probability 0.5) f makes
    nothing in p2. The stockpile ``vault`` holds up to 10 t at 2 per t and year and may
    release only in a disruption of m."""
    return case(
        folder,
        settings=settings,
        minerals={"m": 100.0},
        periods={"p1": 1.0, "p2": 1.0},
        facilities=[facility("f", "M", capacity_t, 1)],
        demand=[demand("M", 10)],
        stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m", "capacity_t": 10,
                     "holding_cost_per_t": 2, "release_needs_disruption": "yes",
                     **stockpile}],
        scenarios=scenarios(calm=0.5, outage=0.5),
        disruptions=[{"scenario": "outage", "kind": "capacity", "start_period": "p2",
                      "factor": 0}],
    )


@pytest.mark.parametrize(
    ("settings", "rp", "eev", "ws"),
    [
        ({}, 55.0, 515.0, 30.0),
        ({"risk_weight": 0.5, "cvar_alpha": 0.5}, 62.5, 762.5, 35.0),
    ],
)
def test_value_of_a_stockpile_worked_on_paper(
    tmp_path: Path, settings: dict[str, Any], rp: float, eev: float, ws: float
) -> None:
    """p1 is the trunk: buy s t (0 ≤ s ≤ 10) into the vault there, at 1 + 2 holding.

    Scenario costs as functions of s:
    calm: p1 (10 + s) + 2s, p2 10 + 2s (the vault may not release): C = 20 + 5s;
    outage: p1 (10 + s) + 2s, p2 release s and 100 × (10 − s) short: C = 1010 − 97s.

    λ = 0. RP = min over s of 0.5 C_calm + 0.5 C_outage = 515 − 46s: s = 10, RP = 55
    (calm 70, outage 40).
    EV: f's capacity in p2 is the mean 0.5 × 20 + 0.5 × 0 = 10 t, release allowed (it
    is in outage). Stock costs 3 per t against 1 to make it in p2, so s = 0 and EV = 20.
    EEV: s = 0 in the tree: calm 20, outage 1010, EEV = 515; VSS = 515 − 55 = 460.
    WS: calm alone s = 0, 20; outage alone s = 10, 40; WS = 30; EVPI = 55 − 30 = 25.

    λ = 0.5, α = 0.5: with two scenarios of 0.5, CVaR_0.5 is the larger cost, so
    ρ = 0.5 E + 0.5 max. Its slope in s is 0.5 (−46 − 97) below s = 9.7 (where the
    costs cross) and 0.5 (−46 + 5) above: s = 10, RP = 0.5 × 55 + 0.5 × 70 = 62.5.
    EEV = 0.5 × 515 + 0.5 × 1010 = 762.5 (VSS 700); WS = 0.5 × 30 + 0.5 × 40 = 35
    (EVPI 27.5).
    """
    data = _outage_case(tmp_path, settings)
    information = value_of_information(solved(data))
    assert information.notes == ()
    assert (information.rp, information.eev, information.ws) == approx(
        (rp, eev, ws), abs=1e-6)
    assert information.vss == approx(eev - rp, abs=1e-6)
    assert information.evpi == approx(rp - ws, abs=1e-6)
    by_scenario = {s.scenario: (s.probability, s.wait_and_see_cost, s.eev_cost, s.rp_cost)
                   for s in information.scenarios}
    assert by_scenario.keys() == {"calm", "outage"}
    assert by_scenario["calm"] == approx((0.5, 20, 20, 70))
    assert by_scenario["outage"] == approx((0.5, 40, 1010, 40))


def test_eev_fixes_build_and_the_trunk_by_position(tmp_path: Path) -> None:
    """In the case above the trunk is p1 (node 0): its output, purchase, release, level
    and shortfall get the EV optimum (10, 0, 0, 0, 0) as both bounds; p2's nodes keep
    their own bounds."""
    outcome = solved(_outage_case(tmp_path))
    expected = solved(expected_value_data(outcome.derived))
    fixed = fix_plan(outcome, expected)
    lp = outcome.lp
    trunk, rest = {}, []
    for i in range(lp.size[0]):
        name, key = lp.layout.locate_column(i)
        if key[-1] == 0:
            trunk[name, key] = (fixed.col_lower[i], fixed.col_upper[i])
        else:
            rest.append((fixed.col_lower[i], fixed.col_upper[i]) == (lp.col_lower[i],
                                                                     lp.col_upper[i]))
    assert trunk == {("output", ("f", 0)): (approx(10), approx(10)),
                     ("purchase", ("vault", 0)): (0, 0), ("release", ("vault", 0)): (0, 0),
                     ("level", ("vault", 0)): (0, 0), ("shortfall", ("M", "m", 1, 0)): (0, 0)}
    assert rest and all(rest)


# ---------------------------------------------------------------- a textbook instance


FARMER_CROPS = {  # crop: planting cost per acre, yields in t/acre (above, average, below)
    "wheat": (150.0, (3.0, 2.5, 2.0)),
    "corn": (230.0, (3.6, 3.0, 2.4)),
    "beets": (260.0, (24.0, 20.0, 16.0)),
}
FARMER_SALES_ROOM = {"wheat": 1500.0, "corn": 1800.0, "beets": 12000.0}  # M_c, t
FARMER_SHIFT = 170 * 1500 + 150 * 1800 + 10 * 12000 + 36 * 6000  # K = 861,000


def _farmer(folder: Path) -> ModelData:
    crops, room = FARMER_CROPS, FARMER_SALES_ROOM
    needs = {"wheat": (200.0, 170.0, 238.0), "corn": (240.0, 150.0, 210.0),
             "beets": (6000.0, 10.0, 36.0)}  # first tier's top, its penalty, the rest's
    names = ("above", "average", "below")
    return case(
        folder,
        regions={"farm": True},
        minerals={crop: needs[crop][2] for crop in crops},
        settings={"expansion_budget": 500},
        facilities=[facility(crop, "farm", 0, mineral=crop, expandable_t=500, capex_per_t=1,
                             lifetime_years=1 / cost)
                    for crop, (cost, _) in crops.items()],
        demand=[demand("farm", needs[crop][0] + room[crop], crop) for crop in crops],
        shortfall_tiers=[
            tier
            for crop, (top, low, high) in needs.items()
            for tier in (
                {"mineral": crop, "up_to_share": room[crop] / (top + room[crop]),
                 "penalty_per_t": low},
                {"mineral": crop, "up_to_share": 1, "penalty_per_t": high},
            )
        ],
        scenarios=[{"scenario": s, "probability": 1 / 3} for s in names],
        disruptions=[
            {"scenario": s, "kind": "capacity", "region": "farm", "mineral": crop,
             "stage": "recycle", "start_period": "p1", "factor": yields[i]}
            for i, s in enumerate(names)
            for crop, (_, yields) in crops.items()
        ],
    )


def test_farmer_of_birge_and_louveaux(tmp_path: Path) -> None:
    """The farmer's problem: J. R. Birge and F. Louveaux, *Introduction to Stochastic
    Programming*, 2nd ed., Springer 2011, §1.1 (and §4.1–4.2 on EVPI and VSS).

    500 acres of wheat, corn and sugar beets, planted at 150, 230 and 260 per acre,
    yield 2.5, 3 and 20 t/acre on average, 20 % more or less in the scenarios above and
    below average (probability 1/3 each). The cattle need 200 t of wheat and 240 t of
    corn, bought at 238 and 210 where the harvest falls short; surplus sells at 170
    (wheat) and 150 (corn); beets sell at 36 per t up to the quota of 6,000 t and 10
    beyond. Published, as expected profit:

    ====================  =========  ===================================
    RP (stochastic plan)  108,390    170 / 80 / 250 acres
    EV plan               118,600    120 / 80 / 300 acres (average yields)
    EEV                   107,240    148,000 / 118,600 / 55,120 by scenario
    WS                    115,406    167,667 / 118,600 / 59,950 by scenario
    EVPI                  7,016      WS − RP
    VSS                   1,150      RP − EEV
    ====================  =========  ===================================

    As a case: one region ``farm``, a mineral and a recycler per crop. ``build`` is
    acres (capacity_t 0, expandable 500, capex_per_t 1, so expansion_budget 500 is the
    land); lifetime_years = 1 ÷ planting cost makes the yearly capex charge the
    planting cost per acre (one period of one year, no discounting). A scenario's
    yields are capacity factors in t per acre on every crop, so no period is shared:
    the trunk is empty and EEV fixes the acres only, as in the book.

    Sales become unmet demand: each crop has demand need + M (M: room to sell all
    that the land could ever yield: 1,500, 1,800 and 12,000 t) in two tiers, the
    first M tonnes short costing the sale price (170, 150, 10) and the rest the
    purchase price (238, 210) or, for beets, the quota price 36. Then, with harvest
    P, a crop's shortfall cost is the farmer's cost (purchases − sales) plus a constant:
    wheat 170 × (200 + M − P) = 170 M − 170 (P − 200) when P ≥ 200, and 170 M +
    238 (200 − P) below; corn likewise with 150 M; beets 10 M + 36 × 6,000 −
    (revenue). So every plan's cost in every scenario is K − its profit, with K =
    170 × 1,500 + 150 × 1,800 + 10 × 12,000 + 36 × 6,000 = 861,000, and the optima
    are the book's: RP = K − 108,390, EEV = K − 107,240, WS = K − 115,406, while VSS
    and EVPI, being differences, are the published 1,150 and 7,016 as they stand.
    """
    outcome = solved(_farmer(tmp_path))
    assert outcome.values("build") == {"wheat": approx(170), "corn": approx(80),
                                       "beets": approx(250)}
    information = value_of_information(outcome)
    assert information.notes == ()
    k = FARMER_SHIFT
    assert k - information.rp == approx(108_390, abs=0.5)
    assert k - information.eev == approx(107_240, abs=0.5)
    assert k - information.ws == approx(115_406, abs=0.5)
    assert information.vss == approx(1_150, abs=0.5)
    assert information.evpi == approx(7_016, abs=0.5)
    profits = {s.scenario: (k - s.wait_and_see_cost, k - s.eev_cost)
               for s in information.scenarios}
    assert profits.keys() == {"above", "average", "below"}
    assert profits["above"] == approx((167_667, 148_000), abs=0.5)
    assert profits["average"] == approx((118_600, 118_600), abs=0.5)
    assert profits["below"] == approx((59_950, 55_120), abs=0.5)
    expected = solved(expected_value_data(outcome.derived))
    assert expected.values("build") == {"wheat": approx(120), "corn": approx(80),
                                        "beets": approx(300)}
    assert expected.solution.objective is not None
    assert k - expected.solution.objective == approx(118_600, abs=0.5)


# ---------------------------------------------------------------- the expected-value problem


def test_expected_value_problem_takes_the_mean_of_every_parameter(tmp_path: Path) -> None:
    """Non-member X (100 t/yr) ships to member M (own recycler 10 t/yr, demand 20 t/yr)
    over a route of 50 t/yr; market 100, floor 95. Scenarios: calm 0.5; ban 0.3 (X may
    export nothing, M's recycler at half capacity, a harmless demand × 1 row on n, all
    in p2); slump 0.2 (price × 0.5, demand × 2, route × 0.4 in p2); ghost 0 (M's
    recycler out in p1). Mean over the scenarios of positive probability, in p2:

    - M's recycler: 0.5 + 0.3 × 0.5 + 0.2 = 0.85;
    - X's export cap: 0.5 × 1 (no cap) + 0.3 × 0 + 0.2 × 1 = 0.7;
    - demand: 0.8 × 20 + 0.2 × 40 = 24 t; route: 0.8 × 50 + 0.2 × 20 = 44 t;
    - price: 0.8 × 100 + 0.2 × 50 = 90, so the border adjustment is 95 − 90 = 5 (the
      mean of the scenarios' adjustments, 0.2 × 45 = 9, is not what the EV sees);
    - both vaults may release (ban and slump touch m; ban's demand × 1 row touches n).

    In p1 only ghost differs, and it weighs nothing: no row, no release.
    """
    data = case(
        tmp_path,
        regions={"X": False, "M": True},
        minerals={"m": 1000.0, "n": 1000.0},
        periods={"p1": 1.0, "p2": 1.0},
        facilities=[facility("fx", "X", 100), facility("fm", "M", 10),
                    facility("fn", "M", 10, mineral="n")],
        routes=[route("X", "M", capacity_t=50)],
        demand=[demand("M", 20), demand("M", 5, "n")],
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 100,
                 "floor_price_per_t": 95}],
        stockpiles=[{"stockpile": f"vault_{m}", "region": "M", "mineral": m,
                     "capacity_t": 10, "release_needs_disruption": "yes"} for m in "mn"],
        scenarios=scenarios(calm=0.5, ban=0.3, slump=0.2, ghost=0.0),
        disruptions=[
            {"scenario": "ban", "kind": "export", "region": "X", "mineral": "m",
             "stage": "refined", "start_period": "p2", "factor": 0},
            {"scenario": "ban", "kind": "capacity", "region": "M", "mineral": "m",
             "stage": "recycle", "start_period": "p2", "factor": 0.5},
            {"scenario": "ban", "kind": "demand", "mineral": "n", "start_period": "p2",
             "factor": 1},
            {"scenario": "slump", "kind": "price", "mineral": "m", "stage": "refined",
             "start_period": "p2", "factor": 0.5},
            {"scenario": "slump", "kind": "demand", "region": "M", "mineral": "m",
             "start_period": "p2", "factor": 2},
            {"scenario": "slump", "kind": "route", "region": "X", "destination": "M",
             "start_period": "p2", "factor": 0.4},
            {"scenario": "ghost", "kind": "capacity", "region": "M", "start_period": "p1",
             "end_period": "p1", "factor": 0},
        ],
    )
    ev = derive(expected_value_data(derive(data)))
    assert [s.scenario for s in ev.data.scenarios] == [EXPECTED_VALUE]
    assert ev.data.settings.risk_weight == 0.0
    p1, p2 = ev.tree.paths[EXPECTED_VALUE]
    assert ev.tree.nodes[p1].active == ()
    assert ev.capacity_factor == {("fm", p2): approx(0.85)}
    (cap,) = ev.export_caps
    assert (cap.node, cap.region, cap.mineral, cap.stage) == (p2, "X", "m", "refined")
    assert cap.factor == approx(0.7)
    assert ev.demand_t["M", "m", p1] == 20
    assert ev.demand_t["M", "m", p2] == approx(24)
    assert ev.demand_t["M", "n", p2] == 5
    assert ev.route_factor == {(0, p2): approx(0.88)}
    assert ev.market_price["m", "refined", p2] == approx(90)
    assert ev.border_adjustment == {(0, p2): approx(5)}
    assert ev.release_allowed == {("vault_m", p2), ("vault_n", p2)}


def test_eev_is_infinite_when_the_average_plan_cannot_be_carried_out(tmp_path: Path) -> None:
    """The outage case with f at 40 t/yr and a vault that must end full (terminal_min_t
    10). In p2 of outage nothing can be bought (no supply), so the tree fills it in p1;
    the EV problem has 20 t of capacity in p2 and fills it there, saving the holding
    cost. Its p1 (no purchase) leaves outage unable to reach 10 t: EEV is infinite, and
    the note says why in words."""
    data = _outage_case(tmp_path, capacity_t=40, terminal_min_t=10)
    information = value_of_information(solved(data))
    assert information.eev == math.inf and information.vss == math.inf
    assert math.isfinite(information.ws) and information.evpi >= 0
    (note,) = information.notes
    assert "cannot be carried out in every scenario" in note
    assert "decisions in p1 (shared by all scenarios)" in note
    assert "stockpile vault" in note
    assert all(math.isnan(s.eev_cost) for s in information.scenarios)


# ---------------------------------------------------------------- invariants


# Seed 6 has a scenario that, solved alone, leaves a free expansion (capex 0) disrupted
# to nothing wherever it could run: its build column appears in no row and no cost.
SEEDS = list(range(24))


@pytest.mark.parametrize("seed", SEEDS)
def test_vss_and_evpi_are_never_negative(tmp_path: Path, seed: int) -> None:
    """On random small cases (half of them risk-averse): VSS ≥ 0 and EVPI ≥ 0; every
    scenario's own optimum is at most its cost under either plan; RP and EEV are ρ of
    their plans' scenario costs; and with λ = 0, WS is at most the scenario-wise model
    without nonanticipativity (which still shares one ``build``), itself at most RP."""
    sheets = random_case(seed)
    if seed % 2:
        sheets["settings"] = {**sheets["settings"], "risk_weight": 0.5, "cvar_alpha": 0.8}
    data = case(tmp_path, **sheets)
    outcome = solved(data)
    information = value_of_information(outcome)
    assert information.notes == ()
    scale = max(1.0, abs(information.rp))
    assert information.vss >= -1e-7 * scale
    assert information.evpi >= -1e-7 * scale
    for s in information.scenarios:
        assert s.wait_and_see_cost <= s.rp_cost + 1e-7 * scale, s.scenario
        assert s.wait_and_see_cost <= s.eev_cost + 1e-7 * scale, s.scenario
    assert information.rp == approx(risk_objective([s.rp_cost for s in information.scenarios],
                                                   data), rel=1e-7, abs=1e-6)
    assert information.eev == approx(risk_objective([s.eev_cost for s in information.scenarios],
                                                    data), rel=1e-7, abs=1e-6)
    if not seed % 2:
        relaxed = scenario_wise_optimum(data, nonanticipative=False)
        assert information.ws <= relaxed + 1e-7 * scale
        assert relaxed <= information.rp + 1e-7 * scale


def test_sub_solves_keep_the_run_options(tmp_path: Path) -> None:
    """A time limit too short for anything leaves EEV and WS blank with a reason, no
    crash (the run itself was solved without one)."""
    outcome = solved(_outage_case(tmp_path))
    information = value_of_information(outcome, SolverOptions(time_limit_s=1e-9))
    assert information.rp == approx(55)
    assert math.isnan(information.eev) and math.isnan(information.ws)
    assert any("time limit" in note for note in information.notes)


# ---------------------------------------------------------------- the command line


def _summary(path: Path) -> dict[str, Any]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    return {row[0]: row[1] for row in workbook["summary"].iter_rows(min_row=2,
                                                                     values_only=True)}


def test_run_with_value_of_information_writes_the_sheet_and_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _outage_case(tmp_path)
    out = tmp_path / "results.xlsx"

    assert main(["run", str(tmp_path / "case.xlsx"), "-o", str(out),
                 "--value-of-information"]) == 0

    figures = _summary(out)
    assert {k: figures[k] for k in ("rp", "eev", "ws", "vss", "evpi")} == {
        "rp": approx(55), "eev": approx(515), "ws": approx(30), "vss": approx(460),
        "evpi": approx(25)}
    assert figures["information_note"] is None
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames[-1] == "value_of_information"
    sheet = workbook["value_of_information"]
    declared = RESULT_SHEETS_BY_NAME["value_of_information"]
    assert sheet.freeze_panes == "A2" and len(sheet.tables) == 1
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == declared.column_names
    assert rows[1:] == [("calm", 0.5, approx(20), approx(20), approx(70)),
                        ("outage", 0.5, approx(40), approx(1010), approx(40))]
    log = (tmp_path / "results.log").read_text(encoding="utf-8")
    assert "value of information: RP 55, EEV 515, WS 30, VSS 460, EVPI 25" in log


def test_run_without_the_option_has_neither(tmp_path: Path) -> None:
    _outage_case(tmp_path)
    out = tmp_path / "results.xlsx"
    assert main(["run", str(tmp_path / "case.xlsx"), "-o", str(out)]) == 0
    assert "rp" not in _summary(out)
    assert "value_of_information" not in openpyxl.load_workbook(out).sheetnames


def test_run_reports_an_infinite_eev_as_blank_with_its_reason(tmp_path: Path) -> None:
    """The fill-target case above, through the command line: exit 0, eev and vss blank,
    the reason on the summary."""
    _outage_case(tmp_path, capacity_t=40, terminal_min_t=10)
    out = tmp_path / "results.xlsx"
    assert main(["run", str(tmp_path / "case.xlsx"), "-o", str(out),
                 "--value-of-information"]) == 0
    figures = _summary(out)
    assert figures["eev"] is None and figures["vss"] is None
    assert figures["rp"] == approx(figures["objective"])
    assert "cannot be carried out in every scenario" in figures["information_note"]


def test_optimize_is_what_each_sub_problem_runs(tmp_path: Path) -> None:
    """The EV problem is an ordinary case: solved alone it gives EV's plan and cost."""
    outcome = solved(_outage_case(tmp_path))
    expected = optimize(expected_value_data(outcome.derived), SolverOptions())
    assert expected.optimal and expected.solution.objective == approx(20)
    assert expected.values("purchase") == {("vault", 0): 0.0, ("vault", 1): 0.0}
