"""``optimizer run``: workbook in, results workbook and log out (MODEL.md §9, §10).

    read -> validate -> derive -> build -> compile -> solve -> extract -> write [-> pdf]

Each stage is timed into the log. Bad input stops before anything is written; a
model without an optimal solution writes the log but never replaces the results;
the results are written to a temporary file and renamed into place. A PDF of them,
when asked for, is extra: without LibreOffice, or when it fails, the run still
succeeds with its results, and says why there is no PDF.

A run stopped by a signal (:mod:`optimizer.stopping`) leaves the earlier results as
they were and a failed log; every temporary file goes with it, and the temporaries of
a killed run are removed by the next run into the same folder. ``--time-limit`` is
the whole run's: the solve gets what is left of it. The modules that read, model and
solve load only once the run is under way, so a limit already spent, or a refused
file, ends the command without them.
"""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer import stopping
from optimizer.files import file_sha256, remove_stale, replacing, work_folder
from optimizer.memory import NotEnoughMemoryError
from optimizer.screen import LOG_FILE_ONLY
from optimizer.timing import timed
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
    from optimizer.data import ModelData
    from optimizer.model.derive import Derived
    from optimizer.pipeline import Outcome
    from optimizer.results import Results
    from optimizer.solve.hedging import HedgingOptions
    from optimizer.solve.highs import CompiledLP, Solution, SolverOptions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What the command line asked for."""

    input_path: Path
    output_path: Path | None = None
    time_limit_s: float | None = None
    threads: int | None = None
    write_model: Path | None = None
    value_of_information: bool = False  # also VSS and EVPI (optimizer.results.information)
    compare_policy: bool = False  # also the policy sheet (optimizer.sweep.policy)
    pdf: bool = False  # also the results as a PDF, through LibreOffice (optimizer.report.pdf)
    detail: bool = False  # the Parquet detail even when every detail sheet fits
    engine: str = "highs"  # or mpisppy-ef (optimizer.solve.mpisppy), mpisppy-ph
    hedging: HedgingOptions | None = None  # mpisppy-ph's (optimizer.solve.hedging)
    strict: bool = False  # --strict: a warning on the input is an error
    # other HiGHS options, (name, value), checked by optimizer.solve.options
    solver_options: tuple[tuple[str, str], ...] = ()
    # told (iterations, objective) now and then during the solve (the progress display)
    on_solver: Callable[[int, float], None] | None = None
    # when the command started (time.monotonic()): the time limit counts from there;
    # None: from the call of run()
    started: float | None = None


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run wrote."""

    results: Path
    pdf: Path | None = None  # when asked for and written
    pdf_problem: str = ""  # why no PDF was written, when one was asked for
    pdf_left_out: str = ""  # the sheets the PDF leaves out, in words


def default_output(input_path: Path) -> Path:
    """``reports/<input name>_results.xlsx``."""
    return Path("reports") / f"{input_path.stem}_results.xlsx"


_RUN_LOG_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} optimizer[.\w]* [A-Z]+ ")


