"""Compare HiGHS's LP solvers and thread counts on the benchmark ladder.

For each size, a case is generated once (``benchmarks/generate.py``); each solver
configuration then solves it in a fresh process (HiGHS fixes its thread pool for the
life of a process, see ``optimizer.solve.highs``), through the optimizer's own path: read,
derive, build, compile, then :func:`optimizer.solve.highs.solve` with the configuration's
``SolverOptions`` (the options ``optimizer run --solver-option`` passes). The child
reports HiGHS's status, the objective and the seconds of ``highs.run()`` alone.

A configuration is repeated ``--repeats`` times and the median printed, unless its
first solve did not reach an optimum (then it is reported once). Each optimal
objective is checked against the first configuration's (today's default: HiGHS
chooses its solver, dual simplex for an LP, threads left to HiGHS), relative
:data:`TOLERANCE`; a disagreement makes the exit status 1. The machine's load average
is printed before and after each size.

    python benchmarks/solvers.py [--sizes 50k 275k] [--repeats 3] [--time-limit 600]
        [--configs default ipm ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import PRESETS, generate_preset  # noqa: E402

TOLERANCE = 1e-6  # relative agreement of an optimal objective with the default's


@dataclass(frozen=True, slots=True)
class Config:
    """One way of solving: HiGHS options and a thread count (None: HiGHS's choice)."""

    name: str
    threads: int | None
    options: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """The options as ``optimizer run`` would take them."""
        words = [f"--solver-option {k}={v}" for k, v in self.options]
        if self.threads is not None:
            words.append(f"--threads {self.threads}")
        return " ".join(words) or "(default)"


IPM = (("solver", "ipm"), ("run_crossover", "on"))
IPM_NO_CROSSOVER = (("solver", "ipm"), ("run_crossover", "off"))
CONFIGS: tuple[Config, ...] = (
    Config("default", None),
    Config("simplex-t1", 1),
    Config("simplex-t2", 2),
    Config("simplex-parallel-t2", 2, (("parallel", "on"),)),
    Config("ipm-t1", 1, IPM),
    Config("ipm-t2", 2, IPM),
    Config("ipm-nocross-t1", 1, IPM_NO_CROSSOVER),
    Config("ipm-nocross-t2", 2, IPM_NO_CROSSOVER),
    Config("pdlp-t1", 1, (("solver", "pdlp"),)),
)
_BY_NAME = {c.name: c for c in CONFIGS}


@dataclass(slots=True)
class Solve:
    """What one child process reported."""

    status: str
    message: str
    objective: float | None
    seconds: float  # highs.run() only


@dataclass(slots=True)
class Row:
    """One configuration on one size: the median of its solves, and the check."""

    size: str
    config: str
    label: str
    solves: list[Solve] = field(default_factory=list)
    seconds: float | None = None  # median over the solves
    per_default: float | None = None  # seconds ÷ the default's seconds
    objective: float | None = None
    difference: float | None = None  # relative to the default's objective
    status: str = ""
    check: str = "-"  # "ok", "FAILED" or "-" (nothing to check)


def child(case: Path, threads: int | None, options: Sequence[str], time_limit: float) -> int:
    """Solve ``case`` once in this process and print the outcome as one JSON line."""
    from optimizer.pipeline import prepare
    from optimizer.solve.highs import SolverOptions, solve
    from optimizer.workbook.validation import load

    extra = tuple((name, value) for name, value in (o.split("=", 1) for o in options))
    data, _ = load(case)
    _, lp = prepare(data)
    solution = solve(lp, SolverOptions(time_limit_s=time_limit, threads=threads,
                                       extra=extra))
    sys.stdout.write(json.dumps(asdict(Solve(solution.status, solution.message,
                                             solution.objective,
                                             solution.solve_seconds))) + "\n")
    return 0


def solve_once(case: Path, config: Config, time_limit: float) -> Solve:
    """Run :func:`child` for ``config`` in a fresh interpreter."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(case),
               "--time-limit", str(time_limit)]
    if config.threads is not None:
        command += ["--threads", str(config.threads)]
    for name, value in config.options:
        command += ["--option", f"{name}={value}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Solve("error", f"exit {done.returncode}: {last}", None, float("nan"))
    return Solve(**json.loads(lines[-1]))


def measure(size: str, case: Path, configs: Sequence[Config], repeats: int,
            time_limit: float) -> list[Row]:
    """Every configuration on one case; the first is the reference."""
    rows: list[Row] = []
    for config in configs:
        row = Row(size, config.name, config.label)
        first = solve_once(case, config, time_limit)
        row.solves.append(first)
        if first.status == "optimal":
            row.solves += [solve_once(case, config, time_limit) for _ in range(repeats - 1)]
        row.seconds = statistics.median(s.seconds for s in row.solves)
        row.status = first.message
        row.objective = first.objective
        rows.append(row)
    reference = rows[0]
    for row in rows:
        if reference.seconds:
            row.per_default = (row.seconds or 0.0) / reference.seconds
        if row.objective is None or reference.objective is None:
            continue
        scale = max(1.0, abs(reference.objective))
        row.difference = (row.objective - reference.objective) / scale
        agree = all(s.objective is not None
                    and abs(s.objective - reference.objective) <= TOLERANCE * scale
                    for s in row.solves if s.status == "optimal")
        row.check = "ok" if agree else "FAILED"
    return rows


def render(rows: Sequence[Row], repeats: int) -> str:
    """The table as text: one line per configuration and size."""
    header = ("size", "configuration", "solves", f"solve s (median of ≤{repeats})",
              "× default", "objective", "rel. diff", "status", "check", "options")
    lines = [header]
    for r in rows:
        lines.append((
            r.size, r.config, str(len(r.solves)),
            "-" if r.seconds is None else f"{r.seconds:.3f}",
            "-" if r.per_default is None else f"{r.per_default:.2f}",
            "-" if r.objective is None else f"{r.objective:.10g}",
            "-" if r.difference is None else f"{r.difference:.1e}",
            r.status, r.check, r.label,
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
                     .rstrip() for line in lines) + "\n"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main(argv: Sequence[str]) -> int:
    """Run the comparison; exit status 1 when an optimal objective disagrees."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["50k", "275k"], choices=sorted(PRESETS))
    parser.add_argument("--repeats", type=int, default=3, help="solves per configuration")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve")
    parser.add_argument("--configs", nargs="+", choices=[c.name for c in CONFIGS],
                        help="configurations to run (the first is the reference); "
                             "default: all, 'default' first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--option", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child(args.child, args.threads, args.option, args.time_limit)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    configs = [_BY_NAME[name] for name in args.configs] if args.configs else list(CONFIGS)
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="optimizer-solvers-") as folder:
        for size in args.sizes:
            case = generate_preset(Path(folder) / f"case_{size}.xlsx", size, seed=args.seed)
            before = _load()
            rows += measure(size, case, configs, args.repeats, args.time_limit)
            notes.append(f"{size}: {before} before, {_load()} after")
    if args.json:
        sys.stdout.write(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    else:
        sys.stdout.write(render(rows, args.repeats) + "\n".join(notes) + "\n")
    return 1 if any(r.check == "FAILED" for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
