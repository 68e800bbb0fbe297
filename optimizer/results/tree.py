"""The scenario tree of MODEL.md §4 as arrays and tables, made once per run.

Every results module places a node the same way: its period, probability, discount
factor and weight π_n × δ_t, the scenarios whose paths pass through it (a scenario ×
node incidence), and the tree as the two tables of the Parquet detail (``nodes``,
``paths``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimizer.model.derive import Derived


def categorical(values: Any, names: Sequence[str]) -> pd.Categorical:
    """``values`` as a categorical over ``names`` (the input's order)."""
    return pd.Categorical(values, categories=pd.Index(list(dict.fromkeys(names)), dtype=object))



@dataclass(frozen=True)
class Tree:
    """The scenario tree as arrays and tables: what every table needs to place a node."""

    derived: Derived

    @cached_property
    def scenarios(self) -> tuple[str, ...]:
        return tuple(s.scenario for s in self.derived.data.scenarios)

    @cached_property
    def period_names(self) -> tuple[str, ...]:
        return tuple(p.period for p in self.derived.data.periods)

    @cached_property
    def period(self) -> np.ndarray:
        """The period index of every node."""
        return np.array([n.period for n in self.derived.tree.nodes], dtype=np.int64)

    @cached_property
    def probability(self) -> np.ndarray:
        return np.array([n.probability for n in self.derived.tree.nodes], dtype=float)

    @cached_property
    def discount(self) -> np.ndarray:
        """δ_t of every node's period."""
        discount: np.ndarray = np.asarray(self.derived.discount, dtype=float)[self.period]
        return discount

    @cached_property
    def weight(self) -> np.ndarray:
        """π_n × δ_t of every node: what one unit of money there weighs in the objective."""
        weight: np.ndarray = self.probability * self.discount
        return weight

    @cached_property
    def years(self) -> np.ndarray:
        """The years of every node's period."""
        years: np.ndarray = np.asarray(self.derived.years, dtype=float)[self.period]
        return years

    @cached_property
    def on_path(self) -> np.ndarray:
        """Scenario × node: True where the scenario passes through the node."""
        passes = np.zeros((len(self.scenarios), len(self.derived.tree.nodes)), dtype=bool)
        for row, scenario in enumerate(self.scenarios):
            passes[row, list(self.derived.tree.paths[scenario])] = True
        return passes

    @cached_property
    def incidence(self) -> sp.csr_array:
        """The same as a sparse 0/1 matrix, for sums along each scenario's path."""
        return sp.csr_array(self.on_path.astype(float))

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """One row per node: ``node``, ``period``, ``probability``, ``parent`` (blank at
        the first period) and the ``scenarios`` that pass through it, in words."""
        nodes = self.derived.tree.nodes
        return pd.DataFrame({
            "node": np.arange(len(nodes), dtype=np.int64),
            "period": self.period_column(np.arange(len(nodes))),
            "probability": self.probability,
            "parent": pd.array([n.parent for n in nodes], dtype="Int64"),
            "scenarios": [scenario_list(n.scenarios, len(self.scenarios)) for n in nodes],
        })

    @cached_property
    def paths(self) -> pd.DataFrame:
        """One row per scenario and period: the node the scenario is at."""
        count = len(self.period_names)
        return pd.DataFrame({
            "scenario": categorical(np.repeat(np.asarray(self.scenarios, dtype=object), count),
                                    self.scenarios),
            "period": categorical(np.tile(np.asarray(self.period_names, dtype=object),
                                          len(self.scenarios)), self.period_names),
            "node": np.array([n for s in self.scenarios for n in self.derived.tree.paths[s]],
                             dtype=np.int64),
        })

    def period_column(self, node: np.ndarray) -> pd.Categorical:
        """The period names of ``node`` ids, as a categorical in time order."""
        return pd.Categorical.from_codes(self.period[node], categories=pd.Index(
            list(self.period_names), dtype=object))

    def by_scenario(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Node rows repeated under every scenario through their node: rows by
        scenario, then in the order of ``frame``; ``node`` gives way to ``scenario``."""
        nodes = frame["node"].to_numpy(dtype=np.int64)
        chosen = [np.flatnonzero(self.on_path[row, nodes]) for row in range(len(self.scenarios))]
        rows = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
        codes = np.repeat(np.arange(len(self.scenarios)), [len(c) for c in chosen])
        view = frame.drop(columns=["node"]).take(rows).reset_index(drop=True)
        view["scenario"] = pd.Categorical.from_codes(
            codes, categories=pd.Index(list(self.scenarios), dtype=object))
        return view

    def scenario_count(self, node: np.ndarray) -> np.ndarray:
        """How many scenarios pass through each of ``node``."""
        count: np.ndarray = self.on_path.sum(axis=0)[node]
        return count


def scenario_list(scenarios: Sequence[str], total: int, shown: int = 5) -> str:
    """The scenarios through a node in words: all of them, a short list, or a count
    with the first few."""
    if len(scenarios) == total and total > 1:
        return f"all {total}"
    if len(scenarios) <= shown:
        return ", ".join(scenarios)
    return f"{len(scenarios)}: {', '.join(scenarios[:shown])}, …"
