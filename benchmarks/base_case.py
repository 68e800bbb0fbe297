"""Time the default case end to end: ``optimizer run data/base_case.xlsx``.

Runs the command line in a fresh subprocess each time (imports, reading, solving and
writing the results workbook all count), then prints the median, minimum and maximum
wall-clock seconds and the same for every stage timed in the run's log.

    python benchmarks/base_case.py [--runs 5] [--case data/base_case.xlsx] [--compare-policy]

With ``--compare-policy`` each run also solves the case without its floors, stockpiles
and expansions (the ``policy`` stage of the log).

Not part of the test suite: it takes a minute or two and its numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = re.compile(r" optimizer\.timing INFO (\w+)\s+([\d.]+) s$")


def run_once(case: Path, folder: Path, *options: str) -> tuple[float, dict[str, float]]:
    """Wall seconds of one ``optimizer run`` (with ``options``) and the stage timings
    from its log."""
    output = folder / "base_case_results.xlsx"
    command = [sys.executable, "-m", "optimizer", "run", str(case), "-o", str(output),
               *options]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"optimizer run failed ({done.returncode}):\n{done.stderr}")
    stages: dict[str, float] = {}
    for line in output.with_suffix(".log").read_text(encoding="utf-8").splitlines():
        found = STAGE.search(line)
        if found:
            stages[found.group(1)] = float(found.group(2))
    return wall, stages


def spread(values: Sequence[float]) -> str:
    return (f"{statistics.median(values):8.2f} {min(values):8.2f} {max(values):8.2f}")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--case", type=Path, default=ROOT / "data" / "base_case.xlsx")
    parser.add_argument("--compare-policy", action="store_true")
    args = parser.parse_args(argv)
    walls: list[float] = []
    stages: defaultdict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.runs):
            wall, timings = run_once(args.case.resolve(), Path(folder),
                                     *(["--compare-policy"] if args.compare_policy else []))
            walls.append(wall)
            for stage, seconds in timings.items():
                stages[stage].append(seconds)
            sys.stdout.write(f"run {index + 1}/{args.runs}: {wall:.2f} s\n")
    sys.stdout.write(f"\n{args.case.name}, {args.runs} runs    median      min      max (s)\n")
    sys.stdout.write(f"{'wall clock':<20}{spread(walls)}\n")
    for stage, times in stages.items():
        sys.stdout.write(f"  {stage:<18}{spread(times)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
