"""Stopping a run on SIGINT or SIGTERM, at the next safe point, with one line.

The command installs :func:`stoppable` for the run. The first SIGINT or SIGTERM is
only recorded, with the stage it came in (read, validate, …, solve, write); the run
stops at its next safe point by raising :class:`StoppedError` (once), so every
``finally`` runs, every temporary file is removed and the log is written. The safe
points are the start of the run (``start-up``) and of each stage
(:mod:`optimizer.timing`), the long steps of extracting the results, each sheet of the
results workbook and each Parquet table, the moment before a file is renamed into
place, and, during the solve, HiGHS's own interrupt callbacks (:func:`interrupting`):
HiGHS stops at its next iteration. Within :func:`held` (files that must change
together) no safe point stops. A second signal ends the process as the signal does
by default.

Test hook: the environment variable ``OPTIMIZER_PAUSE_AT=<safe point>`` (a stage
name, or ``write-sheet``) makes the run print ``paused at <point>`` to standard error
and wait there, up to :data:`PAUSE_S` seconds or until a signal comes, so that tests
can send signals at known moments. It is not meant for anything else.

The same safe points enforce the run's deadline (:func:`set_deadline`): a run whose
time runs out before the solve raises :class:`DeadlinePassedError`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

from optimizer.timing import listening

PAUSE_VARIABLE = "OPTIMIZER_PAUSE_AT"
PAUSE_S = 60.0
SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
SOLVE_STAGE = "solve"  # its safe points are HiGHS's callbacks


class StoppedError(Exception):
    """The run was stopped by a signal; :attr:`exit_status` is 128 + its number."""

    def __init__(self, signal_number: int, stage: str, results_written: bool) -> None:
        self.signal_number = signal_number
        self.stage = stage
        self.results_written = results_written
        name = signal.Signals(signal_number).name
        kept = "its results and their log were written" if results_written \
            else "earlier results kept"
        super().__init__(f"stopped by {name} during {stage}; {kept}")

    @property
    def exit_status(self) -> int:
        return 128 + self.signal_number


class DeadlinePassedError(Exception):
    """The run's time limit passed before the solve started."""


@dataclass(slots=True)
class _Run:
    stage: str = "start-up"
    signal_number: int | None = None
    stage_at_signal: str = "start-up"
    results_written: bool = False
    deadline: float | None = None  # time.monotonic()
    limit_s: float = 0.0
    paused: bool = False
    raised: bool = False  # the stop is raised once; the run then unwinds undisturbed
    held: int = 0  # inside held(): safe points do not stop


_run: _Run | None = None


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """SIGINT and SIGTERM recorded while the block runs, and the stages followed for
    the safe points. Only the main thread can take signals; elsewhere the block
    runs with the safe points alone (the deadline, the pause)."""
    global _run
    previous_run, _run = _run, _Run()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for number in SIGNALS:
            previous[number] = signal.signal(number, _record)
    try:
        with listening(_at_stage):
            yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _run = previous_run


def _record(number: int, frame: FrameType | None) -> None:
    """The signal handler: the first signal is recorded, a second acts as by default."""
    del frame
    run = _run
    if run is None or run.signal_number is not None:
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        return
    run.signal_number = number
    run.stage_at_signal = run.stage


def _at_stage(stage: str, seconds: float | None) -> None:
    """The stage listener: a stage's start is a safe point (the solve's are HiGHS's)."""
    if seconds is not None or _run is None:
        return
    _run.stage = stage
    if stage == SOLVE_STAGE:
        pause(stage)
        check_deadline()
        _run.deadline = None  # the solve has its own limit; what follows has none
    else:
        safe_point(stage)


def safe_point(name: str) -> None:
    """Where the run may stop: raises :class:`StoppedError` after a signal and
    :class:`DeadlinePassedError` past the deadline (before the solve). ``name`` is
    the point's name for the test hook."""
    pause(name)
    checkpoint()
    check_deadline()


def checkpoint() -> None:
    """Raise :class:`StoppedError` if a signal came (no-op outside :func:`stoppable`,
    and once raised)."""
    run = _run
    if run is not None and run.signal_number is not None and not run.raised \
            and not run.held:
        run.raised = True
        raise StoppedError(run.signal_number, run.stage_at_signal, run.results_written)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """No stop while the block runs (files that must change together); a signal that
    came meanwhile stops the run at the first safe point after it."""
    run = _run
    if run is None:
        yield
        return
    run.held += 1
    try:
        yield
    finally:
        run.held -= 1


def requested() -> bool:
    """Whether a signal asked the run to stop."""
    return _run is not None and _run.signal_number is not None


def results_written() -> None:
    """The new results are in place: a later stop says so, and no longer stops before
    the log is written."""
    if _run is not None:
        _run.results_written = True


def set_deadline(deadline: float | None, limit_s: float) -> None:
    """The run's deadline (``time.monotonic()``) and the limit it came from."""
    if _run is not None:
        _run.deadline, _run.limit_s = deadline, limit_s


def check_deadline() -> None:
    """Raise :class:`DeadlinePassedError` when the deadline set has passed (stages
    after the solve are not limited)."""
    run = _run
    if run is None or run.deadline is None or time.monotonic() < run.deadline:
        return
    raise DeadlinePassedError(
        f"The time limit of {run.limit_s:g} s ran out during {run.stage}, before the solve "
        "started; allow more time (--time-limit) and run again.")


def interrupting(highs: Any) -> None:
    """Stop ``highs`` through its own interrupt callbacks (simplex, interior point,
    MIP) once a signal has come."""

    def interrupt(event: Any) -> None:
        if requested():
            event.interrupt()

    highs.cbSimplexInterrupt.subscribe(interrupt)
    highs.cbIpmInterrupt.subscribe(interrupt)
    highs.cbMipInterrupt.subscribe(interrupt)


def pause(name: str) -> None:
    """The test hook: wait at the first safe point named by ``OPTIMIZER_PAUSE_AT``
    until a signal comes (or :data:`PAUSE_S` seconds pass)."""
    run = _run
    if run is None or run.paused or os.environ.get(PAUSE_VARIABLE) != name:
        return
    run.paused = True
    sys.stderr.write(f"paused at {name}\n")
    sys.stderr.flush()
    until = time.monotonic() + PAUSE_S
    while not requested() and time.monotonic() < until:
        time.sleep(0.02)
