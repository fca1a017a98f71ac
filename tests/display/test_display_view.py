"""The display's functional core: retained payloads in, a `View` out (no I/O, no clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from common.payloads import Call, Calls, CounterState, NodeStatus, OfficeConfig, QueueState
from common.wire import WireError
from nodes.display.view import KEPT_CALLS, RECENT_SHOWN, Board
from tests.display.office import CALLS, CONFIG, COUNTERS, NOW, QUEUE, call, counter_state


def full_board() -> Board:
    board = Board()
    board.apply_config(OfficeConfig.from_payload(CONFIG))
    board.apply_queue(QueueState.from_payload(QUEUE))
    for counter, payload in COUNTERS.items():
        board.apply_counter(counter, CounterState.from_payload(payload))
    board.apply_calls(Calls.from_payload(CALLS))
    board.online = True
    return board


def test_view_of_a_known_office() -> None:
    view = full_board().view(NOW)
    assert view.office_name == "Kantor Kecamatan Contoh"
    assert view.date_text == "Sabtu, 28 November 2026"
    assert view.clock_text == "08.15"
    assert view.featured is not None
    assert (view.featured.number, view.featured.counter_name) == ("A-012", "Loket 1")
    assert view.featured.service_name == "Kartu Keluarga"
    assert not view.featured.highlighted  # called 20 s ago; the highlight lasts 10 s
    assert [(r.number, r.counter_name) for r in view.recent] == [
        ("B-004", "Loket 2"),
        ("A-011", "Loket 1"),
    ]
    assert [(c.name, c.number, c.note, c.active) for c in view.counters] == [
        ("Loket 1", "A-012", "", True),
        ("Loket 2", "B-004", "", False),
        ("Loket 3", "—", "REHAT", False),
    ]
    assert [(s.prefix, s.waiting, s.wait_text, s.open) for s in view.services] == [
        ("A", 5, "± 15 menit", True),
        ("B", 2, "± 5 menit", True),
        ("C", 0, "tutup", False),
    ]
    assert view.online


def test_highlight_follows_called_at_then_expires() -> None:
    board = full_board()
    # A-012 was called 20 s before NOW.
    assert board.view(NOW, highlight_s=30).featured.highlighted  # type: ignore[union-attr]
    assert not board.view(NOW, highlight_s=10).featured.highlighted  # type: ignore[union-attr]


def test_the_call_being_announced_is_featured_and_lit_from_its_start() -> None:
    board = full_board()
    older = Call.from_payload(call("B-004", "2", at=NOW - timedelta(minutes=5)))
    board.start_announcing(older, NOW)
    view = board.view(NOW + timedelta(seconds=3), highlight_s=10)
    assert view.featured is not None and view.featured.number == "B-004"
    assert view.featured.highlighted
    assert [c.active for c in view.counters] == [False, True, False]
    assert "B-004" not in [r.number for r in view.recent]
    board.stop_announcing()
    assert board.view(NOW).featured.number == "A-012"  # type: ignore[union-attr]


def test_a_live_call_goes_on_top_once_even_if_redelivered() -> None:
    board = full_board()
    event = Call.from_payload(call("C-001", "3", at=NOW))
    board.apply_call(event)
    board.apply_call(event)
    numbers = [c.number for c in board.calls]
    assert numbers[0] == "C-001" and numbers.count("C-001") == 1


def test_a_recall_is_a_new_call_but_listed_once() -> None:
    board = Board()
    board.apply_call(
        Call.from_payload(call("B-002", "2", recall=0, at=NOW - timedelta(seconds=60)))
    )
    board.apply_call(Call.from_payload(call("A-001", "1", recall=0)))
    board.apply_call(
        Call.from_payload(call("B-002", "2", recall=1, at=NOW + timedelta(seconds=20)))
    )
    board.apply_call(
        Call.from_payload(call("A-001", "1", recall=1, at=NOW + timedelta(seconds=30)))
    )
    assert [(c.number, c.recall) for c in board.calls] == [
        ("A-001", 1),
        ("B-002", 1),
        ("A-001", 0),
        ("B-002", 0),
    ]
    view = board.view(NOW + timedelta(seconds=31))
    assert view.featured is not None and view.featured.number == "A-001"
    assert [r.number for r in view.recent] == ["B-002"]


def test_retained_calls_do_not_hide_a_newer_live_call() -> None:
    board = full_board()
    board.apply_call(Call.from_payload(call("C-002", "3", at=NOW + timedelta(seconds=5))))
    board.apply_calls(
        Calls.from_payload(CALLS)
    )  # the hub's retained list, published just before the event
    assert board.calls[0].number == "C-002"
    assert len(board.calls) <= KEPT_CALLS


def test_the_board_keeps_only_recent_calls() -> None:
    board = Board()
    for i in range(20):
        board.apply_call(Call.from_payload(call(f"A-{i:03d}", "1", at=NOW + timedelta(seconds=i))))
    assert len(board.calls) == KEPT_CALLS
    assert board.calls[0].number == "A-019"
    assert len(board.view(NOW).recent) == RECENT_SHOWN


def test_empty_board_shows_no_call_and_offline() -> None:
    view = Board().view(NOW)
    assert view.featured is None and view.recent == () and view.counters == ()
    assert not view.online
    assert view.labels["offline"] == "Terputus dari server"


def test_english_catalogue() -> None:
    view = full_board().view(NOW, lang="en")
    assert view.date_text == "Saturday, 28 November 2026"
    assert view.clock_text == "08:15"
    assert view.counters[2].note == "BREAK"
    assert view.services[0].wait_text == "about 15 minutes"


def test_counter_status_and_removal() -> None:
    board = full_board()
    board.apply_counter("2", CounterState.from_payload(counter_state("2", None, "closed")))
    assert board.view(NOW).counters[1].note == "TUTUP"
    board.apply_counter("2", None)  # retained message cleared
    assert [c.name for c in board.view(NOW).counters] == ["Loket 1", "Loket 3"]


def test_config_update_keeps_counts_and_renames() -> None:
    board = full_board()
    renamed = {**CONFIG, "services": [{"id": "A", "name": "KK", "prefix": "A"}]}
    board.apply_config(OfficeConfig.from_payload(renamed))
    assert [(s.name, s.waiting) for s in board.services.values()] == [("KK", 5)]


def test_display_name_overrides_office_name() -> None:
    assert full_board().view(NOW, office_name="Mal Pelayanan Publik").office_name == (
        "Mal Pelayanan Publik"
    )


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"number": "A-012"},  # no counter
        {"number": "A012", "counter": "1"},
        {"number": 12, "counter": "1"},
        {"number": "A-012", "counter": "1", "recall": -1},
        {"number": "A-012", "counter": "1", "recall": True},
        {"number": "A-012", "counter": ""},
        {k: v for k, v in call("A-012", "1").items() if k != "called_at"},  # no time
        {**call("A-012", "1"), "called_at": "08:15"},
    ],
)
def test_bad_call_events_are_refused(payload: dict[str, object]) -> None:
    with pytest.raises(WireError):
        Call.from_payload(payload)


@pytest.mark.parametrize(
    ("read", "payload"),
    [
        (OfficeConfig.from_payload, {**CONFIG, "services": "A"}),
        (OfficeConfig.from_payload, {**CONFIG, "services": [{"id": "A"}]}),
        (QueueState.from_payload, {"A": 5}),
        (QueueState.from_payload, {"A": {**QUEUE["A"], "waiting": -1}}),
        (QueueState.from_payload, {"A": {**QUEUE["A"], "estimated_wait_s": "soon"}}),
        (Calls.from_payload, {"calls": [{"number": "bad"}]}),
        (Calls.from_payload, {"calls": "A-001"}),
        (CounterState.from_payload, {**COUNTERS["1"], "status": "asleep"}),
        (CounterState.from_payload, {**COUNTERS["1"], "ticket": "A-001"}),
    ],
)
def test_bad_state_is_refused(read: Callable[[dict[str, Any]], object], payload: Any) -> None:
    with pytest.raises(WireError):
        read(payload)


def test_a_dead_hub_marks_the_view_offline() -> None:
    board = full_board()
    assert board.view(NOW).online  # no hub status seen yet: the broker link decides
    board.apply_node_status("kiosk-1", NodeStatus(True, "kiosk"))
    board.apply_node_status("hub", NodeStatus(False, "hub"))  # its Last Will
    view = board.view(NOW)
    assert not view.online
    assert view.featured is not None and view.featured.number == "A-012"  # state kept
    board.apply_node_status("kiosk-1", NodeStatus(False, "kiosk"))  # not the hub
    board.apply_node_status("hub", NodeStatus(True, "hub", "0.1.0"))
    assert board.view(NOW).online


def test_only_the_hubs_own_status_topic_speaks_for_the_hub() -> None:
    board = full_board()
    board.apply_node_status("hub", NodeStatus(True, "hub"))
    board.apply_node_status("kiosk-1", NodeStatus(False, "hub"))  # a lie
    assert board.view(NOW).online
    # A hub provisioned under another id says so in its retained config.
    board.apply_node_status("pusat", NodeStatus(False, "hub"))
    board.apply_config(OfficeConfig.from_payload({**CONFIG, "hub": "pusat"}))
    assert not board.view(NOW).online


# --- the featured call is the newest call that is still current ---------------------------


def live(board: Board, number: str, counter: str, at_s: float, *, recall: int = 0) -> Call:
    """The hub's `event/call`, then (a moment later, as the hub does) its counter's state."""
    event = Call.from_payload(
        call(number, counter, at=NOW + timedelta(seconds=at_s), recall=recall)
    )
    board.apply_call(event)
    return event


def state(
    board: Board, counter: str, number: str | None, status: str = "open", *, at_s: float = 0
) -> None:
    at = NOW + timedelta(seconds=at_s)
    board.apply_counter(
        counter, CounterState.from_payload(counter_state(counter, number, status, at=at))
    )


def serving(board: Board, counter: str, number: str, *, at_s: float) -> None:
    payload = counter_state(counter, number, at=NOW + timedelta(seconds=at_s))
    payload["ticket"]["state"] = "serving"
    board.apply_counter(counter, CounterState.from_payload(payload))


def shown(board: Board, at_s: float, **options: Any) -> tuple[Any, list[tuple[str, str]]]:
    view = board.view(NOW + timedelta(seconds=at_s), **options)
    featured = (view.featured.number, view.featured.counter_name) if view.featured else None
    return featured, [(r.number, r.counter_name) for r in view.recent]


def test_a_closed_counter_takes_its_call_off_the_big_area() -> None:
    board = full_board()
    live(board, "A-013", "1", 40)
    state(board, "1", "A-013", at_s=40)
    assert shown(board, 41)[0] == ("A-013", "Loket 1")
    state(board, "1", None, "closed")  # Loket 1 closes with A-013 still on screen
    featured, recent = shown(board, 42)
    assert featured == ("B-004", "Loket 2")  # the newest call still current
    assert recent[0] == ("A-013", "Loket 1")
    state(board, "2", None, "paused")
    view = board.view(NOW + timedelta(seconds=43))
    assert view.featured is None  # nothing current: the calm idle message
    assert view.labels["no_call"] == "Silakan menunggu nomor Anda dipanggil"


def test_a_transferred_ticket_is_featured_at_its_new_counter_only() -> None:
    board = full_board()
    at_loket_1 = live(board, "A-002", "1", 30)
    state(board, "1", "A-002", at_s=30)
    assert shown(board, 31)[0] == ("A-002", "Loket 1")
    # Transferred to Loket 2 (the same ticket) and called there, while the voice, behind,
    # only now speaks the call to Loket 1.
    state(board, "1", None)
    live(board, "A-002", "2", 60)
    state(board, "2", "A-002", at_s=60)
    board.start_announcing(at_loket_1, NOW + timedelta(seconds=61))
    featured, recent = shown(board, 61)
    assert featured == ("A-002", "Loket 2")
    assert ("A-002", "Loket 1") not in recent


def test_a_served_call_steps_back_after_highlight_s() -> None:
    board = full_board()
    live(board, "B-005", "2", 30)
    state(board, "2", "B-005", at_s=30)
    serving(board, "2", "B-005", at_s=30)  # the citizen sat down at once
    assert shown(board, 35, highlight_s=10)[0] == ("B-005", "Loket 2")
    featured, recent = shown(board, 41, highlight_s=10)
    assert featured == ("A-012", "Loket 1")  # still called, not yet served
    assert recent[0] == ("B-005", "Loket 2")


def test_the_counter_calling_the_next_ticket_moves_the_big_area_on() -> None:
    board = full_board()
    live(board, "A-013", "1", 30)
    state(board, "1", "A-013", at_s=30)
    live(board, "B-005", "2", 31)
    state(board, "2", "B-005", at_s=31)
    assert shown(board, 32)[0] == ("B-005", "Loket 2")
    state(board, "2", "C-001", at_s=33)  # Loket 2 called C-001; its event went missing
    featured, _ = shown(board, 34)
    assert featured == ("A-013", "Loket 1")


def test_a_live_call_is_featured_before_its_counter_state_arrives() -> None:
    board = full_board()
    live(board, "A-013", "1", 30)  # Loket 1's retained state still says A-012
    assert shown(board, 30)[0] == ("A-013", "Loket 1")
    state(board, "1", None)  # then finished (or skipped) before the display drew again
    assert shown(board, 31)[0] == ("B-004", "Loket 2")


def test_previous_calls_hold_only_what_was_featured_newest_first() -> None:
    board = full_board()
    assert shown(board, 0)[0] == ("A-012", "Loket 1")
    # Three calls in a burst; the voice is still on the first.
    first = live(board, "A-013", "1", 30)
    live(board, "B-005", "2", 31)
    live(board, "C-001", "3", 32)
    board.start_announcing(first, NOW + timedelta(seconds=32))
    featured, recent = shown(board, 33)
    assert featured == ("A-013", "Loket 1")
    # B-005 and C-001 were never on the big area: they are not "previous" yet.
    assert recent == [("A-012", "Loket 1"), ("B-004", "Loket 2"), ("A-011", "Loket 1")]
    board.start_announcing(board.calls[1], NOW + timedelta(seconds=36))  # B-005
    assert shown(board, 37)[0] == ("B-005", "Loket 2")
    board.stop_announcing()
    featured, recent = shown(board, 40)
    assert featured == ("C-001", "Loket 3")
    assert recent[:4] == [
        ("B-005", "Loket 2"),
        ("A-013", "Loket 1"),
        ("A-012", "Loket 1"),
        ("B-004", "Loket 2"),
    ]
