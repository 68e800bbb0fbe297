"""Progressive hedging on mpi-sppy across MPI ranks, with a lower and an upper bound
(MODEL.md §4, §7), no rank holding more of the node formulation than its subtrees.

Each rank holds some of the scenario models of :mod:`optimizer.solve.mpisppy` (the
scenarios are shared out over the ranks by mpi-sppy) and solves them with HiGHS in
every PH iteration. After every iteration:

- **Lower bound (Lagrangian).** With PH's weights W, which sum to zero over the
  scenarios of every tree node (probability-weighted), each scenario is solved once
  more without the proximal term; Σ_s p_s min (f_s + W_s·x_s) is below the optimum of
  the node formulation (it relaxes non-anticipativity). The best of these bounds, and
  of iteration 0's (each scenario alone), is kept.
- **Upper bound (an implementable policy).** The first stage (``build``, and ``eta``
  of CVaR) is fixed at a candidate and the node formulation's optimum for it is
  computed by subtrees on the ranks (:mod:`optimizer.solve.subtrees`): exact while
  every period-0 node's subtree is within the limit; above it, a donor's scenario
  model fixes the subtree's top node (:func:`donor_solver`). The candidates: PH's
  xbar of the first stage, donors solved with PH's own objective (W and the proximal
  term), and the probability-weighted mean of the Lagrangian solves' first stages,
  donors solved with the Lagrangian objective (W alone), unless it equals xbar.

The best policy's values stay on the ranks that solved them, as arrays by subtree;
:meth:`Hedged.solution` gathers them on rank 0 into the node formulation's columns for
the results once PH has ended and its models are gone.

PH stops when (upper − lower) / |upper| ≤ the gap asked for, or after the iterations
asked for. ρ is set per variable from the scenario objective's cost coefficients:
ρ_v = R × (|c_v| + c̄), c̄ the mean non-zero first-stage coefficient (the same in every
scenario, see :func:`cost_rho`), so it scales with the money of the case (its costs
run from 1e6 to 1e10) and no non-anticipative variable has ρ = 0.

The scenarios go to mpi-sppy in the tree's depth-first order (:func:`tree_order`),
which keeps its per-node reductions from deadlocking across ranks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyomo.environ as pyo

from optimizer.data import ModelData
from optimizer.memory import NotEnoughMemoryError, available_bytes, check_results
from optimizer.model.derive import derive
from optimizer.solve.highs import Bounds, Layout, Solution, _printed_into
from optimizer.solve.mpisppy import Tree, mpisppy_tree, require, scenario_creator
from optimizer.solve.subtrees import (
    Donor,
    Fixed,
    Job,
    Piece,
    SubtreeBound,
    subtree_plan,
    within,
)

log = logging.getLogger(__name__)

ROOT = "ROOT"  # mpi-sppy's name of the first stage's node
# the bound's donors solved with PH's objective (f + W·x + prox) or the Lagrangian's
Objective = Literal["hedging", "lagrangian"]


@dataclass(frozen=True, slots=True)
class HedgingOptions:
    """``--ph-rho``, ``--ph-iterations``, ``--ph-gap`` and ``--ph-subtree-scenarios``."""

    rho: float = 0.1  # R: ρ_v = R × (|c_v| + c̄)
    iterations: int = 50
    gap: float = 0.01  # relative: (upper − lower) / |upper|
    # the upper bound solves a subtree whole up to this many scenarios (None: as
    # memory allows, see bound_plan)
    subtree_scenarios: int | None = None
    solver: str = "highs"  # Pyomo's plugin for the subproblems: highs or appsi_highs


def lead_rank() -> bool:
    """Whether this process is rank 0 of ``MPI.COMM_WORLD`` (the one that reports and
    writes); a process started without ``mpiexec`` is."""
    from mpi4py import MPI

    return bool(MPI.COMM_WORLD.Get_rank() == 0)


def relative_gap(lower: float, upper: float) -> float:
    """(upper − lower) / |upper|; infinite while either bound is unknown."""
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return float("inf")
    return (upper - lower) / max(abs(upper), 1e-10)


def cost_rho(model: pyo.ConcreteModel, multiplier: float) -> list[tuple[int, float]]:
    """ρ for every non-anticipative variable of a scenario model, as mpi-sppy's
    ``rho_setter`` returns it: (id of the variable, R × (|c_v| + c̄)), c̄ the mean
    non-zero |c| of the first-stage variables.

    ρ of a variable must be the same in every scenario through its node, or PH's
    weights no longer sum to zero there and the Lagrangian bound is not a bound: c_v
    is (a node's costs are the node's data), and c̄ is taken from the first stage,
    which every scenario shares, for that reason.
    """
    from mpisppy.utils.sputils import nonant_cost_coeffs

    coefficients = nonant_cost_coeffs(model)
    first = np.abs([value for (node, _), value in coefficients.items() if node == ROOT])
    first = first[first > 0]
    mean = float(first.mean()) if first.size else 1.0
    variables = model._mpisppy_data.nonant_indices
    return [(id(variables[key]), multiplier * (abs(value) + mean))
            for key, value in coefficients.items()]


# ------------------------------------------------------------------ the donors


def _nonants(model: pyo.ConcreteModel, node: str) -> list[Any]:
    """A scenario model's non-anticipative variables of tree node ``node``, in order."""
    (own,) = [n for n in model._mpisppy_node_list if n.name == node]
    nonants: list[Any] = own.nonant_vardata_list
    return nonants


