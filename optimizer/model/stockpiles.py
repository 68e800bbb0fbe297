"""Stockpiles (Project Vault): fill, hold, release (MODEL.md §6.6, §6.10, §7, §11).

Levels are tonnes at the end of a period; purchases and releases are tonnes in the
period, capped by their yearly rates × years. Buying and releasing at the same node
is allowed.
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
from optimizer.model.program import EQUAL, LESS, Program, node_key_columns, node_keys
from optimizer.model.terms import Stocks, Terms


def _rate(limits: list[float | None]) -> np.ndarray:
    return np.array([np.inf if limit is None else limit for limit in limits], dtype=float)


def define(program: Program, ix: Indices, terms: Terms) -> None:
    """Declare ``purchase``, ``release``, ``level``, the stock rows and the budget;
    register the stocks (for other components' stock flows), purchases and releases in
    the balances, and the holding cost."""
    derived = ix.derived
    stockpiles = derived.data.stockpiles
    names = [s.stockpile for s in stockpiles]
    keys = node_keys(names, ix.node_ids)
    shape = (len(stockpiles), ix.nodes)
    # §6.6: release ≤ max_release_t × y, purchase ≤ max_purchase_t × y
    purchase_limit = _rate([s.max_purchase_t for s in stockpiles])[:, None] * ix.years
    release_limit = _rate([s.max_release_t for s in stockpiles])[:, None] * ix.years
    # §6.6: release = 0 where it needs a disruption of its mineral and none is active
    allowed = np.zeros(shape, dtype=bool)
    position = {name: i for i, name in enumerate(names)}
    for name, node in derived.release_allowed:
        allowed[position[name], node] = True
    # §6.6: min_level_t ≤ level ≤ capacity_t; level ≥ terminal_min_t in the last period
    minimum = np.array([s.min_level_t for s in stockpiles])[:, None]
    terminal = np.array([s.terminal_min_t for s in stockpiles])[:, None]
    last = ix.period == len(derived.data.periods) - 1
    low = np.where(last, np.maximum(minimum, terminal), minimum)
    capacity_t = np.array([s.capacity_t for s in stockpiles])[:, None]

    columns = node_key_columns(names, ix.nodes)
    purchase = program.add_variables("purchase", keys, 0.0, purchase_limit.ravel(),
                                     "into stock, t (§5)", columns).reshape(shape)
    release = program.add_variables("release", keys, 0.0,
                                    np.where(allowed, release_limit, 0.0).ravel(),
                                    "out of stock, t (§5)", columns).reshape(shape)
    level = program.add_variables("level", keys, np.broadcast_to(low, shape).ravel(),
                                  np.broadcast_to(capacity_t, shape).ravel(),
                                  "stock at the end of the period, t (§5)",
                                  columns).reshape(shape)
    _stock_balance(program, ix, keys, purchase, release, level)

    region = ix.codes([s.region for s in stockpiles], ix.region)
    mineral = ix.codes([s.mineral for s in stockpiles], ix.mineral)
    stage = np.array([s.stage for s in stockpiles])
    terms.stocks = Stocks(stockpile=position, purchase=purchase, release=release, level=level,
                          region=region, mineral=mineral, stage=stage)
    balance = ix.balance_code(region[:, None], mineral[:, None], ix.node)
    for product in PRODUCTS:
        held = stage == product
        terms.supply(product, np.stack([balance[held], balance[held]], axis=-1),
                     np.stack([release[held], purchase[held]], axis=-1),
                     np.broadcast_to([1.0, -1.0], (*release[held].shape, 2)))
    holding = np.array([s.holding_cost_per_t for s in stockpiles])[:, None] * ix.years
    terms.cost("holding_cost", np.broadcast_to(ix.node, shape), level, holding)
    _stockpile_budget(program, ix, purchase)


def _stock_balance(program: Program, ix: Indices, keys: list[tuple[str, int]],
                   purchase: np.ndarray, release: np.ndarray, level: np.ndarray) -> None:
    r"""§6.6 Stock: level = level at the parent node (or initial_t) + purchase − release.

    .. math:: s_{k,n} - s_{k,p(n)} - x^{buy}_{k,n} + x^{rel}_{k,n} = s^0_k [n \text{ first}]

    Row ``k × nodes + n`` is stockpile ``k`` at node ``n``; flows other components
    register (:meth:`~optimizer.model.terms.Terms.stock_flow`) join these rows when the
    balances close.
    """
    rows = np.arange(level.size).reshape(level.shape)
    initial = np.array([s.initial_t for s in ix.derived.data.stockpiles])[:, None]
    first = ix.parent < 0
    later = np.broadcast_to(~first, level.shape)
    parent = level[:, np.where(first, 0, ix.parent)]
    program.add_constraints(
        "stock_balance", keys, EQUAL, np.where(first, initial, 0.0).ravel(),
        np.concatenate([rows.ravel(), rows[later], rows.ravel(), rows.ravel()]),
        np.concatenate([level.ravel(), parent[later], purchase.ravel(), release.ravel()]),
        np.concatenate([np.ones(level.size), -np.ones(int(later.sum())),
                        -np.ones(level.size), np.ones(level.size)]),
        _stock_balance.__doc__,
    )


def _stockpile_budget(program: Program, ix: Indices, purchase: np.ndarray) -> None:
    r"""§6.10 Stockpile budget: for every scenario, Σ over the nodes on its path of
    purchase × market price ≤ stockpile_budget.

    .. math:: \sum_{n \in path(s)} \sum_k p_{k,n} x^{buy}_{k,n} \le B

    One row per distinct path (scenarios that share every node share the row), none
    where nothing on the path has a price.
    """
    derived = ix.derived
    budget = derived.data.settings.stockpile_budget
    stockpiles = derived.data.stockpiles
    if budget is None or not stockpiles:
        return
    market = derived.market_price
    price = np.array([[market.get((s.mineral, s.stage, n), 0.0) for n in ix.node_ids]
                      for s in stockpiles])
    paths = derived.tree.paths
    leaves = {path[-1]: scenario for scenario, path in paths.items()}
    order = list(paths)
    keys: list[str] = []
    rows, columns, coefficients = [], [], []
    for scenario in sorted(leaves.values(), key=order.index):
        path = np.asarray(paths[scenario], dtype=np.int64)
        priced = price[:, path] > 0
        if not priced.any():
            continue
        rows.append(np.full(int(priced.sum()), len(keys)))
        columns.append(purchase[:, path][priced])
        coefficients.append(price[:, path][priced])
        keys.append(scenario)
    program.add_constraints(
        "stockpile_budget", keys, LESS, budget,
        np.concatenate(rows) if rows else np.zeros(0), np.concatenate(columns) if columns
        else np.zeros(0), np.concatenate(coefficients) if coefficients else np.zeros(0),
        _stockpile_budget.__doc__,
    )


# ---------------------------------------------------------------- words


def _explain_stock(ctx: Context, key: tuple[str, int]) -> str:
    return (f"stockpile {key[0]}: level = previous level + purchases − releases "
            f"in {ctx.when(key[1])}")


def _explain_budget(ctx: Context, key: str) -> str:
    budget = ctx.derived.data.settings.stockpile_budget
    return f"stockpile purchases along scenario {key} within the budget of {amount(budget or 0)}"


def _explain_purchase(ctx: Context, key: tuple[str, int], limit: float, bound: str) -> str:
    return f"purchases into stockpile {key[0]} are capped at {amount(limit)} t " \
           f"(max_purchase_t × years) in {ctx.when(key[1])}"


def _explain_release(ctx: Context, key: tuple[str, int], limit: float, bound: str) -> str:
    why = f"capped at {amount(limit)} t (max_release_t × years)" if limit else \
        "not allowed (release needs a disruption of its mineral)"
    return f"releases from stockpile {key[0]} are {why} in {ctx.when(key[1])}"


def _explain_level(ctx: Context, key: tuple[str, int], limit: float, bound: str) -> str:
    if bound == "upper":
        return f"stockpile {key[0]} holds at most {amount(limit)} t (capacity_t) " \
               f"in {ctx.when(key[1])}"
    stockpile = ctx.stockpiles[key[0]]
    last = ctx.derived.tree.nodes[key[1]].period == len(ctx.derived.data.periods) - 1
    what = "terminal level (terminal_min_t)" \
        if last and stockpile.terminal_min_t > stockpile.min_level_t \
        else "minimum level (min_level_t)"
    return f"stockpile {key[0]}: {what} {amount(limit)} t must be held at the end of " \
           f"{ctx.when(key[1])}"


def _budget_limit(ctx: Context, limit: Binding) -> str:
    """A budget row stands for every scenario whose path ends at its leaf."""
    paths = ctx.derived.tree.paths
    leaf = paths[limit.key][-1]
    sharing = [s for s, path in paths.items() if path[-1] == leaf]
    who = ("scenario " if len(sharing) == 1 else "scenarios ") + ", ".join(sharing)
    return (f"stockpile purchases at market prices along the path of {who} ≤ "
            f"stockpile_budget")


COMPONENT = Component(
    "stockpiles", define,
    rows=(
        Rows("stock_balance", "§6.6 stock", _explain_stock),
        Rows("stockpile_budget", "§6.10 stockpile budget", _explain_budget,
             Limit("stockpile_budget", "§6.10 stockpile budget", _budget_limit, money=True)),
    ),
    columns=(
        Columns("purchase", "§6.6 stock", _explain_purchase),
        Columns("release", "§6.6 stock", _explain_release),
        Columns("level", "§6.6 stock", _explain_level),
    ),
    costs=(Cost("holding_cost", "holding_cost_per_t × stock level × years"),),
)
