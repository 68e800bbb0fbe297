"""Solving a sweep's points: sequentially or on a local process pool, with a cache.

Each point is solved by the same pipeline as ``optimizer run`` (MODEL.md §3–§7) and
reduced to its figures (:func:`figures`): status, the objective, each expected cost
component, and the expected shortfall per mineral. A point is keyed by the hash of
its model data and the optimizer's version; solved points are kept as one Parquet
file each in the cache folder, so a rerun solves only the points it has not seen.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer import __version__
from optimizer.data import ModelData
from optimizer.pipeline import Outcome, optimize
from optimizer.results.accounting import Accounts
from optimizer.solve.explain import not_solved_message
from optimizer.solve.highs import SolverOptions
from optimizer.sweep.grid import Point, point_input
from optimizer.workbook.problems import Problems
from optimizer.workbook.reading import RawWorkbook
from optimizer.workbook.validation import validate

Figures = dict[str, object]


def point_key(data: ModelData) -> str:
    """The hash of a point's model data and the optimizer's version (the cache key)."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(repr(data).encode())  # frozen dataclasses: their repr is their content
    return digest.hexdigest()[:32]


def figures(outcome: Outcome) -> Figures:
    """A solved point's key figures: ``status``, ``reason`` (why there is no optimal
    plan, in ``run``'s words), ``objective``, ``cost_<component>`` (expected, §7),
    ``shortfall_<mineral>`` (expected tonnes over the horizon), and the stock and spend
    of :func:`_stock_and_spend`."""
    if not outcome.optimal:
        return {"status": outcome.solution.status, "reason": not_solved_message(
            outcome.derived, outcome.lp, outcome.solution)}
    assert outcome.solution.values is not None
    accounts = Accounts(outcome.derived, outcome.lp, outcome.solution.values)
    found: Figures = {"status": "optimal", "reason": "",
                      "objective": float(outcome.solution.objective or 0.0)}
    for name, amount in accounts.expected_costs.items():
        found[f"cost_{name}"] = float(amount)
    probability = [n.probability for n in outcome.derived.tree.nodes]
    short: dict[str, float] = {m.mineral: 0.0 for m in outcome.data.minerals}
    for (_, mineral, _, node), tonnes in outcome.values("shortfall").items():
        short[mineral] += probability[node] * tonnes
    for mineral, tonnes in short.items():
        found[f"shortfall_{mineral}"] = float(np.round(tonnes, 9))
    found.update(_stock_and_spend(outcome, probability))
    return found


def _stock_and_spend(outcome: Outcome, probability: list[float]) -> dict[str, float]:
    """``peak_stock_t`` (the most held in all stockpiles at any node), ``vault_spend``
    (expected Σ purchase × market price, as §6.10 counts it against the budget) and
    ``expansion_spend`` (Σ build × capex_per_t, overnight, as §6.10 counts it)."""
    stockpile = {s.stockpile: s for s in outcome.data.stockpiles}
    held: dict[int, float] = {}
    for (_, node), tonnes in outcome.values("level").items():
        held[node] = held.get(node, 0.0) + tonnes
    price = outcome.derived.market_price
    spend = sum(probability[node] * tonnes * price.get(
        (stockpile[name].mineral, stockpile[name].stage, node), 0.0)
        for (name, node), tonnes in outcome.values("purchase").items())
    capex = {f.facility: f.capex_per_t for f in outcome.data.facilities}
    built = sum(capex[name] * tonnes for name, tonnes in outcome.values("build").items())
    return {"peak_stock_t": max(held.values(), default=0.0), "vault_spend": float(spend),
            "expansion_spend": float(built)}


def solve_point(data: ModelData, threads: int | None = 1) -> Figures:
    """Solve one point with ``threads`` HiGHS threads (``None``: as HiGHS chooses) and
    return its figures. HiGHS fixes its thread pool at its first solve in a process, so
    a point solved in the caller's own process leaves the count alone."""
    return figures(optimize(data, SolverOptions(threads=threads)))


_WORKER_INPUT: list[RawWorkbook] = []  # the unchanged input, once per worker process


def _start_worker(raw: RawWorkbook) -> None:
    logging.disable(logging.INFO)  # the parent tells of each point; workers stay quiet
    _WORKER_INPUT[:] = [raw]


