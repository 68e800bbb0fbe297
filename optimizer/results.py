"""Solution tables (MODEL.md §8): an optimal outcome as one DataFrame per results sheet.

Pure: no file is read or written. Node results are computed once per node of the
scenario tree, then repeated under every scenario whose path passes through the node,
so each scenario reads as a complete plan. Periods appear by name. Cost components
are summed from what the model's components registered (the LP's cost index), so they add up
to the objective by construction, whatever terms a component adds. Every table has
exactly the columns of :mod:`optimizer.results_contract`, in its order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer import __version__
from optimizer.burden import burden  # the planner's report
from optimizer.charts import chart_data  # what the charts sheet plots
from optimizer.data import Product
from optimizer.derive import PRODUCT_OF_STAGE
from optimizer.headlines import headlines  # the planner's report
from optimizer.model.terms import COST_COMPONENTS, FIRST_STAGE_NODE
from optimizer.pipeline import Outcome
from optimizer.results_contract import (
    CHART_KINDS,
    CHARTS_SHEET,
    FIGURES,
    INFORMATION_FIGURES,
    MARGINAL_PRICE_RISK_NOTE,
    RESULT_SHEETS,
    RESULT_SHEETS_BY_NAME,
    unit_text,
)
from optimizer.sensitivity import sensitivity  # the planner's report

if TYPE_CHECKING:  # information.py builds on this module's costs
    from optimizer.information import ValueOfInformation

Tables = dict[str, pd.DataFrame]
BALANCES: tuple[tuple[Product, str], ...] = (
    ("concentrate", "concentrate_balance"),  # MODEL.md §6.3
    ("refined", "refined_balance"),  # MODEL.md §6.4
)
TINY = 1e-9  # solver noise below this many tonnes or money units is shown as 0
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True, slots=True)
class Tree:
    """The scenario tree as tables: what every sheet needs to place a node."""

    nodes: pd.DataFrame  # by node id: period (index), period_name, probability, discount, years
    paths: pd.DataFrame  # scenario, node, scenario_rank: one row per scenario and period
    scenarios: tuple[str, ...]

    @classmethod
    def of(cls, outcome: Outcome) -> Tree:
        derived = outcome.derived
        names = [p.period for p in outcome.data.periods]
        nodes = pd.DataFrame(
            [
                (n.id, n.period, names[n.period], n.probability, derived.discount[n.period],
                 derived.years[n.period])
                for n in derived.tree.nodes
            ],
            columns=["node", "period_index", "period_name", "probability", "discount", "years"],
        ).set_index("node")
        scenarios = tuple(s.scenario for s in outcome.data.scenarios)
        paths = pd.DataFrame(
            [
                (scenario, node, rank)
                for rank, scenario in enumerate(scenarios)
                for node in derived.tree.paths[scenario]
            ],
            columns=["scenario", "node", "scenario_rank"],
        )
        return cls(nodes, paths, scenarios)

    def by_scenario(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Repeat node rows (a ``node`` column) under every scenario through the node.

        Rows come out by scenario, then in the order of ``frame``; ``node`` becomes
        the ``period`` name and a ``scenario`` column.
        """
        ordered = frame.assign(_row=np.arange(len(frame)))
        merged = ordered.merge(self.paths, on="node").sort_values(
            ["scenario_rank", "_row"], kind="stable"
        )
        merged["period"] = merged["node"].map(self.nodes["period_name"])
        return merged.drop(columns=["node", "_row", "scenario_rank"]).reset_index(drop=True)


# ---------------------------------------------------------------- entry point


