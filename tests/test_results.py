"""The results workbook (MODEL.md §8, §9).

Most tests read the written workbook back and recompute what it must satisfy from
its own sheets and the input: balances close, bounds hold, every cost component
recomputed from quantities and input prices, costs add up to the objective, and
marginal prices are the balance duals ÷ (π δ). Four cases: the small valid case, a
stressed variant (disruptions that bite, discounting, stock to release), the stressed
variant with CVaR in the objective and zone exclusivity, and a bare variant without
routes, stockpiles, offtakes or expansions (empty sheets).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from optimizer import __version__
from optimizer.files import file_sha256
from optimizer.model import COST_COMPONENTS
from optimizer.pipeline import Outcome, optimize
from optimizer.report import xlsx
from optimizer.results.accounting import cvar
from optimizer.results.contract import (
    COMPONENT_MEANINGS,
    FIGURES,
    FIGURES_BY_NAME,
    RESULT_SHEETS,
    RESULT_SHEETS_BY_NAME,
    ROW_FORMATS,
    TEXT,
)
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load
from tests.cases import Tables, valid_tables, write_tables
from tests.solved import collected, complete_tables, write_workbook

TOLERANCE = 1e-6  # relative, on money and tonnes
KEYS = ["region", "mineral", "period", "scenario"]


# ---------------------------------------------------------------- cases


def _set(tables: Tables, key: str, value: object) -> None:
    tables["settings"] = [r for r in tables["settings"] if r["key"] != key]
    tables["settings"].append({"key": key, "value": value})


def _stressed() -> Tables:
    """Disruptions that change the plan: scenarios differ in cost, stock is released."""
    tables = valid_tables()
    _set(tables, "discount_rate", 0.08)
    tables["disruptions"] += [
        {"scenario": "li_dump", "kind": "capacity", "region": "AU", "mineral": "lithium",
         "stage": "mine", "start_period": 2027, "end_period": 2028, "factor": 0.3},
        {"scenario": "ga_ban", "kind": "demand", "region": "US", "mineral": "gallium",
         "start_period": 2027, "factor": 1.5},
    ]
    vault_li, vault_ga = tables["stockpiles"]
    vault_li.update(initial_t=2000, terminal_min_t=1000)
    vault_ga.update(holding_cost_per_t=1000)
    return tables


def _risky() -> Tables:
    """The stressed case with CVaR in the objective and zone exclusivity."""
    tables = _stressed()
    _set(tables, "risk_weight", 0.6)
    _set(tables, "cvar_alpha", 0.7)
    _set(tables, "zone_exclusive", "yes")
    return tables


def _bare() -> Tables:
    """No routes, stockpiles, offtakes or expansions: those sheets are empty."""
    tables = valid_tables()
    for sheet in ("routes", "stockpiles", "offtakes"):
        del tables[sheet]
    _set(tables, "stockpile_budget", None)
    for facility in tables["facilities"]:
        for column in ("expandable_t", "capex_per_t", "lifetime_years", "online_period"):
            facility.pop(column, None)
    return tables


CASES: dict[str, Callable[[], Tables]] = {
    "base": valid_tables, "stressed": _stressed, "risky": _risky, "bare": _bare,
}


@dataclass
class Run:
    """One case solved and written, with its results read back."""

    outcome: Outcome
    input_path: Path
    path: Path
    sheets: dict[str, pd.DataFrame]  # every sheet complete, zero rows included
    written: dict[str, pd.DataFrame]  # the workbook as written

    @property
    def data(self) -> Any:
        return self.outcome.data

    def discount(self) -> dict[str, float]:
        """δ by period name, worked out here from the settings and the years."""
        rate, elapsed, factors = self.data.settings.discount_rate, 0.0, {}
        for period in self.data.periods:
            factors[period.period] = (1 + rate) ** -elapsed
            elapsed += period.years
        return factors

    def years(self) -> dict[str, float]:
        return {p.period: p.years for p in self.data.periods}

    def probability(self) -> dict[str, float]:
        return {s.scenario: s.probability for s in self.data.scenarios}

    def figure(self, name: str) -> Any:
        summary = self.sheets["summary"].set_index("figure")["value"]
        return summary[name]


def solve_case(tables: Tables, folder: Path) -> tuple[Outcome, Path]:
    input_path = write_tables(folder / "input.xlsx", tables)
    data, _ = load(input_path)
    return optimize(data, SolverOptions()), input_path


@pytest.fixture(scope="module", params=list(CASES))
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp(request.param)
    outcome, input_path = solve_case(CASES[request.param](), folder)
    assert outcome.optimal, outcome.solution.message
    results = collected(outcome, input_path, file_sha256(input_path), 1.5)
    path = write_workbook(results, folder / "results.xlsx", input_path)
    # the invariants are checked on every row, zeros included: the complete tables
    # written the same way (the written sheets keep the rows with something to read)
    complete = xlsx.write(results.complete(), folder / "complete.xlsx", input_path=input_path)
    return Run(outcome, input_path, path, read_sheets(complete), read_sheets(path))


def read_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """A results workbook read back; an empty sheet's number columns as floats."""
    names = dict.fromkeys(("period", "leaves_trunk", "online_period", "scenarios"), str)
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl", dtype=names)
    for name, frame in sheets.items():
        declared = RESULT_SHEETS_BY_NAME.get(name)
        if declared is None or len(frame):
            continue
        for column in declared.columns:
            if column.name in frame and column.number_format not in (TEXT, *ROW_FORMATS):
                frame[column.name] = frame[column.name].astype(float)
    return sheets


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as plain dictionaries."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b), scale)


