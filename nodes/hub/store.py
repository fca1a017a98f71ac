"""The hub's durable memory: an SQLite event log, the `tickets` table derived from it, and
the idempotency record (node + transaction -> the answer given).

A ticket exists once its event is committed: `commit` writes the events, the projection
and the answer in ONE SQLite transaction, in WAL mode with synchronous=FULL, so when it
returns the ticket survives a power cut, and a crash in the middle leaves nothing
half-written. The daemon answers the kiosk only after `commit` returns.

On start, `load` rebuilds the in-memory `Queue` by replaying only what today needs (today's
events, the histories of tickets still open from earlier days, each counter's and
service's latest status), found through indexes, so a year of history loads as fast as a
day.

Schema version 3 (`nodes/hub/eventlog.py` reads it, and checks its version; a version 1
or 2 database is migrated in place when the hub opens it, in one transaction):
    events(seq, at, day, kind, ticket_id, service, counter, data JSON)
    days(day PK, first_seq) WITHOUT ROWID: where each day begins in the log
    tickets(ticket_id PK, day, number, service, priority, state, issued_at, first_issued_at,
            called_at, finished_at, counter, node, online, last_seq)
        issued_at = when it joined its current service's line (issue or last transfer),
        first_issued_at = its original issue time (its place in line),
        called_at = first call in the current service, finished_at = reached a final state,
        last_seq = the seq of its latest event: its events lie between where its day
        begins (`days`) and there, so no index on events(ticket_id) is kept.
    transactions(node, transaction_id, verb, response JSON, at unix seconds)
tickets and transactions are WITHOUT ROWID tables, so a row is written in one B-tree, and
there is no index a ticket does not need. Pages are 1 KiB (`PAGE_SIZE`): a commit writes
every page it touches whole into the WAL (and again at the checkpoint), and a ticket
touches a few pages in different B-trees, a few hundred bytes in each: with small pages
(and no index on events(ticket_id)) a ticket writes less than half of what it did before
(bench/hub_card.py, docs/operations.md).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nodes.hub.eventlog import SCHEMA_VERSION, check_schema, replay
from nodes.hub.events import (
    Event,
    TicketCalled,
    TicketCancelled,
    TicketExpired,
    TicketFinished,
    TicketIssued,
    TicketSkipped,
    TicketStarted,
    TicketTransferred,
    to_row,
)
from nodes.hub.office import Office
from nodes.hub.queue import Queue

log = logging.getLogger(__name__)

#: Free bytes below which a failed write counts as a full disk, and that must be free again
#: before a store that hit a full disk writes again (a ticket takes a few pages; the margin
#: keeps the hub from flapping between full and not at the last few kilobytes).
ROOM_NEEDED = 1 << 20

#: Bytes per database page (new files; older ones are rebuilt with it once, `_repage`).
PAGE_SIZE = 1024
#: WAL pages (of PAGE_SIZE) after which a commit copies them into the database: 4 MiB
#: of WAL, some 600 tickets. SQLite's default, 1000, wrote a fifth more per ticket.
CHECKPOINT_PAGES = 4000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    ticket_id TEXT,
    service TEXT,
    counter TEXT,
    data TEXT NOT NULL DEFAULT '{}'
);
-- the latest status of each counter / service without scanning the log
CREATE INDEX IF NOT EXISTS events_counter_status ON events(counter) WHERE kind = 'counter_status';
CREATE INDEX IF NOT EXISTS events_service_status ON events(service) WHERE kind = 'service_status';
-- where each day begins in the log: a day's events are a range of seq, no index on day
CREATE TABLE IF NOT EXISTS days (
    day TEXT PRIMARY KEY,
    first_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tickets (
    ticket_id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    number TEXT NOT NULL,
    service TEXT NOT NULL,
    priority INTEGER NOT NULL,
    state TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    first_issued_at TEXT NOT NULL,
    called_at TEXT,
    finished_at TEXT,
    counter TEXT,
    node TEXT,
    online INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tickets_open ON tickets(day)
    WHERE state IN ('waiting', 'called', 'serving');
-- pruned once a day by a scan of two days' records: no index on `at`
CREATE TABLE IF NOT EXISTS transactions (
    node TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    verb TEXT,
    response TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (node, transaction_id)
) WITHOUT ROWID;
"""

