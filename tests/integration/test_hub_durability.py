"""Storage faults at the hub, injected where they really happen: a disk that is full (a
real tmpfs filled to the last byte), and SQLite refusing a write (a trigger in the real
database, raising inside the hub's own transaction). Nothing of our code is replaced.

What must hold: the hub stays up and says what is wrong (log, retained status), answers
what it cannot write with a clear code, keeps nothing in memory that did not reach the
disk, logs a repeating failure once, and carries on by itself when the fault goes away.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from common.mqtt import BrokerLink, Response
from common.wire import ERROR_MESSAGES
from nodes.hub import views
from nodes.hub.daemon import Hub
from nodes.hub.events import IssueTicket, TicketIssued
from nodes.hub.queue import Queue
from nodes.hub.store import Store
from tests.disk import fill, small_disk
from tests.harness import (
    Collector,
    HubProcess,
    Mosquitto,
    client,
    write_hub_config,
)
from tests.hub.support import MORNING, STAFFED, Clock, office

BASE = "antrian/kantor"
STATUS = f"{BASE}/node/hub/status"


def take(kiosk: BrokerLink, transaction: str | None = None) -> Response:
    payload: dict[str, Any] = {"service": "A"}
    if transaction is not None:
        payload["transaction"] = transaction
    return kiosk.request("ticket", payload, timeout=10)


def issued(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT ticket_id FROM events WHERE kind = 'ticket_issued' ORDER BY seq")
        return [row[0].split("-", 1)[1] for row in rows]


# --- a repeated bad request ---------------------------------------------------------------


def test_a_repeated_bad_request_gets_its_first_answer(broker: Mosquitto, hub: HubProcess) -> None:
    kiosk = client(broker, "kiosk-1", "kiosk")
    try:
        bad = {"service": "A", "priority": "ya", "transaction": "t-bad"}
        answers = [kiosk.request("ticket", bad, timeout=5) for _ in range(3)]
        assert [a.error_code for a in answers] == ["bad_request"] * 3
        assert answers[0] == answers[1] == answers[2]
        # The undecodable request was remembered once; the queue was never rebuilt.
        assert take(kiosk).data["number"] == "A-001"
    finally:
        kiosk.stop()
    assert "commit failed" not in hub.log() and "Traceback" not in hub.log()


# --- SQLite refuses a commit ----------------------------------------------------------------


def test_a_failed_commit_answers_internal_error_and_keeps_nothing(
    broker: Mosquitto, hub: HubProcess
) -> None:
    watcher = client(broker, "watcher")
    seen = Collector(watcher, f"{BASE}/state/queue")
    kiosk = client(broker, "kiosk-1", "kiosk")
    try:
        assert take(kiosk).data["number"] == "A-001"
        # The answer is the last write of the hub's transaction: the ticket's event and
        # row are already written in it when this fails, and must all be rolled back.
        with sqlite3.connect(hub.db_path) as db:
            db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON transactions"
                " BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )
        failed = [take(kiosk, f"t-fail-{n}") for n in range(2)]
        assert [f.error_code for f in failed] == ["internal_error"] * 2
        assert issued(hub.db_path) == ["A-001"]
        with sqlite3.connect(hub.db_path) as db:
            db.execute("DROP TRIGGER refuse")
        # Memory was rebuilt from the database: the next number is A-002, not A-004.
        assert take(kiosk, "t-fail-0").data["number"] == "A-002"  # a retry now works
        seen.wait(lambda p: p and p[-1]["A"]["waiting"] == 2, f"{BASE}/state/queue")
    finally:
        kiosk.stop()
        watcher.stop()
    assert issued(hub.db_path) == ["A-001", "A-002"]
    log = hub.log()
    # Two failures, one traceback, one summary.
    assert log.count("Traceback") == 1 and log.count("commit failed") == 1
    assert "commit works again after 2 failed attempts" in log
    assert "cannot rollback" not in log


def test_a_failed_day_rollover_is_retried_logged_once_and_leaves_the_queue_whole(
    broker: Mosquitto, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "antrian.db"
    store = Store(db_path)
    queue = Queue(office())
    (issued_event,) = queue.handle(IssueTicket("A", False, "kiosk-1"), MORNING)
    assert isinstance(issued_event, TicketIssued)
    store.commit([issued_event])  # one ticket still waiting when the office closed
    clock = Clock(MORNING + timedelta(days=1))
    link = client(broker, "hub", "hub")
    try:
        hub = Hub(office(), store, link, lambda: clock.now)
        assert hub.queue.ticket(issued_event.ticket_id) is not None
        with sqlite3.connect(db_path) as db:
            db.execute(
                "CREATE TRIGGER refuse BEFORE UPDATE ON tickets WHEN NEW.state = 'expired'"
                " BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )
        with caplog.at_level(logging.INFO, logger="antrian.hub"):
            for _ in range(3):  # the housekeeper tries once a second
                clock.advance(seconds=1)
                hub.tick()
                # Nothing half-done: the ticket is still open, in memory and on disk.
                assert views.queue_state(hub.queue, clock.now, STAFFED)["A"]["waiting"] == 1
            errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert len(errors) == 1 and errors[0].exc_info is not None
            assert "commit of day rollover failed" in errors[0].getMessage()
            with sqlite3.connect(db_path) as db:
                db.execute("DROP TRIGGER refuse")
            clock.advance(seconds=1)
            hub.tick()
        assert views.queue_state(hub.queue, clock.now, STAFFED)["A"]["waiting"] == 0
        messages = [r.getMessage() for r in caplog.records]
        assert "commit of day rollover works again after 3 failed attempts" in messages
        assert "day rollover: 1 open tickets expired" in messages
        with sqlite3.connect(db_path) as db:
            (state,) = db.execute("SELECT state FROM tickets").fetchone()
        assert state == "expired"
    finally:
        link.stop()
        store.close()


# --- a full disk --------------------------------------------------------------------------


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk") as mounted:
        yield mounted


@pytest.fixture
def hub_on_disk(broker: Mosquitto, tmp_path: Path, disk: Path) -> Iterator[HubProcess]:
    """The hub with its database on the small disk (its log stays on the big one)."""
    process = HubProcess(broker, tmp_path / "hub")
    process.db_path = disk / "antrian.db"
    write_hub_config(process.config_path, broker.port, process.db_path)
    try:
        yield process
    finally:
        process.stop()


def store_status(seen: Collector, pid: int | None, store: str) -> Any:
    return seen.wait(
        lambda p: p and p[-1].get("pid") == pid and p[-1].get("store") == store,
        STATUS,
        timeout=15,
    )


def test_a_disk_full_at_start_is_reported_refused_and_recovered_by_itself(
    broker: Mosquitto, disk: Path, hub_on_disk: HubProcess
) -> None:
    hub = hub_on_disk
    hub.start()
    watcher = client(broker, "watcher")
    seen = Collector(watcher, STATUS, f"{BASE}/state/queue")
    kiosk = client(broker, "kiosk-1", "kiosk")
    try:
        assert take(kiosk).data["number"] == "A-001"
        hub.stop()
        filler = fill(disk)
        hub.start()  # comes online instead of crashing in a restart loop
        store_status(seen, hub.pid, "disk_full")
        refused = take(kiosk)
        assert (refused.error_code, refused.error_message) == (
            "disk_full",
            ERROR_MESSAGES["disk_full"],
        )
        filler.unlink()
        store_status(seen, hub.pid, "ok")
        # The queue was read from the database once it could be: A-001 is still waiting.
        assert take(kiosk).data["number"] == "A-002"
        seen.wait(lambda p: p and p[-1]["A"]["waiting"] == 2, f"{BASE}/state/queue")
    finally:
        kiosk.stop()
        watcher.stop()
    log = hub.log()
    assert log.count("is full: tickets and counter actions are refused") == 1
    assert "has room again: accepting requests (1 were refused while it was full)" in log
    assert "Traceback" not in log


def test_a_disk_filling_while_running_refuses_cleanly_and_resumes(
    broker: Mosquitto, disk: Path, hub_on_disk: HubProcess
) -> None:
    hub = hub_on_disk
    hub.start()
    watcher = client(broker, "watcher")
    seen = Collector(watcher, STATUS, f"{BASE}/state/queue")
    kiosk = client(broker, "kiosk-1", "kiosk")
    loket = client(broker, "loket-1", "counter")
    try:
        numbers = [take(kiosk).data["number"]]
        filler = fill(disk)
        # SQLite may still fit a commit or two into pages it already holds.
        for n in range(20):
            answer = take(kiosk, f"t-full-{n}")
            if not answer.ok:
                break
            numbers.append(answer.data["number"])
        assert answer.error_code == "disk_full"
        store_status(seen, hub.pid, "disk_full")
        # Refused up front now, for every kind of write; a repeat is answered the same.
        assert take(kiosk, f"t-full-{n}").error_code == "disk_full"
        call = loket.request("counter", {"counter": "1", "action": "call_next"}, timeout=10)
        assert call.error_code == "disk_full"
        # Nothing half-done: memory holds exactly what the disk holds.
        assert issued(hub.db_path) == numbers
        seen.wait(lambda p: p and p[-1]["A"]["waiting"] == len(numbers), f"{BASE}/state/queue")
        filler.unlink()
        store_status(seen, hub.pid, "ok")
        after = take(kiosk, f"t-full-{n}")  # the refused press, retried: now a ticket
        assert after.data["number"] == f"A-{len(numbers) + 1:03d}"
        assert loket.request("counter", {"counter": "1", "action": "call_next"}).ok
    finally:
        for link in (kiosk, loket, watcher):
            link.stop()
    assert issued(hub.db_path) == [*numbers, after.data["number"]]
    log = hub.log()
    assert log.count("is full: tickets and counter actions are refused") == 1
    assert "has room again" in log
    assert "Traceback" not in log and "cannot rollback" not in log
