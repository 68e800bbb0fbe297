"""Timing the stages of a run into one dictionary, and into the log."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Time a stage into ``timings[stage]`` (seconds) and log it."""
    started = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - started
    log.info("%-8s %8.3f s", stage, timings[stage])