def _by(frame: pd.DataFrame, value: str, region: str = "region") -> pd.Series:
    """``value`` summed by region (taken from column ``region``), mineral, period, scenario."""
    grouped = frame.groupby([region, "mineral", "period", "scenario"])[value].sum()
    grouped.index = grouped.index.set_names(KEYS)
    return grouped


# ---------------------------------------------------------------- balances and bounds


def test_refined_balances_close(run: Run) -> None:
    """§6.4: output + in − out + release − purchase + shortfall ≥ demand, with equality
    wherever the marginal price is positive."""
    production, flows = run.sheets["production"], run.sheets["flows"]
    stock, short = run.sheets["stockpiles"], run.sheets["shortfalls"]
    refined_flows = flows[flows["stage"] == "refined"]
    refined_stock = stock[stock["stage"] == "refined"]
    parts = [
        _by(production[production["stage"].isin(["refine", "recycle"])], "output_t"),
        _by(refined_flows, "flow_t", "destination"),
        -_by(refined_flows, "flow_t", "origin"),
        _by(refined_stock, "release_t"),
        -_by(refined_stock, "purchase_t"),
        _by(short, "shortfall_t"),
    ]
    supply = pd.concat(parts, axis=1).fillna(0.0).sum(axis=1)
    demand = _by(short, "demand_t").reindex(supply.index, fill_value=0.0)
    assert len(supply) > 0
    assert (supply - demand >= -TOLERANCE * demand.clip(lower=1.0)).all()
    prices = run.sheets["prices"]
    binding = prices[(prices["stage"] == "refined") & (prices["marginal_price_per_t"] > 1e-6)]
    for key in binding.set_index(KEYS).index:
        assert close(supply[key], demand[key]), key


