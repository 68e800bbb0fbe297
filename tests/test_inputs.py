"""Files that are not a readable workbook: each gets one plain sentence and exit status 2,
never a traceback; and ``validate`` never writes anything or touches its input."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import msoffcrypto.format.ooxml
import pytest

from optimizer.cli import main
from tests.cases import valid_tables, write_tables

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Maker = Callable[[Path], Path]


def _valid(where: Path) -> Path:
    return write_tables(where / "valid.xlsx", valid_tables())


def missing(where: Path) -> Path:
    return where / "nowhere.xlsx"


def folder(where: Path) -> Path:
    (where / "inputs.xlsx").mkdir()
    return where / "inputs.xlsx"


def csv(where: Path) -> Path:
    path = where / "regions.csv"
    path.write_text("region,zone_member\nUS,yes\nCN,no\n", encoding="utf-8")
    return path


def csv_named_xlsx(where: Path) -> Path:
    path = where / "regions.xlsx"
    path.write_text("region;zone_member\nUS;yes\n", encoding="utf-8")
    return path


def empty(where: Path) -> Path:
    path = where / "empty.xlsx"
    path.write_bytes(b"")
    return path


def binary(where: Path) -> Path:
    path = where / "picture.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return path


def truncated(where: Path) -> Path:
    data = _valid(where).read_bytes()
    path = where / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    (where / "valid.xlsx").unlink()
    return path


def zip_header_then_noise(where: Path) -> Path:
    path = where / "corrupt.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes((i * 37 + 11) % 256 for i in range(4096)))
    return path


def zip_without_workbook(where: Path) -> Path:
    path = where / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return path


def password_protected(where: Path) -> Path:
    plain = _valid(where)
    path = where / "protected.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("secret", target)
    plain.unlink()
    return path


def old_excel(where: Path) -> Path:
    path = where / "old.xls"
    path.write_bytes(_OLE_MAGIC + b"\x00" * 4088)
    return path


def _case(make: Maker, sentence: str) -> object:
    return pytest.param(make, sentence, id=make.__name__.replace("_", "-"))


_NOT_EXCEL = "the optimizer reads Excel workbooks (.xlsx)"
_DAMAGED = "the workbook is damaged or incomplete (not a readable .xlsx file)"


@pytest.mark.parametrize(
    ("make", "sentence"),
    [
        _case(missing, "{path}: no such file"),
        _case(folder, "{path}: is a folder, not an Excel workbook"),
        _case(csv, "{path}: is a CSV or text file; " + _NOT_EXCEL),
        _case(csv_named_xlsx, "{path}: is a CSV or text file; " + _NOT_EXCEL),
        _case(empty, "{path}: the file is empty"),
        _case(binary, "{path}: is not an Excel workbook; " + _NOT_EXCEL),
        _case(truncated, "{path}: " + _DAMAGED),
        _case(zip_header_then_noise, "{path}: " + _DAMAGED),
        _case(zip_without_workbook, "{path}: is a zip archive but not an Excel workbook (.xlsx)"),
        _case(password_protected, "{path}: the workbook is protected by a password; "
              "save an unprotected copy and run again"),
        _case(old_excel, "{path}: is an old-style Excel 97-2003 workbook (.xls); "
              "save it as an Excel workbook (.xlsx) and run again"),
    ],
)
def test_not_a_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Maker, sentence: str
) -> None:
    path = make(tmp_path)
    before = sorted(tmp_path.iterdir())
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert err == sentence.format(path=path) + "\n"
    assert out == ""
    assert sorted(tmp_path.iterdir()) == before


def test_damaged_part_inside_a_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = _valid(tmp_path)
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            target.writestr(name, b"<not xml" if name == "xl/workbook.xml" else source.read(name))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: the workbook is damaged or incomplete and cannot be read")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_damaged_sheet_inside_a_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = _valid(tmp_path)
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            broken = name == "xl/worksheets/sheet2.xml"  # the second sheet: regions
            target.writestr(name, b"<worksheet" if broken else source.read(name))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: sheet 'regions' is damaged and cannot be read")
    assert err.count("\n") == 1 and "Traceback" not in err


def _fingerprint(path: Path) -> tuple[bytes, int, int]:
    status = path.stat()
    return path.read_bytes(), status.st_mtime_ns, status.st_mode


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "with-errors"])
def test_validate_never_modifies_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], valid: bool
) -> None:
    tables = valid_tables()
    if not valid:
        tables["facilities"][0]["capacity_t"] = -5
    path = write_tables(tmp_path / "input.xlsx", tables)
    old = 1_600_000_000_000_000_000  # an mtime in the past, so a rewrite would show
    os.utime(path, ns=(old, old))
    before = _fingerprint(path)
    assert main(["validate", str(path)]) == (0 if valid else 2)
    assert _fingerprint(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.xlsx"]
    capsys.readouterr()
