"""The machine's own parallel ceiling: the same pure-Python work done twice in one
process against once in each of two processes (spawned, as the sweep's pool).

    python benchmarks/ceiling.py [--seconds 3] [--runs 3]

Prints the median wall seconds of each and their ratio: what any two-process pool can
gain on this machine as loaded right now (2.0 on two idle cores). Not part of the test
suite: its numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time


def work(loops: int) -> int:
    """Pure Python arithmetic: ``loops`` rounds of a small sum."""
    total = 0
    for i in range(loops):
        total = (total + i * i) % 1_000_003
    return total


def loops_for(seconds: float) -> int:
    """Rounds of :func:`work` that take about ``seconds`` here."""
    started = time.perf_counter()
    work(1_000_000)
    return int(1_000_000 * seconds / (time.perf_counter() - started))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    loops = loops_for(arguments.seconds)
    one, two = [], []
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(work, [1, 1])  # started before the clock
        for _ in range(arguments.runs):
            started = time.perf_counter()
            work(loops)
            work(loops)
            one.append(time.perf_counter() - started)
            started = time.perf_counter()
            pool.map(work, [loops, loops], chunksize=1)
            two.append(time.perf_counter() - started)
    sequential, parallel = statistics.median(one), statistics.median(two)
    print(f"two rounds of pure Python, medians of {arguments.runs} runs")
    print(f"  one process    {sequential:6.2f} s")
    print(f"  two processes  {parallel:6.2f} s")
    print(f"  ceiling        {sequential / parallel:6.2f} x")


if __name__ == "__main__":
    main()
