"""Progressive hedging on mpi-sppy across MPI ranks, with a lower and an upper bound
(MODEL.md §4, §7).

Each rank holds some of the scenario models of :mod:`optimizer.solve.mpisppy` (the
scenarios are shared out over the ranks by mpi-sppy) and solves them with HiGHS in
every PH iteration. After every iteration:

- **Lower bound (Lagrangian).** With PH's weights W, which sum to zero over the
  scenarios of every tree node (probability-weighted), each scenario is solved once
  more without the proximal term; Σ_s p_s min (f_s + W_s·x_s) is below the optimum of
  the node formulation (it relaxes non-anticipativity). The best of these bounds, and
  of iteration 0's (each scenario alone), is kept.
- **Upper bound (implementable solution).** Rank 0 solves the node formulation with
  the first-stage decisions (``build``, and ``eta`` of CVaR) fixed at a candidate:
  PH's average of them, xbar, and the probability-weighted average of the Lagrangian
  solves' first stages. Every demand balance has its shortfall, so this is feasible
  for any first stage; its solution is non-anticipative at every tree node by
  construction, so its objective is a valid upper bound, and the best one is the
  solution the results report. Fixing later-stage decisions at their averages too
  would not be feasible: averages over different sets of scenarios break the stock
  and balance chains between periods.

The Lagrangian candidate matters: the proximal subproblems are quadratic programs, and
their solutions can settle at a non-anticipative point that is not optimal (PH's xbar
then stops moving, and so does its upper bound), while the Lagrangian subproblems are
linear programs solved exactly, whose weights converge to the optimal duals.

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
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from optimizer.data import ModelData
from optimizer.solve.highs import (
    Bounds,
    CompiledLP,
    Solution,
    SolverOptions,
    _printed_into,
    solve,
)
from optimizer.solve.mpisppy import (
    FIRST_STAGE,
    Tree,
    mpisppy_tree,
    require,
    scenario_creator,
)

log = logging.getLogger(__name__)


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
    first = np.abs([value for (node, _), value in coefficients.items() if node == "ROOT"])
    first = first[first > 0]
    mean = float(first.mean()) if first.size else 1.0
    variables = model._mpisppy_data.nonant_indices
    return [(id(variables[key]), multiplier * (abs(value) + mean))
            for key, value in coefficients.items()]


def first_stage_columns(lp: CompiledLP) -> dict[tuple[str, Any], int]:
    """The node formulation's column of every first-stage variable, by (name, key)."""
    columns: dict[tuple[str, Any], int] = {}
    for block in lp.layout.columns:
        if block.name in FIRST_STAGE:
            for offset, key in enumerate(block.keys):
                columns[(block.name, key)] = block.start + offset
    return columns


def fixed_first_stage(lp: CompiledLP, values: dict[int, float]) -> CompiledLP:
    """``lp`` with the columns of ``values`` fixed at them (kept inside their bounds)."""
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    for column, value in values.items():
        fixed = min(max(value, lower[column]), upper[column])
        lower[column] = upper[column] = fixed
    return dataclasses.replace(lp, col_lower=lower, col_upper=upper)


@dataclass(slots=True)
class _Search:
    """The bounds so far and the best implementable solution (rank 0's)."""

    lower: float = -float("inf")
    upper: float = float("inf")
    best: Solution | None = None
    iterations: int = 0
    history: list[tuple[int, float, float]] = dataclasses.field(default_factory=list)


def _root_xbar(ph: Any, columns: dict[tuple[str, Any], int]) -> dict[int, float]:
    """PH's xbar of the first-stage variables, by node-formulation column."""
    scenario = next(iter(ph.local_scenarios.values()))
    values: dict[int, float] = {}
    for (node, index), variable in scenario._mpisppy_data.nonant_indices.items():
        if node != "ROOT":
            continue
        key = (variable.parent_component().local_name, variable.index())
        values[columns[key]] = float(pyo.value(scenario._mpisppy_model.xbars[(node, index)]))
    return values


def _root_mean(ph: Any, columns: dict[tuple[str, Any], int]) -> dict[int, float]:
    """The probability-weighted mean, over all ranks' scenarios, of the first-stage
    variables' current values, by node-formulation column."""
    keys = [key for key in next(iter(ph.local_scenarios.values()))._mpisppy_data.nonant_indices
            if key[0] == "ROOT"]
    local = np.zeros(len(keys))
    for scenario in ph.local_scenarios.values():
        variables = scenario._mpisppy_data.nonant_indices
        local += scenario._mpisppy_probability * np.array(
            [float(pyo.value(variables[key])) for key in keys])
    total = np.zeros_like(local)
    ph.mpicomm.Allreduce(local, total)
    scenario = next(iter(ph.local_scenarios.values()))
    return {columns[(variable.parent_component().local_name, variable.index())]: float(value)
            for variable, value in zip((scenario._mpisppy_data.nonant_indices[k] for k in keys),
                                       total, strict=True)}


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


