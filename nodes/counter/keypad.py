"""The officer's keypad: one interface, three drivers, chosen by `[keypad] type`.

- `GpioKeypad`: push buttons on GPIO pins (gpiozero), each pin one key of `keys.KEYS`.
- `EvdevKeypad`: a USB numeric keypad read with python-evdev (Linux only), each key code
  one key; the device is grabbed so its presses never reach a login prompt.
- `StdinKeypad`: the simulation; each line of standard input is one whole command.

A driver only reports what was pressed to a `KeypadListener` (the counter desk); what a
key means is decided by the pure grammar in `keys.py`.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TextIO

from common.adapters import Registry
from common.config import Table
from common.namedpipe import NamedPipe
from nodes.counter.keys import KEYS

log = logging.getLogger(__name__)

#: A standard 17-key USB numpad (NumLock / * - 7 8 9 + 4 5 6 1 2 3 Enter 0 .).
#: docs/counter.md and docs/counter-keypad-labels.svg show it; keep them in step.
NUMPAD_KEYS: Final[dict[str, str]] = {
    **{f"KEY_KP{d}": d for d in "0123456789"},
    "KEY_KPENTER": "enter",  # alone: call next; after digits: call that number
    "KEY_KPPLUS": "recall",
    "KEY_KPMINUS": "skip",
    "KEY_KPASTERISK": "start",
    "KEY_KPSLASH": "finish",
    "KEY_KPDOT": "transfer",  # "Del": transfer; while typing, cancel
    "KEY_NUMLOCK": "toggle_pause",  # pause / resume / open; "0" first: close
    # Keys some numpads add; harmless where absent.
    "KEY_BACKSPACE": "clear",
    "KEY_ESC": "clear",
    "KEY_ENTER": "enter",
}
#: GPIO button boxes (BCM pin numbers); the 4-button box is the 6 without start and pause.
GPIO_BOX6: Final[dict[str, str]] = {
    "GPIO5": "call_next",
    "GPIO6": "recall",
    "GPIO13": "start",
    "GPIO19": "finish",
    "GPIO26": "skip",
    "GPIO21": "toggle_pause",
}
GPIO_BOX4: Final[dict[str, str]] = {
    pin: key for pin, key in GPIO_BOX6.items() if key not in ("start", "toggle_pause")
}
GPIO_LAYOUTS: Final = {"box6": GPIO_BOX6, "box4": GPIO_BOX4}

EV_KEY: Final = 0x01  # linux/input-event-codes.h; fixed by the kernel ABI
KEY_DOWN: Final = 1  # 0 is release, 2 is auto-repeat: neither is a new press


class KeypadListener(Protocol):
    """What a keypad drives (the counter desk). Methods may be called from any thread."""

    def press_key(self, key: str) -> None: ...

    def press_line(self, line: str) -> None: ...

    def keypad_found(self) -> None: ...

    def keypad_lost(self) -> None: ...

    def keypad_ended(self) -> None: ...


class Keypad(Protocol):
    def start(self, listener: KeypadListener) -> None: ...

    def close(self) -> None: ...


def check_keys(keymap: Mapping[str, str]) -> None:
    """ValueError naming the first entry whose key is not one of `keys.KEYS`."""
    for source, key in keymap.items():
        if key not in KEYS:
            raise ValueError(f"{source} = {key!r}: not a key (one of {', '.join(KEYS)})")


# --- GPIO buttons -------------------------------------------------------------------------


class GpioKeypad:
    """Buttons between a GPIO pin and ground (pull-up), or to 3.3 V with `pull_up=False`."""

    def __init__(
        self,
        pins: Mapping[str, str],
        *,
        pull_up: bool = True,
        bounce_time: float | None = 0.05,
        pin_factory: Any = None,
    ) -> None:
        check_keys(pins)
        self.pins = dict(pins)
        self.pull_up = pull_up
        self.bounce_time = bounce_time
        self.pin_factory = pin_factory
        self._buttons: list[Any] = []

    def start(self, listener: KeypadListener) -> None:
        from gpiozero import Button

        for pin, key in self.pins.items():
            button = Button(
                _gpio_pin(pin),
                pull_up=self.pull_up,
                bounce_time=self.bounce_time,
                pin_factory=self.pin_factory,
            )
            # gpiozero calls this in its own pin thread; the listener is thread-safe.
            button.when_pressed = lambda _device=None, key=key: listener.press_key(key)
            self._buttons.append(button)
        log.info("GPIO keypad on %s", ", ".join(f"{p}={k}" for p, k in self.pins.items()))

    def close(self) -> None:
        for button in self._buttons:
            button.close()
        self._buttons.clear()


def _gpio_pin(pin: str) -> int | str:
    """ "17" means BCM GPIO17; names like "GPIO17" or "BOARD11" pass to gpiozero as given."""
    return int(pin) if pin.isdigit() else pin


# --- USB numeric keypad (evdev) -----------------------------------------------------------


def key_of(event_type: int, code: int, value: int, keymap: Mapping[int, str]) -> str | None:
    """The key one input event presses, or None (a release, a repeat, an unmapped key)."""
    if event_type != EV_KEY or value != KEY_DOWN:
        return None
    return keymap.get(code)


def _evdev() -> Any:
    try:
        import evdev
    except ImportError as exc:
        raise RuntimeError(
            '[keypad] type = "evdev" needs python-evdev (Linux only): pip install evdev'
        ) from exc
    return evdev


def key_codes(keymap: Mapping[str, str]) -> dict[int, str]:
    """{"KEY_KPENTER": "enter"} -> {96: "enter"}; ValueError for an unknown code name."""
    ecodes = _evdev().ecodes.ecodes
    check_keys(keymap)
    codes: dict[int, str] = {}
    for name, key in keymap.items():
        if name not in ecodes:
            raise ValueError(f"{name}: not a Linux key code name (e.g. KEY_KPENTER)")
        codes[ecodes[name]] = key
    return codes


class EvdevKeypad:
    """A USB numpad. `device` is a path (/dev/input/by-id/...-event-kbd) or "auto".

    If the keypad is unplugged, the listener hears `keypad_lost()` and the driver looks for
    it again every `RETRY_SECONDS` until it is back.
    """

    RETRY_SECONDS = 2.0

    def __init__(self, keymap: Mapping[str, str], device: str = "auto", grab: bool = True) -> None:
        self.codes = key_codes(keymap)
        self.device_path = device
        self.grab = grab
        self._stop = threading.Event()
        self._device: Any = None
        self._thread: threading.Thread | None = None

    def start(self, listener: KeypadListener) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(listener,), name="evdev-keypad", daemon=True
        )
        self._thread.start()

    def feed(self, events: Iterable[Any], listener: KeypadListener) -> None:
        """Pass input events (evdev.InputEvent or alike) to the listener as key presses."""
        for event in events:
            key = key_of(event.type, event.code, event.value, self.codes)
            if key is not None:
                listener.press_key(key)

    def _run(self, listener: KeypadListener) -> None:
        lost = False
        while not self._stop.is_set():
            try:
                self._device = self._open()
                log.info("USB keypad: %s (%s)", self._device.path, self._device.name)
                lost = False
                listener.keypad_found()
                self.feed(self._device.read_loop(), listener)
            except OSError as exc:
                if self._stop.is_set():
                    break
                if not lost:
                    log.warning("USB keypad unavailable (%s); looking again", exc)
                    listener.keypad_lost()
                    lost = True
            finally:
                self._release()
            self._stop.wait(self.RETRY_SECONDS)

    def _open(self) -> Any:
        evdev = _evdev()
        path = self.device_path if self.device_path != "auto" else self._find()
        device = evdev.InputDevice(path)
        if self.grab:
            device.grab()
        return device

    def _find(self) -> str:
        """An input device with numpad keys; a numpad alone before a full keyboard."""
        evdev = _evdev()
        enter, letter_a = evdev.ecodes.ecodes["KEY_KPENTER"], evdev.ecodes.ecodes["KEY_A"]
        candidates: list[tuple[bool, str]] = []
        for path in evdev.list_devices():
            device = evdev.InputDevice(path)
            try:
                keys = device.capabilities().get(EV_KEY, [])
                if enter in keys:
                    candidates.append((letter_a in keys, str(path)))
            finally:
                device.close()
        if not candidates:
            raise OSError("no input device with numpad keys found")
        return min(candidates)[1]

    def _release(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            with contextlib.suppress(OSError):
                device.close()

    def close(self) -> None:
        self._stop.set()
        self._release()  # read_loop then fails with OSError and the thread ends


# --- standard input (simulation) ----------------------------------------------------------


class StdinKeypad:
    """Each line is one command (see `keys.parse_line`).

    From standard input, the end of input is reported (the daemon then finishes and
    exits). From a named pipe (`fifo`), writers may come and go and the input never ends,
    so a demo script can `echo call_next > /tmp/antrian-loket-1.fifo` line after line.
    """

    def __init__(self, stream: TextIO | None = None, *, fifo: str | None = None) -> None:
        self.stream = stream
        self.pipe = NamedPipe(fifo) if fifo is not None else None
        self._thread: threading.Thread | None = None

    def start(self, listener: KeypadListener) -> None:
        if self.pipe is not None:
            self.pipe.create()
        self._thread = threading.Thread(
            target=self._run, args=(listener,), name="stdin-keypad", daemon=True
        )
        self._thread.start()

    def _run(self, listener: KeypadListener) -> None:
        if self.pipe is not None:
            for line in self.pipe.lines():
                listener.press_line(line)
            return
        for line in self.stream or sys.stdin:
            listener.press_line(line)
        listener.keypad_ended()

    def close(self) -> None:
        # The pipe's reader ends once its outside writers have gone; standard input cannot
        # be woken, and its reader is a daemon thread that ends with us.
        if self.pipe is not None:
            self.pipe.close()
            if self._thread is not None:
                self._thread.join(1.0)


# --- `[keypad]`: which driver, read from the counter's config ----------------------------

KEY_CODE_NAME = re.compile(r"^(KEY|BTN)_[A-Z0-9_]+$")
PIN_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # "GPIO17", "BOARD11", "17": gpiozero's names


def _key_map(
    table: Table, name: str, source_ok: Callable[[str], bool], what: str
) -> dict[str, str]:
    """A `[keypad.pins]` / `[keypad.keys]` table: source -> one of keys.KEYS (or "none")."""
    mapping = table.table(name)
    result: dict[str, str] = {}
    for source in list(mapping.data):
        if not source_ok(source):
            raise mapping.error(source, f"is not {what}")
        result[source] = mapping.choice(source, (*KEYS, "none"))
    mapping.finish()
    return result


@dataclass(frozen=True)
class GpioKeypadConfig:
    pins: dict[str, str] = field(default_factory=lambda: dict(GPIO_BOX6))  # pin -> key
    pull_up: bool = True
    bounce_time: float | None = 0.05

    @classmethod
    def read(cls, table: Table) -> GpioKeypadConfig:
        layout = table.choice("layout", tuple(GPIO_LAYOUTS), "box6")
        pins = _key_map(table, "pins", lambda s: bool(PIN_NAME.match(s)), "a pin")
        # A [keypad.pins] table is the whole map: pins not named are left alone.
        pins = {p: k for p, k in (pins or GPIO_LAYOUTS[layout]).items() if k != "none"}
        bounce = table.float("bounce_time", 0.05, min=0.0)
        return cls(pins, table.bool("pull_up", True), bounce or None)

    def open(self) -> Keypad:
        return GpioKeypad(self.pins, pull_up=self.pull_up, bounce_time=self.bounce_time)


@dataclass(frozen=True)
class EvdevKeypadConfig:
    keys: dict[str, str] = field(default_factory=lambda: dict(NUMPAD_KEYS))  # code -> key
    device: str = "auto"
    grab: bool = True

    @classmethod
    def read(cls, table: Table) -> EvdevKeypadConfig:
        hint = "a key code name such as KEY_KPENTER"
        keys = dict(NUMPAD_KEYS)  # [keypad.keys] changes single keys of the numpad map
        keys.update(_key_map(table, "keys", lambda s: bool(KEY_CODE_NAME.match(s)), hint))
        keys = {c: k for c, k in keys.items() if k != "none"}
        return cls(keys, table.str("device", "auto"), table.bool("grab", True))

    def open(self) -> Keypad:
        return EvdevKeypad(self.keys, device=self.device, grab=self.grab)


@dataclass(frozen=True)
class StdinKeypadConfig:
    fifo: str | None = None  # read a named pipe instead of standard input

    def open(self) -> Keypad:
        return StdinKeypad(fifo=self.fifo)


KEYPADS: Final = Registry[Keypad](default="stdin")
KEYPADS.register("stdin", StdinKeypadConfig)
KEYPADS.register("gpio", GpioKeypadConfig)
KEYPADS.register("evdev", EvdevKeypadConfig)
