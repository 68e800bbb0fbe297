"""``optimizer template``: every sheet and column of the contract, with drop-downs and notes,
and a template filled in by hand reads back as the same model data."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from optimizer.workbook.contract import (
    SETTINGS,
    SHEETS,
    SHEETS_BY_NAME,
    WILDCARD,
    Column,
    Kind,
    Sheet,
)
from optimizer.workbook.problems import InputError
from optimizer.workbook.template import write_workbook
from optimizer.workbook.validation import load
from tests.cases import valid_tables, write_tables


@pytest.fixture
def template_path(tmp_path: Path) -> Path:
    path = tmp_path / "template.xlsx"
    assert main(["template", str(path)]) == EXIT_OK
    return path


@pytest.fixture
def template(template_path: Path) -> Workbook:
    return openpyxl.load_workbook(template_path)


def _header(worksheet: Worksheet) -> list[object]:
    return [cell.value for cell in worksheet[1]]


def _validation_of(worksheet: Worksheet, column: int) -> DataValidation | None:
    """The data validation that covers the whole column below the header, if any."""
    letter = get_column_letter(column)
    for validation in worksheet.data_validations.dataValidation:
        if f"{letter}2" in validation.sqref and f"{letter}100000" in validation.sqref:
            return validation
    return None


def _list_choices(validation: DataValidation) -> list[str]:
    formula = str(validation.formula1)
    assert formula.startswith('"') and formula.endswith('"'), formula
    return formula[1:-1].split(",")


def _needs_list(column: Column) -> bool:
    return column.kind in (Kind.ENUM, Kind.YESNO) or column.references is not None


def test_every_contract_sheet_and_column_in_contract_order(template: Workbook) -> None:
    contract_sheets = [name for name in template.sheetnames if name in SHEETS_BY_NAME]
    assert contract_sheets == [sheet.name for sheet in SHEETS]
    for sheet in SHEETS:
        # the settings sheet's notes (unit, meaning, ...) follow, for reading only
        assert _header(template[sheet.name]) == [*sheet.column_names, *sheet.notes], sheet.name


def test_header_row_is_frozen_and_styled(template: Workbook) -> None:
    for sheet in SHEETS:
        worksheet = template[sheet.name]
        assert worksheet.freeze_panes == "A2", sheet.name
        for cell in worksheet[1]:
            assert cell.font.b, f"{sheet.name}!{cell.coordinate} is not bold"
            assert cell.fill.fill_type == "solid", f"{sheet.name}!{cell.coordinate} has no fill"


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_drop_down_on_every_choice_and_reference_column(template: Workbook, sheet: Sheet) -> None:
    worksheet = template[sheet.name]
    for index, column in enumerate(sheet.columns, start=1):
        validation = _validation_of(worksheet, index)
        where = f"{sheet.name}.{column.name}"
        if not _needs_list(column):
            continue
        assert validation is not None, f"{where} has no drop-down"
        assert validation.type == "list", where
        if column.kind is Kind.ENUM:
            expected = list(column.choices) + ([WILDCARD] if column.wildcard else [])
            assert _list_choices(validation) == expected, where
        elif column.kind is Kind.YESNO:
            assert _list_choices(validation) == ["yes", "no"], where
        elif not column.wildcard:
            assert column.references is not None
            target = SHEETS_BY_NAME[column.references]
            letter = get_column_letter(target.column_names.index(target.keys[0].name) + 1)
            assert validation.formula1 == f"{target.name}!${letter}$2:${letter}$1048576", where


# The hidden lists sheet's column for each sheet a wildcard column refers to, and the
# drop-down that offers * and that sheet's names (every key is in column A).
_WILDCARD_LISTS = {"regions": "A", "minerals": "B", "periods": "C"}


@pytest.mark.parametrize("sheet", [s for s in SHEETS if any(
    c.wildcard and c.references for c in s.columns)], ids=lambda s: s.name)
def test_a_wildcard_reference_column_offers_star_and_the_names(
    template: Workbook, sheet: Sheet
) -> None:
    for index, column in enumerate(sheet.columns, start=1):
        if not (column.wildcard and column.references):
            continue
        validation = _validation_of(template[sheet.name], index)
        assert validation is not None
        mirror = _WILDCARD_LISTS[column.references]
        assert validation.formula1 == (
            f"OFFSET(lists!${mirror}$1,0,0,MAX(1,COUNTA({column.references}!$A:$A)),1)"
        ), f"{sheet.name}.{column.name}"


def test_the_lists_sheet_is_hidden_and_mirrors_star_then_each_name(template: Workbook) -> None:
    lists = template["lists"]
    assert lists.sheet_state == "hidden"
    assert [lists.cell(1, c).value for c in (1, 2, 3)] == [WILDCARD] * 3
    assert lists["A2"].value == '=IF(regions!$A$2="","",regions!$A$2)'
    assert lists["C1001"].value == '=IF(periods!$A$1001="","",periods!$A$1001)'
    assert lists.max_row == 1001 and lists.max_column == 3


def test_settings_keys_have_a_drop_down_and_are_prefilled(template: Workbook) -> None:
    worksheet = template["settings"]
    validation = _validation_of(worksheet, 1)
    assert validation is not None
    assert _list_choices(validation) == [setting.key for setting in SETTINGS]
    rows = list(worksheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [setting.key for setting in SETTINGS]
    assert all(row[1] is None for row in rows), "blank values mean the defaults"


def test_settings_rows_explain_each_key_where_it_is_typed(template: Workbook) -> None:
    """Each key with its unit, meaning, default and typical range beside the value: the
    unit of stockpile_budget is what a planner typing it in millions needed to see."""
    rows = {row[0]: row for row in template["settings"].iter_rows(min_row=2, values_only=True)}
    for setting in SETTINGS:
        _, value, unit, meaning, default, _ = rows[setting.key]
        assert (value, unit or "", meaning, default or "") == (
            None, setting.unit, setting.meaning, setting.default_text()), setting.key
    assert rows["stockpile_budget"][2:] == (
        "USD", "Total stockpile purchasing money over the horizon, in every scenario.",
        "unlimited", "0 or ≥ 1000000")
    assert rows["discount_rate"][5] == "in [0, 0.3]"
    assert rows["risk_weight"][5] is None  # its typical range is its allowed interval
    read_me = {(row[0], row[1]): row for row in template["read_me"].iter_rows(values_only=True)}
    assert read_me["settings", "discount_rate"][2:7] == (
        "Annual discount rate.", "1/yr", "number > -1", "in [0, 0.3]", "0")


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_header_comment_explains_the_column(template: Workbook, sheet: Sheet) -> None:
    worksheet = template[sheet.name]
    for index, column in enumerate(sheet.columns, start=1):
        comment = worksheet.cell(row=1, column=index).comment
        where = f"{sheet.name}.{column.name}"
        assert comment is not None, f"{where} has no comment"
        assert column.meaning in comment.text, where
        if column.unit:
            assert f"Unit: {column.unit}" in comment.text, where
        if column.default_text():
            assert f"Blank means: {column.default_text()}" in comment.text, where


def test_read_me_lists_every_column(template: Workbook) -> None:
    listed = {
        (row[0], row[1])
        for row in template["read_me"].iter_rows(values_only=True)
        if len(row) >= 2
    }
    for sheet in SHEETS:
        for column in sheet.columns:
            assert (sheet.name, column.name) in listed, f"{sheet.name}.{column.name}"


def test_empty_template_is_told_in_one_sentence(
    template_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["validate", str(template_path)]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.splitlines() == [
        f"{template_path}: is an input template with nothing filled in yet; fill in at "
        "least regions, minerals, periods, facilities and demand (read_me explains every "
        "column)."
    ]


def test_a_template_with_one_setting_given_is_read_as_an_input(
    template_path: Path
) -> None:
    """Anything typed makes it an input: its problems are told one by one."""
    book = openpyxl.load_workbook(template_path)
    book["settings"]["B3"] = 0.05  # discount_rate, the second key
    book.save(template_path)
    with pytest.raises(InputError) as raised:
        load(template_path)
    assert [(p.sheet, p.row, p.column) for p in raised.value.errors] == [
        (sheet.name, None, None) for sheet in SHEETS if sheet.non_empty
    ]


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "mine.xlsx"
    path.write_bytes(b"a planner's precious work")
    assert main(["template", str(path)]) == EXIT_BAD_INPUT
    assert path.read_bytes() == b"a planner's precious work"
    assert main(["template", str(path), "--force"]) == EXIT_OK
    assert openpyxl.load_workbook(path).sheetnames[1:] == [sheet.name for sheet in SHEETS
                                                           ] + ["lists"]


def test_refuses_a_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "no such folder" / "template.xlsx"
    assert main(["template", str(path)]) == EXIT_BAD_INPUT
    assert not path.exists()


def test_filled_template_reads_as_the_plain_workbook(template_path: Path, tmp_path: Path) -> None:
    tables = valid_tables()
    workbook = openpyxl.load_workbook(template_path)
    settings = workbook["settings"]
    key_rows = {settings.cell(row=r, column=1).value: r for r in range(2, settings.max_row + 1)}
    for record in tables["settings"]:
        settings.cell(row=key_rows[record["key"]], column=2, value=record["value"])
    for name, records in tables.items():
        if name == "settings":
            continue
        worksheet = workbook[name]
        header = _header(worksheet)
        for record in records:
            assert set(record) <= set(header), name
            worksheet.append([record.get(str(column)) for column in header])
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)

    data, warnings = load(filled)
    expected, _ = load(write_tables(tmp_path / "plain.xlsx", tables))
    assert warnings == []
    assert data == expected


def test_write_workbook_with_tables_reads_back(tmp_path: Path) -> None:
    tables = valid_tables()
    path = tmp_path / "written.xlsx"
    write_workbook(path, {**tables, "sources": [{"sheet": "regions", "source": "a note"}]})
    data, warnings = load(path)
    expected, _ = load(write_tables(tmp_path / "plain.xlsx", tables))
    assert warnings == []
    assert data == expected
    assert _header(openpyxl.load_workbook(path)["sources"]) == ["sheet", "source"]


def test_write_workbook_refuses_unknown_columns(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["regions"][0]["zone_membr"] = "yes"
    with pytest.raises(ValueError, match="zone_membr"):
        write_workbook(tmp_path / "typo.xlsx", tables)
