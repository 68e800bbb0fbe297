"""Offtakes: long-term take-or-pay agreements with facilities (MODEL.md §6.2, §7, §11).

The part of a facility's output taken under contract costs the contract price,
which is paid whether taken or not; the rest costs the facility's unit cost.
"""

from __future__ import annotations

import numpy as np

from optimizer.model.component import Columns, Component, Context, Cost, Rows, amount
from optimizer.model.indices import Indices
from optimizer.model.program import LESS, Program
from optimizer.model.terms import Terms


def define(program: Program, ix: Indices, terms: Terms) -> None:
    """Declare ``contract_take``, its caps and the take-or-pay payments."""
    derived = ix.derived
    capacity = terms.capacity
    assert capacity is not None, "supply registers the facilities' capacity first"
    unit_cost = {f.facility: f.unit_cost_per_t for f in derived.data.facilities}
    # the contracted facilities of each period, by name (an offtake exists only then)
    contracted: dict[int, list[str]] = {}
    for facility, t in derived.contract_t:
        contracted.setdefault(t, []).append(facility)
    facility_of: list[str] = []
    node_of: list[int] = []
    for at in derived.tree.nodes:
        for facility in sorted(contracted.get(at.period, [])):
            facility_of.append(facility)
            node_of.append(at.id)
    position = np.array([capacity.facility[f] for f in facility_of], dtype=np.int64)
    node = np.array(node_of, dtype=np.int64)
    period = ix.period[node]
    contract_t = np.array([derived.contract_t[f, p] for f, p in
                           zip(facility_of, period.tolist(), strict=True)])
    existing_t = capacity.capacity_t[position]
    # §11: take cap = avail × min(Σ active contract_t, existing capacity_t) × y
    take = program.add_variables(
        "contract_take", list(zip(facility_of, node_of, strict=True)), 0.0,
        capacity.available[position, node] * np.minimum(contract_t, existing_t)
        * ix.years[node],
        "the part of output taken under contract, t (§5)",
    )
    _take_within_output(program, facility_of, node_of, take, capacity.output[position, node])
    payment = np.array([derived.contract_payment[f, p] for f, p in
                        zip(facility_of, period.tolist(), strict=True)])
    terms.constant_cost("contract_cost", node, payment * ix.years[node])
    terms.cost("production_cost", node, take,
               -np.array([unit_cost[f] for f in facility_of]))


def _take_within_output(program: Program, facility: list[str], node: list[int],
                        take: np.ndarray, output: np.ndarray) -> None:
    r"""§6.2 Offtake: contract_take ≤ output.

    .. math:: x^{take}_{f,n} \le x^{out}_{f,n}
    """
    rows = np.arange(len(take))
    program.add_constraints(
        "take_within_output", list(zip(facility, node, strict=True)), LESS, 0.0,
        np.concatenate([rows, rows]), np.concatenate([take, output]),
        np.concatenate([np.ones(len(rows)), -np.ones(len(rows))]), _take_within_output.__doc__,
    )


# ---------------------------------------------------------------- words


def _explain_take(ctx: Context, key: tuple[str, int]) -> str:
    return f"contract take from {key[0]} within its output in {ctx.when(key[1])}"


def _explain_take_bound(ctx: Context, key: tuple[str, int], limit: float, bound: str) -> str:
    return f"contract take from {key[0]} is capped at {amount(limit)} t in {ctx.when(key[1])}"


COMPONENT = Component(
    "offtakes", define,
    rows=(Rows("take_within_output", "§6.2 offtake", _explain_take),),
    columns=(Columns("contract_take", "§6.2 offtake", _explain_take_bound),),
    costs=(Cost("contract_cost", "take-or-pay payments: contract price × contract_t × years, "
                "paid whether taken or not"),),
)
