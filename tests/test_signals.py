"""Signals and temporaries (issue 15, rows 9 and 10, and the kill tests): a run stopped
by SIGTERM or SIGINT at read, solve or write says so in one line, exits 143 or 130,
keeps the earlier results byte for byte, writes its failed log and leaves no other
file; a run killed outright (SIGKILL) leaves its temporaries, which the next run into
the folder removes. The moments are made exact by the test hook OPTIMIZER_PAUSE_AT."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from optimizer import stopping
from optimizer.cli import main
from optimizer.files import remove_stale
from optimizer.run import RunRequest, run
from optimizer.solve.highs import MIN_TIME_LIMIT_S, SolverOptions, solve_time_limit
from optimizer.workbook.problems import NotSolvedError
from tests.cases import valid_tables, write_tables

MOMENTS = {"read": "read", "solve": "solve", "write-sheet": "write"}  # pause -> stage
SIGNALS = {"SIGTERM": 143, "SIGINT": 130}


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an input and the results and log of an earlier run."""
    folder = tmp_path_factory.mktemp("earlier")
    source = write_tables(folder / "case.xlsx", valid_tables())
    assert main(["run", str(source), "-o", str(folder / "r.xlsx"), "-q"]) == 0
    return folder


def _copy(earlier: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """The input, the results path and the earlier files' bytes, in a fresh folder."""
    for name in ("case.xlsx", "r.xlsx", "r.log"):
        shutil.copy2(earlier / name, tmp_path / name)
    kept = {name: (tmp_path / name).read_bytes() for name in ("r.xlsx", "r.log")}
    return tmp_path / "case.xlsx", tmp_path / "r.xlsx", kept


def _interrupted(source: Path, results: Path, moment: str, number: int) -> tuple[int, str]:
    """Run the command in a child paused at ``moment``, send it signal ``number`` once
    it says it is paused; its exit status and standard error."""
    child = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "run", str(source), "-o", str(results), "-q"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, stopping.PAUSE_VARIABLE: moment},
    )
    assert child.stderr is not None
    first = child.stderr.readline()
    assert first == f"paused at {moment}\n", first
    child.send_signal(number)
    rest = child.stderr.read()
    return child.wait(timeout=60), rest


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("name", SIGNALS)
def test_a_signal_stops_the_run_in_one_line_and_keeps_the_earlier_results(
    earlier: Path, tmp_path: Path, moment: str, name: str
) -> None:
    source, results, kept = _copy(earlier, tmp_path)
    status, err = _interrupted(source, results, moment, signal.Signals[name])
    stage = MOMENTS[moment]
    line = f"stopped by {name} during {stage}; earlier results kept"
    assert (status, err) == (SIGNALS[name], line + "\n")
    assert {n: (tmp_path / n).read_bytes() for n in kept} == kept
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "case.xlsx", "r.failed.log", "r.log", "r.xlsx"]
    failed = (tmp_path / "r.failed.log").read_text(encoding="utf-8")
    assert line in failed
    if stage == "solve":  # stopped through HiGHS's own callback
        assert "Model status        : Interrupted by user" in failed
    assert main(["run", str(source), "-o", str(results), "-q"]) == 0  # the next run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx", "r.log", "r.xlsx"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_killed_run_keeps_the_earlier_results_and_the_next_run_removes_its_temporaries(
    earlier: Path, tmp_path: Path, moment: str
) -> None:
    source, results, kept = _copy(earlier, tmp_path)
    status, _ = _interrupted(source, results, moment, signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert {n: (tmp_path / n).read_bytes() for n in kept} == kept
    left = sorted(p.name for p in tmp_path.iterdir()
                  if p.name not in ("case.xlsx", "r.log", "r.xlsx"))
    # a killed run leaves what it had open: its private folder (the HiGHS log), and
    # while writing the results' temporary and XlsxWriter's private folder
    assert len(left) == {"read": 1, "solve": 1, "write-sheet": 3}[moment], left
    assert all(n.startswith(".r.") and ".tmp" in n for n in left), left
    assert main(["run", str(source), "-o", str(results), "-q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx", "r.log", "r.xlsx"]
    assert "left by a run that was killed" in (tmp_path / "r.log").read_text(encoding="utf-8")


def test_the_temporaries_of_a_running_process_and_other_files_are_left_alone(
    tmp_path: Path,
) -> None:
    live = tmp_path / f".r.{os.getpid()}-abcdefgh.tmp.xlsx"
    dead_pid = _a_finished_process()
    dead = tmp_path / f".r.{dead_pid}-abcdefgh.tmp.xlsx"
    dead_folder = tmp_path / f".r.{dead_pid}-ijklmnop.tmp"
    lookalike = tmp_path / f".r.{dead_pid}-short.tmp.xlsx"  # not 8 random characters
    other = tmp_path / "r.tmp.xlsx"
    for path in (live, dead, lookalike, other):
        path.write_bytes(b"x")
    dead_folder.mkdir()
    (dead_folder / "highs.log").write_text("x")
    assert sorted(remove_stale(tmp_path)) == sorted([dead, dead_folder])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (live, lookalike, other))


def _a_finished_process() -> int:
    """The id of a process that has ended (and been waited for)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_time_limit_that_runs_out_before_the_solve_ends_the_run_with_status_3(
    earlier: Path, tmp_path: Path
) -> None:
    # Row 14: --time-limit 0.001 took 2.66 s, the limit covering the solve alone. The
    # command's own start-up takes longer than 1 ms: the deadline has passed before it reads.
    source, results, kept = _copy(earlier, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "optimizer", "run", str(source), "-o", str(results),
         "--time-limit", "0.001", "-q"], capture_output=True, text=True, timeout=120)
    message = ("The time limit of 0.001 s ran out during start-up, before the solve started; "
               "allow more time (--time-limit) and run again.")
    assert (done.returncode, done.stderr) == (3, message + "\n")
    assert {n: (tmp_path / n).read_bytes() for n in kept} == kept
    assert message in (tmp_path / "r.failed.log").read_text(encoding="utf-8")
    assert main(["run", str(source), "-o", str(results), "-q"]) == 0  # the next run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx", "r.log", "r.xlsx"]


def test_the_time_limit_counts_from_the_command_s_start(tmp_path: Path) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    request = RunRequest(source, tmp_path / "r.xlsx", time_limit_s=5.0,
                         started=time.monotonic() - 6.0)  # started 6 s ago
    with pytest.raises(NotSolvedError, match=r"^The time limit of 5 s ran out during start-up"), \
            stopping.stoppable():
        run(request)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx", "r.failed.log"]


def test_the_solve_gets_what_is_left_of_the_run_s_time() -> None:
    now = time.monotonic()
    left = solve_time_limit(SolverOptions(time_limit_s=100.0, deadline=now + 30.0))
    assert left is not None and 29.0 < left <= 30.0
    assert solve_time_limit(SolverOptions(time_limit_s=5.0, deadline=now + 30.0)) == 5.0
    assert solve_time_limit(SolverOptions(deadline=now - 1.0)) == MIN_TIME_LIMIT_S
    assert solve_time_limit(SolverOptions()) is None


def test_a_run_leaves_nothing_in_the_system_s_temporary_folder(
    earlier: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Row 9: HiGHS's log and XlsxWriter's XML were left in the temporary folder: both
    # now go to private folders beside the results, removed on every path.
    source, results, _ = _copy(earlier, tmp_path)
    system = tmp_path / "system-temporary"
    system.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))
    assert main(["run", str(source), "-o", str(results), "-q"]) == 0
    assert list(system.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "case.xlsx", "r.log", "r.xlsx", "system-temporary"]


def test_a_stop_waits_while_files_that_change_together_are_written() -> None:
    with stopping.stoppable():
        os.kill(os.getpid(), signal.SIGTERM)  # recorded by the run's handler
        with stopping.held():
            stopping.checkpoint()  # no stop here
        with pytest.raises(stopping.StoppedError,
                           match=r"^stopped by SIGTERM during start-up; earlier results kept$"):
            stopping.checkpoint()


def test_a_signal_after_the_new_detail_is_in_place_lets_its_workbook_follow(
    earlier: Path, tmp_path: Path
) -> None:
    # with --detail, the Parquet folder is replaced first: a stop between it and the
    # workbook would leave them from two runs, so the workbook and its log are written
    source, results, kept = _copy(earlier, tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "run", str(source), "-o", str(results), "-q",
         "--detail"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, stopping.PAUSE_VARIABLE: "write-sheet"})
    assert child.stderr is not None
    assert child.stderr.readline() == "paused at write-sheet\n"
    child.send_signal(signal.SIGTERM)
    rest = child.stderr.read()
    assert (child.wait(timeout=60), rest) == (
        143, "stopped by SIGTERM during write; its results and their log were written\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "case.xlsx", "r.log", "r.xlsx", "r_detail"]
    assert (tmp_path / "r.xlsx").read_bytes() != kept["r.xlsx"]  # the new results
    assert (tmp_path / "r.log").read_bytes() != kept["r.log"]  # and their log
    log = (tmp_path / "r.log").read_text(encoding="utf-8")
    assert "results written to" in log
    assert "stopped by SIGTERM during write; its results and their log were written" in log
