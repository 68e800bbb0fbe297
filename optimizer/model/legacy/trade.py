"""Trade: routes, transport cost, border adjustment, export caps and zone exclusivity
(MODEL.md §3, §6.7, §6.8, §6.9, §7).

A region supplies itself without a route. Shipments from a non-member into a member
pay the border adjustment: the tariff plus the gap between the floor and the market
price where the floor is higher, which buyers in the zone pay.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.derive import Derived
from optimizer.model.legacy.terms import Terms

RouteNode = tuple[str, str, str, str, int]  # origin, destination, mineral, stage, node


def ship_key(derived: Derived, route: int, node: int) -> RouteNode:
    r = derived.data.routes[route]
    return (r.origin, r.destination, r.mineral, r.stage, node)


def define(model: pyo.ConcreteModel, derived: Derived, terms: Terms) -> None:
    """Declare ``ship`` with its route bounds (§6.7, §6.9) and the export caps (§6.8)."""
    data, tree = derived.data, derived.tree
    exclusive = data.settings.zone_exclusive
    bounds: dict[RouteNode, float | None] = {}
    for index, route in enumerate(data.routes):
        into_zone = not derived.zone_member[route.origin] and derived.zone_member[
            route.destination
        ]
        for node in tree.nodes:
            key = ship_key(derived, index, node.id)
            factor = derived.route_factor.get((index, node.id), 1.0)
            years = derived.years[node.period]
            # §6.7 Routes: ship ≤ capacity_t × route multiplier × y (factor 0 closes any route)
            limit = None if route.capacity_t is None else route.capacity_t * factor * years
            if factor == 0.0:
                limit = 0.0
            # §6.9 Zone exclusivity: nothing from a non-member into a member where a floor holds
            if exclusive and into_zone and (
                (route.mineral, route.stage, node.period) in derived.floor_price
            ):
                limit = 0.0
            bounds[key] = limit
    model.ship = pyo.Var(
        list(bounds), domain=pyo.NonNegativeReals, bounds=lambda m, *k: (0.0, bounds[k])
    )
    for index, route in enumerate(data.routes):
        for node in tree.nodes:
            variable = model.ship[ship_key(derived, index, node.id)]
            terms.supply(route.stage, (route.origin, route.mineral, node.id), -1.0, variable)
            terms.supply(route.stage, (route.destination, route.mineral, node.id), 1.0, variable)
            terms.cost(node.id, "transport_cost", route.cost_per_t, variable)
            terms.cost(
                node.id, "border_adjustment",
                derived.border_adjustment.get((index, node.id), 0.0), variable,
            )
    _define_export_caps(model, derived)


def _define_export_caps(model: pyo.ConcreteModel, derived: Derived) -> None:
    facilities = {f.facility: f for f in derived.data.facilities}
    online = {p.period: i for i, p in enumerate(derived.data.periods)}
    build = set(model.build.keys())

    def export_cap(m: pyo.ConcreteModel, cap_index: int) -> object:
        r"""§6.8 Export cap: shipments of the matching mineral and stage out of the region
        (to ``destination`` when given) ≤ factor × available capacity for that stage × y,
        new capacity included.

        .. math:: \sum_{r} x^{ship}_{r,n} \le \phi\, y_t \sum_f a_{f,n}
                  \left(C_f + b_f [t \ge o_f]\right)
        """
        cap = derived.export_caps[cap_index]
        node = derived.tree.nodes[cap.node]
        scale = cap.factor * derived.years[node.period]
        shipped = sum(m.ship[ship_key(derived, r, cap.node)] for r in cap.routes)
        existing = 0.0
        new = 0.0
        for name in cap.facilities:
            available = derived.capacity_factor.get((name, cap.node), 1.0)
            existing += available * facilities[name].capacity_t
            if name in build and node.period >= online[facilities[name].online_period]:
                new += scale * available * m.build[name]
        return shipped - new <= scale * existing

    model.export_cap = pyo.Constraint(range(len(derived.export_caps)), rule=export_cap)
