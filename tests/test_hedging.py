"""Progressive hedging (optimizer.solve.hedging): its bounds hold the node formulation's
optimum and meet the gap asked for, in one process and across two MPI ranks
(``mpiexec -n 2``), and ρ is the same in every scenario through a node.

Skipped with the reason printed when mpi-sppy and mpi4py (the ``[mpi]`` extra) are not
installed, and the two-rank test also when ``mpiexec`` is not (MPI: apt-get install
openmpi-bin libopenmpi-dev).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from optimizer.data import ModelData
from optimizer.model.tree import build_tree
from optimizer.pipeline import optimize, prepare
from optimizer.results.contract import NO_DUALS_NOTE
from optimizer.solve import hedging, mpisppy
from optimizer.solve.highs import CompiledLP, Solution, SolverOptions
from optimizer.workbook.validation import load
from tests.cases import valid_tables, write_tables

ROOT = Path(__file__).resolve().parent.parent
INSTALLED = all(importlib.util.find_spec(p) is not None for p in ("mpisppy", "mpi4py"))
needs_mpisppy = pytest.mark.skipif(
    not INSTALLED, reason="mpi-sppy and mpi4py not installed: pip install -e '.[mpi]'")
needs_mpiexec = pytest.mark.skipif(
    shutil.which("mpiexec") is None,
    reason="mpiexec not found: apt-get install openmpi-bin libopenmpi-dev")
# Open MPI refuses to run as root (CI) and more ranks than cores unless told to
MPI_ENVIRONMENT = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                   "OMPI_MCA_rmaps_base_oversubscribe": "1"}


def _hand_case(folder: Path) -> Path:
    """The small valid case with a fourth scenario that shares ga_ban's 2027 node and
    then diverges (lithium's price falls in 2028): nodes shared off the trunk, unequal
    probabilities, an expandable refinery (a first-stage decision)."""
    tables = valid_tables()
    tables["scenarios"] = [
        {"scenario": "calm", "probability": 0.5, "description": "no disruption"},
        {"scenario": "ga_ban", "probability": 0.2, "description": "China bans gallium"},
        {"scenario": "ga_ban_dump", "probability": 0.2,
         "description": "China bans gallium, then lithium's price falls"},
        {"scenario": "li_dump", "probability": 0.1, "description": "lithium price falls"},
    ]
    tables["disruptions"] += [
        {"scenario": "ga_ban_dump", "kind": "export", "region": "CN", "mineral": "gallium",
         "stage": "refined", "destination": "US", "start_period": 2027, "factor": 0},
        {"scenario": "ga_ban_dump", "kind": "price", "mineral": "lithium", "stage": "refined",
         "start_period": 2028, "factor": 0.5},
    ]
    return write_tables(folder / "hand.xlsx", tables)


def _optimum(data: ModelData) -> float:
    objective = optimize(data, SolverOptions()).solution.objective
    assert objective is not None
    return objective


def test_the_hand_case_branches_off_the_trunk(tmp_path: Path) -> None:
    data, _ = load(_hand_case(tmp_path))
    tree = build_tree(data)
    shared = [n for n in tree.nodes if 1 < len(n.scenarios) < len(tree.paths)]
    assert [sorted(n.scenarios) for n in shared] == [["ga_ban", "ga_ban_dump"]]


def test_the_relative_gap() -> None:
    assert hedging.relative_gap(90.0, 100.0) == pytest.approx(0.1)
    assert hedging.relative_gap(-110.0, -100.0) == pytest.approx(0.1)
    assert hedging.relative_gap(-float("inf"), 100.0) == float("inf")


def test_the_completion_fixes_every_tree_node_once_below_its_parent(tmp_path: Path) -> None:
    from benchmarks.generate import generate_preset

    for data in (load(_hand_case(tmp_path))[0], load(generate_preset(
            tmp_path / "c.xlsx", "tiny", seed=0, scenarios=20, families=4))[0]):
        tree = build_tree(data)
        last = max(n.period for n in tree.nodes)
        plan = hedging.completion_plan(tree)
        fixed_in: dict[int, int] = {}
        for number, round_ in enumerate(plan):
            for completion in round_:
                path = tree.paths[completion.donor]
                assert completion.donor in tree.nodes[completion.node].scenarios
                assert completion.fixes == path[tree.nodes[completion.node].period:last]
                for fixed in completion.fixes:
                    assert fixed not in fixed_in  # one solve gives each node its values
                    fixed_in[fixed] = number
        assert sorted(fixed_in) == [n.id for n in tree.nodes if n.period < last]
        for node in tree.nodes:  # a node is fixed no earlier than its parent
            if node.parent is not None and node.period < last:
                assert fixed_in[node.parent] <= fixed_in[node.id]


def test_the_hand_case_s_completion_follows_the_trunk_then_each_branch(tmp_path: Path) -> None:
    data, _ = load(_hand_case(tmp_path))
    tree = build_tree(data)
    plan = hedging.completion_plan(tree)
    # the calm scenario (0.5) fixes the trunk; then the most probable scenario of each
    # branch: ga_ban before ga_ban_dump (0.2 each, the sheet's order), li_dump
    assert [[(c.donor, len(c.fixes)) for c in r] for r in plan] == [
        [("calm", 2)], [("ga_ban", 1), ("li_dump", 1)]]


@needs_mpisppy
def test_rho_is_the_same_in_every_scenario_through_a_node(tmp_path: Path) -> None:
    data, _ = load(_hand_case(tmp_path))
    ph = hedging.hedger(data, hedging.HedgingOptions(rho=2.0))  # one rank: every scenario
    rhos = {}
    for name, model in ph.local_scenarios.items():
        by_id = {id(v): key for key, v in model._mpisppy_data.nonant_indices.items()}
        rhos[name] = {by_id[i]: rho for i, rho in hedging.cost_rho(model, 2.0)}
    shared = {key: rho for key, rho in rhos["ga_ban"].items() if key in rhos["ga_ban_dump"]}
    assert len({node for node, _ in shared}) == 3  # ROOT, the trunk's 2026, the shared 2027
    assert all(rhos["ga_ban_dump"][key] == rho for key, rho in shared.items())
    assert all(rhos[name][key] == rho for name in rhos
               for key, rho in rhos["ga_ban"].items() if key[0] in ("ROOT", "ROOT_0"))
    assert min(min(r.values()) for r in rhos.values()) > 0


def _hedge(data: ModelData, gap: float) -> tuple[CompiledLP, Solution]:
    """PH in this process, and its policy as the node formulation's solution."""
    hedged = hedging.progressive_hedging(data, hedging.HedgingOptions(gap=gap))
    _, lp = prepare(data)
    solution = hedged.solution(lp.layout, lp.size[1])
    assert solution is not None and solution.bounds is not None
    return lp, solution


def _assert_implementable(lp: CompiledLP, solution: Solution) -> None:
    """The policy assembled from the scenarios' pieces is a feasible point of the node
    formulation whose objective is the upper bound."""
    assert solution.values is not None and solution.bounds is not None
    values = solution.values
    assert float(lp.cost @ values + lp.offset) == pytest.approx(solution.bounds.upper,
                                                                 rel=1e-9)
    assert solution.objective == solution.bounds.upper
    scale = 1e-6 * max(1.0, float(np.abs(values).max()))
    assert np.all(values >= lp.col_lower - scale) and np.all(values <= lp.col_upper + scale)
    activity = lp.matrix @ values
    assert np.all(activity >= lp.row_lower - scale)
    assert np.all(activity <= lp.row_upper + scale)


@needs_mpisppy
def test_ph_in_one_process_bounds_the_optimum_within_the_gap(tmp_path: Path) -> None:
    data, _ = load(_hand_case(tmp_path))
    optimum = _optimum(data)
    lp, solution = _hedge(data, 1e-3)
    assert solution.bounds is not None
    bounds = solution.bounds
    slack = 1e-9 * abs(optimum)
    assert bounds.lower - slack <= optimum <= bounds.upper + slack
    assert bounds.gap <= 1e-3
    assert bounds.gap == pytest.approx((bounds.upper - bounds.lower) / abs(bounds.upper))
    # PH has converged here (iteration 4): the decomposed policy is the optimum's
    assert bounds.upper == pytest.approx(optimum, rel=1e-9)
    _assert_implementable(lp, solution)
    assert solution.duals is not None and np.isnan(solution.duals).all()


@needs_mpisppy
def test_the_decomposed_bound_holds_the_optimum_before_convergence(tmp_path: Path) -> None:
    data, _ = load(_hand_case(tmp_path))
    optimum = _optimum(data)
    lp, solution = _hedge(data, 0.01)  # met at iteration 1, before the weights settle
    assert solution.bounds is not None
    bounds = solution.bounds
    assert bounds.iterations == 1
    assert optimum < bounds.upper <= optimum * (1 + 0.01)
    assert bounds.gap <= 0.01
    _assert_implementable(lp, solution)


@needs_mpisppy
def test_ph_with_cvar_bounds_the_optimum(tmp_path: Path) -> None:
    data, _ = load(_hand_case(tmp_path))
    data = dataclasses.replace(data, settings=dataclasses.replace(
        data.settings, risk_weight=0.5, cvar_alpha=0.7))
    optimum = _optimum(data)
    lp, solution = _hedge(data, 1e-2)
    assert solution.bounds is not None
    slack = 1e-9 * abs(optimum)
    assert solution.bounds.lower - slack <= optimum <= solution.bounds.upper + slack
    assert solution.bounds.gap <= 1e-2
    _assert_implementable(lp, solution)


@needs_mpisppy
@needs_mpiexec
def test_ph_across_two_ranks_writes_the_results_once_within_the_gap(tmp_path: Path) -> None:
    case = _hand_case(tmp_path)
    output = tmp_path / "results.xlsx"
    done = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, "-m", "optimizer", "run", str(case),
         "--engine", "mpisppy-ph", "--ph-gap", "0.002", "-o", str(output), "--quiet"],
        env={**os.environ, **MPI_ENVIRONMENT}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("results written") == 1  # rank 0 alone writes and says so
    data, _ = load(case)
    optimum = _optimum(data)
    book = openpyxl.load_workbook(output, read_only=True)
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(values_only=True)}
    lower, upper = float(summary["ph_lower_bound"]), float(summary["ph_upper_bound"])
    assert summary["status"] == "implementable"
    assert summary["objective"] == pytest.approx(upper, rel=1e-12)
    assert float(summary["ph_relative_gap"]) <= 0.002
    slack = 1e-9 * abs(optimum)
    assert lower - slack <= optimum <= upper + slack
    assert optimum >= upper - float(summary["ph_relative_gap"]) * abs(upper) - slack
    prices = list(book["prices"].iter_rows(values_only=True))
    column = prices[0].index("marginal_price_per_t")
    assert len(prices) > 1 and all(row[column] is None for row in prices[1:])
    read_me = [row for row in book["read_me"].iter_rows(values_only=True)
               if row[:2] == ("prices", "marginal_price_per_t")]
    assert read_me[0][2].endswith(NO_DUALS_NOTE)
    log = output.with_suffix(".log").read_text(encoding="utf-8")
    assert "progressive hedging: " in log and "relative gap" in log


@needs_mpisppy
def test_every_node_s_scenarios_are_contiguous_in_tree_order(tmp_path: Path) -> None:
    from benchmarks.generate import generate_preset

    data, _ = load(generate_preset(tmp_path / "c.xlsx", "tiny", seed=0, scenarios=20,
                                   families=4))
    tree = mpisppy.mpisppy_tree(data)
    order = hedging.tree_order(tree)
    assert sorted(order) == sorted(s.scenario for s in data.scenarios)
    position = {name: i for i, name in enumerate(order)}
    for node in tree.tree.nodes:
        places = sorted(position[s] for s in node.scenarios)
        assert places == list(range(places[0], places[0] + len(places)))
