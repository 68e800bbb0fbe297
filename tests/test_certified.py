"""Certified supply, origin rules for defence buyers (MODEL.md §12).

Hand-worked optima on tiny cases (each docstring derives the optimum), the identity
with the model of §6 when no demand row has a certified share, and bad input with its
exact messages. Money is in plain units; one mineral ``m``, one period ``p1`` of one
year, no discounting and a shortfall penalty of 1e6 unless a test says otherwise.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from benchmarks import generate
from optimizer.data import ModelData
from optimizer.model import COMPONENTS, build, certified, descriptors
from optimizer.model.component import Context, RowWords
from optimizer.model.derive import derive
from optimizer.results.accounting import clean
from optimizer.results.forms import means, quantities
from optimizer.workbook.problems import InputError
from optimizer.workbook.validation import load
from tests.cases import write_tables
from tests.solved import collected, complete_tables, write_workbook
from tests.workbooks import case, demand, facility, route, solved

approx = pytest.approx


def _certified_demand(region: str, demand_t: float, share: float, mineral: str = "m"
                      ) -> dict[str, Any]:
    return {**demand(region, demand_t, mineral), "certified_share": share}


def _premium(outcome: Any, region: str, node: int = 0, mineral: str = "m") -> float:
    """The certified refined balance's dual, per tonne (one period of one year, δ = 1,
    probability 1): what the origin rule adds to the price of trusted product."""
    return float(outcome.duals("certified_refined_balance")[region, mineral, node])


def test_an_origin_share_is_met_by_a_dearer_ally(tmp_path: Path) -> None:
    """Member ``M`` needs 100 t, 40 % of it certified. A non-member ``N`` recycles at
    10/t, ``M`` at 30/t, each up to 100 t; the route N → M is free.

    Without the rule all 100 t come from ``N``: 1,000. With it, 40 t must be made in
    ``M`` (the only certifying region) at 30 and 60 t come from ``N`` at 10:
    40 × 30 + 60 × 10 = 1,800. One more certified tonne replaces a tonne from ``N``
    by one from ``M``: the premium is 30 − 10 = 20 per tonne.
    """
    data = case(tmp_path, regions={"M": True, "N": False},
                facilities=[facility("n", "N", 100, 10), facility("m", "M", 100, 30)],
                routes=[route("N", "M")], demand=[_certified_demand("M", 100, 0.4)])
    outcome = solved(data)
    assert outcome.solution.objective == approx(1800)
    assert outcome.values("output")["m", 0] == approx(40)
    assert outcome.values("c_output")["m", 0] == approx(40)
    assert _premium(outcome, "M") == approx(20)
    prices = complete_tables(outcome)["prices"].set_index("region")
    assert prices.loc["M", "certified_premium_per_t"] == approx(20)
    # a certified tonne in N would ship to M for free, so it is worth the same there
    assert prices.loc["N", "certified_premium_per_t"] == approx(20)
    sensitivity = complete_tables(outcome)["sensitivity"].set_index("constraint")
    whats = sensitivity["what"][sensitivity.index == "§12.3 certified refined balance"]
    assert whats.tolist()[0] == (
        "certified refined m in M ≥ certified demand of 40 t in period p1, all scenarios; "
        "certified premium 20.00 USD/t")
    chart = complete_tables(outcome)["chart_data"].query("kind == 'certified_premium'")
    assert chart["chart"].unique().tolist() == ["Certified premium of m by scenario"]
    assert chart[["series", "category"]].values.tolist() == [["base", "p1"]]
    assert chart["value"].tolist() == [approx(20)]
    drawn = openpyxl.load_workbook(write_workbook(collected(outcome), tmp_path / "out.xlsx"))
    titles = ["".join(r.t for p in c.title.tx.rich.p for r in (p.r or []))
              for c in drawn["charts"]._charts]
    assert "Certified premium of m by scenario" in titles
    headlines = complete_tables(outcome)["headlines"]["headline"].tolist()
    assert [h for h in headlines if "origin rule" in h] == [
        "The origin rule adds 20.0 USD/t to m in M and leaves 0 t of certified demand "
        "unmet in period p1 under scenario base."]


def test_demand_short_anyway_leaves_certified_demand_unmet_at_no_premium(
        tmp_path: Path) -> None:
    """Member ``M`` needs 100 t, 40 % certified; only non-member ``N`` makes any (50 t
    at 10/t). 50 t go unmet whatever the rule says, and the 40 t of certified demand can
    be among them: c_shortfall = 40 ≤ shortfall = 50, so the rule adds no cost and its
    premium is 0, yet it leaves certified demand unmet, which the headline says."""
    data = case(tmp_path, regions={"M": True, "N": False},
                facilities=[facility("n", "N", 50, 10)], routes=[route("N", "M")],
                demand=[_certified_demand("M", 100, 0.4)])
    outcome = solved(data)
    assert outcome.values("c_shortfall")["M", "m", 0] == approx(40)
    assert _premium(outcome, "M") == approx(0)
    headlines = complete_tables(outcome)["headlines"].set_index("headline")
    rule = [h for h in headlines.index if "origin rule" in h]
    assert rule == ["The origin rule costs m in M no premium but leaves 40.0 t of certified "
                    "demand unmet in period p1 under scenario base."]
    assert (headlines.loc[rule[0], "figure"], headlines.loc[rule[0], "unit"]) == (
        approx(40), "t")


def test_the_rule_closes_a_cheap_path_through_a_non_certifying_refinery(
        tmp_path: Path) -> None:
    """A mine in member ``M`` makes concentrate at 5/t. The refinery in non-member
    ``N`` refines it at 1/t, the refinery in ``M`` at 11/t (yield 1, 100 t each);
    concentrate ships M → N and refined N → M for free. ``M`` needs 100 t, all of it
    certified.

    Without the rule: 100 × (5 + 1) = 600 through ``N``. With it, product refined in
    ``N`` is not certified however certified its ore, so ``M`` refines:
    100 × (5 + 11) = 1,600, and nothing flows through ``N``.
    """
    facilities = [facility("mine", "M", 100, 5, stage="mine"),
                  facility("ref_n", "N", 100, 1, stage="refine"),
                  facility("ref_m", "M", 100, 11, stage="refine")]
    routes = [route("M", "N", stage="concentrate"), route("N", "M")]
    regions = {"M": True, "N": False}
    plain = case(tmp_path, regions=regions, facilities=facilities, routes=routes,
                 demand=[demand("M", 100)], name="plain.xlsx")
    assert solved(plain).solution.objective == approx(600)
    ruled = case(tmp_path, regions=regions, facilities=facilities, routes=routes,
                 demand=[_certified_demand("M", 100, 1.0)], name="ruled.xlsx")
    outcome = solved(ruled)
    assert outcome.solution.objective == approx(1600)
    assert outcome.values("output")["ref_n", 0] == approx(0)
    assert outcome.values("c_output")["ref_m", 0] == approx(100)


def test_too_little_certified_stock_leaves_defence_demand_unmet(tmp_path: Path) -> None:
    """Member ``M`` needs 50 t, all certified, and makes nothing; non-member ``N``
    recycles up to 100 t at 1/t with a free route to ``M``. ``M``'s stockpile holds
    100 t, 30 of them certified, may release freely and need not be refilled; unmet
    demand costs 1,000/t.

    Only the 30 certified tonnes in stock count towards the 50 certified tonnes: 20 t
    of certified demand go unmet, and unmet certified demand is unmet demand, so
    ``shortfall`` is 20 and costs 20 × 1,000 = 20,000. Releasing stock is free, so the
    other 30 t of demand need nothing from ``N``: the objective is 20,000.
    """
    data = case(tmp_path, regions={"M": True, "N": False}, minerals={"m": 1000},
                facilities=[facility("n", "N", 100, 1)], routes=[route("N", "M")],
                demand=[_certified_demand("M", 50, 1.0)],
                stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m",
                             "capacity_t": 100, "initial_t": 100, "terminal_min_t": 0,
                             "certified_initial_t": 30}])
    outcome = solved(data)
    assert outcome.solution.objective == approx(20000)
    assert sum(outcome.values("shortfall").values()) == approx(20)
    assert outcome.values("c_shortfall")["M", "m", 0] == approx(20)
    assert outcome.values("c_release")["vault", 0] == approx(30)
    # the penalty is what one more certified tonne would save
    assert _premium(outcome, "M") == approx(1000)

    tables = complete_tables(outcome)
    short = tables["shortfalls"].set_index("region").loc["M"]
    assert (short["demand_t"], short["shortfall_t"]) == (approx(50), approx(20))
    assert (short["certified_demand_t"], short["certified_shortfall_t"]) == (
        approx(50), approx(20))
    prices = tables["prices"]
    refined_in_m = prices[(prices["region"] == "M") & (prices["stage"] == "refined")]
    assert refined_in_m["certified_premium_per_t"].tolist() == [approx(1000)]
    summary = tables["summary"].set_index("figure")["value"]
    assert summary["certified_shortfall_t"] == approx(20)
    assert [h for h in tables["headlines"]["headline"] if "origin rule" in h] == [
        "The origin rule adds 1,000 USD/t to m in M and leaves 20.0 t of certified demand "
        "unmet in period p1 under scenario base."]


def test_certified_product_relayed_through_a_non_member_keeps_its_grade(
        tmp_path: Path) -> None:
    """Member ``A`` recycles up to 100 t at 10/t; member ``B`` needs 100 t, all
    certified, and can only be reached through non-member ``N`` (routes A → N and
    N → B at 1/t each). ``N`` also recycles, at 0.5/t, but uncertified.

    Shipping does not change the grade, so ``A``'s 100 t reach ``B`` certified:
    100 × (10 + 1 + 1) = 1,200. ``N``'s cheaper output cannot serve ``B``, and
    nothing else wants it.
    """
    data = case(tmp_path, regions={"A": True, "B": True, "N": False},
                facilities=[facility("a", "A", 100, 10), facility("n", "N", 100, 0.5)],
                routes=[route("A", "N", 1), route("N", "B", 1)],
                demand=[_certified_demand("B", 100, 1.0)])
    outcome = solved(data)
    assert outcome.solution.objective == approx(1200)
    assert outcome.values("c_ship")["N", "B", "m", "refined", 0] == approx(100)
    assert outcome.values("output")["n", 0] == approx(0)


def test_a_certifying_non_member_region_makes_certified_product(tmp_path: Path) -> None:
    """Member ``M`` needs 100 t, half certified, and makes nothing. Non-member ``A``
    certifies (``certifies`` yes) and recycles at 20/t; non-member ``N`` does not and
    recycles at 5/t; both ship to ``M`` for free, up to 100 t each.

    50 certified tonnes come from ``A`` and the other 50 from ``N``:
    50 × 20 + 50 × 5 = 1,250. The premium is 20 − 5 = 15.
    """
    default = case(tmp_path, regions={"M": True, "A": False, "N": False},
                   facilities=[facility("n", "N", 1)], demand=[demand("M", 1)],
                   name="default.xlsx")
    assert {r.region: r.certifying for r in default.regions} == {
        "M": True, "A": False, "N": False}  # blank certifies: as zone_member
    path = write_tables(tmp_path / "certifying.xlsx", {
        "settings": [],
        "regions": [{"region": "M", "zone_member": "yes"},
                    {"region": "A", "zone_member": "no", "certifies": "yes"},
                    {"region": "N", "zone_member": "no"}],
        "minerals": [{"mineral": "m", "shortfall_penalty_per_t": 1e6}],
        "periods": [{"period": "p1", "years": 1}],
        "facilities": [facility("a", "A", 100, 20), facility("n", "N", 100, 5)],
        "routes": [route("A", "M"), route("N", "M")],
        "demand": [_certified_demand("M", 100, 0.5)],
    }, headers={"settings": ("key", "value")})
    data, _ = load(path)
    outcome = solved(data)
    assert outcome.solution.objective == approx(1250)
    assert outcome.values("c_output")["a", 0] == approx(50)
    assert _premium(outcome, "M") == approx(15)


def every_certified_block(folder: Path) -> ModelData:
    """A case that declares every block of §12: a certifying mine and refinery, a
    route, a stockpile and certified demand (for the descriptor tests)."""
    return case(folder, regions={"M": True, "N": False}, name="every_certified_block.xlsx",
                facilities=[facility("mine", "M", 10, 1, stage="mine"),
                            facility("ref", "M", 10, 1, stage="refine")],
                routes=[route("N", "M")], demand=[_certified_demand("M", 10, 0.5)],
                stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m",
                             "capacity_t": 5}])


def test_every_certified_block_is_declared_and_solves(tmp_path: Path) -> None:
    """The mine and refinery in ``M`` cost 1/t each and make the 10 t ``M`` needs:
    10 × (1 + 1) = 20; at least the certified half of it counts as certified (the
    grade of the rest is free: nothing asks for it)."""
    outcome = solved(every_certified_block(tmp_path))
    assert outcome.solution.objective == approx(20)
    assert outcome.values("output")["ref", 0] == approx(10)
    assert 5 - 1e-9 <= outcome.values("c_output")["ref", 0] <= 10 + 1e-9
    assert outcome.values("c_shortfall")["M", "m", 0] == approx(0)


def test_certified_rows_are_explained_in_the_words_of_section_12(tmp_path: Path) -> None:
    """What an infeasibility explanation says of each §12 row and bound."""
    data = every_certified_block(tmp_path)
    ctx = Context.for_explanations(derive(data))
    rows, columns = descriptors().rows, descriptors().columns
    words: dict[str, RowWords] = {}
    for name in ("certified_refined_balance", "certified_stock", "certified_within"):
        explain = rows[name].explain
        assert explain is not None, name
        words[name] = explain
    bound_words = columns["c_shortfall"].explain
    assert bound_words is not None
    assert words["certified_refined_balance"](ctx, ("M", "m", 0)) == (
        "certified refined m in M must meet the certified share of demand in period p1 "
        "(all scenarios)")
    assert words["certified_stock"](ctx, ("vault", 0)) == (
        "stockpile vault: certified level = previous certified level + certified purchases "
        "− certified releases in period p1 (all scenarios)")
    assert words["certified_within"](
        ctx, ("ship", "N M m refined", 0)) == (
        "the certified part of ship N M m refined cannot exceed the ship itself in period p1 "
        "(all scenarios)")
    assert bound_words(ctx, ("M", "m", 0), 5.0, "upper") == (
        "unmet certified m demand in M is at most the certified demand of 5 t in period p1 "
        "(all scenarios)")


# ---------------------------------------------------------------- no rule, no change


@pytest.mark.parametrize("workbook", ["data/example.xlsx", "data/base_case.xlsx"])
def test_without_certified_shares_the_model_is_exactly_that_of_section_6(
        workbook: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed cases with every certified share set to 0 (the default case's
    defence rule off): no ``c_*`` column or certified row exists, and the program
    (columns, rows, bounds, matrix and costs) is the one built without the certified
    component at all."""
    data, _ = load(Path(__file__).parent.parent / workbook)
    data = dataclasses.replace(data, demand=tuple(
        dataclasses.replace(d, certified_share=0.0) for d in data.demand))
    derived = derive(data)
    assert certified.certified_demand(derived) == {}
    program = build(derived)
    assert not [b.name for b in program.variables if b.name.startswith("c_")]
    assert not [b.name for b in program.constraints if b.name.startswith("certified")]
    monkeypatch.setattr("optimizer.model.COMPONENTS",
                        tuple(c for c in COMPONENTS if c.name != "certified"))
    without = build(derived)
    assert [b.name for b in program.variables] == [b.name for b in without.variables]
    assert [b.name for b in program.constraints] == [b.name for b in without.constraints]
    assert np.array_equal(program.cost, without.cost)
    assert program.offset == without.offset
    for ours, theirs in zip(program.constraints, without.constraints, strict=True):
        assert np.array_equal(ours.coefficient, theirs.coefficient)
        assert np.array_equal(ours.rhs, theirs.rhs)


