"""How the LP grows with scenarios, periods and regions: the node formulation (the
optimizer) against the per-scenario formulation with explicit non-anticipativity.

Around the 50k preset (``benchmarks/generate.py``), one knob at a time is stepped
(scenarios, periods, regions; the others stay the preset's). For each case:

- node formulation: what ``optimizer run`` builds, every operational decision once
  per tree node (MODEL.md §4); its size (variables, constraints, nonzeros, tree nodes),
  the seconds of derive + build + compile (:func:`optimizer.pipeline.prepare`) and of
  HiGHS's solve (``highs.run()``), medians of ``--repeats``;
- per-scenario formulation: each scenario its own copy of every operational decision
  in every period (scenarios × periods copies in place of the tree's nodes), one
  ``build`` for all, and equality rows tying the copies of scenarios whose disruption
  histories agree so far (``scenario_wise_lp`` of ``tests/test_nonanticipativity.py``,
  written with nothing from the optimizer's model); its size and HiGHS's solve
  seconds. Its build is plain Python written for checking, not speed, so its time is
  not compared.

Both are solved by HiGHS with its defaults (random seed pinned), in this process, and
the two optima must agree to 1e-7 relative (the exit status is 1 otherwise).

    python benchmarks/growth.py [--repeats 3] [--scenarios 6 12 24 48]
        [--periods 5 10 20 40] [--regions 7 13 26 52] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import PRESETS, generate_preset  # noqa: E402
from benchmarks.reference import agrees  # noqa: E402

BASE = "50k"


@dataclass(slots=True)
class Growth:
    """One case, both formulations."""

    knob: str  # the knob stepped
    value: int
    nodes: int  # tree nodes
    variables: int
    constraints: int
    nonzeros: int
    prepare_seconds: float  # derive + build + compile, median
    solve_seconds: float  # highs.run(), median
    objective: float | None
    copies: int  # scenarios × periods: the per-scenario formulation's "nodes"
    scenario_variables: int
    scenario_constraints: int
    scenario_nonzeros: int
    scenario_solve_seconds: float
    scenario_objective: float | None
    check: str  # "ok" or "FAILED"


def measure(knob: str, value: int, folder: Path, repeats: int) -> Growth:
    """Generate the preset with ``knob`` = ``value`` and measure both formulations."""
    import highspy

    from optimizer.pipeline import prepare
    from optimizer.solve.highs import SolverOptions, solve
    from optimizer.workbook.validation import load
    from tests.test_nonanticipativity import scenario_wise_lp

    case = generate_preset(folder / f"{knob}_{value}.xlsx", BASE, **{knob: value})
    data, _ = load(case)
    prepared: list[float] = []
    for _ in range(repeats):
        timings: dict[str, float] = {}
        derived, lp = prepare(data, timings)
        prepared.append(sum(timings.values()))
    solutions = [solve(lp, SolverOptions()) for _ in range(repeats)]
    objective = solutions[0].objective

    plain = scenario_wise_lp(data)
    seconds: list[float] = []
    scenario_objective: float | None = None
    for _ in range(repeats):
        highs = plain.highs()
        started = time.perf_counter()
        highs.run()
        seconds.append(time.perf_counter() - started)
        if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            scenario_objective = float(highs.getInfo().objective_function_value) \
                + plain.constant
    width, height = lp.size
    return Growth(
        knob=knob, value=value, nodes=len(derived.tree.nodes), variables=width,
        constraints=height, nonzeros=int(lp.matrix.nnz),
        prepare_seconds=statistics.median(prepared),
        solve_seconds=statistics.median(s.solve_seconds for s in solutions),
        objective=objective, copies=len(data.scenarios) * len(data.periods),
        scenario_variables=len(plain.cost), scenario_constraints=len(plain.rows),
        scenario_nonzeros=plain.nonzeros, scenario_solve_seconds=statistics.median(seconds),
        scenario_objective=scenario_objective,
        check="ok" if agrees(objective, scenario_objective) else "FAILED",
    )


HEADER = ("knob", "value", "nodes", "variables", "constraints", "nonzeros",
          "build+compile s", "solve s", "S×T copies", "S×T variables", "S×T constraints",
          "S×T nonzeros", "S×T solve s", "variables ratio", "solve ratio", "check")


def render(rows: Sequence[Growth], repeats: int) -> str:
    """The table as Markdown: one line per case. The node formulation's size and
    seconds, then the per-scenario formulation's (S×T), then per-scenario ÷ node."""
    lines = [HEADER, tuple("---:" if i > 1 else "---" for i in range(len(HEADER)))]
    for r in rows:
        lines.append((
            r.knob, str(r.value), f"{r.nodes:,}", f"{r.variables:,}", f"{r.constraints:,}",
            f"{r.nonzeros:,}", f"{r.prepare_seconds:.3f}", f"{r.solve_seconds:.3f}",
            f"{r.copies:,}", f"{r.scenario_variables:,}", f"{r.scenario_constraints:,}",
            f"{r.scenario_nonzeros:,}", f"{r.scenario_solve_seconds:.3f}",
            f"{r.scenario_variables / r.variables:.2f}",
            f"{r.scenario_solve_seconds / r.solve_seconds:.2f}", r.check,
        ))
    table = "\n".join("| " + " | ".join(line) + " |" for line in lines)
    return f"{table}\n\nseconds: medians of {repeats}\n"


def main(argv: Sequence[str]) -> int:
    """Run the growth table; exit status 1 when two optima disagree."""
    preset = PRESETS[BASE]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenarios", type=int, nargs="*", default=[6, 12, 24, 48])
    parser.add_argument("--periods", type=int, nargs="*", default=[5, 10, 20, 40])
    parser.add_argument("--regions", type=int, nargs="*", default=[7, 13, 26, 52])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    steps = [(knob, value) for knob in ("scenarios", "periods", "regions")
             for value in getattr(args, knob)]
    one, five, _ = os.getloadavg()
    rows: list[Growth] = []
    done: dict[Any, Growth] = {}  # the preset itself comes up once per knob: measured once
    with tempfile.TemporaryDirectory(prefix="optimizer-growth-") as folder:
        for knob, value in steps:
            knobs = dataclasses.replace(preset, **{knob: value})
            if knobs not in done:
                done[knobs] = measure(knob, value, Path(folder), args.repeats)
            rows.append(dataclasses.replace(done[knobs], knob=knob, value=value))
    after = os.getloadavg()
    if args.json:
        sys.stdout.write(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    else:
        base = ", ".join(f"{f.name}={getattr(preset, f.name)}"
                         for f in dataclasses.fields(preset))
        sys.stdout.write(render(rows, args.repeats) + f"around the {BASE} preset ({base}); "
                         f"load average {one:.2f} (1 min), {five:.2f} (5 min) before, "
                         f"{after[0]:.2f}, {after[1]:.2f} after, on {os.cpu_count()} cores\n")
    return 0 if all(r.check == "ok" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
