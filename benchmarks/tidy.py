"""Time tidying the results (money in whole units, solver noise as 0) against making them.

Solves the case once, then ``--runs`` times makes every results table
(:func:`optimizer.results.collect`, which tidies each table once) and tidies them all
again on their own (:func:`optimizer.results.tidy.tidy` over the complete detail tables,
the sheets and the detail sheets as written). Prints the median seconds of each and
their ratio.

    python benchmarks/tidy.py [--case data/base_case.xlsx] [--runs 5]

Not part of the test suite: its numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from optimizer.pipeline import optimize
from optimizer.results import Provenance, Results, collect
from optimizer.results.contract import RESULT_SHEETS_BY_NAME
from optimizer.results.tidy import tidy
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load

ROOT = Path(__file__).resolve().parent.parent


def tidy_all(results: Results, currency: str) -> int:
    """Tidy every table of ``results`` once more; the number of cells looked at."""
    cells = 0
    for name, table in results.detail.items():
        cells += tidy(table, RESULT_SHEETS_BY_NAME[name], currency).size
    for name, frame in results.sheets.items():
        cells += tidy(frame, RESULT_SHEETS_BY_NAME[name], currency).size
    for form in results.forms.values():
        cells += tidy(form.frame, form.sheet, currency).size
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, default=ROOT / "data" / "base_case.xlsx")
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    data, _ = load(arguments.case)
    outcome = optimize(data, SolverOptions())
    if not outcome.optimal:
        raise SystemExit(f"{arguments.case}: not solved to optimality")
    currency = data.settings.currency
    making, tidying = [], []
    cells = 0
    for _ in range(arguments.runs):
        started = time.perf_counter()
        results = collect(outcome, Provenance(arguments.case, "", 0.0))
        making.append(time.perf_counter() - started)
        started = time.perf_counter()
        cells = tidy_all(results, currency)
        tidying.append(time.perf_counter() - started)
    made, tidied = statistics.median(making), statistics.median(tidying)
    print(f"{arguments.case.name}: {cells:,} cells")
    print(f"collect (tidying included), median of {arguments.runs}: {made:.3f} s")
    print(f"tidying every table alone, median of {arguments.runs}:  {tidied:.3f} s "
          f"({tidied / made:.1%} of collect)")


if __name__ == "__main__":
    main()
