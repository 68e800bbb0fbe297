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
from optimizer.solve import hedging, mpisppy, subtrees
from optimizer.solve.highs import CompiledLP, Solution, SolverOptions, solve
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


def _early_case(folder: Path) -> Path:
    """The hand case with li_dump's price fall from the first period (2026): two
    period-0 nodes, so two subtrees below the first stage."""
    tables = openpyxl.load_workbook(_hand_case(folder))
    sheet = tables["disruptions"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("scenario")].value == "li_dump":
            row[header.index("start_period")].value = 2026
    path = folder / "early.xlsx"
    tables.save(path)
    return path


def test_the_subtree_plan_splits_below_nodes_too_large(tmp_path: Path) -> None:
    from benchmarks.generate import generate_preset

    data, _ = load(_hand_case(tmp_path))
    tree = build_tree(data)
    whole = subtrees.subtree_plan(tree, lambda node: True, 2, {})
    assert [[(j.scenarios, j.whole, j.rank) for j in r] for r in whole] == [
        [(("calm", "ga_ban", "ga_ban_dump", "li_dump"), True, 0)]]
    split = subtrees.subtree_plan(tree, lambda node: len(node.scenarios) <= 2, 2,
                                  {"calm": 1})
    # the period-0 node's donor is calm (0.5), on its rank; below it three subtrees,
    # largest first (ga_ban's two) each on the rank with the fewest scenarios so far
    assert [[(j.scenarios, j.whole, j.donor, j.rank) for j in r] for r in split] == [
        [(("calm", "ga_ban", "ga_ban_dump", "li_dump"), False, "calm", 1)],
        [(("calm",), True, "calm", 1), (("ga_ban", "ga_ban_dump"), True, "ga_ban", 0),
         (("li_dump",), True, "li_dump", 1)]]
    data, _ = load(generate_preset(tmp_path / "c.xlsx", "tiny", seed=0, scenarios=20,
                                   families=4))
    tree = build_tree(data)
    for limit in (1, 3, 20):
        plan = subtrees.subtree_plan(tree, subtrees.within(data, tree, limit, float("inf")),
                                     3, {})
        jobs = [job for round_ in plan for job in round_]
        covered = sorted(s for job in jobs if job.whole for s in job.scenarios)
        assert covered == sorted(tree.paths)  # every scenario in exactly one subtree
        assert all(len(job.scenarios) <= limit for job in jobs if job.whole)
        for job in jobs:  # a job's parent is a donor job of the round before
            parent = tree.nodes[job.node].parent
            if parent is not None:
                (above,) = [j for j in jobs if j.node == parent]
                assert not above.whole


def _first_stage(data: ModelData, factor: float) -> dict[tuple[str, object], float]:
    """The optimum's first stage with every expansion scaled by ``factor``."""
    outcome = optimize(data, SolverOptions())
    first = {("build", key): factor * value for key, value in outcome.values("build").items()}
    first.update({("eta", key): value for key, value in outcome.values("eta").items()})
    assert any(value > 0 for value in first.values())
    return first


def _fixed_optimum(data: ModelData, fixed: dict[tuple[str, object], float]) -> float:
    """The node formulation's optimum with the columns of ``fixed`` fixed."""
    objective, _ = _fixed_solution(data, fixed)
    return objective


def _fixed_solution(data: ModelData, fixed: dict[tuple[str, object], float]
                    ) -> tuple[float, dict[tuple[str, object], float]]:
    """The node formulation's optimum with the columns of ``fixed`` fixed, and its
    values by (variable, key)."""
    _, lp = prepare(data)
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    for block in lp.layout.columns:
        for offset, key in enumerate(block.keys):
            if (block.name, key) in fixed:
                lower[block.start + offset] = upper[block.start + offset] = fixed[
                    (block.name, key)]
    solution = solve(dataclasses.replace(lp, col_lower=lower, col_upper=upper),
                     SolverOptions())
    assert solution.objective is not None and solution.values is not None
    values = solution.values
    return solution.objective, {(block.name, key): float(values[block.start + offset])
                                for block in lp.layout.columns
                                for offset, key in enumerate(block.keys)}


def _no_donor(job: subtrees.Job, fixed: subtrees.Fixed) -> subtrees.Fixed | None:
    raise AssertionError("no donor job in this plan")


@needs_mpisppy
@pytest.mark.parametrize("risk", [0.0, 0.5])
def test_the_subtree_bound_is_the_node_formulation_with_the_first_stage_fixed(
        tmp_path: Path, risk: float) -> None:
    from mpi4py import MPI

    data, _ = load(_early_case(tmp_path))
    data = dataclasses.replace(data, settings=dataclasses.replace(
        data.settings, risk_weight=risk, cvar_alpha=0.7))
    tree = build_tree(data)
    assert len(tree.by_period(0)) == 2
    first = _first_stage(data, 0.5)
    plan = subtrees.subtree_plan(tree, lambda node: True, 1, {})
    assert [len(round_) for round_ in plan] == [2]
    bound = subtrees.SubtreeBound(data, tree, plan, 0)
    upper, pieces = bound.evaluate(MPI.COMM_WORLD, first, _no_donor)
    assert upper == pytest.approx(_fixed_optimum(data, first), rel=1e-9)
    _, lp = prepare(data)
    values = hedging.assemble(lp.layout, iter(pieces))
    assert float(lp.cost @ values + lp.offset) == pytest.approx(upper, rel=1e-9)