# ---------------------------------------------------------------- bad input


def _errors(folder: Path, **sheets: Any) -> list[str]:
    with pytest.raises(InputError) as raised:
        case(folder, facilities=[facility("m", "M", 100)], **sheets)
    return [str(p) for p in raised.value.errors]


def test_a_certified_share_outside_0_1_is_an_error(tmp_path: Path) -> None:
    assert _errors(tmp_path, demand=[_certified_demand("M", 10, 1.5)]) == [
        "demand, row 2, certified_share: must be in [0, 1] (1.5)"]


def test_certified_initial_stock_above_initial_t_is_an_error(tmp_path: Path) -> None:
    assert _errors(tmp_path, demand=[demand("M", 10)],
                   stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m",
                                "capacity_t": 100, "initial_t": 20,
                                "certified_initial_t": 25}]) == [
        "stockpiles, row 2, certified_initial_t: must not exceed initial_t, which is 20 (25)"]


# ---------------------------------------------------------------- invariants on random cases


def random_certified_case(folder: Path, seed: int) -> ModelData:
    """The generator's ``tiny`` case with origin rules drawn at random: a certified share
    on about half the demand rows, a certified part of every stockpile's initial stock,
    and one non-member that certifies."""
    rng = np.random.default_rng(seed)
    sheets = {name: [dict(r) for r in rows] for name, rows in
              generate.tables(dataclasses.replace(generate.PRESETS["tiny"],
                                                  seed=seed)).items()}
    for row in sheets["demand"]:
        if rng.random() < 0.5:
            row["certified_share"] = round(float(rng.uniform(0.1, 1.0)), 2)
    for row in sheets["stockpiles"]:
        row["certified_initial_t"] = round(float(row.get("initial_t") or 0.0)
                                           * float(rng.uniform(0, 1)), 1)
    outsiders = [r for r in sheets["regions"] if str(r["zone_member"]).lower() in ("no", "false")]
    if outsiders:
        outsiders[0]["certifies"] = "yes"
    data, _ = load(generate.write(folder / f"random_{seed}.xlsx", sheets))
    return data


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_certified_invariants_hold_on_random_cases(tmp_path: Path, seed: int) -> None:
    """Certified columns never exceed their plain ones; the certified stock and both
    certified balances close (recomputed from the solution); unmet certified demand
    is at most the unmet demand and at most the certified demand; the premium is ≥ 0."""
    outcome = solved(random_certified_case(tmp_path, seed))
    assert outcome.values("c_shortfall"), "the case has certified demand"
    tol = 1e-6
    for name in ("output", "ship", "purchase", "release", "level"):
        plain = outcome.values(name)
        for key, value in outcome.values(f"c_{name}").items():
            assert value <= plain[key] + tol, (name, key)
    # the rows as solved: every row's activity against its bounds
    lp, values = outcome.lp, outcome.solution.values
    assert values is not None
    activity = lp.matrix @ values
    for block in lp.layout.rows:
        if not block.name.startswith("certified"):
            continue
        rows = slice(block.start, block.stop)
        assert np.all(activity[rows] >= lp.row_lower[rows] - tol), block.name
        assert np.all(activity[rows] <= lp.row_upper[rows] + tol), block.name
    demand = certified.certified_demand(outcome.derived)
    shortfall = outcome.values("shortfall")
    for (region, mineral, node), unmet in outcome.values("c_shortfall").items():
        assert unmet <= demand[region, mineral, node] + tol
        assert unmet <= sum(v for k, v in shortfall.items()
                            if (k[0], k[1], k[3]) == (region, mineral, node)) + tol
    premium = outcome.duals("certified_refined_balance")
    assert premium and min(premium.values()) >= -tol


