"""Calibrate the memory guard (``optimizer/memory.py``): peak memory of a run against
the case's size in node entities.

For the default case and each generated size, ``optimizer run`` runs in a fresh
process (``benchmarks/run.py``'s ``run_once``, peak resident memory from ``wait4``)
and the case's node entities are counted as the guard counts them. Printed per case:
tree nodes, node entities, variables, nonzeros, peak memory, the guard's estimate, and
(peak − the guard's base) ÷ node entities. The guard's bytes per node entity sit about
20 % above the largest value seen over several runs (peaks vary by some 5 %).

    python benchmarks/memory.py [--sizes tiny 50k 275k] [--repeats 1]
                                [--scenarios 20 100 200 400 800]

``--scenarios`` adds, for each count, the ``tiny`` preset with that many scenarios in
10 families: the trees of many small nodes (149 node entities each) that
progressive hedging is for (``benchmarks/hedging.py`` generates the same): at 50 to
200 scenarios they take more bytes per node entity than the presets, which is what
sets the guard's base.

``--results-only`` measures instead what writing the results takes without the solve,
as rank 0 of progressive hedging writes them (docs/scale-out.md): each case is solved
once, its solution kept, and ``optimizer report`` writes the results from it in a
fresh process (build and compile, no HiGHS, extract, write); printed beside the whole
run's peak, with (peak − the guard's base) ÷ node entities.

    python benchmarks/memory.py --results-only [--sizes tiny 50k 275k]

The numbers depend on the machine; none is checked.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate_preset  # noqa: E402
from benchmarks.run import run_once  # noqa: E402
from optimizer.memory import BASE_BYTES, estimate  # noqa: E402
from optimizer.model.derive import derive  # noqa: E402
from optimizer.workbook.validation import load  # noqa: E402

MB = 2**20


def measure(case: Path, folder: Path, repeats: int) -> dict[str, float]:
    """The case's size and the median peak memory of ``repeats`` runs."""
    data, _ = load(case)
    guess = estimate(derive(data))
    runs = [run_once(case, folder) for _ in range(repeats)]
    failed = [r for r in runs if r.status != 0]
    if failed:
        raise SystemExit(f"{case}: the run failed: {failed[0].message}")
    peak = statistics.median(r.peak_rss_mb for r in runs) * MB
    return {
        "nodes": guess.nodes, "node_entities": guess.node_entities,
        "variables": float(runs[0].log.variables or 0),
        "nonzeros": float(runs[0].log.nonzeros or 0),
        "peak_mb": peak / MB, "estimate_mb": guess.bytes / MB,
        "bytes_per_entity": (peak - BASE_BYTES) / guess.node_entities,
    }


# Solves the case named in argv[1] and keeps its solution in the folder argv[2].
_KEEP = """
import sys
from pathlib import Path
from optimizer.files import file_sha256
from optimizer.pipeline import optimize
from optimizer.report.solution import keep
from optimizer.solve.highs import SolverOptions
from optimizer.workbook.validation import load
data, _ = load(Path(sys.argv[1]))
outcome = optimize(data, SolverOptions())
case = Path(sys.argv[1])
keep(outcome.solution, case, Path(sys.argv[2]), {
    "input_file": sys.argv[1], "input_sha256": file_sha256(case),
    "variables": outcome.lp.size[0],
    "constraints": outcome.lp.size[1], "results": sys.argv[3]})
"""


def results_only(case: Path, folder: Path) -> float:
    """Peak memory in bytes of ``optimizer report`` on the case's kept solution."""
    kept, output = folder / f"{case.stem}_solution", folder / f"{case.stem}_report.xlsx"
    subprocess.run([sys.executable, "-c", _KEEP, str(case), str(kept), str(output)],
                   check=True, cwd=ROOT)
    process = subprocess.Popen([sys.executable, "-m", "optimizer", "report", str(kept), "-o",
                                str(output), "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{case}: optimizer report failed")
    return float(usage.ru_maxrss * 1024)  # KiB on Linux


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["tiny", "50k", "275k"])
    parser.add_argument("--scenarios", nargs="*", type=int, default=[],
                        help="also the tiny preset with these scenario counts (10 families)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--results-only", action="store_true",
                        help="the peak of writing the results without the solve")
    args = parser.parse_args(argv)
    header = (f"{'case':>10} {'nodes':>6} {'entities':>10} {'variables':>10} "
              f"{'nonzeros':>10} {'peak MB':>8} {'estimate MB':>11} {'B/entity':>9}")
    print(header)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        cases = [("default", ROOT / "data" / "base_case.xlsx")]
        cases += [(size, generate_preset(folder / f"{size}.xlsx", size))
                  for size in args.sizes]
        cases += [(f"tiny×{count}", generate_preset(folder / f"tiny{count}.xlsx", "tiny",
                                                      seed=0, scenarios=count, families=10))
                  for count in args.scenarios]
        per_entity = []
        for name, case in cases:
            found = measure(case, folder, args.repeats)
            if args.results_only:
                writing = results_only(case, folder)
                print(f"{name:>10}: whole run {found['peak_mb']:.0f} MB, results without "
                      f"the solve {writing / MB:.0f} MB, "
                      f"{(writing - BASE_BYTES) / found['node_entities']:.0f} B/entity",
                      flush=True)
                continue
            per_entity.append(found["bytes_per_entity"])
            print(f"{name:>10} {found['nodes']:>6.0f} {found['node_entities']:>10,.0f} "
                  f"{found['variables']:>10,.0f} {found['nonzeros']:>10,.0f} "
                  f"{found['peak_mb']:>8.0f} {found['estimate_mb']:>11.0f} "
                  f"{found['bytes_per_entity']:>9.0f}", flush=True)
    if per_entity:
        print(f"largest bytes per node entity above the base of {BASE_BYTES / MB:.0f} MB: "
              f"{max(per_entity):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