def _keys(model: pyo.ConcreteModel, node: str, node_id: int | None) -> list[tuple[str, Any]]:
    """The node formulation's (variable, key) of each of ``node``'s non-anticipative
    variables in a scenario model (``node_id`` the tree node's id, ``None`` for the
    first stage): a one-scenario model's keys end with the period where the node
    formulation's end with the node."""
    keys: list[tuple[str, Any]] = []
    for variable in _nonants(model, node):
        name, key = variable.parent_component().local_name, variable.index()
        if node_id is not None:
            parts = key if isinstance(key, tuple) else (key,)
            key = (*parts[:-1], node_id) if len(parts) > 1 else node_id
        keys.append((name, key))
    return keys


def _fix(model: pyo.ConcreteModel, fixed: Mapping[str, np.ndarray]) -> None:
    """Fix the model's variables of every node in ``fixed`` (kept inside their bounds)
    and free the others of its tree nodes."""
    for node in model._mpisppy_node_list:
        values = fixed.get(node.name)
        for position, variable in enumerate(_nonants(model, node.name)):
            if values is None:
                variable.unfix()
                continue
            value = float(values[position])
            if variable.lb is not None:
                value = max(value, variable.lb)
            if variable.ub is not None:
                value = min(value, variable.ub)
            variable.fix(value)


def donor_solver(ph: Any, tree: Tree) -> Donor:
    """Solves a donor job of the bound (:func:`optimizer.solve.subtrees.subtree_plan`)
    on the rank holding the donor's scenario model: the model, with PH's objective as
    it is set (W, and the proximal term unless disabled), solved with the first stage
    and every node above the job's fixed; its decisions at the job's node are the
    node's."""

    def solve(job: Job, fixed: Fixed) -> Fixed | None:
        model = ph.local_scenarios[job.donor]
        path = tree.tree.paths[job.donor]
        above: list[tuple[str, int | None]] = [
            (ROOT, None), *((tree.names[n], n) for n in path[:path.index(job.node)])]
        _fix(model, {name: np.array([fixed[key] for key in _keys(model, name, node)])
                     for name, node in above})
        ph.solve_one(None, job.donor, model, gripe=False, need_solution=False)
        if not model._mpisppy_data.solution_available:
            return None
        name = tree.names[job.node]
        return {key: float(pyo.value(variable)) for key, variable in
                zip(_keys(model, name, job.node), _nonants(model, name), strict=True)}

    return solve


def release(ph: Any) -> None:
    """Free the tree nodes' variables of every local scenario model (after the
    donors' solves), for PH's next iteration."""
    for model in ph.local_scenarios.values():
        _fix(model, {})


def upper_bound(ph: Any, bound: SubtreeBound, tree: Tree, first: np.ndarray,
                objective: Objective) -> tuple[float, list[Piece]]:
    """The bound of :class:`~optimizer.solve.subtrees.SubtreeBound` for first stage
    ``first`` (in mpi-sppy's order), its donors solved with ``objective``: PH's own
    (f + W·x + the proximal term) or the Lagrangian one (f + W·x)."""
    model = next(iter(ph.local_scenarios.values()))
    fixed = dict(zip(_keys(model, ROOT, None), first.tolist(), strict=True))
    if objective == "lagrangian":
        ph._disable_prox()
    try:
        return bound.evaluate(ph.mpicomm, fixed, donor_solver(ph, tree))
    finally:
        if objective == "lagrangian":
            ph._reenable_prox()
        release(ph)


