"""Service buttons and LEDs on gpiozero's MockFactory, and the simulated line input."""

from __future__ import annotations

import io
import threading
import time
from functools import partial

from gpiozero.pins.mock import MockFactory

from nodes.kiosk.buttons import (
    NOW_SERVING,
    ButtonPins,
    Debouncer,
    GpioButtons,
    LineButtons,
    Press,
    PriorityLatch,
    parse_line,
)
from nodes.kiosk.gpiochip import chip_board
from tests.harness import wait_for


def _gpio(pins: MockFactory) -> tuple[GpioButtons, list[Press]]:
    buttons = GpioButtons([ButtonPins("A", 17, 27), ButtonPins("B", 18, 22)], priority=(23, 24))
    presses: list[Press] = []
    buttons.start(presses.append)
    return buttons, presses


def _tap(pins: MockFactory, pin: int, hold: float = 0.0) -> None:
    pins.pin(pin).drive_low()
    if hold:
        time.sleep(hold)
    pins.pin(pin).drive_high()


def test_one_press_is_one_press(pins: MockFactory) -> None:
    buttons, presses = _gpio(pins)
    _tap(pins, 17)
    assert presses == [Press("A", False)]
    buttons.close()


def test_a_button_to_3v3_presses_on_the_rising_edge(pins: MockFactory) -> None:
    buttons = GpioButtons([ButtonPins("A", 5, 6)], pull_up=False)
    presses: list[Press] = []
    buttons.start(presses.append)
    assert presses == []  # pulled down: idle low is not a press
    pins.pin(5).drive_high()
    pins.pin(5).drive_low()
    assert presses == [Press("A", False)]
    buttons.set_led("A", "lit")
    assert pins.pin(6).state is True
    buttons.close()


def test_a_gpiochip_board_names_its_lines_by_offset() -> None:
    board = chip_board(2, 8)
    for name in (3, "3", "GPIO3"):
        found = [(header.name, pin.name) for header, pin in board.find_pin(name)]
        assert found == [("gpiochip2", "GPIO3")]
    assert list(board.find_pin(8)) == [] and list(board.find_pin("GPIO17")) == []
    # no fixed pull on any line (a Pi's GPIO3 has one): pull="down" is allowed everywhere
    assert {pin.pull for pin in board.headers["gpiochip2"].pins.values()} == {""}


def test_mashed_ten_times_in_50ms_is_one_press(pins: MockFactory) -> None:
    buttons, presses = _gpio(pins)
    started = time.monotonic()
    for _ in range(10):
        _tap(pins, 17, hold=0.002)
        time.sleep(0.002)
    assert time.monotonic() - started < 0.3  # all within the debounce window
    assert presses == [Press("A", False)]
    time.sleep(0.35)
    _tap(pins, 17)  # a deliberate second press later is a second press
    assert presses == [Press("A", False), Press("A", False)]
    buttons.close()


def test_bounce_on_release_after_a_long_hold_is_ignored(pins: MockFactory) -> None:
    clock = [100.0]
    buttons = GpioButtons([ButtonPins("A", 17, 27)], clock=lambda: clock[0])
    presses: list[Press] = []
    buttons.start(presses.append)
    pins.pin(17).drive_low()
    clock[0] += 3.0  # held for three seconds: no edges, nothing repeats
    pins.pin(17).drive_high()
    clock[0] += 0.005  # the contacts bounce as they open
    _tap(pins, 17)
    assert presses == [Press("A", False)]
    buttons.close()


def test_priority_button_makes_the_next_press_priority(pins: MockFactory) -> None:
    buttons, presses = _gpio(pins)
    _tap(pins, 23)
    assert pins.pin(24).state == 1  # the priority lamp says "armed"
    _tap(pins, 18)
    time.sleep(0.35)
    _tap(pins, 18)
    assert presses == [Press("B", True), Press("B", False)]
    assert pins.pin(24).state == 0
    buttons.close()


def test_the_now_serving_button_asks_and_leaves_priority_armed(pins: MockFactory) -> None:
    """`now`: a press of the "now serving" button is that question, never a ticket; a
    citizen who armed priority and then asks who is served still gets a priority ticket."""
    buttons = GpioButtons([ButtonPins("B", 18, 22)], priority=(23, 24), now=5)
    presses: list[Press] = []
    buttons.start(presses.append)
    _tap(pins, 23)
    _tap(pins, 5)
    assert presses == [Press(NOW_SERVING)]
    assert pins.pin(24).state == 1  # still armed
    _tap(pins, 18)
    assert presses == [Press(NOW_SERVING), Press("B", True)]
    buttons.close()


