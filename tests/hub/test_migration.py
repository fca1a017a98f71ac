"""A database of schema version 1 (as hubs before issue 17 wrote it) opens in today's hub:
migrated in place, nothing lost, the same queue replayed, old transactions answered the
same, and the reports read it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from nodes.hub.eventlog import SCHEMA_VERSION, EventLog
from nodes.hub.events import (
    CounterCommand,
    ExpireOpenTickets,
    IssueTicket,
    SetServiceAccepting,
)
from nodes.hub.store import Store
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

TABLES = ("events", "tickets", "transactions")


def rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def test_a_version_1_database_migrates_with_nothing_lost(tmp_path: Path) -> None:
    # Two days of a real office, then the same rows poured into a version 1 file.
    clock = Clock()
    hub = Hub(tmp_path / "now.db", clock)
    busy_morning(hub)
    clock.advance(days=1)
    hub.queue = hub.store.load(hub.office, clock.now)
    hub(ExpireOpenTickets())  # yesterday's open tickets: logged under yesterday, today
    hub(SetServiceAccepting("B", True))
    hub(CounterCommand("3", "open"))
    busy_morning(hub)
    hub(IssueTicket("A", False, "kiosk-2"), node="kiosk-2", transaction="t-1", verb="ticket",
        response={"status": "ok", "transaction": "t-1", "data": {"number": "A-009"}})  # fmt: skip
    expected = everything(hub.queue, clock.now)
    hub.store.close()
    old = tmp_path / "v1.db"
    with sqlite3.connect(old) as db:
        db.executescript(V1_SCHEMA)
        db.execute("PRAGMA user_version=1")
        db.execute("ATTACH ? AS now", (str(tmp_path / "now.db"),))
        for table in TABLES:
            db.execute(f"INSERT INTO main.{table} SELECT * FROM now.{table}")
    before = {table: rows(old, table) for table in TABLES}

    store = Store(old)
    try:
        assert store._db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert {table: rows(old, table) for table in TABLES} == before
        # The same queue replayed, the same answer to an old transaction.
        assert everything(store.load(hub.office, clock.now), clock.now) == expected
        assert store.lookup("kiosk-2", "t-1") == {
            "status": "ok", "transaction": "t-1", "data": {"number": "A-009"}
        }  # fmt: skip
        indexes = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master")}
        assert not {"events_day", "tickets_day", "transactions_at"} & indexes
    finally:
        store.close()
    # The readers see both days, each whole.
    log = EventLog(old)
    days = sorted({entry.event.day for entry in log.days()})
    assert len(days) == 2
    for day in days:
        assert len(log.day(day)) == sum(1 for r in before["events"] if r[2] == day.isoformat())
    log.close()
