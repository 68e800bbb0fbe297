"""Time a sweep of the default case: each point solved from scratch against warm starts,
sequentially and on the process pool, and the per-point overhead (everything but the
solve).

Writes a grid of ``--points`` points (each scales ``stockpile_budget`` by a different
factor), then runs the sweep ``--runs`` times sequentially with every point solved
from scratch (``--cold``), sequentially warm-started from the base point, and warm on
a pool of ``--workers`` processes, each time into a fresh folder so that nothing comes
from the cache. Prints the median wall seconds of each (and of them, until every point
was checked and after the last was solved) and their ratios, and, from one
point solved in this process, the median seconds of applying its changes and
validating, of derive + build + compile, of the solve from scratch, of the solve
warm-started from the base point's basis, and of reducing it to its figures.

    python benchmarks/sweep.py [--points 200] [--workers 2] [--runs 3]
                                [--case data/base_case.xlsx] [--no-cold] [--dask]
    python benchmarks/sweep.py --ceiling [--runs 3]

``--ceiling`` measures the machine's own parallel ceiling instead: the same pure-Python
loop twice in one process against once in each of two spawned processes (2.0 on two
idle cores), what any two-process pool can gain here as loaded right now.
``--no-cold`` leaves out the sweeps from scratch (minutes on the default case).
``--dask`` also times the sweep on a local Dask cluster (``--scheduler local``) of
``--workers`` workers, its start included. Each
figure is printed with the machine's load average (1 minute) as it ended: the pool's
speed-up depends on how many of the cores other work leaves it. The pool's and Dask's
are printed with their workers' page faults and CPU seconds: run with
``MALLOC_TRIM_THRESHOLD_=65536`` in the environment, as Dask's nanny would set it in its
workers by default, to see what that setting costs (docs/sweeps.md).

Not part of the test suite: its numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from optimizer.pipeline import optimize, prepare
from optimizer.solve.highs import SolverOptions
from optimizer.solve.warm import WarmSolver
from optimizer.sweep import SweepRequest, sweep
from optimizer.sweep.engine import figures
from optimizer.sweep.grid import Change, Point, point_input
from optimizer.workbook.problems import Problems
from optimizer.workbook.reading import read_workbook
from optimizer.workbook.validation import validate

ROOT = Path(__file__).resolve().parent.parent


def write_grid(path: Path, points: int) -> Path:
    """``points`` points, point i scaling the stockpile budget by 1 + i / points."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "sweep"
    sheet.append(["point", "target", "value"])
    for i in range(points):
        sheet.append([f"p{i + 1}", "stockpile_budget", f"*{1 + i / points:.6f}"])
    book.save(path)
    return path


@dataclass(frozen=True)
class Timed:
    """One sweep's wall seconds, and of them: until every point was checked (``on_start``),
    and after the last point was solved (the comparison workbook and its Parquet); and
    its worker processes' minor page faults and CPU seconds in user and system mode
    (from ``getrusage`` of this process's ended children: none sequentially)."""

    wall: float
    checked: float
    written: float
    worker_faults: int
    worker_user: float
    worker_system: float


def timed_sweep(case: Path, grid: Path, workers: int, warm: bool = True,
                scheduler: str | None = None) -> Timed:
    """One sweep with nothing cached, timed (on Dask when ``scheduler`` is given)."""
    marks: dict[str, float] = {}

    def checked(_: int) -> None:
        marks["checked"] = time.perf_counter()

    def solved(*_: object) -> None:
        marks["solved"] = time.perf_counter()

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        done = sweep(SweepRequest(case, grid, Path(folder) / "sweep.xlsx", workers=workers,
                                  warm=warm, scheduler=scheduler), on_done=solved,
                     on_start=checked)
        ended = time.perf_counter()
    if done.failed:
        raise SystemExit(f"{done.failed} points were not solved to optimality")
    ended_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timed(ended - started, marks["checked"] - started, ended - marks["solved"],
                 ended_children.ru_minflt - children.ru_minflt,
                 ended_children.ru_utime - children.ru_utime,
                 ended_children.ru_stime - children.ru_stime)


def point_stages(case: Path, runs: int) -> dict[str, float]:
    """Median seconds of one point's stages, in this process, the input already read."""
    raw = read_workbook(case, Problems())
    point = Point("p", (Change(2, "stockpile_budget", "*1.1"),))
    found: dict[str, list[float]] = {"apply + validate": [], "derive + build + compile": [],
                                     "solve from scratch": [], "solve warm": [],
                                     "figures": []}
    base = validate(raw, Problems())
    assert base is not None
    warm = WarmSolver(prepare(base)[1], SolverOptions(threads=None))
    for _ in range(runs):
        started = time.perf_counter()
        data = validate(point_input(raw, point, Problems()), Problems())
        found["apply + validate"].append(time.perf_counter() - started)
        assert data is not None
        timings: dict[str, float] = {}
        # as a sequential sweep solves: HiGHS's threads as the process first set them
        outcome = optimize(data, SolverOptions(threads=None), timings)
        if not outcome.optimal:
            raise SystemExit(f"the point was not solved: {outcome.solution.message}")
        found["derive + build + compile"].append(
            timings["derive"] + timings["build"] + timings["compile"])
        found["solve from scratch"].append(timings["solve"])
        started = time.perf_counter()
        figures(outcome)
        found["figures"].append(time.perf_counter() - started)
        warm.solve(outcome.lp)  # the first primes it: the base point's solve
        started = time.perf_counter()
        solution = warm.solve(outcome.lp)
        found["solve warm"].append(time.perf_counter() - started)
        if solution.objective != outcome.solution.objective:
            print(f"  warm {solution.objective!r} != from scratch "
                  f"{outcome.solution.objective!r}")
    return {name: statistics.median(values) for name, values in found.items()}