def check_files(request: RunRequest, output: Path) -> None:
    """Refuse, before anything is read or solved, files a run must not write.

    The results must be an ``.xlsx``; the results (when named) and the model file go
    to folders that exist and can be written, the default results folder to one that
    can be created or written; the
    results, the log, the model file and the detail folder may be neither the input nor
    each other; an existing file at the log's name is replaced only when a run wrote it.
    """
    from optimizer.files import detail_folder, same_file

    if output.suffix.lower() != ".xlsx":
        raise FilesRefusedError(
            f"{output}: the results are an Excel workbook; give a name ending .xlsx")
    chosen = [request.write_model] if request.write_model is not None else []
    if request.output_path is not None:  # the default folder, reports/, is created
        chosen.append(output)
    for path in chosen:
        if not path.parent.is_dir():
            raise FilesRefusedError(f"{path}: its folder {path.parent} does not exist")
        if not _writable(path.parent):
            raise FilesRefusedError(f"{path}: its folder {path.parent} cannot be written")
    if request.output_path is None and not _writable(_nearest_folder(output.parent)):
        raise FilesRefusedError(f"{output}: its folder {output.parent} cannot be "
                                "written; choose another results file with -o")
    files = {"the results": output, "the log": log_path(output),
             "the failed run's log": failed_log_path(output),
             "the detail folder": detail_folder(output)}
    if request.write_model is not None:
        files["the model file"] = request.write_model
    for what, path in files.items():
        if same_file(path, request.input_path):
            raise FilesRefusedError(
                f"{path}: is the input workbook and would be overwritten as {what}; "
                "choose another results name")
    named = list(files.items())
    for index, (what, path) in enumerate(named):
        for other, other_path in named[index + 1:]:
            if same_file(path, other_path):
                raise FilesRefusedError(f"{path}: would be written as both {what} and "
                                        f"{other}; choose other names")
    for log_file in (files["the log"], files["the failed run's log"]):
        if log_file.exists() and not _written_by_a_run(log_file):
            raise FilesRefusedError(
                f"{log_file}: exists and is not a run's log; it would be overwritten by "
                "the log of this run; move it or choose another results name")


def _nearest_folder(folder: Path) -> Path:
    """``folder``, or its nearest ancestor that exists (where it would be created)."""
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    return folder


def _writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (tried: permissions alone do not tell,
    for root or on read-only mounts)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _written_by_a_run(path: Path) -> bool:
    """Whether the file at ``path`` is a log a run wrote (its first line says so)."""
    if not path.is_file():
        return False
    try:
        with path.open("r", encoding="utf-8", errors="replace") as text:
            first = text.readline(200)
    except OSError:
        return False
    return first == "\n" or _RUN_LOG_START.match(first) is not None


def log_path(output_path: Path) -> Path:
    """The log beside the results: ``<results name>.log``."""
    return output_path.with_suffix(".log")


def failed_log_path(output_path: Path) -> Path:
    """The log of a run that wrote no results: ``<results name>.failed.log``, so that
    the log of the results kept in place stays beside them."""
    return output_path.with_suffix(".failed.log")


def _log_failure(output: Path, capture: _Capture, highs_log: Path | None,
                 error: BaseException) -> None:
    """Write the failed log of a run stopped by an unexpected error, traceback included;
    the error itself is the command line's to tell, in one line."""
    capture.note("the run stopped on an unexpected error:\n" + "".join(
        traceback.format_exception(error)).rstrip())
    with contextlib.suppress(OSError):
        _write_log_to(failed_log_path(output), capture, highs_log)


class _Capture(logging.Handler):
    """Keeps the run's log records in memory until it is safe to write the log file."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def note(self, message: str) -> None:
        """A line for the log file alone (the command line says it itself), formatted
        as a logged error, so that the file reads as a run's log from its first line."""
        self.emit(logging.LogRecord(log.name, logging.ERROR, __file__, 0, message, None,
                                    None))