def bound_plan(ph: Any, data: ModelData, tree: Tree, options: HedgingOptions) -> SubtreeBound:
    """The bound's plan (:func:`~optimizer.solve.subtrees.subtree_plan`), the same on
    every rank: a subtree is solved whole when it has at most
    ``options.subtree_scenarios`` scenarios and its estimated memory fits in what the
    rank with the least has available (``MemAvailable`` shared among the ranks on its
    machine), measured once PH's scenario models are built."""
    from mpi4py import MPI

    comm = ph.mpicomm
    owner = {name: rank for rank, names in enumerate(comm.allgather(list(ph.local_scenarios)))
             for name in names}
    available = available_bytes()
    shared = comm.Split_type(MPI.COMM_TYPE_SHARED)  # the ranks on this machine
    local_ranks = shared.Get_size()
    shared.Free()
    share = float("inf") if available is None else available / local_ranks
    memory = float(comm.allreduce(share, op=MPI.MIN))
    fits = within(data, tree.tree, options.subtree_scenarios, memory)
    plan = subtree_plan(tree.tree, fits, comm.Get_size(), owner)
    if comm.Get_rank() == 0:
        whole = [job for round_ in plan for job in round_ if job.whole]
        log.info("PH upper bound: %d subtrees solved whole (the largest %d scenarios) "
                 "below %d donor-fixed nodes", len(whole),
                 max(len(job.scenarios) for job in whole),
                 sum(len(round_) for round_ in plan) - len(whole))
    return SubtreeBound(data, tree.tree, plan, comm.Get_rank())


# ------------------------------------------------------------------ the pieces


def assemble(layout: Layout, all_pieces: Iterator[Piece]) -> np.ndarray:
    """The node formulation's solution vector from scenarios' pieces; raises
    :class:`ValueError` unless every column got exactly one value."""
    values = np.full(layout.columns[-1].stop if layout.columns else 0, np.nan)
    positions: dict[str, dict[Any, int]] = {}
    for piece in all_pieces:
        for name, (keys, own) in piece.items():
            if name not in positions:
                block = layout.column_block(name)
                if block is None:
                    raise ValueError(f"the node formulation has no variable {name}")
                positions[name] = {key: block.start + i for i, key in enumerate(block.keys)}
            columns = np.fromiter((positions[name][key] for key in keys), dtype=np.int64,
                                  count=len(keys))
            if not np.isnan(values[columns]).all():
                raise ValueError(f"two scenarios gave values of the same {name} column")
            values[columns] = own
    missing = np.flatnonzero(np.isnan(values))
    if missing.size:
        raise ValueError(f"{missing.size} columns got no value, the first "
                         f"{layout.locate_column(int(missing[0]))}")
    return values


# ------------------------------------------------------------------ the search


@dataclass(slots=True)
class _Search:
    """The bounds so far, and this rank's pieces of the best policy."""

    lower: float = -float("inf")
    upper: float = float("inf")
    best: list[Piece] = dataclasses.field(default_factory=list)
    iterations: int = 0
    history: list[tuple[int, float, float]] = dataclasses.field(default_factory=list)


def _root_keys(ph: Any) -> list[Any]:
    model = next(iter(ph.local_scenarios.values()))
    return [key for key in model._mpisppy_data.nonant_indices if key[0] == ROOT]


def _root_xbar(ph: Any) -> np.ndarray:
    """PH's xbar of the first-stage variables, in mpi-sppy's order."""
    model = next(iter(ph.local_scenarios.values()))
    return np.array([float(pyo.value(model._mpisppy_model.xbars[key]))
                     for key in _root_keys(ph)])


def _root_mean(ph: Any) -> np.ndarray:
    """The probability-weighted mean, over all ranks' scenarios, of the first-stage
    variables' current values, in mpi-sppy's order."""
    keys = _root_keys(ph)
    local = np.zeros(len(keys))
    for model in ph.local_scenarios.values():
        variables = model._mpisppy_data.nonant_indices
        local += model._mpisppy_probability * np.array(
            [float(pyo.value(variables[key])) for key in keys])
    total = np.zeros_like(local)
    ph.mpicomm.Allreduce(local, total)
    return total


