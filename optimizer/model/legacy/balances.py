"""The concentrate and refined balances (MODEL.md §6.3, §6.4), summed from the registry.

Balances are ≥: surplus may be left unused. Their duals are the marginal prices of
the results (§8).
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from optimizer.model.legacy.terms import BalanceKey, LinearTerm, Terms


def _linear(terms: list[LinearTerm]) -> LinearExpression:
    return LinearExpression(
        constant=0.0,
        linear_coefs=[c for c, _ in terms],
        linear_vars=[v for _, v in terms],
    )


def define(model: pyo.ConcreteModel, terms: Terms) -> None:
    """One row per region, mineral and node where anything was registered."""

    def concentrate_balance(m: pyo.ConcreteModel, *key: object) -> object:
        r"""§6.3 Concentrate balance: mine output + shipments in − shipments out + releases
        − purchases ≥ Σ refinery output ÷ yield.

        .. math:: \sum_{mines} x^{out} + \sum_{in} x^{ship} - \sum_{out} x^{ship}
                  + x^{rel} - x^{buy} - \sum_{ref} x^{out} / \eta \ge 0
        """
        return _linear(terms.concentrate[key]) >= 0.0  # type: ignore[index]

    def refined_balance(m: pyo.ConcreteModel, *key: object) -> object:
        r"""§6.4 Refined balance: refinery and recycler output + shipments in − shipments
        out + releases − purchases + Σ shortfall ≥ demand × y.

        .. math:: \sum x^{out} + \sum_{in} x^{ship} - \sum_{out} x^{ship} + x^{rel}
                  - x^{buy} + \sum_{tiers} u \ge D_{r,m,t}\, y_t
        """
        balance_key: BalanceKey = key  # type: ignore[assignment]
        return _linear(terms.refined[balance_key]) >= terms.refined_demand.get(balance_key, 0.0)

    concentrate_keys = [k for k, v in terms.concentrate.items() if v]
    refined_keys = [k for k, v in terms.refined.items() if v]
    model.concentrate_balance = pyo.Constraint(concentrate_keys, rule=concentrate_balance)
    model.refined_balance = pyo.Constraint(refined_keys, rule=refined_balance)
