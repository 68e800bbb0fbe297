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

# The cost components of MODEL.md §7, in the order the results show them.
COST_COMPONENTS: tuple[str, ...] = (
    "production_cost",
    "contract_cost",
    "transport_cost",
    "border_adjustment",
    "holding_cost",
    "shortfall_penalty",
    "capex",
)

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


FIRST_STAGE_NODE = -1  # the node of a first-stage cost term: decided once, for all scenarios


@dataclass(frozen=True, slots=True)
class CostIndex:
    """Where every cost term of MODEL.md §7 sits among the LP's columns, as arrays.

    Term ``i`` adds ``coefficient[i] × x[column[i]]`` to cost component
    ``COST_COMPONENTS[component[i]]`` at node ``node[i]``, undiscounted; a node of
    :data:`FIRST_STAGE_NODE` marks a first-stage term whose coefficient is already
    discounted over the horizon (capex), the same in every scenario. The constants
    (take-or-pay payments) add ``constant_amount`` to their component at their node.
    Everything the results report in money is a sparse product of the solution with
    these arrays (:mod:`optimizer.results.accounting`), so no report reads a modelling
    object.
    """

    component: np.ndarray  # int64, index into COST_COMPONENTS
    node: np.ndarray  # int64, node id or FIRST_STAGE_NODE
    column: np.ndarray  # int64, column of the LP
    coefficient: np.ndarray  # float64
    constant_component: np.ndarray  # int64
    constant_node: np.ndarray  # int64
    constant_amount: np.ndarray  # float64

    @classmethod
    def empty(cls) -> CostIndex:
        integers, floats = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=float)
        return cls(integers, integers, integers, floats, integers, integers, floats)

    @classmethod
    def of(cls, terms: Terms, column_of: Mapping[int, int]) -> CostIndex:
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
        return cls(
            component.astype(np.int64), node.astype(np.int64), column.astype(np.int64),
            coefficient.astype(float), c_component.astype(np.int64),
            c_node.astype(np.int64), c_amount.astype(float),
        )