def tables(
    outcome: Outcome, input_path: Path | str, input_sha256: str, total_seconds: float,
    information: ValueOfInformation | None = None,
) -> Tables:
    """Every sheet of MODEL.md §8 and the planner's report, by sheet name: all but
    ``charts``, which :mod:`optimizer.report` draws from ``chart_data``.

    ``input_path``, ``input_sha256`` and ``total_seconds`` are the run's provenance,
    which the outcome cannot know. ``information``, when the run computed it, adds its
    figures to the summary and the ``value_of_information`` sheet. Raises
    ``ValueError`` unless the outcome is optimal.
    """
    if not outcome.optimal:
        raise ValueError(
            f"no results without an optimal solution (status: {outcome.solution.status})"
        )
    tree = Tree.of(outcome)
    costs = node_costs(outcome)
    capex = first_stage_cost(outcome)
    supply = zone_supply(outcome)
    by_scenario = scenario_costs(tree, costs, capex)
    result: Tables = {
        "read_me": read_me(outcome.data.settings.currency, outcome.data.settings.risk_weight,
                           outcome.data.settings.cvar_alpha),
        "summary": summary(outcome, tree, costs, capex, by_scenario, input_path, input_sha256,
                           total_seconds),
        "scenarios": scenarios(outcome, tree, by_scenario, supply),
        "production": production(outcome, tree),
        "flows": flows(outcome, tree),
        "stockpiles": stockpiles(outcome, tree),
        "shortfalls": shortfalls(outcome, tree),
        "prices": prices(outcome, tree),
        "expansions": expansions(outcome),
        "dependence": dependence(tree, supply),
    }
    # ---- the planner's report: built from the sheets above (and the solution's ranging)
    result["burden"] = burden(outcome, result)
    result["sensitivity"] = sensitivity(outcome)
    result["headlines"] = headlines(outcome, result)
    result["chart_data"] = chart_data(outcome, result)
    # ----
    # ---- value of information: only when the run asked for it
    if information is not None:
        result["summary"] = pd.concat(
            [result["summary"], information_figures(information, outcome.data.settings.currency)],
            ignore_index=True,
        )
        result["value_of_information"] = value_of_information(information)
    # ----
    return {name: conform(name, frame) for name, frame in result.items()}


