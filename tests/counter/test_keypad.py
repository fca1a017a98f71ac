"""Keypad drivers into a real counter desk: gpiozero mock pins, evdev input events, stdin.

These desks are not connected to a broker: they exercise what a press does before any
request (prompts, notices). Presses that reach the hub are in test_counter_hub.py.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

import evdev
import pytest
from evdev import InputEvent, ecodes
from gpiozero.pins.mock import MockFactory

from common.config import BrokerConfig
from common.payloads import CounterState
from nodes.counter.keypad import (
    GPIO_BOX4,
    GPIO_BOX6,
    NUMPAD_KEYS,
    EvdevKeypad,
    GpioKeypad,
    StdinKeypad,
    check_keys,
    key_codes,
    key_of,
)
from nodes.counter.keys import ACTION_KEYS, DIGITS
from tests.counter.conftest import Desk
from tests.counter.test_keys import CONFIG
from tests.harness import wait_for

NOWHERE = BrokerConfig(host="127.0.0.1", port=9)  # never started: no hub, no broker


@pytest.fixture
def desk(make_desk: Callable[..., Desk]) -> Desk:
    desk = make_desk(NOWHERE, "loket-1", "1", request_timeout=0.5)
    desk.desk.on_config(CONFIG)
    desk.desk.on_state(CounterState("1", "Loket 1", "open"))
    return desk


def key_event(name: str, value: int = 1) -> InputEvent:
    return InputEvent(1_764_300_000, 0, ecodes.EV_KEY, ecodes.ecodes[name], value)


# --- GPIO ---------------------------------------------------------------------------------


def test_gpio_buttons_are_keys(pins: MockFactory, desk: Desk) -> None:
    keypad = GpioKeypad({"GPIO17": "transfer", "27": "2", "GPIO22": "clear"}, bounce_time=None)
    keypad.start(desk.desk)
    try:
        pins.pin(17).drive_low()  # pressed: the button shorts the pin to ground
        pins.pin(17).drive_high()
        desk.screen.wait_line("ALIHKAN KE: 1=A 2=B 3=C")
        pins.pin(22).drive_low()
        pins.pin(22).drive_high()
        desk.screen.wait_line("Batal")
        # A held button is one press: no repeat while it stays down.
        pins.pin(27).drive_low()
        desk.screen.wait_line("NOMOR: 2_")
        pins.pin(27).drive_high()
        assert desk.desk.view().entry.digits == "2"
    finally:
        keypad.close()


def test_gpio_box_press_reaches_the_hub_side(pins: MockFactory, desk: Desk) -> None:
    keypad = GpioKeypad(GPIO_BOX6, bounce_time=None)
    keypad.start(desk.desk)
    try:
        pins.pin(5).drive_low()  # PANGGIL: a request, which nobody answers here
        pins.pin(5).drive_high()
        desk.screen.wait_line("Server tak jawab", timeout=3)
    finally:
        keypad.close()


def test_gpio_layouts() -> None:
    assert set(GPIO_BOX6.values()) == {
        "call_next", "recall", "start", "finish", "skip", "toggle_pause",
    }  # fmt: skip
    assert set(GPIO_BOX4.values()) == {"call_next", "recall", "finish", "skip"}
    assert all(GPIO_BOX6[pin] == key for pin, key in GPIO_BOX4.items())
    check_keys(GPIO_BOX6)


# --- evdev --------------------------------------------------------------------------------


def test_evdev_only_key_downs_count() -> None:
    codes = key_codes(NUMPAD_KEYS)
    enter = ecodes.ecodes["KEY_KPENTER"]
    assert key_of(ecodes.EV_KEY, enter, 1, codes) == "enter"
    assert key_of(ecodes.EV_KEY, enter, 0, codes) is None  # release
    assert key_of(ecodes.EV_KEY, enter, 2, codes) is None  # auto-repeat while held
    assert key_of(ecodes.EV_MSC, enter, 1, codes) is None  # the scan code beside it
    assert key_of(ecodes.EV_KEY, ecodes.ecodes["KEY_Q"], 1, codes) is None  # not ours


def test_the_17_key_numpad_reaches_every_action() -> None:
    standard = [f"KEY_KP{d}" for d in DIGITS] + [
        "KEY_NUMLOCK", "KEY_KPSLASH", "KEY_KPASTERISK", "KEY_KPMINUS", "KEY_KPPLUS",
        "KEY_KPENTER", "KEY_KPDOT",
    ]  # fmt: skip
    assert len(standard) == 17
    keys = {NUMPAD_KEYS[name] for name in standard}
    # Enter alone is call_next; "0" then NumLock is close; NumLock toggles pause/resume/open.
    reachable = keys | {"call_next", "close", "pause", "resume", "open"}
    assert set(ACTION_KEYS) <= reachable
    assert {"transfer", "enter", *DIGITS} <= keys


def test_evdev_events_drive_the_grammar(desk: Desk) -> None:
    keypad = EvdevKeypad(NUMPAD_KEYS)
    events = [
        key_event("KEY_KP4"),
        InputEvent(1_764_300_000, 0, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70059),
        key_event("KEY_KP4", 2),  # held: the kernel repeats it; still one digit
        key_event("KEY_KP4", 0),
        InputEvent(1_764_300_000, 0, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
        key_event("KEY_KP2"),
        key_event("KEY_KP2", 0),
    ]
    keypad.feed(events, desk.desk)
    desk.screen.wait_line("NOMOR: 42_")
    keypad.feed([key_event("KEY_KPENTER")], desk.desk)  # counter 1 serves A and B: which?
    desk.screen.wait_line("LAYANAN? 42: 1=A 2=B")
    keypad.feed([key_event("KEY_KPDOT")], desk.desk)  # Del: cancel
    desk.screen.wait_line("Batal")
    assert desk.desk.view().entry.mode == "idle"


def test_evdev_keymap_errors_name_the_entry() -> None:
    with pytest.raises(ValueError, match="KEY_NOPE"):
        key_codes({"KEY_NOPE": "enter"})
    with pytest.raises(ValueError, match="KEY_KP1 = 'dance'"):
        key_codes({"KEY_KP1": "dance"})


def test_a_missing_usb_keypad_is_shown_and_looked_for_again(
    make_desk: Callable[..., Desk], tmp_path: Path
) -> None:
    health: list[str] = []
    desk = make_desk(NOWHERE, "loket-1", "1", keypad_health=health.append)
    device = tmp_path / "event-kbd"
    keypad = EvdevKeypad(NUMPAD_KEYS, device=str(device))
    keypad.RETRY_SECONDS = 0.05
    keypad.start(desk.desk)
    try:
        desk.screen.wait_line("Keypad terlepas")
        assert health == ["lost"]  # for the node's status
        # Count the driver's next attempts: each opens a named pipe put where the device
        # should be (and finds it is no keypad), and each opening lets one writer in.
        os.mkfifo(device)
        attempts = threading.Thread(target=_wait_for_openings, args=(device, 3), daemon=True)
        attempts.start()
        attempts.join(10)
        assert not attempts.is_alive(), "the driver stopped looking for its keypad"
        assert health == ["lost"]  # said once, not at every attempt
    finally:
        keypad.close()


def _wait_for_openings(pipe: Path, count: int) -> None:
    """Return once a reader has opened `pipe` and closed it again, `count` times."""

    def reader_present() -> bool:
        try:
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))  # ENXIO: no reader
        except OSError:
            return False
        return True

    for _ in range(count):
        with open(pipe, "wb"):  # blocks until a reader opens the pipe
            pass
        wait_for(lambda: not reader_present())


@pytest.mark.skipif(not os.access("/dev/uinput", os.W_OK), reason="no /dev/uinput here")
def test_a_virtual_numpad_through_the_kernel(desk: Desk) -> None:  # pragma: no cover
    with evdev.UInput({ecodes.EV_KEY: [ecodes.ecodes[n] for n in NUMPAD_KEYS]}) as ui:
        keypad = EvdevKeypad(NUMPAD_KEYS, device=str(ui.device.path))
        keypad.start(desk.desk)
        try:
            wait_for(lambda: keypad._device is not None)
            for name in ("KEY_KP7", "KEY_KP3"):
                ui.write(ecodes.EV_KEY, ecodes.ecodes[name], 1)
                ui.write(ecodes.EV_KEY, ecodes.ecodes[name], 0)
                ui.syn()
            desk.screen.wait_line("NOMOR: 73_")
        finally:
            keypad.close()


# --- stdin and named pipe -----------------------------------------------------------------


def test_stdin_lines_then_end(desk: Desk) -> None:
    StdinKeypad(io.StringIO("dance\n# nothing\n")).start(desk.desk)
    desk.screen.wait_line("Perintah salah")
    wait_for(lambda: desk.desk.ended)


def test_named_pipe_survives_writers_coming_and_going(
    desk: Desk, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fifo = tmp_path / "loket-1.fifo"
    keypad = StdinKeypad(fifo=str(fifo))
    keypad.start(desk.desk)
    try:
        assert fifo.is_fifo()

        # A demo script's `echo ... > fifo` lines: each is a writer that opens the pipe, writes
        # and closes. A reader that reopens the pipe after each writer's end loses the line of
        # a writer that opens it between that end of input and the reopening. Writing each
        # line as soon as the one before has been read puts the next writer right there.
        def received() -> list[str]:
            return [
                str(record.args[0])  # type: ignore[index]
                for record in list(caplog.records)
                if record.getMessage().startswith("stdin: not a command")
            ]

        def arrived(count: int) -> bool:
            return len(received()) >= count

        sent = [f"dance {i}" for i in range(500)]
        for count, line in enumerate(sent, 1):
            try:
                with fifo.open("w") as pipe:
                    pipe.write(line + "\n")
            except BrokenPipeError:
                pytest.fail(f"line {count}: the reader closed the pipe under its writer")
            try:
                wait_for(partial(arrived, count), timeout=5, interval=0)
            except AssertionError:
                pytest.fail(f"line {count} lost")
        assert received() == sent
        # The pipe never "ends": the next writer is still heard.
        with fifo.open("w") as pipe:
            pipe.write("call_next\n")
        desk.screen.wait_line("Server tak jawab")
        assert not desk.desk.ended
    finally:
        keypad.close()


def test_a_regular_file_is_not_taken_for_a_pipe(tmp_path: Path) -> None:
    path = tmp_path / "not-a-fifo"
    path.write_text("")
    with pytest.raises(ValueError, match="not a named pipe"):
        StdinKeypad(fifo=str(path)).start(None)  # type: ignore[arg-type]
