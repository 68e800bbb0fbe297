r"""What the scenario tree is worth: the value of the stochastic solution (VSS) and the
expected value of perfect information (EVPI), for ``optimizer run --value-of-information``.

Four numbers, each on the objective the run minimises, ρ(C) = (1 − λ) Σ_s p_s C_s +
λ CVaR_α(C), where C_s is a plan's discounted cost in scenario s (MODEL.md §7):

RP
    The recourse problem: the run itself, one plan over the scenario tree. RP is its
    objective.
EV, EEV
    The expected-value problem is one deterministic path, "the average situation": in
    every period, each node-dependent parameter is the probability-weighted mean, over
    the scenarios of positive probability, of its value at that scenario's node —
    capacity multipliers per facility, route multipliers, demand in tonnes, market
    prices (the border adjustment and the stockpile spend follow from the mean price),
    export caps and release permissions (below). Weights are the probabilities as given,
    divided by their sum; a value common to all those scenarios (any trunk period) is
    taken as it is. EEV fixes the EV optimum's capacity expansion (``build``) and every
    decision on the trunk (the nodes all scenarios share) in the full tree, lets the
    rest follow, and is the objective of that solve: the expected cost of planning for
    the average. When the EV plan cannot be carried out in every scenario, EEV is
    infinite (the convention of Birge and Louveaux) and the reason is given in words.
WS
    Wait-and-see: each scenario solved alone, with probability 1, as if known from the
    start; WS = ρ of those optima. With λ = 0 this is Σ_s p_s WS_s.
VSS, EVPI
    VSS = EEV − RP ≥ 0 (the EV plan is one of the plans RP chooses from) and
    EVPI = RP − WS ≥ 0 (each scenario's own optimum is a lower bound on any plan's cost
    in it, and ρ is monotone).

With λ > 0 the three problems are compared on the same risk-averse objective: RP and
EEV minimise ρ over the tree; WS applies ρ to the distribution of the wait-and-see
optima. A problem with one certain scenario has ρ(C) = C whatever λ, so EV and each
wait-and-see problem are solved with λ = 0.

The EV problem is an ordinary case (:class:`~optimizer.data.ModelData`) with one
scenario whose disruption rows are one fully specific row per item and period,
carrying the mean factor, so it is solved by :func:`~optimizer.pipeline.optimize` like
any run. Two parameters are not plain multipliers:

- an export cap (one per region, mineral, stage and destination) is averaged with a
  scenario that has no such cap counting as factor 1: exports up to the region's own
  available capacity. A cap exists in a period when a scenario of positive probability
  has it then; its factor is the mean. Several caps on the same thing in one scenario
  count as the tightest.
- a release permission is yes or no, so a stockpile may release in the EV problem in a
  period when it may in some scenario of positive probability then (the averaged
  disruption is partly present).

EEV is computed on the run's own matrices: the columns of ``build`` and of every
variable on a trunk node (a variable's node is the last part of its index) get the EV
optimum's value as both bounds, found through the :class:`~optimizer.solve.highs.Layout` by
position, and the LP is solved again.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from optimizer.data import Disruption, DisruptionKind, ModelData, Scenario
from optimizer.model.derive import Derived, unlocks_release
from optimizer.pipeline import Outcome, optimize
from optimizer.results.accounting import Accounts, cvar
from optimizer.solve.explain import explain_infeasible, not_solved_message
from optimizer.solve.highs import CompiledLP, Solution, SolverOptions, solve

log = logging.getLogger(__name__)

EXPECTED_VALUE = "expected_value"  # the EV problem's one scenario
FIRST_STAGE = frozenset({"build"})  # decided once, for all scenarios
OFF_THE_TREE = frozenset({"eta", "excess"})  # CVaR auxiliaries: the objective's, no node
CapKey = tuple[str, str, str, str | None]  # region, mineral, stage, destination of an export cap


@dataclass(frozen=True, slots=True)
class ScenarioValue:
    """One scenario's cost C_s under each plan (NaN where it was not computed)."""

    scenario: str
    probability: float
    wait_and_see_cost: float  # its own optimum, solved alone
    eev_cost: float  # the EV plan's first stage and trunk, the rest optimised
    rp_cost: float  # the run's stochastic plan