def run(request: RunRequest) -> RunResult:
    """Carry out one run; returns what it wrote.

    Raises :class:`~optimizer.workbook.problems.InputError` or
    :class:`~optimizer.workbook.problems.NotAWorkbookError` on bad input (nothing written),
    :class:`NotSolvedError` when there is no optimal plan (only ``<results>.failed.log``
    is written); any other error writes ``<results>.failed.log`` with its traceback.
    A signal (:class:`~optimizer.stopping.StoppedError`) and a time limit that runs
    out before the solve (:class:`NotSolvedError`) write the failed log too.
    """
    started = time.perf_counter()
    begun = request.started if request.started is not None else time.monotonic()
    output = request.output_path or default_output(request.input_path)
    check_files(request, output)
    stale = remove_stale(output.parent)
    if request.time_limit_s is not None:
        stopping.set_deadline(begun + request.time_limit_s, request.time_limit_s)
    with work_folder(output) as scratch, _capturing() as capture:
        for path in stale:
            log.info("removed %s, left by a run that was killed", path)
        highs_log = scratch / "highs.log"
        try:
            stopping.safe_point("start-up")  # a signal or a spent limit: nothing loaded
            outcome, warnings = _solve(request, highs_log, begun)
            if request.write_model is not None:
                from optimizer.solve.highs import names, write_mps

                write_mps(outcome.lp, request.write_model, names(outcome.lp.layout))
                log.info("model written to %s", request.write_model)
        except (InputError, NotAWorkbookError):
            raise  # bad input: the command line says all, nothing is written
        except stopping.StoppedError as error:
            _log_stop(output, capture, highs_log, error)
            raise
        except stopping.DeadlinePassedError as error:
            capture.note(str(error))
            with contextlib.suppress(OSError):
                _write_log_to(failed_log_path(output), capture, highs_log)
            raise NotSolvedError(str(error)) from error
        except NotEnoughMemoryError as error:
            capture.note(str(error))  # the command line says it too
            with contextlib.suppress(OSError):
                _write_log_to(failed_log_path(output), capture, highs_log)
            raise
        except Exception as error:
            _log_failure(output, capture, highs_log, error)
            raise
        if not outcome.optimal:
            from optimizer.solve.explain import not_solved_message

            message = not_solved_message(outcome.derived, outcome.lp, outcome.solution)
            if warnings:  # a slip the warnings name is the likeliest cause
                message += (f"\n{len(warnings)} warning(s) on the input may explain "
                            f"it:\n{render(warnings)}")
            capture.lines.append(message)  # the command line says it too, not logged
            _write_log_to(failed_log_path(output), capture, highs_log)
            raise NotSolvedError(message)
        return _deliver(outcome, request, output, started, capture, highs_log,
                        warnings=warnings)


def _log_stop(output: Path, capture: _Capture, highs_log: Path | None,
              error: stopping.StoppedError) -> None:
    """The log of a run stopped by a signal: the failed log when the earlier results
    stay, the results' own log when the new ones were already in place."""
    capture.note(str(error))  # the command line says it too
    with contextlib.suppress(OSError):
        if error.results_written:
            _write_log(output, capture, highs_log)
            failed_log_path(output).unlink(missing_ok=True)
        else:
            _write_log_to(failed_log_path(output), capture, highs_log)


def report(folder: Path, request: RunRequest) -> RunResult:
    """Write the results of a solution kept by a run whose results could not be
    written (``optimizer report FOLDER``), without solving again.

    ``request.input_path`` is ignored: the input is the copy kept in ``folder``.
    Raises :class:`~optimizer.workbook.problems.KeptSolutionError` for a folder that
    holds no kept solution, or one that does not match the LP its input gives.
    """
    from optimizer.pipeline import Outcome, prepare
    from optimizer.report.solution import read
    from optimizer.workbook.validation import load

    started = time.perf_counter()
    kept = read(folder)
    original = Path(str(kept.meta.get("input_file", kept.input_path)))
    output = request.output_path or default_output(original)
    with _capturing() as capture:
        timings: dict[str, float] = {}
        if file_sha256(kept.input_path) != kept.meta.get("input_sha256"):
            raise KeptSolutionError(f"{folder}: its {kept.input_path.name} is not the input "
                                    "the solution was found for (SHA-256 differs)")
        data, warnings = load(kept.input_path, timings)
        derived, lp = prepare(data, timings, results_only=True)  # never solved here
        size = [kept.meta.get("variables"), kept.meta.get("constraints")]
        if list(lp.size) != size or kept.solution.values is None \
                or len(kept.solution.values) != lp.size[0]:
            raise KeptSolutionError(f"{folder}: the kept solution has {size[0]} variables and "
                                    f"{size[1]} constraints, the input now gives "
                                    f"{lp.size[0]} and {lp.size[1]} (another version of the "
                                    "optimizer?)")
        outcome = Outcome(data, derived, lp, kept.solution, timings)
        log.info("results of the solution kept in %s (objective %.10g)", folder,
                 kept.solution.objective)
        kept_request = replace(request, input_path=kept.input_path, output_path=output)
        return _deliver(outcome, kept_request, output, started, capture, None,
                        input_name=original, warnings=tuple(warnings))


