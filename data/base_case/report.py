"""Headline figures and tables of ``docs/base_case.md`` from a solved run of the case."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from base_case.defence import OriginRule, origin_rule, origin_rule_markdown
from base_case.figures import DEFAULT_OUTPUT
from base_case.minerals import MINERALS, PERIODS

if TYPE_CHECKING:
    from optimizer.pipeline import Outcome


# ================================================================ headline results


@dataclass(frozen=True, slots=True)
class Headlines:
    """What docs/base_case.md reports from a solved run of the case (and the tests pin)."""

    status: str
    objective: float
    size: tuple[int, int]  # variables, constraints
    nodes: int
    expected_cost: dict[str, float]  # component -> USD, expected and discounted
    scenario_cost: dict[str, dict[str, float]]  # scenario -> component -> USD
    shortfall_t: dict[str, dict[str, float]]  # scenario -> mineral -> t over the horizon
    builds: dict[str, float]  # facility -> t/yr
    vault_capacity_t: dict[str, float]  # mineral -> t
    vault_days: dict[str, float]  # mineral -> days of US demand at capacity
    calm_levels: dict[str, list[float]]  # mineral -> level at the end of each period
    cover_at_start: dict[str, dict[str, float]]  # scenario -> mineral -> days of cover
    vault_spend: dict[str, float]  # scenario -> USD spent on purchases (market prices)
    gap_per_t: dict[str, tuple[float, float]]  # mineral -> (calm gap, dumping gap) USD/t
    border_by_mineral: dict[str, float]  # mineral -> expected discounted USD paid
    non_member_share: dict[str, dict[str, float]]  # scenario -> mineral -> share
    origin: OriginRule  # the defence origin rule's premium and certified shortfall


def headlines(o: Outcome) -> Headlines:
    """Headline figures of a solved run (an :class:`optimizer.pipeline.Outcome`), read
    from the optimizer's own results tables and accounting, never recomputed here."""
    from optimizer.results import Provenance, collect

    data, derived = o.data, o.derived
    tree = derived.tree
    results = collect(o, Provenance(DEFAULT_OUTPUT.name, "", 0.0))
    accounts = results.accounts
    scenario_cost = {
        str(s): {**{c: float(v) for c, v in row.items() if c != "total_cost"},
                 "total": float(row["total_cost"])}
        for s, row in accounts.scenario_costs.iterrows()
    }
    expected = {**{c: float(v) for c, v in accounts.expected_costs.items()},
                "total": float(accounts.expected_costs.sum())}

    short = results.by_scenario("shortfalls")
    by_mineral = short.groupby(["scenario", "mineral"], sort=False)["shortfall_t"].sum()
    shortfall_t = {s.scenario: {str(m): float(v) for (sc, m), v in by_mineral.items()
                                if sc == s.scenario and v > 0.5} for s in data.scenarios}

    stock = results.by_scenario("stockpiles")
    us_demand = {d.mineral: d.demand_t for d in data.demand
                 if d.region == "US" and d.period == data.periods[0].period}
    vault = {s.mineral: s for s in data.stockpiles}
    level = stock.set_index(["stockpile", "scenario", "period"])["level_t"]
    periods = [p.period for p in data.periods]
    calm_levels = {m: [float(level[s.stockpile, "calm", t]) for t in periods]
                   for m, s in vault.items()}
    order = {p: i for i, p in enumerate(periods)}
    cover_at_start: dict[str, dict[str, float]] = {}
    for s in data.scenarios:
        rows = [r for r in data.disruptions if r.scenario == s.scenario and r.kind != "price"]
        starts: dict[str, int] = {}
        for row in rows:
            for m in ([row.mineral] if row.mineral else list(vault)):
                starts[m] = min(starts.get(m, 99), order[row.start_period])
        cover_at_start[s.scenario] = {
            m: (vault[m].initial_t if t == 0
                else float(level[vault[m].stockpile, s.scenario, periods[t - 1]]))
            / (us_demand[m] / 365)
            for m, t in starts.items()
        }
    spend = stock.groupby("scenario", sort=False)["spend"].sum()
    vault_spend = {s.scenario: float(spend.get(s.scenario, 0.0)) for s in data.scenarios}

    calm_node = tree.paths["calm"][0]
    dumping_node = tree.paths["price_dumping"][order["2028H1"]]
    gap: dict[str, tuple[float, float]] = {}
    for mi in data.minerals:
        floor = derived.floor_price.get((mi.mineral, "refined", 0))
        if floor is None:
            continue
        calm_price = derived.market_price[mi.mineral, "refined", calm_node]
        dumping_price = derived.market_price[mi.mineral, "refined", dumping_node]
        gap[mi.mineral] = (max(0.0, floor - calm_price), max(0.0, floor - dumping_price))
    paid = accounts.border_by_region
    weighted = paid["border_floor_gap"] * accounts.tree.weight[paid["node"].to_numpy()]
    border = {str(m): float(v) for m, v in weighted.groupby(paid["mineral"]).sum().items()}

    supply = results.by_scenario("dependence").groupby(["scenario", "mineral"], sort=False)[
        ["from_members_t", "from_non_members_t"]].sum()
    share = {
        s.scenario: {
            m.mineral: (lambda ours, theirs: theirs / (ours + theirs) if ours + theirs else 0.0)(
                *supply.loc[(s.scenario, m.mineral)].tolist())
            for m in data.minerals
        }
        for s in data.scenarios
    }
    built = results.sheets["expansions"]

    return Headlines(
        status=o.solution.status,
        objective=float(o.solution.objective or 0.0),
        size=o.lp.size,
        nodes=len(tree.nodes),
        expected_cost=expected,
        scenario_cost=scenario_cost,
        shortfall_t=shortfall_t,
        builds={str(f): float(v) for f, v in zip(built["facility"], built["built_t"],
                                                 strict=True) if v > 1e-6},
        vault_capacity_t={m: s.capacity_t for m, s in vault.items()},
        vault_days={m: s.capacity_t / (us_demand[m] / 365) for m, s in vault.items()},
        calm_levels=calm_levels,
        cover_at_start=cover_at_start,
        vault_spend=vault_spend,
        gap_per_t=gap,
        border_by_mineral=border,
        non_member_share=share,
        origin=origin_rule(results),
    )


