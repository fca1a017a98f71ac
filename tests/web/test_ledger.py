"""The read-only event log adapter on a real SQLite file with the hub's `events` columns."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from nodes.hub.web.ledger import EventLog
from nodes.hub.web.live import LiveModel

SCHEMA = """
CREATE TABLE events (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, day TEXT NOT NULL,
  kind TEXT NOT NULL, ticket_id TEXT, service TEXT, counter TEXT, data TEXT NOT NULL);
"""


def make_log(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        rows = [
            (
                "2026-11-27T08:00:00+07:00",
                "2026-11-27",
                "ticket_issued",
                "20261127-A-001",
                "A",
                None,
                {"number": "A-001", "priority": False},
            ),
            (
                "2026-11-27T08:05:00+07:00",
                "2026-11-27",
                "ticket_called",
                "20261127-A-001",
                "A",
                "1",
                {"number": "A-001", "recall": 0},
            ),
            (
                "2026-11-27T08:09:00+07:00",
                "2026-11-27",
                "ticket_finished",
                "20261127-A-001",
                "A",
                "1",
                {},
            ),
            (
                "2026-11-28T08:00:00+07:00",
                "2026-11-28",
                "ticket_issued",
                "20261128-A-001",
                "A",
                None,
                {"number": "A-001", "priority": False},
            ),
            (
                "2026-11-28T08:01:00+07:00",
                "2026-11-28",
                "counter_status",
                None,
                None,
                "1",
                {"status": "open"},
            ),
        ]
        db.executemany(
            "INSERT INTO events (at, day, kind, ticket_id, service, counter, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*r[:6], json.dumps(r[6])) for r in rows],
        )


def test_reads_one_day_from_a_sequence_number(tmp_path: Path) -> None:
    make_log(tmp_path / "antrian.db")
    log = EventLog(tmp_path / "antrian.db")
    today = log.day_since("2026-11-28", 0)
    assert [(r[0], r[2]) for r in today] == [(4, "ticket_issued"), (5, "counter_status")]
    assert log.day_since("2026-11-28", 4) == [today[1]]
    model = LiveModel()
    model.start_day("2026-11-28")
    model.apply_events(today)
    assert model.ahead_of("20261128-A-001") == 0 and model.last_seq == 5
    log.close()


def test_a_past_ticket_has_its_whole_history(tmp_path: Path) -> None:
    make_log(tmp_path / "antrian.db")
    log = EventLog(tmp_path / "antrian.db")
    rows = log.ticket("20261127-A-001")
    model = LiveModel()
    model.apply_events(rows)
    view = model.ticket("20261127-A-001")
    assert view is not None and view["state"] == "done" and view["counter"] == "1"
    assert [state for _, state in model.tickets["20261127-A-001"].history] == [
        "waiting",
        "called",
        "done",
    ]
    log.close()


def test_the_log_is_never_written(tmp_path: Path) -> None:
    make_log(tmp_path / "antrian.db")
    log = EventLog(tmp_path / "antrian.db")
    log.day_since("2026-11-28", 0)
    assert log._db is not None
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
        log._db.execute("DELETE FROM events")
    log.close()


def test_a_missing_database_reads_as_empty_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = EventLog(tmp_path / "nothing-here.db")
    with caplog.at_level(logging.WARNING):
        assert log.day_since("2026-11-28", 0) == []
        assert log.ticket("20261128-A-001") == []
    assert len([r for r in caplog.records if "event log" in r.message]) == 1
    assert not (tmp_path / "nothing-here.db").exists()  # read-only never creates it
