"""data/example.xlsx: built by data/build_example.py, committed up to date, complete, valid."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from optimizer.cli import EXIT_OK, main
from optimizer.workbook.contract import SHEETS, Sheet
from optimizer.workbook.validation import load
from tests.committed import DATA, assert_same_content, builder, cells

EXAMPLE = DATA / "example.xlsx"
REBUILD = "python data/build_example.py"


def _builder() -> ModuleType:
    return builder("build_example")



@pytest.fixture(scope="module")
def committed() -> Workbook:
    return openpyxl.load_workbook(EXAMPLE)


def test_committed_example_matches_the_builder(tmp_path: Path, committed: Workbook) -> None:
    assert_same_content(committed, _builder().build(tmp_path / "example.xlsx"), REBUILD)


def test_example_validates_without_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    _, warnings = load(EXAMPLE)
    assert warnings == []
    assert main(["validate", str(EXAMPLE)]) == EXIT_OK
    assert "warning" not in capsys.readouterr().err


def _given(committed: Workbook) -> list[Sheet]:
    """The contract sheets the example gives: every required one, and the optional ones
    its builder writes (a sheet added to the contract later is not among them)."""
    return [s for s in SHEETS if s.required or s.name in committed.sheetnames]


def test_every_sheet_given_is_complete_and_filled(committed: Workbook) -> None:
    for sheet in _given(committed):
        assert sheet.name in committed.sheetnames, sheet.name
        rows = cells(committed, sheet.name)
        assert rows[0] == sheet.column_names, sheet.name
        assert any(any(cell is not None for cell in row) for row in rows[1:]), (
            f"{sheet.name} has no records"
        )


def test_every_number_has_a_source(committed: Workbook) -> None:
    """Each number of a contract sheet has a row on the sources sheet naming its origin."""
    sources = cells(committed, "sources")
    assert sources[0] == ("sheet", "key", "column", "value", "unit", "source", "note")
    named = {(row[0], row[2], row[3]) for row in sources[1:]}
    assert all(row[5] for row in sources[1:]), "a sources row without a source"
    for sheet in _given(committed):
        rows = cells(committed, sheet.name)
        for row in rows[1:]:
            for column, value in zip(rows[0], row, strict=True):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    assert (sheet.name, column, value) in named, (sheet.name, column, value)


def test_example_is_the_case_the_readme_promises() -> None:
    data, _ = load(EXAMPLE)
    assert [p.period for p in data.periods] == ["2026", "2027", "2028", "2029"]
    assert {m.mineral for m in data.minerals} == {"ndpr", "gallium", "cobalt"}
    assert data.settings.stockpile_budget == 11.67e9
    floors = {p.floor_price_per_t for p in data.prices if p.mineral == "ndpr"}
    assert floors == {110_000.0}
    assert any(s.release_needs_disruption for s in data.stockpiles)
    assert len(data.scenarios) == 3
    assert sum(s.probability for s in data.scenarios) == pytest.approx(1.0)
    starts = {d.start_period for d in data.disruptions}
    assert len(starts) > 1, "disruptions should start in different periods"


def test_calm_demand_has_supply_within_reach() -> None:
    """A necessary condition for a calm year without shortfall: each demand can be met
    by refined capacity in its region or in regions with a refined route to it."""
    data, _ = load(EXAMPLE)
    refined_capacity: dict[tuple[str, str], float] = {}
    for facility in data.facilities:
        if facility.stage in ("refine", "recycle"):
            key = (facility.region, facility.mineral)
            refined_capacity[key] = refined_capacity.get(key, 0.0) + facility.capacity_t
    for demand in data.demand:
        suppliers = {demand.region} | {
            route.origin for route in data.routes
            if route.destination == demand.region and route.mineral == demand.mineral
            and route.stage == "refined"
        }
        reach = sum(refined_capacity.get((region, demand.mineral), 0.0) for region in suppliers)
        assert reach >= demand.demand_t, (demand, reach)
