"""Time the stages before the solve: derive, build and compile (and reading, once).

Reads the workbook once, then runs ``derive``, ``build`` and ``compile``
(:func:`optimizer.pipeline.prepare`) several times in this process and prints each
stage's median, minimum and maximum seconds, and the LP's size.

    python benchmarks/build.py [--runs 5] [--case data/base_case.xlsx] [--profile]

``--profile`` also prints the cProfile of one more run, by cumulative time. Not part
of the test suite; its numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from optimizer.pipeline import prepare
from optimizer.workbook.validation import load

ROOT = Path(__file__).resolve().parent.parent


def spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):8.3f} {min(values):8.3f} {max(values):8.3f}"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--case", type=Path, default=ROOT / "data" / "base_case.xlsx")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data, _ = load(args.case)
    read = time.perf_counter() - started
    stages: defaultdict[str, list[float]] = defaultdict(list)
    size = (0, 0)
    for _ in range(args.runs):
        timings: dict[str, float] = {}
        _, lp = prepare(data, timings)
        size = lp.size
        for stage, seconds in timings.items():
            stages[stage].append(seconds)
        stages["total"].append(sum(timings.values()))
        del lp
        gc.collect()
    out = sys.stdout
    out.write(f"{args.case.name}: {size[0]:,} variables, {size[1]:,} constraints; "
              f"read and validate {read:.3f} s\n")
    out.write(f"{args.runs} runs            median      min      max (s)\n")
    for stage, times in stages.items():
        out.write(f"  {stage:<18}{spread(times)}\n")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(prepare, data)
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
