"""Structure: how many variables and constraints each component declares (MODEL.md §5, §6).

Tiny cases whose counts follow from the formulation by hand; every pinned number
says why it is what it is (in the manner of Temoa's ``legacy_test_values.py``). A
change to the formulation that moves a count must change the number here and its
reason. Only what exists is indexed: a block that does not apply is declared empty
(it keeps its place in the Layout), and the budgets and CVaR blocks appear only when
their settings ask for them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from optimizer.data import ModelData
from optimizer.model import build
from optimizer.model.derive import derive
from optimizer.pipeline import prepare
from tests.workbooks import case, demand, facility, route, scenarios, yield_of


def counts(data: ModelData) -> tuple[dict[str, int], dict[str, int]]:
    """Columns and rows per component, in Layout order."""
    _, lp = prepare(data)
    return ({b.name: len(b.keys) for b in lp.layout.columns},
            {b.name: len(b.keys) for b in lp.layout.rows})


def test_one_recycler_one_period(tmp_path: Path) -> None:
    """Member M's recycler f (10 t/yr) and M's demand of 5 t, one period, one scenario."""
    columns, rows = counts(case(tmp_path, facilities=[facility("f", "M", 10)],
                                demand=[demand("M", 5)]))
    assert columns == {
        "build": 0,  # f cannot expand
        "output": 1,  # f × the one node
        "contract_take": 0,  # no offtake
        "ship": 0,  # no route
        "purchase": 0, "release": 0, "level": 0,  # no stockpile
        "shortfall": 1,  # M's demand × the one (implicit) tier × the one node
    }
    assert rows == {
        "capacity": 0,  # f's capacity is output's upper bound, no row
        "take_within_output": 0,
        "export_cap": 0,
        "stock_balance": 0,
        "concentrate_balance": 0,  # nothing makes or uses concentrate
        "refined_balance": 1,  # (M, m) at the one node: f's output and the shortfall
    }


def _two_regions(folder: Path, name: str = "case.xlsx",
                 extra: tuple[dict[str, Any], ...] = (), **settings: Any) -> ModelData:
    """Member M refines (M-ref, yield 0.8, expandable by 5 from p2) and recycles
    (M-rec); non-member X mines (X-mine) and ships concentrate X→M, M ships refined
    M→X. M needs 10 t a year, short in two tiers; M's vault holds refined m; M-ref has
    an offtake in p2. Scenario cut (0.5) halves X's concentrate exports from p2, so
    the tree has 3 nodes: the trunk in p1 (0), calm's p2 (1) and cut's p2 (2). ``extra``
    rows join cut's disruptions."""
    return case(
        folder,
        name=name,
        settings={"stockpile_budget": 1000, "expansion_budget": 500, **settings},
        regions={"M": True, "X": False},
        periods={"p1": 1.0, "p2": 1.0},
        facilities=[
            facility("X-mine", "X", 20, 1, stage="mine"),
            facility("M-ref", "M", 10, 2, stage="refine", **yield_of(0.8),
                     expandable_t=5, capex_per_t=100, online_period="p2"),
            facility("M-rec", "M", 2, 9),
        ],
        routes=[route("X", "M", 1, stage="concentrate"), route("M", "X", 1)],
        demand=[demand("M", 10)],
        prices=[{"mineral": "m", "stage": "refined", "market_price_per_t": 50}],
        stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m", "capacity_t": 5}],
        offtakes=[{"facility": "M-ref", "start_period": "p2", "contract_t": 3,
                   "contract_price_per_t": 4}],
        scenarios=scenarios(calm=0.5, cut=0.5),
        disruptions=[{"scenario": "cut", "kind": "export", "region": "X", "mineral": "m",
                      "stage": "concentrate", "start_period": "p2", "factor": 0.5}, *extra],
        shortfall_tiers=[{"mineral": "m", "up_to_share": 0.2, "penalty_per_t": 50},
                         {"mineral": "m", "up_to_share": 1, "penalty_per_t": 900}],
    )


