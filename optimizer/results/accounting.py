r"""The one place that sums money: every cost and figure of the report, from arrays.

Cost components come from the solution vector and the :class:`~optimizer.model.terms.CostIndex`
the model compiled (which cost term sits on which column, with which coefficient, at
which node); nothing here reads a modelling object. Node costs are summed with
``np.bincount``; scenario costs are a product with the path incidence of the tree
(scenario × node, 1 where the scenario passes through the node); expected costs weigh
nodes by probability × δ_t (MODEL.md §7):

.. math:: C_s = \sum_{n \in path(s)} \delta_{t(n)} \, cost(n) + capex, \qquad
          E[C] = \sum_n \pi_n \delta_{t(n)} \, cost(n) + capex

Everything a report sheet needs in money (who pays at the border, contract payments
and capex by region) is computed here once, as tables by node and region, and turned
into scenario and expected figures by :meth:`Accounts.along_paths` and
:meth:`Accounts.expected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from optimizer.model.derive import Derived
from optimizer.model.terms import FIRST_STAGE_NODE, CostIndex
from optimizer.results.keys import route_index
from optimizer.results.tree import Tree
from optimizer.solve.highs import CompiledLP, key_columns

# Solver noise below this many tonnes or money units counts as 0 in the figures computed
# here (shares, who pays); what the results show is tidied once more by results/tidy.py.
TINY = 1e-9


@dataclass(frozen=True)
class Accounts:
    """The money of one optimal plan, by node, scenario and in expectation."""

    derived: Derived
    lp: CompiledLP
    values: np.ndarray  # the solution, by column

    @cached_property
    def tree(self) -> Tree:
        return Tree(self.derived)

    def along_paths(self, by_node: pd.DataFrame) -> pd.DataFrame:
        """Σ over each scenario's path of δ_t × the node's amounts (``by_node`` indexed
        by node id 0…N−1, one column per amount), indexed by scenario."""
        discounted = by_node.to_numpy(dtype=float) * self.tree.discount[:, None]
        return pd.DataFrame(self.tree.incidence @ discounted, index=pd.Index(
            self.tree.scenarios, name="scenario"), columns=by_node.columns)

    def expected(self, by_node: pd.DataFrame) -> pd.Series:
        """Σ_n π_n δ_t × the node's amounts."""
        return pd.Series(self.tree.weight @ by_node.to_numpy(dtype=float),
                         index=by_node.columns)

    # ---------------------------------------------------------------- cost components

    @property
    def costs(self) -> CostIndex:
        return self.lp.costs

    @property
    def components(self) -> list[str]:
        """The cost components, as the model compiled them (every component's, in the
        order the results show them)."""
        return list(self.costs.names)

    @cached_property
    def term_money(self) -> np.ndarray:
        """coefficient × value of every cost term."""
        money: np.ndarray = self.costs.coefficient * self.values[self.costs.column]
        return money

    @cached_property
    def node_costs(self) -> pd.DataFrame:
        """cost(n, t) of §7, undiscounted: node (rows) × component (columns); capex, a
        first-stage cost, is 0 here (see :attr:`first_stage`)."""
        count, width = len(self.derived.tree.nodes), len(self.components)
        at_node = self.costs.node != FIRST_STAGE_NODE
        cell = self.costs.node[at_node] * width + self.costs.component[at_node]
        totals = np.bincount(cell, weights=self.term_money[at_node], minlength=count * width)
        constant_cell = self.costs.constant_node * width + self.costs.constant_component
        totals += np.bincount(constant_cell, weights=self.costs.constant_amount,
                              minlength=count * width)
        frame = pd.DataFrame(totals.reshape(count, width), columns=self.components)
        frame.index.name = "node"
        return frame

    @cached_property
    def first_stage(self) -> pd.Series:
        """First-stage cost by component (capex), discounted over the horizon, the same
        in every scenario."""
        first = self.costs.node == FIRST_STAGE_NODE
        totals = np.bincount(self.costs.component[first], weights=self.term_money[first],
                             minlength=len(self.components))
        return pd.Series(totals, index=self.components)

    @cached_property
    def scenario_costs(self) -> pd.DataFrame:
        """C_s by component and ``total_cost``, indexed by scenario in input order."""
        frame = self.along_paths(self.node_costs) + self.first_stage
        frame["total_cost"] = frame[self.components].sum(axis=1)
        return frame

    @cached_property
    def expected_costs(self) -> pd.Series:
        """Σ_n π_n δ_t cost(n, t) by component, first-stage costs added once."""
        return self.expected(self.node_costs) + self.first_stage

    @cached_property
    def cvar(self) -> float:
        """CVaR at the settings' α of the scenario costs C_s (whatever the risk weight)."""
        probabilities = [s.probability for s in self.derived.data.scenarios]
        return cvar(self.scenario_costs["total_cost"].tolist(), probabilities,
                    self.derived.data.settings.cvar_alpha)

    # ---------------------------------------------------------------- who pays

    def _ship(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The ``ship`` columns: route (as an index into the data's routes) and node of
        each, and their values."""
        block = self.lp.layout.column_block("ship")
        if block is None or not block.keys:
            return pd.DataFrame({"route": np.zeros(0, np.int64),
                                 "node": np.zeros(0, np.int64)}), np.zeros(0)
        data = self.derived.data
        columns = key_columns(block, 5)
        route = route_index(columns, data.routes, [r.region for r in data.regions],
                            [m.mineral for m in data.minerals])
        frame = pd.DataFrame({"route": route, "node": np.asarray(columns[4], dtype=np.int64)})
        return frame, self.values[block.start:block.stop]

    @cached_property
    def border_by_region(self) -> pd.DataFrame:
        """What buyers in each member region pay at the border, by node, undiscounted:
        ``border_tariff`` (tariff_per_t × shipments into the region, from anywhere) and
        ``border_floor_gap`` (the rest of the border adjustment: max(0, floor − market
        price) × shipments from non-members). Rows (region, mineral, node) with a
        payment."""
        ship, flow = self._ship()
        routes = self.derived.data.routes
        member = self.derived.zone_member
        destination = np.array([r.destination for r in routes], dtype=object)
        into_member = np.array([member[r.destination] for r in routes], dtype=bool)
        tariff = np.array([r.tariff_per_t for r in routes], dtype=float)
        adjustment = self._adjustment(ship)
        keep = into_member[ship["route"].to_numpy()] if len(ship) else np.zeros(0, bool)
        route = ship["route"].to_numpy()[keep]
        mineral = np.array([r.mineral for r in routes], dtype=object)
        frame = pd.DataFrame({
            "region": destination[route],
            "mineral": mineral[route],
            "node": ship["node"].to_numpy()[keep],
            "border_tariff": tariff[route] * flow[keep],
            "border_floor_gap": (adjustment[keep] - tariff[route]) * flow[keep],
        })
        return frame.groupby(["region", "mineral", "node"], as_index=False, sort=False).sum()

    def _adjustment(self, ship: pd.DataFrame) -> np.ndarray:
        """The border adjustment per tonne of every ship column (§3)."""
        adjustment = np.zeros(len(ship))
        if not len(ship):
            return adjustment
        position = pd.Series(np.arange(len(ship)),
                             index=pd.MultiIndex.from_frame(ship[["route", "node"]]))
        border = self.derived.border_adjustment
        if border:
            keys = pd.MultiIndex.from_tuples(list(border))
            found = position.reindex(keys).to_numpy()
            present = ~np.isnan(found)
            adjustment[found[present].astype(np.int64)] = np.fromiter(
                border.values(), dtype=float, count=len(border))[present]
        return adjustment

    @cached_property
    def border_into_zone(self) -> float:
        """Expected discounted border adjustments paid on routes into member regions:
        expected_cost − zone_net_cost of the summary."""
        paid = self.border_by_region
        amount = (paid["border_tariff"] + paid["border_floor_gap"]).to_numpy()
        return float(self.tree.weight[paid["node"].to_numpy()] @ amount) if len(paid) else 0.0

    @cached_property
    def contract_payments_by_region(self) -> pd.DataFrame:
        """Take-or-pay payments by the facility's region and node, undiscounted (the
        same at every node of a period)."""
        region = {f.facility: f.region for f in self.derived.data.facilities}
        rows = [
            (region[facility], node, payment * self.derived.years[period])
            for (facility, period), payment in self.derived.contract_payment.items()
            for node in np.flatnonzero(self.tree.period == period).tolist()
        ]
        return pd.DataFrame(rows, columns=["region", "node", "contract_payments"])

    @cached_property
    def capex_by_region(self) -> pd.Series:
        """First-stage capex (discounted as the objective charges it) by the region of
        the facility expanded."""
        block = self.lp.layout.column_block("build")
        capex = self.components.index("capex")
        chosen = (self.costs.node == FIRST_STAGE_NODE) & (self.costs.component == capex)
        region = {f.facility: f.region for f in self.derived.data.facilities}
        if block is None or not chosen.any():
            return pd.Series(dtype=float)
        facility = np.asarray(block.keys, dtype=object)[self.costs.column[chosen] - block.start]
        return pd.Series(self.term_money[chosen], index=[region[f] for f in facility]) \
            .groupby(level=0, sort=False).sum()


def cvar(costs: list[float], probabilities: list[float], alpha: float) -> float:
    """CVaR_α = min over η of η + Σ_s p_s max(0, C_s − η) ÷ (1 − α) (MODEL.md §7).

    The function of η is piecewise linear and convex with its kinks at the costs, so
    the minimum is at one of them; suffix sums find it in O(S log S).
    """
    if not len(costs):
        return 0.0
    order = np.argsort(np.asarray(costs, dtype=float), kind="stable")
    c = np.asarray(costs, dtype=float)[order]
    p = np.asarray(probabilities, dtype=float)[order]
    # Σ over the costs above c_k (those equal to it add nothing)
    above_p = np.append(np.cumsum(p[::-1])[::-1][1:], 0.0)
    above_pc = np.append(np.cumsum((p * c)[::-1])[::-1][1:], 0.0)
    values = c + (above_pc - c * above_p) / (1.0 - alpha)
    return float(values.min())


def clean(values: np.ndarray) -> np.ndarray:
    """Solver noise (|x| < TINY, and −0) as 0; NaN (a blank) stays."""
    return np.where(np.abs(values) < TINY, 0.0, values)
