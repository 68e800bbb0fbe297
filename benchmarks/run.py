"""Benchmark ``optimizer run`` on a ladder of generated cases, and check its optimum.

For each size, a case is generated once (``benchmarks/generate.py``) into a temporary
folder; ``optimizer run CASE -o OUT`` then runs as a fresh subprocess (so start-up,
imports, reading and writing all count) ``--repeats`` times, and the medians are
printed:

- the LP's size (variables, constraints and nonzeros as the run's log and HiGHS's log
  give them, the size after HiGHS's presolve) and the number of tree nodes;
- seconds per stage, as timed in the run's log (whatever stages it holds, in its
  order), HiGHS's own run time from the HiGHS log appended to it, and the wall clock;
- ratios: wall ÷ HiGHS, (wall − solve − write) ÷ HiGHS (what surrounds the solver
  before the results are written), and (wall − solve) ÷ the reference assembly time
  (how far the pipeline is from building the same matrices directly);
- the child's peak resident memory (from ``wait4``, as ``/usr/bin/time`` reports it);
- the objective check: the run's objective (from the results' ``summary`` sheet)
  against the independent reference LP (``benchmarks/reference.py``), relative 1e-7.
  A failed check or a failed run makes the exit status 1.

    python benchmarks/run.py [--sizes 50k 275k 1m] [--repeats 1] [--json] [--threads N]

The numbers depend on the machine and on what else runs on it; none is checked.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import PRESETS, generate_preset  # noqa: E402
from benchmarks.reference import agrees, reference_of  # noqa: E402

DEFAULT_SIZES = ("50k", "275k", "1m")
HIGHS_MARKER = "--- HiGHS log ---"

# A log record as the run's log file writes it: "date time logger LEVEL message".
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[,.]\d+ (?P<logger>\S+) (?P<level>[A-Z]+) "
                     r"(?P<message>.*)$")
# A timed stage: a name, then seconds ("build       1.072 s"); names may hold spaces.
_STAGE = re.compile(r"^(?P<stage>[A-Za-z][\w .()/-]*?)\s+(?P<seconds>\d+(?:\.\d+)?)\s*s$")
_SIZE = re.compile(r"(?P<variables>\d[\d,]*) variables, (?P<constraints>\d[\d,]*) constraints")
_HIGHS_SIZE = re.compile(r"has (?P<rows>\d+) rows; (?P<cols>\d+) cols; (?P<nonzeros>\d+) nonzeros")
_PRESOLVED = re.compile(r"[Rr]eductions: rows (?P<rows>\d+)\(-?\d+\); "
                        r"columns (?P<cols>\d+)\(-?\d+\)")
_HIGHS_TIME = re.compile(r"HiGHS run time\s*:\s*(?P<seconds>\d+(?:\.\d+)?)")
_HIGHS_OBJECTIVE = re.compile(r"Objective value\s*:\s*(?P<value>[-+\d.eE]+)")


@dataclass(slots=True)
class RunLog:
    """What one run's log (and stderr, when it wrote no log) tells."""

    stages: dict[str, float] = field(default_factory=dict)  # in log order
    variables: int | None = None
    constraints: int | None = None
    nonzeros: int | None = None
    presolved_rows: int | None = None
    presolved_columns: int | None = None
    highs_seconds: float | None = None
    highs_objective: float | None = None


def parse_log(text: str) -> RunLog:
    """Parse a run's log: timed stages and the LP's size from the optimizer's records,
    then size, presolve, run time and objective from the HiGHS log after its marker.

    Formats are read loosely (stage names are whatever the log holds), so that stages
    being renamed, added or reformatted does not break the benchmark.
    """
    optimizer_part, _, highs_part = text.partition(HIGHS_MARKER)
    log = RunLog()
    for line in optimizer_part.splitlines():
        record = _RECORD.match(line.strip())
        message = record.group("message") if record else line.strip()
        stage = _STAGE.match(message)
        if stage:
            log.stages[stage.group("stage").strip()] = float(stage.group("seconds"))
            continue
        size = _SIZE.search(message)
        if size and log.variables is None:
            log.variables = int(size.group("variables").replace(",", ""))
            log.constraints = int(size.group("constraints").replace(",", ""))
    # the first solve is the run's own (value of information solves more after it)
    found = _HIGHS_SIZE.search(highs_part)
    if found:
        log.nonzeros = int(found.group("nonzeros"))
        log.constraints = log.constraints if log.constraints is not None else int(
            found.group("rows"))
        log.variables = log.variables if log.variables is not None else int(found.group("cols"))
    found = _PRESOLVED.search(highs_part)
    if found:
        log.presolved_rows, log.presolved_columns = int(found.group("rows")), int(
            found.group("cols"))
    found = _HIGHS_TIME.search(highs_part)
    if found:
        log.highs_seconds = float(found.group("seconds"))
    found = _HIGHS_OBJECTIVE.search(highs_part)
    if found:
        log.highs_objective = float(found.group("value"))
    return log