def test_concentrate_balances_close(run: Run) -> None:
    """§6.3: mine output + in − out + release − purchase ≥ Σ refinery output ÷ yield."""
    production, flows, stock = (run.sheets[s] for s in ("production", "flows", "stockpiles"))
    yields = {f.facility: f.yield_ for f in run.data.facilities}
    refining = production[production["stage"] == "refine"].assign(
        needs=lambda f: f["output_t"] / f["facility"].map(yields)
    )
    moved = flows[flows["stage"] == "concentrate"]
    kept = stock[stock["stage"] == "concentrate"]
    supply = pd.concat([
        _by(production[production["stage"] == "mine"], "output_t"),
        _by(moved, "flow_t", "destination"), -_by(moved, "flow_t", "origin"),
        _by(kept, "release_t"), -_by(kept, "purchase_t"),
    ], axis=1).fillna(0.0).sum(axis=1)
    needs = _by(refining, "needs")
    supply = supply.reindex(needs.index.union(supply.index), fill_value=0.0)
    needs = needs.reindex(supply.index, fill_value=0.0)
    assert (supply - needs >= -TOLERANCE * needs.clip(lower=1.0)).all()


def test_bounds_hold(run: Run) -> None:
    """Capacity, take, stock and tier limits; stock carries over along each path."""
    production = run.sheets["production"]
    assert (production["output_t"] <= production["capacity_t"] * (1 + TOLERANCE) + 1e-6).all()
    taken = production.dropna(subset=["contract_take_t"])
    assert (taken["contract_take_t"] <= taken["output_t"] + 1e-6).all()
    short = run.sheets["shortfalls"]
    assert (short["shortfall_t"] <= short["demand_t"] + 1e-6).all()
    expansions = run.sheets["expansions"]
    assert (expansions["built_t"] <= expansions["expandable_t"] + 1e-6).all()

    years, last = run.years(), run.data.periods[-1].period
    stockpiles = {s.stockpile: s for s in run.data.stockpiles}
    for (name, _), rows in run.sheets["stockpiles"].groupby(["stockpile", "scenario"]):
        s = stockpiles[str(name)]
        previous = s.initial_t
        path = records(rows)
        for row in path:
            assert s.min_level_t - 1e-6 <= row["level_t"] <= s.capacity_t + 1e-6
            assert close(row["level_t"], previous + row["purchase_t"] - row["release_t"])
            if s.max_release_t is not None:
                assert row["release_t"] <= s.max_release_t * years[row["period"]] + 1e-6
            if s.max_purchase_t is not None:
                assert row["purchase_t"] <= s.max_purchase_t * years[row["period"]] + 1e-6
            previous = row["level_t"]
        assert path[-1]["period"] == last
        assert path[-1]["level_t"] >= s.terminal_min_t - 1e-6


# ---------------------------------------------------------------- costs


def test_costs_add_up_to_the_objective(run: Run) -> None:
    """Components sum to the expected cost, which is Σ_s p_s C_s; the objective is the
    expected cost blended with CVaR (the expected cost itself when λ = 0)."""
    expected = sum(run.figure(c) for c in COST_COMPONENTS)
    assert close(run.figure("expected_cost"), expected)
    scenarios = run.sheets["scenarios"]
    for row in records(scenarios):
        assert close(row["total_cost"], sum(row[c] for c in COST_COMPONENTS))
    weighted = (scenarios["probability"] * scenarios["total_cost"]).sum()
    assert close(weighted, expected)
    risk = run.data.settings.risk_weight
    blended = (1 - risk) * expected + risk * run.figure("cvar")
    assert close(run.figure("objective"), blended)
    assert run.outcome.solution.objective is not None
    assert close(run.outcome.solution.objective, blended)
    assert run.figure("cvar") >= expected * (1 - TOLERANCE)


def _shortfall_penalty(run: Run, mineral: str, unmet: float, demand: float) -> float:
    """Unmet demand filled into the tiers cheapest first, as the optimum does."""
    cost, previous = 0.0, 0.0
    for tier in run.data.tiers[mineral]:
        width = (tier.up_to_share - previous) * demand
        cost += tier.penalty_per_t * min(max(unmet, 0.0), width)
        unmet -= width
        previous = tier.up_to_share
    return cost


