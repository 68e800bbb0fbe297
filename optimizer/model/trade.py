"""Trade: routes, transport cost, border adjustment, export caps and zone exclusivity
(MODEL.md §3, §6.7, §6.8, §6.9, §7).

A region supplies itself without a route. Shipments from a non-member into a member
pay the border adjustment: the tariff plus the gap between the floor and the market
price where the floor is higher, which buyers in the zone pay.
"""

from __future__ import annotations

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
from optimizer.model.derive import PRODUCTS
from optimizer.model.indices import Indices
from optimizer.model.program import LESS, Program, named
from optimizer.model.terms import Capacity, Terms


def define(program: Program, ix: Indices, terms: Terms) -> None:
    """Declare ``ship`` with its route bounds (§6.7, §6.9) and the export caps (§6.8);
    register shipments in the balances and their costs."""
    derived = ix.derived
    routes = derived.data.routes
    count = len(routes)
    nodes = ix.node
    factor = ix.by_node(range(count), derived.route_factor, 1.0)
    # §6.7 Routes: ship ≤ capacity_t × route multiplier × y (factor 0 closes any route)
    capacity_t = np.array([np.inf if r.capacity_t is None else r.capacity_t for r in routes])
    with np.errstate(invalid="ignore"):  # inf × 0 where an unlimited route is closed
        limit = np.where(factor == 0.0, 0.0, capacity_t[:, None] * factor * ix.years)
    # §6.9 Zone exclusivity: nothing from a non-member into a member where a floor holds
    if derived.data.settings.zone_exclusive:
        member = derived.zone_member
        for r, into in enumerate(routes):
            if not member[into.origin] and member[into.destination]:
                floored = np.array([(into.mineral, into.stage, t) in derived.floor_price
                                    for t in range(len(derived.years))], dtype=bool)
                limit[r, floored[ix.period]] = 0.0
    keys = [(r.origin, r.destination, r.mineral, r.stage, n)
            for r in routes for n in ix.node_ids]
    of_column = np.repeat(np.arange(count), ix.nodes)  # the route of each ship column
    regions = [r.region for r in derived.data.regions]
    columns = (
        named(ix.codes([r.origin for r in routes], ix.region)[of_column], regions),
        named(ix.codes([r.destination for r in routes], ix.region)[of_column], regions),
        named(ix.codes([r.mineral for r in routes], ix.mineral)[of_column], ix.minerals),
        named(np.array([PRODUCTS.index(r.stage) for r in routes], dtype=np.int64)[of_column],
              PRODUCTS),
        np.tile(ix.node, count),
    )
    ship = program.add_variables("ship", keys, 0.0, limit.ravel(),
                                 "shipment, t (§5)", columns).reshape(count, ix.nodes)

    mineral = ix.codes([r.mineral for r in routes], ix.mineral)
    origin = ix.balance_code(ix.codes([r.origin for r in routes], ix.region)[:, None],
                             mineral[:, None], nodes)
    destination = ix.balance_code(
        ix.codes([r.destination for r in routes], ix.region)[:, None], mineral[:, None], nodes)
    stage = np.array([r.stage for r in routes])
    for product in PRODUCTS:
        carried = stage == product
        # out of the origin, into the destination: route by route, node by node
        terms.supply(product, np.stack([origin[carried], destination[carried]], axis=-1),
                     np.stack([ship[carried], ship[carried]], axis=-1),
                     np.broadcast_to([-1.0, 1.0], (*ship[carried].shape, 2)))
    at = np.broadcast_to(nodes, ship.shape)
    cost_per_t = np.array([r.cost_per_t for r in routes])
    terms.cost("transport_cost", at, ship, np.broadcast_to(cost_per_t[:, None], ship.shape))
    terms.cost("border_adjustment", at, ship,
               ix.by_node(range(count), derived.border_adjustment, 0.0))
    assert terms.capacity is not None, "supply registers the facilities' capacity first"
    _export_cap(program, ix, ship, terms.capacity)


