"""Optima worked out by hand on tiny cases, one per mechanism of MODEL.md.

Each test's docstring derives the optimum on paper; the test asserts the objective
and the decisions that decide it. Money is in plain units; unless a test says
otherwise there is one mineral ``m``, one period ``p1`` of one year, no discounting
and a shortfall penalty high enough never to be worth paying.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from optimizer.data import ModelData
from optimizer.model.terms import FIRST_STAGE_NODE
from optimizer.pipeline import Outcome
from tests.workbooks import at, case, demand, facility, route, scenarios, solved

approx = pytest.approx


def _route(data: ModelData, origin: str, destination: str) -> int:
    return next(i for i, r in enumerate(data.routes)
                if (r.origin, r.destination) == (origin, destination))


def _ship(outcome: Outcome, origin: str, destination: str, node: int = 0,
          stage: str = "refined", mineral: str = "m") -> float:
    return outcome.values("ship")[origin, destination, mineral, stage, node]


# ---------------------------------------------------------------- 1. transportation


def test_textbook_transportation_problem(tmp_path: Path) -> None:
    """Dantzig's transportation problem as in the GAMS model library (``trnsport``).

    Plants seattle (350 cases) and san-diego (600) serve markets new-york (325),
    chicago (300) and topeka (275). Distances in thousand miles:

    ============  ========  =======  ======
    from \\ to     new-york  chicago  topeka
    ============  ========  =======  ======
    seattle       2.5       1.7      1.8
    san-diego     2.5       1.8      1.4
    ============  ========  =======  ======

    Freight is $90 per case per thousand miles; costs in thousands of dollars per case
    are 90 × d / 1000: seattle 0.225 / 0.153 / 0.162, san-diego 0.225 / 0.162 / 0.126.
    Plants are recyclers (refined output, no input) in their own regions; markets are
    demand regions. Published optimum z = 153.675 (k$):
    seattle → chicago 300 (45.900), san-diego → topeka 275 (34.650) and new-york's
    325 at 0.225 from either plant (73.125): 45.900 + 34.650 + 73.125 = 153.675.
    No plan is cheaper: every market gets its cheapest plant (chicago 0.153 < 0.162,
    topeka 0.126 < 0.162, new-york a tie) within the capacities (seattle 300 + up to
    its last 50 for new-york, san-diego the rest). The split of new-york is a tie.
    """
    distance = {
        ("seattle", "new-york"): 2.5, ("seattle", "chicago"): 1.7, ("seattle", "topeka"): 1.8,
        ("san-diego", "new-york"): 2.5, ("san-diego", "chicago"): 1.8,
        ("san-diego", "topeka"): 1.4,
    }
    markets = {"new-york": 325, "chicago": 300, "topeka": 275}
    data = case(
        tmp_path,
        regions=dict.fromkeys(["seattle", "san-diego", *markets], True),
        minerals={"m": 1000.0},  # k$ per case short: never worth it
        facilities=[facility("seattle", "seattle", 350), facility("san-diego", "san-diego", 600)],
        routes=[route(o, d, 90 * miles / 1000) for (o, d), miles in distance.items()],
        demand=[demand(market, cases) for market, cases in markets.items()],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(153.675, abs=1e-6)
    assert _ship(outcome, "seattle", "chicago") == approx(300)
    assert _ship(outcome, "san-diego", "topeka") == approx(275)
    assert _ship(outcome, "seattle", "new-york") + _ship(outcome, "san-diego", "new-york") == (
        approx(325)
    )
    assert sum(outcome.values("shortfall").values()) == approx(0, abs=1e-9)


# ---------------------------------------------------------------- 2. floors and borders


def _border_case(folder: Path, **sheets: Any) -> ModelData:
    """Non-member X (cost 100) and member Y (cost 130) can serve member M's 10 t, each
    over a route costing 5 with a tariff of 3; the floor of refined m is 120."""
    return case(
        folder,
        regions={"X": False, "Y": True, "M": True},
        facilities=[facility("fx", "X", 100, 100), facility("fy", "Y", 100, 130)],
        routes=[route("X", "M", 5, tariff_per_t=3), route("Y", "M", 5, tariff_per_t=3)],
        demand=[demand("M", 10)],
        **sheets,
    )


@pytest.mark.parametrize(
    ("market", "adjustment", "objective", "origin"),
    [
        # 3 + (120 − 80): X lands at 100 + 5 + 43 = 148 > Y's 130 + 5 + 3 = 138
        (80.0, 43.0, 1380.0, "Y"),
        # market above the floor: tariff only, X lands at 108 < 138
        (150.0, 3.0, 1080.0, "X"),
    ],
)
def test_floor_border_adjustment_on_non_member_route(
    tmp_path: Path, market: float, adjustment: float, objective: float, origin: str
) -> None:
    """The border adjustment on X → M (non-member into member) is tariff + max(0, floor −
    market); the member route Y → M pays its tariff only.

    Market 80: adjustment 3 + (120 − 80) = 43; X lands at 100 + 5 + 43 = 148, Y at
    130 + 5 + 3 = 138, so Y serves: 10 × 138 = 1380.
    Market 150 (above the floor): adjustment 3; X lands at 108: 10 × 108 = 1080.
    """
    data = _border_case(tmp_path, prices=[{
        "mineral": "m", "stage": "refined", "market_price_per_t": market,
        "floor_price_per_t": 120,
    }])
    outcome = solved(data)
    border = outcome.derived.border_adjustment
    assert border[_route(data, "X", "M"), 0] == approx(adjustment)
    assert border[_route(data, "Y", "M"), 0] == approx(3.0)
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    assert _ship(outcome, origin, "M") == approx(10)


def test_price_disruption_moves_the_border_adjustment(tmp_path: Path) -> None:
    """The case above with market 150; in scenario ``slump`` (probability 0.5) a price
    disruption halves the market to 75, below the floor of 120.

    calm: adjustment 3, X serves at 108: 1080.
    slump: adjustment 3 + (120 − 75) = 48, X lands at 153 > Y's 138: Y serves, 1380.
    Expected: 0.5 × 1080 + 0.5 × 1380 = 1230.
    """
    data = _border_case(
        tmp_path,
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 150,
                 "floor_price_per_t": 120}],
        scenarios=scenarios(calm=0.5, slump=0.5),
        disruptions=[{"scenario": "slump", "kind": "price", "mineral": "m", "stage": "refined",
                      "start_period": "p1", "factor": 0.5}],
    )
    outcome = solved(data)
    calm, slump = at(outcome, "calm", 0), at(outcome, "slump", 0)
    x_to_m = _route(data, "X", "M")
    assert outcome.derived.market_price["m", "refined", slump] == approx(75)
    assert outcome.derived.border_adjustment[x_to_m, calm] == approx(3)
    assert outcome.derived.border_adjustment[x_to_m, slump] == approx(48)
    assert outcome.solution.objective == approx(1230, abs=1e-6)
    assert _ship(outcome, "X", "M", calm) == approx(10)
    assert _ship(outcome, "Y", "M", slump) == approx(10)


# ---------------------------------------------------------------- 3. stockpiles


def _ban_case(folder: Path, stockpile: dict[str, Any], reveal: bool = False,
              **sheets: Any) -> ModelData:
    """Member M needs 10 t a year over two periods, only from non-member X (cost 100,
    free route); the shortfall penalty is 1000. In scenario ``ban`` (probability 0.5)
    X exports nothing in p2. A stockpile in M holds up to 10 t. With ``reveal``, a
    harmless row (M's demand × 1 in p1) sets ``ban`` apart from the first period."""
    reveal_rows = [{"scenario": "ban", "kind": "demand", "region": "M", "mineral": "m",
                    "start_period": "p1", "end_period": "p1", "factor": 1}] if reveal else []
    return case(
        folder,
        regions={"X": False, "M": True},
        minerals={"m": 1000.0},
        periods={"p1": 1.0, "p2": 1.0},
        facilities=[facility("fx", "X", 100, 100)],
        routes=[route("X", "M")],
        demand=[demand("M", 10)],
        stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m", "capacity_t": 10,
                     **stockpile}],
        scenarios=scenarios(calm=0.5, ban=0.5),
        disruptions=[{"scenario": "ban", "kind": "export", "region": "X", "mineral": "m",
                      "stage": "refined", "start_period": "p2", "factor": 0}, *reveal_rows],
        **sheets,
    )


