"""The concentrate and refined balances (MODEL.md §6.3, §6.4), summed from the registry.

Balances are ≥: surplus may be left unused. Their duals are the marginal prices of
the results (§8). A balance exists for every region, mineral and node where anything
was registered, in the order things were first registered there.
"""

from __future__ import annotations

import numpy as np

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
    """One row per region, mineral and node where anything was registered."""
    _concentrate_balance(program, ix, terms)
    _refined_balance(program, ix, terms)


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
