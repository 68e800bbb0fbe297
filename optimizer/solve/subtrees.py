"""Progressive hedging's upper bound by subtrees: the node formulation with the first
stage fixed, solved one subtree at a time (MODEL.md §4, §6, §7).

With the first-stage decisions (``build``, and ``eta`` of CVaR) fixed, the node
formulation falls apart into one problem per period-0 node: every row other than the
first stage's own (the expansion budget of §6 rule 10) lies on the paths of one such
node's scenarios. A stock's level links a node to its parent (§6 rule 6, §12 rule 1),
never across two paths; the stockpile budget sums over one scenario's path (§6 rule
10); the CVaR row excess_s ≥ C_s − η (§7) holds one scenario's path, η fixed; every
other row is one node's. The objective adds each node's cost weighted by its
probability, the first stage's cost (capex, and λ η) once.

So for a candidate first stage each period-0 node's subtree is solved whole, as the
project's own node formulation over its scenarios (:func:`subtree_data`: their
probabilities kept as they are, so a node's weight is the whole tree's), on one rank,
and the bound is the first stage's cost plus Σ over the subtrees of (objective − the
first stage's cost): exactly the node formulation's optimum with that first stage.

A subtree larger than the limit (:func:`within`: by scenarios, and by memory from
:mod:`optimizer.memory`'s rate per node entity) is not solved whole: its top node
gets the decisions of a donor (its most probable scenario, solved by the caller with
every node above fixed) and each of the node's children is taken the same way, one
round per level. The bound is then that of a policy fixed down to the subtrees, no
longer the optimum for its first stage, but every subtree solve holds only its own
scenarios' nodes and those above them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.data import ModelData
from optimizer.memory import BYTES_PER_NODE_ENTITY, entities_per_node
from optimizer.model import build
from optimizer.model.derive import derive
from optimizer.model.tree import Node, ScenarioTree
from optimizer.solve.highs import CompiledLP, SolverOptions, compile_program, solve
from optimizer.solve.mpisppy import FIRST_STAGE, LEAF_ONLY

# Decisions fixed: (variable, its key in the whole tree's node formulation) -> value
Fixed = dict[tuple[str, Any], float]
# One subtree's share of the policy's values: variable -> (the whole tree's node
# formulation's keys, their values), for the columns the subtree reports
Piece = dict[str, tuple[list[Any], np.ndarray]]


@dataclass(frozen=True, slots=True)
class Job:
    """One solve of the bound: the subtree under ``node`` solved whole (``whole``) on
    ``rank``, or the node's decisions taken from ``donor``'s solve on the rank that
    holds the donor's scenario model."""

    node: int
    scenarios: tuple[str, ...]
    whole: bool
    donor: str
    rank: int


def subtree_data(data: ModelData, scenarios: tuple[str, ...]) -> ModelData:
    """``data`` restricted to ``scenarios``: their disruption rows, their
    probabilities unchanged (they sum to the subtree's probability, not 1)."""
    chosen = set(scenarios)
    return dataclasses.replace(
        data, scenarios=tuple(s for s in data.scenarios if s.scenario in chosen),
        disruptions=tuple(r for r in data.disruptions if r.scenario in chosen))


def subtree_nodes(tree: ScenarioTree, node: Node) -> int:
    """How many tree nodes the node formulation of ``node``'s scenarios has: the
    node's ancestors, the node and everything below it."""
    return len({n for s in node.scenarios for n in tree.paths[s]})


def within(data: ModelData, tree: ScenarioTree, scenarios: int | None,
           memory: float) -> Callable[[Node], bool]:
    """Whether a node's subtree may be solved whole: at most ``scenarios`` scenarios
    (no limit when ``None``) and its estimated memory (:mod:`optimizer.memory`'s bytes
    per node entity, the default run's whole peak rate) at most ``memory`` bytes."""
    per_node = entities_per_node(data) * BYTES_PER_NODE_ENTITY

    def fits(node: Node) -> bool:
        if scenarios is not None and len(node.scenarios) > scenarios:
            return False
        return len(node.scenarios) == 1 or per_node * subtree_nodes(tree, node) <= memory

    return fits


def _probability(tree: ScenarioTree) -> dict[str, float]:
    probability: dict[str, float] = {}
    for leaf in tree.leaves():
        for scenario in leaf.scenarios:
            probability[scenario] = leaf.probability / len(leaf.scenarios)
    return probability


def subtree_plan(tree: ScenarioTree, fits: Callable[[Node], bool], ranks: int,
                 owner: Mapping[str, int]) -> list[list[Job]]:
    """The bound's rounds. Round 1 takes the period-0 nodes; a node that ``fits`` is a
    whole job, one that does not a donor job (its most probable scenario, the first in
    the sheet's order among equals, solved on ``owner[donor]``, rank 0 when absent),
    whose children make the next round. Whole jobs go to the rank with the fewest
    scenarios so far, largest first. Every scenario is in exactly one whole job; the
    same on every rank."""
    probability = _probability(tree)
    children: dict[int | None, list[Node]] = {}
    for node in tree.nodes:
        children.setdefault(node.parent, []).append(node)
    load = [0] * ranks
    frontier = children[None]
    rounds: list[list[Job]] = []
    while frontier:
        round_: list[Job] = []
        for node in sorted(frontier, key=lambda n: -len(n.scenarios)):
            donor = max(node.scenarios, key=lambda s: probability[s])  # first of the most
            if fits(node) or node.id not in children:
                rank = load.index(min(load))
                load[rank] += len(node.scenarios)
                round_.append(Job(node.id, node.scenarios, True, donor, rank))
            else:
                round_.append(Job(node.id, node.scenarios, False, donor, owner.get(donor, 0)))
        rounds.append(sorted(round_, key=lambda job: job.node))
        frontier = [c for job in round_ if not job.whole for c in children[job.node]]
    return rounds