@dataclass(frozen=True, slots=True)
class ValueOfInformation:
    """RP, EEV and WS on the run's objective, and why any of them is missing.

    ``eev`` is ``math.inf`` when the EV plan cannot be carried out in every scenario;
    ``eev`` or ``ws`` is NaN when a problem could not be solved (a time limit, say).
    ``notes`` say why, in plain words.
    """

    rp: float
    eev: float
    ws: float
    scenarios: tuple[ScenarioValue, ...]
    notes: tuple[str, ...] = ()

    @property
    def vss(self) -> float:
        """The value of the stochastic solution, EEV − RP."""
        return self.eev - self.rp

    @property
    def evpi(self) -> float:
        """The expected value of perfect information, RP − WS."""
        return self.rp - self.ws


def value_of_information(
    outcome: Outcome, options: SolverOptions | None = None
) -> ValueOfInformation:
    """Solve the EV, EEV and wait-and-see problems of an optimal run.

    ``options`` default to the run's settings (time limit, threads) without a log file,
    so the run's own solver log is kept.
    """
    if not outcome.optimal:
        raise ValueError(f"no value of information without an optimal run "
                         f"(status: {outcome.solution.status})")
    data = outcome.data
    if options is None:
        options = SolverOptions(time_limit_s=data.settings.time_limit_s,
                                threads=data.settings.threads)
    notes: list[str] = []
    rp_costs = scenario_totals(outcome)
    eev, eev_costs = _eev(outcome, options, notes)
    alone = _wait_and_see(data, options, notes)
    ws = risk_objective(list(alone.values()), data) if all(
        math.isfinite(v) for v in alone.values()
    ) else math.nan
    rp = _objective(outcome.solution)
    information = ValueOfInformation(
        rp=rp,
        eev=eev,
        ws=ws,
        scenarios=tuple(
            ScenarioValue(s.scenario, s.probability, alone[s.scenario],
                          eev_costs.get(s.scenario, math.nan), rp_costs[s.scenario])
            for s in data.scenarios
        ),
        notes=tuple(notes),
    )
    log.info("value of information: RP %.6g, EEV %.6g, WS %.6g, VSS %.6g, EVPI %.6g",
             information.rp, information.eev, information.ws, information.vss,
             information.evpi)
    for note in notes:
        log.warning("%s", note)
    return information


# ---------------------------------------------------------------- objectives and costs


def risk_objective(costs: Sequence[float], data: ModelData) -> float:
    """ρ(C) = (1 − λ) Σ_s p_s C_s + λ CVaR_α(C), scenarios in the order of ``data``."""
    settings = data.settings
    probabilities = [s.probability for s in data.scenarios]
    expected = math.fsum(p * c for p, c in zip(probabilities, costs, strict=True))
    if settings.risk_weight == 0.0:
        return expected
    tail = cvar(list(costs), probabilities, settings.cvar_alpha)
    return (1.0 - settings.risk_weight) * expected + settings.risk_weight * tail


def _objective(solution: Solution) -> float:
    if solution.objective is None:
        raise ValueError(f"no objective without an optimum (status: {solution.status})")
    return float(solution.objective)


def scenario_totals(outcome: Outcome) -> dict[str, float]:
    """C_s of an optimal outcome's plan, by scenario (as on the ``scenarios`` sheet)."""
    if outcome.solution.values is None:
        raise ValueError(f"no costs without an optimum (status: {outcome.solution.status})")
    totals = Accounts(outcome.derived, outcome.lp, outcome.solution.values).scenario_costs[
        "total_cost"]
    return {str(s): float(v) for s, v in totals.items()}


# ---------------------------------------------------------------- the expected-value problem


def _mean(values: Sequence[float], weights: Sequence[float]) -> float:
    """The weighted mean over positive weights; a value common to all of them as it is."""
    present = [(v, w) for v, w in zip(values, weights, strict=True) if w > 0]
    first = present[0][0]
    if all(v == first for v, _ in present):
        return first
    return math.fsum(v * w for v, w in present) / math.fsum(w for _, w in present)


@dataclass(slots=True)
class _Rows:
    """The EV scenario's disruption rows of one period, each fully specific."""

    period: str
    rows: list[Disruption] = field(default_factory=list)

    def add(self, kind: DisruptionKind, factor: float, region: str | None = None,
            mineral: str | None = None, stage: str | None = None,
            destination: str | None = None, always: bool = False) -> None:
        """A row of ``kind`` with ``factor``; a factor of 1 changes nothing and is left
        out unless ``always``."""
        if factor != 1.0 or always:
            self.rows.append(Disruption(EXPECTED_VALUE, kind, region, mineral, stage,
                                        destination, self.period, self.period, factor))

    def touches(self, mineral: str) -> bool:
        """Whether a supply row names ``mineral`` (every row here names one), so permits
        the release of its stockpiles (MODEL.md §6.6)."""
        return any(r.mineral == mineral and unlocks_release(r) for r in self.rows)