@contextlib.contextmanager
def _capturing() -> Iterator[_Capture]:
    """The package's log records kept in memory while the block runs, every stage
    included whatever the screen shows, for the log file written at the end."""
    capture = _Capture()
    package_log = logging.getLogger("optimizer")
    level = package_log.level
    package_log.setLevel(logging.INFO)
    package_log.addHandler(capture)
    try:
        yield capture
    finally:
        package_log.removeHandler(capture)
        package_log.setLevel(level)


def _deliver(outcome: Outcome, request: RunRequest, output: Path, started: float,
             capture: _Capture, highs_log: Path | None,
             input_name: Path | None = None,
             warnings: tuple[Problem, ...] = ()) -> RunResult:
    """Write the results of an optimal outcome, the PDF when asked for, and the log.

    Should anything fail after the solve, the solution is kept (see
    :mod:`optimizer.report.solution`), the log says what failed and where the solution
    is, and :class:`ResultsNotWrittenError` says it in one line.
    """
    try:
        results = _write_results(outcome, request, output, started, input_name, warnings)
        stopping.results_written()
        done = _write_pdf(results, output, outcome.timings, capture) if request.pdf \
            else RunResult(output)
    except stopping.StoppedError as error:  # asked to stop: nothing kept, nothing left
        _log_stop(output, capture, highs_log, error)
        raise
    except Exception as error:  # whatever failed, the solve is not lost
        raise _keep(outcome, request, output, error, capture, highs_log,
                    input_name) from error
    with stopping.held():  # the new results' log follows them
        _write_log(output, capture, highs_log)
        failed_log_path(output).unlink(missing_ok=True)  # the failure it told of is past
    try:
        stopping.checkpoint()  # a signal while the results were finished: say so
    except stopping.StoppedError as error:
        _log_stop(output, capture, highs_log, error)
        raise
    return done


def _keep(outcome: Outcome, request: RunRequest, output: Path, error: Exception,
          capture: _Capture, highs_log: Path | None,
          input_name: Path | None) -> ResultsNotWrittenError:
    """Keep the solution of a run whose results could not be written; the error to
    raise, which says what failed and where the solution is."""
    from optimizer.report.solution import keep, solution_folder

    capture.lines.append("writing the results failed:\n" + "".join(
        traceback.format_exception(error)).rstrip())  # the log only: one line on screen
    what = f"{type(error).__name__}: {error}"
    meta = {
        "input_file": str(input_name or request.input_path),
        "input_sha256": file_sha256(request.input_path),
        "variables": outcome.lp.size[0],
        "constraints": outcome.lp.size[1],
        "results": str(output),
    }
    folder = None
    for place in _places(output):
        try:
            folder = keep(outcome.solution, request.input_path,
                          place / solution_folder(output).name, meta)
            break
        except OSError as problem:
            log.error("could not keep the solution in %s: %s", place, problem)
    if folder is None:
        message = (f"The plan was solved, but its results could not be written ({what}), "
                   "and no folder could take the solution either.")
    else:
        message = (f"The plan was solved, but its results could not be written ({what}). "
                   f"The solution is kept in {folder}: `optimizer report {folder} -o "
                   f"{output}` writes the results from it without solving again.")
    capture.lines.append(message)  # the command line says it too
    for log_file in (failed_log_path(output), *((folder / "run.log",) if folder else ())):
        try:
            _write_log_to(log_file, capture, highs_log)
            break
        except OSError:
            continue
    return ResultsNotWrittenError(message)


def _places(output: Path) -> list[Path]:
    """Where to keep a solution: beside the results, else the working folder, else the
    system's temporary folder."""
    return list(dict.fromkeys([output.parent, Path.cwd(), Path(tempfile.gettempdir())]))


