"""The ``optimizer`` command (MODEL.md §10).

Exit status: 0 done, 2 bad input (or a case too large for the memory available), 3
no optimal solution, 1 anything else, 130 and 143 stopped by SIGINT and SIGTERM;
always with a message in plain words. This is the only module that prints or
configures logging.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from optimizer import __version__
from optimizer.memory import NotEnoughMemoryError
from optimizer.stopping import StoppedError, stoppable
from optimizer.workbook.problems import (
    FilesRefusedError,
    InputError,
    KeptSolutionError,
    NotAWorkbookError,
    NotSolvedError,
    Problem,
    ResultsNotWrittenError,
    render,
)

if TYPE_CHECKING:
    from optimizer.progress import Progress
    from optimizer.run import RunResult
    from optimizer.solve.hedging import HedgingOptions

STARTED = time.monotonic()  # the command's start (main() sets it again when called),
# before the model's modules load: the time limit counts from here

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_SOLVED = 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Plan critical-mineral supply, stockpiles and capacity for an allied trade zone.",
    pretty_exceptions_enable=False,
)
log = logging.getLogger("optimizer")


class _State:
    debug = False
    problems_file: Path | None = None  # where to write every problem of bad input


PRINTED_PROBLEMS = 200
"""Problems printed on the terminal at most; ``--problems FILE`` takes them all."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"optimizer {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an unexpected error.")
    ] = False,
) -> None:
    """Plan critical-mineral supply, stockpiles and capacity for an allied trade zone."""
    _State.debug = debug
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("pyomo").setLevel(logging.WARNING)
    from optimizer.screen import for_the_screen

    for handler in logging.getLogger().handlers:
        for_the_screen(handler)


def _say_warnings(warnings: list[Problem] | tuple[Problem, ...]) -> None:
    if warnings:
        typer.echo(f"{len(warnings)} warning(s):", err=True)
        _say_capped(warnings)


def _say_capped(problems: list[Problem] | tuple[Problem, ...]) -> None:
    """The first :data:`PRINTED_PROBLEMS` problems, then how many more and where they are."""
    typer.echo(render(problems[:PRINTED_PROBLEMS]), err=True)
    if len(problems) > PRINTED_PROBLEMS:
        where = (f"all of them are in {_State.problems_file}" if _State.problems_file
                 else "--problems FILE writes all of them")
        typer.echo(f"... and {len(problems) - PRINTED_PROBLEMS:,} more; {where}", err=True)


def _write_problems(error: InputError) -> None:
    """Every error and warning of bad input into ``--problems FILE``, one per line."""
    if _State.problems_file is None:
        return
    from optimizer.files import replacing

    lines = [*(f"error: {p}" for p in error.errors), *(f"warning: {p}" for p in error.warnings)]
    try:
        with replacing(_State.problems_file) as temporary:
            temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as problem:
        typer.echo(f"{_State.problems_file}: the problems could not be written ({problem})",
                   err=True)


# Options that run and report share, declared once.
Output = Annotated[
    Path | None,
    typer.Option("-o", "--output", metavar="OUTPUT.xlsx",
                 help="Results workbook (default: reports/<input name>_results.xlsx)."),
]
Detail = Annotated[
    bool, typer.Option("--detail",
                       help="Also write the complete detail tables as Parquet files in "
                            "<results name>_detail/ beside the workbook (written anyway "
                            "when a detail sheet had to be reduced to fit).")
]
Pdf = Annotated[
    bool, typer.Option("--pdf",
                       help="Also write the sheets a person reads as OUTPUT.pdf, through "
                            "LibreOffice (soffice) when it is installed.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print no progress, only the outcome.")]
Strict = Annotated[
    bool, typer.Option("--strict",
                       help="Treat every warning on the input as an error (exit 2): for "
                            "batch pipelines, where no one reads the warnings.")
]
ProblemsFile = Annotated[
    Path | None,
    typer.Option("--problems", metavar="FILE",
                 help=f"Write every problem of bad input to FILE (the terminal shows the "
                      f"first {PRINTED_PROBLEMS}).")
]


