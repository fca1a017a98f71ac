"""The officer's sign-in on the counter keypad: `0 0 enter`, code, `enter`, PIN, `enter`."""

from __future__ import annotations

from common.wire import decode_counter_request, encode
from nodes.counter.keys import IDLE, Command, Notice, parse_line
from nodes.counter.view import CounterView, lcd_lines, terminal_line
from tests.counter.test_keys import LOKET1, run


def test_sign_in_is_code_then_pin() -> None:
    entry, outcomes = run("0 0 enter 7 enter 1 2 3 4 enter")
    assert outcomes[:-1] == [None] * 9
    assert outcomes[-1] == Command("sign_in", officer="7", pin="1234")
    assert entry == IDLE
    # What goes to the hub is a request the hub reads back whole.
    command = outcomes[-1]
    assert isinstance(command, Command)
    payload = command.payload("1")
    request = decode_counter_request(encode(payload))
    assert (request.action, request.officer, request.pin) == ("sign_in", "7", "1234")


def test_enter_with_no_code_signs_out() -> None:
    assert run("0 0 enter enter")[1][-1] == Command("sign_out")


def test_a_short_pin_is_asked_again_and_clear_forgets_all() -> None:
    entry, outcomes = run("0 0 enter 7 enter 1 2 enter")
    assert outcomes[-1] == Notice("short_pin")
    assert (entry.mode, entry.officer, entry.digits) == ("pin", "7", "")
    entry, outcomes = run("0 0 enter 7 enter 1 2 clear")
    assert entry == IDLE and outcomes[-1] == Notice("cancelled")


def test_the_pin_is_never_shown_nor_logged() -> None:
    entry, _ = run("0 0 enter 7 enter 1 2 3")
    view = CounterView("1", office=LOKET1, online=True, entry=entry)
    assert view.prompt == ("PIN", "7: ***_")
    assert "123" not in terminal_line(view)
    assert not any("123" in line for line in lcd_lines(view, 16, 2))
    command = Command("sign_in", officer="7", pin="1234")
    assert "1234" not in str(command) and "1234" not in repr(command)


def test_the_code_prompt_shows_what_is_typed() -> None:
    entry, _ = run("0 0 enter 1 2")
    view = CounterView("1", office=LOKET1, online=True, entry=entry)
    assert view.prompt == ("KODE PETUGAS", "12_")


def test_the_stdin_keypad_signs_in_and_out() -> None:
    assert parse_line("sign_in 7 1234") == Command("sign_in", officer="7", pin="1234")
    assert parse_line("sign_out") == Command("sign_out")
    assert parse_line("sign_in 7") == Notice("bad_command", "sign_in 7")