def _solve_change_set(point: Point) -> Figures:
    """In a worker: the point's changes applied to the worker's input, then solved
    (the changes were validated before the sweep started)."""
    data = validate(point_input(_WORKER_INPUT[0], point, Problems()), Problems())
    assert data is not None, f"point {point.name} was validated before it was sent"
    return solve_point(data)


class Cache:
    """Solved points' figures, one Parquet file per key in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.parquet"

    def get(self, key: str) -> Figures | None:
        """The figures kept under ``key``, or ``None``."""
        path = self._path(key)
        if not path.exists():
            return None
        row = pd.read_parquet(path).iloc[0].to_dict()
        return {str(k): v for k, v in row.items() if not (isinstance(v, float) and np.isnan(v))}

    def put(self, key: str, found: Figures) -> None:
        """Keep ``found`` under ``key`` (written whole, then renamed into place)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self._path(key).with_suffix(".part")
        pd.DataFrame([found]).to_parquet(temporary, index=False)
        temporary.replace(self._path(key))


def _solve_on_dask(raw: RawWorkbook, point: Point) -> Figures:
    """On a Dask worker: the point's changes applied to the scattered input, solved."""
    logging.disable(logging.INFO)
    data = validate(point_input(raw, point, Problems()), Problems())
    assert data is not None, f"point {point.name} was validated before it was sent"
    return solve_point(data)


def _on_dask(raw: RawWorkbook, changes: Mapping[str, Point], todo: list[str], scheduler: str,
             workers: int, finish: Callable[[str, Figures], None],
             on_dashboard: Callable[[str], None] | None) -> None:
    """Solve ``todo`` on Dask: ``scheduler`` ``local`` starts a ``LocalCluster`` of
    ``workers`` processes with one thread each; otherwise it is the address of a running
    scheduler (``tcp://HOST:PORT``). The input is scattered to every worker once."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    try:
        with Client(  # type: ignore[no-untyped-call]
                cluster if cluster is not None else scheduler) as client:
            if on_dashboard is not None and client.dashboard_link:
                on_dashboard(client.dashboard_link)
            shared = client.scatter(raw, broadcast=True)
            futures = {client.submit(_solve_on_dask, shared, changes[name], pure=False): name
                       for name in todo}
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                finish(futures[future], future.result())
    finally:
        if cluster is not None:
            cluster.close()


def solve_points(
    raw: RawWorkbook, changes: Mapping[str, Point], points: Mapping[str, ModelData], *,
    workers: int = 1, cache: Cache | None = None,
    on_done: Callable[[str, Figures], None] | None = None,
    scheduler: str | None = None, on_dashboard: Callable[[str], None] | None = None,
) -> dict[str, Figures]:
    """Every point's figures, by point name in the order given. Points in ``cache``
    are not solved again; the others are solved sequentially (``workers`` 1) or on a
    pool of ``workers`` processes, each with one HiGHS thread, and kept in ``cache``
    as each finishes. A worker receives the unchanged input ``raw`` once and each
    point as its change set (``changes``), never a whole input per point. With
    ``scheduler`` the points are solved on Dask instead (:func:`_on_dask`)."""
    keys = {name: point_key(data) for name, data in points.items()}
    done: dict[str, Figures] = {}
    todo: list[str] = []
    for name in points:
        kept = cache.get(keys[name]) if cache is not None else None
        if kept is None:
            todo.append(name)
        else:
            done[name] = kept

    def finish(name: str, found: Figures) -> None:
        done[name] = found
        if cache is not None:
            cache.put(keys[name], found)
        if on_done is not None:
            on_done(name, found)

    if scheduler is not None and todo:
        _on_dask(raw, changes, todo, scheduler, workers, finish, on_dashboard)
    elif workers <= 1:
        for name in todo:
            logging.disable(logging.INFO)  # each point's stage timings are not the sweep's
            try:
                found = solve_point(points[name], threads=None)
            finally:
                logging.disable(logging.NOTSET)
            finish(name, found)
    else:
        # spawned, not forked: a fork would inherit HiGHS's thread pool without its threads
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                                 initargs=(raw,),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {name: pool.submit(_solve_change_set, changes[name]) for name in todo}
            for name, future in futures.items():
                finish(name, future.result())
    return {name: done[name] for name in points}
