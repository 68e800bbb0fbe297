"""The component registry: descriptors for every block, and the hooks that let a new
instrument join the model without editing the modules already there.

Optima worked out by hand on tiny cases, each with a component defined here and listed
the way docs/design.md ("Adding an instrument") says.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import openpyxl
import pytest

import optimizer.model
from optimizer.data import ModelData
from optimizer.model import Extra, build, components, costs, descriptors
from optimizer.model.component import Columns, Component, Cost
from optimizer.model.derive import derive
from optimizer.model.indices import Indices
from optimizer.model.program import GREATER, LESS, Program, node_keys
from optimizer.model.terms import Terms
from optimizer.pipeline import optimize
from optimizer.results.accounting import Accounts
from optimizer.results.sensitivity import sensitivity
from optimizer.solve.explain import explain_infeasible, not_solved_message
from optimizer.solve.highs import SolverOptions
from optimizer.workbook import contract
from optimizer.workbook.problems import InputError
from optimizer.workbook.template import write_workbook
from optimizer.workbook.validation import load
from tests.committed import DATA, assert_same_content, builder
from tests.solved import complete_tables
from tests.test_certified import every_certified_block
from tests.test_structure import _two_regions
from tests.workbooks import case, demand, facility, solved, yield_of


def test_every_declared_block_is_described(tmp_path: Path) -> None:
    """Each block the model declares (CVaR's too) has a descriptor with a MODEL.md
    section, and every descriptor names a block the model can declare."""
    programs = [build(derive(_two_regions(tmp_path, risk_weight=0.5))),
                build(derive(every_certified_block(tmp_path)))]  # §12's blocks
    described = descriptors()
    constraints = [b for program in programs for b in program.constraints]
    variables = [b for program in programs for b in program.variables]
    for block in constraints:
        assert described.rows[block.name].section.startswith("§"), block.name
    for columns in variables:
        assert described.columns[columns.name].section.startswith("§"), columns.name
    assert set(described.rows) == {b.name for b in constraints}
    assert set(described.columns) == {b.name for b in variables}


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


# ---------------------------------------------------------------- a new instrument

# A recycling mandate, as an instrument's module would be written (docs/design.md,
# "Adding an instrument"): its contract entry, its build step and its descriptor. The
# test writes it to a temporary folder and lists it at run time, as the checklist's
# two one-line edits would; nothing else in the package knows it.
MANDATE = '''
"""A recycling mandate (a toy instrument): a region's recyclers of a mineral make at least
min_share of its demand at every node; a tonne short of it costs penalty_per_t (blank:
no gap allowed)."""

from __future__ import annotations

import numpy as np

from optimizer.workbook.contract import NON_NEGATIVE, UNIT_INTERVAL, Column, Kind, Sheet
from optimizer.model.component import Binding, Columns, Component, Context, Cost, Limit, Rows
from optimizer.model.component import Finding, Reported, Sheets, amount, number
from optimizer.model.derive import Derived
from optimizer.model.indices import Indices
from optimizer.model.program import GREATER, Program
from optimizer.model.terms import Terms

SHEET = Sheet("recycling_mandates", "Shares of demand that recyclers must make.", (
    Column("region", Kind.KEY, "Region bound.", key=True, required=True, references="regions"),
    Column("mineral", Kind.KEY, "Mineral.", key=True, required=True, references="minerals"),
    Column("min_share", Kind.NUMBER, "Least share of demand made by recyclers.",
           required=True, bound=UNIT_INTERVAL),
    Column("penalty_per_t", Kind.NUMBER, "Cost of a tonne short of the mandate.", unit="USD/t",
           blank_means="no gap allowed", bound=NON_NEGATIVE),
))


def define(program: Program, ix: Indices, terms: Terms) -> None:
    """Declare ``mandate_gap`` and the mandate rows; register the gap's penalty."""
    mandates, capacity = ix.derived.data.records(SHEET.name), terms.capacity
    assert capacity is not None, "supply registers the facilities' capacity first"
    keys = [(m.region, m.mineral, n) for m in mandates for n in ix.node_ids]
    allowed = [np.inf if m.penalty_per_t is not None else 0.0 for m in mandates]
    gap = program.add_variables("mandate_gap", keys, 0.0, np.repeat(allowed, ix.nodes),
                                "tonnes short of the mandate (§13)")
    rows, columns = [], []
    for i, m in enumerate(mandates):
        recyclers = [capacity.facility[f.facility] for f in ix.derived.data.facilities
                     if (f.stage, f.region, f.mineral) == ("recycle", m.region, m.mineral)]
        for n in ix.node_ids:
            made = capacity.output[recyclers, n].tolist() + [gap[i * ix.nodes + n]]
            rows += [i * ix.nodes + n] * len(made)
            columns += made
    rhs = [m.min_share * ix.derived.demand_t.get((m.region, m.mineral, n), 0.0)
           for m in mandates for n in ix.node_ids]
    program.add_constraints("recycling_mandate", keys, GREATER, np.array(rhs), np.array(rows),
                            np.array(columns), 1.0, _recycling_mandate.__doc__)
    penalty = [m.penalty_per_t or 0.0 for m in mandates]
    terms.cost("mandate_penalty", np.tile(ix.node, len(mandates)), gap,
               np.repeat(penalty, ix.nodes))


def _recycling_mandate() -> None:
    r"""§13 Recycling mandate: recycler output + gap ≥ min_share × demand × y.

    .. math:: \\sum_{f \\in rec(r, m)} x^{out}_{f,n} + g_{r,m,n} \\ge s_{r,m} D_{r,m,n}
    """


def _row(ctx: Context, key: tuple[str, str, int]) -> str:
    return f"recyclers in {key[0]} must make their share of {key[1]} in {ctx.when(key[2])}"


def _gap(ctx: Context, key: tuple[str, str, int], limit: float, bound: str) -> str:
    return f"the mandate on {key[1]} in {key[0]} allows a gap of {amount(limit)} t " \\
           f"(no penalty_per_t) in {ctx.when(key[2])}"


def _limit(ctx: Context, limit: Binding) -> str:
    return f"recycled {limit.key[1]} in {limit.key[0]} ≥ its mandated share of demand " \\
           f"in {ctx.when(limit.key[2])}"


def _headlines(derived: Derived, sheets: Sheets) -> list[Finding]:
    """Per mandate, what its recyclers make of what it asks for, over all periods and
    scenarios (read from the production and shortfalls sheets)."""
    made, short = sheets["production"], sheets["shortfalls"]
    found = []
    for m in derived.data.records(SHEET.name):
        recycled = made[(made["region"] == m.region) & (made["mineral"] == m.mineral)
                        & (made["stage"] == "recycle")]["output_t"].sum()
        asked = m.min_share * short[(short["region"] == m.region)
                                    & (short["mineral"] == m.mineral)]["demand_t"].sum()
        found.append(Finding(f"Recyclers in {m.region} make {number(recycled)} t of the "
                             f"{number(asked)} t of {m.mineral} the mandate asks for.",
                             float(recycled), "t", "production"))
    return found


COMPONENT = Component(
    "recycling_mandate", define,
    rows=(Rows("recycling_mandate", "§13 recycling mandate", _row,
               Limit("recycling_mandate", "§13 recycling mandate", _limit)),),
    columns=(Columns("mandate_gap", "§13 recycling mandate", _gap),),
    costs=(Cost("mandate_penalty", "penalty_per_t × tonnes short of a recycling mandate"),),
    reported=Reported(headlines=_headlines),
)
'''


@pytest.fixture
def mandate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The toy instrument's module, imported from a temporary folder, with its sheet in
    the contract and its component in the model's list (the checklist's steps 1 and 3,
    done at run time)."""
    path = tmp_path / "recycling_mandate.py"
    path.write_text(MANDATE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("recycling_mandate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(contract, "SHEETS", (*contract.SHEETS, module.SHEET))
    monkeypatch.setattr(contract, "SHEETS_BY_NAME",
                        {**contract.SHEETS_BY_NAME, module.SHEET.name: module.SHEET})
    monkeypatch.setattr(optimizer.model, "COMPONENTS",
                        (*optimizer.model.COMPONENTS, module.COMPONENT))
    return module


def _mine_refine_recycle(folder: Path, name: str = "case.xlsx", recycler_t: float = 20,
                         **sheets: Any) -> ModelData:
    """Member M needs 10 t of refined m in one year. Its mine (0/t) feeds its refinery
    (1/t, yield 1); its recycler makes m at 5/t. A tonne short costs 1000."""
    return case(
        folder, name=name, minerals={"m": 1000},
        facilities=[facility("mine", "M", 100, 0, stage="mine"),
                    facility("ref", "M", 20, 1, stage="refine", **yield_of(1)),
                    facility("rec", "M", recycler_t, 5)],
        demand=[demand("M", 10)], **sheets,
    )


def test_a_toy_instrument_moves_the_optimum_by_hand(
    tmp_path: Path, mandate: ModuleType
) -> None:
    """By hand: without a mandate the refinery makes all 10 t (10). With a mandate of
    40% (4 t) at a penalty of 3/t, recycling a tonne costs 5 − 1 = 4 more than refining
    it while the gap costs 3, so all 4 t are left as a gap: 10 + 12 = 22, the penalty a
    cost component of its own in the accounting. The mandate row binds at a dual of 3
    per tonne of its right-hand side (4 t), which the sensitivity sheet shows in the
    mandate's own words and section."""
    plain = _mine_refine_recycle(tmp_path, "plain.xlsx")
    assert plain.records("recycling_mandates") == ()  # an absent optional sheet is empty
    assert solved(plain).solution.objective == pytest.approx(10)

    data = _mine_refine_recycle(tmp_path, recycling_mandates=[
        {"region": "M", "mineral": "m", "min_share": 0.4, "penalty_per_t": 3}])
    assert [r.min_share for r in data.records("recycling_mandates")] == [0.4]
    outcome = optimize(data, SolverOptions(ranging=True))
    assert outcome.solution.objective == pytest.approx(22)
    assert outcome.values("mandate_gap") == {("M", "m", 0): pytest.approx(4)}
    assert outcome.values("output")[("ref", 0)] == pytest.approx(10)
    assert outcome.solution.values is not None
    accounts = Accounts(outcome.derived, outcome.lp, outcome.solution.values)
    assert accounts.expected_costs["mandate_penalty"] == pytest.approx(12)
    assert accounts.expected_costs["production_cost"] == pytest.approx(10)
    assert accounts.scenario_costs.loc["base", "total_cost"] == pytest.approx(22)

    rows = sensitivity(outcome).to_dict("records")
    limit = next(r for r in rows if r["constraint"] == "§13 recycling mandate")
    assert limit["what"] == ("recycled m in M ≥ its mandated share of demand in period p1, "
                             "all scenarios")
    assert (limit["dual"], limit["rhs"], limit["unit"]) == (pytest.approx(3),
                                                            pytest.approx(4), "t")
    # its headline, through its descriptor: read right after the largest shortfall's
    headlines = complete_tables(outcome)["headlines"]
    found = headlines[headlines["headline"].str.contains("the mandate asks for")]
    assert found["headline"].tolist() == [
        "Recyclers in M make 0 t of the 4.00 t of m the mandate asks for."]
    assert (found["figure"].tolist(), found["sheet"].tolist()) == ([0.0], ["production"])
    before = headlines["headline"].iloc[int(found.index[0]) - 1]
    assert before.startswith("No demand goes unmet")


def test_a_hard_toy_mandate_and_its_infeasibility_in_its_own_words(
    tmp_path: Path, mandate: ModuleType
) -> None:
    """Without a penalty no gap is allowed: the recycler makes 4 t and the refinery 6,
    6 + 20 = 26 (16 more than without). With only 2 t of recycling capacity the mandate
    cannot hold, and the explanation names its row and its gap in the mandate's words,
    beside the recycler's capacity in supply's."""
    hard = [{"region": "M", "mineral": "m", "min_share": 0.4}]
    outcome = solved(_mine_refine_recycle(tmp_path, recycling_mandates=hard))
    assert outcome.solution.objective == pytest.approx(26)
    assert outcome.values("output")[("rec", 0)] == pytest.approx(4)

    short = optimize(_mine_refine_recycle(tmp_path, "short.xlsx", recycler_t=2,
                                          recycling_mandates=hard), SolverOptions())
    assert short.solution.status == "infeasible"
    lines = explain_infeasible(short.derived, short.lp, short.solution)
    assert sorted(lines) == sorted([
        "recyclers in M must make their share of m in period p1 (all scenarios) "
        "[§13 recycling mandate]",
        "output of rec is capped at 2 t by its capacity in period p1 (all scenarios) "
        "[§6.1 capacity]",
        "the mandate on m in M allows a gap of 0 t (no penalty_per_t) in period p1 (all "
        "scenarios) [§13 recycling mandate]",
    ])


def test_the_toy_sheet_is_checked_templated_and_rebuilds_no_committed_workbook(
    tmp_path: Path, mandate: ModuleType
) -> None:
    """With the toy's sheet in the contract: a bad reference on it is reported like any
    other; the template carries it; the committed workbooks, which do not give it, are
    still exactly what their builders write and read with no mandate."""
    data = _mine_refine_recycle(tmp_path, "good.xlsx")
    assert data.records("recycling_mandates") == ()
    bad = {"region": "FR", "mineral": "m", "min_share": 0.4}
    with pytest.raises(InputError) as raised:
        _mine_refine_recycle(tmp_path, "bad.xlsx", recycling_mandates=[bad])
    assert [str(e) for e in raised.value.errors] == [
        "recycling_mandates, row 2, region: no region of that name on the regions sheet (FR)"]

    template = tmp_path / "template.xlsx"
    write_workbook(template)
    assert "recycling_mandates" in openpyxl.load_workbook(template).sheetnames

    for name in ("example", "base_case"):
        committed = openpyxl.load_workbook(DATA / f"{name}.xlsx")
        built = builder(f"build_{name}").build(tmp_path / f"{name}.xlsx")
        assert_same_content(committed, built, f"python data/build_{name}.py")
        assert load(DATA / f"{name}.xlsx")[0].records("recycling_mandates") == ()
