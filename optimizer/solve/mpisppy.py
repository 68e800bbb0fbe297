"""The model on mpi-sppy: one Pyomo model per scenario and the extensive form (MODEL.md §4, §7).

A scenario's model is the program of the same ``model/`` declarations built for that
scenario alone (its disruption rows, probability 1), as a Pyomo ``ConcreteModel``
(:func:`optimizer.model.concrete.concrete_model`). Its objective is then the scenario's
own term of §7, (1 − λ) C_s + λ (η + excess_s / (1 − α)), so that Σ_s p_s times it is the
node formulation's objective.

Non-anticipativity is declared to mpi-sppy's multi-stage tree: ``ROOT`` (stage 1) holds
the first-stage decisions (``build``, and ``eta`` of CVaR); each node of the scenario
tree of §4 in period t is the ``ScenarioNode`` of stage t + 2, named after its parent
(``ROOT_0``, ``ROOT_0_1``, ...) and holding the scenario's variables of that period, with
the probability conditional on its parent. The tree's own branching and unequal
probabilities carry over as they are; the last period's nodes are mpi-sppy's leaves.

mpi-sppy and mpi4py are an optional extra (``pip install -e '.[mpi]'``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import io
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from optimizer.data import ModelData
from optimizer.model import build
from optimizer.model.concrete import concrete_model
from optimizer.model.derive import derive
from optimizer.model.tree import ScenarioTree, build_tree
from optimizer.solve.highs import Layout, Solution

log = logging.getLogger(__name__)

ENGINES = ("mpisppy-ef", "mpisppy-ph")
MISSING = ("The mpi-sppy engines need mpi-sppy and mpi4py: install them with "
           "pip install -e '.[mpi]' (and MPI itself, e.g. apt-get install openmpi-bin "
           "libopenmpi-dev).")
FIRST_STAGE = frozenset({"build", "eta"})  # decided once, for all scenarios
LEAF_ONLY = frozenset({"excess"})  # a scenario's own CVaR excess: no tree node


class EngineUnavailableError(RuntimeError):
    """mpi-sppy or mpi4py is not installed."""


def require() -> None:
    """Raise :class:`EngineUnavailableError` with :data:`MISSING` unless both packages import."""
    for package in ("mpisppy", "mpi4py"):
        if importlib.util.find_spec(package) is None:
            raise EngineUnavailableError(MISSING)


@dataclass(frozen=True, slots=True)
class Tree:
    """The scenario tree of §4 in mpi-sppy's words."""

    tree: ScenarioTree
    names: Mapping[int, str]  # node id -> ROOT_i_j...

    @property
    def stages(self) -> int:
        return max(n.period for n in self.tree.nodes) + 2

    def nonleaf_names(self) -> list[str]:
        last = self.stages - 2
        return ["ROOT", *(self.names[n.id] for n in self.tree.nodes if n.period < last)]


def mpisppy_tree(data: ModelData) -> Tree:
    """Name every node of the scenario tree after its parent, in the tree's order."""
    tree = build_tree(data)
    names: dict[int, str] = {}
    children: dict[int | None, int] = {}
    for node in tree.nodes:
        parent = "ROOT" if node.parent is None else names[node.parent]
        rank = children.get(node.parent, 0)
        children[node.parent] = rank + 1
        names[node.id] = f"{parent}_{rank}"
    return Tree(tree, names)


def scenario_data(data: ModelData, scenario: str) -> ModelData:
    """``data`` restricted to ``scenario``: its disruption rows, probability 1."""
    (own,) = [s for s in data.scenarios if s.scenario == scenario]
    return dataclasses.replace(
        data,
        scenarios=(dataclasses.replace(own, probability=1.0),),
        disruptions=tuple(r for r in data.disruptions if r.scenario == scenario),
    )


