"""The scenario tree of MODEL.md §4.

A scenario's *state* in a period is the multiset of its disruption rows active then
(kind, region, mineral, stage, destination, factor): identical rows count twice.
Two scenarios share the node of period t when their states are equal in every
period up to and including t. Scenarios without disruptions, and every scenario
before its first disruption, share the trunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from optimizer.data import Disruption, ModelData

State = tuple[tuple[str, str, str, str, str, float], ...]


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the tree: a period and the scenarios that cannot yet be told apart."""

    id: int
    period: int  # index into ModelData.periods
    parent: int | None  # the node of the previous period on the same path
    scenarios: tuple[str, ...]  # in the order of the scenarios sheet
    probability: float
    active: tuple[Disruption, ...]  # the disruption rows active at this node


@dataclass(frozen=True, slots=True)
class ScenarioTree:
    nodes: tuple[Node, ...]  # by period, then by first scenario
    paths: Mapping[str, tuple[int, ...]]  # scenario -> node id of each period

    def by_period(self, period: int) -> list[Node]:
        return [n for n in self.nodes if n.period == period]

    def leaves(self) -> list[Node]:
        last = max(n.period for n in self.nodes)
        return self.by_period(last)

    def leaves_trunk(self, scenario: str) -> int | None:
        """The first period (index) in which ``scenario`` has an active disruption, so
        leaves the trunk; ``None`` if it never does."""
        for period, node_id in enumerate(self.paths[scenario]):
            if self.nodes[node_id].active:
                return period
        return None


def _row_state(row: Disruption) -> tuple[str, str, str, str, str, float]:
    """A disruption row as a comparable value (``None`` -> ``*``; names are already lower
    case where they are enumerations)."""
    return (
        row.kind,
        row.region or "*",
        row.mineral or "*",
        row.stage or "*",
        row.destination or "*",
        row.factor,
    )


def active_rows(
    disruptions: Sequence[Disruption], scenario: str, period: int, order: Mapping[str, int]
) -> tuple[Disruption, ...]:
    """The rows of ``scenario`` active in period index ``period``."""
    return tuple(
        row
        for row in disruptions
        if row.scenario == scenario and order[row.start_period] <= period <= order[row.end_period]
    )


def build_tree(data: ModelData) -> ScenarioTree:
    """Group scenarios into nodes by equal disruption histories."""
    order = {p.period: i for i, p in enumerate(data.periods)}
    probability = {s.scenario: s.probability for s in data.scenarios}
    nodes: list[Node] = []
    paths: dict[str, list[int]] = {s.scenario: [] for s in data.scenarios}
    # groups: the node of the previous period -> its scenarios
    previous: dict[int | None, list[str]] = {None: [s.scenario for s in data.scenarios]}
    rank = {s.scenario: i for i, s in enumerate(data.scenarios)}
    for period in range(len(data.periods)):
        groups: list[tuple[int | None, list[str], tuple[Disruption, ...]]] = []
        for parent, scenarios in previous.items():
            by_state: dict[State, list[str]] = {}
            rows_of: dict[State, tuple[Disruption, ...]] = {}
            for scenario in scenarios:
                rows = active_rows(data.disruptions, scenario, period, order)
                state = tuple(sorted(_row_state(r) for r in rows))
                by_state.setdefault(state, []).append(scenario)
                rows_of.setdefault(state, rows)
            groups.extend((parent, members, rows_of[state]) for state, members in by_state.items())
        # a parent's later child may start with a later scenario than the next parent's
        groups.sort(key=lambda group: rank[group[1][0]])
        current: dict[int | None, list[str]] = {}
        for parent, members, rows in groups:
            node = Node(
                id=len(nodes),
                period=period,
                parent=parent,
                scenarios=tuple(members),
                probability=sum(probability[s] for s in members),
                active=rows,
            )
            nodes.append(node)
            current[node.id] = members
            for scenario in members:
                paths[scenario].append(node.id)
        previous = current
    return ScenarioTree(tuple(nodes), {s: tuple(p) for s, p in paths.items()})
