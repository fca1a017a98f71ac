"""A failure that may repeat every second or every request, logged for a technician:
in full the first time, counted after that, and summarised in one line when it ends.

The housekeeping thread retries a failed day rollover every second, and a broken database
fails every request: one traceback per attempt would bury the journal (32 MB in RAM)
and everything else in it within the hour.
"""

from __future__ import annotations

import logging


class FailureStreak:
    """Consecutive failures of one operation (`what`, e.g. "commit of day rollover")."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self.count = 0

    def failed(self, advice: str, exc: BaseException | None = None) -> None:
        """Call from an `except` block (or pass the exception caught): the first failure
        of a streak is logged with its traceback, the others only counted."""
        self.count += 1
        if self.count == 1:
            self.log.error(
                "%s failed; %s (repeats are counted, not logged)",
                self.what,
                advice,
                exc_info=exc if exc is not None else True,
            )

    def succeeded(self) -> None:
        if self.count:
            self.log.info("%s works again after %d failed attempts", self.what, self.count)
            self.count = 0