def solve_case(path: Path) -> Outcome:
    """Load and solve a case workbook; the :class:`optimizer.pipeline.Outcome`."""
    from optimizer.pipeline import optimize
    from optimizer.solve.highs import SolverOptions
    from optimizer.workbook.validation import load

    data, _ = load(path)
    return optimize(data, SolverOptions())


def headline_markdown(h: Headlines) -> str:
    """The headline tables of docs/base_case.md."""
    bn = 1e9
    mineral_order = [m.mineral for m in MINERALS]
    periods = list(PERIODS)
    out = [f"status {h.status}; objective {h.objective:,.0f} USD; {h.size[0]:,} variables, "
           f"{h.size[1]:,} constraints; {h.nodes} tree nodes.", ""]
    out += ["| cost component (bn USD, discounted) | expected | "
            + " | ".join(h.scenario_cost) + " |",
            "|---|" + "---:|" * (len(h.scenario_cost) + 1)]
    for component in h.expected_cost:
        out.append(f"| {component} | {h.expected_cost[component] / bn:,.2f} | " + " | ".join(
            f"{h.scenario_cost[s][component] / bn:,.2f}" for s in h.scenario_cost) + " |")
    out += ["", "| scenario | shortfall by mineral, t over 2026-2030 | Vault purchases, "
            "bn USD |", "|---|---|---:|"]
    for s, minerals in h.shortfall_t.items():
        text = ", ".join(f"{m} {minerals[m]:,.0f}" for m in sorted(
            minerals, key=mineral_order.index)) or "none"
        out.append(f"| {s} | {text} | {h.vault_spend[s] / bn:,.2f} |")
    out += ["", "| mineral | Vault t (60 days) | calm fill: level at end of "
            + ", ".join(p for p in periods) + " (t) |", "|---|---:|---|"]
    for m in mineral_order:
        levels = ", ".join(f"{v:,.0f}" if v >= 10 else f"{max(v, 0.0) + 0.0:.1f}"
                           for v in h.calm_levels[m])
        out.append(f"| {m} | {h.vault_capacity_t[m]:,.1f} | {levels} |")
    out += ["", "| scenario | days of US demand in the Vault when the disruption starts |",
            "|---|---|"]
    for s, cover in h.cover_at_start.items():
        if cover:
            days = [f"{m} {max(cover[m], 0.0) + 0.0:.0f}"
                    for m in sorted(cover, key=mineral_order.index)]
            out.append(f"| {s} | {', '.join(days)} |")
    out += ["", "| facility | built, t/yr |", "|---|---:|"]
    out += [f"| {f} | {v:,.1f} |" for f, v in h.builds.items()]
    out += ["", "| mineral | floor − market, calm (USD/t) | floor − market, dumping (USD/t) "
            "| expected border floor gap paid (m USD) |", "|---|---:|---:|---:|"]
    for m in mineral_order:
        calm, dump = h.gap_per_t.get(m, (0.0, 0.0))
        out.append(f"| {m} | {calm:,.0f} | {dump:,.0f} | "
                   f"{h.border_by_mineral.get(m, 0.0) / 1e6:,.1f} |")
    scenarios = list(h.non_member_share)
    out += ["", "| non-member share of zone refined supply, 2026-2030 | "
            + " | ".join(scenarios) + " |",
            "|---|" + "---:|" * len(scenarios)]
    for m in mineral_order:
        out.append(f"| {m} | " + " | ".join(
            f"{100 * h.non_member_share[s][m]:.0f}%" for s in scenarios) + " |")
    out += ["", *origin_rule_markdown(h.origin)]
    return "\n".join(out)
