"""Offtakes: long-term take-or-pay agreements with facilities (MODEL.md §6.2, §7, §11).

The part of a facility's output taken under contract costs the contract price,
which is paid whether taken or not; the rest costs the facility's unit cost.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.derive import Derived
from optimizer.model.legacy.terms import Terms


def define(model: pyo.ConcreteModel, derived: Derived, terms: Terms) -> None:
    """Declare ``contract_take``, its caps and the take-or-pay payments."""
    facilities = {f.facility: f for f in derived.data.facilities}
    caps: dict[tuple[str, int], float] = {}
    for node in derived.tree.nodes:
        for facility in sorted({f for f, t in derived.contract_t if t == node.period}):
            contracted = derived.contract_t[facility, node.period]
            years = derived.years[node.period]
            available = derived.capacity_factor.get((facility, node.id), 1.0)
            # §11: take cap = avail × min(Σ active contract_t, existing capacity_t) × y
            caps[facility, node.id] = (
                available * min(contracted, facilities[facility].capacity_t) * years
            )
            terms.constant_cost(
                node.id, "contract_cost", derived.contract_payment[facility, node.period] * years
            )
    model.contract_take = pyo.Var(
        list(caps), domain=pyo.NonNegativeReals, bounds=lambda m, f, n: (0.0, caps[f, n])
    )

    def take_within_output(m: pyo.ConcreteModel, facility: str, node: int) -> object:
        r"""§6.2 Offtake: contract_take ≤ output.

        .. math:: x^{take}_{f,n} \le x^{out}_{f,n}
        """
        return m.contract_take[facility, node] <= m.output[facility, node]

    model.take_within_output = pyo.Constraint(list(caps), rule=take_within_output)
    for facility, node_id in caps:
        terms.cost(
            node_id, "production_cost", -facilities[facility].unit_cost_per_t,
            model.contract_take[facility, node_id],
        )
