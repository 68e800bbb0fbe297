"""Data derived before the model is built (MODEL.md §3, §11), on tiny workbooks.

Each expected value is worked out by hand from the rows written in the test, as the
docstrings show. Node ids follow the tree of MODEL.md §4: with scenarios ``calm`` and
one disrupted scenario that leaves in ``p2``, node 0 is the trunk in ``p1``, node 1 is
calm's ``p2`` node and node 2 the disrupted scenario's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from optimizer.data import ModelData
from optimizer.model.derive import Derived, ExportCap, TierStep, derive
from tests.workbooks import case, demand, facility, route, scenarios

TWO_PERIODS = {"p1": 1.0, "p2": 1.0}


def row(scenario: str, kind: str, start: str = "p1", factor: float = 0.5,
        **columns: Any) -> dict[str, Any]:
    """A ``disruptions`` record, every wildcard column blank unless told, to the end."""
    return {"scenario": scenario, "kind": kind, "start_period": start, "factor": factor,
            **columns}


def derived_of(folder: Path, **sheets: Any) -> Derived:
    """``derive`` of a case; ``facilities`` and ``demand`` default to one recycler and one
    demand row in ``M``."""
    sheets.setdefault("facilities", [facility("f", "M", 10)])
    sheets.setdefault("demand", [demand("M", 1)])
    return derive(case(folder, **sheets))


def route_index(data: ModelData, origin: str, destination: str, mineral: str = "m",
                stage: str = "refined") -> int:
    """The position of a route (one mineral and stage) in ``data.routes``."""
    (index,) = [
        i for i, r in enumerate(data.routes)
        if (r.origin, r.destination, r.mineral, r.stage) == (origin, destination, mineral, stage)
    ]
    return index


# ---------------------------------------------------------------- time and money


def test_discount_factors_use_the_years_before_each_period(tmp_path: Path) -> None:
    """Years 0.5, 1, 2, 1 at 5 %: the years elapsed before each period are 0, 0.5, 1.5
    and 3.5, so δ = 1.05^0, 1.05^−0.5, 1.05^−1.5, 1.05^−3.5 (≈ 1, 0.97590007,
    0.92942864, 0.84301918: 1.05^0.5 ≈ 1.0246951 and 1.05^3 = 1.157625)."""
    derived = derived_of(tmp_path, settings={"discount_rate": 0.05},
                         periods={"p1": 0.5, "p2": 1.0, "p3": 2.0, "p4": 1.0})
    assert derived.years == (0.5, 1.0, 2.0, 1.0)
    assert derived.discount == (1.0, 1.05 ** -0.5, 1.05 ** -1.5, 1.05 ** -3.5)
    assert derived.discount == pytest.approx((1.0, 0.97590007, 0.92942864, 0.84301918),
                                             rel=1e-8)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        # r = 0: capex / lifetime = 1,000 / 20
        (0.0, 50.0),
        # r = 5 %: 1,000 × 0.05 / (1 − 1.05^−20); 1.05^20 = 2.6532977, so the
        # denominator is 1 − 0.3768895 = 0.6231105 and the annuity 50 / 0.6231105
        (0.05, 80.2425871907),
    ],
    ids=["rate 0", "rate 5 %"],
)
def test_annualised_capex(tmp_path: Path, rate: float, expected: float) -> None:
    """Only expandable facilities have one; ``lifetime_years`` is blank, so 20 years."""
    derived = derived_of(
        tmp_path,
        settings={"discount_rate": rate},
        facilities=[facility("f", "M", 10),
                    facility("e", "M", 10, expandable_t=5, capex_per_t=1000)],
    )
    assert list(derived.annualised_capex) == ["e"]
    assert derived.annualised_capex["e"] == pytest.approx(expected, rel=1e-10)


# ---------------------------------------------------------------- multipliers per node


def test_several_capacity_rows_multiply(tmp_path: Path) -> None:
    """Two identical rows on f (0.5 each) and a row on everything (0.8): f gets
    0.5 × 0.5 × 0.8 = 0.2; g, in another region, only 0.8."""
    derived = derived_of(
        tmp_path,
        regions={"M": True, "X": False},
        periods={"p1": 1.0},
        facilities=[facility("f", "M", 10), facility("g", "X", 10)],
        scenarios=scenarios(s=1.0),
        disruptions=[
            row("s", "capacity", region="M", mineral="m", stage="recycle"),
            row("s", "capacity", region="M", mineral="m", stage="recycle"),
            row("s", "capacity", factor=0.8),
        ],
    )
    assert derived.capacity_factor == {("f", 0): 0.2, ("g", 0): 0.8}


def test_capacity_rows_match_region_mineral_and_stage_with_wildcards(tmp_path: Path) -> None:
    """Row 1 (region M, any mineral, mines, ×0.5) hits the mines of M: mineM, mineM2.
    Row 2 (any region, mineral n, any stage, ×0.25) hits everything of n: mineM2, recX.
    So mineM 0.5, mineM2 0.5 × 0.25 = 0.125, recX 0.25; refM (a refinery) and mineX
    (in X) are untouched, hence absent (absent means 1). Only the disrupted node 2
    carries factors."""
    derived = derived_of(
        tmp_path,
        regions={"M": True, "X": False},
        minerals={"m": 1e6, "n": 1e6},
        periods=TWO_PERIODS,
        facilities=[
            facility("mineM", "M", 10, stage="mine"),
            facility("refM", "M", 10, stage="refine"),
            facility("mineM2", "M", 10, stage="mine", mineral="n"),
            facility("mineX", "X", 10, stage="mine"),
            facility("recX", "X", 10, mineral="n"),
        ],
        scenarios=scenarios(calm=0.5, cut=0.5),
        disruptions=[
            row("cut", "capacity", "p2", region="M", mineral="*", stage="mine"),
            row("cut", "capacity", "p2", 0.25, region="*", mineral="n"),
        ],
    )
    assert derived.capacity_factor == {("mineM", 2): 0.5, ("mineM2", 2): 0.125,
                                       ("recX", 2): 0.25}


def test_demand_is_per_year_times_factor_times_years(tmp_path: Path) -> None:
    """p1 lasts 0.5 years, p2 2. Yearly demand M 100, X 10. In surge from p2, a row on
    M (×1.5) and a row on every region and mineral (×2) multiply: M 100 × 3 × 2 = 600,
    X 10 × 2 × 2 = 40. Elsewhere demand × years: 50 and 5 in p1, 200 and 20 in p2."""
    derived = derived_of(
        tmp_path,
        regions={"M": True, "X": False},
        periods={"p1": 0.5, "p2": 2.0},
        demand=[demand("M", 100), demand("X", 10)],
        scenarios=scenarios(calm=0.5, surge=0.5),
        disruptions=[row("surge", "demand", "p2", 1.5, region="M", mineral="m"),
                     row("surge", "demand", "p2", 2.0)],
    )
    assert derived.demand_t == {
        ("M", "m", 0): 50.0, ("X", "m", 0): 5.0,
        ("M", "m", 1): 200.0, ("X", "m", 1): 20.0,
        ("M", "m", 2): 600.0, ("X", "m", 2): 40.0,
    }


def test_price_rows_move_the_market_price_not_the_floor(tmp_path: Path) -> None:
    """Refined m: market 1,000, floor 1,200; concentrate m: market 300, floor 0 (a floor,
    §2). In dump from p2, a refined row (×0.5) and a row on every stage (×0.8): refined
    1,000 × 0.4 = 400, concentrate 300 × 0.8 = 240. Floors stay, per period."""
    derived = derived_of(
        tmp_path,
        periods=TWO_PERIODS,
        prices=[
            {"mineral": "m", "stage": "refined", "market_price_per_t": 1000,
             "floor_price_per_t": 1200},
            {"mineral": "m", "stage": "concentrate", "market_price_per_t": 300,
             "floor_price_per_t": 0},
        ],
        scenarios=scenarios(calm=0.5, dump=0.5),
        disruptions=[row("dump", "price", "p2", 0.5, mineral="m", stage="refined"),
                     row("dump", "price", "p2", 0.8)],
    )
    assert derived.market_price == {
        ("m", "refined", 0): 1000.0, ("m", "concentrate", 0): 300.0,
        ("m", "refined", 1): 1000.0, ("m", "concentrate", 1): 300.0,
        ("m", "refined", 2): 400.0, ("m", "concentrate", 2): 240.0,
    }
    assert derived.floor_price == {
        ("m", "refined", 0): 1200.0, ("m", "refined", 1): 1200.0,
        ("m", "concentrate", 0): 0.0, ("m", "concentrate", 1): 0.0,
    }


def test_route_factor_zero_closes_an_unlimited_route(tmp_path: Path) -> None:
    """All three routes are unlimited. Row 1 (from X to M, ×0) closes X→M; row 2 (every
    route of refined m, ×0.5) halves all: X→M 0 × 0.5 = 0, X→Y 0.5, M→X 0.5."""
    derived = derived_of(
        tmp_path,
        regions={"M": True, "X": False, "Y": False},
        periods={"p1": 1.0},
        routes=[route("X", "M"), route("X", "Y"), route("M", "X")],
        scenarios=scenarios(closed=1.0),
        disruptions=[row("closed", "route", factor=0.0, region="X", destination="M"),
                     row("closed", "route", mineral="m", stage="refined")],
    )
    data = derived.data
    xm, xy, mx = (route_index(data, *pair) for pair in (("X", "M"), ("X", "Y"), ("M", "X")))
    assert [r.capacity_t for r in data.routes] == [None, None, None]
    assert derived.route_factor == {(xm, 0): 0.0, (xy, 0): 0.5, (mx, 0): 0.5}


def test_border_adjustment_is_tariff_plus_floor_gap_only_into_the_zone(tmp_path: Path) -> None:
    """Refined m: market 1,000, floor 1,200, so the gap is 200. X→M (non-member to member,
    tariff 10): 10 + 200 = 210. M→N (member to member, 5) and M→X (member to non-member,
    3) pay their tariff only. X→N concentrate has no tariff and no concentrate floor: 0,
    absent. In p2, boom's market is 1,500 (×1.5), above the floor: X→M pays 10 only;
    dump's is 500 (×0.5): 10 + 700 = 710."""
    derived = derived_of(
        tmp_path,
        regions={"M": True, "N": True, "X": False},
        periods=TWO_PERIODS,
        routes=[route("X", "M", tariff_per_t=10), route("M", "N", tariff_per_t=5),
                route("M", "X", tariff_per_t=3), route("X", "N", stage="concentrate")],
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 1000,
                 "floor_price_per_t": 1200}],
        scenarios=scenarios(calm=0.5, boom=0.25, dump=0.25),
        disruptions=[row("boom", "price", "p2", 1.5, mineral="m", stage="refined"),
                     row("dump", "price", "p2", 0.5, mineral="m", stage="refined")],
    )
    data = derived.data
    xm, mn, mx = (route_index(data, *pair) for pair in (("X", "M"), ("M", "N"), ("M", "X")))
    route_index(data, "X", "N", stage="concentrate")  # exists, yet pays nothing
    into_zone = {0: 210.0, 1: 210.0, 2: 10.0, 3: 710.0}  # nodes: trunk, calm, boom, dump
    expected = {}
    for node, adjustment in into_zone.items():
        expected.update({(xm, node): adjustment, (mn, node): 5.0, (mx, node): 3.0})
    assert derived.border_adjustment == expected


