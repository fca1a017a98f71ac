"""Property tests of the queue core: random days of kiosk presses and officers' keys.

Each example is a list of steps (move the clock, then send one command) run the way the
daemon runs the queue (handle, then apply). The checks below look at the event stream
and at the queue from the outside, not at how the queue decides.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.wire import COUNTER_ACTIONS
from nodes.hub.events import (
    CancelTicket,
    Command,
    CounterCommand,
    Event,
    ExpireOpenTickets,
    IssueTicket,
    SetServiceAccepting,
    TicketCalled,
    TicketCancelled,
    TicketExpired,
    TicketFinished,
    TicketIssued,
    TicketSkipped,
    TicketTransferred,
    from_row,
    to_row,
)
from nodes.hub.queue import Queue, Rejected
from tests.hub.support import MORNING, office

FINAL = (TicketFinished, TicketSkipped, TicketCancelled, TicketExpired)
OFFICE = office(
    A={"daily_quota": 12, "online_quota": 3},
    C={"opens": time(7, 30), "closes": time(15, 0)},
)
SERVICES = ["A", "B", "C", "Z"]  # Z is unknown
COUNTERS = ["1", "2", "3"]

# (minutes to wait, kind of command, a few small integers to pick its arguments)
step = st.tuples(
    st.sampled_from([0, 1, 2, 3, 5, 8, 13] * 5 + [240, 24 * 60]),
    st.sampled_from(["issue"] * 4 + ["counter"] * 7 + ["cancel", "service", "expire"]),
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.booleans(),
)  # fmt: skip


def command_for(queue: Queue, kind: str, a: int, b: int, flag: bool, issued: list[str]) -> Command:
    if kind == "issue":
        return IssueTicket(SERVICES[a % 4], priority=flag and b % 3 == 0, node="kiosk-1",
                           online=b % 4 == 1)  # fmt: skip
    if kind == "cancel":
        ticket = issued[a % len(issued)] if issued else "20261128-A-001"
        return CancelTicket(ticket, "print failed", "kiosk-1")
    if kind == "service":
        return SetServiceAccepting(SERVICES[a % 3], accepting=flag or b % 2 == 0)
    if kind == "expire":
        return ExpireOpenTickets()
    # Officers mostly call and finish; the rest of the keypad less often.
    actions = ["call_next"] * 6 + ["finish", "start", "transfer"] * 2 + list(COUNTER_ACTIONS)
    action = actions[b % len(actions)]
    called: str | None = None
    if action == "call_ticket" and issued:
        called = issued[a % len(issued)]
        if flag:
            called = called.split("-", 1)[1]  # by number
    officer = ("1", "2", "9")[a % 3] if action == "sign_in" else None  # 9 is unknown
    return CounterCommand(COUNTERS[a % 3] if a % 29 else "9", action, ticket=called,
                          service=SERVICES[b % 4], officer=officer)  # fmt: skip


def run(steps: list[tuple[int, str, int, int, bool]]) -> tuple[Queue, list[Event], datetime]:
    queue = Queue(OFFICE)
    now = MORNING - timedelta(hours=1)
    log: list[Event] = []
    issued: list[str] = []
    for minutes, kind, a, b, flag in steps:
        now += timedelta(minutes=minutes, seconds=a % 60)
        command = command_for(queue, kind, a, b, flag, issued)
        before = queue.snapshot()
        # Everything waiting at each counter before the step, to check who gets called.
        lines = {c.id: [queue.waiting(s) for s in c.services] for c in OFFICE.counters}
        try:
            events = queue.handle(command, now)
        except Rejected as exc:
            assert exc.code in {"unknown_service", "unknown_counter", "unknown_ticket",
                                "quota_exhausted", "service_closed", "queue_empty",
                                "invalid_state", "counter_closed", "bad_request",
                                "wrong_pin"}  # fmt: skip
            assert exc.message
            events = []
        assert queue.snapshot() == before, "handle() changed the queue"
        for event in events:
            queue.apply(event)
            if isinstance(event, TicketIssued):
                issued.append(event.ticket_id)
            check_call(command, event, lines, log)
        log.extend(events)
        held = [c.ticket for c in queue.counters.values() if c.ticket is not None]
        assert len(held) == len(set(held)), "one ticket at two counters"
        for c in queue.counters.values():
            if c.ticket is not None:
                assert queue.tickets[c.ticket].state in ("called", "serving")
    return queue, log, now


def check_call(command: Command, event: Event, lines: dict[str, list], log: list[Event]) -> None:
    """A first call takes a waiting ticket, in FIFO order with priority first."""
    if not isinstance(event, TicketCalled) or event.recall:
        return
    waiting = [t for line in lines[event.counter] for t in line]
    called = next(t for t in waiting if t.ticket_id == event.ticket_id)
    if isinstance(command, CounterCommand) and command.action == "call_next":
        # The place in line is the ORIGINAL issue time, read from the log, not the queue.
        issued_at = {e.ticket_id: e.at for e in log if isinstance(e, TicketIssued)}
        same_service = [t for t in waiting if t.service == called.service]
        key = (not called.priority, issued_at[called.ticket_id], called.ticket_id)
        assert all(
            key <= (not t.priority, issued_at[t.ticket_id], t.ticket_id) for t in same_service
        ), "FIFO within a service, priority first"
        if not called.priority:
            assert not any(t.priority for t in waiting), "a priority ticket was passed over"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=80))
def test_random_days_keep_every_rule(steps: list[tuple[int, str, int, int, bool]]) -> None:
    queue, log, now = run(steps)

    # Numbers are unique and gap-free per service per day.
    seqs: dict[tuple[object, str], list[int]] = defaultdict(list)
    for event in log:
        if isinstance(event, TicketIssued):
            seqs[(event.day, event.service)].append(event.seq)
            assert event.number == f"{event.service}-{event.seq:03d}"
            assert event.ticket_id == f"{event.day:%Y%m%d}-{event.number}"
            assert event.day == event.at.date()
    for numbers in seqs.values():
        assert numbers == list(range(1, len(numbers) + 1))

    # A ticket is called again (not as a recall) only after being transferred.
    first_calls: Counter[str] = Counter()
    transfers: Counter[str] = Counter()
    for event in log:
        if isinstance(event, TicketCalled) and event.recall == 0:
            first_calls[event.ticket_id] += 1
            assert first_calls[event.ticket_id] <= transfers[event.ticket_id] + 1
        if isinstance(event, TicketTransferred):
            transfers[event.ticket_id] += 1
            assert event.service != event.from_service

    # Replaying the log into a fresh queue gives the same state, through the log rows too.
    replayed = Queue(OFFICE)
    for event in log:
        replayed.apply(from_row(*to_row(event)))
    assert replayed.snapshot() == queue.snapshot()

    # The next day, after the rollover, every ticket has ended exactly once.
    tomorrow = now + timedelta(days=1)
    expired = queue.handle(ExpireOpenTickets(), tomorrow)
    for event in expired:
        queue.apply(event)
    ends: Counter[str] = Counter()
    last: dict[str, Event] = {}
    for event in [*log, *expired]:
        ticket_id = getattr(event, "ticket_id", None)
        if ticket_id is not None:
            last[ticket_id] = event
        if isinstance(event, FINAL):
            ends[event.ticket_id] += 1
    issued = [e.ticket_id for e in log if isinstance(e, TicketIssued)]
    assert all(ends[t] == 1 for t in issued)
    assert all(isinstance(last[t], FINAL) for t in issued)
    assert all(t.final for t in queue.tickets.values())
    assert all(c.ticket is None for c in queue.counters.values())
    assert queue.handle(ExpireOpenTickets(), tomorrow) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.booleans(), st.integers(0, 600)),
                min_size=1, max_size=30))  # fmt: skip
def test_ahead_counts_who_is_called_first(issues: list[tuple[str, bool, int]]) -> None:
    """`ahead` of each waiting ticket is exactly how many of its service are called
    before it when a counter serving only that service calls them all."""
    queue = Queue(office())
    now = MORNING
    for service, priority, seconds in issues:
        now += timedelta(seconds=seconds)
        for event in queue.handle(IssueTicket(service, priority, "kiosk-1"), now):
            queue.apply(event)
    # Loket 3 serves only C; then, with C empty, Loket 2 serves only B.
    for service, counter in (("C", "3"), ("B", "2")):
        ahead = {t.ticket_id: queue.ahead(t.ticket_id) for t in queue.waiting(service)}
        order = []
        while queue.waiting_count(service):
            events = queue.handle(CounterCommand(counter, "call_next"), now)
            for event in events:
                queue.apply(event)
            order.append(events[-1].ticket_id)  # type: ignore[union-attr]
        assert {t: i for i, t in enumerate(order)} == ahead
