"""What "did you mean" costs when every reference is mistyped.

Validation suggests the near match of each name that refers to nothing
(:class:`optimizer.workbook.spelling.Codes`). The worst case is a sheet of many names
and as many references, every one of them wrong (a column pasted one row off, say).
This times, on made-up facility names of the default case's shape
(``<region>-<mineral>-<stage><n>``):

- building the index of N names;
- finding the near match of N mistyped names with the index, and of a sample of them
  by comparing with every name (:func:`optimizer.workbook.spelling.suggest`), per name.

    python benchmarks/spelling.py [--names N] [--repeats R]

prints the median of R repeats of each, in seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
from collections.abc import Callable, Sequence

from optimizer.workbook.spelling import Codes, suggest

REGIONS = ("AU", "US", "CA", "CL", "AR", "CN", "ID", "CD", "ZA", "BR")
MINERALS = ("Li", "Co", "Ni", "NdPr", "Ga", "Ge", "W", "graphite")
STAGES = ("mine", "refine", "recycle")
SAMPLE = 50  # names looked up by comparing with every name (slow by design)


def names(count: int, seed: int = 1) -> list[str]:
    """``count`` distinct facility names."""
    rng = random.Random(seed)
    return [f"{rng.choice(REGIONS)}-{rng.choice(MINERALS)}-{rng.choice(STAGES)}{i}"
            for i in range(count)]


def mistyped(known: Sequence[str], seed: int = 2) -> list[str]:
    """Each name with one letter of its stage changed: a slip the index finds."""
    rng = random.Random(seed)
    slipped = []
    for name in known:
        region, mineral, stage = name.split("-")
        at = rng.randrange(4)
        letter = rng.choice([c for c in string.ascii_lowercase if c != stage[at]])
        slipped.append(f"{region}-{mineral}-{stage[:at]}{letter}{stage[at + 1:]}")
    return slipped


def lookups(known: Sequence[str], typed: Sequence[str]) -> list[str | None]:
    """Index ``known`` once, then find the near match of each of ``typed``."""
    index = Codes(known)
    return [index.suggest(t) for t in typed]


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args(argv)
    known = names(options.names)
    typed = mistyped(known)
    ordered = sorted(known)
    index = Codes(known)
    found = [index.suggest(t) for t in typed]
    assert all(f is not None for f in found), "every slip has a near match"
    build = median_seconds(lambda: Codes(known), options.repeats)
    look = median_seconds(lambda: lookups(known, typed), options.repeats)
    plain = median_seconds(
        lambda: [suggest(t, ordered, codes=True) for t in typed[:SAMPLE]], options.repeats)
    print(f"{options.names:,} names, {len(typed):,} mistyped references")
    print(f"index built:                   {build:8.3f} s")
    print(f"index built and every lookup:  {look:8.3f} s "
          f"({(look - build) / len(typed) * 1e6:.1f} µs per name)")
    print(f"comparing with every name:     {plain / SAMPLE * 1e3:8.3f} ms per name "
          f"(≈ {plain / SAMPLE * len(typed):.0f} s for all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