# ---------------------------------------------------------------- export caps


def test_export_caps_one_per_matching_region_mineral_and_stage(tmp_path: Path) -> None:
    """One export row with every column blank (×0.5). Routes leave X (concentrate and
    refined m) and Y (refined n); M exports nothing, so M's caps, and X's and Y's for
    products they do not ship, are dropped. Capacity counted: concentrate, the mines;
    refined, the refineries and recyclers. Order: regions, minerals, stages as listed."""
    derived = derived_of(
        tmp_path,
        regions={"M": True, "X": False, "Y": False},
        minerals={"m": 1e6, "n": 1e6},
        periods={"p1": 1.0},
        facilities=[
            facility("Xmine", "X", 10, stage="mine"),
            facility("Xref", "X", 10, stage="refine"),
            facility("Xrec", "X", 10),
            facility("Yrec", "Y", 10, mineral="n"),
            facility("Mrec", "M", 10),
        ],
        routes=[route("X", "M", stage="concentrate"), route("X", "M"),
                route("Y", "M", mineral="n")],
        scenarios=scenarios(ban=1.0),
        disruptions=[row("ban", "export")],
    )
    data = derived.data
    assert derived.export_caps == (
        ExportCap(0, "X", "m", "concentrate", None, 0.5,
                  (route_index(data, "X", "M", stage="concentrate"),), ("Xmine",)),
        ExportCap(0, "X", "m", "refined", None, 0.5,
                  (route_index(data, "X", "M"),), ("Xref", "Xrec")),
        ExportCap(0, "Y", "n", "refined", None, 0.5,
                  (route_index(data, "Y", "M", mineral="n"),), ("Yrec",)),
    )


