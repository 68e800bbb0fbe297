"""Supply: mines, refineries, recyclers and capacity expansion (MODEL.md §3, §5, §6.1, §6.10).

Mines make concentrate; refineries turn concentrate of their own region into refined
product at their yield; recyclers make refined product from inputs the model does not
track. Expansion is decided once, before period one, for all scenarios.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optimizer.model.component import (
    Binding,
    Columns,
    Component,
    Context,
    Cost,
    Limit,
    Rows,
    amount,
)
from optimizer.model.indices import Indices
from optimizer.model.program import LESS, Program, node_key_columns, node_keys
from optimizer.model.terms import Capacity, Terms


def define(program: Program, ix: Indices, terms: Terms) -> None:
    """Declare ``build`` and ``output``, the capacity rows and the expansion budget;
    register the output in the balances, its cost, the capex and the capacity hook."""
    data = ix.derived.data
    facilities = data.facilities
    names = [f.facility for f in facilities]
    period_index = {p.period: i for i, p in enumerate(data.periods)}
    expandable = np.array([f.expandable_t > 0 for f in facilities], dtype=bool)

    build = program.add_variables(
        "build", [f.facility for f in facilities if f.expandable_t > 0], 0.0,
        np.array([f.expandable_t for f in facilities if f.expandable_t > 0]),
        "new capacity, t/yr, ≤ expandable_t (§5)",
    )
    build_column = np.full(len(facilities), -1, dtype=np.int64)
    build_column[expandable] = build

    # (facilities, nodes): availability, existing capacity in the period, new capacity online
    available = ix.by_node(names, ix.derived.capacity_factor, 1.0)
    capacity_t = np.array([f.capacity_t for f in facilities])
    limit = available * capacity_t[:, None] * ix.years
    online = np.array([period_index[f.online_period] for f in facilities], dtype=np.int64)
    is_online = expandable[:, None] & (ix.period >= online[:, None])
    has_row = is_online & (available > 0)

    # output's bound is the capacity, unless new capacity can add to it (then a row)
    output = program.add_variables(
        "output", node_keys(names, ix.node_ids), 0.0, np.where(has_row, np.inf, limit).ravel(),
        "production, t (§5)", node_key_columns(names, ix.nodes),
    ).reshape(len(facilities), ix.nodes)
    _capacity(program, ix, names, output, build_column, available, limit, has_row)
    terms.capacity = Capacity(
        facility={name: i for i, name in enumerate(names)},
        output=output,
        available=available,
        capacity_t=capacity_t,
        online=is_online,
        build_column=build_column,
    )

    region = ix.codes([f.region for f in facilities], ix.region)
    mineral = ix.codes([f.mineral for f in facilities], ix.mineral)
    balance = ix.balance_code(region[:, None], mineral[:, None], ix.node)
    stage = np.array([f.stage for f in facilities])
    mines, refines = stage == "mine", stage == "refine"
    makes_concentrate = mines | refines
    # mines add concentrate; refineries take output ÷ yield of it (§6.3)
    concentrate = np.array([-1.0 / f.yield_ if f.stage == "refine" else 1.0
                            for f in facilities])
    terms.supply("concentrate", balance[makes_concentrate], output[makes_concentrate],
                 np.broadcast_to(concentrate[:, None], output.shape)[makes_concentrate])
    terms.supply("refined", balance[~mines], output[~mines], 1.0)
    unit_cost = np.array([f.unit_cost_per_t for f in facilities])
    terms.cost("production_cost", np.broadcast_to(ix.node, output.shape),
               output, np.broadcast_to(unit_cost[:, None], output.shape))

    _capex(ix, terms, build_column, online)
    _expansion_budget(program, ix, build_column)


def _capacity(program: Program, ix: Indices, names: list[str], output: np.ndarray,
              build: np.ndarray, available: np.ndarray, limit: np.ndarray,
              has_row: np.ndarray) -> None:
    r"""§6.1 Capacity: output ≤ avail × (capacity_t + build × [t ≥ online_period]) × y.

    .. math:: x^{out}_{f,n} - a_{f,n} y_t b_f \le a_{f,n} C_f y_t

    A row only where new capacity is online and available; elsewhere the capacity is
    ``output``'s upper bound.
    """
    facility, node = np.nonzero(has_row)
    rows = np.arange(len(facility))
    program.add_constraints(
        "capacity", list(zip([names[f] for f in facility.tolist()], node.tolist(), strict=True)),
        LESS, limit[facility, node],
        np.concatenate([rows, rows]),
        np.concatenate([output[facility, node], build[facility]]),
        np.concatenate([np.ones(len(rows)), -(available[facility, node] * ix.years[node])]),
        _capacity.__doc__,
    )


def _capex(ix: Indices, terms: Terms, build: np.ndarray, online: np.ndarray) -> None:
    """§7 Capex: annualised capex × build, charged for every year from online_period on,
    discounted: Σ_{t ≥ online} δ_t × y_t × annualised capex."""
    derived = ix.derived
    columns, coefficients = [], []
    for f, facility in enumerate(derived.data.facilities):
        if build[f] < 0:
            continue
        annual = derived.annualised_capex[facility.facility]
        columns.append(build[f])
        coefficients.append(sum(derived.discount[t] * derived.years[t] * annual
                                for t in range(int(online[f]), len(derived.years))))
    terms.first_stage_cost("capex", np.array(columns, dtype=np.int64),
                           np.array(coefficients, dtype=float))


def _expansion_budget(program: Program, ix: Indices, build: np.ndarray) -> None:
    r"""§6.10 Expansion budget: Σ build × capex_per_t ≤ expansion_budget.

    .. math:: \sum_f k_f b_f \le B^{exp}

    Free expansions (capex 0) spend nothing; without any priced one there is no row.
    """
    budget = ix.derived.data.settings.expansion_budget
    capex = np.array([f.capex_per_t for f in ix.derived.data.facilities])
    priced = (build >= 0) & (capex > 0)
    if budget is None or not priced.any():
        return
    program.add_constraints("expansion_budget", [None], LESS, budget,
                            np.zeros(int(priced.sum())), build[priced], capex[priced],
                            _expansion_budget.__doc__)


# ---------------------------------------------------------------- words


def _explain_capacity(ctx: Context, key: tuple[str, int]) -> str:
    return (f"output of {key[0]} within its capacity, new capacity included, "
            f"in {ctx.when(key[1])}")


def _explain_expansion_budget(ctx: Context, key: Any) -> str:
    budget = ctx.derived.data.settings.expansion_budget
    return f"capacity expansion within the budget of {amount(budget or 0)}"


def _explain_output(ctx: Context, key: tuple[str, int], limit: float, bound: str) -> str:
    return f"output of {key[0]} is capped at {amount(limit)} t by its capacity " \
           f"in {ctx.when(key[1])}"


def _explain_build(ctx: Context, key: str, limit: float, bound: str) -> str:
    return f"new capacity at {key} is capped at {amount(limit)} t/yr (expandable_t)"


def _capacity_limit(ctx: Context, limit: Binding) -> str:
    """A capacity row (where new capacity can come online) or ``output``'s bound."""
    facility, node = limit.key
    f = ctx.facilities[facility]
    new = "; rhs is the existing capacity, new capacity adds to it" if limit.row else ""
    return (f"output of {facility} ({f.stage}, {f.mineral}, {f.region}) ≤ its available "
            f"capacity in {ctx.when(node)}{new}")


def _expansion_budget_limit(ctx: Context, limit: Binding) -> str:
    return "overnight capex of all expansions (build × capex_per_t) ≤ expansion_budget"


CAPACITY = Limit("capacity", "§6.1 capacity", _capacity_limit)

COMPONENT = Component(
    "supply", define,
    rows=(
        Rows("capacity", "§6.1 capacity", _explain_capacity, CAPACITY),
        Rows("expansion_budget", "§6.10 expansion budget", _explain_expansion_budget,
             Limit("expansion_budget", "§6.10 expansion budget", _expansion_budget_limit,
                   money=True)),
    ),
    columns=(
        Columns("build", "§5", _explain_build),
        Columns("output", "§6.1 capacity", _explain_output, (CAPACITY,)),
    ),
    costs=(
        Cost("production_cost", "unit cost × (output − contract_take) of every facility"),
        Cost("capex", "annualised capex × new capacity × years, from online_period to the "
             "end of the horizon (the same in every scenario)", first_stage=True),
    ),
)
