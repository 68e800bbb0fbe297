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


MODEL_MD = WORKBOOK_MD.parent / "model.md"


def _user_texts() -> str:
    """Every text a planner reads that the contracts declare: input columns and settings
    (the template, read_me, docs/workbook.md) and the results workbook's sheets, figures
    and charts (its read_me)."""
    from optimizer.results.contract import CHART_KINDS, FIGURES, RESULT_SHEETS

    return "\n".join([markdown(), repr(RESULT_SHEETS), repr(FIGURES), repr(CHART_KINDS)])


def test_user_texts_cite_the_shipped_docs_not_the_internal_specification() -> None:
    texts = _user_texts()
    assert "MODEL.md" not in texts
    assert "docs/model.md §12" in texts


def test_every_section_the_results_and_messages_cite_is_in_docs_model() -> None:
    """The sensitivity sheet and the infeasibility messages name each constraint by its
    section (``§6.1 capacity``); docs/model.md explains every one of them."""
    from optimizer.model import descriptors

    described = descriptors()
    sections = {d.section for group in (described.rows, described.columns,
                                        described.limits) for d in group.values()}
    text = MODEL_MD.read_text(encoding="utf-8")
    cited = {part for section in sections for part in section.split(", ")}
    for part in sorted(cited):
        number, _, name = part.partition(" ")
        assert f"## {number} " in text or f"**{number} " in text, part
        assert name.casefold() in text.casefold(), part
