"""Objective and risk: discounted expected cost, optionally blended with CVaR (MODEL.md §7).

Probabilities and discount factors enter only here, never a constraint row, so
constraint coefficients stay in tonnes and years and well scaled. Each cost term is
weighted and the terms of a column summed in the order they were registered.
"""

from __future__ import annotations

import numpy as np

from optimizer.model.component import Columns, Component, Rows
from optimizer.model.indices import Indices
from optimizer.model.program import GREATER, Program
from optimizer.model.terms import Terms


def define(program: Program, ix: Indices, terms: Terms) -> None:
    r"""Minimise (1 − λ) Σ_s p_s C_s + λ (η + Σ_s p_s excess_s / (1 − α)).

    When λ = 0 this is Σ_n π_n δ_t cost(n, t) + capex, and no CVaR variables exist.
    """
    node, column, coefficient = terms.node_cost.arrays()
    _, first_column, first_coefficient = terms.first_stage.arrays()
    constant_by_node = terms.node_constants(ix.nodes)
    program.costs = terms.cost_index()

    weight = ix.probability * ix.discount
    counted = weight[node] != 0.0  # a node of probability 0 carries no cost
    expected = np.concatenate([(weight[node] * coefficient)[counted], first_coefficient])
    constant = 0.0
    for w, amount in zip(weight.tolist(), constant_by_node.tolist(), strict=True):
        if w != 0.0:
            constant += w * amount

    settings = ix.derived.data.settings
    risk = settings.risk_weight
    if risk == 0.0:
        program.cost = _sum_by_column(np.concatenate([column[counted], first_column]),
                                      expected, program.columns)
        program.offset = constant
        return
    scenarios = [s.scenario for s in ix.derived.data.scenarios]
    probability = np.array([s.probability for s in ix.derived.data.scenarios])
    eta = program.add_variables("eta", [None], -np.inf, np.inf,
                                "the value at risk of CVaR (§7), free")
    excess = program.add_variables("excess", scenarios, 0.0, np.inf,
                                   "scenario cost above eta (§7)")
    _cvar_excess(program, ix, terms, scenarios, eta, excess)
    cost = _sum_by_column(np.concatenate([column[counted], first_column]), expected,
                          program.columns) * (1.0 - risk)
    cost[eta] = risk
    cost[excess] = probability * (1.0 / (1.0 - settings.cvar_alpha)) * risk
    program.cost = cost
    program.offset = (1.0 - risk) * constant


def _sum_by_column(column: np.ndarray, coefficient: np.ndarray, width: int) -> np.ndarray:
    """The coefficients of each column added up, in order (``np.bincount`` sums
    sequentially)."""
    return np.bincount(column, weights=coefficient, minlength=width).astype(float)


def _cvar_excess(program: Program, ix: Indices, terms: Terms, scenarios: list[str],
                 eta: np.ndarray, excess: np.ndarray) -> None:
    r"""§7 CVaR: excess_s ≥ C_s − η, with C_s = Σ_t δ_t cost(node(t, s), t) + capex.

    .. math:: e_s + \eta - \sum_{t} \delta_t\, cost(n(t, s), t) - capex \ge
              \sum_t \delta_t\, cost^{fixed}(n(t, s), t)
    """
    node, column, coefficient = terms.node_cost.arrays()
    _, first_column, first_coefficient = terms.first_stage.arrays()
    constant_by_node = terms.node_constants(ix.nodes)
    # a column's terms all sit at its node: sum them once, δ-weighted, in order
    columns, inverse = np.unique(column, return_inverse=True)
    at = np.zeros(len(columns), dtype=np.int64)
    at[inverse] = node
    discounted = np.bincount(inverse, weights=ix.discount[node] * coefficient,
                             minlength=len(columns))
    rows, entries, values, rhs = [], [], [], []
    for row, scenario in enumerate(scenarios):
        path = np.asarray(ix.derived.tree.paths[scenario], dtype=np.int64)
        on_path = np.zeros(ix.nodes, dtype=bool)
        on_path[path] = True
        chosen = on_path[at]
        count = int(chosen.sum()) + len(first_column) + 2
        rows.append(np.full(count, row, dtype=np.int64))
        entries.append(np.concatenate([[excess[row], eta[0]], columns[chosen], first_column]))
        values.append(np.concatenate([[1.0, 1.0], -discounted[chosen], -first_coefficient]))
        fixed = 0.0
        for n in path.tolist():
            fixed += ix.discount[n] * constant_by_node[n]
        rhs.append(fixed)
    program.add_constraints(
        "cvar_excess", scenarios, GREATER, np.array(rhs), np.concatenate(rows),
        np.concatenate(entries), np.concatenate(values), _cvar_excess.__doc__,
    )


COMPONENT = Component(
    "objective", define,
    rows=(Rows("cvar_excess", "§7 CVaR"),),
    columns=(Columns("eta", "§7 CVaR"), Columns("excess", "§7 CVaR")),
)