def summary_objective(results: Path) -> float | None:
    """The ``objective`` figure of the results workbook's ``summary`` sheet."""
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(results)).get_sheet_by_name("summary").to_python()
    except Exception:  # no workbook, no summary sheet: the check then fails
        return None
    header = [str(c).strip().lower() for c in rows[0]] if rows else []
    if "figure" not in header or "value" not in header:
        return None
    figure, value = header.index("figure"), header.index("value")
    for row in rows[1:]:
        cell = row[value]
        if str(row[figure]).strip() == "objective" and isinstance(cell, int | float):
            return float(cell)
    return None


@dataclass(slots=True)
class Run:
    """One ``optimizer run``."""

    status: int
    wall_seconds: float
    peak_rss_mb: float
    log: RunLog
    objective: float | None
    message: str  # the last line of stderr, for a failed run


def optimizer_command() -> list[str]:
    """The ``optimizer`` console script of this interpreter's environment, or
    ``python -m optimizer`` when there is none."""
    script = Path(sys.executable).with_name("optimizer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "optimizer"]


def run_once(case: Path, folder: Path, threads: int | None = None) -> Run:
    """Run ``optimizer run CASE -o folder/results.xlsx`` in a fresh process."""
    output = folder / f"{case.stem}_results.xlsx"
    for stale in (output, output.with_suffix(".log")):
        stale.unlink(missing_ok=True)  # a failed repeat must not read an earlier one
    command = [*optimizer_command(), "run", str(case), "-o", str(output)]
    if threads is not None:
        command += ["--threads", str(threads)]
    stderr_path = folder / "stderr.txt"
    with open(folder / "stdout.txt", "wb") as out, open(stderr_path, "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
        # wait4 gives this child's own resource usage, peak memory included
        _, wait_status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS
    rss_mb = usage.ru_maxrss / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    log_file = output.with_suffix(".log")
    # without a log (the run failed before writing it) stderr still has the stages
    text = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() \
        else stderr
    log = parse_log(text)
    objective = summary_objective(output) if output.exists() else None
    lines = [line for line in stderr.splitlines() if line.strip()]
    return Run(process.returncode, wall, rss_mb, log, objective,
               lines[-1] if process.returncode and lines else "")


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass(slots=True)
class SizeResult:
    """Everything measured for one size (medians over the repeats)."""

    size: str
    knobs: dict[str, Any]
    generate_seconds: float
    runs_ok: int
    runs: int
    variables: int | None
    constraints: int | None
    nonzeros: int | None
    presolved_rows: int | None
    presolved_columns: int | None
    tree_nodes: int
    stages: dict[str, float]  # median seconds per stage, in log order
    highs_seconds: float | None
    wall_seconds: float | None
    wall_per_highs: float | None
    rest_per_highs: float | None  # (wall − solve − write) ÷ HiGHS
    outside_per_reference: float | None  # (wall − solve) ÷ reference assembly
    peak_rss_mb: float | None
    reference_columns: int
    reference_rows: int
    reference_assembly_seconds: float
    reference_highs_seconds: float
    objective: float | None
    reference_objective: float | None
    check: str  # "ok" or "FAILED"
    failure: str  # why, when a run failed


def measure(size: str, folder: Path, repeats: int, seed: int,
            threads: int | None) -> SizeResult:
    """Generate the case of ``size`` once, run it ``repeats`` times, solve its reference."""
    started = time.perf_counter()
    case = generate_preset(folder / f"case_{size}.xlsx", size, seed=seed)
    generate_seconds = time.perf_counter() - started
    runs = [run_once(case, folder, threads) for _ in range(repeats)]
    good = [r for r in runs if r.status == 0]

    from optimizer.workbook.validation import load

    data, _ = load(case)
    ref = reference_of(data, threads)

    stage_names = list(dict.fromkeys(s for r in good for s in r.log.stages))
    stages = {s: _median(r.log.stages.get(s) for r in good) or 0.0 for s in stage_names}
    highs = _median(r.log.highs_seconds for r in good)
    wall = _median(r.wall_seconds for r in good)
    # HiGHS's own time stands in for the solve stage if the log stops naming one
    solve = stages.get("solve", highs)
    rest = None if wall is None or solve is None else wall - solve - stages.get("write", 0.0)
    outside = None if wall is None or solve is None else wall - solve
    objective = _median(r.objective for r in good)
    first = good[0].log if good else (runs[0].log if runs else RunLog())
    ok = len(good) == len(runs) and all(agrees(ref.objective, r.objective) for r in good)
    failure = next((f"exit {r.status}: {r.message}" for r in runs if r.status), "")
    return SizeResult(
        size=size, knobs=asdict(PRESETS[size]) | {"seed": seed},
        generate_seconds=generate_seconds, runs_ok=len(good), runs=len(runs),
        variables=first.variables, constraints=first.constraints, nonzeros=first.nonzeros,
        presolved_rows=first.presolved_rows, presolved_columns=first.presolved_columns,
        tree_nodes=ref.nodes, stages=stages, highs_seconds=highs, wall_seconds=wall,
        wall_per_highs=_ratio(wall, highs), rest_per_highs=_ratio(rest, highs),
        outside_per_reference=_ratio(outside, ref.assembly_seconds),
        peak_rss_mb=_median(r.peak_rss_mb for r in good),
        reference_columns=ref.columns, reference_rows=ref.rows,
        reference_assembly_seconds=ref.assembly_seconds,
        reference_highs_seconds=ref.solve_seconds,
        objective=objective, reference_objective=ref.objective,
        check="ok" if ok else "FAILED", failure=failure,
    )


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: Sequence[SizeResult]) -> list[tuple[str, list[str]]]:
    """The printed table: one row per measure, one column per size."""
    stage_names = list(dict.fromkeys(s for r in results for s in r.stages))
    rows: list[tuple[str, list[str]]] = [
        ("variables", [_count(r.variables) for r in results]),
        ("constraints", [_count(r.constraints) for r in results]),
        ("nonzeros", [_count(r.nonzeros) for r in results]),
        ("presolved rows", [_count(r.presolved_rows) for r in results]),
        ("presolved columns", [_count(r.presolved_columns) for r in results]),
        ("tree nodes", [_count(r.tree_nodes) for r in results]),
        ("runs ok", [f"{r.runs_ok}/{r.runs}" for r in results]),
        ("generate (s)", [_seconds(r.generate_seconds) for r in results]),
    ]
    rows += [(f"{stage} (s)", [_seconds(r.stages.get(stage)) for r in results])
             for stage in stage_names]
    rows += [
        ("HiGHS run time (s)", [_seconds(r.highs_seconds) for r in results]),
        ("wall (s)", [_seconds(r.wall_seconds) for r in results]),
        ("wall / HiGHS", [_times(r.wall_per_highs) for r in results]),
        ("(wall - solve - write) / HiGHS", [_times(r.rest_per_highs) for r in results]),
        ("reference assembly (s)", [_seconds(r.reference_assembly_seconds) for r in results]),
        ("reference HiGHS (s)", [_seconds(r.reference_highs_seconds) for r in results]),
        ("(wall - solve) / ref. assembly", [_times(r.outside_per_reference) for r in results]),
        ("peak RSS (MB)", [_times(r.peak_rss_mb) for r in results]),
        ("objective", ["-" if r.objective is None else f"{r.objective:.10g}" for r in results]),
        ("reference objective", ["-" if r.reference_objective is None
                                 else f"{r.reference_objective:.10g}" for r in results]),
        ("objective check", [r.check for r in results]),
    ]
    return rows


def render(results: Sequence[SizeResult], repeats: int) -> str:
    """The table as text, with the failures of any run beneath it."""
    rows = table(results)
    label = max(len(name) for name, _ in rows)
    width = max(12, *(len(cell) for _, cells in rows for cell in cells),
                *(len(r.size) for r in results))
    lines = [f"{'size (median of ' + str(repeats) + ')':<{label}}"
             + "".join(f" {r.size:>{width}}" for r in results)]
    lines += [f"{name:<{label}}" + "".join(f" {cell:>{width}}" for cell in cells)
              for name, cells in rows]
    lines += [f"{r.size}: {r.failure}" for r in results if r.failure]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    """Run the benchmark; exit status 1 when a run fails or an objective disagrees."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES),
                        choices=sorted(PRESETS), help="presets of benchmarks/generate.py")
    parser.add_argument("--repeats", type=int, default=1, help="runs per size (medians)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated cases")
    parser.add_argument("--threads", type=int, default=None, help="HiGHS threads")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    results: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="optimizer-bench-") as folder:
        for size in args.sizes:
            results.append(measure(size, Path(folder), args.repeats, args.seed, args.threads))
    if args.json:
        sys.stdout.write(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    else:
        sys.stdout.write(render(results, args.repeats))
    return 0 if all(r.check == "ok" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
