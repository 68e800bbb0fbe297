"""The policy comparison (``optimizer run --compare-policy``): the case solved again
with its floors, stockpiles and expansions switched off, worked out by hand on the
floor case and checked against the package's own sheets on the results cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from optimizer.cli import EXIT_OK, main
from optimizer.pipeline import Outcome
from optimizer.results.headlines import MOST_WORDS, money, share, tonnes
from optimizer.solve.highs import SolverOptions
from optimizer.sweep.policy import (
    ALL,
    BASELINE,
    PACKAGE,
    compare_policy,
    instruments,
    policy_sheet,
    switched_off,
    variants,
)
from tests.solved import collected
from tests.test_sensitivity import floored_case, solve_ranged
from tests.workbooks import case, demand, facility, solved

Tables = dict[str, pd.DataFrame]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _row(sheet: pd.DataFrame, run: str, mineral: str) -> dict[str, Any]:
    (row,) = _records(sheet[(sheet["run"] == run) & (sheet["mineral"] == mineral)])
    return row


def test_policy_package_against_no_floor_worked_out_by_hand(tmp_path: Path) -> None:
    """The floor case of tests/test_sensitivity.py, one year undiscounted: with the
    floor, M runs fM full (10 t at 50) and imports 5 t from X at 10 + 5 freight + 3
    tariff + 50 floor gap; X's 1 t costs 10: 500 + 60 + 25 + 265 = 850. Without the
    floor a tonne from X lands at 18 < 50, so M imports all 15 t: 160 + 75 + 45 = 280.
    The floor adds 570 and avoids no shortfall; M's non-member share falls from 15/15
    to 5/15. Floors are its only instrument, so the baseline is the one other run."""
    outcome = solve_ranged(floored_case(tmp_path))
    assert instruments(outcome.data) == ("floors",)
    compared = compare_policy(outcome, SolverOptions())
    assert [(v.name, v.off) for v in compared.variants] == [
        (PACKAGE, ()), (BASELINE, ("floors",))]
    sheet = policy_sheet(compared, ["m"])
    assert sheet[["run", "mineral"]].to_numpy().tolist() == [
        [PACKAGE, ALL], [PACKAGE, "m"], [BASELINE, ALL], [BASELINE, "m"]]
    package, baseline = _row(sheet, PACKAGE, ALL), _row(sheet, BASELINE, ALL)
    assert package["expected_cost"] == pytest.approx(850)
    assert baseline["expected_cost"] == pytest.approx(280)
    assert baseline["package_extra_cost"] == pytest.approx(570)
    assert package["package_extra_cost"] == 0
    assert baseline["switched_off"] == "floors" and baseline["status"] == "optimal"
    assert baseline["shortfall_avoided_t"] == pytest.approx(0, abs=1e-9)
    assert pd.isna(baseline["non_member_share"])  # by mineral only
    mineral = _row(sheet, BASELINE, "m")
    assert mineral["non_member_share"] == pytest.approx(1.0)
    assert _row(sheet, PACKAGE, "m")["non_member_share"] == pytest.approx(5 / 15)
    assert mineral["dependence_reduced"] == pytest.approx(1 - 5 / 15)


def test_run_compare_policy_writes_the_sheet_and_its_headlines(tmp_path: Path) -> None:
    """``optimizer run --compare-policy``: the policy sheet, and headlines that cite it
    as the floor case works out (570 more, 0 t avoided, m's share 100% → 33.3%)."""
    floored_case(tmp_path)  # writes floor-False.xlsx
    output = tmp_path / "results.xlsx"
    assert main(["run", str(tmp_path / "floor-False.xlsx"), "-o", str(output),
                 "--compare-policy", "--quiet"]) == EXIT_OK
    book = openpyxl.load_workbook(output, read_only=True)
    assert book.sheetnames[-1] == "policy"  # after every sheet a plain run writes
    rows = list(book["headlines"].iter_rows(values_only=True))
    sentences = [str(r[1]) for r in rows[1:]]
    assert ("Against a baseline without floors, the package adds 570 USD to the expected "
            "cost and avoids 0 t of expected shortfall.") in sentences
    assert ("The package cuts the non-member share of m's zone supply most: 100.0% without "
            "it, 33.3% with it.") in sentences
    assert not any(s.startswith("Within the package") for s in sentences)  # one instrument
    assert all(len(s.split()) <= MOST_WORDS for s in sentences)
    book.close()


def test_without_it_the_run_has_no_policy_sheet(solved: tuple[Outcome, Tables]) -> None:
    _, tables = solved
    assert "policy" not in tables
    assert not tables["headlines"]["sheet"].eq("policy").any()


def test_switched_off_leaves_no_instrument_and_the_rest_alone(
    solved: tuple[Outcome, Tables],
) -> None:
    outcome, _ = solved
    data = outcome.data
    present = instruments(data)
    names = [v.name for v in variants(data)]
    assert names[0] == PACKAGE
    assert names[1:] == ([] if not present else [
        *([f"without_{i}" for i in present] if len(present) > 1 else []), BASELINE])
    bare = switched_off(data, present)
    assert instruments(bare) == ()
    assert all(p.floor_price_per_t is None for p in bare.prices)
    assert bare.stockpiles == () and all(f.expandable_t == 0 or f.committed
                                         for f in bare.facilities)
    assert (bare.demand, bare.routes, bare.offtakes, bare.disruptions) == (
        data.demand, data.routes, data.offtakes, data.disruptions)
    assert [(p.mineral, p.period, p.market_price_per_t) for p in bare.prices] == [
        (p.mineral, p.period, p.market_price_per_t) for p in data.prices]


def test_package_row_is_the_run_itself(solved: tuple[Outcome, Tables]) -> None:
    """The package's figures recomputed from the run's own sheets: expected_cost from
    the summary, expected shortfall Σ_s p_s Σ shortfall_t from the shortfalls sheet, and
    each mineral's share from the dependence sheet, probability-weighted by scenario;
    every run's differences from the package recomputed from the sheet itself."""
    outcome, tables = solved
    compared = compare_policy(outcome, SolverOptions())
    minerals = [m.mineral for m in outcome.data.minerals]
    sheet = policy_sheet(compared, minerals)
    summary = dict(zip(tables["summary"]["figure"], tables["summary"]["value"], strict=True))
    probability = {s.scenario: s.probability for s in outcome.data.scenarios}
    short = tables["shortfalls"]
    weighted = short["shortfall_t"] * short["scenario"].map(probability)
    package = _row(sheet, PACKAGE, ALL)
    scale = max(1.0, abs(summary["expected_cost"]))
    assert package["expected_cost"] == pytest.approx(summary["expected_cost"], rel=1e-9)
    assert package["expected_shortfall_t"] == pytest.approx(float(weighted.sum()), abs=1e-6)
    dependence = tables["dependence"]
    weight = dependence["scenario"].map(probability)
    for m in minerals:
        rows = dependence[dependence["mineral"] == m]
        outside = float((rows["from_non_members_t"] * weight[rows.index]).sum())
        supply = outside + float((rows["from_members_t"] * weight[rows.index]).sum())
        got = _row(sheet, PACKAGE, m)["non_member_share"]
        if supply > 0:
            assert got == pytest.approx(outside / supply, abs=1e-9), m
        else:
            assert pd.isna(got), m
        assert _row(sheet, PACKAGE, m)["expected_shortfall_t"] == pytest.approx(
            float(weighted[short["mineral"] == m].sum()), abs=1e-6)
    for run in sheet["run"].unique():
        row = _row(sheet, str(run), ALL)
        if row["status"] != "optimal":
            continue
        assert row["package_extra_cost"] == pytest.approx(
            package["expected_cost"] - row["expected_cost"], abs=1e-9 * scale)
        assert row["shortfall_avoided_t"] == pytest.approx(
            row["expected_shortfall_t"] - package["expected_shortfall_t"], abs=1e-6)


def test_policy_headlines_recomputed_from_the_policy_sheet(tmp_path: Path) -> None:
    """Each headline's figure is the policy sheet's, and its sentence cites it."""
    outcome = solve_ranged(floored_case(tmp_path))
    compared = compare_policy(outcome, SolverOptions())
    sheet = policy_sheet(compared, ["m"])
    tables = collected(outcome, policy=sheet).complete()
    rows = _records(tables["headlines"][tables["headlines"]["sheet"] == "policy"])
    baseline = _row(sheet, BASELINE, ALL)
    mineral = _row(sheet, BASELINE, "m")
    first, cut = rows
    assert first["figure"] == pytest.approx(baseline["package_extra_cost"])
    assert money(baseline["package_extra_cost"], "USD") in first["headline"]
    assert tonnes(baseline["shortfall_avoided_t"]) in first["headline"]
    assert cut["figure"] == pytest.approx(mineral["dependence_reduced"])
    assert share(mineral["non_member_share"]) in cut["headline"]


def test_a_case_without_instruments_has_only_the_package(tmp_path: Path) -> None:
    """No floor, stockpile or expansion: nothing to switch off, one run, and the
    headline says so."""
    outcome = solve_ranged(case(tmp_path, facilities=[facility("f", "M", 10, 2)],
                                demand=[demand("M", 4)]))
    assert instruments(outcome.data) == ()
    compared = compare_policy(outcome, SolverOptions())
    assert [v.name for v in compared.variants] == [PACKAGE]
    sheet = policy_sheet(compared, ["m"])
    assert sheet[["run", "mineral"]].to_numpy().tolist() == [[PACKAGE, ALL], [PACKAGE, "m"]]
    assert _row(sheet, PACKAGE, ALL)["expected_cost"] == pytest.approx(8)  # 4 t at 2
    headlines = collected(outcome, policy=sheet).complete()["headlines"]
    policy = headlines[headlines["sheet"] == "policy"]["headline"].tolist()
    assert policy == ["The input has no floors, stockpiles or expansions to compare the plan "
                      "without."]


def test_committed_capacity_stays_when_expansions_are_switched_off(tmp_path: Path) -> None:
    """Two one-year periods, undiscounted; M needs 10 t a year. ``old`` makes 6 t/yr at 2;
    ``new``, committed (expandable 4 t/yr at capex 0, online p2), at 3; ``fin``, an
    expansion online from p1 at 1 and capex 0.5 per t/yr over a one-year life (0.5 a year,
    1 over the horizon; 5 overnight). The package builds fin to 10: 10 capex + 10 + 10 = 30. Without
    expansions fin is gone but new stays: p1 12 + 4 t short at 100, p2 12 + 12 = 436
    (824 were new removed too). Only fin counts as the zone's expansion finance."""
    data = case(tmp_path, periods={"p1": 1.0, "p2": 1.0}, minerals={"m": 100.0},
                facilities=[
                    facility("old", "M", 6, 2),
                    facility("new", "M", 0, 3, expandable_t=4, capex_per_t=0,
                             online_period="p2"),
                    facility("fin", "M", 0, 1, expandable_t=10, capex_per_t=0.5,
                             lifetime_years=1),
                ], demand=[demand("M", 10)])
    assert [(f.facility, f.committed, f.financed) for f in data.facilities] == [
        ("old", False, False), ("new", True, False), ("fin", False, True)]
    assert instruments(data) == ("expansions",)
    off = switched_off(data, ("expansions",))
    assert [(f.facility, f.expandable_t) for f in off.facilities] == [
        ("old", 0.0), ("new", 4.0), ("fin", 0.0)]
    assert instruments(off) == ()
    outcome = solved(data)
    compared = compare_policy(outcome, SolverOptions())
    sheet = policy_sheet(compared, ["m"])
    assert _row(sheet, PACKAGE, ALL)["expected_cost"] == pytest.approx(30)
    assert _row(sheet, BASELINE, ALL)["expected_cost"] == pytest.approx(436)
    assert _row(sheet, BASELINE, ALL)["shortfall_avoided_t"] == pytest.approx(4)
    tables = collected(outcome, policy=sheet).complete()
    expansions = tables["expansions"].set_index("facility")
    assert expansions.loc["new", "committed"] == "yes"
    assert expansions.loc["fin", "committed"] == "no"
    assert expansions.loc["fin", "built_t"] == pytest.approx(10)
    assert expansions.loc["new", "capex"] == 0
    headlines = tables["headlines"]["headline"].tolist()
    assert any(h.startswith("1 of 1 expansions chosen, 5.00 USD") for h in headlines)