def _export_cap(program: Program, ix: Indices, ship: np.ndarray, capacity: Capacity) -> None:
    r"""§6.8 Export cap: shipments of the matching mineral and stage out of the region
    (to ``destination`` when given) ≤ factor × available capacity for that stage × y,
    new capacity included.

    .. math:: \sum_{r} x^{ship}_{r,n} \le \phi\, y_t \sum_f a_{f,n}
              \left(C_f + b_f [t \ge o_f]\right)
    """
    caps = ix.derived.export_caps
    # each cap's routes and facilities, flattened
    route_cap = np.repeat(np.arange(len(caps)), [len(c.routes) for c in caps])
    route = np.fromiter((r for c in caps for r in c.routes), dtype=np.int64,
                        count=len(route_cap))
    facility_cap = np.repeat(np.arange(len(caps)), [len(c.facilities) for c in caps])
    facility = np.fromiter((capacity.facility[f] for c in caps for f in c.facilities),
                           dtype=np.int64, count=len(facility_cap))
    node = np.array([c.node for c in caps], dtype=np.int64)
    scale = np.array([c.factor for c in caps]) * ix.years[node]
    f_node = node[facility_cap]
    available = capacity.available[facility, f_node]
    existing = np.bincount(facility_cap, weights=available * capacity.capacity_t[facility],
                           minlength=len(caps))
    new = capacity.online[facility, f_node] & (capacity.build_column[facility] >= 0)
    program.add_constraints(
        "export_cap", range(len(caps)), LESS, scale * existing,
        np.concatenate([route_cap, facility_cap[new]]),
        np.concatenate([ship[route, node[route_cap]], capacity.build_column[facility[new]]]),
        np.concatenate([np.ones(len(route)),
                        -(scale[facility_cap[new]] * available[new])]),
        _export_cap.__doc__,
    )


# ---------------------------------------------------------------- words


def _explain_export_cap(ctx: Context, key: int) -> str:
    cap = ctx.derived.export_caps[key]
    to = f" to {cap.destination}" if cap.destination else ""
    return (f"export cap on {cap.mineral} {cap.stage} from {cap.region}{to}: at most "
            f"{cap.factor:g} × its capacity in {ctx.when(cap.node)}")


def _explain_ship(ctx: Context, key: tuple[str, str, str, str, int], limit: float,
                  bound: str) -> str:
    why = "closed (by a disruption or zone exclusivity)" if limit == 0 else \
        f"capped at {amount(limit)} t"
    return f"route {key[0]} → {key[1]} for {key[2]} {key[3]} is {why} in {ctx.when(key[4])}"


def _route_limit(ctx: Context, limit: Binding) -> str:
    origin, destination, mineral, stage, node = limit.key
    return (f"shipments of {mineral} {stage} on {origin} → {destination} ≤ the route's "
            f"capacity in {ctx.when(node)}")


def _exclusivity_limit(ctx: Context, limit: Binding) -> str:
    origin, destination, mineral, stage, node = limit.key
    return (f"no {mineral} {stage} from non-member {origin} into member {destination} "
            f"where a floor holds, in {ctx.when(node)}")


COMPONENT = Component(
    "trade", define,
    rows=(Rows("export_cap", "§6.8 export cap", _explain_export_cap),),
    columns=(Columns(
        "ship", "§6.7 routes, §6.9 zone exclusivity", _explain_ship,
        (Limit("routes", "§6.7 routes", _route_limit),
         Limit("zone_exclusivity", "§6.9 zone exclusivity", _exclusivity_limit)),
    ),),
    costs=(
        Cost("transport_cost", "route cost_per_t × shipments"),
        Cost("border_adjustment", "border adjustment per t × shipments (tariff, plus the gap "
             "between floor and market price on routes from non-members into members)"),
    ),
)
