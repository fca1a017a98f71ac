"""The announcer's policy (pure): only what is still current at its counter, newest per
counter, fair turns, recalls coalesced, nothing twice, zones, the journal round trip."""

from __future__ import annotations

from datetime import timedelta

from common.payloads import Call, CounterState
from nodes.display.calling import CallBook, Zone, in_call_order, journal_payload, read_journal
from tests.display.office import NOW, call, counter_state


def c(number: str, counter: str, seconds: float = 0, recall: int = 0) -> Call:
    return Call.from_payload(
        call(number, counter, at=NOW + timedelta(seconds=seconds), recall=recall)
    )


def holding(
    counter: str, number: str | None, seconds: float = 0, state: str = "called"
) -> CounterState:
    payload = counter_state(counter, number, at=NOW + timedelta(seconds=seconds))
    if payload["ticket"] is not None:
        payload["ticket"]["state"] = state
    return CounterState.from_payload(payload)


def book(**kwargs: object) -> CallBook:
    return CallBook(60, **kwargs)  # type: ignore[arg-type]


LATER = NOW + timedelta(seconds=5)


def test_a_call_waits_for_its_counter_state_then_is_ready() -> None:
    calls = book()
    assert calls.offer(c("A-001", "1"), NOW) == "queued"
    assert calls.next(NOW) is None  # the hub publishes the state up to 50 ms after the event
    calls.on_counter("1", holding("1", "A-001"))
    assert calls.next(NOW) == c("A-001", "1")
    calls.announced(c("A-001", "1"))
    assert calls.next(NOW) is None and calls.waiting() == 0


def test_a_call_skipped_transferred_or_started_before_its_turn_is_dropped() -> None:
    for state in (holding("1", None), holding("1", "A-001", state="serving")):
        calls = book()
        calls.on_counter("1", holding("1", "A-001"))
        calls.offer(c("A-001", "1"), NOW)
        calls.on_counter("1", state)  # received after the call: the ticket moved on
        assert calls.next(LATER) is None
        assert calls.waiting() == 0 and calls.dropped == 1


def test_a_state_from_before_the_call_does_not_drop_it() -> None:
    calls = book()
    calls.on_counter("1", holding("1", None))  # the counter was free
    calls.offer(c("A-001", "1"), NOW)
    assert calls.next(NOW) is None and calls.waiting() == 1  # unconfirmed, still waiting
    calls.on_counter("1", holding("1", "A-001"))
    assert calls.next(NOW) == c("A-001", "1")


def test_when_behind_each_counter_keeps_only_its_newest_call() -> None:
    calls = book()
    calls.offer(c("A-001", "1", 0), NOW)
    calls.offer(c("B-001", "2", 1), NOW)
    calls.offer(c("A-002", "1", 2), NOW)  # loket 1 moved on: A-001 is superseded
    calls.on_counter("1", holding("1", "A-002", 2))
    calls.on_counter("2", holding("2", "B-001", 1))
    assert calls.waiting() == 2 and calls.dropped == 1
    first = calls.next(LATER)
    assert first == c("B-001", "2", 1)  # waiting longest goes first
    calls.announced(first)
    assert calls.next(LATER) == c("A-002", "1", 2)


def test_an_earlier_calling_of_a_ticket_is_not_current() -> None:
    # A-001 was called at loket 1, transferred, and called again there later.
    calls = book()
    calls.on_counter("1", holding("1", "A-001", 10))
    calls.offer(c("A-001", "1", 0), NOW)
    assert calls.next(LATER) is None and calls.dropped == 1


def test_recalls_coalesce_and_a_later_recall_is_spoken_again() -> None:
    calls = book()
    calls.on_counter("1", holding("1", "A-001"))
    calls.offer(c("A-001", "1", 0), NOW)
    calls.offer(c("A-001", "1", 3, recall=1), NOW)
    calls.offer(c("A-001", "1", 6, recall=2), NOW)
    assert calls.waiting() == 1 and calls.dropped == 0
    spoken = calls.next(LATER)
    assert spoken == c("A-001", "1", 6, recall=2)
    calls.announced(spoken)
    # The retained list brings the older ones again: nothing new.
    for old in (c("A-001", "1", 0), c("A-001", "1", 3, recall=1), spoken):
        assert calls.offer(old, LATER) == "duplicate"
    assert calls.offer(c("A-001", "1", 9, recall=3), LATER) == "queued"
    assert calls.next(LATER) == c("A-001", "1", 9, recall=3)


def test_a_call_that_ages_out_while_waiting_is_dropped() -> None:
    calls = book()
    calls.offer(c("A-001", "1"), NOW)
    assert calls.offer(c("B-001", "2", -120), NOW) == "stale"
    calls.on_counter("1", holding("1", "A-001"))
    assert calls.next(NOW + timedelta(seconds=61)) is None and calls.dropped == 1


def test_a_zone_takes_only_its_counters_and_services() -> None:
    zone = Zone(counters=frozenset({"1", "2"}), services=frozenset({"B"}))
    assert zone.covers("2", "B") and not zone.covers("3", "B") and not zone.covers("1", "A")
    assert Zone().covers("9", "Z")
    calls = book(zone=zone)
    assert calls.offer(c("A-001", "1"), NOW) == "elsewhere"
    assert calls.offer(c("B-001", "3"), NOW) == "elsewhere"
    assert calls.offer(c("B-002", "2"), NOW) == "queued"


def test_the_journal_survives_a_restart() -> None:
    calls = book()
    calls.on_counter("1", holding("1", "A-001"))
    calls.offer(c("A-001", "1"), NOW)
    calls.announced(c("A-001", "1"))
    saved = read_journal(journal_payload(calls.journal(NOW)))
    assert saved == {"1": c("A-001", "1")}
    assert calls.journal(NOW + timedelta(seconds=61)) == {}  # too old to come back anyway
    restarted = book(announced=saved)
    restarted.on_counter("1", holding("1", "A-001"))
    retained = [c("A-001", "1"), c("B-001", "2", 2)]
    restarted.on_counter("2", holding("2", "B-001", 2))
    assert [restarted.offer(x, LATER) for x in in_call_order(retained)] == ["duplicate", "queued"]
    assert restarted.next(LATER) == c("B-001", "2", 2)
    assert read_journal({"announced": [{"number": 5}, "x"]}) == {}
