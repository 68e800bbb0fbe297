"""A solved plan kept when its results could not be written (MODEL.md §8).

An hour's solve is never thrown away: when writing the results fails after HiGHS
returned an optimal plan (a full disk, a folder that cannot be written, a file in the
way), the run keeps the solution in a folder, ``<results name>_solution/``:

- ``input.xlsx``: the input workbook as it was solved (a copy of its bytes);
- ``columns.parquet``: per column of the LP, its value, reduced cost and, when the run
  ranged, the range of its bound;
- ``rows.parquet``: per row, its dual and the range of its right-hand side;
- ``solution.json``: the status, objective, solve time, size, and the input's name and
  SHA-256, with the optimizer's version.

The model is a pure function of the input, so ``optimizer report FOLDER -o OUT.xlsx``
rebuilds the same LP from ``input.xlsx``, checks that it has the kept size, and writes
the results from the kept solution, without solving again.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from optimizer import __version__
from optimizer.files import replacing_folder
from optimizer.solve.highs import Solution
from optimizer.workbook.problems import KeptSolutionError

INPUT = "input.xlsx"
META = "solution.json"


@dataclass(frozen=True)
class KeptSolution:
    """What a kept-solution folder holds."""

    folder: Path
    solution: Solution
    meta: dict[str, Any]

    @property
    def input_path(self) -> Path:
        return self.folder / INPUT


def solution_folder(workbook: Path) -> Path:
    """The folder a solution is kept in, beside its results workbook."""
    return workbook.with_name(f"{workbook.stem}_solution")


def keep(solution: Solution, input_path: Path, folder: Path, meta: dict[str, Any]) -> Path:
    """Write ``solution`` and a copy of its input into ``folder``; returns it."""
    if solution.values is None or solution.duals is None:
        raise ValueError("only an optimal solution is kept")
    with replacing_folder(folder) as temporary:
        shutil.copyfile(input_path, temporary / INPUT)
        columns: dict[str, Any] = {"value": solution.values}
        if solution.reduced_costs is not None:
            columns["reduced_cost"] = solution.reduced_costs
        if solution.bound_ranges is not None:
            columns["bound_low"] = solution.bound_ranges[:, 0]
            columns["bound_high"] = solution.bound_ranges[:, 1]
        rows: dict[str, Any] = {"dual": solution.duals}
        if solution.rhs_ranges is not None:
            rows["rhs_low"] = solution.rhs_ranges[:, 0]
            rows["rhs_high"] = solution.rhs_ranges[:, 1]
        pq.write_table(pa.table(columns), temporary / "columns.parquet")
        pq.write_table(pa.table(rows), temporary / "rows.parquet")
        record = {**meta, "status": solution.status, "message": solution.message,
                  "objective": solution.objective, "solve_seconds": solution.solve_seconds,
                  **{name: _number_or_none(getattr(solution, name)) for name in _MEASURES},
                  "version": __version__}
        (temporary / META).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return folder


def read(folder: Path) -> KeptSolution:
    """The solution kept in ``folder``."""
    if not (folder / META).is_file() or not (folder / INPUT).is_file():
        raise KeptSolutionError(f"{folder}: holds no kept solution (no {META} and {INPUT}); "
                                "give the folder a failed run named")
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        columns = pq.read_table(folder / "columns.parquet").to_pydict()
        rows = pq.read_table(folder / "rows.parquet").to_pydict()
    except (OSError, ValueError, pa.ArrowException) as error:
        raise KeptSolutionError(f"{folder}: the kept solution cannot be read ({error})") \
            from None

    def array(table: dict[str, list[float]], name: str) -> np.ndarray | None:
        return np.asarray(table[name], dtype=float) if name in table else None

    def pair(table: dict[str, list[float]], low: str, high: str) -> np.ndarray | None:
        a, b = array(table, low), array(table, high)
        return None if a is None or b is None else np.column_stack((a, b))

    solution = Solution(
        status=str(meta["status"]), message=str(meta.get("message", "")),
        objective=float(meta["objective"]), values=array(columns, "value"),
        duals=array(rows, "dual"), solve_seconds=float(meta.get("solve_seconds", 0.0)),
        reduced_costs=array(columns, "reduced_cost"),
        rhs_ranges=pair(rows, "rhs_low", "rhs_high"),
        bound_ranges=pair(columns, "bound_low", "bound_high"),
        max_primal_infeasibility=_nan_if_none(meta.get("max_primal_infeasibility")),
        max_dual_infeasibility=_nan_if_none(meta.get("max_dual_infeasibility")),
    )
    return KeptSolution(folder, solution, meta)


# HiGHS's measures of the solution kept beside it (NaN is not JSON: kept as null)
_MEASURES = ("max_primal_infeasibility", "max_dual_infeasibility")


def _number_or_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _nan_if_none(value: Any) -> float:
    return float("nan") if value is None else float(value)
