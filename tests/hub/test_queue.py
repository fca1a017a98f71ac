"""The queue core's rules, driven directly with a hand-moved clock (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from nodes.hub.events import (
    CancelTicket,
    CounterCommand,
    CounterStatusChanged,
    Event,
    ExpireOpenTickets,
    IssueTicket,
    ServiceStatusChanged,
    SetServiceAccepting,
    TicketCalled,
    TicketCancelled,
    TicketExpired,
    TicketFinished,
    TicketIssued,
    TicketSkipped,
    TicketStarted,
    TicketTransferred,
    from_row,
    to_row,
)
from nodes.hub.queue import Queue, Rejected
from tests.hub.support import HOURS, MORNING, STAFFED, TZ, Clock, Driver, office

DAY = date(2026, 11, 28)


def issue(drive: Driver, service: str = "A", priority: bool = False, **kw) -> TicketIssued:
    (event,) = drive(IssueTicket(service, priority, kw.pop("node", "kiosk-1"), **kw))
    assert isinstance(event, TicketIssued)
    return event


def counter(drive: Driver, number: str, action: str, **kw) -> list:
    return drive(CounterCommand(number, action, **kw))


def called(events: list) -> str:
    assert isinstance(events[-1], TicketCalled)
    return events[-1].number


def rejected(drive: Driver, command, code: str) -> str:
    before = drive.queue.snapshot()
    with pytest.raises(Rejected) as info:
        drive(command)
    assert info.value.code == code
    assert drive.queue.snapshot() == before
    return info.value.message


# --- numbers -------------------------------------------------------------------------------


def test_numbers_count_per_service_from_one() -> None:
    drive = Driver()
    first = issue(drive, "A")
    assert first == TicketIssued(
        at=MORNING,
        day=DAY,
        ticket_id="20261128-A-001",
        service="A",
        number="A-001",
        seq=1,
        priority=False,
        node="kiosk-1",
    )
    assert [issue(drive, s).number for s in "ABAC"] == ["A-002", "B-001", "A-003", "C-001"]


def test_event_time_is_in_the_office_zone_whatever_the_clock_zone() -> None:
    drive = Driver(clock=Clock(datetime(2026, 11, 28, 1, 0, tzinfo=UTC)))
    event = issue(drive)
    assert event.at.utcoffset() == timedelta(hours=7)
    assert event.at.hour == 8


def test_numbers_restart_at_local_midnight_not_utc_midnight() -> None:
    clock = Clock(datetime(2026, 11, 28, 16, 59, tzinfo=UTC))  # 23:59 in Jakarta
    drive = Driver(clock=clock)
    assert issue(drive).ticket_id == "20261128-A-001"
    assert issue(drive).ticket_id == "20261128-A-002"
    clock.advance(minutes=1)  # 00:00 in Jakarta, still 28 Nov in UTC
    assert issue(drive).ticket_id == "20261129-A-001"


def test_numbers_grow_past_three_digits() -> None:
    drive = Driver()
    for _ in range(999):
        drive(IssueTicket("B", False, "kiosk-1"))
    assert issue(drive, "B").number == "B-1000"


def test_cancelled_ticket_keeps_its_number() -> None:
    drive = Driver()
    issue(drive)
    issue(drive)
    (event,) = drive(CancelTicket("20261128-A-002", "printer jammed", "kiosk-1"))
    assert event == TicketCancelled(
        MORNING, DAY, "20261128-A-002", "A", "printer jammed", "kiosk-1"
    )
    assert drive.ticket("20261128-A-002").state == "cancelled"
    assert issue(drive).number == "A-003"


def test_cancel_by_number_and_only_when_waiting() -> None:
    drive = Driver()
    issue(drive)
    issue(drive)
    counter(drive, "1", "call_next")
    message = rejected(drive, CancelTicket("A-001", "", "web-1"), "invalid_state")
    assert message == "Antrian A-001 tidak dapat dibatalkan: sedang dipanggil."
    (cancelled,) = drive(CancelTicket("A-002", "", "web-1"))
    assert isinstance(cancelled, TicketCancelled)
    assert cancelled.ticket_id == "20261128-A-002"
    rejected(drive, CancelTicket("20261128-A-009", "", "web-1"), "unknown_ticket")


# --- who is next ---------------------------------------------------------------------------


def test_call_next_is_fifo_within_a_service() -> None:
    drive = Driver()
    for _ in range(3):
        issue(drive, "C")
        drive.clock.advance(seconds=10)
    assert [called(counter(drive, "3", "call_next")) for _ in range(3)] == [
        "C-001",
        "C-002",
        "C-003",
    ]


def test_priority_ticket_goes_first_across_the_counters_services() -> None:
    drive = Driver()
    issue(drive, "A")
    drive.clock.advance(minutes=1)
    issue(drive, "B", priority=True)
    drive.clock.advance(minutes=1)
    issue(drive, "A", priority=True)
    order = [called(counter(drive, "1", "call_next")) for _ in range(3)]
    assert order == ["B-001", "A-002", "A-001"]


def test_counter_takes_its_services_in_its_own_order() -> None:
    drive = Driver()
    issue(drive, "C")  # oldest, but counter 2 prefers B
    drive.clock.advance(minutes=5)
    issue(drive, "B")
    assert called(counter(drive, "2", "call_next")) == "B-001"
    assert called(counter(drive, "2", "call_next")) == "C-001"


def test_call_next_finishes_the_current_ticket_first() -> None:
    drive = Driver()
    issue(drive)
    issue(drive)
    counter(drive, "1", "call_next")
    drive.clock.advance(minutes=4)
    events = counter(drive, "1", "call_next")
    at = MORNING + timedelta(minutes=4)
    assert events == [
        TicketFinished(at, DAY, "20261128-A-001", "A", "1"),
        TicketCalled(at, DAY, "20261128-A-002", "A", "1", "A-002", 0),
    ]
    assert drive.ticket("20261128-A-001").state == "done"
    assert drive.queue.counters["1"].ticket == "20261128-A-002"


def test_call_next_with_nobody_waiting_changes_nothing() -> None:
    drive = Driver()
    assert rejected(drive, CounterCommand("1", "call_next"), "queue_empty") == (
        "Tidak ada antrian yang menunggu di Loket 1."
    )
    issue(drive)
    counter(drive, "1", "call_next")
    message = rejected(drive, CounterCommand("1", "call_next"), "queue_empty")
    assert (
        message
        == "Tidak ada antrian yang menunggu di Loket 1. A-001 masih di loket; tekan Selesai."
    )
    assert drive.ticket("20261128-A-001").state == "called"


def test_two_counters_never_get_the_same_ticket() -> None:
    drive = Driver()
    issue(drive, "B")
    assert called(counter(drive, "1", "call_next")) == "B-001"
    rejected(drive, CounterCommand("2", "call_next"), "queue_empty")


# --- a ticket's life -----------------------------------------------------------------------


def test_recall_start_finish() -> None:
    drive = Driver()
    issue(drive)
    counter(drive, "1", "call_next")
    drive.clock.advance(seconds=30)
    (recall,) = counter(drive, "1", "recall")
    assert recall.recall == 1 and recall.number == "A-001"
    assert counter(drive, "1", "recall")[0].recall == 2
    (start,) = counter(drive, "1", "start")
    assert isinstance(start, TicketStarted)
    assert drive.ticket("20261128-A-001").state == "serving"
    message = rejected(drive, CounterCommand("1", "recall"), "invalid_state")
    assert message == "Antrian A-001 di Loket 1 sedang dilayani, tidak dapat dipanggil ulang."
    rejected(drive, CounterCommand("1", "skip"), "invalid_state")
    rejected(drive, CounterCommand("1", "start"), "invalid_state")
    drive.clock.advance(minutes=5)
    (finish,) = counter(drive, "1", "finish")
    assert isinstance(finish, TicketFinished)
    ticket = drive.ticket("20261128-A-001")
    assert ticket.state == "done" and ticket.finished_at == drive.clock.now
    assert drive.queue.counters["1"].ticket is None
    assert rejected(drive, CounterCommand("1", "finish"), "invalid_state") == (
        "Loket 1 tidak sedang memanggil antrian."
    )


def test_skip_is_a_no_show() -> None:
    drive = Driver()
    issue(drive)
    counter(drive, "1", "call_next")
    (skip,) = counter(drive, "1", "skip")
    assert isinstance(skip, TicketSkipped)
    assert drive.ticket("20261128-A-001").state == "skipped"
    assert drive.queue.counters["1"].ticket is None


def test_transfer_keeps_the_original_place_in_the_new_line() -> None:
    drive = Driver()
    issue(drive, "A")  # 08:00
    drive.clock.advance(minutes=1)
    issue(drive, "B")  # 08:01
    drive.clock.advance(minutes=1)
    counter(drive, "1", "call_next")  # A-001 (Loket 1 prefers A)
    drive.clock.advance(minutes=1)
    (event,) = counter(drive, "1", "transfer", service="C")
    assert event == TicketTransferred(
        drive.clock.now, DAY, "20261128-A-001", "C", "1", from_service="A"
    )
    issue(drive, "C")  # 08:03, after the transferred ticket's original time
    ticket = drive.ticket("20261128-A-001")
    assert (ticket.state, ticket.service, ticket.number) == ("waiting", "C", "A-001")
    assert drive.queue.counters["1"].ticket is None
    assert drive.queue.ahead("20261128-A-001") == 0
    assert drive.queue.ahead("20261128-C-001") == 1
    assert called(counter(drive, "3", "call_next")) == "A-001"
    assert called(counter(drive, "3", "call_next")) == "C-001"


def test_transfer_needs_another_known_service() -> None:
    drive = Driver()
    issue(drive)
    counter(drive, "1", "call_next")
    assert rejected(drive, CounterCommand("1", "transfer", service="A"), "invalid_state") == (
        "Antrian A-001 sudah berada di layanan Kartu Keluarga."
    )
    rejected(drive, CounterCommand("1", "transfer", service="Z"), "unknown_service")
    rejected(drive, CounterCommand("1", "transfer"), "bad_request")


def test_call_ticket_calls_that_waiting_ticket() -> None:
    drive = Driver()
    for _ in range(3):
        issue(drive, "B")
    issue(drive, "C")
    assert called(counter(drive, "1", "call_ticket", ticket="B-003")) == "B-003"
    events = counter(drive, "1", "call_ticket", ticket="20261128-B-002")
    assert [type(e) for e in events] == [TicketFinished, TicketCalled]
    assert events[0].ticket_id == "20261128-B-003"
    assert rejected(drive, CounterCommand("1", "call_ticket", ticket="B-003"), "invalid_state") == (
        "Antrian B-003 tidak dapat dipanggil: sudah selesai dilayani."
    )
    assert rejected(drive, CounterCommand("1", "call_ticket", ticket="C-001"), "invalid_state") == (
        "Antrian C-001 (Akta Kelahiran) tidak dilayani di Loket 1."
    )
    rejected(drive, CounterCommand("1", "call_ticket", ticket="B-077"), "unknown_ticket")
    rejected(drive, CounterCommand("1", "call_ticket"), "bad_request")


# --- counters ------------------------------------------------------------------------------


def test_counter_status_changes() -> None:
    drive = Driver()
    assert drive.queue.counters["1"].status == "open"
    assert counter(drive, "1", "open") == []  # already open: nothing to record
    (pause,) = counter(drive, "1", "pause")
    assert pause == CounterStatusChanged(MORNING, DAY, "1", "paused")
    issue(drive)
    message = rejected(drive, CounterCommand("1", "call_next"), "counter_closed")
    assert message == "Loket 1 sedang istirahat. Buka loket dulu untuk memanggil antrian."
    assert counter(drive, "1", "resume")[0].status == "open"
    assert counter(drive, "1", "close")[0].status == "closed"
    rejected(drive, CounterCommand("1", "call_ticket", ticket="A-001"), "counter_closed")
    rejected(drive, CounterCommand("1", "resume"), "invalid_state")
    rejected(drive, CounterCommand("1", "pause"), "invalid_state")
    assert counter(drive, "1", "open")[0].status == "open"


def test_close_needs_the_counter_free_but_pause_does_not() -> None:
    drive = Driver()
    issue(drive)
    counter(drive, "1", "call_next")
    assert rejected(drive, CounterCommand("1", "close"), "invalid_state") == (
        "Loket 1 sedang memanggil A-001. Selesaikan atau lewati dulu."
    )
    counter(drive, "1", "pause")
    # A paused officer still finishes the citizen in front of them.
    counter(drive, "1", "start")
    counter(drive, "1", "finish")
    assert counter(drive, "1", "close")[0].status == "closed"


def test_unknown_counter_service_and_action() -> None:
    drive = Driver()
    rejected(drive, CounterCommand("9", "call_next"), "unknown_counter")
    rejected(drive, CounterCommand("1", "dance"), "bad_request")
    assert rejected(drive, IssueTicket("Z", False, "kiosk-1"), "unknown_service") == (
        "Layanan 'Z' tidak dikenal."
    )


# --- quotas and hours ----------------------------------------------------------------------


def test_daily_quota_counts_todays_tickets_except_cancelled() -> None:
    drive = Driver(Queue(office(A={"daily_quota": 2})))
    issue(drive)
    issue(drive)
    message = rejected(drive, IssueTicket("A", False, "kiosk-1"), "quota_exhausted")
    assert message == (
        "Kuota Kartu Keluarga hari ini (2 antrian) sudah habis. Silakan datang kembali besok."
    )
    drive(CancelTicket("A-002", "paper out", "kiosk-1"))
    assert issue(drive).number == "A-003"
    rejected(drive, IssueTicket("A", False, "kiosk-1"), "quota_exhausted")
    issue(drive, "B")  # other services are not affected
    drive.clock.advance(days=1)
    assert issue(drive).ticket_id == "20261129-A-001"


def test_online_quota_counts_online_tickets_only() -> None:
    drive = Driver(Queue(office(A={"online_quota": 1})))
    issue(drive, online=True, node="web-1")
    rejected(drive, IssueTicket("A", False, "web-1", online=True), "quota_exhausted")
    issue(drive)  # at the kiosk it still works
    drive(CancelTicket("A-001", "citizen cancelled", "web-1"))
    assert issue(drive, online=True, node="web-1").number == "A-003"


def test_opening_hours_are_a_cut_off_for_new_tickets() -> None:
    clock = Clock(MORNING - timedelta(minutes=1))
    drive = Driver(Queue(office(A=HOURS)), clock)
    message = rejected(drive, IssueTicket("A", False, "kiosk-1"), "service_closed")
    assert message == "Layanan Kartu Keluarga hanya menerima antrian pukul 08:00–12:00."
    assert not drive.queue.service_open("A", clock.now)
    clock.advance(minutes=1)
    issue(drive)
    clock.now = datetime(2026, 11, 28, 11, 59, 59, tzinfo=TZ)
    issue(drive)
    clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)
    rejected(drive, IssueTicket("A", False, "kiosk-1"), "service_closed")
    # Those who came before the cut-off are still served.
    assert called(counter(drive, "1", "call_next")) == "A-001"
    issue(drive, "B")  # B has no hours: open all day


def test_admin_can_stop_and_restart_a_service() -> None:
    drive = Driver()
    (event,) = drive(SetServiceAccepting("B", False))
    assert event == ServiceStatusChanged(MORNING, DAY, "B", False)
    assert drive(SetServiceAccepting("B", False)) == []
    assert rejected(drive, IssueTicket("B", False, "kiosk-1"), "service_closed") == (
        "Layanan KTP Elektronik sedang ditutup. Silakan hubungi petugas."
    )
    drive(SetServiceAccepting("B", True))
    issue(drive, "B")
    rejected(drive, SetServiceAccepting("Z", True), "unknown_service")


# --- day rollover --------------------------------------------------------------------------


def test_expire_open_tickets_of_earlier_days_frees_counters() -> None:
    drive = Driver()
    issue(drive, "A")
    issue(drive, "A")
    issue(drive, "C")
    counter(drive, "1", "call_next")  # A-001 called
    counter(drive, "3", "call_next")
    counter(drive, "3", "finish")  # C-001 done
    assert drive(ExpireOpenTickets()) == []  # nothing of an earlier day yet
    drive.clock.now = datetime(2026, 11, 29, 0, 0, 5, tzinfo=TZ)
    issue(drive, "A")  # today's ticket stays
    events = drive(ExpireOpenTickets())
    assert events == [
        TicketExpired(drive.clock.now, DAY, "20261128-A-001", "A"),
        TicketExpired(drive.clock.now, DAY, "20261128-A-002", "A"),
    ]
    assert drive.queue.counters["1"].ticket is None
    assert drive.ticket("20261129-A-001").state == "waiting"
    assert drive.queue.waiting_count("A") == 1
    assert drive(ExpireOpenTickets()) == []


def test_yesterdays_finished_tickets_are_forgotten_once_today_starts() -> None:
    drive = Driver()
    issue(drive, "C")
    counter(drive, "3", "call_next")
    counter(drive, "3", "finish")
    drive.clock.advance(days=1)
    issue(drive, "C")
    assert drive.queue.ticket("20261128-C-001") is None
    assert set(drive.queue.tickets) == {"20261129-C-001"}


# --- estimated wait ------------------------------------------------------------------------


def test_estimated_wait_from_recent_durations_and_open_counters() -> None:
    drive = Driver()
    issue(drive, "C")
    issue(drive, "C")
    # No duration yet today: the service's default 5 minutes, shared by Loket 2 and 3.
    assert drive.queue.estimated_wait_s("C", 0, drive.clock.now, STAFFED) == 150
    counter(drive, "3", "call_next")
    drive.clock.advance(minutes=4)
    counter(drive, "3", "call_next")  # C-001 took 240 s
    drive.clock.advance(minutes=2)
    counter(drive, "3", "finish")  # C-002 took 120 s
    now = drive.clock.now
    # mean 180 s × (ahead 2 + 1) / 2 open counters serving C (2 and 3)
    assert drive.queue.estimated_wait_s("C", 2, now, STAFFED) == 270
    counter(drive, "2", "pause")
    assert drive.queue.estimated_wait_s("C", 2, now, STAFFED) == 540
    counter(drive, "3", "close")
    assert drive.queue.estimated_wait_s("C", 2, now, STAFFED) is None  # nobody serves C now
    counter(drive, "3", "open")
    tomorrow = now + timedelta(days=1)  # a new day starts from the default again
    assert drive.queue.estimated_wait_s("C", 0, tomorrow, STAFFED) == 300


def test_an_open_counter_without_its_device_online_serves_nobody() -> None:
    """Loket 1 closed, Loket 2 on a break, Loket 3 "open" with its Pi switched off: two
    ahead of a new ticket, and no estimate (not "± 1 menit")."""
    drive = Driver()
    for _ in range(3):
        issue(drive, "B")
    counter(drive, "1", "close")
    counter(drive, "2", "pause")
    now = drive.clock.now
    assert drive.queue.estimated_wait_s("B", 2, now, STAFFED) is None
    counter(drive, "1", "open")
    assert drive.queue.estimated_wait_s("B", 2, now, STAFFED) == 900  # 5 min × 3 / 1
    assert drive.queue.estimated_wait_s("B", 2, now, STAFFED - {"1"}) is None  # unplugged
    assert drive.queue.serving_counters("B", {"1", "2"}) == 1  # Loket 2 is still on a break


def test_default_service_time_is_configured_per_service() -> None:
    drive = Driver(Queue(office(A={"service_minutes": 12.5})))
    issue(drive, "A")
    issue(drive, "A")
    assert drive.queue.estimated_wait_s("A", 1, drive.clock.now, STAFFED) == 1500  # 12.5 × 2
    counter(drive, "1", "call_next")
    drive.clock.advance(minutes=3)
    counter(drive, "1", "finish")  # today's first duration replaces the default
    assert drive.queue.estimated_wait_s("A", 1, drive.clock.now, STAFFED) == 360


def test_estimated_wait_averages_only_the_recent_window() -> None:
    drive = Driver()
    for minutes in [100] + [2] * 10:  # one very slow citizen, then ten quick ones
        issue(drive, "C")
        counter(drive, "3", "call_next")
        drive.clock.advance(minutes=minutes)
        counter(drive, "3", "finish")
    assert drive.queue.mean_duration("C", DAY) == 120.0


# --- events as log rows --------------------------------------------------------------------


def test_every_event_kind_round_trips_through_a_log_row() -> None:
    at = datetime(2026, 11, 28, 8, 15, 2, 123456, tzinfo=TZ)
    events: list[Event] = [
        TicketIssued(at, DAY, "20261128-A-012", "A", "A-012", 12, True, "kiosk-1", online=True),
        TicketCalled(at, DAY, "20261128-A-012", "A", "1", "A-012", 2),
        TicketStarted(at, DAY, "20261128-A-012", "A", "1"),
        TicketFinished(at, DAY, "20261128-A-012", "A", "1"),
        TicketSkipped(at, DAY, "20261128-A-012", "A", "1"),
        TicketTransferred(at, DAY, "20261128-A-012", "B", "1", "A"),
        TicketCancelled(at, DAY, "20261128-A-012", "A", "print failed", "kiosk-1"),
        TicketExpired(at, DAY, "20261128-A-012", "A"),
        CounterStatusChanged(at, DAY, "1", "paused"),
        ServiceStatusChanged(at, DAY, "B", False),
    ]
    for event in events:
        row = to_row(event)
        assert from_row(*row) == event
        assert from_row(*row[:6], row.data_json) == event
    issued = to_row(events[0])
    assert issued == (
        "ticket_issued",
        "2026-11-28T08:15:02.123456+07:00",
        "2026-11-28",
        "20261128-A-012",
        "A",
        None,
        {"number": "A-012", "seq": 12, "priority": True, "node": "kiosk-1", "online": True},
    )
    assert to_row(events[5]).data == {"from_service": "A"}
    assert to_row(events[8])[3:] == (None, None, "1", {"status": "paused"})
    with pytest.raises(ValueError):
        from_row("ticket_teleported", "2026-11-28T08:00:00+07:00", "2026-11-28", None, None,
                 None, {})  # fmt: skip


def test_handle_needs_an_aware_clock() -> None:
    with pytest.raises(ValueError):
        Queue(office()).handle(IssueTicket("A", False, "kiosk-1"), datetime(2026, 11, 28, 8))


def test_opening_hours_ignore_the_date() -> None:
    queue = Queue(office(A={"opens": time(7, 30), "closes": time(15, 0)}))
    assert queue.service_open("A", datetime(2026, 12, 1, 7, 30, tzinfo=TZ))
    assert not queue.service_open("A", datetime(2026, 12, 1, 15, 0, tzinfo=TZ))


def test_a_number_from_yesterday_still_open_can_be_called_by_number() -> None:
    drive = Driver()
    issue(drive, "C")
    drive.clock.advance(days=1)
    issue(drive, "A")  # today has no C-001, so "C-001" means yesterday's open ticket
    events = counter(drive, "3", "call_ticket", ticket="C-001")
    assert events[-1].ticket_id == "20261128-C-001"
    issue(drive, "C")  # today's C-001 now exists and wins
    drive(CounterCommand("3", "finish"))
    assert counter(drive, "3", "call_ticket", ticket="C-001")[-1].ticket_id == "20261129-C-001"
