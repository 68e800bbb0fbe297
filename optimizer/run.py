"""``optimizer run``: workbook in, results workbook and log out (MODEL.md §9, §10).

    read -> validate -> derive -> build -> compile -> solve -> extract -> write [-> pdf]

Each stage is timed into the log. Bad input stops before anything is written; a
model without an optimal solution writes the log but never replaces the results;
the results are written to a temporary file and renamed into place. A PDF of them,
when asked for, is extra: without LibreOffice, or when it fails, the run still
succeeds with its results, and says why there is no PDF.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from optimizer.explain import not_solved_message
from optimizer.files import file_sha256, replacing
from optimizer.pipeline import Outcome, optimize
from optimizer.problems import NotSolvedError
from optimizer.solve import SolverOptions, names, write_mps
from optimizer.timing import timed
from optimizer.validation import load

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


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run wrote."""

    results: Path
    pdf: Path | None = None  # when asked for and written
    pdf_problem: str = ""  # why no PDF was written, when one was asked for


def default_output(input_path: Path) -> Path:
    """``reports/<input name>_results.xlsx``."""
    return Path("reports") / f"{input_path.stem}_results.xlsx"


def log_path(output_path: Path) -> Path:
    """The log beside the results: ``<results name>.log``."""
    return output_path.with_suffix(".log")


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

    Raises :class:`~optimizer.problems.InputError` or
    :class:`~optimizer.problems.NotAWorkbookError` on bad input (nothing written),
    :class:`NotSolvedError` when there is no optimal plan (only the log is written).
    """
    started = time.perf_counter()
    output = request.output_path or default_output(request.input_path)
    capture = _Capture()
    package_log = logging.getLogger("optimizer")
    level = package_log.level
    package_log.setLevel(logging.INFO)  # the log file always gets the stages
    package_log.addHandler(capture)
    highs_log = Path(tempfile.mkstemp(prefix="highs-", suffix=".log")[1])
    try:
        outcome = _solve(request, highs_log)
        if request.write_model is not None:
            write_mps(outcome.lp, request.write_model, names(outcome.lp.layout))
            log.info("model written to %s", request.write_model)
        if not outcome.optimal:
            message = not_solved_message(outcome.derived, outcome.lp, outcome.solution)
            capture.lines.append(message)  # the command line says it too: not logged twice
            _write_log(output, capture, highs_log)
            raise NotSolvedError(message)
        _write_results(outcome, request, output, started)
        done = _write_pdf(output, outcome.timings, capture) if request.pdf else RunResult(output)
        _write_log(output, capture, highs_log)
        return done
    finally:
        package_log.removeHandler(capture)
        package_log.setLevel(level)
        highs_log.unlink(missing_ok=True)


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
    )
    if request.time_limit_s is not None or request.threads is not None:
        data = replace(data, settings=replace(
            settings, time_limit_s=options.time_limit_s, threads=options.threads
        ))
    return optimize(data, options, timings)


def _write_results(outcome: Outcome, request: RunRequest, output: Path, started: float) -> None:
    from optimizer.report import parquet, xlsx
    from optimizer.results import Provenance, collect

    information = None
    if request.value_of_information:
        from optimizer.results.information import value_of_information

        with timed(outcome.timings, "value of information"):
            information = value_of_information(outcome)
    folder = parquet.detail_folder(output)
    with timed(outcome.timings, "extract"):
        results = collect(
            outcome,
            Provenance(request.input_path, file_sha256(request.input_path),
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


def _write_pdf(output: Path, timings: dict[str, float], capture: _Capture) -> RunResult:
    """The results as a PDF beside them; a failure is reported, not raised."""
    from optimizer.report.pdf import PdfError, pdf_path, to_pdf

    try:
        with timed(timings, "pdf"):
            pdf = to_pdf(output, pdf_path(output))
    except (PdfError, OSError) as problem:  # LibreOffice missing, failing, or no disk
        message = f"No PDF written: {problem}. The results workbook is complete."
        capture.lines.append(message)  # the command line says it too: not logged twice
        return RunResult(output, pdf_problem=message)
    log.info("PDF written to %s", pdf)
    return RunResult(output, pdf)


def _write_log(output: Path, capture: _Capture, highs_log: Path) -> None:
    highs_text = highs_log.read_text(encoding="utf-8", errors="replace") if highs_log.exists() \
        else ""
    text = "\n".join(capture.lines) + "\n\n--- HiGHS log ---\n" + highs_text
    with replacing(log_path(output)) as temporary:
        temporary.write_text(text, encoding="utf-8")