def test_cost_components_recomputed_from_the_sheets(run: Run) -> None:
    """Each scenario's cost components, worked out from quantities on the sheets and
    the input's prices, discounted along its path (MODEL.md §7)."""
    discount, years = run.discount(), run.years()
    facilities = {f.facility: f for f in run.data.facilities}
    stockpiles = {s.stockpile: s for s in run.data.stockpiles}
    expected: dict[str, dict[str, float]] = {}

    def discounted(frame: pd.DataFrame, amount: pd.Series) -> dict[str, float]:
        """Σ over each scenario's rows of δ_t × amount."""
        values = frame["period"].map(discount).astype(float) * amount
        return {str(k): float(v) for k, v in values.groupby(frame["scenario"]).sum().items()}

    production = run.sheets["production"]
    made = production["output_t"] - production["contract_take_t"].fillna(0.0)
    unit = production["facility"].map(lambda f: facilities[f].unit_cost_per_t)
    expected["production_cost"] = discounted(production, unit * made)
    flows = run.sheets["flows"]
    for component, column in (("transport_cost", "cost_per_t"),
                              ("border_adjustment", "border_adjustment_per_t")):
        expected[component] = discounted(flows, flows["flow_t"] * flows[column])
    stock = run.sheets["stockpiles"]
    holding = stock["stockpile"].map(lambda s: stockpiles[s].holding_cost_per_t).astype(float)
    expected["holding_cost"] = discounted(
        stock, stock["level_t"] * holding * stock["period"].map(years).astype(float)
    )
    short = run.sheets["shortfalls"]
    penalty = [_shortfall_penalty(run, r["mineral"], r["shortfall_t"], r["demand_t"])
               for r in records(short)]
    expected["shortfall_penalty"] = discounted(short, pd.Series(penalty, index=short.index))

    order = [p.period for p in run.data.periods]
    contract = sum(
        o.contract_t * o.contract_price_per_t * years[p] * discount[p]
        for o in run.data.offtakes
        for p in order[order.index(o.start_period): order.index(o.end_period) + 1]
    )
    capex = sum(
        row["annualised_cost"] * sum(discount[p] * years[p] for p in order[order.index(
            row["online_period"]):])
        for row in records(run.sheets["expansions"])
    )
    for row in records(run.sheets["scenarios"]):
        scenario = row["scenario"]
        for component, values in expected.items():
            assert close(row[component], values.get(scenario, 0.0), row["total_cost"]), (
                scenario, component)
        assert close(row["contract_cost"], contract, row["total_cost"])
        assert close(row["capex"], capex, row["total_cost"])


def test_zone_net_cost_leaves_out_adjustments_paid_into_the_zone(run: Run) -> None:
    member = {r.region: r.zone_member for r in run.data.regions}
    flows = run.sheets["flows"]
    into = flows[flows["destination"].map(member)]
    paid = (into["period"].map(run.discount()).astype(float) * into["flow_t"]
            * into["border_adjustment_per_t"]
            * into["scenario"].map(run.probability()).astype(float)).sum()
    assert close(run.figure("zone_net_cost"), run.figure("expected_cost") - paid)


# ---------------------------------------------------------------- prices


def test_marginal_prices_are_duals_over_probability_and_discount(run: Run) -> None:
    tree, discount = run.outcome.derived.tree, run.discount()
    order = {p.period: i for i, p in enumerate(run.data.periods)}
    duals = {
        "concentrate": run.outcome.duals("concentrate_balance"),
        "refined": run.outcome.duals("refined_balance"),
    }
    prices = run.sheets["prices"]
    # one row per balance row and scenario through its node
    assert len(prices) == sum(len(tree.nodes[key[2]].scenarios) for d in duals.values()
                              for key in d) > 0
    assert len(prices) == len(prices.drop_duplicates([*KEYS, "stage"]))
    for row in records(prices):
        node = tree.paths[row["scenario"]][order[row["period"]]]
        dual = duals[row["stage"]][row["region"], row["mineral"], node]
        weight = tree.nodes[node].probability * discount[row["period"]]
        marginal = row["marginal_price_per_t"]
        assert close(marginal, dual / weight)
        assert marginal >= -1e-6  # the dual of a ≥ row of a minimisation
        if not pd.isna(row["floor_price_per_t"]):
            floor = row["floor_price_per_t"]
            below = max(0.0, floor - marginal)
            assert close(row["marginal_below_floor_per_t"], below, floor)
            market = 0.0 if pd.isna(row["market_price_per_t"]) else row["market_price_per_t"]
            gap = max(0.0, floor - market)  # MODEL.md §3: the border adjustment's gap
            assert close(row["floor_gap_per_t"], gap, floor)
            assert gap <= floor
            if floor > 0:
                assert close(row["floor_gap_share"], gap / floor)


