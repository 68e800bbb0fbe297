"""`optimizer run --pdf`: the results rendered by LibreOffice, and a run that stays good
when LibreOffice is missing, fails or hangs.

The rendering test is real: LibreOffice turns the results of data/example.xlsx into a
PDF, whose text must hold every chart's title. It is skipped only where LibreOffice is
not installed; .ci/run installs it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from optimizer.cli import EXIT_OK, main
from optimizer.report.pdf import PdfError, find_soffice, to_pdf
from tests.committed import DATA

EXAMPLE = DATA / "example.xlsx"
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for "
                           "LibreOffice")


def _squeezed(text: str) -> str:
    """Text without its white space: a PDF may break or space a title anywhere."""
    return "".join(text.split())


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) is not installed; "
                    ".ci/run installs it with apt-get install libreoffice-calc-nogui")
def test_libreoffice_renders_the_charts_of_the_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "example_results.xlsx"

    assert main(["run", str(EXAMPLE), "-o", str(results), "--pdf"]) == EXIT_OK

    pdf = tmp_path / "example_results.pdf"
    assert f"PDF: {pdf}" in capsys.readouterr().out
    text = _squeezed("\n".join(page.extract_text() for page in PdfReader(pdf).pages))
    workbook = openpyxl.load_workbook(results)
    titles = {row[0] for row in workbook["chart_data"].iter_rows(min_row=2, max_col=1,
                                                                  values_only=True)}
    assert len(titles) >= 5
    for title in titles:
        assert _squeezed(str(title)) in text, title
    for words in ("unmet share of demand", "stock at the end of the period (t)",
                  "price (USD/t)", "The plan's expected discounted cost"):
        assert _squeezed(words) in text, words
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "example_results.log", "example_results.pdf", "example_results.xlsx"]


def test_without_libreoffice_the_run_succeeds_and_says_why_there_is_no_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    results = tmp_path / "results.xlsx"

    assert main(["run", str(EXAMPLE), "-o", str(results), "--pdf"]) == EXIT_OK

    out, err = capsys.readouterr()
    assert f"{results}: results written" in out
    assert "No PDF written: LibreOffice is not installed" in err
    assert "apt-get install libreoffice-calc-nogui" in err
    assert "The results workbook is complete." in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.log", "results.xlsx"]
    assert "No PDF written" in (tmp_path / "results.log").read_text(encoding="utf-8")


def _program(folder: Path, body: str) -> str:
    """A stand-in for soffice: a shell script."""
    script = folder / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


@POSIX
def test_a_hung_libreoffice_is_stopped_after_the_time_limit(tmp_path: Path) -> None:
    program = _program(tmp_path, "sleep 60 & sleep 60")  # a child of its own too
    target = tmp_path / "r.pdf"
    started = time.monotonic()
    with pytest.raises(PdfError, match=r"did not finish within 0\.5 s"):
        to_pdf(tmp_path / "r.xlsx", target, program=program, timeout_s=0.5)
    assert time.monotonic() - started < 20
    assert not target.exists()


@POSIX
def test_a_failing_libreoffice_is_told_and_leaves_the_old_pdf(tmp_path: Path) -> None:
    target = tmp_path / "r.pdf"
    target.write_bytes(b"the previous PDF")
    failing = _program(tmp_path, "echo 'Error: source file could not be loaded' >&2; exit 1")
    with pytest.raises(PdfError, match=r"exit status 1\): Error: source file could not be"):
        to_pdf(tmp_path / "r.xlsx", target, program=failing)
    silent = _program(tmp_path, "exit 0")
    with pytest.raises(PdfError, match="wrote no PDF"):
        to_pdf(tmp_path / "r.xlsx", target, program=silent)
    Path(silent).chmod(0o644)
    with pytest.raises(PdfError, match="could not be started"):
        to_pdf(tmp_path / "r.xlsx", target, program=silent)
    assert target.read_bytes() == b"the previous PDF"