def whole_key(name: str, key: Any, nodes: Mapping[int, int]) -> Any:
    """A node formulation's column key with its node id (the key's last part) taken
    through ``nodes``; first-stage and CVaR-excess keys have none."""
    if name in FIRST_STAGE or name in LEAF_ONLY:
        return key
    parts = key if isinstance(key, tuple) else (key,)
    node = nodes[parts[-1]]
    return (*parts[:-1], node) if len(parts) > 1 else node


@dataclass(slots=True)
class Subtree:
    """A whole job's node formulation, compiled once: its columns' keys in the whole
    tree, the first stage's columns, and which columns it reports."""

    lp: CompiledLP
    keys: list[tuple[str, Any]]  # by column: (variable, the whole tree's key)
    first: np.ndarray  # the first stage's columns
    reports: dict[str, np.ndarray]  # by variable: the columns whose values it reports


def compile_subtree(data: ModelData, tree: ScenarioTree, job: Job) -> Subtree:
    """The node formulation of ``job``'s scenarios (:func:`subtree_data`), its keys
    mapped to the whole tree's. It reports the columns of every node whose first
    scenario is its own, the first stage if the tree's first scenario is, and its
    scenarios' CVaR excess: each column of the whole tree is reported by one job."""
    derived = derive(subtree_data(data, job.scenarios))
    lp = compile_program(build(derived))
    nodes = {n.id: tree.paths[n.scenarios[0]][n.period] for n in derived.tree.nodes}
    own = set(job.scenarios)
    first_scenario = next(iter(tree.paths))
    keys: list[tuple[str, Any]] = []
    reports: dict[str, list[int]] = {}
    first: list[int] = []
    for block in lp.layout.columns:
        for offset, key in enumerate(block.keys):
            whole = whole_key(block.name, key, nodes)
            keys.append((block.name, whole))
            if block.name in FIRST_STAGE:
                first.append(block.start + offset)
                reported = first_scenario in own
            elif block.name in LEAF_ONLY:
                reported = True
            else:
                node = whole[-1] if isinstance(whole, tuple) else whole
                reported = tree.nodes[node].scenarios[0] in own
            if reported:
                reports.setdefault(block.name, []).append(block.start + offset)
    return Subtree(lp, keys, np.array(first, dtype=np.int64),
                   {name: np.array(columns, dtype=np.int64)
                    for name, columns in reports.items()})


def solve_subtree(subtree: Subtree, fixed: Fixed) -> tuple[float, float, Piece] | None:
    """The subtree's optimum with the columns of ``fixed`` fixed (inside their bounds):
    (its objective, the first stage's cost in it, its piece of the policy); ``None``
    unless optimal."""
    lp = subtree.lp
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    for column, key in enumerate(subtree.keys):
        value = fixed.get(key)
        if value is not None:
            lower[column] = upper[column] = min(max(value, lower[column]), upper[column])
    solution = solve(dataclasses.replace(lp, col_lower=lower, col_upper=upper),
                     SolverOptions())
    if solution.status != "optimal" or solution.objective is None or solution.values is None:
        return None
    values = solution.values
    first_cost = float(lp.cost[subtree.first] @ values[subtree.first])
    piece: Piece = {name: ([subtree.keys[c][1] for c in columns.tolist()], values[columns])
                    for name, columns in subtree.reports.items()}
    return float(solution.objective), first_cost, piece


# Solves a donor job (see :func:`subtree_plan`) with the decisions fixed so far: the
# donor node's decisions, or None when its solve did not end optimal
Donor = Callable[[Job, Fixed], Fixed | None]


@dataclass(slots=True)
class SubtreeBound:
    """The bound's plan and this rank's compiled subtrees (kept between evaluations:
    a rank holds the node formulation of its own whole jobs only)."""

    data: ModelData
    tree: ScenarioTree
    plan: list[list[Job]]
    rank: int
    compiled: dict[int, Subtree] = dataclasses.field(default_factory=dict)

    def subtree(self, job: Job) -> Subtree:
        if job.node not in self.compiled:
            self.compiled[job.node] = compile_subtree(self.data, self.tree, job)
        return self.compiled[job.node]

    def evaluate(self, comm: Any, first: Fixed, donor: Donor) -> tuple[float, list[Piece]]:
        """The policy's expected objective for first stage ``first`` on every rank of
        ``comm`` together, and this rank's pieces of it; ∞ when a solve did not end
        optimal. Donor jobs are solved by ``donor`` on their ranks and their node's
        decisions broadcast to every rank, round by round."""
        fixed: Fixed = dict(first)
        ok, local, first_cost = True, 0.0, -float("inf")
        pieces: list[Piece] = []
        for round_ in self.plan:
            found: dict[int, Fixed | None] = {}
            for job in round_:
                if job.rank != self.rank or not ok:
                    continue
                if not job.whole:
                    found[job.node] = donor(job, fixed)
                    continue
                solved = solve_subtree(self.subtree(job), fixed)
                if solved is None:
                    ok = False
                    continue
                objective, first_cost, piece = solved
                local += objective - first_cost
                pieces.append(piece)
            for job in round_:  # in the plan's order on every rank
                if not job.whole:
                    values = comm.bcast(found.get(job.node), root=job.rank)
                    if values is None:
                        ok = False  # the same on every rank: the rounds below stop
                    else:
                        fixed.update(values)
        total = float(comm.allreduce(local))
        cost = float(comm.allreduce(first_cost, op=_max()))
        failed = bool(comm.allreduce(0 if ok else 1))
        return (float("inf") if failed else total + cost), pieces


def _max() -> Any:
    from mpi4py import MPI

    return MPI.MAX