def scenario_creator(scenario: str, data: ModelData, tree: Tree) -> pyo.ConcreteModel:
    """The Pyomo model of ``scenario`` with its non-anticipative variables declared to
    mpi-sppy by tree node (stage 1 the first-stage decisions, stage t + 2 period t)."""
    from mpisppy.scenario_tree import ScenarioNode

    program = build(derive(scenario_data(data, scenario)))
    model = concrete_model(program, name=scenario)
    path = tree.tree.paths[scenario]
    last = len(path) - 1
    by_period: list[list[Any]] = [[] for _ in path]
    first: list[Any] = []
    for block in program.variables:
        if block.name in LEAF_ONLY:
            continue
        component = getattr(model, block.name)
        if block.name in FIRST_STAGE:
            first.append(component)
            continue
        for key in block.keys:
            # in a one-scenario tree a node's id is its period
            period = (key if isinstance(key, tuple) else (key,))[-1]
            if period < last:
                by_period[period].append(component[key])
    nodes = [ScenarioNode("ROOT", 1.0, 1, model.objective, first, model)]
    parent_probability = 1.0
    for period, node_id in enumerate(path[:last]):
        probability = tree.tree.nodes[node_id].probability
        conditional = probability / parent_probability if parent_probability > 0 else 0.0
        name = tree.names[node_id]
        nodes.append(ScenarioNode(name, conditional, period + 2, 0.0, by_period[period], model,
                                  parent_name=nodes[-1].name))
        parent_probability = probability
    model._mpisppy_node_list = nodes
    model._mpisppy_probability = next(
        s.probability for s in data.scenarios if s.scenario == scenario)
    return model


def extensive_form(data: ModelData, solver: str = "highs") -> pyo.ConcreteModel:
    """The extensive form mpi-sppy builds from the scenario models, solved by HiGHS
    through Pyomo's ``solver`` plugin; raises :class:`RuntimeError` unless optimal."""
    require()
    printed = io.StringIO()  # mpi-sppy prints its progress itself: into the log instead
    with contextlib.redirect_stdout(printed):
        from mpisppy.utils import sputils

        ef = _solved_extensive_form(data, solver, sputils)
    if printed.getvalue().strip():
        log.info("mpi-sppy: %s", printed.getvalue().strip())
    return ef


def _solved_extensive_form(data: ModelData, solver: str, sputils: Any) -> pyo.ConcreteModel:
    tree = mpisppy_tree(data)
    ef = sputils.create_EF([s.scenario for s in data.scenarios], scenario_creator,
                           scenario_creator_kwargs={"data": data, "tree": tree},
                           suppress_warnings=True)
    result = pyo.SolverFactory(solver).solve(ef, load_solutions=False)
    condition = str(result.solver.termination_condition)
    if condition != "optimal":
        raise RuntimeError(f"the extensive form ended {condition}, not optimal")
    ef.solutions.load_from(result)
    return ef


def solve_extensive_form(data: ModelData, layout: Layout, tree: ScenarioTree,
                         solver: str = "highs") -> Solution:
    """The node formulation's :class:`Solution` from mpi-sppy's extensive form: values
    by position, no duals (the extensive form's rows are per scenario, not per node)."""
    started = time.perf_counter()
    ef = extensive_form(data, solver)
    objective = float(pyo.value(ef.EF_Obj))
    log.info("mpi-sppy extensive form (%s): objective %.9g", solver, objective)
    return Solution("optimal", "Optimal (mpi-sppy extensive form)", objective,
                    node_values(ef, layout, tree),
                    np.full(layout.rows[-1].stop if layout.rows else 0, np.nan),
                    time.perf_counter() - started)


def node_values(ef: pyo.ConcreteModel, layout: Layout, tree: ScenarioTree) -> np.ndarray:
    """The extensive form's solution as a value for every column of the node
    formulation's ``layout``: a node's variable read from the first of its scenarios
    (non-anticipativity makes them all equal), at the node's period."""
    values = np.zeros(layout.columns[-1].stop if layout.columns else 0)
    first = next(iter(tree.paths))
    for block in layout.columns:
        for offset, key in enumerate(block.keys):
            if block.name in FIRST_STAGE:
                scenario, own = first, key
            elif block.name in LEAF_ONLY:
                scenario, own = key, key
            else:
                parts = key if isinstance(key, tuple) else (key,)
                node = tree.nodes[parts[-1]]
                scenario = node.scenarios[0]
                own = (*parts[:-1], node.period) if len(parts) > 1 else node.period
            component = getattr(getattr(ef, scenario), block.name)
            variable = component if key is None else component[own]
            values[block.start + offset] = float(pyo.value(variable))
    return values
