"""Where a run is, on the terminal (optimizer.progress) and nothing more with --quiet."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from optimizer.cli import EXIT_OK, main
from optimizer.progress import Progress, _Line, on_terminal
from optimizer.solve.highs import SolverOptions, solve
from optimizer.timing import listening, timed
from tests.committed import DATA


def test_the_line_follows_the_stages_and_the_solver() -> None:
    line = _Line()
    progress = Progress(line)
    with listening(progress.stage):
        with timed({}, "build"):
            assert line.stage == "build"
        progress.solver(12_345, 1.5e10)
        assert line.solver == "12,345 iterations, objective 1.5e+10"
        with timed({}, "solve"):
            assert (line.stage, line.solver) == ("solve", "")  # a new stage starts clean
    progress.solver(7, -math.inf)  # dual simplex before a primal bound: no objective
    assert line.solver == "7 iterations"
    assert "solve" in line.__rich__().plain


def test_no_display_off_a_terminal() -> None:
    with on_terminal(True) as progress:  # pytest captures standard error: no terminal
        assert progress is None


def test_the_solver_reports_its_iterations(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS calls back on every iteration; the listener hears at most every interval."""
    from optimizer.pipeline import prepare
    from optimizer.solve import highs as solving
    from optimizer.workbook.validation import load

    monkeypatch.setattr(solving, "PROGRESS_INTERVAL_S", 0.0)
    heard: list[tuple[int, float]] = []
    data, _ = load(DATA / "base_case.xlsx")  # big enough for simplex iterations
    _, lp = prepare(data, {})
    solution = solve(lp, SolverOptions(progress=lambda i, o: heard.append((i, o))))
    assert solution.status == "optimal"
    assert heard and all(i >= 0 for i, _ in heard)
    assert [i for i, _ in heard] == sorted(i for i, _ in heard)  # iterations only grow


def test_quiet_prints_only_the_outcome(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    output = tmp_path / "r.xlsx"
    assert main(["run", str(DATA / "example.xlsx"), "-o", str(output), "--quiet"]) == EXIT_OK
    said = capsys.readouterr()
    assert said.out == f"{output}: results written (log: {tmp_path / 'r.log'}).\n"
    assert said.err == ""
    assert "timing INFO solve" in (tmp_path / "r.log").read_text(encoding="utf-8")
