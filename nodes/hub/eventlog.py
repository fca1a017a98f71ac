"""The hub's event log, read: the one reader of the `events` table.

The store (`nodes/hub/store.py`) writes the log; everything that reads it comes through
here and gets the typed events of `nodes/hub/events.py`, the classes the queue applies:

- the hub's replay on start (`replay`, on the store's own connection: what today needs);
- the web node's live model (`EventLog.day`, `EventLog.ticket`), the reports
  (`EventLog.days`) and the regional uplink (`EventLog.since`, rows as stored), through a
  read-only connection (`mode=ro`), so that no bug there can change the queue's history;
  SQLite's WAL lets them read while the hub writes.

Every connection checks the schema version (`PRAGMA user_version`) first: a database of
another version is refused with `SchemaMismatch`, never misread. A row that does not
decode (a hand-edited or damaged log) is left out by the read-only readers with one
warning per read; the replay lets it raise, since the queue must be exact or not start.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nodes.hub.events import Event, Logged, TicketCalled, from_row
from nodes.hub.office import Office
from nodes.hub.queue import RECENT_CALLS

log = logging.getLogger(__name__)

#: The layout of the hub's tables (store.py's schema); the store stamps it on the file.
SCHEMA_VERSION = 2

_SELECT = "SELECT seq, at, day, kind, ticket_id, service, counter, data FROM events"


class SchemaMismatch(sqlite3.DatabaseError):
    """The database was written by another version of the hub's schema."""

    def __init__(self, path: Path, found: int) -> None:
        super().__init__(
            f"the hub database {path} has schema version {found}, but this antrian reads"
            f" version {SCHEMA_VERSION}: install the antrian release that wrote it"
            if found
            else f"{path} is not a hub database (no schema version)"
        )
        self.found = found


def check_schema(db: sqlite3.Connection, path: Path, *, older: bool = False) -> None:
    """Refuse a database of another schema version; `older` (the store, which migrates
    them) lets an empty one (0) and an older one pass."""
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found != SCHEMA_VERSION and not (older and found < SCHEMA_VERSION):
        raise SchemaMismatch(path, found)


#: A day's events: a range of seq from where the day begins (`days`), checked by `day`
#: too (a clock set back can write a day's events again further on).
_DAY_FROM = "seq >= coalesce((SELECT first_seq FROM days WHERE day = ?), 1 << 62)"


def _decode(row: tuple[Any, ...]) -> Logged:
    seq, at, day, kind, ticket_id, service, counter, data = row
    return Logged(seq, from_row(kind, at, day, ticket_id, service, counter, data))


def replay(
    db: sqlite3.Connection, office: Office, today: date
) -> tuple[list[Event], list[TicketCalled]]:
    """What a hub starting on `today` applies, in log order: each counter's and service's
    latest status, the whole history of every ticket still open from an earlier day, and
    all of today's events; then the log's latest calls (oldest first) for "recent calls".

    Events of a counter or service removed from the config since are left out: their
    history stays in the log for reports, but the live queue no longer has them.
    """
    day = today.isoformat()
    # Literal kinds: the partial indexes `events_*_status` serve only those.
    status = "SELECT max(seq) FROM events WHERE kind = '{0}_status' AND {0} = ?"
    latest = [(status.format("counter"), c.id) for c in office.counters]
    latest += [(status.format("service"), s.id) for s in office.services]
    found = tuple(r[0] for sql, key in latest for r in db.execute(sql, (key,)) if r[0] is not None)
    marks = ",".join("?" * len(found))
    rows = {r[0]: r for r in db.execute(f"{_SELECT} WHERE seq IN ({marks})", found)}
    open_before = (
        " WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE day < ?"
        " AND state IN ('waiting', 'called', 'serving'))"
    )
    rows.update((r[0], r) for r in db.execute(_SELECT + open_before, (day,)))
    today_sql = f"{_SELECT} WHERE {_DAY_FROM} AND day = ?"
    rows.update((r[0], r) for r in db.execute(today_sql, (day, day)))
    # `+kind`: walk the log backwards by seq instead of using an index on kind.
    calls = db.execute(
        f"{_SELECT} WHERE +kind = 'ticket_called' ORDER BY seq DESC LIMIT ?", (RECENT_CALLS,)
    ).fetchall()
    counters, services = {c.id for c in office.counters}, {s.id for s in office.services}
    needed = [
        row for _, row in sorted(rows.items())
        if (row[6] is None or row[6] in counters) and (row[5] is None or row[5] in services)
    ]  # fmt: skip
    recent = [_decode(r).event for r in reversed(calls)]
    return [_decode(r).event for r in needed], [e for e in recent if isinstance(e, TicketCalled)]


