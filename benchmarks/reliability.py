"""Figures of docs/reliability.md: the wall time of a run whose time limit is too short
to read the input, and how long a run takes to stop after SIGTERM.

- ``--time-limit 0.001`` on the default case: the wall clock of the whole command (a
  fresh process: start-up and imports count), and its exit status (3);
- SIGTERM at the start of read, solve and the writing of the results (the test hook
  ``OPTIMIZER_PAUSE_AT``): seconds from the signal to the end of the process, which
  include writing the failed log and removing the temporaries.

    python benchmarks/reliability.py [--repeats 5]

Medians are printed; the numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "data" / "base_case.xlsx"
MOMENTS = ("read", "solve", "write-sheet")


def _command(output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "optimizer", "run", str(CASE), "-o", str(output), "-q",
            *extra]


def time_limit_wall(folder: Path) -> tuple[float, int]:
    """Wall seconds and exit status of ``--time-limit 0.001`` on the default case."""
    started = time.perf_counter()
    done = subprocess.run(_command(folder / "limit.xlsx", "--time-limit", "0.001"),
                          capture_output=True, check=False)
    return time.perf_counter() - started, done.returncode


def stop_seconds(folder: Path, moment: str) -> tuple[float, int]:
    """Seconds from SIGTERM, sent at ``moment``, to the end of the run; its status."""
    child = subprocess.Popen(_command(folder / f"{moment}.xlsx"), stderr=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, text=True,
                             env={**os.environ, "OPTIMIZER_PAUSE_AT": moment})
    assert child.stderr is not None
    child.stderr.readline()  # "paused at <moment>"
    sent = time.perf_counter()
    child.send_signal(signal.SIGTERM)
    status = child.wait()
    seconds = time.perf_counter() - sent
    child.stderr.close()
    return seconds, status


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        runs = [time_limit_wall(folder) for _ in range(args.repeats)]
        print(f"--time-limit 0.001 on {CASE.name}: median wall "
              f"{statistics.median(w for w, _ in runs):.2f} s over {args.repeats} runs, "
              f"exit statuses {sorted({s for _, s in runs})}")
        for moment in MOMENTS:
            stops = [stop_seconds(folder, moment) for _ in range(args.repeats)]
            print(f"SIGTERM at {moment}: median {statistics.median(s for s, _ in stops):.3f} s "
                  f"to exit, exit statuses {sorted({c for _, c in stops})}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