@pytest.mark.parametrize(
    ("needs_disruption", "objective", "calm_release"),
    [("yes", 2650.0, 0.0), ("no", 2100.0, 10.0)],
)
def test_stockpile_buys_in_the_trunk_and_releases_in_the_ban(
    tmp_path: Path, needs_disruption: str, objective: float, calm_release: float
) -> None:
    """Holding costs 10 per t and year. The trunk (p1) cannot tell calm from ban.

    needs disruption = yes: buy 10 in p1 (a tonne costs 100 + 10 holding + 0.5 × 10
    holding in calm p2 and saves 0.5 × 1000 in ban). p1: import 20 = 2000, holding 100.
    calm p2: release forbidden, import 10 = 1000, holding 100: 0.5 × 1100 = 550.
    ban p2: release 10, nothing left to hold: 0. Total 2100 + 550 = 2650.

    needs disruption = no: calm p2 releases too, imports nothing and holds nothing:
    2100 + 0 + 0 = 2100.
    """
    data = _ban_case(tmp_path, {"holding_cost_per_t": 10,
                                "release_needs_disruption": needs_disruption})
    outcome = solved(data)
    trunk, calm, ban = at(outcome, "calm", 0), at(outcome, "calm", 1), at(outcome, "ban", 1)
    assert trunk == at(outcome, "ban", 0)
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    assert outcome.values("purchase")["vault", trunk] == approx(10)
    assert outcome.values("release")["vault", ban] == approx(10)
    assert outcome.values("release")["vault", calm] == approx(calm_release, abs=1e-9)


