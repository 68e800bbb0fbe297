"""docs/workbook.md is generated from the contract and must not go stale."""

from __future__ import annotations

from pathlib import Path

from optimizer.workbook.contract import SETTINGS, SHEETS
from optimizer.workbook.reference import markdown

WORKBOOK_MD = Path(__file__).resolve().parent.parent / "docs" / "workbook.md"
REGENERATE = "python -m optimizer.workbook.reference docs/workbook.md"


def test_workbook_reference_is_up_to_date() -> None:
    committed = WORKBOOK_MD.read_text(encoding="utf-8") if WORKBOOK_MD.exists() else ""
    assert committed == markdown(), (
        f"docs/workbook.md is stale or missing; regenerate it with: {REGENERATE}"
    )


def test_reference_names_every_sheet_column_and_setting() -> None:
    text = markdown()
    for sheet in SHEETS:
        assert f"## `{sheet.name}`" in text
        for column in sheet.columns:
            assert f"| `{column.name}` | {column.meaning.replace('|', chr(92) + '|')} |" in text
    for setting in SETTINGS:
        assert f"| `{setting.key}` |" in text


def test_references_name_the_sheet_they_point_at() -> None:
    text = markdown()
    assert "a facility of the facilities sheet" in text
    assert "facilitie " not in text
