"""Hostile and unlucky input workbooks (issue 15, rows 1-4): each is refused with one
sentence and exit 2, in bounded memory and time, measured in a subprocess under
``resource`` limits so that a regression aborts the test, not the machine."""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from optimizer.cli import main
from optimizer.workbook import archive, contract
from optimizer.workbook.problems import InputError
from optimizer.workbook.validation import load
from tests.cases import valid_tables, write_tables

_REGIONS_COLUMNS = len(contract.SHEETS_BY_NAME["regions"].column_names)
MEMORY_LIMIT_BYTES = 500 * 2**20
TIME_LIMIT_S = 5.0

# Runs the command line with its address space capped: exceeding the cap makes the
# allocation fail inside the child, never swaps the machine.
_CHILD = """
import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from optimizer.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _validate_bounded(path: Path) -> tuple[int, list[str], float]:
    """Exit status, standard-error lines and wall time of ``optimizer validate path``."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(MEMORY_LIMIT_BYTES), "validate", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    return done.returncode, done.stderr.splitlines(), time.perf_counter() - started


def _replace_member(path: Path, member: str, content: bytes) -> Path:
    """Rewrite the workbook at ``path`` with ``member`` holding ``content``."""
    with zipfile.ZipFile(path) as source:
        others = {info.filename: source.read(info) for info in source.infolist()}
    others[member] = content
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in others.items():
            target.writestr(name, data)
    return path


def _one_cell_workbook(path: Path, cell: str) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "regions"
    sheet["A1"] = "region"
    sheet[cell] = "x"
    workbook.save(path)
    return path


def test_a_sheet_unzipping_to_blanks_far_beyond_its_size_is_refused(tmp_path: Path) -> None:
    # Row 1: blanks compress about a thousand to one; the ratio check refuses the part
    # before anything is parsed, whatever its total size.
    path = write_tables(tmp_path / "bomb.xlsx", {"regions": [{"region": "AU"}]})
    blanks = b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    _replace_member(path, "xl/worksheets/sheet1.xml",
                    blanks + b" " * (20 * 2**20) + b"</t></is></c></row></sheetData></worksheet>")
    status, lines, seconds = _validate_bounded(path)
    assert status == 2
    assert len(lines) == 1
    assert lines[0].endswith("times its packed size, more than the 100:1 a workbook part "
                             "may; refused as unsafe")
    assert "xl/worksheets/sheet1.xml" in lines[0]
    assert seconds < TIME_LIMIT_S


def test_a_part_declaring_more_than_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Row 2: the declared size is read from the zip directory; a 3 MB part stands in for
    # a 2.2 GB one by lowering the limit to 2 MB.
    path = write_tables(tmp_path / "big.xlsx", {"regions": [{"region": "AU"}]})
    _replace_member(path, "xl/sharedStrings.xml", bytes(range(256)) * (3 * 2**12))
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 2 * 2**20)
    with pytest.raises(Exception) as caught:
        load(path)
    assert str(caught.value) == (
        f"{path}: part xl/sharedStrings.xml unzips to 3 MB, more than the 2 MB a workbook "
        "part may hold; refused as unsafe"
    )


@pytest.mark.parametrize(
    ("cell", "ending"),
    [
        ("XFD1048576", "reaches row 1,048,576, beyond the 1,000,000 rows a sheet may have; "
                       "refused"),
        ("XFD1", f"reaches column XFD, beyond the {_REGIONS_COLUMNS + 50} columns it may "
                 "have (50 more than its declared ones); refused"),
    ],
)
def test_a_far_cell_is_refused_before_the_sheet_is_materialised(
    tmp_path: Path, cell: str, ending: str
) -> None:
    # Row 3: one cell at XFD1048576 made calamine allocate 549 GB and abort.
    path = _one_cell_workbook(tmp_path / "far.xlsx", cell)
    status, lines, seconds = _validate_bounded(path)
    assert status == 2
    assert lines == [f"{path}: sheet 'regions' {ending}"]
    assert seconds < TIME_LIMIT_S


def test_a_formula_without_a_saved_value_is_an_error_naming_the_cell(tmp_path: Path) -> None:
    # Row 4: openpyxl writes formulas without cached values, as a script would.
    tables = valid_tables()
    tables["facilities"][0]["capacity_t"] = "=50000+4000"
    path = write_tables(tmp_path / "formula.xlsx", tables)
    with pytest.raises(InputError) as caught:
        load(path)
    messages = [str(problem) for problem in caught.value.errors]
    assert any(
        "facilities" in m and "capacity_t" in m and "row 2" in m
        and "formula without a saved value: open and save the "
        "workbook in Excel or LibreOffice" in m
        for m in messages
    ), messages


def test_a_stored_error_value_is_an_error_naming_the_cell(tmp_path: Path) -> None:
    tables = valid_tables()
    path = write_tables(tmp_path / "error.xlsx", tables)
    workbook = load_workbook(path)
    sheet = workbook["facilities"]
    header = [cell.value for cell in sheet[1]]
    target = sheet.cell(row=3, column=header.index("capacity_t") + 1)
    target.value = "#DIV/0!"
    target.data_type = "e"
    workbook.save(path)
    with pytest.raises(InputError) as caught:
        load(path)
    messages = [str(problem) for problem in caught.value.errors]
    assert any("facilities" in m and "capacity_t" in m and "row 3" in m
               and "formula whose saved value is an error" in m for m in messages), messages


def test_a_formula_with_a_saved_value_is_read_as_the_value(tmp_path: Path) -> None:
    tables = valid_tables()
    plain = write_tables(tmp_path / "plain.xlsx", tables)
    baseline, _ = load(plain)
    # The same workbook with the cell's stored value kept beside a formula.
    with zipfile.ZipFile(plain) as source:
        sheets = archive.sheet_parts(source)
        xml = source.read(sheets["facilities"])
    capacity = str(tables["facilities"][0]["capacity_t"]).encode()
    assert xml.count(b"<v>" + capacity + b"</v>") == 1
    xml = xml.replace(b"<v>" + capacity + b"</v>", b"<f>45000*2</f><v>" + capacity + b"</v>")
    formula = _replace_member(tmp_path / "plain.xlsx", sheets["facilities"], xml)
    data, _ = load(formula)
    assert data == baseline


def _many_bad_rows(path: Path, count: int) -> Path:
    tables = valid_tables()
    template = tables["facilities"][0]
    tables["facilities"] += [
        {**template, "facility": f"F{index}", "capacity_t": -5} for index in range(count)
    ]
    return write_tables(path, tables)


def test_the_terminal_shows_the_first_200_problems_and_the_file_takes_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Row 11: a million bad rows printed 999,999 problem lines (128 MB) on the terminal.
    path = _many_bad_rows(tmp_path / "many.xlsx", 1_000)
    everything = tmp_path / "problems.txt"
    assert main(["validate", str(path), "--problems", str(everything)]) == 2
    err = capsys.readouterr().err.splitlines()
    problems = [line for line in err if "capacity_t: must be ≥ 0 (-5)" in line]
    assert len(problems) == 200
    assert err[-1] == f"... and 800 more; all of them are in {everything}"
    written = everything.read_text(encoding="utf-8").splitlines()
    assert sum("capacity_t: must be ≥ 0 (-5)" in line for line in written) == 1_000
    first_bad_row = len(valid_tables()["facilities"]) + 2
    assert written[0] == f"error: facilities, row {first_bad_row}, capacity_t: must be ≥ 0 (-5)"
    assert len(written) == 1_000

    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "... and 800 more; --problems FILE writes all of them")
