"""Solving a sweep's points: sequentially, on a local process pool or on Dask, with a cache.

Each point is derived, built and compiled by the same pipeline as ``optimizer run``
(MODEL.md §3–§7) and solved warm (:mod:`optimizer.solve.warm`): every process solves
the base point once and starts each later point of the same structure from its
optimal basis, after changing only the coefficients and bounds that differ. A point
is reduced to its figures (:func:`figures`, or the measure a :class:`Solving` names)
and, with ``each_results``, also written as its own results workbook. A point is keyed
by the hash of its model data, the measure, warm or cold, and the optimizer's
version; solved points are kept as one Parquet file each in the cache folder, so a
rerun solves only the points it has not seen.

Every point is checked (its changes applied to the input and validated) before any is
solved; on a pool or on Dask the workers check them, a batch each at a time, and send
back each point's errors, or the fields of its model data that differ from the base
point's (its change set) and its cache key. The sequential run, the pool and Dask
then solve each point from the base point's model data and the point's change set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer import __version__
from optimizer.data import ModelData
from optimizer.model.derive import PRODUCT_OF_STAGE, Derived
from optimizer.pipeline import Outcome, prepare
from optimizer.results.accounting import Accounts
from optimizer.results.tables import Solved, dependence, flows, stockpiles
from optimizer.solve.explain import not_solved_message
from optimizer.solve.highs import CompiledLP, SolverOptions, solve
from optimizer.solve.warm import WarmSolver
from optimizer.sweep.grid import Point, check_point
from optimizer.timing import timed
from optimizer.workbook.problems import InputError, Problem
from optimizer.workbook.reading import RawWorkbook

if TYPE_CHECKING:
    from optimizer.results.information import ValueOfInformation

Figures = dict[str, object]
Measure = Callable[[Outcome], Figures]


def point_key(data: ModelData, solving: Solving | None = None) -> str:
    """The hash of a point's model data, the figures asked of it (the measure, and
    whether with the value of information), whether it is solved warm or cold (where a
    point has several optima, the two may find different ones) and the optimizer's
    version (the cache key)."""
    solving = solving or Solving()
    digest = hashlib.sha256(__version__.encode())
    digest.update(f"{solving.measure.__qualname__}|{solving.value_of_information}|"
                  f"{'warm' if solving.warm else 'cold'}".encode())
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
    found.update(_dependence_and_support(outcome, accounts, probability))
    return found


def _dependence_and_support(outcome: Outcome, accounts: Accounts,
                            probability: list[float]) -> dict[str, float]:
    """``non_member_share_<mineral>``: the zone's expected refined supply from
    non-members over the horizon ÷ all of it (the ``dependence`` sheet's rows, by its
    own function, weighted by node probability; blank where the zone is supplied
    nothing), and ``price_gap_support`` (:func:`price_gap_support`)."""
    solved = Solved(outcome.derived, outcome.lp, outcome.solution, accounts.tree)
    supply = dependence(solved, stockpiles(solved), flows(solved))
    weight = np.asarray(probability)[supply["node"].to_numpy(dtype=np.int64)]
    outside = supply["from_non_members_t"].to_numpy() * weight
    inside = supply["from_members_t"].to_numpy() * weight
    minerals = supply["mineral"].astype(str).to_numpy()
    found: dict[str, float] = {}
    for m in outcome.data.minerals:
        mine = minerals == m.mineral
        whole = float(outside[mine].sum() + inside[mine].sum())
        found[f"non_member_share_{m.mineral}"] = float(outside[mine].sum()) / whole \
            if whole > 1e-9 else float("nan")
    found["price_gap_support"] = price_gap_support(solved, probability)
    return found


def price_gap_support(solved: Solved, probability: list[float]) -> float:
    """The members' expected discounted price-gap support: Σ_n π_n δ_t Σ over member
    facilities of max(0, floor − market price) of their product × output, where a
    floor holds (the ``burden`` sheet's expected ``price_gap_support`` of the zone)."""
    derived = solved.derived
    nodes = derived.tree.nodes
    period = np.array([n.period for n in nodes], dtype=np.int64)
    weight = np.asarray(probability) * np.asarray(derived.discount)[period]
    output = np.nan_to_num(solved.per_facility_node("output"))
    gaps: dict[tuple[str, str], np.ndarray] = {}
    total = 0.0
    for i, f in enumerate(derived.data.facilities):
        if not derived.zone_member[f.region]:
            continue
        key = (f.mineral, PRODUCT_OF_STAGE[f.stage])
        if key not in gaps:
            floors: Mapping[tuple[str, str, int], float] = derived.floor_price  # type: ignore[assignment]
            gaps[key] = np.array([
                max(0.0, floors[(*key, n.period)] - derived.market_price.get((*key, n.id), 0.0))
                if (*key, n.period) in floors else 0.0 for n in nodes])
        total += float(np.dot(weight * gaps[key], output[i]))
    return total


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


@dataclass(frozen=True, slots=True)
class Solving:
    """How each point is solved and what is kept of it; sent to every worker once.

    ``measure`` reduces an outcome to figures (a module-level function, so that it
    travels to workers); ``each_results`` is a folder for every point's full results
    workbook (named after the point), ``input_path`` the input they name;
    ``value_of_information`` adds each point's ``vss`` (and its sheet to the results);
    ``warm`` starts each point from the base point's basis (:mod:`optimizer.solve.warm`).
    """

    measure: Measure = figures
    each_results: Path | None = None
    input_path: Path | None = None
    value_of_information: bool = False
    warm: bool = True


class PointSolver:
    """Solves the points of one sweep in one process: derive, build and compile each,
    then solve it warm from the base point (``base``: its model data) or cold. The
    base point is derived, built and compiled once, for its own solve and the warm
    start alike."""

    def __init__(self, base: ModelData, solving: Solving, threads: int | None) -> None:
        self.solving = solving
        self.options = SolverOptions(threads=threads)
        self.base = base
        self._prepared: tuple[Derived, CompiledLP, dict[str, float]] | None = None
        self._warm: WarmSolver | None = None

    def _prepare(self, data: ModelData) -> tuple[Derived, CompiledLP, dict[str, float]]:
        """The point's derived data, LP and stage timings; the base point's (``data`` is
        :attr:`base`) prepared once and kept."""
        if data is self.base and self._prepared is not None:
            return self._prepared
        timings: dict[str, float] = {}
        derived, lp = prepare(data, timings)
        if data is self.base:
            self._prepared = (derived, lp, timings)
        return derived, lp, timings

    def prime(self) -> None:
        """Build and solve the base point's LP, whose basis warm-starts the later points
        (done at the first point solved)."""
        if self.solving.warm and self._warm is None:
            self._warm = WarmSolver(self._prepare(self.base)[1], self.options)
            self._warm.prime()

    def outcome(self, data: ModelData) -> Outcome:
        """The point's outcome, of any status."""
        derived, lp, prepared = self._prepare(data)
        timings = dict(prepared)
        self.prime()
        with timed(timings, "solve"):
            solution = self._warm.solve(lp) if self._warm is not None \
                else solve(lp, self.options)
        return Outcome(data, derived, lp, solution, timings)

    def solve(self, name: str, data: ModelData) -> Figures:
        """The point's figures (with ``vss`` when asked for), its results workbook
        written when asked for."""
        outcome = self.outcome(data)
        found = self.solving.measure(outcome)
        if not outcome.optimal:
            return found
        information = None
        if self.solving.value_of_information:
            from optimizer.results.information import value_of_information

            information = value_of_information(outcome, self.options)
            found["vss"] = float(information.vss)
        if self.solving.each_results is not None:
            assert self.solving.input_path is not None, "each_results names the input"
            write_point_results(outcome, self.solving.input_path,
                                results_path(self.solving.each_results, name), information)
        return found


def write_point_results(outcome: Outcome, input_path: Path, output: Path,
                        information: ValueOfInformation | None = None) -> Path:
    """A point's full results workbook, by the writers of ``optimizer run`` (and its
    complete detail tables beside it when a sheet had to be reduced), with the value
    of information when it was computed; its summary names ``input_path``, the input
    the point changed."""
    from optimizer.files import file_sha256
    from optimizer.report import parquet, xlsx
    from optimizer.results import Provenance, collect

    output.parent.mkdir(parents=True, exist_ok=True)
    folder = parquet.detail_folder(output)
    results = collect(outcome, Provenance(input_path, file_sha256(input_path),
                                          sum(outcome.timings.values()), folder.name),
                      information)
    if results.writes_detail:
        parquet.write(results, folder)
    xlsx.write(results.workbook(), output, input_path=input_path,
               forms={name: form.sheet for name, form in results.forms.items()})
    return output


def results_path(folder: Path, point: str) -> Path:
    """Where ``--each-results`` keeps a point's results: ``<folder>/<point>.xlsx``,
    with any character a file name cannot hold as ``_``."""
    return folder / f"{re.sub(r'[^A-Za-z0-9._=+-]', '_', point)}.xlsx"


# Model data as the fields that differ from the base point's: what a worker is sent of a
# point. Mapping fields travel as plain dicts (a mapping proxy does not pickle).
DataChanges = dict[str, object]


def data_changes(data: ModelData, base: ModelData | None = None) -> DataChanges:
    """The fields of ``data`` (a point's validated model data) that differ from
    ``base``'s (for a point that changes one budget, the settings alone); every field
    without ``base``."""
    found: DataChanges = {}
    for f in dataclasses.fields(ModelData):
        value = getattr(data, f.name)
        if base is None or value != getattr(base, f.name):
            found[f.name] = dict(value) if isinstance(value, Mapping) else value
    return found


def with_changes(changed: DataChanges, base: ModelData | None = None) -> ModelData:
    """``base`` with ``changed`` (:func:`data_changes`) put back: the point's model data,
    equal to its own validation's (without ``base``, ``changed`` holds every field;
    with nothing changed, ``base`` itself, whose LP its solver has built already)."""
    if base is not None and not changed:
        return base
    fields = {name: MappingProxyType(value) if isinstance(value, dict) else value
              for name, value in changed.items()}
    if base is None:
        return ModelData(**fields)  # type: ignore[arg-type]
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


# A point checked: its errors (prefixed by its point), or its change set against the base
# point (:func:`data_changes`) and its cache key (:func:`point_key`).
Checked = tuple[list[Problem], DataChanges | None, str | None]


def _checked(raw: RawWorkbook, base: ModelData, point: Point, solving: Solving) -> Checked:
    """The point's changes applied to ``raw`` and validated (:func:`check_point`): its
    errors, or its change set against ``base`` and its cache key."""
    errors, data = check_point(raw, point)
    if data is None:
        return errors, None, None
    return errors, data_changes(data, base), point_key(data, solving)


# What every worker is sent once: the input, the base point's model data (as its change
# set against nothing: every field) and how to solve
Shared = tuple[RawWorkbook, DataChanges, Solving]
# A worker's state: the input, the base point's model data, the point solver
WorkerState = tuple[RawWorkbook, ModelData, PointSolver]

# a pool worker's state, set as it starts (:func:`_start_worker`)
_WORKER: dict[str, WorkerState] = {}
# a Dask worker's states, by the id of the scattered ``Shared``, each kept with it so
# that its id is not reused: Dask may hand the shared data of another sweep to the same
# worker
_DASK: dict[int, tuple[Shared, WorkerState]] = {}


def _worker_state(shared: Shared) -> WorkerState:
    """A worker's state from what it was sent once. The base point is built and solved
    at the first point solved, after every point is checked, so a bad grid is told
    without a solve."""
    logging.disable(logging.INFO)  # the parent tells of each point; workers stay quiet
    raw, base, solving = shared
    data = with_changes(base)
    return raw, data, PointSolver(data, solving, threads=1)


def _start_worker(raw: RawWorkbook, base: DataChanges, solving: Solving) -> None:
    """A pool worker's start: the input and the base point's model data (validated by
    the parent), each sent once."""
    _WORKER["input"] = _worker_state((raw, base, solving))


def _state(shared: Shared | None) -> WorkerState:
    """This worker's state: the pool worker's (``shared`` None), or on Dask the one kept
    for the scattered ``shared``, made at its first batch."""
    if shared is None:
        return _WORKER["input"]
    if id(shared) not in _DASK:
        _DASK[id(shared)] = (shared, _worker_state(shared))
    return _DASK[id(shared)][1]


def _check_batch(batch: list[Point], shared: Shared | None = None) -> list[Checked]:
    """In a worker: each point of ``batch`` checked against the worker's input."""
    raw, base, solver = _state(shared)
    return [_checked(raw, base, point, solver.solving) for point in batch]


def _solve_batch(batch: list[tuple[str, DataChanges]],
                 shared: Shared | None = None) -> list[Figures]:
    """In a worker: each point of ``batch`` (its name and :func:`data_changes`, checked
    before) rebuilt from the worker's base point and solved, in order."""
    _, base, solver = _state(shared)
    return [solver.solve(name, with_changes(changed, base)) for name, changed in batch]


# the thread pools of numpy's linear algebra and of OpenMP, one thread in each worker
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def environment_kept() -> Iterator[None]:
    """While open, this process's environment may change (for processes started
    meanwhile to inherit); afterwards it is as it was."""
    kept = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(kept)


@contextmanager
def one_thread_each() -> Iterator[None]:
    """While open, processes started get one thread in each of numpy's and OpenMP's
    pools (``ONE_THREAD``, where the user has not set them): N workers on N cores,
    not N times the cores' threads contending for them, as Dask's workers are started
    too. The variables are as they were afterwards."""
    with environment_kept():
        for name in ONE_THREAD:
            os.environ.setdefault(name, "1")
        yield


def batch_size(points: int, workers: int) -> int:
    """Points sent to a worker at a time: few enough messages that each costs nothing
    beside a solve, small enough that the workers finish together and the progress bar
    moves (at least four batches a worker, at most 8 points each)."""
    return max(1, min(8, points // (4 * workers)))


def _kept_results(solving: Solving, name: str, found: Figures) -> bool:
    """Whether the results workbook ``each_results`` asks of a cached point is there
    (a point without an optimal plan has none)."""
    return (solving.each_results is None or found.get("status") != "optimal"
            or results_path(solving.each_results, name).exists())


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
        return {str(k): v for k, v in row.items()}  # a blank share stays NaN, in its place

    def put(self, key: str, found: Figures) -> None:
        """Keep ``found`` under ``key`` (written whole, then renamed into place)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self._path(key).with_suffix(".part")
        pd.DataFrame([found]).to_parquet(temporary, index=False)
        temporary.replace(self._path(key))


# Sends a batch to a worker: ``submit(function, batch)`` gives a future of its result
Submit = Callable[[Callable[..., list[Any]], list[Any]], Any]


# Set by Dask's nanny in every worker it starts (``distributed.nanny.pre-spawn-environ``)
# to hand freed memory back to the system; setting it also turns off glibc's adaptive
# mmap threshold, so that every array over 128 KiB a point's build makes is mapped
# afresh and faulted in page by page: measured on the default case, 16 times the page
# faults and about 10 s more system CPU over 201 points, on the pool too (docs/sweeps.md)
MALLOC_TRIM = "MALLOC_TRIM_THRESHOLD_"


def local_cluster(workers: int) -> Any:
    """A Dask ``LocalCluster`` of ``workers`` processes with one thread each, whose
    workers start with one thread of numpy's and OpenMP's pools (Dask's own setting) and
    glibc's own memory allocation (without :data:`MALLOC_TRIM`, as the pool's workers).
    This process's environment is as it was (:func:`environment_kept`): Dask's nanny
    leaves its pre-spawn variables in it, which processes started later would inherit."""
    import dask
    from distributed import LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ[MALLOC_TRIM] = None  # Dask's way of leaving a variable unset
    with environment_kept(), dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")


@contextmanager
def _dask(shared: Shared, scheduler: str, workers: int,
          on_dashboard: Callable[[str], None] | None) -> Iterator[tuple[Submit, int]]:
    """While open, Dask workers, each sent ``shared`` once, and how many there are:
    ``scheduler`` ``local`` starts a :func:`local_cluster` of ``workers`` processes;
    otherwise it is the address of a running scheduler (``tcp://HOST:PORT``)."""
    from distributed import Client

    cluster = local_cluster(workers) if scheduler == "local" else None
    try:
        with Client(  # type: ignore[no-untyped-call]
                cluster if cluster is not None else scheduler) as client:
            if on_dashboard is not None and client.dashboard_link:
                on_dashboard(client.dashboard_link)
            # in a list: a scattered tuple would be scattered item by item
            [sent] = client.scatter([shared], broadcast=True)
            count = len(client.scheduler_info()["workers"]) or workers

            def submit(function: Callable[..., list[Any]], batch: list[Any]) -> Any:
                return client.submit(function, batch, sent, pure=False)

            yield submit, count
    finally:
        if cluster is not None:
            cluster.close()


@contextmanager
def _pool(shared: Shared, workers: int) -> Iterator[tuple[Submit, int]]:
    """While open, a pool of ``workers`` spawned processes, each sent ``shared`` once
    (:func:`_start_worker`), and how many there are; with one thread of each of
    numpy's and OpenMP's pools (the pool starts its processes as work comes). Spawned,
    not forked: a fork would inherit HiGHS's thread pool without its threads."""
    with one_thread_each(), ProcessPoolExecutor(
            max_workers=workers, initializer=_start_worker,
            initargs=shared,
            mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool.submit, workers


def _batched(items: Sequence[Point] | Sequence[tuple[str, DataChanges]],
             workers: int) -> list[list[Any]]:
    size = batch_size(len(items), workers)
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def solve_points(
    raw: RawWorkbook, points: Sequence[Point], *, workers: int = 1,
    cache: Cache | None = None, on_start: Callable[[int], None] | None = None,
    on_done: Callable[[str, Figures], None] | None = None,
    scheduler: str | None = None, on_dashboard: Callable[[str], None] | None = None,
    solving: Solving | None = None,
) -> dict[str, Figures]:
    """Every point's figures, by point name in the order given; ``points`` are
    changes to the input ``raw``, the first the base point, from which every process
    warm-starts the others; ``solving`` says how (:class:`Solving`).

    First every point is checked (its changes applied and validated); any error of any
    point raises :class:`InputError` with all of them, each naming its point, in the
    order of the points, before any point is solved. Points in ``cache`` are not solved
    again (``on_start`` is told how many will be); the others are solved sequentially
    (``workers`` 1), on a pool of ``workers`` processes with one HiGHS thread each, or
    with ``scheduler`` on Dask (:func:`_dask`), and kept in ``cache`` as each
    finishes (``on_done`` is told). On the pool and on Dask the workers check the
    points too, a batch at a time; every engine solves a point from the base point's
    model data and the point's change set."""
    solving = solving or Solving()
    base_errors, base = check_point(raw, points[0])
    with ExitStack() as stack:
        if base is None:  # the input itself is bad: every point told, as the others'
            checked = [check_point(raw, p)[0] for p in points[1:]]
            raise InputError([*base_errors, *(e for errors in checked for e in errors)], [])
        submit: Submit | None = None
        if scheduler is not None or workers > 1:
            shared: Shared = (raw, data_changes(base), solving)
            submit, workers = stack.enter_context(
                _pool(shared, workers) if scheduler is None
                else _dask(shared, scheduler, workers, on_dashboard))
            futures = [submit(_check_batch, batch)
                       for batch in _batched(points[1:], workers)]
            rest = [c for future in futures for c in future.result()]
        else:
            rest = [_checked(raw, base, p, solving) for p in points[1:]]
        found: list[Checked] = [([], {}, point_key(base, solving)), *rest]
        errors = [e for checked, _, _ in found for e in checked]
        if errors:
            raise InputError(errors, [])
        sent = {p.name: c for p, (_, c, _) in zip(points, found, strict=True) if c is not None}
        keys = {p.name: k for p, (_, _, k) in zip(points, found, strict=True) if k is not None}
        done: dict[str, Figures] = {}
        todo: dict[str, DataChanges] = {}
        for name, changed in sent.items():
            kept = cache.get(keys[name]) if cache is not None else None
            if kept is None or not _kept_results(solving, name, kept):
                todo[name] = changed
            else:
                done[name] = kept
        if on_start is not None:
            on_start(len(todo))

        def finish(name: str, figures_of_point: Figures) -> None:
            done[name] = figures_of_point
            if cache is not None:
                cache.put(keys[name], figures_of_point)
            if on_done is not None:
                on_done(name, figures_of_point)

        if submit is not None:
            # a few points to a message, as their change sets; the figures come back
            batches = _batched(list(todo.items()), workers)
            solving_futures = [submit(_solve_batch, batch) for batch in batches]
            for batch, future in zip(batches, solving_futures, strict=True):
                for (name, _), figures_of_point in zip(batch, future.result(), strict=True):
                    finish(name, figures_of_point)
        elif todo:
            # HiGHS fixes its thread pool at a process's first solve: here, as it chooses
            solver = PointSolver(base, solving, threads=None)
            for name, changed in todo.items():
                logging.disable(logging.INFO)  # each point's stage timings are not the sweep's
                try:
                    figures_of_point = solver.solve(name, with_changes(changed, base))
                finally:
                    logging.disable(logging.NOTSET)
                finish(name, figures_of_point)
    return {p.name: done[p.name] for p in points}
