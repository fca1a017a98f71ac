"""The hub's event log, read-only: the rows the live model folds, and one ticket's history.

The database belongs to the hub. It is opened with SQLite's `mode=ro` URI so that no bug
here can ever write to it; a missing or locked file is logged and read as "no rows", so
the web pages keep working from the MQTT state alone.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import urllib.parse
from pathlib import Path

log = logging.getLogger(__name__)

#: (seq, at, kind, ticket_id, service, counter, data), as `LiveModel.apply_events` takes them.
EventRow = tuple[int, str, str, str | None, str | None, str | None, str]
_COLUMNS = "seq, at, kind, ticket_id, service, counter, data"


class EventLog:
    """Read-only access to the `events` table; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._uri = f"file:{urllib.parse.quote(str(path))}?mode=ro"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._warned = False

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self._uri, uri=True, check_same_thread=False, timeout=2.0)
            self._db.execute("PRAGMA query_only = ON")
        return self._db

    def _rows(self, sql: str, args: tuple[object, ...]) -> list[EventRow]:
        with self._lock:
            try:
                rows = self._connect().execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                if not self._warned:
                    log.warning("cannot read the hub's event log %s: %s", self.path, exc)
                    self._warned = True
                self.close_locked()
                return []
        self._warned = False
        return [
            (
                int(r[0]),
                str(r[1]),
                str(r[2]),
                r[3],
                r[4],
                r[5],
                r[6] if isinstance(r[6], str) else "",
            )
            for r in rows
        ]

    def day_since(self, day: str, after_seq: int) -> list[EventRow]:
        """Events of one local day (YYYY-MM-DD) with seq above `after_seq`, in order."""
        return self._rows(
            f"SELECT {_COLUMNS} FROM events WHERE day = ? AND seq > ? ORDER BY seq",
            (day, after_seq),
        )

    def ticket(self, ticket_id: str) -> list[EventRow]:
        """Every event of one ticket, in order (for tickets of another day)."""
        return self._rows(
            f"SELECT {_COLUMNS} FROM events WHERE ticket_id = ? ORDER BY seq", (ticket_id,)
        )

    def close_locked(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()