#: Version 1 -> 2, before the schema is created: the v1 tables are set aside (v1 kept
#: them as rowid tables with a key index each), the indexes nothing needs dropped.
_MIGRATE_FROM_1 = """
DROP INDEX IF EXISTS events_day;
DROP INDEX IF EXISTS tickets_day;
DROP INDEX IF EXISTS tickets_open;
DROP INDEX IF EXISTS transactions_at;
ALTER TABLE tickets RENAME TO tickets_v1;
ALTER TABLE transactions RENAME TO transactions_v1;
"""
#: ... and after it: the same rows in tables keyed by their primary key (WITHOUT ROWID:
#: one B-tree instead of a table and its key index), the day index replaced by `days`.
_COPY_FROM_1 = """
INSERT INTO days (day, first_seq) SELECT day, min(seq) FROM events GROUP BY day;
INSERT INTO tickets (ticket_id, day, number, service, priority, state, issued_at,
    first_issued_at, called_at, finished_at, counter, node, online)
    SELECT ticket_id, day, number, service, priority, state, issued_at,
    first_issued_at, called_at, finished_at, counter, node, online FROM tickets_v1;
INSERT INTO transactions SELECT * FROM transactions_v1;
DROP TABLE tickets_v1;
DROP TABLE transactions_v1;
"""
#: Version 2 -> 3 (v2's tickets lack `last_seq`; v1's were copied above without it).
_ADD_LAST_SEQ = "ALTER TABLE tickets ADD COLUMN last_seq INTEGER"
#: ... each ticket's last event found through the old index, which then goes.
_FILL_LAST_SEQ = """
UPDATE tickets
    SET last_seq = (SELECT max(seq) FROM events WHERE events.ticket_id = tickets.ticket_id);
DROP INDEX IF EXISTS events_ticket;
"""

_FINAL_STATE = {
    TicketFinished: "done",
    TicketSkipped: "skipped",
    TicketCancelled: "cancelled",
    TicketExpired: "expired",
}


@dataclass(frozen=True)
class Write:
    """One request's part of a commit: its events and the answer to remember for it."""

    events: list[Event]
    node: str | None = None
    transaction: str | None = None
    verb: str | None = None
    response: dict[str, Any] | None = None

    @property
    def remembers(self) -> bool:
        return self.node is not None and self.transaction is not None and bool(self.response)


def _run(db: sqlite3.Connection, script: str) -> None:
    """Each statement of `script` inside the caller's transaction (executescript would
    commit it first)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


class DiskFull(Exception):
    """The disk holding the database has no room; nothing was written."""


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on the filesystem holding `path` (which
    need not exist yet: its nearest existing folder is asked)."""
    for folder in (path.parent, *path.parent.parents):
        try:
            stat = os.statvfs(folder)
        except OSError:
            continue
        return stat.f_bavail * stat.f_frsize
    return 0


#: Rows per INSERT statement: a group's rows go in together (each statement is a round
#: through the sqlite3 module that gives up and takes back the GIL, which other threads
#: hold often during a burst), well within SQLite's limit on bound values.
MANY_ROWS = 100

_TICKET_COLUMNS = (
    "tickets (ticket_id, day, number, service, priority, state, issued_at, first_issued_at,"
    " node, online, last_seq)"
)


def _insert(db: sqlite3.Connection, into: str, rows: list[tuple[Any, ...]]) -> None:
    """`rows` into `into` ("table (columns)"), MANY_ROWS to a statement."""
    for start in range(0, len(rows), MANY_ROWS):
        chunk = rows[start : start + MANY_ROWS]
        values = ", ".join(["(" + ", ".join("?" * len(chunk[0])) + ")"] * len(chunk))
        db.execute(f"INSERT INTO {into} VALUES {values}", [value for row in chunk for value in row])