def expected_value_data(derived: Derived) -> ModelData:
    """The EV problem as a case: one scenario, ``expected_value``, with probability 1,
    whose disruption rows put every node-dependent parameter at its mean (see the
    module's docstring)."""
    data, tree = derived.data, derived.tree
    weights = [s.probability for s in data.scenarios]
    paths = [tree.paths[s.scenario] for s in data.scenarios]
    caps: defaultdict[int, dict[CapKey, float]] = defaultdict(dict)
    for cap in derived.export_caps:
        on = caps[cap.node]
        on[cap.region, cap.mineral, cap.stage, cap.destination] = min(
            cap.factor, on.get((cap.region, cap.mineral, cap.stage, cap.destination), math.inf)
        )
    facilities = {(f.region, f.mineral, f.stage): f.facility for f in data.facilities}
    rows: list[Disruption] = []
    for t, period in enumerate(data.periods):
        nodes = [path[t] for path in paths]
        here = _Rows(period.period)
        for (region, mineral, stage), facility in facilities.items():
            factor = _mean([derived.capacity_factor.get((facility, n), 1.0) for n in nodes],
                           weights)
            here.add("capacity", factor, region, mineral, stage)
        for d in data.demand:
            if d.period == period.period and d.demand_t > 0:
                tonnes = d.demand_t * period.years
                here.add("demand", _mean([derived.demand_t[d.region, d.mineral, n] / tonnes
                                          for n in nodes], weights), d.region, d.mineral)
        for index, r in enumerate(data.routes):
            factor = _mean([derived.route_factor.get((index, n), 1.0) for n in nodes], weights)
            here.add("route", factor, r.origin, r.mineral, r.stage, r.destination)
        for p in data.prices:
            if p.period == period.period and p.market_price_per_t > 0:
                factor = _mean([derived.market_price[p.mineral, p.stage, n]
                                / p.market_price_per_t for n in nodes], weights)
                here.add("price", factor, mineral=p.mineral, stage=p.stage)
        capped = {key for n, w in zip(nodes, weights, strict=True) if w > 0 for key in caps[n]}
        for key in sorted(capped, key=lambda k: (*k[:3], k[3] or "")):
            factor = _mean([caps[n].get(key, 1.0) for n in nodes], weights)
            here.add("export", factor, *key, always=True)
        for s in data.stockpiles:
            allowed = any(w > 0 and (s.stockpile, n) in derived.release_allowed
                          for n, w in zip(nodes, weights, strict=True))
            if s.release_needs_disruption and allowed and not here.touches(s.mineral):
                # a supply row that changes nothing (routes × 1) but permits the release
                here.add("route", 1.0, mineral=s.mineral, always=True)
        rows.extend(here.rows)
    return replace(
        data,
        settings=replace(data.settings, risk_weight=0.0),
        scenarios=(Scenario(EXPECTED_VALUE, 1.0, "every disruption parameter at its "
                            "probability-weighted mean over the scenarios"),),
        disruptions=tuple(rows),
    )


def scenario_data(data: ModelData, scenario: str) -> ModelData:
    """One scenario alone, with probability 1: its wait-and-see problem."""
    (chosen,) = (s for s in data.scenarios if s.scenario == scenario)
    return replace(
        data,
        settings=replace(data.settings, risk_weight=0.0),
        scenarios=(replace(chosen, probability=1.0),),
        disruptions=tuple(d for d in data.disruptions if d.scenario == scenario),
    )


# ---------------------------------------------------------------- EEV


def fix_plan(outcome: Outcome, expected: Outcome) -> CompiledLP:
    """The run's LP with ``build`` and every column on a trunk node fixed at the
    optimum of the EV problem ``expected``, by position through the two layouts."""
    tree = outcome.derived.tree
    trunk = {n.id: n.period for n in tree.nodes if len(n.scenarios) == len(tree.paths)}
    ev_path = expected.derived.tree.paths[EXPECTED_VALUE]
    values = expected.solution.values
    if values is None:
        raise ValueError("the expected-value problem has no solution to fix")
    lp = outcome.lp
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    for block in lp.layout.columns:
        if block.name in OFF_THE_TREE:
            continue
        source = expected.lp.layout.column_block(block.name)
        position = {} if source is None else {
            key: source.start + i for i, key in enumerate(source.keys)
        }
        for offset, key in enumerate(block.keys):
            target: Any = key
            if block.name not in FIRST_STAGE:
                parts = key if isinstance(key, tuple) else (key,)
                if parts[-1] not in trunk:
                    continue
                target = (*parts[:-1], ev_path[trunk[parts[-1]]])
                target = target if len(target) > 1 else target[0]
            if target not in position:
                raise RuntimeError(f"{block.name}[{key}] has no counterpart in the "
                                   "expected-value problem")
            column = block.start + offset
            value = min(max(float(values[position[target]]), lower[column]), upper[column])
            lower[column] = upper[column] = value
    return replace(lp, col_lower=lower, col_upper=upper)