def conform(sheet: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in exactly the declared columns of ``sheet``, in their order."""
    columns = list(RESULT_SHEETS_BY_NAME[sheet].column_names)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{sheet}: columns {missing} were not computed")
    return frame[columns].reset_index(drop=True)


# ---------------------------------------------------------------- values and costs


def _term_money(outcome: Outcome) -> np.ndarray:
    """coefficient × value of every cost term of the LP's cost index."""
    costs, values = outcome.lp.costs, outcome.solution.values
    assert values is not None, "costs need an optimal solution"
    return np.asarray(costs.coefficient * values[costs.column], dtype=float)


def node_costs(outcome: Outcome) -> pd.DataFrame:
    """cost(n, t) of MODEL.md §7, undiscounted, by node (rows) and component (columns).

    ``capex`` is a first-stage cost, so 0 here; see :func:`first_stage_cost`.
    """
    costs, width = outcome.lp.costs, len(COST_COMPONENTS)
    nodes = len(outcome.derived.tree.nodes)
    at_node = costs.node != FIRST_STAGE_NODE
    totals = np.bincount(costs.node[at_node] * width + costs.component[at_node],
                         weights=_term_money(outcome)[at_node], minlength=nodes * width)
    totals += np.bincount(costs.constant_node * width + costs.constant_component,
                          weights=costs.constant_amount, minlength=nodes * width)
    frame = pd.DataFrame(totals.reshape(nodes, width), columns=list(COST_COMPONENTS))
    frame.index.name = "node"
    return frame


def first_stage_cost(outcome: Outcome) -> float:
    """The discounted capex over the horizon, the same in every scenario."""
    first = outcome.lp.costs.node == FIRST_STAGE_NODE
    return float(_term_money(outcome)[first].sum())


def scenario_costs(tree: Tree, costs: pd.DataFrame, capex: float) -> pd.DataFrame:
    """C_s by component: Σ over the path of δ_t × cost(node, t), plus capex; and the total.

    Indexed by scenario, in the order of the scenarios sheet.
    """
    discounted = costs.mul(tree.nodes["discount"], axis=0)
    per_scenario = (
        tree.paths.join(discounted, on="node").groupby("scenario", sort=False)[
            list(COST_COMPONENTS)
        ].sum()
    )
    per_scenario["capex"] = per_scenario["capex"] + capex
    per_scenario["total_cost"] = per_scenario[list(COST_COMPONENTS)].sum(axis=1)
    return per_scenario.reindex(list(tree.scenarios))


def expected_costs(tree: Tree, costs: pd.DataFrame, capex: float) -> pd.Series:
    """Σ_n π_n δ_t × cost(n, t) by component, capex added once."""
    weight = tree.nodes["probability"] * tree.nodes["discount"]
    expected = costs.mul(weight, axis=0).sum()
    expected["capex"] = expected["capex"] + capex
    return expected


def cvar(costs: Sequence[float], probabilities: Sequence[float], alpha: float) -> float:
    """CVaR_α = min over η of η + Σ_s p_s max(0, C_s − η) ÷ (1 − α) (MODEL.md §7).

    The function of η is piecewise linear and convex with its kinks at the costs, so
    the minimum is at one of them; suffix sums find it in O(S log S).
    """
    if not len(costs):
        return 0.0
    order = np.argsort(np.asarray(costs, dtype=float), kind="stable")
    c = np.asarray(costs, dtype=float)[order]
    p = np.asarray(probabilities, dtype=float)[order]
    # Σ over the costs above c_k (those equal to it add nothing)
    above_p = np.append(np.cumsum(p[::-1])[::-1][1:], 0.0)
    above_pc = np.append(np.cumsum((p * c)[::-1])[::-1][1:], 0.0)
    values = c + (above_pc - c * above_p) / (1.0 - alpha)
    return float(values.min())


# ---------------------------------------------------------------- summary and scenarios


def summary(
    outcome: Outcome,
    tree: Tree,
    costs: pd.DataFrame,
    capex: float,
    by_scenario: pd.DataFrame,
    input_path: Path | str,
    input_sha256: str,
    total_seconds: float,
) -> pd.DataFrame:
    """The ``summary`` sheet: one row per declared figure."""
    settings = outcome.data.settings
    expected = expected_costs(tree, costs, capex)
    probabilities = [s.probability for s in outcome.data.scenarios]
    variables, constraints = outcome.lp.size
    values: dict[str, object] = {
        "status": outcome.solution.status,
        "objective": outcome.solution.objective,
        **{name: float(expected[name]) for name in COST_COMPONENTS},
        "expected_cost": float(expected.sum()),
        "zone_net_cost": float(expected.sum()) - border_adjustment_into_zone(outcome, tree),
        "cvar": cvar(by_scenario["total_cost"].tolist(), probabilities, settings.cvar_alpha),
        "risk_weight": settings.risk_weight,
        "cvar_alpha": settings.cvar_alpha,
        "variables": variables,
        "constraints": constraints,
        "solve_seconds": outcome.solution.solve_seconds,
        "total_seconds": total_seconds,
        "input_file": str(input_path),
        "input_sha256": input_sha256,
        "version": __version__,
    }
    return pd.DataFrame(
        {
            "figure": [f.name for f in FIGURES],
            "value": pd.Series([values[f.name] for f in FIGURES], dtype=object),
            "unit": [unit_text(f.unit, settings.currency) for f in FIGURES],
            "meaning": [f.meaning for f in FIGURES],
        }
    )


def border_adjustment_into_zone(outcome: Outcome, tree: Tree) -> float:
    """Expected discounted border adjustments paid on routes into member regions."""
    derived = outcome.derived
    ship = outcome.values("ship")
    weight = (tree.nodes["probability"] * tree.nodes["discount"]).to_dict()
    total = 0.0
    for (route, node), adjustment in derived.border_adjustment.items():
        r = derived.data.routes[route]
        if derived.zone_member[r.destination]:
            flow = ship[r.origin, r.destination, r.mineral, r.stage, node]
            total += weight[node] * adjustment * flow
    return total


def scenarios(
    outcome: Outcome, tree: Tree, by_scenario: pd.DataFrame, supply: pd.DataFrame
) -> pd.DataFrame:
    """The ``scenarios`` sheet: cost, unmet demand and dependence along each path."""
    periods = [p.period for p in outcome.data.periods]
    shortfall: defaultdict[int, float] = defaultdict(float)
    for (_, _, _, node), value in outcome.values("shortfall").items():
        shortfall[node] += value
    supply_by_node = supply.groupby("node")[["from_members_t", "from_non_members_t"]].sum()
    rows = []
    for s in outcome.data.scenarios:
        path = list(outcome.derived.tree.paths[s.scenario])
        leaves = outcome.derived.tree.leaves_trunk(s.scenario)
        along = supply_by_node.reindex(path).sum()
        rows.append({
            "scenario": s.scenario,
            "description": s.description,
            "probability": s.probability,
            "leaves_trunk": None if leaves is None else periods[leaves],
            "shortfall_t": _clean_value(sum(shortfall[n] for n in path)),
            "non_member_share": _share(along["from_non_members_t"],
                                       along["from_members_t"] + along["from_non_members_t"]),
        })
    frame = pd.DataFrame(rows)
    costs = by_scenario.reset_index(names="scenario")
    return frame.merge(costs, on="scenario", how="left")


# ---------------------------------------------------------------- operations


def production(outcome: Outcome, tree: Tree) -> pd.DataFrame:
    """The ``production`` sheet: output against available capacity."""
    derived = outcome.derived
    output = outcome.values("output")
    take = outcome.values("contract_take")
    build = outcome.values("build")
    period_index = {p.period: i for i, p in enumerate(outcome.data.periods)}
    rows = []
    for f in outcome.data.facilities:
        online = period_index[f.online_period]
        for node in derived.tree.nodes:
            new = build.get(f.facility, 0.0) if node.period >= online else 0.0
            available = derived.capacity_factor.get((f.facility, node.id), 1.0)
            capacity = available * (f.capacity_t + new) * derived.years[node.period]
            made = output[f.facility, node.id]
            rows.append({
                "facility": f.facility, "node": node.id, "region": f.region,
                "mineral": f.mineral, "stage": f.stage, "output_t": made,
                "contract_take_t": take.get((f.facility, node.id), np.nan),
                "capacity_t": capacity,
                "utilisation": _share(made, capacity),
            })
    return _clean(tree.by_scenario(_frame(rows, "production")),
                  ["output_t", "contract_take_t", "capacity_t"])


def flows(outcome: Outcome, tree: Tree) -> pd.DataFrame:
    """The ``flows`` sheet: shipments on every route, with cost and border adjustment."""
    derived = outcome.derived
    ship = outcome.values("ship")
    rows = []
    for index, r in enumerate(outcome.data.routes):
        for node in derived.tree.nodes:
            rows.append({
                "origin": r.origin, "destination": r.destination, "mineral": r.mineral,
                "stage": r.stage, "node": node.id,
                "flow_t": ship[r.origin, r.destination, r.mineral, r.stage, node.id],
                "cost_per_t": r.cost_per_t,
                "border_adjustment_per_t": derived.border_adjustment.get((index, node.id), 0.0),
            })
    return _clean(tree.by_scenario(_frame(rows, "flows")), ["flow_t"])


def stockpiles(outcome: Outcome, tree: Tree) -> pd.DataFrame:
    """The ``stockpiles`` sheet: levels, purchases, releases, spend and cover."""
    derived = outcome.derived
    level, purchase, release = (outcome.values(n) for n in ("level", "purchase", "release"))
    rows = []
    for s in outcome.data.stockpiles:
        for node in derived.tree.nodes:
            key = (s.stockpile, node.id)
            price = derived.market_price.get((s.mineral, s.stage, node.id), 0.0)
            demand = derived.demand_t.get((s.region, s.mineral, node.id), 0.0)
            daily = demand / (derived.years[node.period] * DAYS_PER_YEAR)
            rows.append({
                "stockpile": s.stockpile, "node": node.id, "region": s.region,
                "mineral": s.mineral, "stage": s.stage, "level_t": level[key],
                "purchase_t": purchase[key], "release_t": release[key],
                "spend": purchase[key] * price,
                "cover_days": level[key] / daily if daily > 0 else np.nan,
            })
    return _clean(tree.by_scenario(_frame(rows, "stockpiles")),
                  ["level_t", "purchase_t", "release_t", "spend", "cover_days"])


def shortfalls(outcome: Outcome, tree: Tree) -> pd.DataFrame:
    """The ``shortfalls`` sheet: demand and unmet demand per region, mineral and node."""
    derived = outcome.derived
    unmet: defaultdict[tuple[str, str, int], float] = defaultdict(float)
    for (region, mineral, _, node), value in outcome.values("shortfall").items():
        unmet[region, mineral, node] += value
    rank = _ranks(outcome)
    keys = sorted(derived.demand_t, key=lambda k: (rank["region"][k[0]], rank["mineral"][k[1]],
                                                   k[2]))
    rows = [
        {"region": r, "mineral": m, "node": n, "demand_t": derived.demand_t[r, m, n],
         "shortfall_t": unmet[r, m, n], "share": _share(unmet[r, m, n], derived.demand_t[r, m, n])}
        for r, m, n in keys
    ]
    return _clean(tree.by_scenario(_frame(rows, "shortfalls")),
                  ["demand_t", "shortfall_t", "share"])


def prices(outcome: Outcome, tree: Tree) -> pd.DataFrame:
    """The ``prices`` sheet: marginal prices (balance duals ÷ (π_n δ_t)) against the
    market and floor prices."""
    derived = outcome.derived
    weight = (tree.nodes["probability"] * tree.nodes["discount"]).to_dict()
    rows = []
    for stage, row_name in BALANCES:
        for (region, mineral, node), dual in outcome.duals(row_name).items():
            period = derived.tree.nodes[node].period
            marginal = dual / weight[node] if weight[node] > 0 else np.nan
            floor = derived.floor_price.get((mineral, stage, period), np.nan)
            rows.append({
                "region": region, "mineral": mineral, "stage": stage, "node": node,
                "marginal_price_per_t": marginal,
                "market_price_per_t": derived.market_price.get((mineral, stage, node), np.nan),
                "floor_price_per_t": floor,
                "price_gap": max(0.0, floor - marginal) if not np.isnan(floor - marginal)
                else np.nan,
            })
    frame = _frame(rows, "prices")
    rank = _ranks(outcome)
    frame = frame.sort_values(
        by=["region", "mineral", "stage", "node"],
        key=lambda c: c.map(rank[c.name]) if c.name in rank else c, kind="stable",
    )
    return _clean(tree.by_scenario(frame), ["marginal_price_per_t", "price_gap"])


def expansions(outcome: Outcome) -> pd.DataFrame:
    """The ``expansions`` sheet: one row per expandable facility."""
    build = outcome.values("build")
    annual = outcome.derived.annualised_capex
    rows = [
        {"facility": f.facility, "region": f.region, "mineral": f.mineral, "stage": f.stage,
         "online_period": f.online_period, "expandable_t": f.expandable_t,
         "built_t": build.get(f.facility, 0.0),
         "capex": build.get(f.facility, 0.0) * f.capex_per_t,
         "annualised_cost": build.get(f.facility, 0.0) * annual.get(f.facility, 0.0)}
        for f in outcome.data.facilities
        if f.expandable_t > 0
    ]
    return _clean(_frame(rows, "expansions", by_node=False),
                  ["built_t", "capex", "annualised_cost"])


# ---------------------------------------------------------------- dependence


def zone_supply(outcome: Outcome) -> pd.DataFrame:
    """Zone supply of refined product by mineral and node (see ``results_contract``).

    Columns as the ``dependence`` sheet's, by node; ``non_member_share`` is left blank.
    """
    data, derived = outcome.data, outcome.derived
    member = derived.zone_member
    made: defaultdict[tuple[str, int], float] = defaultdict(float)
    bought: defaultdict[tuple[str, int], float] = defaultdict(float)
    output, release, ship = (outcome.values(n) for n in ("output", "release", "ship"))
    for f in data.facilities:
        if member[f.region] and PRODUCT_OF_STAGE[f.stage] == "refined":
            for node in derived.tree.nodes:
                made[f.mineral, node.id] += output[f.facility, node.id]
    for s in data.stockpiles:
        if member[s.region] and s.stage == "refined":
            for node in derived.tree.nodes:
                made[s.mineral, node.id] += release[s.stockpile, node.id]
    for r in data.routes:
        if r.stage != "refined" or member[r.origin] == member[r.destination]:
            continue
        for node in derived.tree.nodes:
            flow = ship[r.origin, r.destination, r.mineral, r.stage, node.id]
            if member[r.origin]:
                made[r.mineral, node.id] -= flow  # leaves the zone
            else:
                bought[r.mineral, node.id] += flow
    rows = [
        {"mineral": m.mineral, "node": node.id,
         "from_members_t": max(0.0, made[m.mineral, node.id]),
         "from_non_members_t": bought[m.mineral, node.id]}
        for m in data.minerals
        for node in derived.tree.nodes
    ]
    return _frame(rows, "dependence")


def dependence(tree: Tree, supply: pd.DataFrame) -> pd.DataFrame:
    """The ``dependence`` sheet: zone supply by source per mineral, period and scenario."""
    frame = supply.assign(non_member_share=[
        _share(n, m + n)
        for m, n in zip(supply["from_members_t"], supply["from_non_members_t"], strict=True)
    ])
    return _clean(tree.by_scenario(frame),
                  ["from_members_t", "from_non_members_t", "non_member_share"])


# ---------------------------------------------------------------- value of information


def information_figures(information: ValueOfInformation, currency: str) -> pd.DataFrame:
    """The summary rows of the value of information (rp, eev, ws, vss, evpi and a note);
    an infinite or uncomputed value is left blank (NaN), the note says why."""
    values: dict[str, object] = {
        "rp": information.rp,
        "eev": information.eev,
        "ws": information.ws,
        "vss": information.vss,
        "evpi": information.evpi,
        "information_note": " ".join(information.notes),
    }
    shown = [v if not isinstance(v, float) or np.isfinite(v) else np.nan
             for v in (values[f.name] for f in INFORMATION_FIGURES)]
    return pd.DataFrame(
        {
            "figure": [f.name for f in INFORMATION_FIGURES],
            "value": pd.Series(shown, dtype=object),
            "unit": [unit_text(f.unit, currency) for f in INFORMATION_FIGURES],
            "meaning": [f.meaning for f in INFORMATION_FIGURES],
        }
    )


def value_of_information(information: ValueOfInformation) -> pd.DataFrame:
    """The ``value_of_information`` sheet: each scenario's cost under the three plans."""
    rows = [
        {"scenario": s.scenario, "probability": s.probability,
         "wait_and_see_cost": s.wait_and_see_cost, "eev_cost": s.eev_cost,
         "rp_cost": s.rp_cost}
        for s in information.scenarios
    ]
    return _frame(rows, "value_of_information", by_node=False)


# ---------------------------------------------------------------- read_me


def read_me(currency: str, risk_weight: float, cvar_alpha: float) -> pd.DataFrame:
    """The ``read_me`` sheet: every sheet and column of the contract, explained."""
    rows: list[tuple[str, str, str, str]] = [
        ("read_me", "", "Results of one optimizer run. Money is in "
         f"{currency}; t are tonnes; periods appear by name. A node of the scenario tree "
         "is shared by the scenarios that cannot yet be told apart; its results repeat "
         "under each of them, so every scenario reads as a complete plan. Filter any "
         "table on scenario to read one plan.", ""),
    ]
    for sheet in RESULT_SHEETS:
        what = f"One row per {sheet.row}. " if sheet.columns else ""  # charts: no rows
        rows.append((sheet.name, "", what + sheet.meaning, ""))
        if sheet is CHARTS_SHEET:
            rows += [(sheet.name, kind.name, kind.meaning, unit_text(kind.unit, currency))
                     for kind in CHART_KINDS]
        for column in sheet.columns:
            meaning = column.read_me_meaning
            if column.name == "marginal_price_per_t" and risk_weight > 0:
                meaning += MARGINAL_PRICE_RISK_NOTE.format(risk_weight=risk_weight,
                                                           cvar_alpha=cvar_alpha)
            rows.append((sheet.name, column.name, meaning, unit_text(column.unit, currency)))
    return pd.DataFrame(rows, columns=["sheet", "column", "meaning", "unit"])


# ---------------------------------------------------------------- helpers


def _frame(
    rows: Iterable[Mapping[str, object]], sheet: str, by_node: bool = True
) -> pd.DataFrame:
    """Records of ``sheet`` as a DataFrame with all its columns, even without records.

    Rows ``by_node`` carry a ``node`` column in place of ``period`` and ``scenario``
    (see :meth:`Tree.by_scenario`).
    """
    columns = list(RESULT_SHEETS_BY_NAME[sheet].column_names)
    if by_node:
        columns = [c for c in columns if c not in ("period", "scenario")] + ["node"]
    return pd.DataFrame(list(rows), columns=columns)


def _share(part: float, whole: float) -> float:
    """``part ÷ whole``, or NaN (a blank cell) when ``whole`` is not positive."""
    return part / whole if whole > TINY else np.nan


def _clean_value(value: float) -> float:
    return 0.0 if abs(value) < TINY else value


def _clean(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Solver noise (|x| < TINY, and −0) shown as 0; blanks stay blank."""
    cleaned = frame.copy()
    for column in columns:
        values = pd.to_numeric(cleaned[column]).astype(float)
        cleaned[column] = values.where(~(values.abs() < TINY), 0.0)
    return cleaned


def _ranks(outcome: Outcome) -> dict[str, dict[Any, int]]:
    """Input order of regions, minerals and stages, for sorting rows as the input does."""
    data = outcome.data
    return {
        "region": {r.region: i for i, r in enumerate(data.regions)},
        "mineral": {m.mineral: i for i, m in enumerate(data.minerals)},
        "stage": {"concentrate": 0, "refined": 1},
    }