def _converger_class(lp: CompiledLP, options: HedgingOptions, solver: SolverOptions,
                     search: _Search) -> type:
    """mpi-sppy's converger that computes both bounds after every PH iteration."""
    from mpisppy.convergers.converger import Converger

    columns = first_stage_columns(lp)

    class BoundsConverger(Converger):  # type: ignore[misc]
        def __init__(self, ph: Any) -> None:
            super().__init__(ph)
            self.ph = ph

        def is_converged(self) -> bool:
            ph = self.ph
            search.iterations = ph._PHIter
            if ph._PHIter == 1 and ph.trivial_bound is not None:
                search.lower = max(search.lower, float(ph.trivial_bound))
            xbar = _root_xbar(ph, columns)
            lagrangian = lagrangian_bound(ph)
            search.lower = max(search.lower, lagrangian)
            candidates = [xbar, _root_mean(ph, columns)]
            upper = float("inf")
            if ph.cylinder_rank == 0:
                upper = min(self._implementable(first) for first in candidates)
            search.upper = min(search.upper, ph.mpicomm.bcast(upper, root=0))
            gap = relative_gap(search.lower, search.upper)
            search.history.append((ph._PHIter, search.lower, search.upper))
            if ph.cylinder_rank == 0:
                log.info("PH iteration %d: lower bound %.9g (Lagrangian %.9g), upper bound "
                         "%.9g, gap %.3g%%", ph._PHIter, search.lower, lagrangian,
                         search.upper, 100 * gap)
            self.conv = gap
            return gap <= options.gap

        def _implementable(self, xbar: dict[int, float]) -> float:
            solution = solve(fixed_first_stage(lp, xbar), solver)
            if solution.status != "optimal" or solution.objective is None:
                log.warning("PH: the node formulation at xbar ended %s", solution.message)
                return float("inf")
            if solution.objective < search.upper:
                search.best = solution
            return float(solution.objective)

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
    return ["ROOT", *(tree.names[n.id] for n in tree.tree.nodes)]


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


def hedger(data: ModelData, options: HedgingOptions, converger: type | None = None) -> Any:
    """mpi-sppy's PH object over the scenario models of ``data``, this rank's share of
    them built, ρ set by :func:`cost_rho`, stopped by ``converger`` (or the iteration
    limit)."""
    from mpisppy.opt.ph import PH

    tree = mpisppy_tree(data)
    return PH(_ph_options(options), tree_order(tree), scenario_creator,
              scenario_creator_kwargs={"data": data, "tree": tree},
              all_nodenames=all_node_names(tree), rho_setter=cost_rho,
              ph_converger=converger)


def progressive_hedging(data: ModelData, lp: CompiledLP, options: HedgingOptions,
                        solver: SolverOptions | None = None) -> Solution | None:
    """Run PH on every rank of ``MPI.COMM_WORLD``; rank 0 returns the best
    implementable solution with its :class:`Bounds` (``None`` on other ranks, and on
    rank 0 when no implementable solution was found)."""
    require()
    started = time.perf_counter()
    search = _Search()
    solver = solver or SolverOptions()
    with _printed_to_log():
        ph = hedger(data, options, _converger_class(lp, options, solver, search))
        ph.ph_main(finalize=False)
    if ph.cylinder_rank != 0 or search.best is None:
        return None
    gap = relative_gap(search.lower, search.upper)
    log.info("progressive hedging: %d iterations, lower bound %.9g, upper bound %.9g, "
             "relative gap %.3g%% (asked for %.3g%%)", search.iterations, search.lower,
             search.upper, 100 * gap, 100 * options.gap)
    best = search.best
    return dataclasses.replace(
        best, message=f"Implementable solution of progressive hedging, gap {gap:.3g}",
        duals=np.full(best.duals.shape if best.duals is not None else 0, np.nan),
        reduced_costs=None, rhs_ranges=None, bound_ranges=None,
        solve_seconds=time.perf_counter() - started,
        bounds=Bounds(search.lower, search.upper, gap, search.iterations))
