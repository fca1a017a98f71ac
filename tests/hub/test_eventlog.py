"""The event log's one reader on real SQLite files: the schema version is checked by every
reader, a damaged row is left out (not guessed at), and the hub's replay, the web's live
model and the reports read the same events of one file."""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from nodes.hub.eventlog import SCHEMA_VERSION, EventLog, SchemaMismatch
from nodes.hub.queue import Queue
from nodes.hub.reports import build_report
from nodes.hub.store import Store
from nodes.hub.web.live import LiveModel
from tests.hub.support import TZ, office
from tests.reports.handbuilt import DAY, OFFICE, hand_day

D = date.fromisoformat(DAY)
EVENING = datetime(2026, 11, 28, 16, 0, tzinfo=TZ)
#: The hand-built day up to 09.15 (A-005 just transferred): tickets still in every state.
MORNING_EVENTS = 22


def store_with_hand_day(path: Path, events: int | None = None) -> Store:
    store = Store(path)
    store.commit(hand_day()[:events])
    return store


def stamp(path: Path, version: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={version}")


def test_a_database_of_a_newer_schema_is_refused_by_every_reader(tmp_path: Path) -> None:
    path = tmp_path / "antrian.db"
    store_with_hand_day(path).close()
    stamp(path, SCHEMA_VERSION + 1)
    newer = f"schema version {SCHEMA_VERSION + 1}, but this antrian reads version {SCHEMA_VERSION}"
    with pytest.raises(SchemaMismatch, match=newer):
        EventLog(path).day(D)
    with pytest.raises(SchemaMismatch, match=newer):
        build_report(path, OFFICE, D)
    with pytest.raises(SchemaMismatch, match=newer):
        Store(path)  # the hub neither reads it nor stamps its own version over it
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)


def test_a_file_without_a_schema_version_is_not_read_as_a_log(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    store_with_hand_day(path).close()
    stamp(path, 0)
    with pytest.raises(SchemaMismatch, match="is not a hub database"):
        list(EventLog(path).days(D, D))


def test_undecodable_rows_are_left_out_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "antrian.db"
    store_with_hand_day(path, 3).close()
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO events (at, day, kind, ticket_id, service, counter, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("2026-11-28T09:00:00+07:00", DAY, "ticket_teleported", None, "A", None, "{}"),
                ("2026-11-28T09:01:00+07:00", DAY, "counter_status", None, None, "1", "{"),
                ("not a time", DAY, "counter_status", None, None, "1", '{"status": "open"}'),
            ],
        )
    log = EventLog(path)
    with caplog.at_level(logging.WARNING, logger="nodes.hub.eventlog"):
        day = log.day(D)
        assert [e.event for e in day] == hand_day()[:3]
        assert [e.event for e in log.days(D, D)] == hand_day()[:3]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2 and all("left out 3 undecodable rows" in w for w in warnings)
    assert "seq 4, 5, 6" in warnings[0]
    log.close()
    # The hub's own replay does not skip: a queue rebuilt without a row would be wrong.
    with pytest.raises(ValueError, match="ticket_teleported"):
        Store(path).load(office(), EVENING)


def read_three_ways(path: Path) -> tuple[Queue, LiveModel, list[tuple[str, str, str]]]:
    """The hub's replay, the web's live model and the report, each from the file."""
    queue = Store(path).load(office(), EVENING)
    model = LiveModel()
    model.start_day(DAY)
    log = EventLog(path)
    model.apply_events(log.day(D))
    log.close()
    report = build_report(path, OFFICE, D)
    outcomes = [
        (figures.service, name, str(getattr(figures, name)))
        for figures in report.services
        for name in ("issued", "served", "no_show", "cancelled", "expired", "still_open")
    ]
    outcomes += [(c.counter, "served", str(c.served)) for c in report.counters]
    return queue, model, outcomes


def expected_figures(queue: Queue) -> list[tuple[str, str, str]]:
    """The report's counts, worked out from the tickets of the hub's queue."""
    tickets = queue.tickets.values()
    by_state: Counter[tuple[str, str]] = Counter((t.service, t.state) for t in tickets)
    issued = Counter(t.origin_service for t in tickets)
    named = {"served": ("done",), "no_show": ("skipped",), "cancelled": ("cancelled",),
             "expired": ("expired",), "still_open": ("waiting", "called", "serving")}  # fmt: skip
    figures = []
    for service in ("A", "B", "C"):
        figures.append((service, "issued", str(issued[service])))
        for name, states in named.items():
            figures.append((service, name, str(sum(by_state[(service, s)] for s in states))))
    served = Counter(t.counter for t in tickets if t.state == "done")
    figures += [(counter, "served", str(served[counter])) for counter in ("1", "2", "3")]
    return figures


@pytest.mark.parametrize("events", [MORNING_EVENTS, None], ids=["morning", "whole-day"])
def test_one_file_read_three_ways_tells_one_story(tmp_path: Path, events: int | None) -> None:
    path = tmp_path / "antrian.db"
    store_with_hand_day(path, events).close()
    queue, model, report = read_three_ways(path)
    assert len(queue.tickets) == len(model.tickets) == (8 if events else 10)
    for ticket_id, ticket in queue.tickets.items():
        seen = model.tickets[ticket_id]
        assert (seen.state, seen.service, seen.counter) == (
            ticket.state,
            ticket.service,
            ticket.counter if ticket.state in ("called", "serving", "done", "skipped") else None,
        )
        if ticket.state == "waiting":
            assert model.ahead_of(ticket_id) == queue.ahead(ticket_id)
    assert report == expected_figures(queue)
    if events:  # the morning has waiting, called and transferred tickets, not only ends
        assert {t.state for t in queue.tickets.values()} >= {"waiting", "called", "done"}