@needs_mpisppy
def test_below_a_donor_the_subtree_bound_is_exact_for_what_is_fixed(tmp_path: Path) -> None:
    from mpi4py import MPI

    data, _ = load(_hand_case(tmp_path))
    tree = build_tree(data)
    first = _first_stage(data, 0.5)
    plan = subtrees.subtree_plan(tree, lambda node: len(node.scenarios) <= 2, 1, {})
    (top,) = tree.by_period(0)
    taken: dict[tuple[str, object], float] = {}

    def donor(job: subtrees.Job, fixed: subtrees.Fixed) -> subtrees.Fixed | None:
        # the period-0 node's decisions of the calm scenario alone, the first stage fixed
        assert job.node == top.id and job.donor == "calm" and set(first) <= set(fixed)
        _, values = _fixed_solution(subtrees.subtree_data(data, ("calm",)), first)
        taken.update({(name, key): value for (name, key), value in values.items()
                      if name not in ("build", "eta", "excess")
                      and (key if isinstance(key, tuple) else (key,))[-1] == top.id})
        return dict(taken)

    bound = subtrees.SubtreeBound(data, tree, plan, 0)
    upper, _ = bound.evaluate(MPI.COMM_WORLD, first, donor)
    assert taken
    assert upper == pytest.approx(_fixed_optimum(data, {**first, **taken}), rel=1e-9)


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


def _hedge(data: ModelData, gap: float, subtree_scenarios: int | None = None
           ) -> tuple[CompiledLP, Solution]:
    """PH in this process, and its policy as the node formulation's solution."""
    hedged = hedging.progressive_hedging(data, hedging.HedgingOptions(
        gap=gap, subtree_scenarios=subtree_scenarios))
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
@pytest.mark.parametrize("subtree_scenarios", [None, 1])
def test_the_bound_holds_the_optimum_before_convergence(
        tmp_path: Path, subtree_scenarios: int | None) -> None:
    data, _ = load(_hand_case(tmp_path))
    optimum = _optimum(data)
    # met at iteration 1, before the weights settle; with one scenario a subtree, every
    # node above the leaves is a donor's
    lp, solution = _hedge(data, 0.01, subtree_scenarios)
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


def _on_two_ranks(case: Path, output: Path, *options: str,
                  **environment: str) -> subprocess.CompletedProcess[str]:
    """``mpiexec -n 2 optimizer run CASE --engine mpisppy-ph OPTIONS -o OUTPUT --quiet``
    as a user runs it, with ``environment`` added to this process's."""
    return subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, "-m", "optimizer", "run", str(case),
         "--engine", "mpisppy-ph", *options, "-o", str(output), "--quiet"],
        env={**os.environ, **MPI_ENVIRONMENT, **environment}, capture_output=True, text=True,
        timeout=600)


@needs_mpisppy
@needs_mpiexec
def test_ph_across_two_ranks_writes_the_results_once_within_the_gap(tmp_path: Path) -> None:
    # subtrees of at most 2 scenarios: a donor's node broadcast, the subtrees shared out
    case = _hand_case(tmp_path)
    output = tmp_path / "results.xlsx"
    done = _on_two_ranks(case, output, "--ph-gap", "0.002", "--ph-subtree-scenarios", "2")
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
@needs_mpiexec
def test_rank_0_refuses_results_it_cannot_write_before_ph(tmp_path: Path) -> None:
    # 238 MB available: a whole run's 220 MB would pass; writing the results without
    # a solve needs 300 MiB + 176 node entities × 2,100 bytes. Refused before PH's first
    # iteration, on both ranks, with one sentence.
    case = _hand_case(tmp_path)
    output = tmp_path / "results.xlsx"
    done = _on_two_ranks(case, output, OPTIMIZER_MEMORY_BYTES="250000000")
    message = ("Writing this case's results from its solution, without solving it, needs "
               "about 300 MB of memory (8 tree nodes, 176 node entities), more than the "
               "238 MB available: use fewer scenarios or periods, or a machine with more "
               "memory.")
    assert done.returncode == 2
    assert done.stderr.count(message) == 1
    assert not output.exists()
    log = output.with_suffix(".failed.log").read_text(encoding="utf-8")
    assert message in log
    assert "PH iteration" not in log


@needs_mpisppy
def test_rank_0_refuses_results_when_memory_ran_short_during_ph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # enough memory as PH starts, 238 MB once it has ended: rank 0 checks again before it
    # compiles the node formulation, and refuses with the same sentence
    from optimizer.cli import main
    from optimizer.memory import MEMORY_VARIABLE

    case = _hand_case(tmp_path)
    output = tmp_path / "results.xlsx"
    monkeypatch.setenv(MEMORY_VARIABLE, str(10**12))
    hedge = hedging.progressive_hedging

    def memory_short_after(*args: object) -> hedging.Hedged:
        hedged = hedge(*args)  # type: ignore[arg-type]
        monkeypatch.setenv(MEMORY_VARIABLE, "250000000")
        return hedged

    monkeypatch.setattr(hedging, "progressive_hedging", memory_short_after)
    assert main(["run", str(case), "--engine", "mpisppy-ph", "-o", str(output), "-q"]) == 2
    message = ("Writing this case's results from its solution, without solving it, needs "
               "about 300 MB of memory (8 tree nodes, 176 node entities), more than the "
               "238 MB available: use fewer scenarios or periods, or a machine with more "
               "memory.")
    assert capsys.readouterr().err == message + "\n"
    assert not output.exists()
    log = output.with_suffix(".failed.log").read_text(encoding="utf-8")
    assert message in log and "progressive hedging: " in log


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
