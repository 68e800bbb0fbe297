"""The input template (``optimizer template``), also used to write filled workbooks.

Every sheet and column of the contract in contract order, header row styled and
frozen, a drop-down list on every enumerated, yes/no and reference column (with ``*``
first where the column takes the wildcard), each header cell carrying a comment with
the column's meaning, unit and default, and a ``read_me`` sheet explaining the workbook.

A drop-down is either a fixed list or one range of cells, so the names a wildcard
reference column offers (``*``, then every region, say) are mirrored on the hidden
``lists`` sheet: ``*`` in its first row, then formulas repeating the first
:data:`MIRRORED_ROWS` names of the sheet referred to. The reader ignores that sheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.workbook import contract
from optimizer.workbook.contract import LISTS_SHEET, SETTINGS, WILDCARD, Column, Kind, Sheet
from optimizer.workbook.reference import (
    SettingDoc,
    allowed,
    column_docs,
    header_comment,
    setting_docs,
)

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
NOTE_FILL = PatternFill("solid", fgColor="7F7F7F")  # columns for reading, never read
LAST_ROW = 1_048_576  # Excel's last row: drop-downs cover the whole column
MIRRORED_ROWS = 1000  # names of a referred sheet a wildcard column's drop-down offers

Rows = Sequence[Mapping[str, object]]


def write_workbook(path: Path, tables: Mapping[str, Rows] | None = None) -> None:
    """Write the template to ``path``, filled with ``tables`` (sheet -> records) if given.

    Without ``tables`` every contract sheet is written, and the ``settings`` sheet
    lists every key with a blank value (blank means the default), and beside it the
    key's unit, meaning, default and typical range (its notes columns, which reading
    ignores). With ``tables``,
    the contract sheets given and the required ones are written, in contract order,
    and ``read_me`` lists their columns: an optional sheet not given is left out (it
    reads as empty), so a sheet added to the contract later changes no workbook
    written before. Sheets of ``tables`` not in the contract (such as ``sources``)
    are written after the contract sheets, as given. A record of a contract sheet
    with a column the contract does not know raises ``ValueError`` rather than
    losing the value silently.
    """
    known = contract.SHEETS_BY_NAME
    for name, given in (tables or {}).items():
        if name in known:
            _check_columns(known[name], given)
    sheets = [s for s in contract.SHEETS
              if tables is None or s.name in tables or s.required]
    workbook = Workbook()
    readme = workbook.active
    assert readme is not None
    readme.title = "read_me"
    _write_readme(readme, sheets)
    mirrored = _mirrored(sheets)
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.name)
        notes = sheet.notes if tables is None else ()
        _write_header(worksheet, sheet, notes)
        _add_drop_downs(worksheet, sheet, mirrored)
        if tables is not None:
            records: Iterable[Mapping[str, object]] = tables.get(sheet.name, ())
        elif sheet.name == "settings":
            records = [_setting_record(doc) for doc in setting_docs()]
        else:
            records = ()
        for record in records:
            worksheet.append([record.get(name) for name in (*sheet.column_names, *notes)])
    for name, extra_records in (tables or {}).items():
        if name in known:
            continue
        extra = workbook.create_sheet(name)
        columns = list(dict.fromkeys(c for record in extra_records for c in record))
        _style_header(extra, columns)
        for record in extra_records:
            extra.append([record.get(c) for c in columns])
    if mirrored:
        _write_lists(workbook.create_sheet(LISTS_SHEET), mirrored)
    workbook.save(path)


def _mirrored(sheets: Sequence[Sheet]) -> list[str]:
    """The sheets whose names a wildcard reference column of ``sheets`` offers, in
    contract order; each is a column of the ``lists`` sheet, in this order."""
    wanted = {c.references for s in sheets for c in s.columns
              if c.wildcard and c.references is not None}
    return [s.name for s in contract.SHEETS if s.name in wanted]


def _key_letter(sheet_name: str) -> str:
    """The column letter of a sheet's (first) key, as the template writes it."""
    target = contract.SHEETS_BY_NAME[sheet_name]
    letter: str = get_column_letter(target.column_names.index(target.keys[0].name) + 1)
    return letter


def _write_lists(worksheet: Worksheet, mirrored: Sequence[str]) -> None:
    """``*`` and, below it, the names of each mirrored sheet, one sheet per column."""
    worksheet.sheet_state = "hidden"
    for index, name in enumerate(mirrored, start=1):
        key = _key_letter(name)
        worksheet.cell(row=1, column=index, value=WILDCARD)
        for row in range(2, MIRRORED_ROWS + 2):
            source = f"{name}!${key}${row}"
            worksheet.cell(row=row, column=index, value=f'=IF({source}="","",{source})')

def _check_columns(sheet: Sheet, records: Rows) -> None:
    known = set(sheet.column_names)
    for index, record in enumerate(records):
        unknown = sorted(set(record) - known)
        if unknown:
            raise ValueError(
                f"{sheet.name}: record {index + 1} has columns the contract does not know: "
                f"{', '.join(unknown)}"
            )


