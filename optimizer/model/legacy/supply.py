"""Supply: mines, refineries, recyclers and capacity expansion (MODEL.md §3, §5, §6.1, §6.10).

Mines make concentrate; refineries turn concentrate of their own region into refined
product at their yield; recyclers make refined product from inputs the model does not
track. Expansion is decided once, before period one, for all scenarios.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.derive import PRODUCT_OF_STAGE, Derived
from optimizer.model.legacy.terms import CostTerm, Terms


def define(model: pyo.ConcreteModel, derived: Derived, terms: Terms) -> None:
    """Declare ``build`` and ``output``, the capacity rows and the expansion budget."""
    data, tree = derived.data, derived.tree
    expandable = [f for f in data.facilities if f.expandable_t > 0]
    limits = {f.facility: f.expandable_t for f in expandable}
    model.build = pyo.Var(
        list(limits), domain=pyo.NonNegativeReals, bounds=lambda m, f: (0.0, limits[f])
    )
    output_keys = [(f.facility, n.id) for f in data.facilities for n in tree.nodes]
    model.output = pyo.Var(output_keys, domain=pyo.NonNegativeReals)
    period_index = {p.period: i for i, p in enumerate(data.periods)}

    capacity_rows: dict[tuple[str, int], tuple[float, float]] = {}
    for facility in data.facilities:
        online = period_index[facility.online_period]
        for node in tree.nodes:
            available = derived.capacity_factor.get((facility.facility, node.id), 1.0)
            years = derived.years[node.period]
            variable = model.output[facility.facility, node.id]
            limit = available * facility.capacity_t * years
            if facility.expandable_t > 0 and node.period >= online and available > 0:
                capacity_rows[facility.facility, node.id] = (available * years, limit)
            else:
                variable.setub(limit)
            key = (facility.region, facility.mineral, node.id)
            terms.supply(PRODUCT_OF_STAGE[facility.stage], key, 1.0, variable)
            if facility.stage == "refine":
                terms.supply("concentrate", key, -1.0 / facility.yield_, variable)
            terms.cost(node.id, "production_cost", facility.unit_cost_per_t, variable)

    def capacity(m: pyo.ConcreteModel, facility: str, node: int) -> object:
        r"""§6.1 Capacity: output ≤ avail × (capacity_t + build × [t ≥ online_period]) × y.

        .. math:: x^{out}_{f,n} - a_{f,n} y_t b_f \le a_{f,n} C_f y_t
        """
        scale, limit = capacity_rows[facility, node]
        return m.output[facility, node] - scale * m.build[facility] <= limit

    model.capacity = pyo.Constraint(list(capacity_rows), rule=capacity)

    for facility in expandable:
        online = period_index[facility.online_period]
        annual = derived.annualised_capex[facility.facility]
        discounted = sum(
            derived.discount[t] * derived.years[t] * annual
            for t in range(online, len(data.periods))
        )
        if discounted:
            terms.first_stage.append(
                CostTerm("capex", discounted, model.build[facility.facility])
            )

    budget = data.settings.expansion_budget
    # free expansions (capex 0) spend nothing; without any priced one the row would be empty
    priced = [f for f in expandable if f.capex_per_t > 0]
    if budget is not None and priced:
        model.expansion_budget = pyo.Constraint(
            expr=sum(f.capex_per_t * model.build[f.facility] for f in priced) <= budget,
            doc="§6.10 Expansion budget: Σ build × capex_per_t ≤ expansion_budget",
        )

