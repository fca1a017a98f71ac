"""The SQLite store on real files: durability settings, all-or-nothing commits, the
idempotency record, rebuilding the queue after a restart, and a writer killed mid-flight."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodes.hub import eventlog, survey, views
from nodes.hub.eventlog import EventLog
from nodes.hub.events import (
    CounterCommand,
    ExpireOpenTickets,
    IssueTicket,
    QuickScored,
    RateTicket,
    SetServiceAccepting,
    TicketIssued,
)
from nodes.hub.queue import Queue, Rejected
from nodes.hub.store import Store, Write
from tests.hub.support import MORNING, STAFFED, TZ, Clock, office
from tests.hub.test_queue_properties import OFFICE, command_for, step

REPO = Path(__file__).resolve().parents[2]


class Hub:
    """Queue + store wired as the daemon wires them: handle, commit, apply."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.office = office()
        self.clock = clock or Clock()
        self.store = Store(path)
        self.queue = self.store.load(self.office, self.clock.now)

    def __call__(self, command: Any, **kw: Any) -> list:
        events = self.queue.handle(command, self.clock.now)
        self.store.commit(events, **kw)
        for event in events:
            self.queue.apply(event)
        return events


def everything(queue: Queue, now: datetime) -> dict[str, Any]:
    """All the hub publishes about a queue."""
    return {
        "queue": views.queue_state(queue, now, STAFFED),
        "counters": [views.counter_data(queue, c.id, now) for c in queue.office.counters],
        "calls": views.recent_calls(queue, 50),
        "tickets": {t: views.ticket_data(queue, t, now, STAFFED) for t in queue.tickets},
    }


def busy_morning(hub: Hub) -> None:
    for service in "AABCCBA":
        hub(IssueTicket(service, service == "C", "kiosk-1"))
        hub.clock.advance(minutes=1)
    hub(CounterCommand("1", "call_next"))
    hub.clock.advance(minutes=3)
    hub(CounterCommand("1", "call_next"))
    hub(CounterCommand("1", "start"))
    hub(CounterCommand("2", "call_next"))
    hub.clock.advance(minutes=2)
    hub(CounterCommand("2", "recall"))
    hub(CounterCommand("2", "transfer", service="A"))
    hub(CounterCommand("3", "call_next"))
    hub(CounterCommand("3", "skip"))
    hub(CounterCommand("3", "pause"))
    hub(SetServiceAccepting("B", False))


def test_durability_pragmas(tmp_path: Path) -> None:
    store = Store(tmp_path / "hub.db")
    assert store._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    # Fewer checkpoints, fewer copies of the pages every ticket touches (docs/operations.md).
    assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (4000,)
    store.close()
    # Another process opening the file sees WAL too (it is persistent in the file).
    other = sqlite3.connect(tmp_path / "hub.db")
    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    other.close()