def test_marginal_prices_on_a_case_worked_by_hand(tmp_path: Path) -> None:
    """One member region, one recycler (10 t/yr at 100/t), demand 15 t/yr, penalty
    1000/t, discount 10 %. P1 (2 years): 20 t made, 10 t short, price = penalty 1000.
    P2 (1 year, demand 8 t): all made, price = unit cost 100. Objective by hand:
    20 × 100 + 10 × 1000 + 8 × 100 ÷ 1.1² = 12,661.157…"""
    tables: Tables = {
        "settings": [{"key": "discount_rate", "value": 0.1}],
        "regions": [{"region": "US", "zone_member": "yes"}],
        "minerals": [{"mineral": "x", "shortfall_penalty_per_t": 1000}],
        "periods": [{"period": "P1", "years": 2}, {"period": "P2", "years": 1}],
        "facilities": [{"facility": "rec", "region": "US", "mineral": "x",
                        "stage": "recycle", "capacity_t": 10, "unit_cost_per_t": 100}],
        "demand": [{"region": "US", "mineral": "x", "demand_t": 15},
                   {"region": "US", "mineral": "x", "period": "P2", "demand_t": 8}],
    }
    outcome, input_path = solve_case(tables, tmp_path)
    sheets = complete_tables(outcome, input_path, "sha", 0.0)
    summary = sheets["summary"].set_index("figure")["value"]
    # money in whole units: 12,661.157... shows as 12,661
    assert summary["objective"] == round(2000 + 10000 + 800 / 1.21)
    assert summary["shortfall_penalty"] == pytest.approx(10000)
    assert summary["cvar"] == pytest.approx(summary["objective"])
    prices = sheets["prices"].set_index("period")
    assert prices.loc["P1", "marginal_price_per_t"] == pytest.approx(1000)
    assert prices.loc["P2", "marginal_price_per_t"] == pytest.approx(100)
    assert prices["market_price_per_t"].isna().all()
    production = sheets["production"].set_index("period")
    assert production.loc["P1", "capacity_t"] == pytest.approx(20)
    assert production.loc["P1", "utilisation"] == pytest.approx(1)
    assert production.loc["P2", "utilisation"] == pytest.approx(0.8)
    short = sheets["shortfalls"].set_index("period")
    assert short.loc["P1", "share"] == pytest.approx(10 / 30)
    assert sheets["scenarios"]["scenario"].tolist() == ["base"]


# ---------------------------------------------------------------- the other sheets


def test_scenarios_sheet_sums_its_plan(run: Run) -> None:
    scenarios = records(run.sheets["scenarios"])
    assert [r["scenario"] for r in scenarios] == [s.scenario for s in run.data.scenarios]
    short = run.sheets["shortfalls"].groupby("scenario")["shortfall_t"].sum().to_dict()
    dependence = run.sheets["dependence"]
    outside = dependence.groupby("scenario")["from_non_members_t"].sum().to_dict()
    inside = dependence.groupby("scenario")["from_members_t"].sum().to_dict()
    tree = run.outcome.derived.tree
    for row in scenarios:
        scenario = row["scenario"]
        assert close(row["shortfall_t"], short.get(scenario, 0.0))
        total = outside[scenario] + inside[scenario]
        if total > 0:
            assert close(row["non_member_share"], outside[scenario] / total)
        leaves = tree.leaves_trunk(scenario)
        expected = None if leaves is None else run.data.periods[leaves].period
        assert (pd.isna(row["leaves_trunk"]) if expected is None
                else row["leaves_trunk"] == expected)