def _trunk_periods(derived: Derived) -> str:
    tree = derived.tree
    names = [derived.data.periods[n.period].period for n in tree.nodes
             if len(n.scenarios) == len(tree.paths)]
    if not names:
        return "its capacity expansion (no period is shared by all scenarios)"
    span = names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"
    return f"its capacity expansion and its decisions in {span} (shared by all scenarios)"


def _clash(outcome: Outcome, fixed: CompiledLP, solution: Solution) -> list[str]:
    """The irreducible infeasible subset in words, a value fixed from the EV plan said
    as such rather than as the limit it replaced."""
    lp, derived = outcome.lp, outcome.derived
    pinned = {
        i for i, _ in solution.iis_columns
        if (fixed.col_lower[i], fixed.col_upper[i]) != (lp.col_lower[i], lp.col_upper[i])
    }
    lines = explain_infeasible(derived, fixed, replace(
        solution, iis_columns=[(i, b) for i, b in solution.iis_columns if i not in pinned]
    ))
    for i in sorted(pinned):
        name, key = fixed.layout.locate_column(i)
        parts = key if isinstance(key, tuple) else (key,)
        amount = f"{fixed.col_lower[i]:,.6g}"
        if name in FIRST_STAGE:
            lines.append(f"new capacity at {key} fixed at {amount} t/yr by that plan")
        else:
            period = derived.data.periods[derived.tree.nodes[parts[-1]].period].period
            lines.append(f"{name} of {', '.join(map(str, parts[:-1]))} in period {period} "
                         f"fixed at {amount} by that plan")
    return lines


def _eev(outcome: Outcome, options: SolverOptions,
         notes: list[str]) -> tuple[float, dict[str, float]]:
    """EEV and the EV plan's cost in each scenario (empty when there is none)."""
    log.info("the expected-value problem")
    expected = optimize(expected_value_data(outcome.derived), options)
    if not expected.optimal:
        notes.append("EEV and VSS are blank: the expected-value problem has no optimal "
                     "plan. " + not_solved_message(expected.derived, expected.lp,
                                                   expected.solution))
        return math.nan, {}
    fixed = fix_plan(outcome, expected)
    log.info("its plan in the scenario tree")
    solution = solve(fixed, options)
    if solution.status in ("infeasible", "infeasible or unbounded"):
        reasons = _clash(outcome, fixed, solution)
        note = ("EEV and VSS are infinite (left blank): the plan made for the average "
                f"situation, {_trunk_periods(outcome.derived)}, cannot be carried out in "
                "every scenario.")
        if reasons:
            note += " These cannot all hold together: " + "; ".join(reasons) + "."
        notes.append(note)
        return math.inf, {}
    if solution.status != "optimal":
        notes.append("EEV and VSS are blank: the expected-value plan could not be "
                     "evaluated in the scenario tree. " + not_solved_message(
                         outcome.derived, fixed, solution))
        return math.nan, {}
    evaluated = replace(outcome, lp=fixed, solution=solution, timings={})
    return _objective(solution), scenario_totals(evaluated)


# ---------------------------------------------------------------- WS


def _wait_and_see(data: ModelData, options: SolverOptions, notes: list[str]) -> dict[str, float]:
    """Each scenario's own optimum, solved alone (NaN where it could not be)."""
    optima: dict[str, float] = {}
    for s in data.scenarios:
        log.info("scenario %s alone", s.scenario)
        alone = optimize(scenario_data(data, s.scenario), options)
        if alone.optimal:
            optima[s.scenario] = _objective(alone.solution)
        else:
            optima[s.scenario] = math.nan
            notes.append(f"WS and EVPI are blank: scenario {s.scenario} alone has no "
                         "optimal plan. " + not_solved_message(alone.derived, alone.lp,
                                                               alone.solution))
    return optima
