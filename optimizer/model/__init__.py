"""The linear program of MODEL.md §5–§7, one module per concept.

:func:`build` is a readable list of ``define`` calls. Each component declares its
variables and constraints in bulk (:mod:`optimizer.model.program`) from index arrays
prepared once (:mod:`optimizer.model.indices`), and registers its balance and cost
terms in a :class:`~optimizer.model.terms.Terms` registry; the balances and the
objective are built last from what was registered.
"""

from __future__ import annotations

from optimizer.derive import Derived
from optimizer.model import balances, demand, objective, offtakes, stockpiles, supply, trade
from optimizer.model.indices import Indices
from optimizer.model.program import Program, paused_gc
from optimizer.model.terms import Terms


def build(derived: Derived) -> Program:
    """The linear program of ``derived``, as declarations."""
    with paused_gc():
        program = Program()
        indices = Indices.of(derived)
        terms = Terms()
        supply.define(program, indices, terms)
        offtakes.define(program, indices, terms)
        trade.define(program, indices, terms)
        stockpiles.define(program, indices, terms)
        demand.define(program, indices, terms)
        balances.define(program, indices, terms)
        objective.define(program, indices, terms)
        return program
