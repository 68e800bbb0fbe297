"""Rank 0's memory after progressive hedging: the compiled node formulation against the
results (docs/scale-out.md, "Memory per rank").

After PH, rank 0 of ``--engine mpisppy-ph`` builds and compiles the node formulation
(never solved) to place the gathered policy in its columns, then writes the results.
This benchmark does rank 0's work without MPI: a generated case (a preset of
``benchmarks/generate.py``, its scenario count and families overridden) is solved once
by the default engine in a process of its own, and its column values are saved; then,
in a fresh process, ``optimizer.run.run`` runs with ``--engine mpisppy-ph`` and PH
replaced by a stand-in handing over those values as rank 0's gathered policy (no
duals), so that everything after PH is the command's own code.

Printed per case, from two such processes:

- traced (``tracemalloc``, which sees numpy's and scipy's arrays): the peak while the
  node formulation is derived, built and compiled; what stays held after it, and of
  that the constraint matrix (data, indices, pointers) and the row and column bounds
  and costs; the peak while the results are collected and written, the compiled node
  formulation still held;
- untraced: the process's peak resident memory (``ru_maxrss``), after the compile and
  at the end, against the guard's estimates (the whole run's and rank 0's own).

    python benchmarks/rank0.py [--sizes 100 200 400] [--preset tiny] [--families 10]
                               [--untraced]

``--untraced`` runs only the untraced process. The numbers depend on the machine;
none is checked.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate_preset  # noqa: E402

MB = 2**20

# Solves the case argv[1] with the default engine; saves its column values to argv[2]
# and the objective beside them.
_SOLVE = """
import json, sys
from pathlib import Path
import numpy as np
from optimizer.pipeline import optimize
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load
data, _ = load(Path(sys.argv[1]))
outcome = optimize(data, SolverOptions())
np.save(sys.argv[2], outcome.solution.values)
Path(sys.argv[2] + ".json").write_text(json.dumps({
    "objective": outcome.solution.objective, "variables": outcome.lp.size[0],
    "constraints": outcome.lp.size[1], "nonzeros": int(outcome.lp.matrix.nnz)}))
"""

# Rank 0's work after PH (optimizer.run's own), PH replaced by the saved values:
# argv = case, values.npy, results, "traced" or "rss". Prints a JSON line of figures.
_RANK0 = """
import json, resource, sys, tracemalloc
from pathlib import Path
import numpy as np
import optimizer.memory as memory
import optimizer.pipeline as pipeline
import optimizer.solve.hedging as hedging
from optimizer.run import RunRequest, run
from optimizer.solve.highs import Bounds, Solution

case, saved, results, mode = sys.argv[1:5]
values = np.load(saved)
objective = json.loads(Path(saved + ".json").read_text())["objective"]
traced = mode == "traced"
found = {}

def _rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

class _Gathered:  # PH's Hedged on rank 0, its pieces already placed
    def solution(self, layout, rows):
        return Solution("optimal", "stand-in for progressive hedging", objective,
                        values.copy(), np.full(rows, np.nan), 0.0,
                        bounds=Bounds(objective, objective, 0.0, 1))

hedging.progressive_hedging = lambda data, options: _Gathered()
compiled = pipeline.prepare

def _prepare(*args, **kwargs):
    if traced:
        tracemalloc.reset_peak()
    derived, lp = compiled(*args, **kwargs)
    found["node_entities"] = memory.estimate(derived).node_entities
    found["estimate_whole_run"] = memory.estimate(derived).bytes
    found["estimate_rank0"] = memory.estimate_results(derived).bytes
    found["rss_after_compile"] = _rss()
    if traced:
        current, peak = tracemalloc.get_traced_memory()
        found["prepare_peak"], found["held_after_prepare"] = peak, current
        matrix = lp.matrix
        found["matrix"] = matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
        found["bounds_and_costs"] = sum(
            a.nbytes for a in (lp.row_lower, lp.row_upper, lp.col_lower, lp.col_upper,
                               lp.cost))
        tracemalloc.reset_peak()
    return derived, lp

pipeline.prepare = _prepare
if traced:
    tracemalloc.start()
run(RunRequest(Path(case), Path(results), engine="mpisppy-ph"))
if traced:
    found["results_peak"] = tracemalloc.get_traced_memory()[1]
found["rss_end"] = _rss()
print(json.dumps(found))
"""


def rank0(case: Path, saved: Path, results: Path, mode: str) -> dict[str, float]:
    """Rank 0's figures for the case, in a fresh process (``mode``: traced or rss)."""
    done = subprocess.run([sys.executable, "-c", _RANK0, str(case), str(saved), str(results),
                           mode], check=True, cwd=ROOT, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 400])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--families", type=int, default=10)
    parser.add_argument("--untraced", action="store_true",
                        help="only rank 0's untraced peak")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for scenarios in args.sizes:
            case = generate_preset(folder / f"case{scenarios}.xlsx", args.preset, seed=0,
                                   scenarios=scenarios, families=args.families)
            saved = folder / f"values{scenarios}.npy"
            subprocess.run([sys.executable, "-c", _SOLVE, str(case), str(saved)],
                           check=True, cwd=ROOT)
            size = json.loads(Path(str(saved) + ".json").read_text())
            results = folder / f"results{scenarios}.xlsx"
            rss = rank0(case, saved, results, "rss")
            print(f"{scenarios} scenarios: {rss['node_entities']:,} node entities, "
                  f"{size['variables']:,} variables, "
                  f"{size['constraints']:,} constraints, {size['nonzeros']:,} nonzeros; "
                  f"rank 0 peak {rss['rss_end'] / MB:.0f} MiB ({rss['rss_after_compile'] / MB:.0f} "
                  f"after the compile); guard's estimate: whole run "
                  f"{rss['estimate_whole_run'] / MB:.0f} MiB, results without a solve "
                  f"{rss['estimate_rank0'] / MB:.0f} MiB", flush=True)
            if args.untraced:
                continue
            traced = rank0(case, saved, results, "traced")
            held = traced["matrix"] + traced["bounds_and_costs"]
            print(f"  traced: derive, build, compile peak "
                  f"{traced['prepare_peak'] / MB:.0f} MiB, then held "
                  f"{traced['held_after_prepare'] / MB:.0f} MiB, of which the matrix "
                  f"{traced['matrix'] / MB:.1f} MiB and bounds and costs "
                  f"{traced['bounds_and_costs'] / MB:.1f} MiB; results peak "
                  f"{traced['results_peak'] / MB:.0f} MiB; matrix, bounds and costs "
                  f"{100 * held / traced['results_peak']:.1f}% of the traced peak, "
                  f"{100 * held / rss['rss_end']:.1f}% of the untraced peak", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
