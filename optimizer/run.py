"""``optimizer run``: workbook in, results workbook and log out (MODEL.md §9, §10).

    read -> validate -> derive -> build -> compile -> solve -> extract -> write [-> pdf]

Each stage is timed into the log. Bad input stops before anything is written; a
model without an optimal solution writes the log but never replaces the results;
the results are written to a temporary file and renamed into place. A PDF of them,
when asked for, is extra: without LibreOffice, or when it fails, the run still
succeeds with its results, and says why there is no PDF.
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

from optimizer.files import file_sha256, replacing
from optimizer.pipeline import Outcome, optimize, prepare
from optimizer.solve.explain import not_solved_message
from optimizer.solve.highs import SolverOptions, names, write_mps
from optimizer.timing import timed
from optimizer.workbook.problems import (
    FilesRefusedError,
    InputError,
    KeptSolutionError,
    NotAWorkbookError,
    NotSolvedError,
    ResultsNotWrittenError,
)
from optimizer.workbook.validation import load

if TYPE_CHECKING:
    from optimizer.data import ModelData
    from optimizer.model.derive import Derived
    from optimizer.results import Results
    from optimizer.solve.hedging import HedgingOptions
    from optimizer.solve.highs import CompiledLP, Solution

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
    pdf: bool = False  # also the results as a PDF, through LibreOffice (optimizer.report.pdf)
    detail: bool = False  # the Parquet detail even when every detail sheet fits
    engine: str = "highs"  # or mpisppy-ef (optimizer.solve.mpisppy), mpisppy-ph
    hedging: HedgingOptions | None = None  # mpisppy-ph's (optimizer.solve.hedging)
    # other HiGHS options, (name, value), checked by optimizer.solve.options
    solver_options: tuple[tuple[str, str], ...] = ()
    # told (iterations, objective) now and then during the solve (the progress display)
    on_solver: Callable[[int, float], None] | None = None


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
    to folders that exist and can be written; the
    results, the log, the model file and the detail folder may be neither the input nor
    each other; an existing file at the log's name is replaced only when a run wrote it.
    """
    from optimizer.files import same_file
    from optimizer.report.parquet import detail_folder

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
    capture.lines.append("the run stopped on an unexpected error:\n" + "".join(
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


def run(request: RunRequest) -> RunResult:
    """Carry out one run; returns what it wrote.

    Raises :class:`~optimizer.workbook.problems.InputError` or
    :class:`~optimizer.workbook.problems.NotAWorkbookError` on bad input (nothing written),
    :class:`NotSolvedError` when there is no optimal plan (only ``<results>.failed.log``
    is written); any other error writes ``<results>.failed.log`` with its traceback.
    """
    started = time.perf_counter()
    output = request.output_path or default_output(request.input_path)
    check_files(request, output)
    highs_log = Path(tempfile.mkstemp(prefix="highs-", suffix=".log")[1])
    try:
        with _capturing() as capture:
            try:
                outcome = _solve(request, highs_log)
                if request.write_model is not None:
                    write_mps(outcome.lp, request.write_model, names(outcome.lp.layout))
                    log.info("model written to %s", request.write_model)
            except (InputError, NotAWorkbookError):
                raise  # bad input: the command line says all, nothing is written
            except Exception as error:
                _log_failure(output, capture, highs_log, error)
                raise
            if not outcome.optimal:
                message = not_solved_message(outcome.derived, outcome.lp, outcome.solution)
                capture.lines.append(message)  # the command line says it too, not logged
                _write_log_to(failed_log_path(output), capture, highs_log)
                raise NotSolvedError(message)
            return _deliver(outcome, request, output, started, capture, highs_log)
    finally:
        highs_log.unlink(missing_ok=True)


def report(folder: Path, request: RunRequest) -> RunResult:
    """Write the results of a solution kept by a run whose results could not be
    written (``optimizer report FOLDER``), without solving again.

    ``request.input_path`` is ignored: the input is the copy kept in ``folder``.
    Raises :class:`~optimizer.workbook.problems.KeptSolutionError` for a folder that
    holds no kept solution, or one that does not match the LP its input gives.
    """
    from optimizer.report.solution import read

    started = time.perf_counter()
    kept = read(folder)
    original = Path(str(kept.meta.get("input_file", kept.input_path)))
    output = request.output_path or default_output(original)
    with _capturing() as capture:
        timings: dict[str, float] = {}
        if file_sha256(kept.input_path) != kept.meta.get("input_sha256"):
            raise KeptSolutionError(f"{folder}: its {kept.input_path.name} is not the input "
                                    "the solution was found for (SHA-256 differs)")
        data, _ = load(kept.input_path, timings)
        derived, lp = prepare(data, timings)
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
                        input_name=original)


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
             input_name: Path | None = None) -> RunResult:
    """Write the results of an optimal outcome, the PDF when asked for, and the log.

    Should anything fail after the solve, the solution is kept (see
    :mod:`optimizer.report.solution`), the log says what failed and where the solution
    is, and :class:`ResultsNotWrittenError` says it in one line.
    """
    try:
        results = _write_results(outcome, request, output, started, input_name)
        done = _write_pdf(results, output, outcome.timings, capture) if request.pdf \
            else RunResult(output)
    except Exception as error:  # whatever failed, the solve is not lost
        raise _keep(outcome, request, output, error, capture, highs_log,
                    input_name) from error
    _write_log(output, capture, highs_log)
    failed_log_path(output).unlink(missing_ok=True)  # the failure it told of is past
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


