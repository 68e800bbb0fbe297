"""The scenario tree of MODEL.md §4.

A scenario's *state* in a period is the multiset of its disruption rows active then
(kind, region, mineral, stage, destination, factor): identical rows count twice.
Two scenarios share the node of period t when their states are equal in every
period up to and including t. The trunk is the calm scenario's path
(:func:`calm_scenario`: the tree's most probable path, so rows in force in every
scenario are no departure); every scenario shares it until its state first differs
from the calm one's.
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
    calm: str  # the scenario the trunk follows (calm_scenario)

    def by_period(self, period: int) -> list[Node]:
        return [n for n in self.nodes if n.period == period]

    def leaves(self) -> list[Node]:
        last = max(n.period for n in self.nodes)
        return self.by_period(last)

    @property
    def trunk(self) -> tuple[int, ...]:
        """The node of each period on the calm scenario's path."""
        return self.paths[self.calm]

    def leaves_trunk(self, scenario: str) -> int | None:
        """The first period (index) in which ``scenario``'s path leaves the trunk (its
        node is not the calm scenario's); ``None`` if it never does."""
        trunk = self.trunk
        for period, node_id in enumerate(self.paths[scenario]):
            if node_id != trunk[period]:
                return period
        return None

    def departures(self, scenario: str, period: int) -> tuple[Disruption, ...]:
        """The disruption rows active on ``scenario``'s node in period index ``period``
        beyond those active on the trunk then (as multisets of rows): what the scenario
        adds to the calm one. Empty on the trunk."""
        node = self.nodes[self.paths[scenario][period]]
        trunk = self.nodes[self.trunk[period]]
        if node.id == trunk.id:
            return ()
        calm = [_row_state(r) for r in trunk.active]
        added = []
        for row in node.active:
            state = _row_state(row)
            if state in calm:
                calm.remove(state)
            else:
                added.append(row)
        return tuple(added)


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
    found = {s: tuple(p) for s, p in paths.items()}
    return ScenarioTree(tuple(nodes), found, calm_scenario(tuple(nodes), found))


def calm_scenario(nodes: Sequence[Node], paths: Mapping[str, tuple[int, ...]]) -> str:
    """The scenario the trunk follows: down the heaviest path of the tree, from the most
    probable first-period node through each period's most probable child (the first in
    input order among equals), the first scenario of the leaf it reaches. Rows in force
    in every scenario (today's policy) sit on every path, so they are no departure;
    with the calm scenario the most probable at every branching, it is the calm one."""
    children: dict[int | None, list[Node]] = {}
    for node in nodes:
        children.setdefault(node.parent, []).append(node)
    node = max(children[None], key=lambda n: n.probability)  # max keeps the first
    while node.id in children:
        node = max(children[node.id], key=lambda n: n.probability)
    return node.scenarios[0]
