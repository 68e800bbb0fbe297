"""The files a run writes (issue 15, rows 5, 6 and 8): the results, the log, the model
file and the detail folder are checked before anything is read or solved; none may be
the input, each other, or an existing file that a run did not write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.cli import main
from tests.cases import valid_tables, write_tables


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a refused run prints; asserts exit 2 and no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_an_input_named_like_the_log_is_refused_and_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Row 5: `optimizer run case.log -o case.xlsx` overwrote its input with the log.
    source = write_tables(tmp_path / "case.log", valid_tables())
    before = source.read_bytes()
    line = _refused(["run", str(source), "-o", str(tmp_path / "case.xlsx")], capsys)
    assert line == (f"{source}: is the input workbook and would be overwritten as the log; "
                    "choose another results name")
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.log"]


def test_results_not_ending_xlsx_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Row 6: `-o res.log` said "results written" and the file held the text log.
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    line = _refused(["run", str(source), "-o", str(tmp_path / "res.log")], capsys)
    assert line == (f"{tmp_path / 'res.log'}: the results are an Excel workbook; "
                    "give a name ending .xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx"]


def test_a_missing_results_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    results = tmp_path / "nowhere" / "r.xlsx"
    line = _refused(["run", str(source), "-o", str(results)], capsys)
    assert line == f"{results}: its folder {results.parent} does not exist"
    assert not results.parent.exists()


def test_a_model_file_in_a_missing_folder_is_refused_before_solving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Row 8: `--write-model` into a missing folder logged "model written", wrote nothing.
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    model = tmp_path / "nowhere" / "m.mps"
    line = _refused(["run", str(source), "-o", str(tmp_path / "r.xlsx"),
                     "--write-model", str(model)], capsys)
    assert line == f"{model}: its folder {model.parent} does not exist"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx"]


def test_the_model_file_may_not_be_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    line = _refused(["run", str(source), "-o", str(tmp_path / "r.xlsx"),
                     "--write-model", str(tmp_path / "r.log")], capsys)
    assert line == (f"{tmp_path / 'r.log'}: would be written as both the log and the model "
                    "file; choose other names")


def test_an_existing_file_that_is_not_a_runs_log_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    notes = tmp_path / "r.log"
    notes.write_text("my notes on the 2027 review\n", encoding="utf-8")
    line = _refused(["run", str(source), "-o", str(tmp_path / "r.xlsx")], capsys)
    assert line == (f"{notes}: exists and is not a run's log; it would be overwritten by "
                    "the log of this run; move it or choose another results name")
    assert notes.read_text(encoding="utf-8") == "my notes on the 2027 review\n"


def test_a_runs_own_log_is_replaced_by_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    results = tmp_path / "r.xlsx"
    assert main(["run", str(source), "-o", str(results), "--quiet"]) == 0
    first = (tmp_path / "r.log").read_text(encoding="utf-8")
    assert main(["run", str(source), "-o", str(results), "--quiet"]) == 0
    second = (tmp_path / "r.log").read_text(encoding="utf-8")
    assert first.split(" ", 2)[2].startswith("optimizer")  # date, time, then the logger
    assert second != first  # rewritten: its timestamps are the second run's


def test_a_results_folder_that_cannot_be_written_is_refused_before_solving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Tried by creating a file: root passes every permission check, yet /proc takes none.
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    results = Path("/proc/r.xlsx")
    line = _refused(["run", str(source), "-o", str(results)], capsys)
    assert line == f"{results}: its folder /proc cannot be written"


def test_an_unexpected_error_leaves_a_failed_log_with_its_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Row 13: an unexpected error exited 1 with no log at all.
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    results = tmp_path / "r.xlsx"
    assert main(["run", str(source), "-o", str(results), "--quiet"]) == 0
    kept = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the solver library is missing a symbol")

    monkeypatch.setattr("optimizer.run.optimize", broken)
    capsys.readouterr()
    assert main(["run", str(source), "-o", str(results), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "optimizer stopped on an unexpected error: RuntimeError: the solver library is "
        "missing a symbol (run again with --debug for the details)"]
    failed = (tmp_path / "r.failed.log").read_text(encoding="utf-8")
    assert "the run stopped on an unexpected error:\nTraceback (most recent call last):" \
        in failed
    assert failed.rstrip().endswith("--- HiGHS log ---")
    # The results kept in place keep their own log, byte for byte.
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()
            if p.is_file() and p.name != "r.failed.log"} == kept

    monkeypatch.undo()
    assert main(["run", str(source), "-o", str(results), "--quiet"]) == 0
    assert not (tmp_path / "r.failed.log").exists()  # the failure it told of is past


_FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))
from optimizer.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_disk_that_fills_while_writing_ends_in_one_message_and_no_stray_files(
    tmp_path: Path,
) -> None:
    # Row 7: a full disk while writing ended in "Exception ignored in ZipFile.__del__".
    # Files are capped at 30 KB in a child process: the results (about 60 KB) cannot be
    # written, nor can the solution be kept anywhere.
    example = Path(__file__).resolve().parent.parent / "data" / "example.xlsx"
    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, "run", str(example), "-o", "r.xlsx", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "The plan was solved, but its results could not be written (OSError: [Errno 27] "
        "File too large), and no folder could take the solution either.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.failed.log"]


def test_the_default_results_folder_that_cannot_be_created_is_refused_before_solving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without -o the results go to reports/ under the working folder; in /proc it
    cannot be made, which is said before anything is read."""
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    monkeypatch.chdir("/proc")
    line = _refused(["run", str(source)], capsys)
    assert line == ("reports/case_results.xlsx: its folder reports cannot be written; "
                    "choose another results file with -o")


def test_run_help_shows_the_default_results_file() -> None:
    shown = subprocess.run([sys.executable, "-m", "optimizer", "run", "--help"],
                           capture_output=True, text=True, check=True,
                           env={**os.environ, "COLUMNS": "200"}).stdout
    assert "(default: reports/<input name>_results.xlsx)" in shown


@pytest.mark.parametrize(("options", "timed"), [([], False), (["--verbose"], True)])
def test_validate_prints_timings_only_when_verbose(
    tmp_path: Path, options: list[str], timed: bool
) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    done = subprocess.run([sys.executable, "-m", "optimizer", "validate", *options,
                           str(source)], capture_output=True, text=True, check=True)
    stages = [line.split()[0] for line in done.stderr.splitlines()]
    assert stages == (["read", "validate"] if timed else [])
    assert done.stdout.startswith(f"{source}: valid.")
