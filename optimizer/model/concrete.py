"""The declared program as a Pyomo ``ConcreteModel``, for engines and checks that need one.

The run itself never builds this model (:func:`optimizer.solve.highs.compile_program`
assembles the matrices from the declarations directly). Engines that take a Pyomo
model (mpi-sppy, say) and checks that write or compile the model through Pyomo build
it here, from the same declarations: one ``Var`` per variable block with its bounds,
one ``Constraint`` per constraint block with each row a ``LinearExpression`` (the
block's docstring, with its MODEL.md section, as the component's ``doc``), and the
objective; component names and indices are the Layout's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.expr.numeric_expr import LinearExpression

from optimizer.model.program import EQUAL, LESS, Program, Variables


def _bound(value: float) -> float | None:
    return None if np.isinf(value) else float(value)


def _by_key(keys: tuple[Any, ...], values: list[Any]) -> Callable[..., Any]:
    """A Pyomo rule that returns the value declared for each key."""
    by_key = dict(zip(keys, values, strict=True))
    return lambda model, *key: by_key[key[0] if len(key) == 1 else key]


def _variables(model: pyo.ConcreteModel, block: Variables) -> list[Any]:
    """Declare ``block`` on ``model``; its variable data objects in column order."""
    bounds = [(_bound(lo), _bound(hi)) for lo, hi in
              zip(block.lower.tolist(), block.upper.tolist(), strict=True)]
    if block.keys == (None,):
        component = pyo.Var(domain=pyo.Reals, bounds=bounds[0], doc=block.doc)
        setattr(model, block.name, component)
        return [component]
    component = pyo.Var(list(block.keys), domain=pyo.Reals, dense=True, doc=block.doc,
                        bounds=_by_key(block.keys, bounds))
    setattr(model, block.name, component)
    return [component[key] for key in block.keys]


def concrete_model(program: Program, name: str = "allied critical minerals"
                   ) -> pyo.ConcreteModel:
    """A Pyomo model of ``program``: the same columns, rows and objective, in order."""
    model = pyo.ConcreteModel(name=name)
    columns: list[Any] = []
    for block in program.variables:
        columns.extend(_variables(model, block))

    for rows in program.constraints:
        matrix = sp.csr_array(
            (rows.coefficient, (rows.row, rows.column)), shape=(len(rows.keys), len(columns)))
        matrix.sum_duplicates()
        bodies = [
            LinearExpression(
                constant=0.0,
                linear_coefs=matrix.data[start:stop].tolist(),
                linear_vars=[columns[j] for j in matrix.indices[start:stop].tolist()],
            )
            for start, stop in zip(matrix.indptr[:-1].tolist(), matrix.indptr[1:].tolist(),
                                   strict=True)
        ]
        relations = [
            body == rhs if rows.sense == EQUAL else body <= rhs if rows.sense == LESS
            else body >= rhs
            for body, rhs in zip(bodies, rows.rhs.tolist(), strict=True)
        ]
        if rows.keys == (None,):
            setattr(model, rows.name, pyo.Constraint(expr=relations[0], doc=rows.doc))
        else:
            setattr(model, rows.name, pyo.Constraint(
                list(rows.keys), doc=rows.doc, rule=_by_key(rows.keys, relations)))

    used = np.nonzero(program.cost)[0].tolist()
    model.objective = pyo.Objective(
        expr=LinearExpression(constant=program.offset,
                              linear_coefs=program.cost[used].tolist(),
                              linear_vars=[columns[j] for j in used]),
        sense=pyo.minimize,
    )
    return model
