"""The component registry: descriptors for every block, and the hooks that let a new
instrument join the model without editing the modules already there.

Optima worked out by hand on tiny cases, each with a component defined here and listed
the way docs/design.md ("Adding an instrument") says.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import optimizer.model
from optimizer.data import ModelData
from optimizer.derive import derive
from optimizer.explain import not_solved_message
from optimizer.model import Extra, build, components, costs, descriptors
from optimizer.model.component import Columns, Component, Cost
from optimizer.model.indices import Indices
from optimizer.model.program import GREATER, LESS, Program, node_keys
from optimizer.model.terms import Terms
from optimizer.pipeline import optimize
from optimizer.results.accounting import Accounts
from optimizer.solve import SolverOptions
from tests.test_structure import _two_regions
from tests.workbooks import case, demand, facility, solved


def test_every_declared_block_is_described(tmp_path: Path) -> None:
    """Each block the model declares (CVaR's too) has a descriptor with a MODEL.md
    section, and every descriptor names a block the model can declare."""
    program = build(derive(_two_regions(tmp_path, risk_weight=0.5)))
    described = descriptors()
    for block in program.constraints:
        assert described.rows[block.name].section.startswith("§"), block.name
    for variables in program.variables:
        assert described.columns[variables.name].section.startswith("§"), variables.name
    assert set(described.rows) == {b.name for b in program.constraints}
    assert set(described.columns) == {b.name for b in program.variables}


def test_cost_components_are_declared_once_in_the_results_order() -> None:
    """Operating costs in component order, then the first-stage capex: the order the
    summary, the scenarios sheet and the charts have always shown."""
    assert [c.name for c in costs()] == [
        "production_cost", "contract_cost", "transport_cost", "border_adjustment",
        "holding_cost", "shortfall_penalty", "capex"]
    assert [c.name for c in costs() if c.first_stage] == ["capex"]


def test_a_cost_component_declared_twice_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    twice = Component("twice", lambda program, ix, terms: None,
                      costs=(Cost("capex", "again"),))
    monkeypatch.setattr(optimizer.model, "COMPONENTS", (*optimizer.model.COMPONENTS, twice))
    with pytest.raises(ValueError, match="capex"):
        costs()


# ---------------------------------------------------------------- the stock-flow hook


def _lend(program: Program, ix: Indices, terms: Terms) -> None:
    """A reserve swap, in a few lines: each stockpile may lend up to 6 t a node to its
    region's refined pool, for a fee of 5/t; what it lends leaves its stock (§6.6)."""
    stocks = terms.stocks
    assert stocks is not None
    names = list(stocks.stockpile)
    lend = program.add_variables("lend", node_keys(names, ix.node_ids), 0.0, 6.0,
                                 "stock lent to industry, t").reshape(stocks.level.shape)
    grid = np.indices(lend.shape)
    stockpile, node = grid[0], grid[1]
    terms.stock_flow(stockpile, node, lend, -1.0)
    balance = ix.balance_code(stocks.region[:, None], stocks.mineral[:, None], ix.node)
    terms.supply("refined", balance, lend, 1.0)
    terms.cost("swap_fee", node, lend, np.full(lend.shape, 5.0))


SWAP = Component("swap", _lend, columns=(Columns("lend", "§swap"),),
                 costs=(Cost("swap_fee", "fee × stock lent"),))


def _vault_case(folder: Path) -> ModelData:
    """M needs 8 t of m in one year; its only recycler has no capacity and a tonne short
    costs 1000. The vault holds 10 t and may end empty, but may not release
    (max_release_t 0)."""
    return case(
        folder, minerals={"m": 1000},
        facilities=[facility("f", "M", 0)],
        demand=[demand("M", 8)],
        stockpiles=[{"stockpile": "vault", "region": "M", "mineral": "m", "capacity_t": 10,
                     "initial_t": 10, "terminal_min_t": 0, "max_release_t": 0}],
    )


def test_a_swap_adds_to_the_stock_balance_without_editing_stockpiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By hand: without the swap all 8 t go short (8000). Listed after stockpiles, the
    swap lends its 6 t (5 each, against 1000 short) and 2 t go short: 30 + 2000 = 2030;
    the vault ends at 10 − 6 = 4 t, as the stock balance with the loan says, and the
    fee is a cost component of its own in the accounting."""
    data = _vault_case(tmp_path)
    assert solved(data).solution.objective == pytest.approx(8000)
    listed = optimizer.model.COMPONENTS
    at = listed.index(optimizer.model.stockpiles.COMPONENT) + 1
    monkeypatch.setattr(optimizer.model, "COMPONENTS", (*listed[:at], SWAP, *listed[at:]))
    outcome = solved(data)
    assert outcome.solution.objective == pytest.approx(2030)
    assert outcome.values("lend") == {("vault", 0): pytest.approx(6)}
    assert outcome.values("level") == {("vault", 0): pytest.approx(4)}
    assert outcome.solution.values is not None
    accounts = Accounts(outcome.derived, outcome.lp, outcome.solution.values)
    assert accounts.expected_costs["swap_fee"] == pytest.approx(30)
    assert accounts.expected_costs["shortfall_penalty"] == pytest.approx(2000)
    assert components()[at] is SWAP


# ---------------------------------------------------------------- the user's constraints


def _two_recyclers(folder: Path) -> ModelData:
    """M needs 10 t of m in one year from its recyclers fA (10 t/yr at 1/t) and fB
    (10 t/yr at 4/t)."""
    return case(folder, facilities=[facility("fA", "M", 10, 1), facility("fB", "M", 10, 4)],
                demand=[demand("M", 10)])


def _at_most(tonnes: float, sense: int = LESS) -> Extra:
    """A user's constraint: fA's output at every node ≤ (or ≥) ``tonnes``, read through
    supply's capacity hook."""
    def constraint(program: Program, ix: Indices, terms: Terms) -> None:
        assert terms.capacity is not None
        output = terms.capacity.output[terms.capacity.facility["fA"]]
        program.add_constraints("fA_limit", list(ix.node_ids), sense, tonnes,
                                np.arange(ix.nodes), output, 1.0, "fA's output, t")
    return constraint


def test_extra_constraints_join_the_model(tmp_path: Path) -> None:
    """By hand: fA makes all 10 t (10); held to 3 t by the user's row, fB makes 7 more
    at 4: 3 + 28 = 31. The row is declared after the components and before the
    balances, and the row's dual is fB's cost less fA's (−3 per t of room)."""
    data = _two_recyclers(tmp_path)
    assert solved(data).solution.objective == pytest.approx(10)
    outcome = optimize(data, SolverOptions(), extra=[_at_most(3)])
    assert outcome.solution.objective == pytest.approx(31)
    assert outcome.values("output") == {("fA", 0): pytest.approx(3),
                                        ("fB", 0): pytest.approx(7)}
    assert outcome.duals("fA_limit") == {0: pytest.approx(-3)}
    names = [b.name for b in outcome.lp.layout.rows]
    assert names.index("fA_limit") < names.index("refined_balance")


def test_an_infeasible_extra_constraint_is_named_by_its_block(tmp_path: Path) -> None:
    """fA must make 12 t but has 10: the subset names the user's row by block and key,
    and fA's capacity bound in supply's words."""
    outcome = optimize(_two_recyclers(tmp_path), SolverOptions(),
                       extra=[_at_most(12, GREATER)])
    assert outcome.solution.status == "infeasible"
    message = not_solved_message(outcome.derived, outcome.lp, outcome.solution)
    assert "  - fA_limit[0] [fA_limit]" in message
    assert ("  - output of fA is capped at 10 t by its capacity in period p1 (all "
            "scenarios) [§6.1 capacity]") in message
