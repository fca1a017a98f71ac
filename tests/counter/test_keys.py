"""The keypad grammar (pure): keys in, commands and notices out, with a clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.payloads import OfficeConfig
from common.wire import decode_counter_request, encode
from nodes.counter.keys import (
    ENTRY_TIMEOUT,
    IDLE,
    KEYS,
    MAX_DIGITS,
    Command,
    Entry,
    Notice,
    Office,
    Outcome,
    parse_line,
    press,
)

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
CONFIG_PAYLOAD = {
    "office": {"id": "kantor", "name": "Kantor Kecamatan Contoh"},
    "hub": "hub",
    "services": [
        {"id": "A", "name": "Kartu Keluarga", "prefix": "A"},
        {"id": "B", "name": "KTP Elektronik", "prefix": "B"},
        {"id": "C", "name": "Akta Kelahiran", "prefix": "C"},
    ],
    "counters": [
        {"id": "1", "name": "Loket 1", "services": ["A", "B"]},
        {"id": "3", "name": "Loket 3", "services": ["C"]},
    ],
}
#: The hub's retained `config`, as the counter decodes it.
CONFIG = OfficeConfig.from_payload(CONFIG_PAYLOAD)
LOKET1 = Office.from_config(CONFIG, "1")
LOKET3 = Office.from_config(CONFIG, "3")


def run(
    keys: str, office: Office = LOKET1, status: str | None = "open", step: float = 0.5
) -> tuple[Entry, list[Outcome]]:
    """Press space-separated keys half a second apart; the entry and every outcome."""
    entry, outcomes = IDLE, []
    for i, key in enumerate(keys.split()):
        entry, outcome = press(entry, key, office, status, T0 + timedelta(seconds=i * step))
        outcomes.append(outcome)
    return entry, outcomes


@pytest.mark.parametrize(
    "key", ["call_next", "recall", "start", "finish", "skip", "pause", "resume", "open", "close"]
)
def test_a_function_key_is_its_action(key: str) -> None:
    entry, outcomes = run(key)
    assert outcomes == [Command(key)]  # type: ignore[arg-type]
    assert entry == IDLE


def test_enter_alone_calls_next() -> None:
    assert run("enter")[1] == [Command("call_next")]


def test_a_function_key_while_typing_forgets_the_digits() -> None:
    entry, outcomes = run("1 2 recall")
    assert outcomes[-1] == Command("recall")
    assert entry == IDLE


def test_digits_then_enter_on_a_one_service_counter_calls_that_number() -> None:
    entry, outcomes = run("1 2 enter", office=LOKET3)
    assert outcomes == [None, None, Command("call_ticket", ticket="C-012")]
    assert entry == IDLE


def test_digits_then_enter_on_a_two_service_counter_asks_which_service() -> None:
    entry, outcomes = run("7 enter")
    assert outcomes == [None, None]
    assert entry.mode == "number_service" and entry.digits == "7"
    entry, outcome = press(entry, "2", LOKET1, "open", T0 + timedelta(seconds=2))
    assert outcome == Command("call_ticket", ticket="B-007")
    assert entry == IDLE


def test_large_numbers_keep_their_digits() -> None:
    assert run("1 2 3 4 enter", office=LOKET3)[1][-1] == Command("call_ticket", ticket="C-1234")


def test_number_zero_is_refused() -> None:
    assert run("0 enter")[1][-1] == Notice("bad_number", "0")
    # "0 0 enter" is the officer's sign-in (tests/counter/test_officer_keys.py).
    assert run("0 0 0 enter")[1][-1] == Notice("bad_number", "000")


def test_too_many_digits_are_refused_but_the_number_is_kept() -> None:
    entry, outcomes = run("1 2 3 4 5 6")
    assert outcomes[-1] == Notice("too_long")
    assert entry.digits == "12345"


def test_transfer_then_a_digit_picks_the_service_by_config_order() -> None:
    entry, outcomes = run("transfer 3")
    assert outcomes == [None, Command("transfer", service="C")]
    assert entry == IDLE


def test_transfer_to_a_digit_without_service_stays_in_the_prompt() -> None:
    entry, outcomes = run("transfer 9")
    assert outcomes[-1] == Notice("unknown_digit", "9")
    assert entry.mode == "transfer"
    entry, outcome = press(entry, "2", LOKET1, "open", T0 + timedelta(seconds=2))
    assert outcome == Command("transfer", service="B")


def test_transfer_key_while_typing_cancels() -> None:
    entry, outcomes = run("4 2 transfer")
    assert outcomes[-1] == Notice("cancelled")
    assert entry == IDLE
    assert run("transfer transfer")[1][-1] == Notice("cancelled")


def test_clear_cancels_and_is_silent_when_nothing_was_typed() -> None:
    assert run("5 clear")[1][-1] == Notice("cancelled")
    assert run("clear")[1] == [None]


def test_enter_in_the_transfer_prompt_cancels_instead_of_calling() -> None:
    entry, outcomes = run("transfer enter")
    assert outcomes[-1] == Notice("cancelled")
    assert entry == IDLE


def test_a_half_typed_entry_expires() -> None:
    entry, _ = run("4 2")
    later = T0 + timedelta(seconds=0.5) + ENTRY_TIMEOUT
    # After the timeout, Enter means "call next" again, not "call number 42".
    assert press(entry, "enter", LOKET1, "open", later) == (IDLE, Command("call_next"))
    just_before = later - timedelta(milliseconds=1)
    assert press(entry, "enter", LOKET1, "open", just_before)[0].mode == "number_service"


def test_every_key_restarts_the_entry_timeout() -> None:
    # Presses 5 s apart, 20 s in all: each one renews the 8 s deadline.
    _entry, outcomes = run("transfer 9 9 9 2", step=5.0)
    assert outcomes[-1] == Command("transfer", service="B")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("open", Command("pause")),
        ("paused", Command("resume")),
        ("closed", Command("open")),
        (None, Notice("no_state")),
    ],
)
def test_toggle_pause_follows_the_counter_status(status: str | None, expected: Outcome) -> None:
    assert run("toggle_pause", status=status)[1] == [expected]


def test_zero_then_toggle_pause_closes_the_counter() -> None:
    assert run("0 toggle_pause")[1][-1] == Command("close")
    assert run("1 toggle_pause")[1][-1] == Command("pause")


def test_digits_need_the_hubs_config() -> None:
    assert run("transfer 1", office=Office())[1][-1] == Notice("no_config")
    assert run("1 enter", office=Office())[1][-1] == Notice("no_config")


def test_an_unknown_key_is_a_notice() -> None:
    assert run("bogus")[1] == [Notice("unknown_key", "bogus")]


def test_office_of_a_counter_the_config_does_not_know() -> None:
    office = Office.from_config(CONFIG, "9")
    assert [s.id for s in office.services] == ["A", "B", "C"]
    assert (office.counter_name, office.counter_services) == ("", ())
    assert LOKET1.counter_name == "Loket 1"
    assert LOKET1.counter_services == ("A", "B")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("call_next", Command("call_next")),
        ("  RECALL  ", Command("recall")),
        ("skip # the citizen left", Command("skip")),
        ("transfer B", Command("transfer", service="B")),
        ("call A-012", Command("call_ticket", ticket="A-012")),
        ("call 20261128-A-012", Command("call_ticket", ticket="20261128-A-012")),
        ("", None),
        ("# a comment", None),
        ("transfer", Notice("bad_command", "transfer")),
        ("call 12", Notice("bad_command", "call 12")),
        ("call_next now", Notice("bad_command", "call_next now")),
        ("dance", Notice("bad_command", "dance")),
    ],
)
def test_stdin_lines(line: str, expected: Outcome) -> None:
    assert parse_line(line) == expected


def test_command_payload_carries_only_its_fields() -> None:
    assert Command("transfer", service="C").payload("1") == {
        "counter": "1",
        "action": "transfer",
        "service": "C",
    }
    assert Command("call_next").payload("2") == {"counter": "2", "action": "call_next"}


@settings(max_examples=300, deadline=None)
@given(
    presses=st.lists(
        st.tuples(st.sampled_from(KEYS), st.floats(min_value=0, max_value=10)), max_size=40
    ),
    status=st.sampled_from(["open", "paused", "closed", None]),
    office=st.sampled_from([LOKET1, LOKET3, Office()]),
)
def test_any_key_sequence_gives_commands_the_wire_accepts(
    presses: list[tuple[str, float]], status: str | None, office: Office
) -> None:
    entry, now = IDLE, T0
    for key, pause in presses:
        now += timedelta(seconds=pause)
        entry, outcome = press(entry, key, office, status, now)
        assert len(entry.digits) <= MAX_DIGITS
        assert (entry.mode == "idle") == (entry.since is None)
        if isinstance(outcome, Command):
            # What the hub will decode: never a bad_request from the keypad itself.
            request = decode_counter_request(encode(outcome.payload("1")))
            assert request.action == outcome.action
            assert entry == IDLE