def _solve(request: RunRequest, highs_log: Path,
           begun: float) -> tuple[Outcome, tuple[Problem, ...]]:
    """Read, check, build and solve; the outcome, and the warnings on the input. The time
    limit counts from ``begun``."""
    from optimizer.pipeline import Outcome
    from optimizer.solve.highs import SolverOptions
    from optimizer.workbook.validation import load

    timings: dict[str, float] = {}
    data, warnings = load(request.input_path, timings, strict=request.strict)
    for warning in warnings:
        log.warning("%s", warning)
    settings = data.settings
    limit = request.time_limit_s if request.time_limit_s is not None \
        else settings.time_limit_s
    deadline = None if limit is None else begun + limit
    if limit is not None:
        stopping.set_deadline(deadline, limit)
    options = SolverOptions(
        time_limit_s=limit,
        threads=request.threads if request.threads is not None else settings.threads,
        log_file=highs_log,
        ranging=True,  # the sensitivity sheet's ranges
        progress=request.on_solver,
        extra=request.solver_options,
        deadline=deadline,
    )
    if request.solver_options:
        log.info("HiGHS options: %s", ", ".join(f"{k}={v}" for k, v in request.solver_options))
    if request.time_limit_s is not None or request.threads is not None:
        data = replace(data, settings=replace(
            settings, time_limit_s=options.time_limit_s, threads=options.threads
        ))
    if request.engine != "highs":
        with timed(timings, "solve"):
            derived, lp, solution = _decomposed(request, data, timings)
        stopping.checkpoint()
        log.info("marginal prices and the sensitivity sheet's duals are blank: the "
                 "%s engine gives no duals of the node formulation", request.engine)
        return Outcome(data, derived, lp, solution, timings), tuple(warnings)
    outcome = optimize(data, options, timings,
                       compiled=lambda lp: _log_ranges(lp, request.input_path))
    if outcome.solution.printed:  # HiGHS's log is closed with its instance: append
        with highs_log.open("a", encoding="utf-8") as text:
            text.write("\n--- printed by the solver itself ---\n" + outcome.solution.printed)
    return outcome, tuple(warnings)


def optimize(data: ModelData, options: SolverOptions, timings: dict[str, float],
             compiled: Callable[[CompiledLP], None]) -> Outcome:
    """:func:`optimizer.pipeline.optimize`, loaded when first called."""
    from optimizer.pipeline import optimize as solve_pipeline

    return solve_pipeline(data, options, timings, compiled=compiled)


def _log_ranges(lp: CompiledLP, input_path: Path) -> None:
    """The LP's numeric ranges, and the input cells behind their ends, into the log
    (:mod:`optimizer.solve.numerics`)."""
    from optimizer.solve.numerics import ranges
    from optimizer.workbook.problems import Problems
    from optimizer.workbook.reading import read_workbook

    raw = read_workbook(input_path, Problems())
    for found in ranges(lp, raw):
        log.info("%s", found.line(), extra=LOG_FILE_ONLY)


def _decomposed(request: RunRequest, data: ModelData,
                timings: dict[str, float]) -> tuple[Derived, CompiledLP, Solution]:
    """The node formulation's solution from an mpi-sppy engine: the extensive form's
    optimum, or progressive hedging's implementable policy (rank 0's) with its bounds.
    With PH, the node formulation is compiled (for the results' layout, never solved)
    only once PH has ended and its scenario models are freed, under the memory guard
    of writing the results without a solve; refused, rank 0 still takes the other
    ranks' pieces (and drops them), so that they end."""
    from optimizer.pipeline import prepare

    if request.engine == "mpisppy-ef":
        from optimizer.solve.mpisppy import solve_extensive_form

        derived, lp = prepare(data, timings)
        return derived, lp, solve_extensive_form(data, lp.layout, derived.tree)
    from optimizer.solve.hedging import HedgingOptions, progressive_hedging

    hedged = progressive_hedging(data, request.hedging or HedgingOptions())
    try:
        derived, lp = prepare(data, timings, results_only=True)
    except NotEnoughMemoryError:
        hedged.drop()
        raise
    solution = hedged.solution(lp.layout, lp.size[1])
    if solution is None:
        raise RuntimeError("rank 0 received no policy")
    return derived, lp, solution


