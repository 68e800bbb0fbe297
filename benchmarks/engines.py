"""Compare the engines of ``optimizer run --engine`` on one machine.

For each case, the node formulation (derive, build, compile and solve with HiGHS, as
``optimizer run`` does) and mpi-sppy's extensive form (one Pyomo model per scenario,
``sputils.create_EF``, then HiGHS through Pyomo's ``appsi_highs`` and ``highs``
plugins) are each run ``--repeats`` times in this process; the median wall seconds,
their ratio to the node formulation's, and each objective's relative difference from
the node formulation's are printed. A difference above 1e-6 makes the exit status 1.

    python benchmarks/engines.py [--cases example base_case tiny 50k] [--repeats 3]

``example`` and ``base_case`` are the committed workbooks under ``data/``; other names
are presets of ``benchmarks/generate.py`` (seed 0), generated into a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyomo.environ as pyo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import generate_preset
from optimizer.data import ModelData
from optimizer.pipeline import optimize
from optimizer.solve.highs import SolverOptions
from optimizer.solve.mpisppy import extensive_form
from optimizer.workbook.validation import load

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-6


def _node(data: ModelData) -> float:
    objective = optimize(data, SolverOptions()).solution.objective
    assert objective is not None
    return objective


def _ef(solver: str) -> Callable[[ModelData], float]:
    return lambda data: float(pyo.value(extensive_form(data, solver).EF_Obj))


def _timed(run: Callable[[ModelData], float], data: ModelData, repeats: int
           ) -> tuple[float, float]:
    """The median wall seconds of ``repeats`` runs and the last objective."""
    seconds, objective = [], 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        objective = run(data)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), objective


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["example", "base_case", "tiny"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    status = 0
    print(f"{'case':<10} {'scenarios':>9} {'engine':<26} {'median s':>9} {'ratio':>7} "
          f"{'rel. diff':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.cases:
            path = ROOT / "data" / f"{name}.xlsx" if name in ("example", "base_case") \
                else generate_preset(Path(folder) / f"{name}.xlsx", name)
            data, _ = load(path)
            base, reference = _timed(_node, data, args.repeats)
            rows = [("node (highspy)", base, reference)]
            for solver in ("appsi_highs", "highs"):
                rows.append((f"mpisppy-ef ({solver})", *_timed(_ef(solver), data, args.repeats)))
            for engine, seconds, objective in rows:
                difference = abs(objective - reference) / max(abs(reference), 1.0)
                status |= difference > TOLERANCE
                print(f"{name:<10} {len(data.scenarios):>9} {engine:<26} {seconds:>9.2f} "
                      f"{seconds / base:>7.1f} {difference:>10.1e}")
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