def test_each_export_row_is_its_own_cap(tmp_path: Path) -> None:
    """From p2 in ban: two identical rows (×0.5) are two caps on both routes out of X; a
    row to M (×0.25) caps X→M only; a row to Y (×0) is dropped, as X has no route to Y
    (§11). All sit at ban's p2 node, 2."""
    derived = derived_of(
        tmp_path,
        regions={"M": True, "N": True, "X": False, "Y": False},
        periods=TWO_PERIODS,
        facilities=[facility("Xrec", "X", 10)],
        routes=[route("X", "M"), route("X", "N")],
        scenarios=scenarios(calm=0.5, ban=0.5),
        disruptions=[
            row("ban", "export", "p2", region="X", mineral="m", stage="refined"),
            row("ban", "export", "p2", region="X", mineral="m", stage="refined"),
            row("ban", "export", "p2", 0.25, region="X", destination="M"),
            row("ban", "export", "p2", 0.0, region="X", destination="Y"),
        ],
    )
    data = derived.data
    xm, xn = route_index(data, "X", "M"), route_index(data, "X", "N")
    both = ExportCap(2, "X", "m", "refined", None, 0.5, (xm, xn), ("Xrec",))
    assert derived.export_caps == (
        both, both, ExportCap(2, "X", "m", "refined", "M", 0.25, (xm,), ("Xrec",)),
    )


