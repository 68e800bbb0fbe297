"""Demand and shortfall tiers (MODEL.md §6.4, §6.5, §7).

Unmet refined demand is allowed at a price: each tier covers a share of the demand
and costs its penalty per tonne, so small shortfalls can be cheaper than large ones.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.derive import Derived
from optimizer.model.legacy.terms import Terms

ShortfallKey = tuple[str, str, int, int]  # region, mineral, tier, node


def define(model: pyo.ConcreteModel, derived: Derived, terms: Terms) -> None:
    """Declare ``shortfall`` with its tier widths as bounds, and register demand."""
    widths: dict[ShortfallKey, float] = {}
    penalties: dict[ShortfallKey, float] = {}
    for (region, mineral, node), demand in derived.demand_t.items():
        terms.refined_demand[region, mineral, node] = demand
        if demand <= 0.0:
            continue
        for step in derived.tiers[mineral]:
            key = (region, mineral, step.tier, node)
            # §6.5 Shortfall tiers: shortfall ≤ (share − previous share) × demand × y
            widths[key] = step.width * demand
            penalties[key] = step.penalty_per_t
    model.shortfall = pyo.Var(
        list(widths), domain=pyo.NonNegativeReals, bounds=lambda m, *k: (0.0, widths[k])
    )
    for key in widths:
        region, mineral, _, node = key
        variable = model.shortfall[key]
        terms.supply("refined", (region, mineral, node), 1.0, variable)
        terms.cost(node, "shortfall_penalty", penalties[key], variable)
