"""The payloads of MQTT-API.md, built from a queue driven with a fixed clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from common import payloads
from nodes.hub import views
from nodes.hub.events import (
    CancelTicket,
    CounterCommand,
    CounterStatusChanged,
    IssueTicket,
    SetServiceAccepting,
    TicketCalled,
    TicketIssued,
)
from nodes.hub.queue import Queue, Rejected
from tests.hub.support import HOURS, STAFFED, Driver, office


@pytest.fixture
def drive() -> Driver:
    """08:00: A-001, B-001 (priority) and A-002 issued a minute apart; Loket 1 called B-001
    at 08:03 and served it for 5 minutes, then called A-001 at 08:08."""
    drive = Driver(Queue(office(B=HOURS)))
    drive(IssueTicket("A", False, "kiosk-1"))
    drive.clock.advance(minutes=1)
    drive(IssueTicket("B", True, "kiosk-2"))
    drive.clock.advance(minutes=1)
    drive(IssueTicket("A", False, "kiosk-1"))
    drive.clock.advance(minutes=1)
    drive(CounterCommand("1", "call_next"))
    drive.clock.advance(minutes=5)
    drive(CounterCommand("1", "call_next"))
    return drive


def test_ticket_data(drive: Driver) -> None:
    now = drive.clock.now
    drive(IssueTicket("A", False, "kiosk-1"))
    assert views.ticket_data(drive.queue, "20261128-A-003", now, STAFFED) == {
        "ticket_id": "20261128-A-003",
        "number": "A-003",
        "service": "A",
        "service_name": "Kartu Keluarga",
        "issued_at": "2026-11-28T08:08:00+07:00",
        "ahead": 1,
        # no A ticket finished yet today: the default 5 minutes × (1 + 1) / Loket 1 alone
        "estimated_wait_s": 600,
        "state": "waiting",
        "priority": False,
    }
    called = views.ticket_data(drive.queue, "20261128-A-001", now, STAFFED)
    assert (called["state"], called["ahead"], called["estimated_wait_s"]) == ("called", 0, None)
    with pytest.raises(Rejected) as info:
        views.ticket_data(drive.queue, "20261128-A-099", now, STAFFED)
    assert info.value.code == "unknown_ticket"


def test_ticket_data_estimates_from_todays_durations(drive: Driver) -> None:
    drive.clock.advance(minutes=10)
    drive(CounterCommand("1", "finish"))  # 600 s; Loket 1 is the only one serving A
    data = views.ticket_data(drive.queue, "20261128-A-002", drive.clock.now, STAFFED)
    assert (data["ahead"], data["estimated_wait_s"]) == (0, 600)


def test_counter_data(drive: Driver) -> None:
    assert views.counter_data(drive.queue, "1") == {
        "counter": "1",
        "name": "Loket 1",
        "status": "open",
        "ticket": {
            "ticket_id": "20261128-A-001",
            "number": "A-001",
            "service": "A",
            "state": "called",
            "called_at": "2026-11-28T08:08:00+07:00",
        },
        "waiting": 1,
        "officer": None,
        "officer_name": None,
    }
    drive(CounterCommand("3", "close"))
    assert views.counter_data(drive.queue, "3") == {
        "counter": "3",
        "name": "Loket 3",
        "status": "closed",
        "ticket": None,
        "waiting": 0,
        "officer": None,
        "officer_name": None,
    }
    with pytest.raises(Rejected):
        views.counter_data(drive.queue, "9")


def test_queue_state(drive: Driver) -> None:
    assert views.queue_state(drive.queue, drive.clock.now, STAFFED) == {
        "A": {
            "name": "Kartu Keluarga",
            "prefix": "A",
            "waiting": 1,
            "last_issued": "A-002",
            "last_called": "A-001",
            # the default 5 minutes × (1 waiting + 1) / Loket 1 alone
            "estimated_wait_s": 600,
            "open": True,
            # today so far: A-001 issued 08:00, called 08:08; nobody finished yet
            "average_wait_s": 480,
            "average_service_s": None,
        },
        "B": {
            "name": "KTP Elektronik",
            "prefix": "B",
            "waiting": 0,
            "last_issued": "B-001",
            "last_called": "B-001",
            # B-001 took 300 s; Loket 1 and 2 serve B: 300 × (0 + 1) / 2
            "estimated_wait_s": 150,
            "open": True,
            # B-001 issued 08:01, called 08:03, finished 08:08
            "average_wait_s": 120,
            "average_service_s": 300,
        },
        "C": {
            "name": "Akta Kelahiran",
            "prefix": "C",
            "waiting": 0,
            "last_issued": None,
            "last_called": None,
            # the default 5 minutes, shared by Loket 2 and 3
            "estimated_wait_s": 150,
            "open": True,
            "average_wait_s": None,
            "average_service_s": None,
        },
    }
    drive(SetServiceAccepting("C", False))
    evening = drive.clock.now.replace(hour=13)
    state = views.queue_state(drive.queue, evening, STAFFED)
    assert [state[s]["open"] for s in "ABC"] == [True, False, False]
    tomorrow = views.queue_state(drive.queue, drive.clock.now + timedelta(days=1), STAFFED)
    assert tomorrow["A"]["last_issued"] is None and tomorrow["A"]["waiting"] == 1
    assert tomorrow["A"]["average_wait_s"] is None  # a new day starts its own figures


def test_recent_calls_newest_first_with_recalls(drive: Driver) -> None:
    drive.clock.advance(seconds=20)
    drive(CounterCommand("1", "recall"))
    calls = views.recent_calls(drive.queue)["calls"]
    assert calls == [
        {
            "ticket_id": "20261128-A-001",
            "number": "A-001",
            "service": "A",
            "counter": "1",
            "counter_name": "Loket 1",
            "recall": 1,
            "called_at": "2026-11-28T08:08:20+07:00",
            "officer": None,
        },
        {
            "ticket_id": "20261128-A-001",
            "number": "A-001",
            "service": "A",
            "counter": "1",
            "counter_name": "Loket 1",
            "recall": 0,
            "called_at": "2026-11-28T08:08:00+07:00",
            "officer": None,
        },
        {
            "ticket_id": "20261128-B-001",
            "number": "B-001",
            "service": "B",
            "counter": "1",
            "counter_name": "Loket 1",
            "recall": 0,
            "called_at": "2026-11-28T08:03:00+07:00",
            "officer": None,
        },
    ]
    assert views.recent_calls(drive.queue, limit=1)["calls"] == calls[:1]


def test_call_and_ticket_events(drive: Driver) -> None:
    events = drive(CounterCommand("1", "call_next"))
    finished, call = events
    assert isinstance(call, TicketCalled)
    assert views.call_event(drive.queue, call) == {
        "ticket_id": "20261128-A-002",
        "number": "A-002",
        "service": "A",
        "counter": "1",
        "counter_name": "Loket 1",
        "recall": 0,
        "called_at": "2026-11-28T08:08:00+07:00",
        "officer": None,
    }
    assert views.ticket_event(drive.queue, finished) == {
        "event": "finished",
        "ticket_id": "20261128-A-001",
        "number": "A-001",
        "service": "A",
        "counter": "1",
        "at": "2026-11-28T08:08:00+07:00",
    }
    assert views.ticket_event(drive.queue, call) == {
        "event": "called",
        "ticket_id": "20261128-A-002",
        "number": "A-002",
        "service": "A",
        "counter": "1",
        "counter_name": "Loket 1",
        "recall": 0,
        "at": "2026-11-28T08:08:00+07:00",
    }
    (issued,) = drive(IssueTicket("C", False, "kiosk-2"))
    assert views.ticket_event(drive.queue, issued) == {
        "event": "issued",
        "ticket_id": "20261128-C-001",
        "number": "C-001",
        "service": "C",
        "counter": None,
        "at": "2026-11-28T08:08:00+07:00",
        "priority": False,
        "node": "kiosk-2",
        "online": False,
    }
    (transferred,) = drive(CounterCommand("1", "transfer", service="B"))
    payload = views.ticket_event(drive.queue, transferred)
    assert payload is not None
    assert (payload["event"], payload["service"], payload["from_service"]) == (
        "transferred",
        "B",
        "A",
    )
    (status,) = drive(CounterCommand("2", "pause"))
    assert isinstance(status, CounterStatusChanged)
    assert views.ticket_event(drive.queue, status) is None


def test_office_config() -> None:
    standard = {"standard_wait_minutes": 15.0, "standard_service_minutes": 7.5, "agency": None}
    none = {"standard_wait_minutes": None, "standard_service_minutes": None, "agency": None}
    assert views.office_config(office(A=standard)) == {
        "office": {"id": "kantor", "name": "Kantor Kecamatan Contoh"},
        "hub": "hub",
        "services": [
            {"id": "A", "name": "Kartu Keluarga", "prefix": "A", **standard},
            {"id": "B", "name": "KTP Elektronik", "prefix": "B", **none},
            {"id": "C", "name": "Akta Kelahiran", "prefix": "C", **none},
        ],
        "counters": [
            {"id": "1", "name": "Loket 1", "services": ["A", "B"]},
            {"id": "2", "name": "Loket 2", "services": ["B", "C"]},
            {"id": "3", "name": "Loket 3", "services": ["C"]},
        ],
        # Names only: a PIN's hash never leaves the hub.
        "officers": [{"id": "1", "name": "Siti Aminah"}, {"id": "2", "name": "Budi Santoso"}],
    }


def test_a_transferred_ticket_shows_its_new_service_and_original_time(drive: Driver) -> None:
    drive(CounterCommand("1", "transfer", service="C"))
    data = views.ticket_data(drive.queue, "20261128-A-001", drive.clock.now, STAFFED)
    assert (data["number"], data["service"], data["service_name"]) == (
        "A-001",
        "C",
        "Akta Kelahiran",
    )
    assert (data["issued_at"], data["state"], data["ahead"]) == (
        "2026-11-28T08:00:00+07:00",
        "waiting",
        0,
    )
    assert views.counter_data(drive.queue, "1")["ticket"] is None
    assert views.counter_data(drive.queue, "3")["waiting"] == 1


def test_a_service_whose_quota_is_used_up_shows_closed_until_a_ticket_is_cancelled() -> None:
    # Kiosks turn a service's LED off from this flag, before anyone presses in vain.
    drive = Driver(Queue(office(A={"daily_quota": 2})))
    drive(IssueTicket("A", False, "kiosk-1"))
    assert views.queue_state(drive.queue, drive.clock.now, STAFFED)["A"]["open"] is True
    second = drive(IssueTicket("A", False, "kiosk-1"))[0]
    assert isinstance(second, TicketIssued)
    assert views.queue_state(drive.queue, drive.clock.now, STAFFED)["A"]["open"] is False
    with pytest.raises(Rejected) as caught:
        drive.queue.handle(IssueTicket("A", False, "kiosk-1"), drive.clock.now)
    assert caught.value.code == "quota_exhausted"
    drive(CancelTicket(second.ticket_id, "printer", "kiosk-1"))
    assert views.queue_state(drive.queue, drive.clock.now, STAFFED)["A"]["open"] is True


def test_transfer_to_an_unknown_service_is_named_as_such_even_with_nothing_called() -> None:
    drive = Driver()
    with pytest.raises(Rejected) as caught:
        drive.queue.handle(CounterCommand("1", "transfer", service="Q"), drive.clock.now)
    assert caught.value.code == "unknown_service"


def test_every_payload_the_hub_builds_decodes_as_the_nodes_read_it(drive: Driver) -> None:
    """What the hub publishes is exactly what `common.payloads` decodes and encodes back."""
    drive(CounterCommand("1", "start"))
    queue, now = drive.queue, drive.clock.now
    call = next(e for e in reversed(drive.log) if isinstance(e, TicketCalled))
    built: list[tuple[Any, dict[str, Any]]] = [
        (payloads.OfficeConfig, views.office_config(queue.office, "pusat")),
        (payloads.QueueState, views.queue_state(queue, now, STAFFED)),
        (payloads.CounterState, views.counter_data(queue, "1")),  # serving
        (payloads.CounterState, views.counter_data(queue, "3")),  # free
        (payloads.Calls, views.recent_calls(queue)),
        (payloads.Call, views.call_event(queue, call)),
    ]
    built += [(payloads.TicketEvent, p) for e in drive.log if (p := views.ticket_event(queue, e))]
    for cls, payload in built:
        assert cls.from_payload(payload).to_payload() == payload
