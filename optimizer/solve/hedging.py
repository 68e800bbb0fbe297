"""Progressive hedging on mpi-sppy across MPI ranks, with a lower and an upper bound
(MODEL.md §4, §7), no rank holding the node formulation's LP while PH runs.

Each rank holds some of the scenario models of :mod:`optimizer.solve.mpisppy` (the
scenarios are shared out over the ranks by mpi-sppy) and solves them with HiGHS in
every PH iteration. After every iteration:

- **Lower bound (Lagrangian).** With PH's weights W, which sum to zero over the
  scenarios of every tree node (probability-weighted), each scenario is solved once
  more without the proximal term; Σ_s p_s min (f_s + W_s·x_s) is below the optimum of
  the node formulation (it relaxes non-anticipativity). The best of these bounds, and
  of iteration 0's (each scenario alone), is kept.
- **Upper bound (a decomposed, implementable policy).** The first stage (``build``,
  and ``eta`` of CVaR) is fixed at a candidate, then the tree is completed downwards
  by :func:`completion_plan`: each tree node whose parent is fixed gets a donor, a
  scenario through it, whose model is solved with every ancestor's decisions fixed;
  the donor's decisions at that node and every node below it on its path are fixed
  for all scenarios through them. Every node's decisions come from exactly one solve,
  so the policy is non-anticipative; every solve is feasible whatever is fixed above
  it, since every balance has its shortfall. Each scenario is then solved with all its
  tree nodes fixed (only its last period and its own CVaR excess free), and
  Σ_s p_s f_s, allreduced, is the policy's expected objective: an upper bound on the
  optimum. Two candidates are tried: PH's xbar of the first stage, completed with
  PH's own objective (W and the proximal term), and the probability-weighted mean of
  the Lagrangian solves' first stages, completed with the Lagrangian objective (W
  alone).

The best policy's values stay on the ranks that solved them, as arrays by scenario;
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
from optimizer.model.tree import ScenarioTree
from optimizer.solve.highs import Bounds, Layout, Solution, _printed_into
from optimizer.solve.mpisppy import (
    FIRST_STAGE,
    LEAF_ONLY,
    Tree,
    mpisppy_tree,
    require,
    scenario_creator,
)

log = logging.getLogger(__name__)

ROOT = "ROOT"  # mpi-sppy's name of the first stage's node
# a completion's donors solved with PH's objective (f + W·x + prox) or the Lagrangian's
Objective = Literal["hedging", "lagrangian"]
# One scenario's share of the policy's values: variable name -> (the node
# formulation's keys, their values), for the columns the scenario reports (:func:`pieces`)
Piece = dict[str, tuple[list[Any], np.ndarray]]


@dataclass(frozen=True, slots=True)
class HedgingOptions:
    """``--ph-rho``, ``--ph-iterations`` and ``--ph-gap``."""

    rho: float = 0.1  # R: ρ_v = R × (|c_v| + c̄)
    iterations: int = 50
    gap: float = 0.01  # relative: (upper − lower) / |upper|
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


# ------------------------------------------------------------------ the completion


@dataclass(frozen=True, slots=True)
class Completion:
    """One solve of the completion: ``donor``'s model with every node above ``node``
    fixed; its values then fix ``fixes``, the nodes of its path from ``node`` down to
    the last non-leaf one."""

    node: int
    donor: str
    fixes: tuple[int, ...]


def completion_plan(tree: ScenarioTree) -> list[list[Completion]]:
    """The completion's rounds: in each, every non-leaf tree node not yet fixed whose
    parent is (the period-0 nodes in the first round) gets its donor, its most
    probable scenario (the first in the scenarios sheet's order among equals). Every
    non-leaf node is in exactly one completion's ``fixes``, after its parent's.

    The donors of a round are solved side by side on their ranks; a tree whose
    scenarios branch off at most b times along any path takes b + 1 rounds.
    """
    last = max(n.period for n in tree.nodes)
    probability = {s: 0.0 for s in tree.paths}
    for node in tree.leaves():
        for scenario in node.scenarios:
            probability[scenario] = node.probability / len(node.scenarios)
    fixed: set[int] = set()
    frontier = [n for n in tree.nodes if n.parent is None and n.period < last]
    rounds: list[list[Completion]] = []
    while frontier:
        round_: list[Completion] = []
        for node in frontier:
            donor = max(node.scenarios, key=lambda s: probability[s])  # first of the most
            path = tree.paths[donor]
            round_.append(Completion(node.id, donor, tuple(path[node.period:last])))
            fixed.update(path[node.period:last])
        rounds.append(round_)
        frontier = [n for n in tree.nodes if n.period < last and n.id not in fixed
                    and n.parent in fixed]
    return rounds


def _nonants(model: pyo.ConcreteModel, node: str) -> list[Any]:
    """A scenario model's non-anticipative variables of tree node ``node``, in order."""
    (own,) = [n for n in model._mpisppy_node_list if n.name == node]
    nonants: list[Any] = own.nonant_vardata_list
    return nonants


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


def _values(model: pyo.ConcreteModel, node: str) -> np.ndarray:
    return np.array([float(pyo.value(v)) for v in _nonants(model, node)])


def _scenario_objective(ph: Any, model: pyo.ConcreteModel) -> float:
    """f_s at the model's values: the objective without PH's terms (W and prox off)."""
    return float(pyo.value(ph.saved_objectives[model.name]))


def _solved(ph: Any, name: str, model: pyo.ConcreteModel) -> bool:
    ph.solve_one(None, name, model, gripe=False, need_solution=False)
    return bool(model._mpisppy_data.solution_available)


def complete(ph: Any, tree: Tree, plan: list[list[Completion]], first: np.ndarray,
             objective: Objective) -> float:
    """The expected objective of the policy completed from first stage ``first`` (see
    the module's description), computed on every rank together; ∞ when a solve did
    not end optimal. The donors are solved with ``objective``: PH's own (f + W·x + the
    proximal term) or the Lagrangian one (f + W·x). The local scenario models are left
    at the policy's values, their tree nodes fixed (:func:`release` frees them)."""
    local = ph.local_scenarios
    fixed: dict[str, np.ndarray | None] = {ROOT: first}
    ok, donors = True, set()
    if objective == "lagrangian":
        ph._disable_prox()
    for round_ in plan:
        solved: dict[int, np.ndarray] = {}
        for completion in round_:
            if completion.donor not in local:
                continue
            donors.add(completion.donor)
            model = local[completion.donor]
            path = tree.tree.paths[completion.donor]
            above = [ROOT, *(tree.names[n] for n in path[:path.index(completion.node)])]
            known = {name: fixed.get(name) for name in above}
            if any(values is None for values in known.values()):
                ok = False  # a donor above failed: so has this policy
                continue
            _fix(model, {name: v for name, v in known.items() if v is not None})
            if not _solved(ph, completion.donor, model):
                ok = False
                continue
            for node in completion.fixes:
                solved[node] = _values(model, tree.names[node])
        # every rank holding a scenario through the node hears of it, in the plan's
        # order (the same on every rank, so the broadcasts cannot wait on each other)
        for completion in round_:
            for node in completion.fixes:
                name = tree.names[node]
                if name in ph.comms:
                    root = ph.scenario_names_to_rank[name][completion.donor]
                    fixed[name] = ph.comms[name].bcast(solved.get(node), root=root)
    ph._disable_W()
    ph._disable_prox()
    local_sum = 0.0
    for name, model in local.items():
        path_values = {n.name: fixed.get(n.name) for n in model._mpisppy_node_list}
        if any(values is None for values in path_values.values()):
            ok = False
            continue
        if name not in donors:  # a donor's last period is optimal for its path already
            _fix(model, {k: v for k, v in path_values.items() if v is not None})
            if not _solved(ph, name, model):
                ok = False
                continue
        local_sum += model._mpisppy_probability * _scenario_objective(ph, model)
    ph._reenable_W()
    ph._reenable_prox()
    total = float(ph.mpicomm.allreduce(local_sum))
    failed = bool(ph.mpicomm.allreduce(0 if ok else 1))
    return float("inf") if failed else total


def release(ph: Any) -> None:
    """Free the tree nodes' variables of every local scenario model (after
    :func:`complete`), for PH's next iteration."""
    for model in ph.local_scenarios.values():
        _fix(model, {})


# ------------------------------------------------------------------ the pieces


def pieces(model: pyo.ConcreteModel, scenario: str, tree: ScenarioTree) -> Piece:
    """The values of ``scenario``'s model that the results read from it, keyed as the
    node formulation's columns: the first stage from the tree's first scenario, a tree
    node's variables from the node's first scenario (all through it agree), and the
    scenario's own CVaR excess."""
    path = tree.paths[scenario]
    piece: Piece = {}
    for component in model.component_objects(pyo.Var, descend_into=False):
        name = component.local_name
        keys: list[Any] = []
        values: list[float] = []
        for key, variable in component.items():
            if name in FIRST_STAGE:
                if scenario != next(iter(tree.paths)):
                    continue
                node_key = key
            elif name in LEAF_ONLY:
                node_key = key
            else:
                parts = key if isinstance(key, tuple) else (key,)
                node = path[parts[-1]]  # in a one-scenario tree a node's id is its period
                if tree.nodes[node].scenarios[0] != scenario:
                    continue
                node_key = (*parts[:-1], node) if len(parts) > 1 else node
            keys.append(node_key)
            values.append(float(pyo.value(variable)))
        if keys:
            piece[name] = (keys, np.array(values))
    return piece


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


def _converger_class(tree: Tree, options: HedgingOptions, search: _Search) -> type:
    """mpi-sppy's converger that computes both bounds after every PH iteration."""
    from mpisppy.convergers.converger import Converger

    plan = completion_plan(tree.tree)

    class BoundsConverger(Converger):  # type: ignore[misc]
        def __init__(self, ph: Any) -> None:
            super().__init__(ph)
            self.ph = ph

        def is_converged(self) -> bool:
            ph = self.ph
            search.iterations = ph._PHIter
            if ph._PHIter == 1 and ph.trivial_bound is not None:
                search.lower = max(search.lower, float(ph.trivial_bound))
            xbar = _root_xbar(ph)
            lagrangian = lagrangian_bound(ph)
            search.lower = max(search.lower, lagrangian)
            candidates: list[tuple[np.ndarray, Objective]] = [
                (xbar, "hedging"), (_root_mean(ph), "lagrangian")]
            for first, objective in candidates:
                upper = complete(ph, tree, plan, first, objective)
                if upper < search.upper:  # the same on every rank: allreduced
                    search.upper = upper
                    search.best = [pieces(model, name, tree.tree)
                                   for name, model in ph.local_scenarios.items()]
                release(ph)
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


def progressive_hedging(data: ModelData, options: HedgingOptions) -> Hedged:
    """Run PH on every rank of ``MPI.COMM_WORLD`` and free its models; every rank
    returns the bounds and its pieces of the best policy (:meth:`Hedged.solution`).
    Raises :class:`RuntimeError` on every rank when no policy was implementable."""
    require()
    from mpi4py import MPI

    started = time.perf_counter()
    search = _Search()
    tree = mpisppy_tree(data)
    with _printed_to_log():
        ph = hedger(data, options, _converger_class(tree, options, search), tree)
        ph.ph_main(finalize=False)
    rank = ph.cylinder_rank
    del ph  # the scenario models: gone before rank 0 builds the results
    gc.collect()
    if not np.isfinite(search.upper):
        raise RuntimeError("progressive hedging found no implementable policy: a "
                           "completion's solve never ended optimal")
    gap = relative_gap(search.lower, search.upper)
    if rank == 0:
        log.info("progressive hedging: %d iterations, lower bound %.9g, upper bound %.9g, "
                 "relative gap %.3g%% (asked for %.3g%%)", search.iterations, search.lower,
                 search.upper, 100 * gap, 100 * options.gap)
    return Hedged(Bounds(search.lower, search.upper, gap, search.iterations), search.best,
                  MPI.COMM_WORLD, time.perf_counter() - started)