def test_two_regions_over_a_tree_of_three_nodes(tmp_path: Path) -> None:
    columns, rows = counts(_two_regions(tmp_path))
    assert columns == {
        "build": 1,  # M-ref, the one expandable facility, decided once for the tree
        "output": 9,  # 3 facilities × 3 nodes
        "contract_take": 2,  # M-ref's offtake runs in p2 only: nodes 1 and 2
        "ship": 6,  # 2 routes (one mineral and stage each) × 3 nodes
        "purchase": 3, "release": 3, "level": 3,  # the vault × 3 nodes
        "shortfall": 6,  # M's demand at 3 nodes × 2 tiers (X has no demand)
    }
    assert rows == {
        "capacity": 2,  # M-ref where its expansion is online (p2: nodes 1, 2); elsewhere a bound
        "expansion_budget": 1,  # one row: the budget is set and M-ref's capex is priced
        "take_within_output": 2,  # one per contract_take
        "export_cap": 1,  # cut's row caps X's concentrate at node 2: one region, mineral, stage
        "stock_balance": 3,  # the vault × 3 nodes
        "stockpile_budget": 2,  # one per distinct path (calm: 0-1, cut: 0-2), purchases priced
        "concentrate_balance": 6,  # (X, m) and (M, m): X-mine, M-ref's input, the route × 3 nodes
        "refined_balance": 6,  # (M, m) and (X, m), the latter through the M→X route × 3 nodes
    }


def test_cvar_adds_eta_and_one_excess_per_scenario(tmp_path: Path) -> None:
    """The same case with λ = 0.5: CVaR adds the free eta, and an excess variable and
    an excess row for each scenario (§7); nothing else moves."""
    columns, rows = counts(_two_regions(tmp_path, risk_weight=0.5))
    assert (columns["eta"], columns["excess"], rows["cvar_excess"]) == (1, 2, 2)
    plain_columns, plain_rows = counts(_two_regions(tmp_path, name="plain.xlsx"))
    assert {k: v for k, v in columns.items() if k not in ("eta", "excess")} == plain_columns
    assert {k: v for k, v in rows.items() if k != "cvar_excess"} == plain_rows


def test_unavailable_capacity_is_a_bound_not_a_row(tmp_path: Path) -> None:
    """With M-ref's capacity × 0 in cut from p2, node 2 has no capacity row (nothing
    can be produced there, new capacity or not: output's bound is 0), so 2 − 1 = 1;
    the capacity row goes, the variables stay."""
    columns, rows = counts(_two_regions(tmp_path))
    cut = _two_regions(tmp_path, name="cut.xlsx", extra=(
        {"scenario": "cut", "kind": "capacity", "region": "M", "mineral": "m",
         "stage": "refine", "start_period": "p2", "factor": 0},
    ))
    cut_columns, cut_rows = counts(cut)
    assert cut_columns == columns
    assert cut_rows == {**rows, "capacity": 1}


def test_only_positive_demand_has_shortfall(tmp_path: Path) -> None:
    """M needs 5 t in p1 and nothing in p2 (a more specific row), one scenario: a
    shortfall only at p1's node (one implicit tier), but a refined balance at both
    nodes, since the recycler registers its output there (its right-hand side 0 in
    p2)."""
    columns, rows = counts(case(
        tmp_path, periods={"p1": 1.0, "p2": 1.0}, facilities=[facility("f", "M", 10)],
        demand=[demand("M", 5), demand("M", 0, period="p2")],
    ))
    assert columns["output"] == 2  # f × 2 nodes
    assert columns["shortfall"] == 1  # positive demand at node 0 only
    assert rows["refined_balance"] == 2  # (M, m) at both nodes


def test_every_constraint_block_carries_its_section_and_formula(tmp_path: Path) -> None:
    """Each constraint block's doc (its function's docstring, the Pyomo component's
    ``doc``) starts with its MODEL.md section and holds its formula."""
    program = build(derive(_two_regions(tmp_path, risk_weight=0.5)))
    assert len(program.constraints) == 9  # every block of the case above, and CVaR's
    for block in program.constraints:
        assert re.match(r"§\d+(\.\d+)? \w", block.doc), block.name
        assert ".. math::" in block.doc, block.name