class Store:
    """The hub's SQLite database. Safe to call from several threads (one lock)."""

    def __init__(self, path: str | Path, *, wait_for_room: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._day: str | None = None  # the day of the last event appended
        self._last_seq: int | None = None  # the log's last seq (None: read it again)
        # Lookups read through a connection of their own: in WAL mode a reader never
        # waits for a writer, so deciding the next requests goes on during a commit.
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()
        #: The last write (or the opening) failed for want of room; writes are refused
        #: with `DiskFull` until `retry` finds ROOM_NEEDED free again.
        self.disk_full = False
        try:
            self._conn = self._open()
        except DiskFull:
            if not wait_for_room:
                raise
            self.disk_full = True

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one commit() is
            # exactly one SQLite transaction.
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            full = self._full(exc)
            if full is None:
                raise
            raise full from exc
        try:
            # Before anything is written: a new file takes PAGE_SIZE (an older one keeps
            # its own until `_repage`).
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: the WAL is fsynced at every commit, so a committed ticket survives
            # power loss.
            db.execute("PRAGMA synchronous=FULL")
            # A checkpoint copies each page changed since the last one back into the file
            # once: the fewer checkpoints, the fewer copies of the pages every ticket
            # touches (the ends of the log and of the tickets table).
            db.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=5000")
            # Never restamp a newer database; an older one is migrated.
            check_schema(db, self.path, older=True)
            db.execute("BEGIN IMMEDIATE")
            found = int(db.execute("PRAGMA user_version").fetchone()[0])
            if found == 1:
                _run(db, _MIGRATE_FROM_1)
            _run(db, _SCHEMA)
            if found == 2:
                db.execute(_ADD_LAST_SEQ)
            if found == 1:
                _run(db, _COPY_FROM_1)
            if found in (1, 2):
                _run(db, _FILL_LAST_SEQ)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")
            if found and found < SCHEMA_VERSION:
                log.info(
                    "%s migrated from schema version %d to %d", self.path, found, SCHEMA_VERSION
                )
            self._repage(db)
        except BaseException as exc:
            db.close()  # rolls back whatever the schema step began
            full = self._full(exc)
            if full is None:
                raise
            raise full from exc
        return db

    def _repage(self, db: sqlite3.Connection) -> None:
        """Rebuild a database of larger pages (schema 2 and older) with PAGE_SIZE, once.

        VACUUM rewrites the whole file (the rollback journal keeps it whole on a power
        cut); WAL mode must be left for it, which needs the file to itself: at boot the web
        node starts after the hub is ready (antrian-web.service), so it has. If that fails
        (a reader holds the file, no room for the copy) the hub goes on with the pages it
        has, and tries again at its next start: larger pages write more, they lose nothing.
        """
        size = int(db.execute("PRAGMA page_size").fetchone()[0])
        if size == PAGE_SIZE:
            return
        started = time.monotonic()
        db.execute("PRAGMA busy_timeout=200")  # a reader holding the file will not let go
        try:
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            db.execute("VACUUM")
        except sqlite3.Error as exc:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=5000")
            log.warning(
                "%s keeps its %d-byte pages for now (rebuilding with %d-byte ones failed: %s);"
                " tried again at the next start",
                self.path, size, PAGE_SIZE, exc,
            )  # fmt: skip
            return
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=5000")
        log.info(
            "%s rebuilt with %d-byte pages in %.1f s",
            self.path, PAGE_SIZE, time.monotonic() - started,
        )  # fmt: skip

    def _full(self, exc: BaseException) -> DiskFull | None:
        """`DiskFull` (to raise from `exc`) if `exc` means the disk has no room."""
        code = getattr(exc, "sqlite_errorcode", None)
        full = (isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL) or (
            isinstance(exc, OSError) and exc.errno == errno.ENOSPC
        )
        # A full disk also shows as an I/O error (no room to grow the -shm file) or as
        # "unable to open" (no room for the -wal file): tell those apart by the free space.
        # An integrity or "not a database" error is never a full disk.
        if not full and isinstance(exc, sqlite3.OperationalError | OSError):
            full = free_bytes(self.path) < ROOM_NEEDED
        if not full:
            return None
        return DiskFull(f"no room on the disk for {self.path} ({free_bytes(self.path)} B free)")

    @property
    def _db(self) -> sqlite3.Connection:
        """The open connection; `DiskFull` if the disk was full when the hub started."""
        if self._conn is None:
            raise DiskFull(f"{self.path} could not be opened: the disk was full")
        return self._conn

    def retry(self) -> bool:
        """After a full disk: True once the store may write again, opening it first if the
        disk was already full at start. Cheap while there is no room (nothing is tried)."""
        if not self.disk_full:
            return True
        if free_bytes(self.path) < ROOM_NEEDED:
            return False
        with self._lock:
            if self._conn is None:
                try:
                    self._conn = self._open()
                except DiskFull:
                    return False
            self.disk_full = False
        return True

    @property
    def opened(self) -> bool:
        return self._conn is not None

    # --- writing ------------------------------------------------------------------------

    def commit(
        self,
        events: list[Event],
        *,
        node: str | None = None,
        transaction: str | None = None,
        verb: str | None = None,
        response: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Append `events`, update the projection and remember the answer to
        (node, transaction), all or nothing; durable when it returns.

        Raises sqlite3.IntegrityError (and writes nothing) if the events contradict the
        log (a ticket issued twice) or the transaction was already recorded: look it up
        first with `lookup`. Raises `DiskFull` (and writes nothing) when the disk has no
        room, and from then on without trying until `retry` finds room again. `at`
        (default: the wall clock) dates the idempotency record for `prune_transactions`.
        """
        self.commit_group([Write(events, node, transaction, verb, response)], at=at)

    def commit_group(self, writes: list[Write], *, at: datetime | None = None) -> None:
        """`commit` for several requests' writes, in order, in ONE transaction (one
        fsync): all of them or none, with the same errors as `commit`."""
        with self._lock:
            if self.disk_full:
                raise DiskFull(f"no room on the disk for {self.path}; waiting for space")
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                self._append([event for write in writes for event in write.events])
                self._remember([write for write in writes if write.remembers], at)
                db.execute("COMMIT")
            except BaseException as exc:
                self._day = None  # the `days` row written (if any) is rolled back too
                self._last_seq = None  # and so are the events
                # After some failures (a full disk at COMMIT) SQLite has already rolled
                # back; a second ROLLBACK would only raise "no transaction is active".
                if db.in_transaction:
                    db.execute("ROLLBACK")
                full = self._full(exc)
                if full is not None:
                    self.disk_full = True
                    raise full from exc
                raise

    def _remember(self, writes: list[Write], at: datetime | None) -> None:
        """The answers of `writes`, for their repeats: in one statement per MANY_ROWS."""
        stamp = at.timestamp() if at is not None else time.time()
        rows = []
        for write in writes:
            assert write.node and write.transaction and write.response
            answer = json.dumps(write.response, ensure_ascii=False, separators=(",", ":"))
            rows.append((write.node, write.transaction, write.verb, answer, stamp))
        _insert(self._db, "transactions (node, transaction_id, verb, response, at)", rows)

    def _append(self, events: list[Event]) -> None:
        """`events` at the end of the log, and what they change in `days` and `tickets`."""
        if not events:
            return
        db = self._db
        if self._last_seq is None:
            self._last_seq = int(
                db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            )
        # Each event's seq is given, not left to SQLite: the rows of a group go in with one
        # statement, and the tickets' `last_seq` and the days' `first_seq` need them.
        first = self._last_seq + 1
        rows = [to_row(event) for event in events]
        _insert(
            db,
            "events (seq, at, day, kind, ticket_id, service, counter, data)",
            [
                (seq, row.at, row.day, row.kind, row.ticket_id, row.service, row.counter,
                 row.data_json)
                for seq, row in enumerate(rows, first)
            ],
        )  # fmt: skip
        self._last_seq = first + len(rows) - 1
        issued: list[tuple[Any, ...]] = []  # new tickets' rows, inserted before any update
        for seq, (event, row) in enumerate(zip(events, rows, strict=True), first):
            if row.day != self._day:
                # The first event of a day marks where the day begins (kept if already
                # known: a clock set back writes a day again further on; readers check
                # `day` too).
                db.execute(
                    "INSERT OR IGNORE INTO days (day, first_seq) VALUES (?, ?)", (row.day, seq)
                )
                self._day = row.day
            if isinstance(event, TicketIssued):
                issued.append(
                    (event.ticket_id, row.day, event.number, event.service, int(event.priority),
                     "waiting", row.at, row.at, event.node, int(event.online), seq)
                )  # fmt: skip
                continue
            if row.ticket_id is None:
                continue
            if issued:  # the ticket updated may be one issued in this very group
                _insert(db, _TICKET_COLUMNS, issued)
                issued = []
            self._update_ticket(event, row.ticket_id, row.at, seq)
        _insert(db, _TICKET_COLUMNS, issued)

    def _update_ticket(self, event: Event, ticket_id: str, at: str, seq: int) -> None:
        """The ticket's row after `event` (its `last_seq` at least)."""
        if isinstance(event, TicketCalled) and event.recall == 0:
            self._update(
                event.ticket_id, state="called", called_at=at, counter=event.counter, last_seq=seq
            )
        elif isinstance(event, TicketStarted):
            self._update(event.ticket_id, state="serving", counter=event.counter, last_seq=seq)
        elif isinstance(event, TicketTransferred):
            self._update(
                event.ticket_id,
                state="waiting",
                service=event.service,
                issued_at=at,
                called_at=None,
                counter=None,
                last_seq=seq,
            )
        elif isinstance(event, TicketFinished | TicketSkipped | TicketCancelled | TicketExpired):
            self._update(
                event.ticket_id, state=_FINAL_STATE[type(event)], finished_at=at, last_seq=seq
            )
        else:  # a recall, a rating: the row's page, written anyway
            self._update(ticket_id, last_seq=seq)

    def _update(self, ticket_id: str, **columns: Any) -> None:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        cursor = self._db.execute(
            f"UPDATE tickets SET {assignments} WHERE ticket_id = ?",
            (*columns.values(), ticket_id),
        )
        if cursor.rowcount != 1:
            raise sqlite3.IntegrityError(f"event for unknown ticket {ticket_id}")

    # --- reading ------------------------------------------------------------------------

    def lookup(self, node: str, transaction: str) -> dict[str, Any] | None:
        """The answer given earlier to the same node and transaction, if any."""
        query = "SELECT response FROM transactions WHERE node = ? AND transaction_id = ?"
        reader = self._read_connection()
        if reader is None:
            with self._lock:
                row = self._db.execute(query, (node, transaction)).fetchone()
        else:
            with self._reader_lock:
                row = reader.execute(query, (node, transaction)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def _read_connection(self) -> sqlite3.Connection | None:
        """The lookups' own connection, opened once the store is (None until then)."""
        with self._reader_lock:
            if self._reader is None and self._conn is not None:
                try:
                    reader = sqlite3.connect(self.path, check_same_thread=False)
                    reader.execute("PRAGMA query_only=1")
                    self._reader = reader
                except sqlite3.Error:
                    return None  # e.g. no room for it yet: the writer's connection serves
            return self._reader

    def load(self, office: Office, now: datetime) -> Queue:
        """The queue as it stands at `now`, rebuilt from what today needs of the log
        (`eventlog.replay`)."""
        with self._lock:
            events, calls = replay(self._db, office, now.astimezone(office.tz).date())
        queue = Queue(office)
        for event in events:
            queue.apply(event)
        queue.restore_calls(calls)
        return queue

    def open_ticket_count(self) -> int:
        with self._lock:
            db = self._db
            row = db.execute(
                "SELECT count(*) FROM tickets WHERE state IN ('waiting', 'called', 'serving')"
            ).fetchone()
        return int(row[0])

    def prune_transactions(self, before: datetime) -> int:
        """Forget idempotency records older than `before` (keep at least 2 days); returns
        how many were removed. Removes nothing while the disk is full (and notices one:
        `disk_full` is then set)."""
        with self._lock:
            if self.disk_full:
                return 0
            try:
                cursor = self._db.execute(
                    "DELETE FROM transactions WHERE at < ?", (before.timestamp(),)
                )
            except sqlite3.OperationalError as exc:
                if self._full(exc) is None:
                    raise
                self.disk_full = True
                return 0
        return cursor.rowcount

    def close(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