def test_leaves_trunk_and_shared_nodes_on_the_small_case(tmp_path: Path) -> None:
    """In the small case every scenario shares 2026; ga_ban and li_dump leave in 2027.
    A shared node's results repeat under each scenario."""
    outcome, input_path = solve_case(valid_tables(), tmp_path)
    sheets = complete_tables(outcome, input_path, "sha", 0.0)
    leaves = sheets["scenarios"].set_index("scenario")["leaves_trunk"]
    assert pd.isna(leaves["calm"]) and leaves["ga_ban"] == "2027" == leaves["li_dump"]
    first = sheets["production"][sheets["production"]["period"] == "2026"]
    per_scenario = [
        rows.drop(columns="scenario").reset_index(drop=True)
        for _, rows in first.groupby("scenario")
    ]
    assert len(per_scenario) == 3
    for other in per_scenario[1:]:
        pd.testing.assert_frame_equal(per_scenario[0], other)


def test_dependence_as_defined(run: Run) -> None:
    """From members: member refined output + member refined releases − refined shipments
    from members to non-members (not below 0); from non-members: refined shipments from
    non-members into members."""
    member = {r.region: r.zone_member for r in run.data.regions}
    keys = ["mineral", "period", "scenario"]
    production, flows, stock = (run.sheets[s] for s in ("production", "flows", "stockpiles"))
    made = production[production["stage"].isin(["refine", "recycle"])
                      & production["region"].map(member)].groupby(keys)["output_t"].sum()
    released = stock[(stock["stage"] == "refined") & stock["region"].map(member)].groupby(
        keys)["release_t"].sum()
    refined = flows[flows["stage"] == "refined"]
    leaving = refined[refined["origin"].map(member) & ~refined["destination"].map(member)]
    arriving = refined[~refined["origin"].map(member) & refined["destination"].map(member)]
    dependence = run.sheets["dependence"].set_index(keys)

    def along(values: pd.Series) -> pd.Series:
        return values.reindex(dependence.index, fill_value=0.0).astype(float)

    members = (along(made) + along(released)
               - along(leaving.groupby(keys)["flow_t"].sum())).clip(lower=0.0)
    outside = along(arriving.groupby(keys)["flow_t"].sum())
    assert ((dependence["from_members_t"] - members).abs() <= 1e-6).all()
    assert ((dependence["from_non_members_t"] - outside).abs() <= 1e-6).all()
    total = members + outside
    share = (outside / total).where(total > 0)
    assert ((dependence["non_member_share"] - share).abs().fillna(0.0) <= 1e-9).all()
    assert (dependence["non_member_share"].isna() == share.isna()).all()


def test_stockpile_spend_and_cover(run: Run) -> None:
    derived, order = run.outcome.derived, {p.period: i for i, p in enumerate(run.data.periods)}
    stockpiles = {s.stockpile: s for s in run.data.stockpiles}
    demand_of = {
        (r["region"], r["mineral"], r["period"], r["scenario"]): r["demand_t"]
        for r in records(run.sheets["shortfalls"])
    }
    for row in records(run.sheets["stockpiles"]):
        s = stockpiles[row["stockpile"]]
        node = derived.tree.paths[row["scenario"]][order[row["period"]]]
        price = derived.market_price.get((s.mineral, s.stage, node), 0.0)
        assert close(row["spend"], row["purchase_t"] * price)
        demand = demand_of.get((s.region, s.mineral, row["period"], row["scenario"]), 0.0)
        if demand > 0:
            daily = demand / (run.years()[row["period"]] * 365)
            assert close(row["cover_days"], row["level_t"] / daily)
        else:
            assert pd.isna(row["cover_days"])


