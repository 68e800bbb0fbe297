"""What the terminal shows of a run's log records.

Every record of the package goes to the run's log file (``optimizer.run``); a few are
for that file only: detail a planner reads when something looks wrong (the LP's numeric
ranges) or that the command line already says in its own words (where the results
went). They carry ``extra=LOG_FILE_ONLY`` and every terminal handler drops them.
"""

from __future__ import annotations

import logging

LOG_FILE_ONLY = {"log_file_only": True}


class ScreenFilter(logging.Filter):
    """Drops the records meant for the log file only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "log_file_only", False)


def for_the_screen(handler: logging.Handler) -> logging.Handler:
    """``handler`` with the records for the log file only filtered out."""
    handler.addFilter(ScreenFilter())
    return handler