@app.command()
def run(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.xlsx", help="Input workbook.")],
    output: Output = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", metavar="S", min=0.001,
                                   help="Solver time limit in seconds (overrides settings).")
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", metavar="N", min=1,
                                 help="Solver threads (overrides settings).")
    ] = None,
    write_model: Annotated[
        Path | None, typer.Option("--write-model", metavar="FILE.mps",
                                  help="Also write the LP exactly as solved, in MPS.")
    ] = None,
    solver_option: Annotated[
        list[str] | None,
        typer.Option("--solver-option", metavar="KEY=VALUE",
                     help="Any HiGHS option, such as solver=ipm or run_crossover=off "
                          "(repeatable; checked with HiGHS before anything is read).")
    ] = None,
    value_of_information: Annotated[
        bool, typer.Option("--value-of-information",
                           help="Also solve the expected-value and wait-and-see problems and "
                                "report the value of the stochastic solution (VSS) and of "
                                "perfect information (EVPI).")
    ] = False,
    compare_policy: Annotated[
        bool, typer.Option("--compare-policy",
                           help="Also solve the case without its floors, stockpiles and "
                                "expansions (each alone, and all at once) and report what "
                                "the policy package costs and buys (sheet policy).")
    ] = False,
    engine: Annotated[
        str, typer.Option("--engine", metavar="ENGINE",
                          help="highs (the node formulation, the default), mpisppy-ef "
                               "(the extensive form built by mpi-sppy) or mpisppy-ph "
                               "(progressive hedging across the ranks of mpiexec -n K); "
                               "both need the [mpi] extra and give no duals, so no "
                               "marginal prices.")
    ] = "highs",
    ph_rho: Annotated[
        float, typer.Option("--ph-rho", metavar="R", min=1e-12,
                            help="mpisppy-ph: ρ of each variable is R × (its cost "
                                 "coefficient + the mean first-stage one).")
    ] = 0.1,
    ph_iterations: Annotated[
        int, typer.Option("--ph-iterations", metavar="N", min=1,
                          help="mpisppy-ph: stop after N iterations at the latest.")
    ] = 50,
    ph_gap: Annotated[
        float, typer.Option("--ph-gap", metavar="G", min=0.0,
                            help="mpisppy-ph: stop when (upper − lower bound) / |upper| "
                                 "≤ G.")
    ] = 0.01,
    ph_subtree_scenarios: Annotated[
        int | None, typer.Option("--ph-subtree-scenarios", metavar="N", min=1,
                                 help="mpisppy-ph: the upper bound solves a subtree of "
                                      "at most N scenarios whole (default: as large as "
                                      "memory allows).")
    ] = None,
    detail: Detail = False,
    pdf: Pdf = False,
    quiet: Quiet = False,
    problems: ProblemsFile = None,
    strict: Strict = False,
) -> None:
    """Solve INPUT.xlsx and write the results workbook and a log beside it."""
    with stoppable():
        _run(input_path, output, time_limit, threads, write_model, solver_option,
             value_of_information, compare_policy, engine,
             (ph_rho, ph_iterations, ph_gap, ph_subtree_scenarios),
             detail, pdf, quiet, problems, strict)