# ---------------------------------------------------------------- the results it reports


def test_the_rule_reports_through_its_own_descriptor() -> None:
    """Its columns on the detail tables are the component's own declaration (the
    results' sheet functions know nothing of §12), summed or averaged as the expected
    form needs."""
    reported = certified.COMPONENT.reported
    assert [(c.sheet, c.quantities, c.means) for c in reported.columns] == [
        ("shortfalls", ("certified_demand_t", "certified_shortfall_t"), ()),
        ("prices", (), ("certified_premium_per_t",)),
    ]
    assert quantities("shortfalls") == ("demand_t", "shortfall_t", "certified_demand_t",
                                        "certified_shortfall_t")
    assert means("prices")[-1] == "certified_premium_per_t"


@pytest.mark.parametrize("seed", [1, 2])
def test_certified_results_are_their_definitions_exactly(tmp_path: Path, seed: int) -> None:
    """Recomputed by key from the solution, row by row: certified_demand_t is
    certified_share × demand, certified_shortfall_t is c_shortfall (0 where there is
    none), certified_premium_per_t the certified refined balance's dual ÷ π_n δ_t on
    refined rows (blank elsewhere), exactly, up to the solver noise every result column
    drops (|x| < TINY as 0); and the summary figure Σ π_n c_shortfall."""
    outcome = solved(random_certified_case(tmp_path, seed))
    results = collected(outcome)
    demand = certified.certified_demand(outcome.derived)
    unmet = outcome.values("c_shortfall")
    short = results.detail["shortfalls"]
    keys = list(zip(short["region"].astype(str), short["mineral"].astype(str),
                    short["node"].tolist(), strict=True))
    assert short["certified_demand_t"].tolist() == clean(
        np.array([demand.get(k, 0.0) for k in keys])).tolist()
    assert short["certified_shortfall_t"].tolist() == clean(
        np.array([unmet.get(k, 0.0) for k in keys])).tolist()
    assert (short["certified_demand_t"] > 0).any()

    dual = outcome.duals("certified_refined_balance")
    weight = results.tree.weight
    prices = results.detail["prices"]
    expected = clean(np.array([
        dual[r, m, n] / weight[n] if s == "refined" and (r, m, n) in dual else np.nan
        for r, m, s, n in zip(prices["region"].astype(str), prices["mineral"].astype(str),
                              prices["stage"].astype(str), prices["node"].tolist(),
                              strict=True)]))
    np.testing.assert_array_equal(prices["certified_premium_per_t"].to_numpy(), expected)
    assert np.isfinite(expected).any()

    figure = results.sheets["summary"].set_index("figure").loc["certified_shortfall_t",
                                                               "value"]
    probability = {i: n.probability for i, n in enumerate(outcome.derived.tree.nodes)}
    # (a dot product: the same sum in another order)
    assert figure == approx(sum(probability[k[2]] * v for k, v in unmet.items()), rel=1e-12)


def test_the_results_code_knows_nothing_of_section_12() -> None:
    """Only the results contract declares what §12 reports (its columns, figure and chart
    kind, with their meanings); every other results module reads the descriptors, so
    not one of them names the rule."""
    results = Path(__file__).parent.parent / "optimizer" / "results"
    naming = sorted(path.name for path in results.glob("*.py")
                    if path.name != "contract.py"
                    and re.search(r"certif|§12", path.read_text(encoding="utf-8"), re.I))
    assert naming == []
