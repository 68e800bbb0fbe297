"""The scenario tree of MODEL.md §4 and the edge readings of §11, on tiny workbooks.

Every expected tree below is drawn by hand from the disruption rows: a node of period t
holds the scenarios whose states (the multisets of active rows) agree in every period up
to t. Probabilities are dyadic (1/2, 1/4, 1/8), so their sums are exact in floating point
and compared with ``==``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from optimizer.data import ModelData
from optimizer.model.tree import ScenarioTree, build_tree
from tests.workbooks import case, demand, facility, scenarios

THREE_PERIODS = {"p1": 1.0, "p2": 1.0, "p3": 1.0}


def cut(scenario: str, start: str, end: str | None = None, **columns: Any) -> dict[str, Any]:
    """A ``disruptions`` record: recyclers of ``m`` in ``M`` at half capacity, unless told
    otherwise; to the last period when ``end`` is not given."""
    return {"scenario": scenario, "kind": "capacity", "region": "M", "mineral": "m",
            "stage": "recycle", "destination": None, "start_period": start,
            "end_period": end, "factor": 0.5, **columns}


def tree_of(folder: Path, periods: dict[str, float] | None = None, **sheets: Any) -> ScenarioTree:
    """The tree of a one-region, one-mineral case with the given scenarios and disruptions."""
    data = case(folder, periods=periods or THREE_PERIODS, facilities=[facility("f", "M", 10)],
                demand=[demand("M", 1)], **sheets)
    return build_tree(data)


def shape(tree: ScenarioTree) -> list[tuple[int, int | None, tuple[str, ...], float]]:
    """Every node as (period, parent, scenarios, probability), in node-id order."""
    assert [n.id for n in tree.nodes] == list(range(len(tree.nodes)))
    return [(n.period, n.parent, n.scenarios, n.probability) for n in tree.nodes]


def test_nodes_group_equal_histories_with_parents_paths_and_probabilities(
    tmp_path: Path,
) -> None:
    """calm never disrupted; a from p2; b as a from p2, plus a demand row in p3; c only in
    p3. By hand: p1 is one node (all alike); in p2 {calm, c} (nothing yet) and {a, b} (the
    same row); in p3 every scenario differs: calm (no rows), a (one row), b (two rows), c
    (one row, but a different history from a). Nodes run by period, then by first scenario."""
    tree = tree_of(
        tmp_path,
        scenarios=scenarios(calm=0.5, a=0.25, b=0.125, c=0.125),
        disruptions=[cut("a", "p2"), cut("b", "p2"),
                     cut("b", "p3", kind="demand", stage=None, factor=2), cut("c", "p3")],
    )
    assert shape(tree) == [
        (0, None, ("calm", "a", "b", "c"), 1.0),
        (1, 0, ("calm", "c"), 0.625),
        (1, 0, ("a", "b"), 0.375),
        (2, 1, ("calm",), 0.5),
        (2, 2, ("a",), 0.25),
        (2, 2, ("b",), 0.125),
        (2, 1, ("c",), 0.125),
    ]
    assert dict(tree.paths) == {
        "calm": (0, 1, 3), "a": (0, 2, 4), "b": (0, 2, 5), "c": (0, 1, 6),
    }
    assert [len(n.active) for n in tree.nodes] == [0, 0, 1, 0, 1, 2, 1]
    assert [n.id for n in tree.by_period(1)] == [1, 2]
    assert [n.id for n in tree.leaves()] == [3, 4, 5, 6]
    assert {s: tree.leaves_trunk(s) for s in tree.paths} == {
        "calm": None, "a": 1, "b": 1, "c": 2,
    }


def test_state_is_a_multiset_identical_rows_count_twice(tmp_path: Path) -> None:
    """twice and again carry the same row twice, once carries it once: as sets the three
    states are equal, as multisets (§11) twice = again ≠ once, so p1 has two nodes."""
    tree = tree_of(
        tmp_path,
        periods={"p1": 1.0},
        scenarios=scenarios(twice=0.5, once=0.25, again=0.25),
        disruptions=[cut("twice", "p1"), cut("twice", "p1"), cut("once", "p1"),
                     cut("again", "p1"), cut("again", "p1")],
    )
    assert shape(tree) == [(0, None, ("twice", "again"), 0.75), (0, None, ("once",), 0.25)]
    assert [len(n.active) for n in tree.nodes] == [2, 1]


def test_blank_and_star_are_the_same_value_and_enumerations_ignore_case(
    tmp_path: Path,
) -> None:
    """a writes region blank, mineral ``*``, kind ``capacity``, stage ``recycle``; b writes
    region ``*``, mineral blank, kind ``Capacity``, stage ``RECYCLE``: the same row, so one
    node. c differs only in its factor (0.25): a node of its own."""
    tree = tree_of(
        tmp_path,
        periods={"p1": 1.0},
        scenarios=scenarios(a=0.5, b=0.25, c=0.25),
        disruptions=[
            cut("a", "p1", region=None, mineral="*"),
            cut("b", "p1", region="*", mineral=None, kind="Capacity", stage="RECYCLE"),
            cut("c", "p1", region=None, mineral=None, factor=0.25),
        ],
    )
    assert shape(tree) == [(0, None, ("a", "b"), 0.75), (0, None, ("c",), 0.25)]
    (row,) = tree.nodes[0].active
    assert (row.kind, row.region, row.mineral, row.stage) == ("capacity", None, None, "recycle")


def test_scenarios_without_disruptions_share_the_trunk(tmp_path: Path) -> None:
    """calm and quiet have no rows: one node per period, both on it. d leaves in p3."""
    tree = tree_of(
        tmp_path,
        scenarios=scenarios(calm=0.5, quiet=0.25, d=0.25),
        disruptions=[cut("d", "p3")],
    )
    assert shape(tree) == [
        (0, None, ("calm", "quiet", "d"), 1.0),
        (1, 0, ("calm", "quiet", "d"), 1.0),
        (2, 1, ("calm", "quiet"), 0.75),
        (2, 1, ("d",), 0.25),
    ]
    assert tree.paths["calm"] == tree.paths["quiet"] == (0, 1, 2)
    assert (tree.leaves_trunk("calm"), tree.leaves_trunk("quiet"), tree.leaves_trunk("d")) == (
        None, None, 2,
    )


def test_policy_in_force_in_every_scenario_is_the_trunk_not_a_departure(
    tmp_path: Path,
) -> None:
    """A quota in force p1-p2 in calm and ban (today's policy) is active on the trunk:
    all three scenarios share p1's node, and in p2 calm (0.5) is the most probable child,
    so calm is the scenario the trunk follows although quota_ends has fewer rows. ban
    adds a demand row from p2, so it leaves the trunk in p2 (index 1), not in p1 where
    its first row starts; quota_ends has the quota only in p1, so it leaves in p2 too,
    with nothing added. The departures are what a scenario adds to the trunk's rows."""
    policy = [cut(s, "p1", "p2", kind="export", stage="refined", factor=0.8)
              for s in ("calm", "ban")]
    tree = tree_of(
        tmp_path,
        scenarios=scenarios(calm=0.5, ban=0.25, quota_ends=0.25),
        disruptions=[*policy, cut("quota_ends", "p1", "p1", kind="export", stage="refined",
                                  factor=0.8),
                     cut("ban", "p2", kind="demand", stage=None, factor=2)],
    )
    assert tree.calm == "calm"
    assert tree.trunk == tree.paths["calm"]
    assert len(tree.nodes[tree.trunk[0]].active) == 1  # the quota, on the trunk
    assert {s: tree.leaves_trunk(s) for s in tree.paths} == {
        "calm": None, "ban": 1, "quota_ends": 1}
    assert tree.departures("calm", 0) == tree.departures("ban", 0) == ()
    (added,) = tree.departures("ban", 1)
    assert (added.kind, added.factor) == ("demand", 2.0)
    assert tree.departures("quota_ends", 1) == ()
    (added,) = tree.departures("ban", 2)  # the quota has ended everywhere: the cut stays
    assert added.kind == "demand"


def test_a_scenario_whose_disruption_ends_rejoins_nothing(tmp_path: Path) -> None:
    """blip is disrupted in p1 only. In p2 and p3 its state is empty like calm's, but its
    history differs, so it stays on its own branch to the end."""
    tree = tree_of(
        tmp_path,
        scenarios=scenarios(calm=0.5, blip=0.5),
        disruptions=[cut("blip", "p1", "p1")],
    )
    assert shape(tree) == [
        (0, None, ("calm",), 0.5),
        (0, None, ("blip",), 0.5),
        (1, 0, ("calm",), 0.5),
        (1, 1, ("blip",), 0.5),
        (2, 2, ("calm",), 0.5),
        (2, 3, ("blip",), 0.5),
    ]
    assert [n.active for n in tree.nodes[2:]] == [(), (), (), ()]
    assert tree.leaves_trunk("blip") == 0
    assert tree.leaves_trunk("calm") is None


def test_node_probability_sums_its_scenarios_including_probability_zero(
    tmp_path: Path,
) -> None:
    """ghost has probability 0: it counts as a member of the trunk (1.0 = 0.75 + 0.25 + 0)
    and of its shared node with d (0.25 + 0), and its own branch, once it differs from d
    in p3, has probability 0."""
    tree = tree_of(
        tmp_path,
        scenarios=scenarios(calm=0.75, d=0.25, ghost=0.0),
        disruptions=[cut("d", "p2"), cut("ghost", "p2", "p2")],
    )
    assert shape(tree) == [
        (0, None, ("calm", "d", "ghost"), 1.0),
        (1, 0, ("calm",), 0.75),
        (1, 0, ("d", "ghost"), 0.25),
        (2, 1, ("calm",), 0.75),
        (2, 2, ("d",), 0.25),
        (2, 2, ("ghost",), 0.0),
    ]
    assert dict(tree.paths) == {"calm": (0, 1, 3), "d": (0, 2, 4), "ghost": (0, 2, 5)}


@pytest.mark.parametrize("sheet", [None, []], ids=["absent", "empty"])
def test_without_scenarios_there_is_one_base_scenario(
    tmp_path: Path, sheet: list[dict[str, Any]] | None
) -> None:
    """No scenarios (an absent or an empty sheet, §11): one scenario ``base`` of
    probability 1, so one node per period, each the child of the one before."""
    sheets: dict[str, Any] = {} if sheet is None else {"scenarios": sheet}
    data: ModelData = case(tmp_path, periods={"p1": 1.0, "p2": 2.0},
                           facilities=[facility("f", "M", 10)], demand=[demand("M", 1)],
                           **sheets)
    assert [(s.scenario, s.probability) for s in data.scenarios] == [("base", 1.0)]
    tree = build_tree(data)
    assert shape(tree) == [(0, None, ("base",), 1.0), (1, 0, ("base",), 1.0)]
    assert dict(tree.paths) == {"base": (0, 1)}
    assert tree.leaves_trunk("base") is None