def follow(input_path: Path, hedging: HedgingOptions) -> None:
    """A rank other than 0 of ``mpiexec -n K optimizer run ... --engine mpisppy-ph``: read
    the input, solve its share of PH's scenarios and send its pieces of the policy to
    rank 0, which writes the results; never builds the node formulation."""
    from optimizer.solve.hedging import progressive_hedging
    from optimizer.workbook.validation import load

    data, _ = load(input_path)
    progressive_hedging(data, hedging).solution(None)


def _write_results(outcome: Outcome, request: RunRequest, output: Path, started: float,
                   input_name: Path | None = None,
                   warnings: tuple[Problem, ...] = ()) -> Results:
    from optimizer.report import parquet, xlsx
    from optimizer.results import Provenance, collect
    from optimizer.solve.highs import SolverOptions

    settings = outcome.data.settings
    # the extra solves (value of information, policy comparison) use the run's own options
    extra_solves = SolverOptions(time_limit_s=settings.time_limit_s, threads=settings.threads,
                                 extra=request.solver_options)
    information = None
    if request.value_of_information:
        from optimizer.results.information import value_of_information

        with timed(outcome.timings, "value of information"):
            information = value_of_information(outcome, extra_solves)
    policy = None
    if request.compare_policy:
        from optimizer.sweep.policy import compare_policy, policy_sheet

        with timed(outcome.timings, "policy"):
            compared = compare_policy(outcome, extra_solves)
            policy = policy_sheet(compared, [m.mineral for m in outcome.data.minerals])
    folder = parquet.detail_folder(output)
    with timed(outcome.timings, "extract"):
        results = collect(
            outcome,
            Provenance(input_name or request.input_path, file_sha256(request.input_path),
                       time.perf_counter() - started, folder.name, warnings),
            information,
            detail_requested=request.detail,
            policy=policy,
        )
    with timed(outcome.timings, "write"), contextlib.ExitStack() as stack:
        if results.writes_detail:
            parquet.write(results, folder)
            log.info("complete detail tables written to %s", folder)
            stack.enter_context(stopping.held())  # the new detail: its workbook follows
        xlsx.write(results.workbook(), output, input_path=request.input_path,
                   forms={name: form.sheet for name, form in results.forms.items()})
    for name, form in results.forms.items():
        if form.reduced:
            log.info("%s: %s", name, form.note)
    log.info("results written to %s", output, extra=LOG_FILE_ONLY)
    return results


def _write_pdf(results: Results, output: Path, timings: dict[str, float],
               capture: _Capture) -> RunResult:
    """The sheets a person reads as a PDF beside the results; a failure is reported,
    not raised."""
    from optimizer.report.pdf import PdfError, pdf_path, printed, to_pdf

    try:
        with timed(timings, "pdf"):
            pdf, left_out = printed(results, pdf_path(output), to_pdf)
    except (PdfError, OSError) as problem:  # LibreOffice missing, failing, or no disk
        message = f"No PDF written: {problem}. The results workbook is complete."
        capture.lines.append(message)  # the command line says it too: not logged twice
        return RunResult(output, pdf_problem=message)
    log.info("PDF written to %s", pdf)
    if left_out:
        log.info("the PDF leaves out %s: they are in the workbook", left_out)
    return RunResult(output, pdf, pdf_left_out=left_out)


def _write_log(output: Path, capture: _Capture, highs_log: Path | None) -> None:
    _write_log_to(log_path(output), capture, highs_log)


def _write_log_to(path: Path, capture: _Capture, highs_log: Path | None) -> None:
    highs_text = highs_log.read_text(encoding="utf-8", errors="replace") \
        if highs_log is not None and highs_log.exists() else ""
    text = "\n".join(capture.lines) + "\n\n--- HiGHS log ---\n" + highs_text
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
