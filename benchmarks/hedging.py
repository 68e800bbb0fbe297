"""Progressive hedging (``--engine mpisppy-ph``) against the node formulation, end to end.

Generates a case (a preset of ``benchmarks/generate.py`` with its scenario count and
families overridden), then runs ``optimizer run`` on it as users do, each in its own
process: the default engine once, and ``mpiexec -n K optimizer run ... --engine
mpisppy-ph`` for each K asked for. Prints, per run, the median wall seconds over
``--repeats``, the peak resident memory of its largest process, PH's bounds, gap and
iterations from the results' ``summary``, and the objective's distance from the node
formulation's optimum. Exit status 1 when a PH run misses the gap asked for, or its
bounds do not hold the optimum.

``--per-rank`` measures memory instead: for each scenario count of ``--sizes``, the
node formulation's run and PH's with each K of ``--ranks`` (more ranks than cores are
allowed: oversubscribed), stopped after ``--iterations`` (one bound computed by
default: memory does not grow with the iterations), and prints every rank's own peak
resident memory (its ``ru_maxrss``), rank 0's apart, since it alone compiles the node
formulation (never solved) and writes the results once PH has ended: rank 0's is given
at the end of PH and for the whole run.

    python benchmarks/hedging.py [--preset tiny] [--scenarios 100] [--families 10]
                                 [--ranks 1 2] [--gap 0.01] [--repeats 1]
                                 [--subtree-scenarios N]
    python benchmarks/hedging.py --per-rank [--sizes 50 100 200] [--ranks 1 2 4 8]
                                 [--iterations 2] [--subtree-scenarios N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import generate_preset

OPTIMIZER = [sys.executable, "-m", "optimizer"]
# Open MPI refuses root and more ranks than cores unless told; harmless elsewhere
MPI_ENVIRONMENT = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                   "OMPI_MCA_rmaps_base_oversubscribe": "1"}


def _summary(results: Path) -> dict[str, object]:
    book = openpyxl.load_workbook(results, read_only=True)
    return {row[0]: row[1] for row in book["summary"].iter_rows(values_only=True)}


def _run(command: list[str], results: Path, repeats: int) -> tuple[float, float, dict[str, object]]:
    """Median wall seconds, peak memory in MiB of the largest process, and the summary."""
    seconds, peaks = [], []
    for _ in range(repeats):
        results.unlink(missing_ok=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _PEAK, *command, "-o", str(results),
                               "--quiet"], check=True, env={**os.environ, **MPI_ENVIRONMENT},
                              capture_output=True, text=True)
        seconds.append(time.perf_counter() - started)
        peaks.append(int(done.stdout.split()[-1]) / 1024)
    return statistics.median(seconds), max(peaks), _summary(results)


# Runs the command given and prints the peak resident memory (KiB) of the largest of its
# processes: ru_maxrss of the children waited for, mpiexec's ranks included.
_PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


# Runs the optimizer command given in this process under mpiexec and writes this
# rank's peak resident memory (KiB) to PEAK_FOLDER/<rank>: at the end of progressive
# hedging (its models then freed), then of the whole run.
_RANK_PEAK = """
import atexit, os, resource, runpy, sys
from pathlib import Path
import optimizer.solve.hedging as hedging
folder, rank = Path(os.environ["PEAK_FOLDER"]), os.environ.get("OMPI_COMM_WORLD_RANK", "0")
def _peak() -> None:
    with (folder / rank).open("a") as file:
        file.write(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} ")
hedged = hedging.progressive_hedging
def _hedging(*args, **kwargs):
    try:
        return hedged(*args, **kwargs)
    finally:
        _peak()
hedging.progressive_hedging = _hedging
atexit.register(_peak)
sys.argv = ["optimizer", *sys.argv[1:]]
runpy.run_module("optimizer", run_name="__main__")
"""


def _rank_peaks(command: list[str], results: Path) -> tuple[float, list[tuple[float, float]]]:
    """Wall seconds of one run and, by rank, its peak memory in MiB at the end of PH
    and of the whole run."""
    folder = Path(tempfile.mkdtemp(prefix="peaks-"))
    started = time.perf_counter()
    subprocess.run([*command, "-o", str(results), "--quiet"], check=True,
                   env={**os.environ, **MPI_ENVIRONMENT, "PEAK_FOLDER": str(folder)},
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peaks = []
    for rank in range(len(list(folder.iterdir()))):
        hedging, run = (int(kib) / 1024 for kib in (folder / str(rank)).read_text().split())
        peaks.append((hedging, run))
    shutil.rmtree(folder)
    return seconds, peaks


def _subtree(args: argparse.Namespace) -> list[str]:
    """PH's ``--ph-subtree-scenarios`` when one is asked for."""
    if args.subtree_scenarios is None:
        return []
    return ["--ph-subtree-scenarios", str(args.subtree_scenarios)]