def _style_header(worksheet: Worksheet, names: Sequence[str]) -> None:
    for index, name in enumerate(names, start=1):
        cell = worksheet.cell(row=1, column=index, value=name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        worksheet.column_dimensions[get_column_letter(index)].width = max(12, len(name) + 4)
    worksheet.freeze_panes = "A2"


def _setting_record(doc: SettingDoc) -> dict[str, object]:
    """A settings row of the template: the key, a blank value, and its notes."""
    return {"key": doc.key, "unit": doc.unit, "meaning": doc.meaning,
            "default": doc.default, "typical": doc.typical}


def _write_header(worksheet: Worksheet, sheet: Sheet, notes: Sequence[str] = ()) -> None:
    """The header, each contract column with its comment; ``notes`` columns after them
    (explanations for the reader, which reading ignores), in grey."""
    _style_header(worksheet, (*sheet.column_names, *notes))
    for index, name in enumerate(notes, start=len(sheet.columns) + 1):
        worksheet.cell(row=1, column=index).fill = NOTE_FILL
        comment = Comment(f"For reading only: the optimizer ignores the {name} column.",
                          "optimizer")
        worksheet.cell(row=1, column=index).comment = comment
        if name == "meaning":
            worksheet.column_dimensions[get_column_letter(index)].width = 70
    for index, column in enumerate(sheet.columns, start=1):
        comment = Comment(header_comment(sheet, column), "optimizer")
        comment.width, comment.height = 320, 160
        worksheet.cell(row=1, column=index).comment = comment


def _add_drop_downs(worksheet: Worksheet, sheet: Sheet, mirrored: Sequence[str]) -> None:
    """Lists for enumerations, yes/no and references; a warning, not a block, on
    other entries (the reader accepts more spellings than the list shows)."""
    for index, column in enumerate(sheet.columns, start=1):
        formula = _list_formula(sheet, column, mirrored)
        if formula is None:
            continue
        letter = get_column_letter(index)
        validation = DataValidation(
            type="list", formula1=formula, allow_blank=True, errorStyle="warning",
            showErrorMessage=True,
            error=f"{column.name}: {allowed(column)}",
        )
        validation.add(f"{letter}2:{letter}{LAST_ROW}")
        worksheet.add_data_validation(validation)


def _list_formula(sheet: Sheet, column: Column, mirrored: Sequence[str]) -> str | None:
    """The drop-down's source: a fixed list, the key column of the sheet referred to, or,
    for a wildcard reference, ``*`` and that sheet's names from the ``lists`` sheet (as
    many rows as the referred key column has cells filled, its header counting as
    ``*``'s)."""
    if column.kind is Kind.ENUM:
        choices = column.choices + ((WILDCARD,) if column.wildcard else ())
        return '"' + ",".join(choices) + '"'
    if column.kind is Kind.YESNO:
        return '"yes,no"'
    if column.references is not None:
        target = column.references
        letter = _key_letter(target)
        if column.wildcard:
            mirror = get_column_letter(mirrored.index(target) + 1)
            return (f"OFFSET({LISTS_SHEET}!${mirror}$1,0,0,"
                    f"MAX(1,COUNTA({target}!${letter}:${letter})),1)")
        return f"{target}!${letter}$2:${letter}${LAST_ROW}"
    if sheet.name == "settings" and column.name == "key":
        return '"' + ",".join(s.key for s in SETTINGS) + '"'
    return None


def _write_readme(worksheet: Worksheet, sheets: Sequence[Sheet]) -> None:
    worksheet.append(["Input workbook for the allied critical-minerals optimizer."])
    worksheet.append([
        "Fill one sheet per table: one record per row under the header. Hover over a "
        "header cell for the column's meaning, unit and default. A blank or * in a wildcard "
        "column means all. Check the workbook with: optimizer validate THIS_FILE.xlsx"
    ])
    worksheet.append([])
    names = ["sheet", "column", "meaning", "unit", "allowed", "typical", "blank means",
             "required"]
    header_row = worksheet.max_row + 1
    _readme_header(worksheet, header_row, names)
    for doc in column_docs(sheets):
        worksheet.append([doc.sheet, doc.column, doc.meaning, doc.unit, doc.allowed,
                          doc.typical, doc.default, doc.required])
    worksheet.append([])
    worksheet.append(["Settings: one row per key on the settings sheet; a value outside its "
                      "typical range is warned about (optimizer validate --strict refuses it)."])
    _readme_header(worksheet, worksheet.max_row + 1,
                   ["settings key", "", "meaning", "unit", "allowed", "typical",
                    "blank or absent means"])
    for key in setting_docs():
        worksheet.append(["settings", key.key, key.meaning, key.unit, key.allowed, key.typical,
                          key.default])
    for letter, width in zip("ABCDEFGH", (16, 26, 70, 14, 34, 30, 22, 24), strict=True):
        worksheet.column_dimensions[letter].width = width
    worksheet.freeze_panes = f"A{header_row + 1}"


def _readme_header(worksheet: Worksheet, row: int, names: Sequence[str]) -> None:
    for index, name in enumerate(names, start=1):
        cell = worksheet.cell(row=row, column=index, value=name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