def test_stockpile_budget_binds(tmp_path: Path) -> None:
    """The stockpile case (release needs a disruption, no holding cost) with a market
    price of 50 and a stockpile budget of 250: purchases ≤ 250 / 50 = 5 t.

    Unlimited, the plan buys 10 (objective 2500). With the budget: p1 imports 15 =
    1500; calm p2 imports 10: 0.5 × 1000 = 500; ban p2 releases 5 and is 5 short:
    0.5 × 5 × 1000 = 2500. Total 4500.
    """
    data = _ban_case(
        tmp_path, {"release_needs_disruption": "yes"},
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 50}],
        settings={"stockpile_budget": 250},
    )
    outcome = solved(data)
    trunk, ban = at(outcome, "calm", 0), at(outcome, "ban", 1)
    assert outcome.solution.objective == approx(4500, abs=1e-6)
    assert outcome.values("purchase")["vault", trunk] == approx(5)
    assert outcome.values("release")["vault", ban] == approx(5)
    assert sum(v for k, v in outcome.values("shortfall").items() if k[3] == ban) == approx(5)


def test_stockpile_budget_prices_purchases_at_the_disrupted_market(tmp_path: Path) -> None:
    """M needs nothing in p1 and 20 t in p2; X supplies at no cost over a route of
    10 t a year; a stockpile in M holds 10; shortfall costs 1000. The budget is 600
    and the market 50, doubled from p1 on in scenario ``dear`` (probability 0.5).

    calm: buy 10 in p1 (spend 500), p2 imports 10 and releases 10: 0.
    dear: spend at 100 buys 6; p2 has 10 + 6, 4 short: 4000.
    Expected 0.5 × 4000 = 2000.
    """
    data = case(
        tmp_path,
        settings={"stockpile_budget": 600},
        regions={"X": True, "M": True},
        minerals={"m": 1000.0},
        periods={"p1": 1.0, "p2": 1.0},
        facilities=[facility("fx", "X", 100)],
        routes=[route("X", "M", capacity_t=10)],
        demand=[demand("M", 0, period="p1"), demand("M", 20, period="p2")],
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 50}],
        stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m", "capacity_t": 10}],
        scenarios=scenarios(calm=0.5, dear=0.5),
        disruptions=[{"scenario": "dear", "kind": "price", "mineral": "m", "start_period": "p1",
                      "factor": 2}],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(2000, abs=1e-6)
    purchase = outcome.values("purchase")
    assert purchase["vault", at(outcome, "calm", 0)] == approx(10)
    assert purchase["vault", at(outcome, "dear", 0)] == approx(6)


# ---------------------------------------------------------------- 4. offtakes