def lagrangian_bound(ph: Any) -> float:
    """Σ_s p_s min (f_s + W_s·x_s) over all ranks' scenarios, PH's weights W as they
    are (no proximal term): a lower bound on the optimum, since W sums to zero over
    the scenarios of every node. −∞ when a scenario's solve did not end optimal (an
    unbounded one is −∞ indeed: W made a variable without upper bound profitable)."""
    ph._disable_prox()
    ph.solve_loop(gripe=False, tee=False, verbose=False, warmstart=True)
    ph._reenable_prox()
    local = 0.0
    for scenario in ph.local_scenarios.values():
        if not scenario._mpisppy_data.solution_available:
            local = -float("inf")
            break
        local += scenario._mpisppy_probability * float(scenario._mpisppy_data.outer_bound)
    return float(ph.mpicomm.allreduce(local))


def _converger_class(data: ModelData, tree: Tree, options: HedgingOptions,
                     search: _Search) -> type:
    """mpi-sppy's converger that computes both bounds after every PH iteration."""
    from mpisppy.convergers.converger import Converger

    class BoundsConverger(Converger):  # type: ignore[misc]
        def __init__(self, ph: Any) -> None:
            super().__init__(ph)
            self.ph = ph
            self.bound: SubtreeBound | None = None

        def is_converged(self) -> bool:
            ph = self.ph
            search.iterations = ph._PHIter
            if self.bound is None:
                self.bound = bound_plan(ph, data, tree, options)
            if ph._PHIter == 1 and ph.trivial_bound is not None:
                search.lower = max(search.lower, float(ph.trivial_bound))
            xbar = _root_xbar(ph)
            lagrangian = lagrangian_bound(ph)
            search.lower = max(search.lower, lagrangian)
            candidates: list[tuple[np.ndarray, Objective]] = [(xbar, "hedging")]
            mean = _root_mean(ph)  # xbar's own when the Lagrangian solves failed
            if not np.array_equal(mean, xbar):  # the same on every rank: reduced
                candidates.append((mean, "lagrangian"))
            for first, objective in candidates:
                upper, best = upper_bound(ph, self.bound, tree, first, objective)
                if ph.cylinder_rank == 0:
                    log.debug("PH iteration %d: the %s candidate's bound %.9g", ph._PHIter,
                              objective, upper)
                if upper < search.upper:  # the same on every rank: allreduced
                    search.upper, search.best = upper, best
            gap = relative_gap(search.lower, search.upper)
            search.history.append((ph._PHIter, search.lower, search.upper))
            if ph.cylinder_rank == 0:
                log.info("PH iteration %d: lower bound %.9g (Lagrangian %.9g), upper bound "
                         "%.9g, gap %.3g%%", ph._PHIter, search.lower, lagrangian,
                         search.upper, 100 * gap)
            self.conv = gap
            return gap <= options.gap

    return BoundsConverger


def _ph_options(options: HedgingOptions) -> dict[str, Any]:
    return {
        "solver_name": options.solver,
        "PHIterLimit": options.iterations,
        "defaultPHrho": options.rho,
        "convthresh": -1.0,  # only the bounds' gap stops PH (or the iteration limit)
        "verbose": False,
        "display_progress": False,
        "display_timing": False,
        "display_convergence_detail": False,
        "iter0_solver_options": {},
        "iterk_solver_options": {},
        "smoothed": 0,
        "asynchronousPH": False,
        "subsolvedirectives": None,
        "rho_setter_kwargs": {"multiplier": options.rho},
    }


@contextlib.contextmanager
def _printed_to_log() -> Iterator[None]:
    """mpi-sppy and HiGHS's C code print their progress themselves: into the log
    (at debug level) instead of the command's output."""
    printed: list[str] = []
    with _printed_into(printed):
        yield
    if "".join(printed).strip():
        log.debug("mpi-sppy: %s", "".join(printed).strip())


def all_node_names(tree: Tree) -> list[str]:
    """Every node of the tree in mpi-sppy's names, leaves included."""
    return [ROOT, *(tree.names[n.id] for n in tree.tree.nodes)]


def tree_order(tree: Tree) -> list[str]:
    """The scenarios in the tree's depth-first order (by their leaves' names).

    mpi-sppy gives each rank a contiguous block of this list and, on each rank, reduces
    over the communicator of every tree node in the order its scenarios first meet the
    node. In depth-first order every rank meets the nodes it shares with another in the
    same order; in the workbook's order two ranks can meet two shared nodes in opposite
    orders and wait on each other for ever (seen with two ranks on generated cases).
    """
    def key(scenario: str) -> tuple[int, ...]:
        leaf = tree.names[tree.tree.paths[scenario][-1]]
        return tuple(int(part) for part in leaf.split("_")[1:])

    return sorted(tree.tree.paths, key=key)