def _solve(request: RunRequest, highs_log: Path) -> Outcome:
    timings: dict[str, float] = {}
    data, warnings = load(request.input_path, timings)
    for warning in warnings:
        log.warning("%s", warning)
    settings = data.settings
    options = SolverOptions(
        time_limit_s=request.time_limit_s if request.time_limit_s is not None
        else settings.time_limit_s,
        threads=request.threads if request.threads is not None else settings.threads,
        log_file=highs_log,
        ranging=True,  # the sensitivity sheet's ranges
        progress=request.on_solver,
        extra=request.solver_options,
    )
    if request.solver_options:
        log.info("HiGHS options: %s", ", ".join(f"{k}={v}" for k, v in request.solver_options))
    if request.time_limit_s is not None or request.threads is not None:
        data = replace(data, settings=replace(
            settings, time_limit_s=options.time_limit_s, threads=options.threads
        ))
    if request.engine != "highs":
        derived, lp = prepare(data, timings)
        with timed(timings, "solve"):
            solution = _decomposed(request, data, lp, derived,
                                   replace(options, ranging=False, progress=None))
        log.info("marginal prices and the sensitivity sheet's duals are blank: the "
                 "%s engine gives no duals of the node formulation", request.engine)
        return Outcome(data, derived, lp, solution, timings)
    outcome = optimize(data, options, timings)
    if outcome.solution.printed:  # HiGHS's log is closed with its instance: append
        with highs_log.open("a", encoding="utf-8") as text:
            text.write("\n--- printed by the solver itself ---\n" + outcome.solution.printed)
    return outcome


def _decomposed(request: RunRequest, data: ModelData, lp: CompiledLP, derived: Derived,
                options: SolverOptions) -> Solution:
    """The node formulation's solution from an mpi-sppy engine: the extensive form's
    optimum, or progressive hedging's implementable solution (rank 0's) with its
    bounds; ``options`` are HiGHS's for PH's upper bound."""
    if request.engine == "mpisppy-ef":
        from optimizer.solve.mpisppy import solve_extensive_form

        return solve_extensive_form(data, lp.layout, derived.tree)
    from optimizer.solve.hedging import HedgingOptions, progressive_hedging

    solution = progressive_hedging(data, lp, request.hedging or HedgingOptions(), options)
    if solution is None:
        raise RuntimeError("progressive hedging found no implementable solution: the node "
                           "formulation with the first stage at PH's average never ended "
                           "optimal (see HiGHS's log)")
    return solution


def follow(input_path: Path, hedging: HedgingOptions) -> None:
    """A rank other than 0 of ``mpiexec -n K optimizer run ... --engine mpisppy-ph``: read
    the input and solve its share of PH's scenarios; rank 0 writes the results."""
    from optimizer.solve.hedging import progressive_hedging

    data, _ = load(input_path)
    _, lp = prepare(data)
    progressive_hedging(data, lp, hedging)


def _write_results(outcome: Outcome, request: RunRequest, output: Path, started: float,
                   input_name: Path | None = None) -> Results:
    from optimizer.report import parquet, xlsx
    from optimizer.results import Provenance, collect

    information = None
    if request.value_of_information:
        from optimizer.results.information import value_of_information

        settings = outcome.data.settings
        with timed(outcome.timings, "value of information"):
            information = value_of_information(outcome, SolverOptions(
                time_limit_s=settings.time_limit_s, threads=settings.threads,
                extra=request.solver_options))
    folder = parquet.detail_folder(output)
    with timed(outcome.timings, "extract"):
        results = collect(
            outcome,
            Provenance(input_name or request.input_path, file_sha256(request.input_path),
                       time.perf_counter() - started, folder.name),
            information,
            detail_requested=request.detail,
        )
    with timed(outcome.timings, "write"):
        if results.writes_detail:
            parquet.write(results, folder)
            log.info("complete detail tables written to %s", folder)
        xlsx.write(results.workbook(), output, input_path=request.input_path,
                   forms={name: form.sheet for name, form in results.forms.items()})
    for name, form in results.forms.items():
        if form.reduced:
            log.info("%s: %s", name, form.note)
    log.info("results written to %s", output)
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
