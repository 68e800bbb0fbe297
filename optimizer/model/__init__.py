"""The linear program of MODEL.md §5–§7, one module per concept.

:data:`COMPONENTS` lists the concepts in the order they are built; each is a
:class:`~optimizer.model.component.Component`, its ``define`` declaring its variables
and constraints in bulk (:mod:`optimizer.model.program`) from index arrays prepared
once (:mod:`optimizer.model.indices`) and registering its balance and cost terms in a
:class:`~optimizer.model.terms.Terms` registry, and its descriptors naming what it
declares for explanations, the sensitivity sheet and the results' cost components.
:data:`CLOSING` builds the balances and the objective last, from what was registered.
Between the two, :func:`build` runs the caller's own constraints, PyPSA's
``extra_functionality``.

Readers of the descriptors (:func:`descriptors`, :func:`costs`) look the lists up when
they are called, so an instrument listed here is named everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from optimizer.model import (
    balances,
    certified,
    demand,
    objective,
    offtakes,
    stockpiles,
    supply,
    trade,
)
from optimizer.model.component import Component, Cost, Descriptors, cost_components
from optimizer.model.derive import Derived
from optimizer.model.indices import Indices
from optimizer.model.program import Program, paused_gc
from optimizer.model.terms import Terms

# The concepts of MODEL.md, in the order they are built: a component may read the
# hooks (terms.capacity, terms.stocks) of those before it.
COMPONENTS: tuple[Component, ...] = (
    supply.COMPONENT,  # §6.1, §6.10 expansion; registers terms.capacity
    offtakes.COMPONENT,  # §6.2
    trade.COMPONENT,  # §6.7–§6.9
    stockpiles.COMPONENT,  # §6.6, §6.10 stockpile budget; registers terms.stocks
    demand.COMPONENT,  # §6.4's right-hand side, §6.5
    certified.COMPONENT,  # §12; reads the columns of all the above
)
# Built last, from the registry: they sum what every component registered.
CLOSING: tuple[Component, ...] = (balances.COMPONENT, objective.COMPONENT)

Extra = Callable[[Program, Indices, Terms], None]
"""A user constraint: declares blocks on the program (and may register terms), after
every component and before the balances and the objective."""


def components() -> tuple[Component, ...]:
    """Every component as the model is built now: :data:`COMPONENTS`, then :data:`CLOSING`."""
    return (*COMPONENTS, *CLOSING)


def descriptors() -> Descriptors:
    """The descriptors of every block the components declare, by name and limit kind."""
    return Descriptors.of(components())


def costs() -> tuple[Cost, ...]:
    """The cost components of §7 the components declare, in the order the results show
    them (operating costs in component order, then the first-stage ones)."""
    return cost_components(components())


# The cost components as the package was imported, for readers that declare sheets
# and figures once (the results contract); the model itself reads :func:`costs`.
COSTS: tuple[Cost, ...] = costs()
COST_COMPONENTS: tuple[str, ...] = tuple(c.name for c in COSTS)


def build(derived: Derived, extra: Iterable[Extra] = ()) -> Program:
    """The linear program of ``derived``, as declarations.

    ``extra`` are the caller's own constraints (PyPSA's ``extra_functionality``): each
    is called as ``constraint(program, indices, terms)`` after every component has
    declared its blocks and registered its terms, and before the balances and the
    objective are built, so it may add variables and rows, read the components'
    columns through the hooks (``terms.capacity``, ``terms.stocks``) or the program's
    blocks, and register balance, stock-flow and cost terms of its own (cost terms
    under a component's declared cost component). Explanations name its rows by block
    name and key.
    """
    with paused_gc():
        program = Program()
        indices = Indices.of(derived)
        terms = Terms(tuple(c.name for c in costs()))
        for component in COMPONENTS:
            component.define(program, indices, terms)
        for constraint in extra:
            constraint(program, indices, terms)
        for component in CLOSING:
            component.define(program, indices, terms)
        return program