def test_summary_has_every_figure_and_the_run_metadata(run: Run) -> None:
    summary = run.sheets["summary"]
    assert summary["figure"].tolist() == [f.name for f in FIGURES]
    assert run.figure("status") == "optimal"
    assert run.figure("input_file") == str(run.input_path)
    assert run.figure("input_sha256") == file_sha256(run.input_path)
    assert str(run.figure("version")) == __version__
    assert (run.figure("variables"), run.figure("constraints")) == run.outcome.lp.size
    assert run.figure("total_seconds") == 1.5
    currency = run.data.settings.currency
    assert summary.set_index("figure").loc["capex", "unit"] == currency


def test_contract_declares_what_model_md_asks() -> None:
    assert tuple(COMPONENT_MEANINGS) == COST_COMPONENTS
    required = {
        "status", "objective", *COST_COMPONENTS, "zone_net_cost", "cvar", "variables",
        "constraints", "solve_seconds", "total_seconds", "input_file", "input_sha256",
        "version",
    }
    assert required <= set(FIGURES_BY_NAME)
    names = [s.name for s in RESULT_SHEETS]
    assert names[:2] == ["read_me", "summary"]
    # MODEL.md §8's sheets in order; the planner's report adds headlines after the summary,
    # the data of the charts after them, and burden and sensitivity after that
    # (tests/test_burden.py, tests/test_charts.py and their neighbours); the warnings on
    # the input follow the headlines, which point at them (tests/test_slips.py)
    assert [n for n in names if n not in ("read_me", "summary", "headlines", "warnings",
                                          "chart_data", "burden", "sensitivity",
                                          "value_of_information", "policy")] == [
        "scenarios", "production", "flows", "stockpiles", "shortfalls", "prices",
        "expansions", "dependence", "charts"]
    assert names.index("chart_data") == names.index("charts") + 1
    assert names[2:4] == ["headlines", "warnings"] and {"burden", "sensitivity"} <= set(names)
    for sheet in RESULT_SHEETS:
        assert len(set(sheet.column_names)) == len(sheet.column_names), sheet.name


@pytest.mark.parametrize(("alpha", "expected"), [(0.0, 4.0), (0.5, 6.5), (0.6, 7.375),
                                                 (0.75, 10.0), (0.9, 10.0)])
def test_cvar_of_a_known_distribution(alpha: float, expected: float) -> None:
    assert cvar([3.0, 1.0, 10.0, 2.0], [0.25] * 4, alpha) == pytest.approx(expected)


