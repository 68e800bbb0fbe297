"""Certified supply: origin rules for defence buyers (MODEL.md §12).

Product is certified when every stage ran in a certifying region; it keeps its grade
when shipped or stocked, whatever regions it passes through. A demand row's
``certified_share`` is the part of its demand that only certified product may meet;
what certified supply cannot cover is unmet demand (``c_shortfall`` ≤ Σ ``shortfall``)
and pays the tier penalties. Nothing here exists for a mineral that no demand row gives
a certified share above 0, so a case without the rule builds exactly the model of §6.

The ``c_*`` columns shadow the plain ones of supply, trade, stockpiles and demand,
which this module reads by block name (:meth:`Program.block`) and through the hooks
(``terms.capacity``, ``terms.stocks``); the objective is unchanged. What the rule
reports (its columns on ``shortfalls`` and ``prices``, its ``summary`` figure, its
headline and its chart) is extracted here too, by block name from the solution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from optimizer.data import Route, Stockpile
from optimizer.model.component import (
    Binding,
    ChartSeries,
    Columns,
    Component,
    Context,
    Finding,
    Limit,
    Reported,
    Rows,
    Sheets,
    SolvedBlocks,
    TableColumns,
    amount,
    number,
)
from optimizer.model.derive import Derived
from optimizer.model.indices import Indices
from optimizer.model.program import EQUAL, GREATER, LESS, Program
from optimizer.model.terms import Entries, Terms


def certified_demand(derived: Derived) -> dict[tuple[str, str, int], float]:
    """certified_share × demand × y by (region, mineral, node), where above 0 (the
    right-hand side of §12.3; the results' ``certified_demand_t``)."""
    periods = [p.period for p in derived.data.periods]
    share = {(d.region, d.mineral, d.period): d.certified_share for d in derived.data.demand}
    found: dict[tuple[str, str, int], float] = {}
    for (region, mineral, node), demand in derived.demand_t.items():
        period = periods[derived.tree.nodes[node].period]
        value = share.get((region, mineral, period), 0.0) * demand
        if value > 0.0:
            found[region, mineral, node] = value
    return found


def define(program: Program, ix: Indices, terms: Terms) -> None:
    """Declare the ``c_*`` columns of the minerals with certified demand, their bounds
    against the plain columns, the certified stock and the two certified balances."""
    demand = certified_demand(ix.derived)
    minerals = sorted({m for _, m, _ in demand}, key=ix.mineral.__getitem__)
    if not minerals:
        return
    derived = ix.derived
    certifying = {r.region: r.certifying for r in derived.data.regions}
    concentrate, refined = Entries(), Entries()
    within_keys: list[tuple[str, str, int]] = []
    within_plain: list[np.ndarray] = []
    within_certified: list[np.ndarray] = []

    def shadow(name: str, plain: np.ndarray, keys: Sequence[tuple[Any, ...]], doc: str
               ) -> np.ndarray:
        """``c_<name>`` beside each of ``plain`` (columns), with c ≤ plain."""
        columns = program.add_variables(f"c_{name}", keys, 0.0, np.inf, doc)
        within_keys.extend(_within_key(name, key) for key in keys)
        within_plain.append(np.asarray(plain, dtype=np.int64).ravel())
        within_certified.append(columns)
        return columns

    # facilities in certifying regions make certified product (a refinery from
    # certified concentrate only, which the concentrate balance below enforces)
    capacity = terms.capacity
    assert capacity is not None, "supply registers its capacity first"
    facilities = [f for f in derived.data.facilities
                  if f.mineral in minerals and certifying[f.region]]
    if facilities:
        plain = capacity.output[[capacity.facility[f.facility] for f in facilities]]
        output = shadow("output", plain, [(f.facility, n) for f in facilities
                                          for n in ix.node_ids],
                        "certified production, t (§12)").reshape(plain.shape)
        for i, f in enumerate(facilities):
            code = _codes(ix, f.region, f.mineral)
            if f.stage == "mine":
                concentrate.add(code, output[i], 1.0)
            else:
                refined.add(code, output[i], 1.0)
                if f.stage == "refine":
                    concentrate.add(code, output[i], -1.0 / f.yield_)

    # shipments keep their grade: out of the origin's, into the destination's balance
    ship_block = program.block("ship")
    routes = derived.data.routes
    carried = [i for i, r in enumerate(routes) if r.mineral in minerals]
    if carried:
        plain = (ship_block.start + np.asarray(carried)[:, None] * ix.nodes + ix.node)
        ship = shadow("ship", plain, [(*_route(routes[i]), n) for i in carried
                                      for n in ix.node_ids],
                      "certified shipment, t (§12)").reshape(plain.shape)
        for j, i in enumerate(carried):
            r = routes[i]
            entries = concentrate if r.stage == "concentrate" else refined
            entries.add(_codes(ix, r.origin, r.mineral), ship[j], -1.0)
            entries.add(_codes(ix, r.destination, r.mineral), ship[j], 1.0)

    stocks = terms.stocks
    assert stocks is not None, "stockpiles register their stocks first"
    held = [s for s in derived.data.stockpiles if s.mineral in minerals]
    if held:
        at = [stocks.stockpile[s.stockpile] for s in held]
        keys = [(s.stockpile, n) for s in held for n in ix.node_ids]
        purchase = shadow("purchase", stocks.purchase[at], keys,
                          "certified purchase into stock, t (§12)").reshape(len(held), -1)
        release = shadow("release", stocks.release[at], keys,
                         "certified release from stock, t (§12)").reshape(len(held), -1)
        level = shadow("level", stocks.level[at], keys,
                       "certified stock at the end of the period, t (§12)"
                       ).reshape(len(held), -1)
        _certified_stock(program, ix, held, keys, purchase, release, level)
        for i, s in enumerate(held):
            entries = concentrate if s.stage == "concentrate" else refined
            code = _codes(ix, s.region, s.mineral)
            entries.add(code, release[i], 1.0)
            entries.add(code, purchase[i], -1.0)

    # c_shortfall ≤ Σ over tiers of shortfall, where certified demand is
    shortfall_block = program.block("shortfall")
    assert shortfall_block.key_columns is not None
    region_of, mineral_of = shortfall_block.key_columns[0], shortfall_block.key_columns[1]
    node_of = np.asarray(shortfall_block.key_columns[3], dtype=np.int64)
    tier_code = ix.balance_code(np.asarray(region_of.codes, dtype=np.int64),
                                np.asarray(mineral_of.codes, dtype=np.int64), node_of)
    short_keys = list(demand)
    codes = ix.balance_code(ix.codes([r for r, _, _ in short_keys], ix.region),
                            ix.codes([m for _, m, _ in short_keys], ix.mineral),
                            np.array([n for _, _, n in short_keys], dtype=np.int64))
    # c_shortfall ≤ the certified demand itself: above it, unmet certified demand would
    # count as certified supply that the region could ship on (docs/design.md)
    c_shortfall = program.add_variables("c_shortfall", short_keys, 0.0,
                                        np.array([demand[k] for k in short_keys]),
                                        "certified demand left unmet, t (§12)",
                                        ix.balance_columns(codes))
    refined.add(codes, c_shortfall, 1.0)
    position = {int(c): i for i, c in enumerate(codes)}
    member = np.array([position.get(int(c), -1) for c in tier_code], dtype=np.int64)
    tiers = np.nonzero(member >= 0)[0]
    program.add_constraints(
        "certified_shortfall", short_keys, LESS, 0.0,
        np.concatenate([np.arange(len(codes)), member[tiers]]),
        np.concatenate([c_shortfall, shortfall_block.columns[tiers]]),
        np.concatenate([np.ones(len(codes)), -np.ones(len(tiers))]),
        _certified_shortfall.__doc__)

    _certified_within(program, within_keys, within_plain, within_certified)
    _balance(program, ix, "certified_concentrate_balance", concentrate, {},
             _certified_concentrate_balance.__doc__)
    _balance(program, ix, "certified_refined_balance", refined,
             {int(c): demand[k] for c, k in zip(codes, short_keys, strict=True)},
             _certified_refined_balance.__doc__)


def _codes(ix: Indices, region: str, mineral: str) -> np.ndarray:
    """The balance codes of ``region`` and ``mineral`` at every node."""
    return ix.balance_code(np.asarray(ix.region[region]), np.asarray(ix.mineral[mineral]),
                           ix.node)


def _route(route: Route) -> tuple[str, str, str, str]:
    return (route.origin, route.destination, route.mineral, route.stage)


def _certified_shortfall() -> None:
    r"""§12 certified shortfall: c_shortfall ≤ Σ over tiers of shortfall.

    .. math:: u^c_{r,m,n} - \sum_{tiers} u_{r,m,i,n} \le 0
    """


def _within_key(name: str, plain: tuple[Any, ...]) -> tuple[str, str, int]:
    """A certified bound's row key: the plain block's name, what its key names (the
    facility; the route's origin, destination, mineral and stage; the stockpile) and
    the node. Flat and of one length whatever the block, as a Pyomo index must be."""
    *what, node = plain
    return (name, " ".join(map(str, what)), int(node))


def _certified_within(program: Program, keys: list[tuple[str, str, int]],
                      plain: list[np.ndarray], certified: list[np.ndarray]) -> None:
    r"""§12 bounds: every certified column at most its plain one (c_output ≤ output,
    c_ship ≤ ship, c_purchase ≤ purchase, c_release ≤ release, c_level ≤ level).

    .. math:: x^c - x \le 0
    """
    if not keys:
        return
    rows = np.arange(len(keys))
    program.add_constraints(
        "certified_within", keys, LESS, 0.0, np.concatenate([rows, rows]),
        np.concatenate([*certified, *plain]),
        np.concatenate([np.ones(len(keys)), -np.ones(len(keys))]),
        _certified_within.__doc__)


def _certified_stock(program: Program, ix: Indices, held: list[Stockpile],
                     keys: list[tuple[str, int]], purchase: np.ndarray, release: np.ndarray,
                     level: np.ndarray) -> None:
    r"""§12.1 Certified stock: c_level = c_level at the parent node (or
    certified_initial_t) + c_purchase − c_release.

    .. math:: s^c_{k,n} - s^c_{k,p(n)} - x^{c,buy}_{k,n} + x^{c,rel}_{k,n}
              = s^{c,0}_k [n \text{ first}]
    """
    rows = np.arange(level.size).reshape(level.shape)
    initial = np.array([s.certified_initial_t for s in held])[:, None]
    first = ix.parent < 0
    later = np.broadcast_to(~first, level.shape)
    parent = level[:, np.where(first, 0, ix.parent)]
    program.add_constraints(
        "certified_stock", keys, EQUAL, np.where(first, initial, 0.0).ravel(),
        np.concatenate([rows.ravel(), rows[later], rows.ravel(), rows.ravel()]),
        np.concatenate([level.ravel(), parent[later], purchase.ravel(), release.ravel()]),
        np.concatenate([np.ones(level.size), -np.ones(int(later.sum())),
                        -np.ones(level.size), np.ones(level.size)]),
        _certified_stock.__doc__)


def _balance(program: Program, ix: Indices, name: str, entries: Entries,
             demand: dict[int, float], doc: str | None) -> None:
    """One ≥ row per region, mineral and node where anything was registered, in the
    order first registered; ``demand`` the right-hand sides by balance code."""
    code, column, coefficient = entries.arrays()
    codes, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    order = np.argsort(first)
    row = np.empty(len(codes), dtype=np.int64)
    row[order] = np.arange(len(codes))
    codes = codes[order]
    rhs = np.array([demand.get(int(c), 0.0) for c in codes])
    program.add_constraints(name, ix.balance_key(codes), GREATER, rhs, row[inverse], column,
                            coefficient, doc, ix.balance_columns(codes))


def _certified_concentrate_balance() -> None:
    r"""§12.2 Certified concentrate balance: certified mine output + certified shipments
    in − out + certified releases − certified purchases ≥ Σ certified refinery output
    ÷ yield.

    .. math:: \sum_{mines} x^{c,out} + \sum_{in} x^{c,ship} - \sum_{out} x^{c,ship}
              + x^{c,rel} - x^{c,buy} - \sum_{ref} x^{c,out} / \eta \ge 0
    """


def _certified_refined_balance() -> None:
    r"""§12.3 Certified refined balance: certified refinery and recycler output +
    certified shipments in − out + certified releases − certified purchases +
    c_shortfall ≥ Σ certified_share × demand × y.

    .. math:: \sum x^{c,out} + \sum_{in} x^{c,ship} - \sum_{out} x^{c,ship} + x^{c,rel}
              - x^{c,buy} + u^c \ge \sum s^c D_{r,m,t}\, y_t
    """


# ---------------------------------------------------------------- words


def _explain_within(ctx: Context, key: tuple[str, str, int]) -> str:
    name, what, node = key
    return (f"the certified part of {name} {what} cannot exceed "
            f"the {name} itself in {ctx.when(int(node))}")


def _explain_stock(ctx: Context, key: tuple[str, int]) -> str:
    return (f"stockpile {key[0]}: certified level = previous certified level + certified "
            f"purchases − certified releases in {ctx.when(key[1])}")


def _explain_concentrate(ctx: Context, key: tuple[str, str, int]) -> str:
    return (f"certified {key[1]} concentrate in {key[0]} must cover its certifying "
            f"refineries in {ctx.when(key[2])}")


def _explain_refined(ctx: Context, key: tuple[str, str, int]) -> str:
    return (f"certified refined {key[1]} in {key[0]} must meet the certified share of "
            f"demand in {ctx.when(key[2])}")


def _premium_limit(ctx: Context, limit: Binding) -> str:
    """A binding certified refined balance on the sensitivity sheet: the certified
    demand it must meet and the premium it puts on certified product."""
    region, mineral, node_id = limit.key
    derived = ctx.derived
    node = derived.tree.nodes[node_id]
    weight = node.probability * derived.discount[node.period]
    premium = f"{limit.dual / weight:,.2f} {ctx.currency}/t" if weight > 0 else "—"
    demand = certified_demand(derived).get((region, mineral, node_id), 0.0)
    return (f"certified refined {mineral} in {region} ≥ certified demand of "
            f"{amount(demand)} t in {ctx.when(node_id)}; certified premium {premium}")


def _explain_shortfall(ctx: Context, key: tuple[str, str, int]) -> str:
    return (f"unmet certified {key[1]} demand in {key[0]} is part of its unmet demand "
            f"in {ctx.when(key[2])}")


def _explain_unmet(ctx: Context, key: tuple[str, str, int], limit: float, bound: str) -> str:
    return (f"unmet certified {key[1]} demand in {key[0]} is at most the certified demand "
            f"of {amount(limit)} t in {ctx.when(key[2])}")


def _explain_level(ctx: Context, key: tuple[str, int], limit: float, bound: str) -> str:
    return f"certified stock of {key[0]} is at least {amount(limit)} t in {ctx.when(key[1])}"


# ---------------------------------------------------------------- results


SAME = 1e-9  # a premium this small (per t) is none: the rule does not bind


def _rows(table: pd.DataFrame, nodes: int, region: Sequence[Any], mineral: Sequence[Any],
          node: Sequence[Any]) -> np.ndarray:
    """The row of ``table`` (a detail table in node form, its ``region`` and ``mineral``
    categorical) of each (region, mineral, node) given; −1 where it has none."""
    regions, minerals = table["region"].cat.categories, table["mineral"].cat.categories
    if not len(node) or not len(table):
        return np.full(len(node), -1, dtype=np.int64)
    where = np.full(len(regions) * len(minerals) * nodes, -1, dtype=np.int64)
    where[(table["region"].cat.codes.to_numpy(dtype=np.int64) * len(minerals)
           + table["mineral"].cat.codes.to_numpy(dtype=np.int64)) * nodes
          + table["node"].to_numpy(dtype=np.int64)] = np.arange(len(table))
    r = regions.get_indexer(pd.Index(np.asarray(region, dtype=object)))
    m = minerals.get_indexer(pd.Index(np.asarray(mineral, dtype=object)))
    known = (r >= 0) & (m >= 0)
    found = np.full(len(node), -1, dtype=np.int64)
    found[known] = where[(r[known] * len(minerals) + m[known]) * nodes
                         + np.asarray(node, dtype=np.int64)[known]]
    return found


def _shortfall_columns(solved: SolvedBlocks, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """``certified_demand_t`` (certified_share × demand) and ``certified_shortfall_t``
    (c_shortfall) on the rows of ``shortfalls``; 0 where there is no certified demand."""
    nodes = len(solved.derived.tree.nodes)
    demand = np.zeros(len(table))
    unmet = np.zeros(len(table))
    certified = certified_demand(solved.derived)
    if certified:
        region, mineral, node = zip(*certified, strict=True)
        rows = _rows(table, nodes, region, mineral, node)
        demand[rows[rows >= 0]] = np.fromiter(certified.values(), dtype=float)[rows >= 0]
    region, mineral, node = solved.column_keys("c_shortfall", 3)
    rows = _rows(table, nodes, region, mineral, node)
    unmet[rows[rows >= 0]] = solved.values("c_shortfall")[rows >= 0]
    return {"certified_demand_t": demand, "certified_shortfall_t": unmet}


def _price_columns(solved: SolvedBlocks, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """``certified_premium_per_t`` on the refined rows of ``prices``: the certified
    refined balance's dual scaled like the marginal price (÷ π_n δ_t); blank (NaN)
    where there is no certified refined balance, or no weight, and on concentrate."""
    premium = np.full(len(table), np.nan)
    region, mineral, node = solved.row_keys("certified_refined_balance", 3)
    if not len(node):
        return {"certified_premium_per_t": premium}
    weight = solved.tree.weight[np.asarray(node, dtype=np.int64)]
    dual = solved.duals("certified_refined_balance")
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(weight > 0, dual / np.where(weight > 0, weight, 1.0), np.nan)
    refined = np.flatnonzero((table["stage"] == "refined").to_numpy())
    rows = _rows(table.iloc[refined], len(solved.derived.tree.nodes), region, mineral, node)
    premium[refined[rows[rows >= 0]]] = scaled[rows >= 0]
    return {"certified_premium_per_t": premium}


def _figures(solved: SolvedBlocks) -> dict[str, float]:
    """``certified_shortfall_t`` of ``summary``: Σ over nodes of probability × unmet
    certified demand."""
    _, _, node = solved.column_keys("c_shortfall", 3)
    if not len(node):
        return {"certified_shortfall_t": 0.0}
    probability = np.array([n.probability for n in solved.derived.tree.nodes])
    return {"certified_shortfall_t": float(probability[np.asarray(node, np.int64)]
                                           @ solved.values("c_shortfall"))}


_KEYS = ["region", "mineral", "period", "scenario"]


def _with_premium(sheets: Sheets) -> pd.DataFrame:
    """The ``shortfalls`` rows with certified demand, with the refined premium there."""
    short = sheets["shortfalls"]
    prices = sheets["prices"]
    return short[short["certified_demand_t"] > 0].merge(
        prices[prices["stage"] == "refined"][[*_KEYS, "certified_premium_per_t"]],
        on=_KEYS, how="left")


def _headlines(derived: Derived, sheets: Sheets) -> list[Finding]:
    """Where the origin rule binds: per certified mineral, the largest certified premium
    where there is certified demand and the certified demand left unmet there (where no
    premium is above 0, the most certified demand left unmet). None when no premium and
    no certified shortfall is above 0."""
    rows = _with_premium(sheets)
    if not len(rows):
        return []
    rows["certified_premium_per_t"] = rows["certified_premium_per_t"].fillna(0.0)
    currency = derived.data.settings.currency
    found = []
    for mineral, group in rows.groupby("mineral", observed=True, sort=False):
        binds = (group["certified_premium_per_t"] > SAME) | (group["certified_shortfall_t"] > 0)
        if not binds.any():
            continue
        # the largest premium; among equal premiums (none at all, say) the most unmet
        worst = group.assign(premium=group["certified_premium_per_t"].round(6)).sort_values(
            ["premium", "certified_shortfall_t"], ascending=False, kind="stable").iloc[0]
        premium = float(worst["certified_premium_per_t"])
        unmet = number(float(worst["certified_shortfall_t"]))
        where = (f"in period {worst['period']} under scenario {worst['scenario']}")
        if premium > SAME:
            found.append(Finding(
                f"The origin rule adds {number(premium)} {currency}/t to {mineral} in "
                f"{worst['region']} and leaves {unmet} t of certified demand unmet {where}.",
                premium, f"{currency}/t", "prices"))
        else:
            found.append(Finding(
                f"The origin rule costs {mineral} in {worst['region']} no premium but leaves "
                f"{unmet} t of certified demand unmet {where}.",
                float(worst["certified_shortfall_t"]), "t", "shortfalls"))
    return found


def _charts(derived: Derived, sheets: Sheets) -> list[ChartSeries]:
    """The refined certified premium by scenario and period for each mineral with
    certified demand (in input order), averaged over the regions with certified demand
    weighted by their certified demand."""
    rows = _with_premium(sheets)
    rows = rows[rows["certified_premium_per_t"].notna()]
    weight = rows["certified_demand_t"]
    grouped = rows.assign(weighted=weight * rows["certified_premium_per_t"]).groupby(
        ["mineral", "scenario", "period"], observed=True)
    premium = grouped["weighted"].sum() / grouped["certified_demand_t"].sum()
    return [ChartSeries("certified_premium", str(mineral), premium.xs(mineral, level="mineral"))
            for mineral in dict.fromkeys(premium.index.get_level_values("mineral").tolist())]


COMPONENT = Component(
    "certified", define,
    rows=(
        Rows("certified_within", "§12 certified bounds", _explain_within),
        Rows("certified_stock", "§12.1 certified stock", _explain_stock),
        Rows("certified_concentrate_balance", "§12.2 certified concentrate balance",
             _explain_concentrate),
        Rows("certified_refined_balance", "§12.3 certified refined balance", _explain_refined,
             Limit("certified_refined_balance", "§12.3 certified refined balance",
                   _premium_limit)),
        Rows("certified_shortfall", "§12 certified shortfall", _explain_shortfall),
    ),
    columns=(
        Columns("c_output", "§12 certified bounds"),
        Columns("c_ship", "§12 certified bounds"),
        Columns("c_purchase", "§12 certified bounds"),
        Columns("c_release", "§12 certified bounds"),
        Columns("c_level", "§12 certified bounds", _explain_level),
        Columns("c_shortfall", "§12 certified shortfall", _explain_unmet),
    ),
    reported=Reported(
        columns=(
            TableColumns("shortfalls", _shortfall_columns,
                         quantities=("certified_demand_t", "certified_shortfall_t")),
            TableColumns("prices", _price_columns, means=("certified_premium_per_t",)),
        ),
        figures=_figures, headlines=_headlines, charts=_charts),
)