@pytest.mark.parametrize(
    ("contract_t", "demand_t", "factor", "objective", "take"),
    [
        (10, 0, 1.0, 200.0, None),  # paid; taking surplus costs nothing, a tie
        (10, 12, 1.0, 480.0, 8.0),  # cap min(10, 8) = 8
        (5, 12, 1.0, 530.0, 5.0),  # F's other 3 t cost 50
        (10, 12, 0.5, 760.0, 4.0),  # outage: take cap 0.5 × 8, payment unchanged
    ],
)
def test_take_or_pay_offtake(tmp_path: Path, contract_t: float, demand_t: float, factor: float,
                             objective: float, take: float | None) -> None:
    """Facility F in M (capacity 8, unit cost 50) has an offtake at 20 per t; G in N
    (capacity 100, cost 70) serves M over a free route. The payment contract_t × 20 is
    due whether taken or not; taken output costs no unit cost; the take cap is
    avail × min(contract_t, 8).

    contract 10, demand 0: payment 200, nothing needed: 200 (producing and taking
    surplus costs nothing, so how much is taken is a tie).
    contract 10, demand 12: 200; F's 8 t all taken (cap min(10, 8) = 8) at no unit
    cost; G 4 × 70 = 280: 480.
    contract 5, demand 12: 100; F takes 5, its other 3 cost 3 × 50 = 150 (< G's 70);
    G 4 × 70 = 280: 530.
    contract 10, demand 12, F's capacity × 0.5: F makes 4, all taken; payment still
    200; G 8 × 70 = 560: 760.
    """
    data = case(
        tmp_path,
        regions={"M": True, "N": True},
        facilities=[facility("F", "M", 8, 50), facility("G", "N", 100, 70)],
        routes=[route("N", "M")],
        demand=[demand("M", demand_t)],
        offtakes=[{"facility": "F", "contract_t": contract_t, "contract_price_per_t": 20}],
        scenarios=scenarios(s=1.0),
        disruptions=[{"scenario": "s", "kind": "capacity", "region": "M", "stage": "recycle",
                      "start_period": "p1", "factor": factor}],
    )
    outcome = solved(data)
    block = outcome.lp.layout.column_block("contract_take")
    assert block is not None
    upper = outcome.lp.col_upper[block.start + block.keys.index(("F", 0))]
    assert upper == approx(factor * min(contract_t, 8))
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    if take is not None:
        assert outcome.values("contract_take")["F", 0] == approx(take)
        assert outcome.values("output")["F", 0] == approx(8 * factor)


# ---------------------------------------------------------------- 5. expansion


def _expansion_case(folder: Path, **settings: Any) -> ModelData:
    return case(
        folder,
        settings={"discount_rate": 0.1, **settings},
        minerals={"m": 1000.0},
        periods={"p1": 1.0, "p2": 2.0, "p3": 1.0},
        facilities=[facility("F", "M", 0, expandable_t=10, capex_per_t=1000, lifetime_years=5,
                             online_period="p2")],
        demand=[demand("M", 4)],
    )


ANNUALISED = 1000 * 0.1 / (1 - 1.1**-5)  # 100 / 0.3790787 = 263.7975 per t/yr and year
YEARS_ONLINE = 2 / 1.1 + 1 / 1.1**3  # Σ δ_t y_t over p2, p3 = 1.818182 + 0.751315 = 2.569497


def test_expansion_with_annualised_capex_and_discounting(tmp_path: Path) -> None:
    """Periods p1 (1 yr), p2 (2 yr), p3 (1 yr), discount rate 10 %: δ = 1, 1/1.1, 1/1.1³.
    M needs 4 t a year; new capacity F (capex 1000 per t/yr, lifetime 5, online in p2)
    is its only source; shortfall costs 1000.

    Annualised capex 1000 × 0.1 / (1 − 1.1⁻⁵) = 263.7975 per t/yr and year, charged
    for every year from p2 on: coefficient 263.7975 × (2/1.1 + 1/1.331) = 263.7975 ×
    2.569497 = 677.83 per t/yr built. Each t/yr built saves 1000 × 2.569497 = 2569.50
    of shortfall, so build 4. p1 has no capacity yet: 4 × 1000 short.
    Objective 4000 + 4 × 677.83 = 6711.32.
    """
    outcome = solved(_expansion_case(tmp_path))
    assert outcome.derived.annualised_capex["F"] == approx(ANNUALISED, rel=1e-12)
    costs = outcome.lp.costs
    [capex] = costs.coefficient[costs.node == FIRST_STAGE_NODE].tolist()
    assert capex == approx(ANNUALISED * YEARS_ONLINE, rel=1e-12)
    assert outcome.solution.objective == approx(4000 + 4 * ANNUALISED * YEARS_ONLINE,
                                                rel=1e-9, abs=1e-6)
    assert outcome.values("build")["F"] == approx(4)
    output = outcome.values("output")
    assert [output["F", n] for n in (0, 1, 2)] == approx([0, 8, 4], abs=1e-9)


