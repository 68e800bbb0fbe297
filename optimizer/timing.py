"""Timing the stages of a run into one dictionary, into the log, and to whoever listens
(the command line's progress display)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

# Called with (stage, None) when a stage starts and (stage, seconds) when it ends.
StageListener = Callable[[str, float | None], None]
_listeners: list[StageListener] = []


@contextmanager
def listening(listener: StageListener) -> Iterator[None]:
    """Tell ``listener`` of every stage that starts or ends within the block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Time a stage into ``timings[stage]`` (seconds) and log it."""
    for listener in _listeners:
        listener(stage, None)
    started = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - started
    log.info("%-8s %8.3f s", stage, timings[stage])
    for listener in _listeners:
        listener(stage, timings[stage])
