"""The balances, closed from the registry (MODEL.md §6.3, §6.4, §6.6).

The concentrate and refined balances are ≥: surplus may be left unused. Their duals
are the marginal prices of the results (§8). A balance exists for every region,
mineral and node where anything was registered, in the order things were first
registered there. The stock balances of §6.6 are declared by stockpiles; the flows
other components registered into or out of a stockpile join them here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from optimizer.data import Product
from optimizer.model.component import Binding, Component, Context, Limit, Rows, amount
from optimizer.model.indices import Indices
from optimizer.model.program import GREATER, Program
from optimizer.model.terms import Entries, Terms


def _rows(entries: Entries) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The balances registered (codes, in order of first registration), and each
    entry's row among them, column and coefficient."""
    code, column, coefficient = entries.arrays()
    codes, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    order = np.argsort(first)
    row = np.empty(len(codes), dtype=np.int64)
    row[order] = np.arange(len(codes))
    return codes[order], row[inverse], column, coefficient


def _lookup(codes: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` at the (unique) ``keys`` equal to each of ``codes``, 0 where none is."""
    if not len(keys):
        return np.zeros(len(codes))
    order = np.argsort(keys)
    at = np.minimum(np.searchsorted(keys[order], codes), len(keys) - 1)
    return np.where(keys[order][at] == codes, values[order][at], 0.0)


def define(program: Program, ix: Indices, terms: Terms) -> None:
    """One row per region, mineral and node where anything was registered; the
    registered stock flows into the stock balances."""
    _stock_flows(program, terms)
    _concentrate_balance(program, ix, terms)
    _refined_balance(program, ix, terms)


def _stock_flows(program: Program, terms: Terms) -> None:
    """§6.6 Stock: level = … + Σ flows into stock, for the flows components registered
    after stockpiles declared the rows (level − … − flow = …, so each enters negated)."""
    row, column, coefficient = terms.stock_flows.arrays()
    if len(row):
        program.add_entries("stock_balance", row, column, -coefficient)


def _concentrate_balance(program: Program, ix: Indices, terms: Terms) -> None:
    r"""§6.3 Concentrate balance: mine output + shipments in − shipments out + releases
    − purchases ≥ Σ refinery output ÷ yield.

    .. math:: \sum_{mines} x^{out} + \sum_{in} x^{ship} - \sum_{out} x^{ship}
              + x^{rel} - x^{buy} - \sum_{ref} x^{out} / \eta \ge 0
    """
    codes, row, column, coefficient = _rows(terms.concentrate)
    program.add_constraints("concentrate_balance", ix.balance_key(codes), GREATER, 0.0,
                            row, column, coefficient, _concentrate_balance.__doc__,
                            ix.balance_columns(codes))


def _refined_balance(program: Program, ix: Indices, terms: Terms) -> None:
    r"""§6.4 Refined balance: refinery and recycler output + shipments in − shipments
    out + releases − purchases + Σ shortfall ≥ demand × y.

    .. math:: \sum x^{out} + \sum_{in} x^{ship} - \sum_{out} x^{ship} + x^{rel}
              - x^{buy} + \sum_{tiers} u \ge D_{r,m,t}\, y_t
    """
    codes, row, column, coefficient = _rows(terms.refined)
    demand = _lookup(codes, np.concatenate([np.zeros(0, np.int64), *terms.demand_codes]),
                     np.concatenate([np.zeros(0), *terms.demand_amounts]))
    program.add_constraints("refined_balance", ix.balance_key(codes), GREATER, demand,
                            row, column, coefficient, _refined_balance.__doc__,
                            ix.balance_columns(codes))


# ---------------------------------------------------------------- words


def _explain_concentrate(ctx: Context, key: tuple[str, str, int]) -> str:
    return f"{key[1]} concentrate in {key[0]} must cover its refineries in {ctx.when(key[2])}"


def _explain_refined(ctx: Context, key: tuple[str, str, int]) -> str:
    demand = ctx.derived.demand_t.get(key, 0.0)
    return (f"refined {key[1]} in {key[0]} must meet demand of {amount(demand)} t "
            f"in {ctx.when(key[2])}")


def _floor_words(stage: Product, needs: str) -> Callable[[Context, Binding], str]:
    """A member balance where the marginal price is below the floor (the sensitivity
    sheet shows only those): the price against the floor."""
    def words(ctx: Context, limit: Binding) -> str:
        region, mineral, node_id = limit.key
        derived = ctx.derived
        node = derived.tree.nodes[node_id]
        floor = derived.floor_price[mineral, stage, node.period]
        marginal = limit.dual / (node.probability * derived.discount[node.period])
        return (f"{stage} {mineral} in {region}: supply ≥ {needs} in {ctx.when(node_id)}; "
                f"marginal price {marginal:,.2f} below the floor {floor:,.2f} "
                f"{ctx.currency}/t")
    return words


COMPONENT = Component(
    "balances", define,
    rows=(
        Rows("concentrate_balance", "§6.3 concentrate balance", _explain_concentrate,
             Limit("concentrate_balance", "§6.3 concentrate balance",
                   _floor_words("concentrate", "its refineries' needs"), nonnegative=False)),
        Rows("refined_balance", "§6.4 refined balance", _explain_refined,
             Limit("refined_balance", "§6.4 refined balance",
                   _floor_words("refined", "demand"), nonnegative=False)),
    ),
)