def _run(input_path: Path, output: Path | None, time_limit: float | None,
         threads: int | None, write_model: Path | None, solver_option: list[str] | None,
         value_of_information: bool, compare_policy: bool, engine: str,
         ph: tuple[float, int, float, int | None], detail: bool, pdf: bool, quiet: bool,
         problems: Path | None, strict: bool) -> None:
    """The ``run`` command, signals recorded (see :mod:`optimizer.stopping`); ``ph`` is
    mpisppy-ph's ρ multiplier, iteration limit, gap and subtree limit."""
    _State.problems_file = problems
    from optimizer.files import same_file
    from optimizer.run import RunRequest, default_output
    from optimizer.run import run as run_case  # the command shares the function's name
    solver_options: tuple[tuple[str, str], ...] = ()
    if solver_option:  # checked with HiGHS itself, loaded only then
        from optimizer.solve.options import SolverOptionError, checked

        try:
            solver_options = checked(solver_option)
        except SolverOptionError as error:
            raise _RefusedError(str(error)) from error
    if engine != "highs":
        from optimizer.solve import mpisppy

        if engine not in mpisppy.ENGINES:
            *others, last = ("highs", *mpisppy.ENGINES)
            raise _RefusedError(f"--engine {engine}: unknown; choose {', '.join(others)} "
                                f"or {last}")
        try:
            mpisppy.require()
        except mpisppy.EngineUnavailableError as error:
            raise _MissingExtraError(str(error)) from error
    hedging = None
    if engine == "mpisppy-ph":
        from optimizer.solve.hedging import HedgingOptions, lead_rank

        rho, iterations, gap, subtree_scenarios = ph
        hedging = HedgingOptions(rho=rho, iterations=iterations, gap=gap,
                                 subtree_scenarios=subtree_scenarios)
        if not lead_rank():
            _follow(input_path, hedging)
            return
    target = output or default_output(input_path)
    if same_file(target, input_path):
        raise _RefusedError(f"{target}: is the input workbook; choose another results file")
    with _progress(quiet) as progress:
        done = run_case(RunRequest(
            input_path, output, time_limit, threads, write_model,
            value_of_information=value_of_information, compare_policy=compare_policy,
            pdf=pdf, detail=detail, solver_options=solver_options, engine=engine,
            hedging=hedging, strict=strict,
            on_solver=None if progress is None else progress.solver, started=STARTED,
        ))
    _say_written(done)


def _follow(input_path: Path, hedging: HedgingOptions) -> None:
    """A rank other than 0 of ``mpiexec -n K optimizer run ... --engine mpisppy-ph``:
    its share of the scenarios, silently; rank 0 reports and writes everything, so a
    failure here only sets the exit status."""
    from optimizer.run import follow

    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.CRITICAL)
    try:
        follow(input_path, hedging)
    except NotEnoughMemoryError as error:  # refused before PH, as rank 0 is: same status
        raise SystemExit(EXIT_BAD_INPUT) from error
    except Exception as error:  # rank 0 tells the same failure, once
        raise SystemExit(EXIT_ERROR) from error


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(metavar="SOLUTION_FOLDER",
                                           help="A solution kept by a run whose results "
                                                "could not be written.")],
    output: Output = None,
    detail: Detail = False,
    pdf: Pdf = False,
    quiet: Quiet = False,
) -> None:
    """Write the results of a kept solution, without solving again."""
    from optimizer.run import RunRequest
    from optimizer.run import report as report_kept

    with stoppable(), _progress(quiet):
        done = report_kept(folder, RunRequest(folder, output, detail=detail, pdf=pdf))
    _say_written(done)


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Progress | None]:
    """The live progress line on a terminal; ``--quiet``: only warnings and the outcome."""
    from optimizer.progress import on_terminal

    if quiet:  # the run's own logger hears everything for its log file; the screen less
        for handler in logging.getLogger().handlers:
            handler.setLevel(logging.WARNING)
    with on_terminal(not quiet) as progress:
        yield progress