class EventLog:
    """The log through a read-only connection; safe to call from several threads.

    FileNotFoundError without a database, `SchemaMismatch` (an sqlite3.Error) for one of
    another version, other sqlite3.Error when it cannot be read: the caller decides.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        path = self.path.resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no hub database at {path}")
        uri = f"file:{quote(str(path))}?mode=ro"
        db = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=2.0)
        try:
            check_schema(db, path)
        except BaseException:
            db.close()
            raise
        return db

    def _rows(self, sql: str, args: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                if self._db is None:
                    self._db = self._connect()
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error:
                self._close()  # the next read opens (and checks) the file afresh
                raise

    def _read(self, where: str, args: tuple[object, ...]) -> list[Logged]:
        rows = self._rows(f"{_SELECT} {where}", args)
        bad: list[int] = []
        events = list(self._decoded(rows, bad))
        self._warn(bad)
        return events

    def day(self, day: date, after_seq: int = 0) -> list[Logged]:
        """One local day's events with seq above `after_seq`, in log order."""
        text = day.isoformat()
        return self._read(
            f"WHERE {_DAY_FROM} AND day = ? AND seq > ? ORDER BY seq", (text, text, after_seq)
        )

    def since(self, seq: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to `limit` rows with seq above `seq`, in log order, as the store wrote them
        (`data` decoded): the events the regional uplink sends. And the last seq read, which
        is past a row left out because its `data` is not a JSON object, so that the next
        read does not stop there.
        A range of the INTEGER PRIMARY KEY: as fast at the millionth event as at the first.
        """
        rows = self._rows(f"{_SELECT} WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        out: list[dict[str, Any]] = []
        bad: list[int] = []
        for number, at, day, kind, ticket_id, service, counter, data in rows:
            try:
                values = json.loads(data)
            except (ValueError, TypeError):
                values = None
            if not isinstance(values, dict):
                bad.append(number)
                continue
            out.append({"seq": number, "at": at, "day": day, "kind": kind,
                        "ticket_id": ticket_id, "service": service, "counter": counter,
                        "data": values})  # fmt: skip
        self._warn(bad)
        return out, rows[-1][0] if rows else seq

    def last_seq(self) -> int:
        """The seq of the log's latest event (0 for an empty log)."""
        return int(self._rows("SELECT coalesce(max(seq), 0) FROM events", ())[0][0])

    def ticket(self, ticket_id: str) -> list[Logged]:
        """Every event of one ticket, in log order (a ticket of another day)."""
        return self._read("WHERE ticket_id = ? ORDER BY seq", (ticket_id,))

    def days(
        self, first: date = date.min, last: date = date.max, skip: Iterable[str] = ()
    ) -> Iterator[Logged]:
        """The events of the days first..last in log order, streamed; kinds in `skip`
        are not even fetched.

        A range of seq from where `first` (or the next day logged) begins to the end of the
        log, filtered by day: no index on day to keep up at every ticket, and nothing to
        sort. Log order is day order unless the clock was set back across midnight; no
        report figure links two days. A connection of its own: a year of history is read
        in batches, never held in memory, while the hub keeps writing.
        """
        kinds = sorted(set(skip))
        where = f" AND kind NOT IN ({','.join('?' * len(kinds))})" if kinds else ""
        db = self._connect()
        bad: list[int] = []
        try:
            cursor = db.execute(
                f"{_SELECT} WHERE seq >= (SELECT coalesce(min(first_seq), 1 << 62) FROM days"
                f" WHERE day BETWEEN ?1 AND ?2) AND day BETWEEN ?1 AND ?2{where} ORDER BY seq",
                (first.isoformat(), last.isoformat(), *kinds),
            )
            cursor.arraysize = 2000
            while batch := cursor.fetchmany():
                yield from self._decoded(batch, bad)
        finally:
            db.close()
            self._warn(bad)

    @staticmethod
    def _decoded(rows: Iterable[tuple[Any, ...]], bad: list[int]) -> Iterator[Logged]:
        for row in rows:
            try:
                yield _decode(row)
            except (ValueError, TypeError, KeyError):
                bad.append(row[0])

    def _warn(self, bad: list[int]) -> None:
        if bad:
            log.warning("left out %d undecodable rows of the event log %s (seq %s)",
                        len(bad), self.path, ", ".join(map(str, bad[:5])))  # fmt: skip

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def close(self) -> None:
        with self._lock:
            self._close()