def work(loops: int) -> int:
    """Pure Python arithmetic: ``loops`` rounds of a small sum."""
    total = 0
    for i in range(loops):
        total = (total + i * i) % 1_000_003
    return total


def loops_for(seconds: float) -> int:
    """Rounds of :func:`work` that take about ``seconds`` here."""
    started = time.perf_counter()
    work(1_000_000)
    return int(1_000_000 * seconds / (time.perf_counter() - started))


def ceiling(runs: int, seconds: float = 3.0) -> None:
    """Print the median wall seconds of two rounds of :func:`work` in one process and
    in two spawned processes, and their ratio."""
    loops = loops_for(seconds)
    one, two = [], []
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(work, [1, 1])  # started before the clock
        for _ in range(runs):
            started = time.perf_counter()
            work(loops)
            work(loops)
            one.append(time.perf_counter() - started)
            started = time.perf_counter()
            pool.map(work, [loops, loops], chunksize=1)
            two.append(time.perf_counter() - started)
    sequential, parallel = statistics.median(one), statistics.median(two)
    print(f"two rounds of pure Python, medians of {runs} runs, load {os.getloadavg()[0]:.2f}")
    print(f"  one process    {sequential:6.2f} s")
    print(f"  two processes  {parallel:6.2f} s")
    print(f"  ceiling        {sequential / parallel:6.2f} x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--case", type=Path, default=ROOT / "data" / "base_case.xlsx")
    parser.add_argument("--no-cold", action="store_true",
                        help="leave out the sweeps with every point solved from scratch")
    parser.add_argument("--dask", action="store_true",
                        help="also sweep on a local Dask cluster of --workers workers")
    parser.add_argument("--ceiling", action="store_true",
                        help="only the machine's own two-process ceiling")
    arguments = parser.parse_args()
    if arguments.ceiling:
        ceiling(arguments.runs)
        return
    load: dict[str, float] = {}

    parts: dict[str, tuple[float, float]] = {}
    used: dict[str, tuple[float, float, float]] = {}

    def median(name: str, workers: int, warm: bool = True, scheduler: str | None = None) -> float:
        runs = [timed_sweep(arguments.case, grid, workers, warm=warm, scheduler=scheduler)
                for _ in range(arguments.runs)]
        load[name] = os.getloadavg()[0]
        parts[name] = (statistics.median(r.checked for r in runs),
                       statistics.median(r.written for r in runs))
        used[name] = (statistics.median(r.worker_faults for r in runs),
                      statistics.median(r.worker_user for r in runs),
                      statistics.median(r.worker_system for r in runs))
        return statistics.median(r.wall for r in runs)

    with tempfile.TemporaryDirectory() as folder:
        grid = write_grid(Path(folder) / "grid.xlsx", arguments.points)
        cold = None if arguments.no_cold else median("sequential, from scratch", 1, False)
        sequential = median("sequential, warm", 1)
        pool = median(f"pool of {arguments.workers}, warm", arguments.workers)
        dask = (median(f"Dask, {arguments.workers} workers, warm", arguments.workers,
                       scheduler="local") if arguments.dask else None)
    count = arguments.points + 1  # and the base point
    print(f"{arguments.case.name}: {count} points, medians of {arguments.runs} runs")
    for name, seconds in (("sequential, from scratch", cold), ("sequential, warm", sequential),
                          (f"pool of {arguments.workers}, warm", pool),
                          (f"Dask, {arguments.workers} workers, warm", dask)):
        if seconds is not None:
            print(f"  {name:26s} {seconds:8.2f} s  ({seconds / count:.3f} s a point)"
                  f"  load {load[name]:.2f}")
            print(f"    of which: every point checked {parts[name][0]:.2f} s, the comparison "
                  f"written after the last solve {parts[name][1]:.2f} s")
            faults, user, system = used[name]
            if faults:
                print(f"    its workers: {faults:,.0f} page faults, CPU {user:.2f} s user "
                      f"+ {system:.2f} s system")
    if cold is not None:
        print(f"  warm over from scratch     {cold / sequential:8.2f} x")
        print(f"  pool warm over from scratch {cold / pool:7.2f} x")
    print(f"  pool over sequential       {sequential / pool:8.2f} x (both warm)")
    if dask is not None:
        print(f"  Dask over sequential       {sequential / dask:8.2f} x (both warm; the "
              "cluster's start included)")
    print(f"one point, median of {arguments.runs}:")
    for name, seconds in point_stages(arguments.case, arguments.runs).items():
        print(f"  {name:24s} {seconds:8.3f} s")


if __name__ == "__main__":
    main()