def test_priority_latch_forgets_after_its_window() -> None:
    latch = PriorityLatch(window_s=20)
    latch.arm(0.0)
    assert not latch.take(25.0)
    latch.arm(30.0)
    assert latch.take(31.0) and not latch.take(31.5)


def test_debouncer_is_per_button() -> None:
    debouncer = Debouncer(0.3)
    assert debouncer.press("A", 0.0)
    assert debouncer.press("B", 0.01)
    assert not debouncer.press("A", 0.2)
    assert not debouncer.press("A", 0.45)  # still mashing: each edge restarts the window
    assert debouncer.press("A", 0.8)


def test_leds_lit_blinking_off(pins: MockFactory) -> None:
    buttons, _ = _gpio(pins)
    buttons.set_led("A", "lit")
    assert pins.pin(27).state == 1
    before = set(threading.enumerate())
    buttons.set_led("A", "blinking")
    (blinker,) = set(threading.enumerate()) - before  # gpiozero's blink thread
    seen: set[int] = set()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and len(seen) < 2:
        seen.add(pins.pin(27).state)
        time.sleep(0.02)
    assert seen == {0, 1}
    buttons.set_led("A", "off")
    # The blink thread is the only writer that could light the lamp again; once it has
    # ended, "off" is final and can be checked without waiting.
    assert not blinker.is_alive()
    assert pins.pin(27).state == 0
    assert pins.pin(22).state == 0  # B untouched
    buttons.close()


def test_line_input_parses_presses_and_debounces() -> None:
    assert parse_line("A\n") == Press("A", False)
    assert parse_line(" !B ") == Press("B", True)
    assert parse_line("# comment") is None and parse_line("") is None and parse_line("!") is None
    stream = io.StringIO("A\nA\nA\n!B\nZ\nnot an id!\n")
    buttons = LineButtons(["A", "B"], stream=stream)
    presses: list[Press] = []
    done = threading.Event()

    def record(press: Press) -> None:
        presses.append(press)
        if press.service == "B":
            done.set()

    buttons.start(record)
    assert done.wait(2)
    buttons.close()
    assert presses == [Press("A", False), Press("B", True)]


def test_line_input_without_a_service_list_accepts_any_id() -> None:
    buttons = LineButtons([], stream=io.StringIO(""))
    presses: list[Press] = []
    buttons.start(presses.append)
    assert buttons.feed("C") and not buttons.feed("bad id!")
    buttons.close()
    assert presses == [Press("C", False)]


def test_line_input_from_a_fifo(tmp_path) -> None:
    fifo = tmp_path / "kiosk.fifo"
    buttons = LineButtons(["A"], fifo=fifo)
    presses: list[Press] = []
    buttons.start(presses.append)
    assert fifo.is_fifo()
    with fifo.open("w") as pipe:
        pipe.write("A\n")
    wait_for(lambda: presses == [Press("A", False)], timeout=2)
    buttons.close()
    wait_for(lambda: "kiosk-input" not in [t.name for t in threading.enumerate()])


def test_no_press_is_lost_as_fifo_writers_come_and_go(tmp_path) -> None:
    # A demo script's `echo A > fifo` lines are writers that open, write and close in turn.
    # A reader that reopens the pipe after each writer's end of input loses the press of a
    # writer that opens it just then: writing as soon as the last press arrived is "just
    # then".
    fifo = tmp_path / "kiosk.fifo"
    buttons = LineButtons(["A", "B"], fifo=fifo, debounce_s=0)
    presses: list[Press] = []
    buttons.start(presses.append)
    try:
        sent = [Press("AB"[i % 2], i % 3 == 0) for i in range(500)]

        def arrived(count: int) -> bool:
            return len(presses) >= count

        for count, press in enumerate(sent, 1):
            with fifo.open("w") as pipe:
                pipe.write(("!" if press.priority else "") + press.service + "\n")
            wait_for(partial(arrived, count), timeout=5, interval=0)
        assert presses == sent
    finally:
        buttons.close()


def test_leds_survive_being_switched_from_two_threads(pins: MockFactory) -> None:
    # gpiozero's on() joins the blink thread; racing blink() from another thread used to
    # raise "cannot join thread before it is started" and kill the kiosk's worker.
    buttons, _ = _gpio(pins)
    errors: list[BaseException] = []

    def toggle(states: tuple[str, str]) -> None:
        try:
            for i in range(200):
                buttons.set_led("A", states[i % 2])  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=toggle, args=(("lit", "blinking"),)),
        threading.Thread(target=toggle, args=(("blinking", "off"),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    buttons.set_led("A", "lit")
    assert pins.pin(27).state == 1
    buttons.close()
