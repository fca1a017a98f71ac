"""Logging for the daemons: one line per event, readable in `journalctl -u antrian-*`."""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime

#: ISO 8601 with the UTC offset, so a technician comparing a log line with a ticket
#: ("10.40 WIB") sees at once which zone the line is in: 2026-11-28T10:40:18+0700.
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


class LocalTimeFormatter(logging.Formatter):
    """Timestamps in the local time of the process (the `TZ` environment variable, which
    the units take from the office's `[office] timezone`, see `antrian firstboot`), always
    with their offset."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created).astimezone()
        return moment.strftime(datefmt or TIME_FORMAT)


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr; under systemd, journald adds the time, so we leave it out there."""
    under_journal = bool(os.environ.get("JOURNAL_STREAM"))
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not under_journal:
        fmt = "%(asctime)s " + fmt
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LocalTimeFormatter(fmt))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # paho logs every packet at DEBUG; its warnings are enough.
    logging.getLogger("paho").setLevel(logging.WARNING)
