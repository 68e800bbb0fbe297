"""Where a long run is, on the terminal: the stage, its elapsed time and, during the
solve, HiGHS's iterations and objective (``optimizer run``; ``--quiet`` silences it).

Drawn with rich on a terminal: one live line that redraws itself, the finished stages
printed above it as they end. Off a terminal (a pipe, a log file, CI) nothing is drawn
and the stages are logged line by line as before. The run's log file keeps the stage
timings either way (:mod:`optimizer.timing`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.logging import RichHandler
from rich.text import Text

from optimizer.screen import for_the_screen
from optimizer.timing import listening


@dataclass
class _Line:
    """The live line: what runs now, since when, and the solver's last report."""

    stage: str = "starting"
    since: float = field(default_factory=time.perf_counter)
    started: float = field(default_factory=time.perf_counter)
    solver: str = ""

    def __rich__(self) -> Text:
        now = time.perf_counter()
        text = Text.assemble((f"{self.stage}", "bold cyan"), f"  {now - self.since:6.1f} s")
        if self.solver:
            text.append(f"  {self.solver}", style="dim")
        text.append(f"   (run {now - self.started:.0f} s)", style="dim")
        return text


class Progress:
    """Listens to the stages and the solver, and keeps the live line up to date."""

    def __init__(self, line: _Line) -> None:
        self.line = line

    def stage(self, stage: str, seconds: float | None) -> None:
        if seconds is None:
            self.line.stage, self.line.since, self.line.solver = stage, time.perf_counter(), ""

    def solver(self, iterations: int, objective: float) -> None:
        shown = f", objective {objective:,.6g}" if math.isfinite(objective) else ""
        self.line.solver = f"{iterations:,} iterations{shown}"


@contextmanager
def on_terminal(enabled: bool) -> Iterator[Progress | None]:
    """A progress display while the block runs, when ``enabled`` and standard error is
    a terminal; else ``None`` and nothing changes."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield None
        return
    handler = for_the_screen(RichHandler(console=console, show_time=False, show_path=False,
                                         show_level=False, markup=False))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = [handler]  # log lines go above the live line, not through it
    line = _Line()
    progress = Progress(line)
    try:
        with Live(line, console=console, refresh_per_second=4, transient=True), \
                listening(progress.stage):
            yield progress
    finally:
        root.handlers = saved