@contextlib.contextmanager
def _screen_level(level: int) -> Iterator[None]:
    """The terminal shows log records of ``level`` and above while the block runs."""
    handlers = logging.getLogger().handlers
    levels = [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(level)
    try:
        yield
    finally:
        for handler, before in zip(handlers, levels, strict=True):
            handler.setLevel(before)


def _say_written(done: RunResult) -> None:
    from optimizer.run import log_path

    written = f"log: {log_path(done.results)}"
    if done.pdf is not None:
        written += f", PDF: {done.pdf}"
    typer.echo(f"{done.results}: results written ({written}).")
    if done.pdf_left_out:
        typer.echo(f"The PDF leaves out {done.pdf_left_out}: they are in the workbook.",
                   err=True)
    if done.pdf_problem:
        typer.echo(done.pdf_problem, err=True)


@app.command()
def validate(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.xlsx", help="Input workbook.")],
    problems: ProblemsFile = None,
    strict: Strict = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also print how long reading and validating took.")] = False,
) -> None:
    """Check INPUT.xlsx against the workbook contract and say what it holds."""
    _State.problems_file = problems
    from optimizer.workbook.validation import load

    with _screen_level(logging.INFO if verbose else logging.WARNING):
        data, warnings = load(input_path, strict=strict)
    _say_warnings(warnings)
    typer.echo(f"{input_path}: valid.")
    for what, count in data.summary().items():
        typer.echo(f"  {what}: {count}")


@app.command()
def template(
    output: Annotated[Path, typer.Argument(metavar="OUTPUT.xlsx", help="Where to write.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    grid: Annotated[bool, typer.Option("--grid", help="An empty sweep grid instead.")] = False,
) -> None:
    """Write an empty input workbook with every sheet, column, drop-down and note."""
    from optimizer.sweep.grid import write_grid_template
    from optimizer.workbook.template import write_workbook

    if output.exists() and not force:
        raise _RefusedError(f"{output}: already exists; choose another name or pass --force")
    if not output.parent.is_dir():
        raise _RefusedError(f"{output.parent}: no such folder")
    if grid:
        write_grid_template(output)
        typer.echo(f"{output}: grid template written.")
        return
    write_workbook(output)
    typer.echo(f"{output}: template written.")


Workers = Annotated[int, typer.Option(
    "--workers", metavar="N", min=1,
    help="Solve on a pool of N processes, one HiGHS thread each.")]
Scheduler = Annotated[str | None, typer.Option(
    "--scheduler", metavar="local|tcp://HOST:PORT",
    help="Solve on Dask: 'local' starts a cluster of --workers processes here; "
         "an address uses a running scheduler.")]
EachResults = Annotated[Path | None, typer.Option(
    "--each-results", metavar="DIR",
    help="Also write every point's full results workbook into DIR (DIR/<point>.xlsx).")]


class _Told:
    """What a sweep or stress test says as it goes: points to solve, and each as done."""

    def __init__(self, quiet: bool) -> None:
        import time

        self.quiet = quiet
        self.started = time.perf_counter()
        self.total = self.done = self.failed = 0

    def start(self, total: int) -> None:
        self.total = total
        if not self.quiet:
            typer.echo(f"{total} point(s) to solve", err=True)

    def point(self, name: str, found: dict[str, object]) -> None:
        import time

        self.done += 1
        self.failed += found["status"] != "optimal"
        left = (time.perf_counter() - self.started) / self.done * (self.total - self.done)
        if not self.quiet:
            typer.echo(f"  {name}: {found['status']} ({self.done}/{self.total} done, "
                       f"{self.failed} failed, about {left:.0f} s left)", err=True)

    @staticmethod
    def dashboard(link: str) -> None:
        typer.echo(f"Dask dashboard: {link}", err=True)


def _check_scheduler(scheduler: str | None) -> None:
    if scheduler is not None and scheduler != "local" and "://" not in scheduler:
        raise _RefusedError(f"--scheduler {scheduler}: expected 'local' or tcp://HOST:PORT")


@app.command()
def sweep(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.xlsx", help="Input workbook.")],
    grid_path: Annotated[Path, typer.Argument(metavar="GRID.xlsx", help="Grid workbook.")],
    output: Output = None,
    factorial: Annotated[bool, typer.Option(
        "--factorial", help="Cross each target's values instead of reading points.")] = False,
    workers: Workers = 1,
    scheduler: Scheduler = None,
    each_results: EachResults = None,
    value_of_information: Annotated[bool, typer.Option(
        "--value-of-information",
        help="Also compute each point's value of the stochastic solution (VSS).")] = False,
    cold: Annotated[bool, typer.Option(
        "--cold", help="Solve every point from scratch, not warm from the base point.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Solve INPUT.xlsx once per point of GRID.xlsx and write the comparison workbook."""
    from optimizer.files import same_file
    from optimizer.sweep import SweepRequest
    from optimizer.sweep import sweep as run_sweep

    target = output or Path("reports") / f"{input_path.stem}_sweep.xlsx"
    if same_file(target, input_path) or same_file(target, grid_path):
        raise _RefusedError(f"{target}: is an input of the sweep; choose another file")
    _check_scheduler(scheduler)
    told = _Told(quiet)
    done = run_sweep(SweepRequest(input_path, grid_path, target, factorial, workers,
                                  scheduler, each_results, value_of_information, not cold),
                     told.point, told.dashboard, told.start)
    typer.echo(f"{done.workbook}: {done.points} points ({done.solved} solved, "
               f"{done.points - done.solved} from the cache, {done.failed} not optimal); "
               f"figures also in {done.parquet}.")


@app.command()
def stress(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.xlsx", help="Input workbook.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", metavar="OUTPUT.xlsx",
        help="Stress workbook (default: reports/<input name>_stress.xlsx).")] = None,
    by: Annotated[str, typer.Option(
        "--by", metavar="region|facility|export|route",
        help="The sources lost in turn: each region's mining and refining of each "
             "mineral (region, the default), each facility, each region's exports of "
             "a mineral and product, or each route.")] = "region",
    start: Annotated[str | None, typer.Option(
        "--from", metavar="PERIOD", help="The first period of the loss (default: the first).")
    ] = None,
    periods: Annotated[int | None, typer.Option(
        "--for", metavar="N", min=1,
        help="How many periods the loss lasts (default: to the end of the horizon).")] = None,
    adapt: Annotated[bool, typer.Option(
        "--adapt", help="Decide the expansions anew for each loss (default: keep the "
                        "plan's own expansions).")] = False,
    workers: Workers = 1,
    scheduler: Scheduler = None,
    each_results: EachResults = None,
    quiet: Quiet = False,
) -> None:
    """Lose each source of supply in turn and rank them by how long the zone lasts."""
    from optimizer.files import same_file
    from optimizer.sweep.stress import StressOptionError, StressRequest
    from optimizer.sweep.stress import stress as run_stress

    target = output or Path("reports") / f"{input_path.stem}_stress.xlsx"
    if same_file(target, input_path):
        raise _RefusedError(f"{target}: is the input workbook; choose another file")
    _check_scheduler(scheduler)
    told = _Told(quiet)
    try:
        done = run_stress(StressRequest(input_path, target, by, start, periods, adapt,
                                        workers, scheduler, each_results),
                          told.point, told.dashboard, told.start)
    except StressOptionError as error:
        raise _RefusedError(str(error)) from error
    first = (f"the loss of {done.first} hurts first" if done.first
             else "no single loss brings a shortfall within the horizon")
    typer.echo(f"{done.workbook}: {done.sources} sources ({done.solved} points solved, "
               f"{done.failed} not optimal); {first}.")


class _MissingExtraError(Exception):
    """An engine asked for whose optional extra is not installed (exit 1)."""


class _RefusedError(Exception):
    """A request the command will not carry out (bad command-line input)."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns (and, from the console script, exits with) the status.

    Usage errors are the command-line parser's to report (exit 2); the program's own
    failures are caught here and told in one plain line.
    """
    global STARTED
    STARTED = time.monotonic()
    _State.problems_file = None  # a command sets it; nothing carries over between calls
    try:
        app(args=argv, standalone_mode=True)
        status = EXIT_OK
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else EXIT_ERROR
    except InputError as error:
        _write_problems(error)
        _say_warnings(error.warnings)
        strict = " (--strict: warnings count as problems)" if error.strict else ""
        typer.echo(f"{len(error.errors)} problem(s) in the input{strict}:", err=True)
        _say_capped(error.errors)
        status = EXIT_BAD_INPUT
    except (NotAWorkbookError, _RefusedError, KeptSolutionError, FilesRefusedError,
            NotEnoughMemoryError) as error:
        typer.echo(str(error), err=True)
        status = EXIT_BAD_INPUT
    except NotSolvedError as error:
        typer.echo(str(error), err=True)
        status = EXIT_NOT_SOLVED
    except ResultsNotWrittenError as error:
        typer.echo(str(error), err=True)
        status = EXIT_ERROR
    except _MissingExtraError as error:
        typer.echo(str(error), err=True)
        status = EXIT_ERROR
    except StoppedError as error:
        typer.echo(str(error), err=True)
        status = error.exit_status
    except Exception as error:  # the last line of defence: one plain line, no traceback
        if _State.debug:
            import traceback

            traceback.print_exc()
        typer.echo(
            f"optimizer stopped on an unexpected error: {type(error).__name__}: {error} "
            "(run again with --debug for the details)",
            err=True,
        )
        status = EXIT_ERROR
    if argv is None:
        sys.exit(status)
    return status
