"""The office's priority policy (UU 25/2009 Pasal 29): strict, or a ratio with ageing.

The property tests drive one counter that serves two services, the way the daemon drives
the queue (handle, then apply), and check who was called from the event stream.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from common.config import ConfigError, Table
from nodes.hub.events import (
    CounterCommand,
    IssueTicket,
    TicketCalled,
    TicketIssued,
    from_row,
    to_row,
)
from nodes.hub.office import CounterSpec, PriorityPolicy, read_office
from nodes.hub.queue import Queue, Rejected
from tests.hub.support import MORNING, Clock, Driver, office


def ratio_office(ratio: int, bound_minutes: int) -> Queue:
    """The test office with the ratio policy; Loket 1 alone serves A and B."""
    base = office()
    counters = (CounterSpec("1", "Loket 1", ("A", "B")), CounterSpec("3", "Loket 3", ("C",)))
    policy = PriorityPolicy("ratio", ratio, timedelta(minutes=bound_minutes))
    return Queue(replace(base, counters=counters, priority=policy))


def issue(driver: Driver, service: str, priority: bool) -> str:
    (event,) = driver(IssueTicket(service, priority, "kiosk-1"))
    assert isinstance(event, TicketIssued)
    return event.ticket_id


def call_next(driver: Driver) -> TicketCalled | None:
    try:
        events = driver(CounterCommand("1", "call_next"))
    except Rejected as exc:
        assert exc.code == "queue_empty"
        return None
    called = events[-1]
    assert isinstance(called, TicketCalled)
    return called


def test_strict_calls_every_priority_ticket_first() -> None:
    driver = Driver()
    ordinary = issue(driver, "A", False)
    driver.clock.advance(minutes=200)
    first, second = issue(driver, "A", True), issue(driver, "A", True)
    assert [call_next(driver).ticket_id for _ in range(3)] == [first, second, ordinary]  # type: ignore[union-attr]


def test_ratio_calls_one_priority_per_two_ordinary() -> None:
    driver = Driver(ratio_office(2, 60), Clock())
    ordinary = [issue(driver, "A", False) for _ in range(4)]
    priority = [issue(driver, "B", True) for _ in range(2)]
    calls = [call_next(driver).ticket_id for _ in range(6)]  # type: ignore[union-attr]
    assert calls == [priority[0], *ordinary[:2], priority[1], *ordinary[2:]]


def test_an_ordinary_ticket_past_the_bound_goes_before_priority() -> None:
    driver = Driver(ratio_office(2, 30), Clock())
    old = issue(driver, "B", False)
    driver.clock.advance(minutes=30)
    priority = issue(driver, "A", True)
    # The counter owes a priority call (it has called nobody yet), but B's ticket is due.
    assert call_next(driver).ticket_id == old  # type: ignore[union-attr]
    assert call_next(driver).ticket_id == priority  # type: ignore[union-attr]


def test_the_policy_is_read_from_the_hub_table_and_checked() -> None:
    def root(hub: dict[str, object]) -> Table:
        data = {
            "hub": hub,
            "services": [{"id": "A", "name": "Kartu Keluarga"}],
            "counters": [{"id": "1", "services": ["A"]}],
        }
        return Table(data, "hub.toml")

    assert read_office(root({})).priority == PriorityPolicy()
    read = read_office(
        root({"priority_policy": "ratio", "priority_ratio": 3, "ordinary_max_wait_minutes": 45})
    )
    assert read.priority == PriorityPolicy("ratio", 3, timedelta(minutes=45))
    with pytest.raises(ConfigError, match=r"hub\.priority_policy: must be one of strict, ratio"):
        read_office(root({"priority_policy": "fair"}))
    with pytest.raises(ConfigError, match=r"hub\.priority_ratio: must be an integer from 1 to 20"):
        read_office(root({"priority_ratio": 0}))


# --- properties ---------------------------------------------------------------------------

arrivals = st.lists(
    st.tuples(st.integers(0, 30), st.sampled_from("AB"), st.booleans()), min_size=1, max_size=60
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ratio=st.integers(1, 4),
    bound=st.integers(5, 90),
    gap=st.integers(1, 10),
    crowd=st.integers(0, 120),
    priority_times=st.lists(st.integers(0, 600), max_size=80),
    ordinary=st.lists(
        st.tuples(st.sampled_from([0] * 6 + [1, 3, 20]), st.sampled_from("AB")), max_size=40
    ),
)
@example(ratio=1, bound=5, gap=1, crowd=100, priority_times=[], ordinary=[(0, "A")] * 30)
def test_no_ordinary_ticket_waits_past_the_bound(
    ratio: int,
    bound: int,
    gap: int,
    crowd: int,
    priority_times: list[int],
    ordinary: list[tuple[int, str]],
) -> None:
    """The precondition (docs/queue-rules.md): Loket 1 alone serves A and B, presses
    "next" every `gap` minutes, and ordinary tickets come at least `gap` minutes apart.
    Priority tickets come at any time, as many as they like. Then every ordinary ticket
    is called within `ordinary_max_wait_minutes` + `gap` of taking its ticket."""
    driver = Driver(ratio_office(ratio, bound), Clock())
    arrivals: list[tuple[datetime, str, bool]] = []
    at = MORNING
    for extra, service in ordinary:
        at += timedelta(minutes=gap + extra)
        arrivals.append((at, service, False))
    # A crowd of priority citizens at opening time, then more during the day.
    priority_times += [0] * crowd
    arrivals += [(MORNING + timedelta(minutes=m), "AB"[m % 2], True) for m in priority_times]
    arrivals.sort(key=lambda a: a[0])
    issued: dict[str, datetime] = {}
    called: dict[str, datetime] = {}
    tick = MORNING + timedelta(seconds=30)
    index = 0
    while index < len(arrivals) or any(t not in called for t in issued):
        while index < len(arrivals) and arrivals[index][0] <= tick:
            driver.clock.now = arrivals[index][0]
            ticket = issue(driver, arrivals[index][1], arrivals[index][2])
            if not arrivals[index][2]:
                issued[ticket] = driver.clock.now
            index += 1
        driver.clock.now = tick
        event = call_next(driver)
        if event is not None:
            called[event.ticket_id] = tick
        tick += timedelta(minutes=gap)
    limit = timedelta(minutes=bound + gap)
    waits = {t: called[t] - issued[t] for t in issued}
    assert all(wait <= limit for wait in waits.values()), (max(waits.values()), limit)


@settings(max_examples=150, deadline=None)
@given(
    ratio=st.integers(1, 5),
    priority=st.lists(st.sampled_from("AB"), min_size=1, max_size=20),
    ordinary=st.lists(st.sampled_from("AB"), min_size=1, max_size=40),
)
def test_the_ratio_holds_while_both_lines_are_long(
    ratio: int, priority: list[str], ordinary: list[str]
) -> None:
    """With nobody past the bound, while both lines have someone waiting the counter's
    calls go one priority, then `ratio` ordinary, then one priority, ..."""
    driver = Driver(ratio_office(ratio, 600), Clock())
    for service in priority:
        issue(driver, service, True)
    for service in ordinary:
        issue(driver, service, False)
    pattern = [True] + [False] * ratio
    for step in range(len(priority) + len(ordinary)):
        both = any(t.priority for s in "AB" for t in driver.queue.waiting(s)) and any(
            not t.priority for s in "AB" for t in driver.queue.waiting(s)
        )
        event = call_next(driver)
        assert event is not None
        driver.clock.advance(seconds=20)
        if both:
            assert driver.ticket(event.ticket_id).priority == pattern[step % len(pattern)]
    # The ratio's count is rebuilt from the log like everything else.
    replayed = Queue(driver.queue.office)
    for logged in driver.log:
        replayed.apply(from_row(*to_row(logged)))
    assert replayed.snapshot() == driver.queue.snapshot()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals, st.integers(1, 3), st.integers(1, 120))
def test_a_priority_ticket_never_passes_a_due_ordinary_one(
    steps: list[tuple[int, str, bool]], ratio: int, bound: int
) -> None:
    """Without any precondition: under the ratio policy a call never takes a priority
    ticket while an ordinary ticket in the counter's services has waited the bound."""
    driver = Driver(ratio_office(ratio, bound), Clock())
    for minutes, service, priority in steps:
        driver.clock.advance(minutes=minutes)
        issue(driver, service, priority)
        if minutes % 3 == 0:
            due = [
                t
                for s in "AB"
                for t in driver.queue.waiting(s)
                if not t.priority and driver.clock.now - t.issued_at >= timedelta(minutes=bound)
            ]
            event = call_next(driver)
            assert event is not None
            if due:
                assert not driver.ticket(event.ticket_id).priority
                assert event.ticket_id == min(due, key=lambda t: t.issued_at).ticket_id