def test_reopened_store_rebuilds_the_same_queue(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.db")
    busy_morning(hub)
    before = everything(hub.queue, hub.clock.now)
    hub.store.close()
    reopened = Store(tmp_path / "hub.db")
    queue = reopened.load(office(), hub.clock.now)
    assert everything(queue, hub.clock.now) == before
    assert queue.snapshot() == hub.queue.snapshot()
    assert queue.counters["3"].status == "paused"
    assert not queue.accepting("B")


def test_the_tickets_projection(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.db")
    busy_morning(hub)
    rows = {
        r[0]: r[1:]
        for r in hub.store._db.execute(
            "SELECT ticket_id, number, service, priority, state, counter, node, online,"
            " issued_at, first_issued_at, called_at IS NOT NULL, finished_at IS NOT NULL"
            " FROM tickets"
        )
    }
    assert len(rows) == 7
    for ticket_id, ticket in hub.queue.tickets.items():
        number, service, priority, state, _counter, node, online = rows[ticket_id][:7]
        assert (number, service, bool(priority), state, node, bool(online)) == (
            ticket.number,
            ticket.service,
            ticket.priority,
            ticket.state,
            ticket.node,
            ticket.online,
        )
        assert datetime.fromisoformat(rows[ticket_id][7]) == ticket.queued_at
        assert datetime.fromisoformat(rows[ticket_id][8]) == ticket.issued_at
        assert rows[ticket_id][9] == (ticket.called_at is not None)
        assert rows[ticket_id][10] == ticket.final


def test_events_are_the_log_in_order(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.db")
    issued = []
    for _day in range(3):
        issued += hub(IssueTicket("A", False, "kiosk-1"))
        hub.clock.advance(days=1)
    log = EventLog(hub.store.path)
    rows = list(log.days())
    assert [r.event for r in rows] == issued
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)
    middle = list(log.days(date(2026, 11, 29), date(2026, 11, 29)))
    assert [r.event for r in middle] == issued[1:2]
    assert [r.event.day for r in log.days(first=date(2026, 11, 29))] == [
        date(2026, 11, 29),
        date(2026, 11, 30),
    ]


def test_idempotency_record_survives_reopen_and_pruning_keeps_recent(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.db")
    answer = {"status": "ok", "transaction": "t-1", "data": {"number": "A-001"}}
    old = MORNING - timedelta(days=3)
    hub(
        IssueTicket("A", False, "kiosk-1"),
        node="kiosk-1",
        transaction="t-1",
        verb="ticket",
        response=answer,
    )
    error = {"status": "error", "transaction": "t-2", "error": {"code": "x", "message": "y"}}
    # an answer that changed nothing (an error): remembered, so a retry gets it again
    hub.store.commit([], node="kiosk-1", transaction="t-2", verb="ticket", response=error, at=old)
    assert hub.store.lookup("kiosk-1", "t-1") == answer
    assert hub.store.lookup("kiosk-2", "t-1") is None  # the key is per node
    hub.store.close()
    store = Store(tmp_path / "hub.db")
    assert store.lookup("kiosk-1", "t-1") == answer
    assert store.lookup("kiosk-1", "t-2") == error
    assert store.prune_transactions(MORNING - timedelta(days=2)) == 1
    assert store.lookup("kiosk-1", "t-2") is None
    assert store.lookup("kiosk-1", "t-1") == answer


def test_a_failed_commit_writes_nothing(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.db")
    (first,) = hub(IssueTicket("A", False, "kiosk-1"), node="k", transaction="t1",
                   verb="ticket", response={"n": 1})  # fmt: skip
    events_before = list(EventLog(hub.store.path).days())
    new = hub.queue.handle(IssueTicket("A", False, "kiosk-1"), hub.clock.now)
    # The second ticket is fine; the repeated first one violates the tickets primary key
    # after the second was already inserted: the whole commit must roll back.
    with pytest.raises(sqlite3.IntegrityError):
        hub.store.commit([*new, first], node="k", transaction="t2", verb="ticket",
                         response={"n": 2})  # fmt: skip
    # And an answer recorded twice for the same transaction is refused with its events.
    with pytest.raises(sqlite3.IntegrityError):
        hub.store.commit(new, node="k", transaction="t1", verb="ticket", response={"n": 3})
    assert list(EventLog(hub.store.path).days()) == events_before
    assert hub.store.lookup("k", "t2") is None
    assert hub.store.lookup("k", "t1") == {"n": 1}
    assert hub.store._db.execute("SELECT count(*) FROM tickets").fetchone() == (1,)
    # The store still works afterwards.
    hub.store.commit(new)
    assert len(list(EventLog(hub.store.path).days())) == 2


def test_an_event_for_an_unknown_ticket_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "hub.db")
    queue = Queue(office())
    (issued,) = queue.handle(IssueTicket("A", False, "kiosk-1"), MORNING)
    queue.apply(issued)
    call = queue.handle(CounterCommand("1", "call_next"), MORNING)
    with pytest.raises(sqlite3.IntegrityError):
        store.commit(call)  # its ticket_issued was never committed
    assert list(EventLog(store.path).days()) == []


def test_yesterdays_open_tickets_load_and_expire(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.db")
    busy_morning(hub)
    open_yesterday = {t.ticket_id for t in hub.queue.tickets.values() if not t.final}
    assert len(open_yesterday) == 5
    hub.store.close()
    tomorrow = Clock(datetime(2026, 11, 29, 7, 0, tzinfo=TZ))
    hub = Hub(tmp_path / "hub.db", tomorrow)
    assert set(hub.queue.tickets) == open_yesterday  # the final ones are not loaded
    assert hub.queue.counters["1"].ticket is not None
    assert hub.queue.counters["3"].status == "paused"
    expired = hub(ExpireOpenTickets())
    assert {e.ticket_id for e in expired} == open_yesterday
    assert all(c.ticket is None for c in hub.queue.counters.values())
    assert hub(IssueTicket("A", False, "kiosk-1"))[0].number == "A-001"
    hub.store.close()
    later = Hub(tmp_path / "hub.db", tomorrow)
    assert set(later.queue.tickets) == {"20261129-A-001"}
    assert everything(later.queue, tomorrow.now) == everything(hub.queue, tomorrow.now)
    assert later.store.open_ticket_count() == 1


def test_recent_calls_reach_back_across_days(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.db")
    hub(IssueTicket("A", False, "kiosk-1"))
    hub(CounterCommand("1", "call_next"))
    hub(CounterCommand("1", "finish"))
    hub.store.close()
    tomorrow = datetime(2026, 11, 29, 7, 0, tzinfo=TZ)
    queue = Store(tmp_path / "hub.db").load(office(), tomorrow)
    assert [c["number"] for c in views.recent_calls(queue)["calls"]] == ["A-001"]
    assert queue.tickets == {}


WRITER = """
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
from nodes.hub.events import IssueTicket
from nodes.hub.store import Store, Write
from tests.hub.support import office

store = Store(sys.argv[1])
queue = store.load(office(), datetime(2026, 11, 28, 8, tzinfo=ZoneInfo("Asia/Jakarta")))
now = datetime(2026, 11, 28, 8, tzinfo=ZoneInfo("Asia/Jakarta"))
n = 0
while True:
    n += 1
    now += timedelta(seconds=1)
    events = queue.handle(IssueTicket("ABC"[n % 3], False, "kiosk-1"), now)
    store.commit(events, node="kiosk-1", transaction=f"t{n}", verb="ticket",
                 response={"ticket_id": events[0].ticket_id})
    for event in events:
        queue.apply(event)
    print(events[0].ticket_id, flush=True)
"""


def test_a_writer_killed_with_sigkill_loses_nothing_it_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env, cwd=REPO
    )
    assert writer.stdout is not None
    confirmed: list[str] = []
    deadline = time.monotonic() + 30
    while len(confirmed) < 150 and time.monotonic() < deadline:
        confirmed.append(writer.stdout.readline().decode().strip())
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert len(confirmed) == 150
    # Confirmed too: what the writer printed between our last read and the kill.
    confirmed += writer.stdout.read().decode().split()
    store = Store(path)
    assert store._db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    logged = [getattr(r.event, "ticket_id", None) for r in EventLog(path).days()]
    # Everything confirmed is there, in order; at most the commit in flight is extra.
    assert logged[: len(confirmed)] == confirmed
    assert len(logged) - len(confirmed) <= 1
    for n, ticket_id in enumerate(confirmed, start=1):
        assert store.lookup("kiosk-1", f"t{n}") == {"ticket_id": ticket_id}
    queue = store.load(office(), datetime(2026, 11, 28, 9, tzinfo=TZ))
    numbers = sorted((t.service, t.seq) for t in queue.tickets.values())
    for service in "ABC":
        seqs = [s for svc, s in numbers if svc == service]
        assert seqs == list(range(1, len(seqs) + 1))
    # It goes on numbering where it stopped.
    (event,) = queue.handle(
        IssueTicket("A", False, "kiosk-1"), datetime(2026, 11, 28, 9, tzinfo=TZ)
    )
    assert isinstance(event, TicketIssued)
    assert event.seq == len([s for svc, s in numbers if svc == "A"]) + 1


def test_data_is_json_in_the_log(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.db")
    hub(IssueTicket("A", True, "kiosk-1"))
    (data,) = hub.store._db.execute("SELECT data FROM events").fetchone()
    assert json.loads(data) == {
        "number": "A-001",
        "seq": 1,
        "priority": True,
        "node": "kiosk-1",
        "online": False,
    }


def test_load_ignores_counters_removed_from_the_config(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub.db")
    hub(CounterCommand("3", "close"))
    hub.store.close()
    smaller = office()
    smaller = type(smaller)(
        id=smaller.id,
        name=smaller.name,
        timezone=smaller.timezone,
        services=smaller.services,
        counters=smaller.counters[:2],
        nodes=(),
    )
    queue = Store(tmp_path / "hub.db").load(smaller, MORNING)
    assert set(queue.counters) == {"1", "2"}


@settings(max_examples=60, deadline=None)
@given(st.lists(step, min_size=1, max_size=60))
def test_random_days_reload_to_what_the_hub_shows(steps: list) -> None:
    """Whatever happened, a hub restarted at any point shows exactly what it showed."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "hub.db")
        queue = store.load(OFFICE, MORNING)
        now = MORNING - timedelta(hours=1)
        issued: list[str] = []
        for minutes, kind, a, b, flag in steps:
            now += timedelta(minutes=minutes, seconds=a % 60)
            try:
                events = queue.handle(command_for(queue, kind, a, b, flag, issued), now)
            except Rejected:
                continue
            store.commit(events)
            for event in events:
                queue.apply(event)
                if isinstance(event, TicketIssued):
                    issued.append(event.ticket_id)
        store.close()
        reopened = Store(Path(tmp) / "hub.db")
        for moment in (now, now + timedelta(hours=20)):
            loaded = reopened.load(OFFICE, moment)
            assert shown(loaded, moment) == shown(queue, moment)
        reopened.close()


def shown(queue: Queue, now: datetime) -> dict[str, Any]:
    """What the hub publishes, for the tickets that still matter at `now`: today's and
    those still open (the queue forgets yesterday's finished tickets)."""
    today = queue.today(now)
    live = [t for t, ticket in queue.tickets.items() if ticket.day == today or not ticket.final]
    return {
        "queue": views.queue_state(queue, now, STAFFED),
        "counters": [views.counter_data(queue, c.id, now) for c in queue.office.counters],
        "calls": views.recent_calls(queue, 50),
        "tickets": {t: views.ticket_data(queue, t, now, STAFFED) for t in sorted(live)},
    }


def test_load_reads_through_indexes_not_the_whole_log(tmp_path: Path) -> None:
    """What keeps a restart fast with a year of history (bench/hub_store.py measures it)."""
    hub = Hub(tmp_path / "hub.db")
    busy_morning(hub)
    statements: list[str] = []
    hub.store._db.set_trace_callback(statements.append)
    hub.store.load(office(), hub.clock.now + timedelta(days=1))
    hub.store._db.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len(office().counters) + len(office().services) + 4
    for sql in selects:
        plan = " | ".join(r[-1] for r in hub.store._db.execute("EXPLAIN QUERY PLAN " + sql))
        # The one scan walks the log backwards from the newest event and stops at the
        # 50th call; everything else is an index search.
        if "SCAN events" in plan:
            assert "LIMIT" in sql and "TEMP B-TREE" not in plan, plan
        else:
            assert "SEARCH" in plan and "SCAN" not in plan, plan


def test_threads_share_one_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "hub.db")

    def answer(worker: int) -> None:
        for n in range(25):
            store.commit(
                [], node=f"node-{worker}", transaction=f"t{n}", verb="ticket", response={"n": n}
            )
            assert store.lookup(f"node-{worker}", f"t{n}") == {"n": n}

    threads = [threading.Thread(target=answer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    count = store._db.execute("SELECT count(*) FROM transactions").fetchone()
    assert count == (100,)


def test_a_tickets_commit_puts_a_few_small_pages_in_the_wal(tmp_path: Path) -> None:
    """What reaches the SD card per ticket (issue 17: <= 20 KB with the checkpoint's copy;
    bench/hub_card.py measures it on the hub): every page a commit touches is written
    whole into the WAL, so 1 KiB pages, and no index a ticket does not need."""
    hub = Hub(tmp_path / "hub.db")
    busy_morning(hub)
    assert hub.store._db.execute("PRAGMA page_size").fetchone() == (1024,)
    wal = tmp_path / "hub.db-wal"
    before = wal.stat().st_size
    for n in range(20):
        data = {"ticket_id": "20261128-A-012", "number": "A-012", "service": "A", "ahead": 3,
                "service_name": "Kartu Keluarga", "state": "waiting"}  # fmt: skip
        answer = {"status": "ok", "transaction": f"t-{n}", "data": data}
        hub(IssueTicket("AC"[n % 2], False, "kiosk-1"), node="kiosk-1", transaction=f"t-{n}",
            verb="ticket", response=answer)  # fmt: skip
    assert (wal.stat().st_size - before) / 20 <= 7 * 1024


def test_a_tickets_events_are_a_range_of_the_log(tmp_path: Path) -> None:
    """No index on events(ticket_id) is kept up at every ticket: a ticket's events lie
    between where its day begins and its last event (`tickets.last_seq`, moved by every
    event of the ticket: a recall, a rating after it was served too)."""
    hub = Hub(tmp_path / "hub.db")
    busy_morning(hub)
    hub.clock.advance(days=1)
    hub.queue = hub.store.load(hub.office, hub.clock.now)
    hub(ExpireOpenTickets())  # yesterday's tickets, ended today
    hub(SetServiceAccepting("B", True))
    hub(CounterCommand("3", "open"))
    busy_morning(hub)
    hub(CounterCommand("1", "finish"))
    done = next(t for t in hub.queue.tickets.values() if t.state == "done")
    rating = survey.rate(hub.queue, RateTicket(done.ticket_id, "loket-1", score=5), hub.clock.now)
    hub.store.commit(list(rating))
    hub(CounterCommand("1", "call_next"))
    hub(CounterCommand("1", "recall"))
    log = EventLog(hub.store.path)
    everything_logged = list(log.days())
    tickets = {e.event.ticket_id for e in everything_logged if hasattr(e.event, "ticket_id")}
    assert len(tickets) == 14
    for ticket_id in tickets:
        assert log.ticket(ticket_id) == [
            e for e in everything_logged if getattr(e.event, "ticket_id", None) == ticket_id
        ]
    assert isinstance(log.ticket(done.ticket_id)[-1].event, QuickScored)
    assert log.ticket("20261128-Z-999") == []
    indexes = {r[0] for r in hub.store._db.execute("SELECT name FROM sqlite_master")}
    assert "events_ticket" not in indexes
    sql = f"EXPLAIN QUERY PLAN {eventlog._SELECT} {eventlog._TICKET}"
    plan = [r[-1] for r in hub.store._db.execute(sql, (done.ticket_id,))]
    assert plan[0] == "SEARCH events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)", plan
    assert not any("SCAN" in step for step in plan), plan


class GroupingHub(Hub):
    """Decides like `Hub` but keeps each command's write for one group commit, as the
    daemon does with the requests decided while a commit is in flight."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writes: list[Write] = []

    def __call__(self, command: Any, **kw: Any) -> list:
        events = self.queue.handle(command, self.clock.now)
        for event in events:
            self.queue.apply(event)
        self.writes.append(Write(events, **kw))
        return events


def test_a_group_lands_as_its_members_committed_one_by_one(tmp_path: Path) -> None:
    """One group holding a whole morning (tickets issued, then called, recalled,
    transferred in the same transaction) leaves the same log, days and tickets as one
    commit per command."""
    alone = Hub(tmp_path / "alone.db")
    busy_morning(alone)
    grouped = GroupingHub(tmp_path / "grouped.db")
    busy_morning(grouped)
    grouped.store.commit_group(grouped.writes)

    def tables(store: Store) -> list[list[tuple[Any, ...]]]:
        return [
            store._db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("events", "days", "tickets")
        ]

    assert tables(grouped.store) == tables(alone.store)
    assert len(tables(grouped.store)[0]) == 18
    reloaded = grouped.store.load(office(), grouped.clock.now)
    assert reloaded.snapshot() == alone.queue.snapshot()
    # The log goes on after the group, in order.
    alone(IssueTicket("A", False, "kiosk-1"))
    grouped.writes = []
    grouped(IssueTicket("A", False, "kiosk-1"))
    grouped.store.commit_group(grouped.writes)
    assert tables(grouped.store) == tables(alone.store)


def test_a_group_commit_takes_a_few_statements_whatever_its_size(tmp_path: Path) -> None:
    """A group's rows go in with one INSERT per table: each statement gives the GIL up and
    waits to take it back, and during a burst the sessions' threads (decoding the next
    requests) hold it often, so per-row statements lengthened every commit the whole
    burst waits on (bench/hub_card.py, docs/operations.md)."""
    hub = GroupingHub(tmp_path / "hub.db")
    statements: list[str] = []

    def group(size: int) -> list[str]:
        hub.writes = []
        for _ in range(size):
            transaction = f"t-{len(hub.queue.tickets)}"
            hub(IssueTicket("A", False, "kiosk-1"), node="kiosk-1", transaction=transaction,
                verb="ticket", response={"status": "ok", "transaction": transaction})  # fmt: skip
        statements.clear()
        hub.store.commit_group(hub.writes)
        return list(statements)

    group(1)  # the first commit reads where the log ends, and writes the day's row
    hub.store._db.set_trace_callback(statements.append)
    two, eight = group(2), group(8)
    assert len(eight) == len(two) == 5, eight  # BEGIN, events, tickets, transactions, COMMIT
    assert hub.store.lookup("kiosk-1", "t-10") == {"status": "ok", "transaction": "t-10"}
