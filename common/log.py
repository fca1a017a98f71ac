"""Logging for the daemons: one line per event, readable in `journalctl -u antrian-*`."""

from __future__ import annotations

import logging
import os
import sys


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr; under systemd, journald adds the time, so we leave it out there."""
    under_journal = bool(os.environ.get("JOURNAL_STREAM"))
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not under_journal:
        fmt = "%(asctime)s " + fmt
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr, force=True)
    # paho logs every packet at DEBUG; its warnings are enough.
    logging.getLogger("paho").setLevel(logging.WARNING)