# ---------------------------------------------------------------- stockpiles, offtakes, tiers


def test_release_needs_a_disruption_of_the_stockpiles_mineral(tmp_path: Path) -> None:
    """S_m and S_n need a disruption of their mineral; S_free does not. From p2, dm has
    a capacity row on m (a supply row), dw a demand surge on every mineral. So S_free
    may release everywhere (nodes 0–3), S_m at dm's and dw's nodes (2, 3), S_n only at
    dw's (3). Nothing is active on the trunk (0) or in calm (1)."""

    def stockpile(name: str, mineral: str, needs: str) -> dict[str, Any]:
        return {"stockpile": name, "region": "M", "mineral": mineral, "capacity_t": 10,
                "release_needs_disruption": needs}

    derived = derived_of(
        tmp_path,
        minerals={"m": 1e6, "n": 1e6},
        periods=TWO_PERIODS,
        stockpiles=[stockpile("S_m", "m", "yes"), stockpile("S_n", "n", "yes"),
                    stockpile("S_free", "m", "no")],
        scenarios=scenarios(calm=0.5, dm=0.25, dw=0.25),
        disruptions=[row("dm", "capacity", "p2", region="M", mineral="m", stage="recycle"),
                     row("dw", "demand", "p2", 2.0, region="M")],
    )
    assert [derived.tree.paths[s] for s in ("calm", "dm", "dw")] == [(0, 1), (0, 2), (0, 3)]
    assert derived.release_allowed == frozenset(
        [("S_free", n) for n in range(4)] + [("S_m", 2), ("S_m", 3), ("S_n", 3)]
    )


