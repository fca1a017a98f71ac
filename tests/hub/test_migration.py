"""A database of schema version 1 (as hubs before issue 17 wrote it) or 2 opens in today's
hub: migrated in place, nothing lost, the same queue replayed, old transactions answered
the same, the reports' figures the same, and each ticket's events found without the index
version 3 dropped."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from nodes.hub import survey
from nodes.hub.eventlog import SCHEMA_VERSION, EventLog
from nodes.hub.events import (
    CounterCommand,
    ExpireOpenTickets,
    IssueTicket,
    RateTicket,
    SetServiceAccepting,
)
from nodes.hub.reports.source import build_report
from nodes.hub.store import PAGE_SIZE, Store
from tests.hub.support import Clock
from tests.hub.test_store import Hub, busy_morning, everything

#: Version 1's schema, as store.py created it (kept here verbatim: the migration's input).
V1_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS events_day ON events(day);
CREATE INDEX IF NOT EXISTS events_ticket ON events(ticket_id);
CREATE INDEX IF NOT EXISTS events_counter_status ON events(counter) WHERE kind = 'counter_status';
CREATE INDEX IF NOT EXISTS events_service_status ON events(service) WHERE kind = 'service_status';
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
    online INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tickets_day ON tickets(day);
CREATE INDEX IF NOT EXISTS tickets_open ON tickets(day)
    WHERE state IN ('waiting', 'called', 'serving');
CREATE TABLE IF NOT EXISTS transactions (
    node TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    verb TEXT,
    response TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (node, transaction_id)
);
CREATE INDEX IF NOT EXISTS transactions_at ON transactions(at);
"""

#: Version 2's schema (issue 17's first step), verbatim: the migration's other input.
V2_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS events_ticket ON events(ticket_id);
CREATE INDEX IF NOT EXISTS events_counter_status ON events(counter) WHERE kind = 'counter_status';
CREATE INDEX IF NOT EXISTS events_service_status ON events(service) WHERE kind = 'service_status';
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
    online INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tickets_open ON tickets(day)
    WHERE state IN ('waiting', 'called', 'serving');
CREATE TABLE IF NOT EXISTS transactions (
    node TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    verb TEXT,
    response TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (node, transaction_id)
) WITHOUT ROWID;
"""

#: The tables of both old versions, and the columns they had.
OLD_TABLES = {
    "events": "*",
    "tickets": "ticket_id, day, number, service, priority, state, issued_at, first_issued_at,"
    " called_at, finished_at, counter, node, online",
    "transactions": "*",
}


def rows(path: Path, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return sorted(db.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)


def two_days(path: Path) -> tuple[Hub, Clock]:
    """Two days of a real office in today's store (closed): yesterday's open tickets
    expired this morning, a survey answered, a ticket served to the end."""
    clock = Clock()
    hub = Hub(path, clock)
    busy_morning(hub)
    clock.advance(days=1)
    hub.queue = hub.store.load(hub.office, clock.now)
    hub(ExpireOpenTickets())  # yesterday's open tickets: logged under yesterday, today
    hub(SetServiceAccepting("B", True))
    hub(CounterCommand("3", "open"))
    busy_morning(hub)
    hub(CounterCommand("1", "finish"))
    done = next(t for t in hub.queue.tickets.values() if t.state == "done")
    rating = survey.rate(hub.queue, RateTicket(done.ticket_id, "loket-1", score=4), clock.now)
    hub.store.commit(list(rating))
    for event in rating:
        hub.queue.apply(event)
    hub(IssueTicket("A", False, "kiosk-2"), node="kiosk-2", transaction="t-1", verb="ticket",
        response={"status": "ok", "transaction": "t-1", "data": {"number": "A-009"}})  # fmt: skip
    hub.store.close()
    return hub, clock


def old_file(path: Path, version: int, source: Path) -> None:
    """`source`'s rows poured into a file of schema `version`, with 4 KiB pages as then."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA page_size=4096")
        db.executescript(V1_SCHEMA if version == 1 else V2_SCHEMA)
        db.execute(f"PRAGMA user_version={version}")
        db.execute("ATTACH ? AS now", (str(source),))
        for table, columns in OLD_TABLES.items():
            db.execute(f"INSERT INTO main.{table} SELECT {columns} FROM now.{table}")
        if version == 2:
            db.execute("INSERT INTO main.days SELECT * FROM now.days")
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")  # as the hub left it


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_database_migrates_with_nothing_lost(tmp_path: Path, version: int) -> None:
    hub, clock = two_days(tmp_path / "now.db")
    store = Store(tmp_path / "now.db")
    expected = everything(store.load(hub.office, clock.now), clock.now)
    store.close()
    days = sorted({r[0] for r in rows(tmp_path / "now.db", "events", "day")})
    assert len(days) == 2
    figures = build_report(tmp_path / "now.db", hub.office, date.fromisoformat(days[0]),
                           date.fromisoformat(days[1]))  # fmt: skip
    old = tmp_path / f"v{version}.db"
    old_file(old, version, tmp_path / "now.db")
    before = {table: rows(old, table, columns) for table, columns in OLD_TABLES.items()}

    store = Store(old)
    try:
        db = store._db
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA page_size").fetchone() == (PAGE_SIZE,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert {t: rows(old, t, c) for t, c in OLD_TABLES.items()} == before
        # Each ticket's last event, as the log has it (what `EventLog.ticket` reads up to).
        assert rows(old, "tickets", "ticket_id, last_seq") == rows(
            old, "events WHERE ticket_id IS NOT NULL GROUP BY ticket_id", "ticket_id, max(seq)"
        )
        # The same queue replayed, the same answer to an old transaction.
        assert everything(store.load(hub.office, clock.now), clock.now) == expected
        assert store.lookup("kiosk-2", "t-1") == {
            "status": "ok", "transaction": "t-1", "data": {"number": "A-009"}
        }  # fmt: skip
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        assert not {"events_day", "events_ticket", "tickets_day", "transactions_at"} & indexes
    finally:
        store.close()
    # The reports' figures are the same, and the readers see both days, each whole, and
    # every ticket's events.
    assert build_report(old, hub.office, date.fromisoformat(days[0]),
                        date.fromisoformat(days[1])) == figures  # fmt: skip
    log = EventLog(old)
    events = before["events"]
    for day in days:
        assert len(log.day(date.fromisoformat(day))) == sum(1 for r in events if r[2] == day)
    for (ticket_id,) in rows(old, "tickets", "ticket_id"):
        assert [e.seq for e in log.ticket(ticket_id)] == sorted(
            r[0] for r in events if r[4] == ticket_id
        )
    log.close()


def test_a_file_the_rebuild_cannot_have_keeps_its_pages_and_works(tmp_path: Path) -> None:
    """VACUUM needs the file to itself: with a reader holding it, the migration still
    lands, the hub runs on the old pages, and its next start rebuilds them."""
    hub, clock = two_days(tmp_path / "now.db")
    old = tmp_path / "v2.db"
    old_file(old, 2, tmp_path / "now.db")
    reader = sqlite3.connect(old)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()  # holds a read lock
    store = Store(old)
    try:
        assert store._db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert store._db.execute("PRAGMA page_size").fetchone() == (4096,)
        assert store._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        queue = store.load(hub.office, clock.now)
        store.commit(queue.handle(IssueTicket("A", False, "kiosk-1"), clock.now))
    finally:
        store.close()
        reader.close()
    store = Store(old)
    try:
        assert store._db.execute("PRAGMA page_size").fetchone() == (PAGE_SIZE,)
        assert store._db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        store.close()
