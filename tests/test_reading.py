"""The reading rules of MODEL.md §2: names, keys, wildcards, yes/no, blank rows, and what
is unknown (a warning) or repeated (an error)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from optimizer.data import ModelData
from optimizer.workbook.problems import InputError
from optimizer.workbook.validation import load
from tests.cases import Tables, valid_tables, write_tables

Writer = Callable[..., Path]  # the ``write`` fixture
Validator = Callable[[Path], tuple[int, list[str]]]  # the ``validate_cli`` fixture


def load_valid(path: Path) -> tuple[ModelData, list[str]]:
    """The model data and the warnings, as printed, of a workbook that must be valid."""
    try:
        data, warnings = load(path)
    except InputError as error:
        pytest.fail(f"unexpected errors:\n{error}")
    return data, [str(w) for w in warnings]


def test_sheet_names_match_case_insensitively_ignoring_blanks(
    tables: Tables, write: Writer
) -> None:
    baseline, _ = load_valid(write(tables, name="baseline.xlsx"))
    renamed = {f" {name.upper()} " if i % 2 else name.title(): records
               for i, (name, records) in enumerate(tables.items())}
    assert " REGIONS " in renamed and "Facilities" in renamed
    data, warnings = load_valid(write(renamed))
    assert warnings == []
    assert data == baseline


def test_column_names_match_case_insensitively_ignoring_blanks(
    tables: Tables, write: Writer
) -> None:
    baseline, _ = load_valid(write(tables, name="baseline.xlsx"))
    renamed = {
        sheet: [{f"  {column.upper()} ": value for column, value in record.items()}
                for record in records]
        for sheet, records in tables.items()
    }
    data, warnings = load_valid(write(renamed))
    assert warnings == []
    assert data == baseline


def test_numbers_in_key_and_reference_cells_are_read_as_text(
    tables: Tables, write: Writer
) -> None:
    tables["periods"] = [{"period": 2026.0}, {"period": "2027"}, {"period": 2028}]
    tables["regions"].append({"region": 7, "zone_member": "no"})
    tables["facilities"][0]["region"] = "7"
    tables["minerals"][1]["mineral"] = 1.5
    for sheet in ("facilities", "demand", "prices", "stockpiles"):
        for record in tables[sheet]:
            if record.get("mineral") == "gallium":
                record["mineral"] = "1.5"
    tables["disruptions"][0]["mineral"] = 1.5
    data, _ = load_valid(write(tables))
    assert [p.period for p in data.periods] == ["2026", "2027", "2028"]
    assert data.regions[-1].region == "7"
    assert data.facilities[0].region == "7"
    assert data.facilities[2].online_period == "2027"
    assert data.offtakes[0].start_period == "2026"
    assert data.disruptions[0].start_period == "2027"
    assert data.disruptions[0].mineral == "1.5"
    assert {d.period for d in data.demand} == {"2026", "2027", "2028"}
    assert "1.5" in data.tiers


def test_blank_and_star_are_the_same_in_wildcard_columns(
    tables: Tables, write: Writer
) -> None:
    wildcards = {  # sheet -> columns that are wildcards in the valid case's rows
        "routes": ("mineral", "stage"),
        "demand": ("period",),
        "prices": ("period",),
        "disruptions": ("region", "mineral", "stage", "destination"),
        "shortfall_tiers": ("mineral",),
    }

    def fill(value: Any) -> Tables:
        filled = {sheet: [dict(r) for r in records] for sheet, records in tables.items()}
        for sheet, columns in wildcards.items():
            for record in filled[sheet]:
                for column in columns:
                    if record.get(column) in (None, "*"):
                        record[column] = value
        return filled

    star, _ = load_valid(write(fill("*"), name="star.xlsx"))
    spaced, _ = load_valid(write(fill("  *  "), name="spaced.xlsx"))
    blank, _ = load_valid(write(fill(None), name="blank.xlsx"))
    assert star == blank == spaced
    assert star.disruptions[1].region is None and star.disruptions[1].destination is None
    assert {r.mineral for r in star.routes if r.origin == "CN"} == {"lithium", "gallium"}


def test_blank_and_star_make_a_duplicate_key(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    tables["demand"][0]["period"] = None  # row 2, was "*"
    tables["demand"].append({"region": "US", "mineral": "lithium", "period": "*",
                             "demand_t": 1})
    assert validate_cli(write(tables)) == (2, [
        "demand, row 6, region: duplicate key: row 2 has the same region, mineral and period "
        "(region=US, mineral=lithium, period=*)",
    ])


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("yes", True), ("no", False), ("YES", True), ("No", False), ("true", True),
        ("FALSE", False), ("True", True), ("1", True), ("0", False), (1, True), (0, False),
        (True, True), (False, False), ("  yes ", True),
    ],
    ids=repr,
)
def test_yes_no_spellings(tables: Tables, write: Writer, cell: Any, expected: bool) -> None:
    tables["regions"][2]["zone_member"] = cell  # CN
    tables["stockpiles"][0]["release_needs_disruption"] = cell
    tables["settings"].append({"key": "zone_exclusive", "value": cell})
    data, _ = load_valid(write(tables))
    assert data.regions[2].zone_member is expected
    assert data.stockpiles[0].release_needs_disruption is expected
    assert data.settings.zone_exclusive is expected


def test_enumerations_and_setting_keys_match_case_insensitively(
    tables: Tables, write: Writer
) -> None:
    tables["facilities"][0]["stage"] = "MINE"
    tables["facilities"][1]["stage"] = " Refine "
    tables["routes"][0]["stage"] = "Concentrate"
    tables["disruptions"][0]["kind"] = "EXPORT"
    tables["settings"][1]["key"] = " Discount_Rate "
    data, warnings = load_valid(write(tables))
    assert warnings == []
    assert [f.stage for f in data.facilities[:2]] == ["mine", "refine"]
    assert data.routes[0].stage == "concentrate"
    assert data.disruptions[0].kind == "export"
    assert data.settings.discount_rate == 0.05


def test_keys_are_matched_after_trimming(tables: Tables, write: Writer) -> None:
    tables["regions"][0]["region"] = "  US"
    tables["stockpiles"][0]["region"] = "US  "
    data, _ = load_valid(write(tables))
    assert data.regions[0].region == "US"
    assert data.stockpiles[0].region == "US"


def test_numbers_written_as_text_are_numbers(tables: Tables, write: Writer) -> None:
    tables["facilities"][0]["capacity_t"] = " 90000 "
    tables["minerals"][0]["shortfall_penalty_per_t"] = "5e4"
    data, _ = load_valid(write(tables))
    assert data.facilities[0].capacity_t == 90000.0
    assert data.minerals[0].shortfall_penalty_per_t == 50000.0


def test_wholly_blank_rows_are_skipped_but_counted(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    facilities: list[dict[str, Any] | None] = list(tables["facilities"])
    facilities[2:2] = [None, {"facility": "   ", "region": None}]  # rows 4 and 5
    write_blank = {**tables, "facilities": facilities}
    data, _ = load_valid(write(write_blank, name="blank-rows.xlsx"))
    assert [f.facility for f in data.facilities] == [
        "AU-Li-mine", "CN-Li-ref", "US-Li-ref", "CN-Ga-rec"
    ]
    tables["facilities"][2]["capacity_t"] = -5  # now on Excel row 6
    facilities[4] = tables["facilities"][2]
    assert validate_cli(write(write_blank)) == (
        2, ["facilities, row 6, capacity_t: must be ≥ 0 (-5)"]
    )


def test_blank_rows_before_the_records(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    tables["minerals"][1]["shortfall_penalty_per_t"] = "a lot"
    minerals = [None, None, *tables["minerals"]]
    assert validate_cli(write({**tables, "minerals": minerals})) == (
        2, ["minerals, row 5, shortfall_penalty_per_t: expected a number (a lot)"]
    )


def test_unknown_sheets_columns_and_settings_are_warnings(
    tables: Tables, write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    tables["notes"] = [{"text": "figures from the 2025 survey"}]
    tables["facilities"][0]["comment"] = "checked"
    tables["settings"].append({"key": "solver", "value": "cplex"})
    data, warnings = load_valid(write(tables))
    assert warnings == [
        "settings, row 5, key: unknown setting; ignored (solver)",
        "facilities, row 1, comment: column G is not part of the contract; ignored",
        "notes: sheet is not part of the contract; ignored",
    ]
    assert len(data.facilities) == 4


def test_a_row_with_only_unknown_columns_filled_is_skipped(
    tables: Tables, write: Writer
) -> None:
    tables["regions"].append({"comment": "more regions to come"})
    data, warnings = load_valid(write(tables))
    assert len(data.regions) == 3
    assert warnings == ["regions, row 1, comment: column E is not part of the contract; ignored"]


@pytest.mark.parametrize("title", ["sources", " Sources ", "read_me"])
def test_sources_sheet_is_known_and_not_read(
    tables: Tables, write: Writer, title: str
) -> None:
    tables[title] = [{"figure": "capacity_t of AU-Li-mine", "source": "company report",
                      "region": "nowhere"}]
    _, warnings = load_valid(write(tables))
    assert warnings == []


def test_a_column_appearing_twice_is_an_error(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    columns = list(dict.fromkeys(c for r in tables["facilities"] for c in r))
    assert columns[4] == "capacity_t"
    headers = {"facilities": [*columns, " Capacity_T"]}
    assert validate_cli(write(tables, headers)) == (2, [
        "facilities, row 1, capacity_t: column appears twice (columns E and L)",
    ])


def test_a_sheet_appearing_twice_is_an_error(
    tables: Tables, write: Writer, validate_cli: Validator
) -> None:
    tables[" Regions"] = tables["regions"]
    assert validate_cli(write(tables)) == (2, [
        "regions: sheet appears twice (as 'regions' and ' Regions')",
    ])


def test_the_valid_case_reads_whole(tables: Tables, write: Writer) -> None:
    data, warnings = load_valid(write(tables))
    assert warnings == []
    assert data.summary() == {
        "regions": 3, "zone members": 2, "minerals": 2, "periods": 3, "facilities": 4,
        "routes (by mineral and stage)": 4, "demand entries": 9, "prices": 6,
        "stockpiles": 2, "offtakes": 1, "scenarios": 3, "disruptions": 2,
    }


def test_load_accepts_a_path_given_as_text(tmp_path: Path) -> None:
    path = write_tables(tmp_path / "case.xlsx", valid_tables())
    assert load(str(path)) == load(path)