def per_rank(args: argparse.Namespace) -> int:
    """``--per-rank``: the memory of every rank against the node formulation's, for
    growing scenario counts."""
    folder = Path(tempfile.mkdtemp(prefix="hedging-"))
    for scenarios in args.sizes:
        case = generate_preset(folder / f"case{scenarios}.xlsx", args.preset, seed=0,
                               scenarios=scenarios, families=args.families)
        seconds, peak, summary = _run([*OPTIMIZER, "run", str(case)], folder / "node.xlsx", 1)
        print(f"{scenarios} scenarios: {summary['variables']} variables, "
              f"{summary['constraints']} constraints; node formulation: {seconds:.1f} s, "
              f"peak {peak:.0f} MiB", flush=True)
        for ranks in args.ranks:
            seconds, peaks = _rank_peaks(
                ["mpiexec", "-n", str(ranks), sys.executable, "-c", _RANK_PEAK, "run",
                 str(case), "--engine", "mpisppy-ph", "--ph-iterations",
                 str(args.iterations), *_subtree(args)], folder / f"ph{ranks}.xlsx")
            others = [run for _, run in peaks[1:]] or [float("nan")]
            print(f"  mpisppy-ph -n {ranks}: {seconds:.1f} s; rank 0 {peaks[0][0]:.0f} MiB "
                  f"at the end of PH, {peaks[0][1]:.0f} MiB with the results; other ranks "
                  f"{min(others):.0f}-{max(others):.0f} MiB", flush=True)
    shutil.rmtree(folder)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--families", type=int, default=10)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--subtree-scenarios", type=int, default=None,
                        help="PH's --ph-subtree-scenarios (default: the command's own)")
    parser.add_argument("--per-rank", action="store_true",
                        help="every rank's peak memory, for each scenario count of --sizes")
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--iterations", type=int, default=2,
                        help="--per-rank: PH's --ph-iterations (2: one bound computed)")
    args = parser.parse_args()
    if shutil.which("mpiexec") is None:
        print("mpiexec not found: apt-get install openmpi-bin libopenmpi-dev")
        return 1
    if args.per_rank:
        return per_rank(args)
    folder = Path(tempfile.mkdtemp(prefix="hedging-"))
    case = generate_preset(folder / "case.xlsx", args.preset, seed=0,
                           scenarios=args.scenarios, families=args.families)
    seconds, peak, summary = _run([*OPTIMIZER, "run", str(case)], folder / "node.xlsx",
                                  args.repeats)
    subtree = _subtree(args)
    optimum = float(summary["objective"])  # type: ignore[arg-type]
    print(f"case: preset {args.preset}, {args.scenarios} scenarios, {args.families} "
          f"families: {summary['variables']} variables, {summary['constraints']} constraints")
    print(f"node formulation: {seconds:.1f} s, peak {peak:.0f} MiB, objective {optimum:.9g}")
    failed = False
    for ranks in args.ranks:
        seconds, peak, summary = _run(
            ["mpiexec", "-n", str(ranks), *OPTIMIZER, "run", str(case), "--engine",
             "mpisppy-ph", "--ph-gap", str(args.gap), *subtree], folder / f"ph{ranks}.xlsx",
            args.repeats)
        lower, upper = float(summary["ph_lower_bound"]), float(summary["ph_upper_bound"])  # type: ignore[arg-type]
        gap = float(summary["ph_relative_gap"])  # type: ignore[arg-type]
        print(f"mpisppy-ph -n {ranks}: {seconds:.1f} s, peak {peak:.0f} MiB (largest rank), "
              f"{summary['ph_iterations']} iterations, lower {lower:.9g}, upper {upper:.9g}, "
              f"gap {100 * gap:.3f}%, objective {100 * (upper - optimum) / abs(optimum):.3f}% "
              "above the optimum")
        slack = 1e-9 * abs(optimum)
        failed |= gap > args.gap or not lower - slack <= optimum <= upper + slack
    shutil.rmtree(folder)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
