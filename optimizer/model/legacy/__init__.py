"""THE OLD PER-INDEX PYOMO MODEL, kept only until the bulk build is proven identical.

The linear program of MODEL.md §5–§7, one module per concept.

:func:`build_model` is a readable list of ``define`` calls. Components register
their balance and cost terms in a :class:`~optimizer.model.terms.Terms` registry;
the balances and the objective are built last from what was registered.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.derive import Derived
from optimizer.model.legacy import balances, demand, objective, offtakes, stockpiles, supply, trade
from optimizer.model.legacy.terms import Terms
from optimizer.solve import CompiledLP


def build_model(derived: Derived) -> tuple[pyo.ConcreteModel, Terms]:
    """The Pyomo model of ``derived``, and the terms its components registered."""
    model = pyo.ConcreteModel(name="allied critical minerals")
    terms = Terms()
    supply.define(model, derived, terms)
    offtakes.define(model, derived, terms)
    trade.define(model, derived, terms)
    stockpiles.define(model, derived, terms)
    demand.define(model, derived, terms)
    balances.define(model, terms)
    objective.define(model, derived, terms)
    return model, terms


def compile_legacy(derived: Derived) -> CompiledLP:
    """The old path: the Pyomo model compiled by Pyomo's standard-form compiler."""
    from dataclasses import replace

    from optimizer.model.legacy.terms import cost_index
    from optimizer.solve import compile_model

    model, terms = build_model(derived)
    lp = compile_model(model)
    variables = model.component_objects(pyo.Var, active=True, descend_into=True)
    order = [v for component in variables for v in component.values()]
    return replace(lp, costs=cost_index(terms, {id(v): j for j, v in enumerate(order)}))
