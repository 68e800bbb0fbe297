"""Objective and risk: discounted expected cost, optionally blended with CVaR (MODEL.md §7).

Probabilities and discount factors enter only here, never a constraint row, so
constraint coefficients stay in tonnes and years and well scaled.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from optimizer.derive import Derived
from optimizer.model.legacy.terms import Terms


def _expression(
    pairs: dict[int, float], variables: dict[int, object], constant: float
) -> LinearExpression:
    return LinearExpression(
        constant=constant,
        linear_coefs=list(pairs.values()),
        linear_vars=[variables[i] for i in pairs],
    )


def _accumulate(
    pairs: dict[int, float], variables: dict[int, object], coefficient: float, variable: object
) -> None:
    key = id(variable)
    pairs[key] = pairs.get(key, 0.0) + coefficient
    variables[key] = variable


def scenario_cost(derived: Derived, terms: Terms, scenario: str) -> tuple[dict[int, float],
                                                                          dict[int, object],
                                                                          float]:
    """C_s = Σ_t δ_t cost(node(t, s), t) + discounted capex, as coefficients and a constant."""
    pairs: dict[int, float] = {}
    variables: dict[int, object] = {}
    constant = 0.0
    for node_id in derived.tree.paths[scenario]:
        delta = derived.discount[derived.tree.nodes[node_id].period]
        for term in terms.node_cost[node_id]:
            _accumulate(pairs, variables, delta * term.coefficient, term.variable)
        constant += delta * sum(terms.node_constant[node_id].values())
    for term in terms.first_stage:
        _accumulate(pairs, variables, term.coefficient, term.variable)
    return pairs, variables, constant


def define(model: pyo.ConcreteModel, derived: Derived, terms: Terms) -> None:
    r"""Minimise (1 − λ) Σ_s p_s C_s + λ (η + Σ_s p_s excess_s / (1 − α)).

    When λ = 0 this is Σ_n π_n δ_t cost(n, t) + capex, and no CVaR variables exist.
    """
    pairs: dict[int, float] = {}
    variables: dict[int, object] = {}
    constant = 0.0
    for node in derived.tree.nodes:
        weight = node.probability * derived.discount[node.period]
        if weight == 0.0:
            continue
        for term in terms.node_cost[node.id]:
            _accumulate(pairs, variables, weight * term.coefficient, term.variable)
        constant += weight * sum(terms.node_constant[node.id].values())
    for term in terms.first_stage:
        _accumulate(pairs, variables, term.coefficient, term.variable)

    settings = derived.data.settings
    risk = settings.risk_weight
    if risk == 0.0:
        model.objective = pyo.Objective(
            expr=_expression(pairs, variables, constant), sense=pyo.minimize
        )
        return
    scenarios = [s.scenario for s in derived.data.scenarios]
    probability = {s.scenario: s.probability for s in derived.data.scenarios}
    model.eta = pyo.Var(domain=pyo.Reals)
    model.excess = pyo.Var(scenarios, domain=pyo.NonNegativeReals)

    def cvar_excess(m: pyo.ConcreteModel, scenario: str) -> object:
        r"""§7 CVaR: excess_s ≥ C_s − η.

        .. math:: e_s + \eta - C_s \ge 0
        """
        cost_pairs, cost_variables, cost_constant = scenario_cost(derived, terms, scenario)
        return m.excess[scenario] + m.eta - _expression(cost_pairs, cost_variables, 0.0) >= (
            cost_constant
        )

    model.cvar_excess = pyo.Constraint(scenarios, rule=cvar_excess)
    tail = 1.0 / (1.0 - settings.cvar_alpha)
    model.objective = pyo.Objective(
        expr=(1.0 - risk) * _expression(pairs, variables, constant)
        + risk * (model.eta + sum(probability[s] * tail * model.excess[s] for s in scenarios)),
        sense=pyo.minimize,
    )