def test_no_results_without_an_optimal_solution(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["stockpiles"][0].update(terminal_min_t=5000, max_purchase_t=0)
    outcome, input_path = solve_case(tables, tmp_path)
    assert not outcome.optimal
    with pytest.raises(ValueError, match="optimal"):
        complete_tables(outcome, input_path, "sha", 0.0)


# ---------------------------------------------------------------- the workbook


def test_every_sheet_is_a_formatted_table_with_a_frozen_header(run: Run) -> None:
    workbook = openpyxl.load_workbook(run.path)
    # value_of_information only with --value-of-information (tests/test_information.py),
    # policy only with --compare-policy (tests/test_policy.py), warnings only when the
    # input raised any (tests/test_slips.py)
    written = [s for s in RESULT_SHEETS
               if s.name not in ("value_of_information", "policy", "warnings")]
    assert workbook.sheetnames == [s.name for s in written]
    for sheet in written:
        worksheet = workbook[sheet.name]
        assert worksheet.page_setup.orientation == "landscape", sheet.name
        # printed one page wide (a width of 1 is the default, left unwritten), any tall
        assert worksheet.sheet_properties.pageSetUpPr.fitToPage, sheet.name
        assert worksheet.page_setup.fitToWidth in (None, 1)
        assert worksheet.page_setup.fitToHeight == 0
        if not sheet.columns:  # the charts sheet: charts, no table (tests/test_charts.py)
            assert not worksheet.tables
            continue
        assert worksheet.freeze_panes == "A2"
        (table,) = worksheet.tables.values()
        last = openpyxl.utils.get_column_letter(len(sheet.columns))
        assert table.ref == f"A1:{last}{max(worksheet.max_row, 2)}"
        assert table.autoFilter is not None and table.autoFilter.ref == table.ref
        assert [c.name for c in table.tableColumns] == list(sheet.column_names)
        header = [c.value for c in worksheet[1]]
        assert header == list(sheet.column_names)
        # neighbouring columns of one width are stored as one span, kept under its first
        widths = {i: d.width for d in worksheet.column_dimensions.values()
                  for i in range(d.min, d.max + 1)}
        for index, column in enumerate(sheet.columns, start=1):
            assert widths[index] >= len(column.name), (sheet.name, column.name)
            for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    wanted = column.number_format
                    if wanted in ROW_FORMATS:
                        key, by_key = ROW_FORMATS[wanted]
                        at = sheet.column_names.index(key) + 1
                        wanted = by_key[worksheet.cell(row=cell.row, column=at).value]
                    if wanted != TEXT:
                        assert cell.number_format == wanted, (sheet.name, column.name)


def test_read_me_explains_every_column(run: Run) -> None:
    read_me = run.sheets["read_me"]
    explained = set(zip(read_me["sheet"], read_me["column"].fillna(""), strict=True))
    for sheet in RESULT_SHEETS:
        assert (sheet.name, "") in explained
        for column in sheet.columns:
            assert (sheet.name, column.name) in explained
    assert read_me["meaning"].notna().all()
    marginal = read_me[read_me["column"] == "marginal_price_per_t"]["meaning"].item()
    assert "dual" in marginal
    assert ("Risk-adjusted" in marginal) == (run.data.settings.risk_weight > 0)


def test_input_workbook_is_never_touched(run: Run) -> None:
    before = run.input_path.read_bytes()
    tables = complete_tables(run.outcome, run.input_path, "sha", 0.0)
    xlsx.write(tables, run.path.with_name("again.xlsx"), input_path=run.input_path)
    with pytest.raises(ValueError, match="input workbook"):
        xlsx.write(tables, run.input_path, input_path=run.input_path)
    assert run.input_path.read_bytes() == before


@pytest.fixture(scope="module")
def small_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("small")
    outcome, input_path = solve_case(valid_tables(), folder)
    return complete_tables(outcome, input_path, "sha", 0.0)


def test_failed_write_leaves_the_old_file_and_no_temporary(
    small_tables: dict[str, pd.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "results.xlsx"
    target.write_bytes(b"the previous results")
    original_close = xlsxwriter.Workbook.close

    def crash(self: xlsxwriter.Workbook) -> None:
        original_close(self)  # a whole file, then the crash before the rename
        Path(self.filename).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(xlsxwriter.Workbook, "close", crash)
    with pytest.raises(OSError, match="disk full"):
        xlsx.write(small_tables, target)
    assert target.read_bytes() == b"the previous results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.xlsx"]


def test_write_replaces_a_file_whole_and_keeps_its_permissions(
    small_tables: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    target = tmp_path / "results.xlsx"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    assert xlsx.write(small_tables, target) == target
    assert target.stat().st_mode & 0o777 == 0o640
    assert openpyxl.load_workbook(target).sheetnames[0] == "read_me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.xlsx"]
    fresh = xlsx.write(small_tables, tmp_path / "fresh.xlsx")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


def test_report_refuses_undeclared_sheets_and_columns(
    small_tables: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="not declared"):
        xlsx.write({"extra": pd.DataFrame({"a": [1]})}, tmp_path / "r.xlsx")
    renamed = small_tables["flows"].rename(columns={"flow_t": "flow"})
    with pytest.raises(ValueError, match="flows"):
        xlsx.write({"flows": renamed}, tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []
