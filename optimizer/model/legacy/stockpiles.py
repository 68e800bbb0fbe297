"""Stockpiles (Project Vault): fill, hold, release (MODEL.md §6.6, §6.10, §7, §11).

Levels are tonnes at the end of a period; purchases and releases are tonnes in the
period, capped by their yearly rates × years. Buying and releasing at the same node
is allowed.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.derive import Derived
from optimizer.model.legacy.terms import Terms

StockNode = tuple[str, int]  # stockpile, node


def define(model: pyo.ConcreteModel, derived: Derived, terms: Terms) -> None:
    """Declare ``purchase``, ``release``, ``level``, the stock rows and the budget."""
    data, tree = derived.data, derived.tree
    stockpiles = {s.stockpile: s for s in data.stockpiles}
    last = len(data.periods) - 1
    keys = [(s.stockpile, n.id) for s in data.stockpiles for n in tree.nodes]

    def rate_bound(limit_of: str) -> object:
        def bounds(m: pyo.ConcreteModel, stockpile: str, node: int) -> tuple[float, float | None]:
            rate = getattr(stockpiles[stockpile], limit_of)
            years = derived.years[tree.nodes[node].period]
            return (0.0, None if rate is None else rate * years)

        return bounds

    def release_bounds(m: pyo.ConcreteModel, stockpile: str, node: int) -> object:
        # §6.6: release = 0 where it needs a disruption of its mineral and none is active
        if (stockpile, node) not in derived.release_allowed:
            return (0.0, 0.0)
        return rate_bound("max_release_t")(m, stockpile, node)  # type: ignore[operator]

    def level_bounds(m: pyo.ConcreteModel, stockpile: str, node: int) -> tuple[float, float]:
        # §6.6: min_level_t ≤ level ≤ capacity_t; level ≥ terminal_min_t in the last period
        s = stockpiles[stockpile]
        low = s.min_level_t
        if tree.nodes[node].period == last:
            low = max(low, s.terminal_min_t)
        return (low, s.capacity_t)

    model.purchase = pyo.Var(keys, domain=pyo.NonNegativeReals,
                             bounds=rate_bound("max_purchase_t"))
    model.release = pyo.Var(keys, domain=pyo.NonNegativeReals, bounds=release_bounds)
    model.level = pyo.Var(keys, domain=pyo.NonNegativeReals, bounds=level_bounds)

    def stock_balance(m: pyo.ConcreteModel, stockpile: str, node: int) -> object:
        r"""§6.6 Stock: level = level at the parent node (or initial_t) + purchase − release.

        .. math:: s_{k,n} = s_{k,p(n)} + x^{buy}_{k,n} - x^{rel}_{k,n}
        """
        parent = tree.nodes[node].parent
        previous = stockpiles[stockpile].initial_t if parent is None else m.level[
            stockpile, parent
        ]
        return m.level[stockpile, node] == (
            previous + m.purchase[stockpile, node] - m.release[stockpile, node]
        )

    model.stock_balance = pyo.Constraint(keys, rule=stock_balance)

    for name, node_id in keys:
        s, node = stockpiles[name], tree.nodes[node_id]
        balance_key = (s.region, s.mineral, node_id)
        terms.supply(s.stage, balance_key, 1.0, model.release[name, node_id])
        terms.supply(s.stage, balance_key, -1.0, model.purchase[name, node_id])
        terms.cost(node_id, "holding_cost", s.holding_cost_per_t * derived.years[node.period],
                   model.level[name, node_id])

    _define_budget(model, derived)


def _define_budget(model: pyo.ConcreteModel, derived: Derived) -> None:
    budget = derived.data.settings.stockpile_budget
    if budget is None or not derived.data.stockpiles:
        return
    prices = {
        (s.stockpile, n.id): derived.market_price.get((s.mineral, s.stage, n.id), 0.0)
        for s in derived.data.stockpiles
        for n in derived.tree.nodes
    }
    # one row per distinct path: scenarios that share every node share the row
    leaves = {path[-1]: scenario for scenario, path in derived.tree.paths.items()}
    scenarios = sorted(leaves.values(), key=list(derived.tree.paths).index)

    def stockpile_budget(m: pyo.ConcreteModel, scenario: str) -> object:
        r"""§6.10 Stockpile budget: for every scenario, Σ over the nodes on its path of
        purchase × market price ≤ stockpile_budget.

        .. math:: \sum_{n \in path(s)} \sum_k p_{k,n} x^{buy}_{k,n} \le B
        """
        spend = sum(
            prices[s.stockpile, n] * m.purchase[s.stockpile, n]
            for n in derived.tree.paths[scenario]
            for s in derived.data.stockpiles
            if prices[s.stockpile, n] > 0
        )
        if isinstance(spend, int):
            return pyo.Constraint.Skip
        return spend <= budget

    model.stockpile_budget = pyo.Constraint(scenarios, rule=stockpile_budget)
