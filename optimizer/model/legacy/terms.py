"""The registry that components fill and the balances and objective sum (SWITCH style).

A component never edits a balance or the objective: it registers its terms here, and
``balances.py`` and ``objective.py`` build their rows from whatever was registered.
Adding an instrument therefore adds a module, not an edit to the sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.model.terms import COST_COMPONENTS, FIRST_STAGE_NODE, CostIndex

BalanceKey = tuple[str, str, int]  # (region, mineral, node)
LinearTerm = tuple[float, Any]  # (coefficient, Pyomo variable)


@dataclass(frozen=True, slots=True)
class CostTerm:
    """``coefficient × variable`` (undiscounted, at one node) for one cost component."""

    component: str
    coefficient: float
    variable: Any


@dataclass(slots=True)
class Terms:
    """What the components registered.

    ``concentrate`` and ``refined`` hold the left-hand sides of the balances of
    MODEL.md §6.3 and §6.4 (``Σ terms ≥ rhs``); ``refined_demand`` their right-hand
    sides. ``node_cost`` holds cost(n, t) of §7 by node, ``node_constant`` its constant
    part (take-or-pay payments), and ``first_stage`` the discounted capex over the
    horizon, the same in every scenario.
    """

    concentrate: defaultdict[BalanceKey, list[LinearTerm]] = field(
        default_factory=lambda: defaultdict(list)
    )
    refined: defaultdict[BalanceKey, list[LinearTerm]] = field(
        default_factory=lambda: defaultdict(list)
    )
    refined_demand: dict[BalanceKey, float] = field(default_factory=dict)
    node_cost: defaultdict[int, list[CostTerm]] = field(default_factory=lambda: defaultdict(list))
    node_constant: defaultdict[int, dict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )
    first_stage: list[CostTerm] = field(default_factory=list)

    def supply(self, product: str, key: BalanceKey, coefficient: float, variable: Any) -> None:
        """Add ``coefficient × variable`` to the balance of ``product`` at ``key``."""
        balance = self.concentrate if product == "concentrate" else self.refined
        balance[key].append((coefficient, variable))

    def cost(self, node: int, component: str, coefficient: float, variable: Any) -> None:
        if coefficient:
            self.node_cost[node].append(CostTerm(component, coefficient, variable))

    def constant_cost(self, node: int, component: str, amount: float) -> None:
        if amount:
            self.node_constant[node][component] += amount


def cost_index(terms: Terms, column_of: Mapping[int, int]) -> CostIndex:
    """The registry's cost terms with their variables replaced by columns
    (``column_of`` maps ``id(variable)`` to its column)."""
    code = {name: i for i, name in enumerate(COST_COMPONENTS)}
    rows = [
        (code[t.component], node, column_of[id(t.variable)], t.coefficient)
        for node, node_terms in terms.node_cost.items()
        for t in node_terms
    ] + [
        (code[t.component], FIRST_STAGE_NODE, column_of[id(t.variable)], t.coefficient)
        for t in terms.first_stage
    ]
    constants = [
        (code[component], node, amount)
        for node, amounts in terms.node_constant.items()
        for component, amount in amounts.items()
    ]
    component, node, column, coefficient = (
        np.array(c) for c in zip(*rows, strict=True)
    ) if rows else (np.zeros(0),) * 4
    c_component, c_node, c_amount = (
        np.array(c) for c in zip(*constants, strict=True)
    ) if constants else (np.zeros(0),) * 3
    return CostIndex(
        component.astype(np.int64), node.astype(np.int64), column.astype(np.int64),
        coefficient.astype(float), c_component.astype(np.int64),
        c_node.astype(np.int64), c_amount.astype(float),
    )
