"""Many runs of one input: a grid of points, solved and compared (``optimizer sweep``).

    input + grid -> every point validated -> solved (cache, pool) -> comparison

:mod:`grid` reads grids and applies them to the input, :mod:`engine` solves the points,
:mod:`comparison` builds and writes the comparison tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from optimizer.sweep.comparison import comparison, write_parquet, write_workbook
from optimizer.sweep.engine import Cache, Figures, Solving, solve_points
from optimizer.sweep.grid import BASE, Point, read_grid
from optimizer.workbook.problems import InputError, Problems
from optimizer.workbook.reading import read_workbook


@dataclass(frozen=True, slots=True)
class SweepRequest:
    """What the command line asked for."""

    input_path: Path
    grid_path: Path
    output_path: Path
    factorial: bool = False
    workers: int = 1
    scheduler: str | None = None  # "local" (a LocalCluster) or a tcp:// address: Dask
    each_results: Path | None = None  # a folder for every point's results workbook
    value_of_information: bool = False  # each point's VSS too
    warm: bool = True  # warm-start each point from the base point's basis


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What a sweep wrote, and how many points it solved (the rest were cached)."""

    workbook: Path
    parquet: Path
    points: int
    solved: int
    failed: int


def cache_folder(output: Path) -> Path:
    """The cache beside the output: ``<output name>_cache/``."""
    return output.with_name(f"{output.stem}_cache")


def sweep(request: SweepRequest, on_done: Callable[[str, Figures], None] | None = None,
          on_dashboard: Callable[[str], None] | None = None,
          on_start: Callable[[int], None] | None = None) -> SweepResult:
    """Check every point of the grid, solve those not in the cache, and write the
    comparison workbook and its Parquet beside it. Raises :class:`InputError` with
    every problem of the grid and of every point before anything is solved.
    ``on_start`` is told how many points will be solved (those not in the cache),
    ``on_done`` of each as it is solved, ``on_dashboard`` of Dask's dashboard link."""
    problems = Problems()
    raw = read_workbook(request.input_path, problems)
    if problems.errors:
        raise InputError(problems.sorted_errors(), problems.sorted_warnings())
    points = read_grid(request.grid_path, factorial=request.factorial)
    solved: list[str] = []

    def done(name: str, found: Figures) -> None:
        solved.append(name)
        if on_done is not None:
            on_done(name, found)

    cache = Cache(cache_folder(request.output_path))
    solving = Solving(each_results=request.each_results, input_path=request.input_path,
                      value_of_information=request.value_of_information, warm=request.warm)
    found = solve_points(raw, [Point(BASE, ()), *points], workers=request.workers,
                         cache=cache, on_start=on_start, on_done=done,
                         scheduler=request.scheduler, on_dashboard=on_dashboard,
                         solving=solving)
    table = comparison(points, found)
    workbook = write_workbook(table, request.output_path)
    parquet = write_parquet(table, request.output_path.with_suffix(".parquet"))
    failed = int((table["status"] != "optimal").sum())
    return SweepResult(workbook, parquet, len(table), len(solved), failed)


__all__ = ["SweepRequest", "SweepResult", "cache_folder", "sweep"]