@pytest.mark.parametrize(("kind", "factor", "unlocks"), [
    ("capacity", 0.5, True), ("export", 0.0, True), ("route", 0.0, True),
    ("demand", 1.5, True),  # a surge
    ("demand", 0.5, False),  # a fall
    ("price", 0.4, False),  # a collapse: the Vault buys, it does not sell
    ("price", 2.0, False),  # a spike moves prices, not supply
])
def test_only_supply_rows_unlock_a_release(tmp_path: Path, kind: str, factor: float,
                                           unlocks: bool) -> None:
    """MODEL.md §6.6: release = 0 unless the node's state has an active supply row of
    the stockpile's mineral: capacity, export, route, or demand with a factor above 1."""
    where: dict[str, Any] = {"mineral": "m"}
    if kind in ("capacity", "export", "route", "demand"):
        where["region"] = "M"
    if kind == "capacity":
        where["stage"] = "recycle"
    if kind in ("export", "price"):
        where["stage"] = "refined"
    derived = derived_of(
        tmp_path,
        minerals={"m": 1e6},
        periods=TWO_PERIODS,
        stockpiles=[{"stockpile": "S", "region": "M", "mineral": "m", "capacity_t": 10,
                     "release_needs_disruption": "yes"}],
        scenarios=scenarios(calm=0.5, d=0.5),
        disruptions=[row("d", kind, "p2", factor, **where)],
    )
    disrupted = derived.tree.paths["d"][1]
    assert (("S", disrupted) in derived.release_allowed) is unlocks
    assert ("S", derived.tree.paths["calm"][1]) not in derived.release_allowed


def test_offtakes_on_one_facility_add_up(tmp_path: Path) -> None:
    """On f: 100 t/yr at 10 in p1–p2 and 50 t/yr at 30 in p2–p3. Per period: t/yr 100,
    150, 50; payments per year 1,000, 1,000 + 1,500 = 2,500, 1,500. g has none."""
    derived = derived_of(
        tmp_path,
        periods={"p1": 1.0, "p2": 1.0, "p3": 1.0},
        facilities=[facility("f", "M", 200), facility("g", "M", 10)],
        offtakes=[
            {"facility": "f", "start_period": "p1", "end_period": "p2", "contract_t": 100,
             "contract_price_per_t": 10},
            {"facility": "f", "start_period": "p2", "end_period": "p3", "contract_t": 50,
             "contract_price_per_t": 30},
        ],
    )
    assert derived.contract_t == {("f", 0): 100.0, ("f", 1): 150.0, ("f", 2): 50.0}
    assert derived.contract_payment == {("f", 0): 1000.0, ("f", 1): 2500.0, ("f", 2): 1500.0}


def test_tier_widths_are_differences_of_shares(tmp_path: Path) -> None:
    """Wildcard rows 0.25 / 0.75 / 1 give m widths 0.25, 0.5, 0.25. n has its own row up
    to 0.5 at 10, so an implicit last tier to 1 (width 0.5) at the larger of n's penalty
    (1,000) and 10 is added (§11)."""
    derived = derived_of(
        tmp_path,
        minerals={"m": 1e6, "n": 1000},
        shortfall_tiers=[
            {"mineral": "*", "up_to_share": 0.25, "penalty_per_t": 100},
            {"mineral": "*", "up_to_share": 0.75, "penalty_per_t": 200},
            {"mineral": "*", "up_to_share": 1, "penalty_per_t": 300},
            {"mineral": "n", "up_to_share": 0.5, "penalty_per_t": 10},
        ],
    )
    assert dict(derived.tiers) == {
        "m": (TierStep(1, 0.25, 100.0), TierStep(2, 0.5, 200.0), TierStep(3, 0.25, 300.0)),
        "n": (TierStep(1, 0.5, 10.0), TierStep(2, 0.5, 1000.0)),
    }
