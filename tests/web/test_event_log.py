"""The web node reading the hub's event log (`nodes.hub.eventlog`) from a real SQLite file
that the hub's store wrote: one day from a sequence number, a past ticket's history, never
a write, and pages that live on while there is no log to read."""

from __future__ import annotations

import logging
import sqlite3
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from common.config import BrokerConfig
from common.mqtt import BrokerLink
from common.wire import Topics
from nodes.hub.eventlog import SCHEMA_VERSION, EventLog
from nodes.hub.events import CounterStatusChanged, TicketCalled, TicketFinished, TicketIssued
from nodes.hub.store import Store
from nodes.hub.web.live import LiveModel
from nodes.hub.web.office import OfficeFeed

TZ = ZoneInfo("Asia/Jakarta")
FRIDAY, SATURDAY = date(2026, 11, 27), date(2026, 11, 28)


def at(day: date, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+07:00")


def make_log(path: Path) -> None:
    store = Store(path)
    store.commit([
        TicketIssued(at(FRIDAY, "08:00"), FRIDAY, "20261127-A-001", "A", "A-001", 1, False, "k"),
        TicketCalled(at(FRIDAY, "08:05"), FRIDAY, "20261127-A-001", "A", "1", "A-001", 0),
        TicketFinished(at(FRIDAY, "08:09"), FRIDAY, "20261127-A-001", "A", "1"),
        TicketIssued(at(SATURDAY, "08:00"), SATURDAY, "20261128-A-001", "A", "A-001", 1, False,
                     "k"),
        CounterStatusChanged(at(SATURDAY, "08:01"), SATURDAY, "1", "open"),
    ])  # fmt: skip
    store.close()


def test_reads_one_day_from_a_sequence_number(tmp_path: Path) -> None:
    make_log(tmp_path / "antrian.db")
    log = EventLog(tmp_path / "antrian.db")
    today = log.day(SATURDAY)
    assert [(seq, event.kind) for seq, event in today] == [
        (4, "ticket_issued"),
        (5, "counter_status"),
    ]
    assert log.day(SATURDAY, 4) == [today[1]]
    model = LiveModel()
    model.start_day("2026-11-28")
    model.apply_events(today)
    assert model.ahead_of("20261128-A-001") == 0 and model.last_seq == 5
    log.close()


def test_a_past_ticket_has_its_whole_history(tmp_path: Path) -> None:
    make_log(tmp_path / "antrian.db")
    log = EventLog(tmp_path / "antrian.db")
    model = LiveModel()
    model.apply_events(log.ticket("20261127-A-001"))
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
    log.day(SATURDAY)
    assert log._db is not None
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
        log._db.execute("DELETE FROM events")
    log.close()


def feed_on(path: Path) -> OfficeFeed:
    link = BrokerLink(BrokerConfig(), Topics("kantor"), "web-1", "web")  # never started
    return OfficeFeed(LiveModel(), link, EventLog(path), TZ, clock=lambda: at(SATURDAY, "09:00"))


def test_a_missing_database_reads_as_empty_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed = feed_on(tmp_path / "nothing-here.db")
    with caplog.at_level(logging.WARNING):
        feed.refresh()
        feed.refresh()
        assert feed.read(lambda: feed.events.ticket("20261128-A-001")) == []
    assert feed.model.tickets == {}
    assert len([r for r in caplog.records if "event log" in r.message]) == 1
    assert not (tmp_path / "nothing-here.db").exists()  # read-only never creates it
    make_log(tmp_path / "nothing-here.db")  # the hub starts: the feed reads it next time
    feed.refresh()
    assert list(feed.model.tickets) == ["20261128-A-001"]


def test_a_log_of_a_newer_schema_is_not_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_log(tmp_path / "antrian.db")
    with sqlite3.connect(tmp_path / "antrian.db") as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    feed = feed_on(tmp_path / "antrian.db")
    with caplog.at_level(logging.WARNING):
        feed.refresh()
    assert feed.model.tickets == {}
    newer = (
        f"has schema version {SCHEMA_VERSION + 1}, but this antrian reads version {SCHEMA_VERSION}"
    )
    assert newer in caplog.text
