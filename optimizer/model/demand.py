"""Demand and shortfall tiers (MODEL.md §6.4, §6.5, §7).

Unmet refined demand is allowed at a price: each tier covers a share of the demand
and costs its penalty per tonne, so small shortfalls can be cheaper than large ones.
"""

from __future__ import annotations

import numpy as np

from optimizer.model.component import Columns, Component, Context, Cost, amount
from optimizer.model.indices import Indices
from optimizer.model.program import Program, named
from optimizer.model.terms import Terms


def define(program: Program, ix: Indices, terms: Terms) -> None:
    """Declare ``shortfall`` with its tier widths as bounds, and register demand."""
    derived = ix.derived
    demand = derived.demand_t
    region = ix.codes([r for r, _, _ in demand], ix.region)
    mineral = ix.codes([m for _, m, _ in demand], ix.mineral)
    node = np.fromiter((n for _, _, n in demand), dtype=np.int64, count=len(demand))
    amount = np.fromiter(demand.values(), dtype=float, count=len(demand))
    balance = ix.balance_code(region, mineral, node)
    terms.refined_demand(balance, amount)

    # one shortfall per tier of every positive demand, demand by demand
    tiers = [derived.tiers.get(m, ()) for m in ix.minerals]
    count = np.array([len(t) for t in tiers], dtype=np.int64)
    width = np.array([s.width for t in tiers for s in t])
    penalty = np.array([s.penalty_per_t for t in tiers for s in t])
    tier = [s.tier for t in tiers for s in t]
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    short = np.nonzero(amount > 0.0)[0]
    which = np.repeat(short, count[mineral[short]])
    # the position of each shortfall's tier among all tiers, mineral by mineral
    step = np.arange(len(which)) - np.repeat(np.cumsum(count[mineral[short]])
                                             - count[mineral[short]], count[mineral[short]])
    position = first[mineral[which]] + step
    regions, minerals = ix.regions, ix.minerals
    keys = [(regions[r], minerals[m], tier[p], n) for r, m, p, n in zip(
        region[which].tolist(), mineral[which].tolist(), position.tolist(),
        node[which].tolist(), strict=True)]
    # §6.5 Shortfall tiers: shortfall ≤ (share − previous share) × demand × y
    shortfall = program.add_variables(
        "shortfall", keys, 0.0, width[position] * amount[which],
        "unmet demand in a tier, t (§5)",
        (named(region[which], regions), named(mineral[which], minerals),
         np.asarray(tier, dtype=np.int64)[position] if len(position) else position,
         node[which]),
    )
    terms.supply("refined", balance[which], shortfall, 1.0)
    terms.cost("shortfall_penalty", node[which], shortfall, penalty[position])


def _explain_shortfall(ctx: Context, key: tuple[str, str, int, int], limit: float,
                       bound: str) -> str:
    return f"unmet {key[1]} demand in {key[0]}, tier {key[2]}, is capped at {amount(limit)} t " \
           f"in {ctx.when(key[3])}"


COMPONENT = Component(
    "demand", define,
    columns=(Columns("shortfall", "§6.5 shortfall tiers", _explain_shortfall),),
    costs=(Cost("shortfall_penalty", "tier penalty × unmet demand"),),
)