def hedger(data: ModelData, options: HedgingOptions, converger: type | None = None,
           tree: Tree | None = None) -> Any:
    """mpi-sppy's PH object over the scenario models of ``data``, this rank's share of
    them built, ρ set by :func:`cost_rho`, stopped by ``converger`` (or the iteration
    limit)."""
    from mpisppy.opt.ph import PH

    tree = tree or mpisppy_tree(data)
    return PH(_ph_options(options), tree_order(tree), scenario_creator,
              scenario_creator_kwargs={"data": data, "tree": tree},
              all_nodenames=all_node_names(tree), rho_setter=cost_rho,
              ph_converger=converger)


@dataclass(slots=True)
class Hedged:
    """What PH ended with, on every rank: the bounds, and this rank's pieces of the
    best policy until :meth:`solution` sends them to rank 0."""

    bounds: Bounds
    best: list[Piece]
    comm: Any  # MPI.COMM_WORLD
    seconds: float

    @property
    def lead(self) -> bool:
        return bool(self.comm.Get_rank() == 0)

    def solution(self, layout: Layout | None, rows: int = 0) -> Solution | None:
        """On rank 0 (``layout`` the node formulation's, ``rows`` its row count): every
        rank's pieces, received one rank at a time, as the node formulation's
        :class:`Solution`, no duals. Other ranks send theirs and get ``None``. Called
        by every rank together."""
        if not self.lead:
            self.comm.send(self.best, dest=0)
            self.best = []
            return None
        if layout is None:
            raise ValueError("rank 0 needs the node formulation's layout")

        def received() -> Iterator[Piece]:
            yield from self.best
            for rank in range(1, self.comm.Get_size()):
                yield from self.comm.recv(source=rank)

        values = assemble(layout, received())
        self.best = []
        bounds = self.bounds
        return Solution(  # "optimal": the results are written as for the default engine's
            "optimal", f"Implementable solution of progressive hedging, gap "
            f"{bounds.gap:.3g}", bounds.upper, values, np.full(rows, np.nan), self.seconds,
            bounds=bounds)

    def drop(self) -> None:
        """On rank 0, when it cannot write the results: receive every other rank's
        pieces and drop them, so that the other ranks, sending them in
        :meth:`solution`, end. Called by rank 0 alone."""
        self.best = []
        for rank in range(1, self.comm.Get_size()):
            self.comm.recv(source=rank)


def results_refused(data: ModelData) -> str | None:
    """On rank 0, before PH: why the results of ``data`` could not be written in the
    memory available now (:func:`~optimizer.memory.check_results`), or ``None``. PH's
    models are freed before rank 0 writes the results, so memory that is short now
    stays short then: refused here, the case costs no PH iteration. Rank 0 checks
    again once PH has ended, against what is available then."""
    try:
        check_results(derive(data))
    except NotEnoughMemoryError as error:
        return str(error)
    return None


def progressive_hedging(data: ModelData, options: HedgingOptions) -> Hedged:
    """Run PH on every rank of ``MPI.COMM_WORLD`` and free its models; every rank
    returns the bounds and its pieces of the best policy (:meth:`Hedged.solution`).
    Raises :class:`RuntimeError` on every rank when no policy was implementable, and
    :class:`~optimizer.memory.NotEnoughMemoryError` on every rank, before PH starts,
    when rank 0 could not write the results in the memory it has now
    (:func:`results_refused`)."""
    require()
    from mpi4py import MPI

    started = time.perf_counter()
    refused = MPI.COMM_WORLD.bcast(results_refused(data) if lead_rank() else None, root=0)
    if refused is not None:
        raise NotEnoughMemoryError(refused)
    search = _Search()
    tree = mpisppy_tree(data)
    with _printed_to_log():
        ph = hedger(data, options, _converger_class(data, tree, options, search), tree)
        ph.ph_main(finalize=False)
    rank = ph.cylinder_rank
    del ph  # the scenario models: gone before rank 0 builds the results
    gc.collect()
    if not np.isfinite(search.upper):
        raise RuntimeError("progressive hedging found no implementable policy: a "
                           "solve of its upper bound never ended optimal")
    gap = relative_gap(search.lower, search.upper)
    if rank == 0:
        log.info("progressive hedging: %d iterations, lower bound %.9g, upper bound %.9g, "
                 "relative gap %.3g%% (asked for %.3g%%)", search.iterations, search.lower,
                 search.upper, 100 * gap, 100 * options.gap)
    return Hedged(Bounds(search.lower, search.upper, gap, search.iterations), search.best,
                  MPI.COMM_WORLD, time.perf_counter() - started)
