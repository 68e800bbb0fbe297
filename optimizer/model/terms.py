"""The registry that components fill and the balances and objective sum (SWITCH style).

A component never edits a balance or the objective: it registers its terms here, as
arrays (a balance or node for each term, the term's column, its coefficient), and
``balances.py`` and ``objective.py`` build their rows from whatever was registered.
Adding an instrument therefore adds a module, not an edit to the sums.

Hooks let components use each other's decisions without reading each other's
variables: supply registers the facilities' :class:`Capacity` (their ``output``
columns and available capacity, new capacity included), which offtakes and the
export caps read; stockpiles register their :class:`Stocks` (the ``purchase``,
``release`` and ``level`` columns), and any component may add flows into or out of a
stockpile with :meth:`Terms.stock_flow` (a reserve swap's loans and returns, say),
which join the stock balance of §6.6 when the balances close.

Cost terms name their cost component of §7; the names, in the order the results show
them, are those the components declare (:func:`optimizer.model.component.cost_components`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizer.data import Product

FIRST_STAGE_NODE = -1  # the node of a first-stage cost term: decided once, for all scenarios


def _concatenate(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


@dataclass(slots=True)
class Entries:
    """Linear terms as parallel arrays, in the order they were registered: term ``i``
    adds ``coefficient[i] × x[column[i]]`` to the row or node ``code[i]``."""

    codes: list[np.ndarray] = field(default_factory=list)
    columns: list[np.ndarray] = field(default_factory=list)
    coefficients: list[np.ndarray] = field(default_factory=list)

    def add(self, code: np.ndarray, column: np.ndarray, coefficient: np.ndarray | float) -> None:
        """Register the terms, flattened in C order (the last index varies fastest)."""
        code, column = np.asarray(code, dtype=np.int64), np.asarray(column, dtype=np.int64)
        self.codes.append(code.ravel())
        self.columns.append(column.ravel())
        self.coefficients.append(
            np.broadcast_to(np.asarray(coefficient, dtype=float), code.shape).ravel())

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (_concatenate(self.codes, np.int64), _concatenate(self.columns, np.int64),
                _concatenate(self.coefficients, float))


@dataclass(frozen=True, slots=True)
class Capacity:
    """The facilities' output and what may produce it (MODEL.md §6.1), by facility
    (rows, in data order) and node (columns): registered by supply for the components
    that cap something by a facility's output or capacity.

    ``output`` holds the ``output`` columns. The capacity available at a node is
    ``available × (capacity_t + build × online)`` t/yr (before × years), with ``build``
    the column ``build_column`` (−1 for a facility that cannot expand).
    """

    facility: dict[str, int]
    output: np.ndarray  # int64 (facilities, nodes)
    available: np.ndarray  # float (facilities, nodes): the capacity multiplier
    capacity_t: np.ndarray  # float (facilities,): existing capacity
    online: np.ndarray  # bool (facilities, nodes): new capacity counts here
    build_column: np.ndarray  # int64 (facilities,), −1 where not expandable


@dataclass(frozen=True, slots=True)
class Stocks:
    """The stockpiles' columns (MODEL.md §6.6), by stockpile (rows, in data order) and
    node (columns): registered by stockpiles for the components that move stock.

    The stock balance of stockpile ``k`` at node ``n`` is row ``k × nodes + n`` of the
    ``stock_balance`` block: level = level at the parent node (or initial_t) + purchase
    − release + the flows registered with :meth:`Terms.stock_flow`.
    """

    stockpile: dict[str, int]
    purchase: np.ndarray  # int64 (stockpiles, nodes)
    release: np.ndarray  # int64 (stockpiles, nodes)
    level: np.ndarray  # int64 (stockpiles, nodes)
    region: np.ndarray  # int64 (stockpiles,): region codes, as Indices.region has them
    mineral: np.ndarray  # int64 (stockpiles,): mineral codes
    stage: np.ndarray  # str (stockpiles,): the product held


@dataclass(slots=True)
class Terms:
    """What the components registered.

    ``concentrate`` and ``refined`` hold the left-hand sides of the balances of
    MODEL.md §6.3 and §6.4 (``Σ terms ≥ rhs``), coded by
    :meth:`optimizer.model.indices.Indices.balance_code`; ``demand_codes`` and
    ``demand_amounts`` the refined balances' right-hand sides. ``node_cost`` holds the
    terms of cost(n, t) of §7 (coded by node; ``cost_component`` says whose), the
    ``constant_*`` lists its constant part (take-or-pay payments), and ``first_stage``
    the discounted capex over the horizon, the same in every scenario. A column's cost
    terms all sit at its own node (a variable belongs to one node). ``cost_names`` are
    the cost components a term may name, in the order the results show them.
    ``stock_flows`` holds the flows into stock components registered, coded by their
    stock balance row (:class:`Stocks`).
    """

    cost_names: tuple[str, ...]
    concentrate: Entries = field(default_factory=Entries)
    refined: Entries = field(default_factory=Entries)
    demand_codes: list[np.ndarray] = field(default_factory=list)
    demand_amounts: list[np.ndarray] = field(default_factory=list)
    cost_component: list[np.ndarray] = field(default_factory=list)
    node_cost: Entries = field(default_factory=Entries)  # code: node
    constant_component: list[np.ndarray] = field(default_factory=list)
    constant_node: list[np.ndarray] = field(default_factory=list)
    constant_amount: list[np.ndarray] = field(default_factory=list)
    first_stage_component: list[np.ndarray] = field(default_factory=list)
    first_stage: Entries = field(default_factory=Entries)  # code: FIRST_STAGE_NODE
    capacity: Capacity | None = None
    stocks: Stocks | None = None
    stock_flows: Entries = field(default_factory=Entries)  # code: row of stock_balance

    def cost_position(self, name: str) -> int:
        """The position of cost component ``name`` among :attr:`cost_names`."""
        try:
            return self.cost_names.index(name)
        except ValueError:
            raise KeyError(f"no component declares the cost component {name!r}") from None

    def supply(self, product: Product, balance: np.ndarray, column: np.ndarray,
               coefficient: np.ndarray | float) -> None:
        """Add ``coefficient × x[column]`` to the balances of ``product`` coded ``balance``."""
        entries = self.concentrate if product == "concentrate" else self.refined
        entries.add(balance, column, coefficient)

    def refined_demand(self, balance: np.ndarray, amount: np.ndarray) -> None:
        """The right-hand side (t) of the refined balances coded ``balance``."""
        self.demand_codes.append(np.asarray(balance, dtype=np.int64))
        self.demand_amounts.append(np.asarray(amount, dtype=float))

    def stock_flow(self, stockpile: np.ndarray, node: np.ndarray, column: np.ndarray,
                   coefficient: np.ndarray | float) -> None:
        """Add ``coefficient × x[column]`` to the stock of ``stockpile`` (positions in data
        order) at ``node``: into stock when positive, out of it when negative (§6.6)."""
        assert self.stocks is not None, "stockpiles register their stocks first"
        nodes = self.stocks.level.shape[1]
        row = np.asarray(stockpile, dtype=np.int64) * nodes + np.asarray(node, dtype=np.int64)
        self.stock_flows.add(row, column, coefficient)

    def cost(self, component: str, node: np.ndarray, column: np.ndarray,
             coefficient: np.ndarray) -> None:
        """Add ``coefficient × x[column]`` to ``component`` of cost(node, t), undiscounted;
        zero coefficients are left out."""
        node, column, coefficient = _nonzero(node, column, coefficient)
        self.cost_component.append(
            np.full(len(node), self.cost_position(component), dtype=np.int64))
        self.node_cost.add(node, column, coefficient)

    def constant_cost(self, component: str, node: np.ndarray, amount: np.ndarray) -> None:
        """Add a fixed ``amount`` to ``component`` of cost(node, t); zeros are left out."""
        amount = np.asarray(amount, dtype=float)
        keep = amount != 0.0
        self.constant_component.append(
            np.full(int(keep.sum()), self.cost_position(component), dtype=np.int64))
        self.constant_node.append(np.asarray(node, dtype=np.int64)[keep])
        self.constant_amount.append(amount[keep])

    def first_stage_cost(self, component: str, column: np.ndarray,
                         coefficient: np.ndarray) -> None:
        """Add ``coefficient × x[column]`` (already discounted over the horizon) to every
        scenario's cost; zero coefficients are left out."""
        node = np.full(len(column), FIRST_STAGE_NODE, dtype=np.int64)
        node, column, coefficient = _nonzero(node, column, coefficient)
        self.first_stage_component.append(
            np.full(len(node), self.cost_position(component), dtype=np.int64))
        self.first_stage.add(node, column, coefficient)

    def constants(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The constants by node and component (component, node, amount), each summed in
        the order registered."""
        width = len(self.cost_names)
        cell = (_concatenate(self.constant_node, np.int64) * width
                + _concatenate(self.constant_component, np.int64))
        cells, inverse = np.unique(cell, return_inverse=True)
        amount = np.bincount(inverse, weights=_concatenate(self.constant_amount, float),
                             minlength=len(cells))
        return cells % width, cells // width, amount

    def node_constants(self, nodes: int) -> np.ndarray:
        """The constant part of cost(n, t) by node: its components' sums, added up."""
        _, node, amount = self.constants()
        return np.bincount(node, weights=amount, minlength=nodes)

    def cost_index(self) -> CostIndex:
        node, column, coefficient = self.node_cost.arrays()
        first_node, first_column, first_coefficient = self.first_stage.arrays()
        c_component, c_node, c_amount = self.constants()
        return CostIndex(
            component=np.concatenate([_concatenate(self.cost_component, np.int64),
                                      _concatenate(self.first_stage_component, np.int64)]),
            node=np.concatenate([node, first_node]),
            column=np.concatenate([column, first_column]),
            coefficient=np.concatenate([coefficient, first_coefficient]),
            constant_component=c_component,
            constant_node=c_node,
            constant_amount=c_amount,
            names=self.cost_names,
        )


def _nonzero(node: np.ndarray, column: np.ndarray, coefficient: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coefficient = np.broadcast_to(np.asarray(coefficient, dtype=float), np.shape(column))
    keep = coefficient != 0.0
    return np.asarray(node)[keep], np.asarray(column)[keep], coefficient[keep]


@dataclass(frozen=True, slots=True)
class CostIndex:
    """Where every cost term of MODEL.md §7 sits among the LP's columns, as arrays.

    Term ``i`` adds ``coefficient[i] × x[column[i]]`` to cost component
    ``names[component[i]]`` at node ``node[i]``, undiscounted; a node of
    :data:`FIRST_STAGE_NODE` marks a first-stage term whose coefficient is already
    discounted over the horizon (capex), the same in every scenario. The constants
    (take-or-pay payments) add ``constant_amount`` to their component at their node.
    Everything the results report in money is a sparse product of the solution with
    these arrays (:mod:`optimizer.results.accounting`), so no report reads a modelling
    object.
    """

    component: np.ndarray  # int64, index into names
    node: np.ndarray  # int64, node id or FIRST_STAGE_NODE
    column: np.ndarray  # int64, column of the LP
    coefficient: np.ndarray  # float64
    constant_component: np.ndarray  # int64
    constant_node: np.ndarray  # int64
    constant_amount: np.ndarray  # float64
    names: tuple[str, ...] = ()  # the cost components, in the order the results show them

    @classmethod
    def empty(cls) -> CostIndex:
        integers, floats = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=float)
        return cls(integers, integers, integers, floats, integers, integers, floats)