def test_expansion_budget_binds(tmp_path: Path) -> None:
    """The expansion case with an expansion budget of 2000 overnight: build ≤ 2000 /
    1000 = 2. The other 2 t a year are short in p2 (2 × 2 yr × 1000 / 1.1 = 3636.36)
    and p3 (2 × 1000 / 1.331 = 1502.63).
    Objective 4000 + 2 × 677.83 + 2 × 1000 × 2.569497 = 4000 + 1355.66 + 5138.99.
    """
    outcome = solved(_expansion_case(tmp_path, expansion_budget=2000))
    assert outcome.values("build")["F"] == approx(2)
    assert outcome.solution.objective == approx(
        4000 + 2 * ANNUALISED * YEARS_ONLINE + 2 * 1000 * YEARS_ONLINE, rel=1e-9, abs=1e-6
    )


def test_free_expansion_under_an_expansion_budget(tmp_path: Path) -> None:
    """A capex of 0 spends nothing of the expansion budget: M builds at least 3 of up
    to 5 t/yr for nothing and meets its 3 t. Objective 0."""
    data = case(
        tmp_path,
        settings={"expansion_budget": 100},
        facilities=[facility("F", "M", 0, expandable_t=5, capex_per_t=0)],
        demand=[demand("M", 3)],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(0, abs=1e-9)
    assert outcome.values("build")["F"] >= 3 - 1e-9


# ---------------------------------------------------------------- 6. CVaR


@pytest.mark.parametrize(
    ("risk_weight", "objective", "build"),
    [(0.0, 290.0, 0.0), (0.1, 461.0, 0.0), (0.5, 500.0, 10.0)],
)
def test_cvar_trades_expected_cost_for_the_bad_tail(
    tmp_path: Path, risk_weight: float, objective: float, build: float
) -> None:
    """M needs 10 t. The gamble: import from X at 10 per t; in scenario ``bad``
    (probability 0.1) the route is closed and every tonne is short at 200. The hedge:
    build local capacity H at 50 per t/yr (lifetime 1 year, rate 0: 50 a year), which
    then runs at no cost in both scenarios. α = 0.9, so the tail is exactly ``bad``.

    With b t/yr built: C_good = 10 × (10 − b) + 50 b = 100 + 40 b and C_bad = 200 ×
    (10 − b) + 50 b = 2000 − 150 b; C_bad ≥ C_good for b ≤ 10, so CVaR = C_bad.
    E = 0.9 C_good + 0.1 C_bad = 290 + 21 b.
    Objective (1 − λ)(290 + 21 b) + λ (2000 − 150 b), linear in b:
    λ = 0: 290 + 21 b → b = 0, 290.
    λ = 0.1: 461 + 3.9 b → b = 0, 0.9 × 290 + 0.1 × 2000 = 461.
    λ = 0.5: 1145 − 64.5 b → b = 10, both scenarios cost 500: 500.
    """
    data = case(
        tmp_path,
        settings={"risk_weight": risk_weight, "cvar_alpha": 0.9},
        regions={"X": True, "M": True},
        minerals={"m": 200.0},
        facilities=[facility("fx", "X", 100, 10),
                    facility("H", "M", 0, expandable_t=10, capex_per_t=50, lifetime_years=1)],
        routes=[route("X", "M")],
        demand=[demand("M", 10)],
        scenarios=scenarios(good=0.9, bad=0.1),
        disruptions=[{"scenario": "bad", "kind": "route", "region": "X", "destination": "M",
                      "start_period": "p1", "factor": 0}],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    assert outcome.values("build")["H"] == approx(build, abs=1e-9)
    assert bool(outcome.values("eta")) == (risk_weight > 0)


# ---------------------------------------------------------------- 7. shortfall tiers


@pytest.mark.parametrize(
    ("capacity", "tiers", "objective", "by_tier"),
    [
        (7, [(0.2, 100), (1, 500)], 700.0, [2, 1]),  # 2 × 100 + 1 × 500
        (9, [(0.2, 100), (1, 500)], 100.0, [1, 0]),  # 1 × 100
        (7, [(0.2, 100)], 700.0, [2, 1]),  # implicit last tier at the mineral's 500
    ],
)
def test_shortfall_fills_the_cheap_tier_first(
    tmp_path: Path, capacity: float, tiers: list[tuple[float, float]], objective: float,
    by_tier: list[float]
) -> None:
    """M needs 10 t and makes ``capacity`` at no cost. Tier 1 covers up to 20 % of
    demand (2 t) at 100 per t, the rest costs 500 (as a tier, or as the implicit last
    tier at the mineral's penalty of 500).

    capacity 7: 3 t short, 2 in tier 1 and 1 in tier 2: 200 + 500 = 700.
    capacity 9: 1 t short, in tier 1: 100.
    """
    data = case(
        tmp_path,
        minerals={"m": 500.0},
        facilities=[facility("F", "M", capacity)],
        demand=[demand("M", 10)],
        shortfall_tiers=[{"mineral": "m", "up_to_share": s, "penalty_per_t": p}
                         for s, p in tiers],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    shortfall = outcome.values("shortfall")
    assert [shortfall["M", "m", tier, 0] for tier in (1, 2)] == approx(by_tier, abs=1e-9)


# ---------------------------------------------------------------- 8. zone exclusivity


@pytest.mark.parametrize(
    ("exclusive", "floor", "objective", "origin"),
    [("no", 40.0, 100.0, "X"), ("yes", 40.0, 500.0, "Y"), ("yes", None, 100.0, "X")],
)
def test_zone_exclusivity(tmp_path: Path, exclusive: str, floor: float | None,
                          objective: float, origin: str) -> None:
    """Non-member X makes at 10, member Y at 50; member M needs 10 t; free routes. The
    market (100) is above the floor (40), so X pays no border adjustment.

    Not exclusive: X serves, 10 × 10 = 100. Exclusive with a floor: X → M is shut,
    Y serves, 10 × 50 = 500. Exclusive without a floor for m: X serves again, 100.
    """
    data = case(
        tmp_path,
        settings={"zone_exclusive": exclusive},
        regions={"X": False, "Y": True, "M": True},
        facilities=[facility("fx", "X", 100, 10), facility("fy", "Y", 100, 50)],
        routes=[route("X", "M"), route("Y", "M")],
        demand=[demand("M", 10)],
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 100,
                 "floor_price_per_t": floor}],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    assert _ship(outcome, origin, "M") == approx(10)


# ---------------------------------------------------------------- 10. closed routes


@pytest.mark.parametrize(
    ("capacity", "factor", "objective", "shipped"),
    [
        (None, None, 100.0, 10.0),  # unlimited, open: 10 × 10
        (None, 0.0, 800.0, 0.0),  # unlimited, closed: 10 × 80
        (8, None, 240.0, 8.0),  # 8 × 10 + 2 × 80
        (8, 0.5, 520.0, 4.0),  # 4 × 10 + 6 × 80
        (8, 0.0, 800.0, 0.0),
    ],
)
def test_route_disruption_scales_or_closes_a_route(
    tmp_path: Path, capacity: float | None, factor: float | None, objective: float,
    shipped: float
) -> None:
    """M needs 10 t: from X at 10 over a route of ``capacity`` (blank: unlimited), or
    locally at 80. A route disruption multiplies the route's capacity by its factor;
    factor 0 closes it, unlimited or not. Shipping s: 10 s + 80 (10 − s), s as large
    as the route allows.
    """
    disruptions = [] if factor is None else [
        {"scenario": "s", "kind": "route", "start_period": "p1", "factor": factor}
    ]
    data = case(
        tmp_path,
        regions={"X": True, "M": True},
        facilities=[facility("fx", "X", 100, 10), facility("fm", "M", 100, 80)],
        routes=[route("X", "M", capacity_t=capacity)],
        demand=[demand("M", 10)],
        scenarios=scenarios(s=1.0),
        disruptions=disruptions,
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    assert _ship(outcome, "X", "M") == approx(shipped, abs=1e-9)


# ---------------------------------------------------------------- 11. information


@pytest.mark.parametrize(
    ("revealed_in_p1", "nodes", "objective"),
    [(False, 3, 2500.0), (True, 4, 2000.0)],
)
def test_shared_history_forces_a_hedge(tmp_path: Path, revealed_in_p1: bool, nodes: int,
                                       objective: float) -> None:
    """The stockpile case (release needs a disruption, no holding cost). Late news:
    calm and ban share the p1 node, so the plan buys 10 for both: p1 import 20 = 2000;
    calm p2 imports 10: 0.5 × 1000 = 500; ban p2 releases 10: 0. Total 2500.

    Early news: a harmless row (demand × 1 in p1) sets ban apart from p1 on. calm
    imports 10 a year: 2000. ban buys 10 in p1 (2000) and releases them in p2 (0):
    2000. Total 0.5 × 2000 + 0.5 × 2000 = 2000 < 2500: knowing earlier is worth 500.
    """
    data = _ban_case(tmp_path, {"release_needs_disruption": "yes"}, reveal=revealed_in_p1)
    outcome = solved(data)
    assert len(outcome.derived.tree.nodes) == nodes
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    purchase = outcome.values("purchase")
    assert purchase["vault", at(outcome, "ban", 0)] == approx(10)
    assert purchase["vault", at(outcome, "calm", 0)] == approx(0 if revealed_in_p1 else 10,
                                                                abs=1e-9)


# ---------------------------------------------------------------- 12. export caps


@pytest.mark.parametrize(
    ("factors", "objective", "shipped"),
    [((0.6, 0.3), 700.0, 3.0), ((0.5, 0.5), 500.0, 5.0), ((0.5,), 500.0, 5.0)],
)
def test_each_export_row_is_its_own_cap(tmp_path: Path, factors: tuple[float, ...],
                                        objective: float, shipped: float) -> None:
    """X (capacity 10, no cost) serves M's 10 t for free; M's own plant costs 100. Each
    active export row caps X's exports at factor × 10 on its own: rows 0.6 and 0.3
    allow min(6, 3) = 3 (700); two identical rows of 0.5 allow 5 each, so 5 (500),
    the same as one row, and not 0.5 × 0.5 × 10.
    """
    data = case(
        tmp_path,
        regions={"X": True, "M": True},
        facilities=[facility("fx", "X", 10), facility("fm", "M", 100, 100)],
        routes=[route("X", "M")],
        demand=[demand("M", 10)],
        scenarios=scenarios(s=1.0),
        disruptions=[{"scenario": "s", "kind": "export", "region": "X", "start_period": "p1",
                      "factor": f} for f in factors],
    )
    outcome = solved(data)
    assert len(outcome.derived.export_caps) == len(factors)
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    assert _ship(outcome, "X", "M") == approx(shipped)


def test_export_cap_counts_available_and_new_capacity(tmp_path: Path) -> None:
    """X makes up to 10 (no cost) for M, whose own plant costs 100.

    Available capacity: X's capacity is halved (5) and an export row of 0.6 caps
    exports at 0.6 × 5 = 3: M's 10 t cost 7 × 100 = 700.
    New capacity: X may add 10 t/yr at 1 per t/yr (lifetime 1, rate 0); an export
    row of 0.5 caps exports at 0.5 × (10 + b). M needs 15: cost b + 100 × (15 − 0.5
    × (10 + b)) = 1000 − 49 b, so b = 10, 10 shipped: 10 + 5 × 100 = 510.
    """
    common: dict[str, Any] = {
        "regions": {"X": True, "M": True},
        "routes": [route("X", "M")],
        "scenarios": scenarios(s=1.0),
    }
    data = case(
        tmp_path, name="available.xlsx", **common,
        facilities=[facility("fx", "X", 10), facility("fm", "M", 100, 100)],
        demand=[demand("M", 10)],
        disruptions=[
            {"scenario": "s", "kind": "capacity", "region": "X", "start_period": "p1",
             "factor": 0.5},
            {"scenario": "s", "kind": "export", "region": "X", "start_period": "p1",
             "factor": 0.6},
        ],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(700, abs=1e-6)
    assert _ship(outcome, "X", "M") == approx(3)
    data = case(
        tmp_path, name="new.xlsx", **common,
        facilities=[facility("fx", "X", 10, expandable_t=10, capex_per_t=1, lifetime_years=1),
                    facility("fm", "M", 100, 100)],
        demand=[demand("M", 15)],
        disruptions=[{"scenario": "s", "kind": "export", "region": "X", "start_period": "p1",
                      "factor": 0.5}],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(510, abs=1e-6)
    assert outcome.values("build")["fx"] == approx(10)
    assert _ship(outcome, "X", "M") == approx(10)


# ---------------------------------------------------------------- further readings


def test_capacity_and_demand_disruptions(tmp_path: Path) -> None:
    """M makes up to 10 t at 10 and needs 10; shortfall costs 100.

    calm (0.5): 10 × 10 = 100.
    outage (0.25, capacity × 0.5): 5 × 10 + 5 × 100 = 550.
    surge (0.25, demand × 1.5 = 15): 10 × 10 + 5 × 100 = 600.
    Expected 50 + 137.5 + 150 = 337.5.
    """
    data = case(
        tmp_path,
        minerals={"m": 100.0},
        facilities=[facility("F", "M", 10, 10)],
        demand=[demand("M", 10)],
        scenarios=scenarios(calm=0.5, outage=0.25, surge=0.25),
        disruptions=[
            {"scenario": "outage", "kind": "capacity", "region": "M", "stage": "recycle",
             "start_period": "p1", "factor": 0.5},
            {"scenario": "surge", "kind": "demand", "region": "M", "mineral": "m",
             "start_period": "p1", "factor": 1.5},
        ],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(337.5, abs=1e-6)
    output = outcome.values("output")
    assert output["F", at(outcome, "outage", 0)] == approx(5)
    assert outcome.derived.demand_t["M", "m", at(outcome, "surge", 0)] == approx(15)


def test_rates_scale_with_years_of_the_period(tmp_path: Path) -> None:
    """Periods a (0.5 yr) and b (1.5 yr), discount 10 %: δ_b = 1.1^−0.5. M needs 10 t a
    year and makes up to 8 a year at 10; X (cost 20) adds up to 2 a year over a
    capped route. An offtake on M's plant: 1 t a year at 5. A stockpile holds 2 t
    that must stay (min level 2) at 3 per t and year. Shortfall costs 1000.

    a: demand 5; plant 4 (0.5 taken free, 3.5 × 10 = 35); route 1 × 20 = 20; payment
    1 × 5 × 0.5 = 2.5; holding 2 × 3 × 0.5 = 3: 60.5.
    b: demand 15; plant 12 (1.5 free, 10.5 × 10 = 105); route 3 × 20 = 60; payment
    7.5; holding 9: 181.5.
    Objective 60.5 + 181.5 / √1.1 = 60.5 + 173.053 = 233.553.
    """
    data = case(
        tmp_path,
        settings={"discount_rate": 0.1},
        regions={"X": True, "M": True},
        periods={"a": 0.5, "b": 1.5},
        facilities=[facility("fm", "M", 8, 10), facility("fx", "X", 100, 20)],
        routes=[route("X", "M", capacity_t=2)],
        demand=[demand("M", 10)],
        offtakes=[{"facility": "fm", "contract_t": 1, "contract_price_per_t": 5}],
        stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m", "capacity_t": 5,
                     "initial_t": 2, "min_level_t": 2, "holding_cost_per_t": 3}],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(60.5 + 181.5 / 1.1**0.5, rel=1e-9, abs=1e-6)
    assert outcome.values("output")["fm", 1] == approx(12)
    assert outcome.values("contract_take")["fm", 1] == approx(1.5)
    assert _ship(outcome, "X", "M", 1) == approx(3)


@pytest.mark.parametrize(
    ("mine_t", "objective", "refined"),
    [(100, 150.0, 8.0), (5, 475.0, 4.0)],
)
def test_refinery_needs_output_over_yield_of_concentrate(
    tmp_path: Path, mine_t: float, objective: float, refined: float
) -> None:
    """A mine in X (cost 10 per t of concentrate) ships concentrate to M for 1 per t;
    M's refinery (yield 0.8, cost 5) serves M's 8 t; shortfall costs 100.

    Mine capacity 100: 8 refined need 8 / 0.8 = 10 concentrate: 10 × 10 + 10 × 1 +
    8 × 5 = 150. Mine capacity 5: 5 × 0.8 = 4 refined: 50 + 5 + 20 + 4 × 100 = 475.
    """
    data = case(
        tmp_path,
        regions={"X": True, "M": True},
        minerals={"m": 100.0},
        facilities=[facility("mine", "X", mine_t, 10, stage="mine"),
                    {**facility("refinery", "M", 100, 5, stage="refine"), "yield": 0.8}],
        routes=[route("X", "M", 1, stage="concentrate")],
        demand=[demand("M", 8)],
    )
    outcome = solved(data)
    assert outcome.solution.objective == approx(objective, abs=1e-6)
    assert outcome.values("output")["refinery", 0] == approx(refined)
    assert _ship(outcome, "X", "M", stage="concentrate") == approx(refined / 0.8)
