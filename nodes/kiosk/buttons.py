"""Service buttons with their LEDs: gpiozero on the Pi, lines of text in simulation.

Both sources turn the world into `Press` events through the same `Debouncer`, so a
button that is mashed ten times in 50 ms, held for three seconds or bounces on release
gives one press. gpiozero's own `bounce_time` is left off on purpose: MockFactory does not
simulate it, and a software rule that tests can exercise is worth more than one they
cannot.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol, TextIO

from common.adapters import Registry
from common.config import Table
from common.namedpipe import NamedPipe
from common.wire import ID_PATTERN

log = logging.getLogger(__name__)

LedState = Literal["lit", "blinking", "off"]
#: How long a press or release keeps its button deaf. Contact bounce lasts a few ms; a
#: citizen pressing again on purpose takes longer than this.
DEBOUNCE_S: Final = 0.3
#: How long the priority button waits for a service button before it forgets.
PRIORITY_WINDOW_S: Final = 20.0
BLINK_S: Final = 0.25


@dataclass(frozen=True)
class Press:
    service: str
    priority: bool = False


PressHandler = Callable[[Press], None]

#: The "now serving" button's press: not a service id (those match ID_PATTERN), so no
#: service can be mistaken for it. A line "now" or `[input.now] pin` gives it.
NOW_SERVING: Final = "?now"
NOW_LINE: Final = "now"


class ServiceButtons(Protocol):
    """One button and one LED per service; presses go to the handler given to `start`."""

    @property
    def services(self) -> tuple[str, ...]: ...

    def start(self, on_press: PressHandler) -> None: ...

    def set_led(self, service: str, state: LedState) -> None: ...

    def close(self) -> None: ...


class Debouncer:
    """Accept a press only when its button has been quiet (no press, no release) for
    `window_s`. Pure: the caller passes the (monotonic) time."""

    def __init__(self, window_s: float = DEBOUNCE_S) -> None:
        self.window_s = window_s
        self._last_edge: dict[str, float] = {}

    def press(self, key: str, now: float) -> bool:
        last = self._last_edge.get(key)
        self._last_edge[key] = now
        return last is None or now - last >= self.window_s

    def release(self, key: str, now: float) -> None:
        self._last_edge[key] = now


class PriorityLatch:
    """The priority button arms the next service press, for a while. Pure."""

    def __init__(self, window_s: float = PRIORITY_WINDOW_S) -> None:
        self.window_s = window_s
        self._armed_at: float | None = None

    def arm(self, now: float) -> None:
        self._armed_at = now

    def armed(self, now: float) -> bool:
        return self._armed_at is not None and now - self._armed_at < self.window_s

    def take(self, now: float) -> bool:
        """Whether this press is a priority one; disarms either way."""
        armed = self.armed(now)
        self._armed_at = None
        return armed


@dataclass(frozen=True)
class ButtonPins:
    """GPIO pins (BCM numbers or gpiozero names like "GPIO17") of one service's button
    and LED. `led` None: a button without a lamp."""

    service: str
    pin: int | str
    led: int | str | None = None


class GpioButtons:
    """Buttons wired between a GPIO pin and ground (internal pull-up), LEDs on GPIO pins
    through a resistor. `pull_up=False`: buttons that drive their pin high when pressed
    (pull-down). `pin_factory` None is gpiozero's default (the Pi's BCM numbers).
    Callbacks run in gpiozero's pin thread (the test thread under MockFactory), so the
    handler must return quickly."""

    PRIORITY: Final = "!priority"

    def __init__(
        self,
        buttons: Sequence[ButtonPins],
        *,
        priority: tuple[int | str, int | str | None] | None = None,
        now: int | str | None = None,
        debounce_s: float = DEBOUNCE_S,
        priority_window_s: float = PRIORITY_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        pull_up: bool = True,
        pin_factory: Any = None,
    ) -> None:
        from gpiozero import LED, Button

        def button(pin: int | str) -> Any:
            return Button(pin, pull_up=pull_up, bounce_time=None, pin_factory=pin_factory)

        def lamp(pin: int | str) -> Any:
            return LED(pin, pin_factory=pin_factory)

        self._factory = pin_factory
        self._clock = clock
        self._debouncer = Debouncer(debounce_s)
        self._latch = PriorityLatch(priority_window_s)
        self._lock = threading.Lock()
        self._led_lock = threading.Lock()
        self._handler: PressHandler | None = None
        self._services = tuple(b.service for b in buttons)
        self._buttons: dict[str, Any] = {}
        self._leds: dict[str, Any] = {}
        self._states: dict[str, LedState] = {}
        for spec in buttons:
            self._buttons[spec.service] = button(spec.pin)
            if spec.led is not None:
                self._leds[spec.service] = lamp(spec.led)
        self._priority_button: Any = None
        self._priority_led: Any = None
        if priority is not None:
            self._priority_button = button(priority[0])
            if priority[1] is not None:
                self._priority_led = lamp(priority[1])
        #: The "now serving" button: its press is `Press(NOW_SERVING)`, never a ticket.
        self._now_button: Any = None
        if now is not None:
            self._now_button = button(now)

    @property
    def services(self) -> tuple[str, ...]:
        return self._services

    def start(self, on_press: PressHandler) -> None:
        self._handler = on_press
        for service, button in self._buttons.items():
            button.when_pressed = self._edge_handler(service, pressed=True)
            button.when_released = self._edge_handler(service, pressed=False)
        if self._priority_button is not None:
            self._priority_button.when_pressed = self._edge_handler(self.PRIORITY, pressed=True)
            self._priority_button.when_released = self._edge_handler(self.PRIORITY, pressed=False)
        if self._now_button is not None:
            self._now_button.when_pressed = self._edge_handler(NOW_SERVING, pressed=True)
            self._now_button.when_released = self._edge_handler(NOW_SERVING, pressed=False)

    def _edge_handler(self, key: str, *, pressed: bool) -> Callable[[], None]:
        def edge() -> None:
            now = self._clock()
            with self._lock:
                if not pressed:
                    self._debouncer.release(key, now)
                    return
                if not self._debouncer.press(key, now):
                    return
                if key == self.PRIORITY:
                    self._latch.arm(now)
                    press = None
                elif key == NOW_SERVING:  # a question, not a ticket: the latch stays armed
                    press = Press(NOW_SERVING)
                else:
                    press = Press(key, self._latch.take(now))
            if press is None or press.service != NOW_SERVING:
                self._show_priority(press is None)
            if press is not None and self._handler is not None:
                self._handler(press)

        return edge

    def _show_priority(self, armed: bool) -> None:
        if self._priority_led is None:
            return
        if armed:
            self._priority_led.on()
        else:
            self._priority_led.off()

    def set_led(self, service: str, state: LedState) -> None:
        led = self._leds.get(service)
        # gpiozero's LED is not safe against on() and blink() from two threads at once
        # (on() may join a blink thread not yet started), and the flow calls from several.
        with self._led_lock:
            if led is None or self._states.get(service) == state:
                return  # restarting blink() would make the LED stutter
            self._states[service] = state
            if state == "lit":
                led.on()
            elif state == "blinking":
                led.blink(on_time=BLINK_S, off_time=BLINK_S, background=True)
            else:
                led.off()

    def close(self) -> None:
        for device in [*self._buttons.values(), *self._leds.values()]:
            device.close()
        for device in (self._priority_button, self._priority_led, self._now_button):
            if device is not None:
                device.close()
        if self._factory is not None:
            self._factory.close()  # its own chip handle; gpiozero's default one is shared


def parse_line(line: str) -> Press | None:
    """A simulated press: "A" is a press of service A, "!A" a priority press; blank lines
    and "#" comments are ignored. None when the line is not a press."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if text == NOW_LINE:
        return Press(NOW_SERVING)
    priority = text.startswith("!")
    service = text[1:].strip() if priority else text
    return Press(service, priority) if service else None


class LineButtons:
    """The simulated buttons: one line per press, from stdin or from a named pipe that
    the demo script writes to (`echo A > /tmp/kiosk-1.fifo`). LED changes are logged and
    kept in `leds` for whoever watches. With no `services` every service id is accepted
    (the hub refuses unknown ones)."""

    def __init__(
        self,
        services: Sequence[str],
        *,
        stream: TextIO | None = None,
        fifo: Path | None = None,
        debounce_s: float = DEBOUNCE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._services = tuple(services)
        self._stream = stream
        self._pipe = NamedPipe(fifo) if fifo is not None else None
        self._clock = clock
        self._debouncer = Debouncer(debounce_s)
        self._lock = threading.Lock()
        self._handler: PressHandler | None = None
        self._reader: threading.Thread | None = None
        self.leds: dict[str, LedState] = {}

    @property
    def services(self) -> tuple[str, ...]:
        return self._services

    def start(self, on_press: PressHandler) -> None:
        self._handler = on_press
        if self._pipe is not None:
            self._pipe.create()
        self._reader = threading.Thread(target=self._read, name="kiosk-input", daemon=True)
        self._reader.start()

    def feed(self, line: str) -> bool:
        """Handle one line as if typed; True if it became a press."""
        press = parse_line(line)
        if press is not None and press.service == NOW_SERVING:
            if self._handler is not None:
                self._handler(press)
            return True
        if press is None or not ID_PATTERN.match(press.service):
            if line.strip() and not line.strip().startswith("#"):
                log.warning("not a press: %r (type a service id like A, or !A for priority)", line)
            return False
        if self._services and press.service not in self._services:
            log.warning("no button for service %r (have %s)", press.service, self._services)
            return False
        with self._lock:
            if not self._debouncer.press(press.service, self._clock()):
                log.debug("ignored bounce of %s", press.service)
                return False
        if self._handler is not None:
            self._handler(press)
        return True

    def _read(self) -> None:
        if self._pipe is None:
            for line in self._stream or sys.stdin:
                self.feed(line)
            log.info("input closed; no more simulated presses")
            return
        for line in self._pipe.lines():
            self.feed(line)

    def set_led(self, service: str, state: LedState) -> None:
        with self._lock:
            if self.leds.get(service) == state:
                return
            self.leds[service] = state
        log.info("LED %s: %s", service, state)

    def close(self) -> None:
        if self._pipe is not None:
            self._pipe.close()  # its reader ends once the outside writers have gone
        if (self._stream is not None or self._pipe is not None) and self._reader is not None:
            self._reader.join(2.0)  # a finite stream (tests, scripts) is read to its end


# --- `[input]`: which buttons, read from the kiosk's config ---------------------------


def _pin(table: Table, name: str) -> int | str | None:
    """A GPIO pin as gpiozero takes it: a BCM number or a name; None when absent."""
    value = table.data.get(name)
    table.ignore(name)
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    if isinstance(value, str) and value.strip():
        return value
    raise table.error(name, f'must be a GPIO number (17) or name ("GPIO17"), not {value!r}')


def _pins(table: Table) -> tuple[int | str, int | str | None]:
    """`pin` (required) and `led` of one button's table."""
    pin = _pin(table, "pin")
    if pin is None:
        raise table.error("pin", "is required but missing")
    pins = (pin, _pin(table, "led"))
    table.finish()
    return pins


def _now_pin(table: Table) -> int | str:
    """`[input.now] pin`: the "now serving" button has no lamp (it is always there)."""
    pin = _pin(table, "pin")
    if pin is None:
        raise table.error("pin", "is required but missing")
    table.finish()
    return pin


def _debounce_s(table: Table) -> float:
    return float(table.int("debounce_ms", int(DEBOUNCE_S * 1000), min=0, max=5000) / 1000)


@dataclass(frozen=True)
class GpioInput:
    """`type = "gpio"`: `[input.buttons.<service>]`, `[input.priority]` and `[input.now]`
    pins; `pull` "up" (buttons to ground) or "down" (buttons to 3.3 V); `chip` N: the pins
    are line offsets of /dev/gpiochipN on a board that is not a Pi (nodes/kiosk/gpiochip.py)."""

    buttons: tuple[ButtonPins, ...] = ()
    priority: tuple[int | str, int | str | None] | None = None
    now: int | str | None = None
    debounce_s: float = DEBOUNCE_S
    priority_window_s: float = PRIORITY_WINDOW_S
    pull: Literal["up", "down"] = "up"
    chip: int | None = None

    @classmethod
    def read(cls, table: Table) -> GpioInput:
        buttons: list[ButtonPins] = []
        buttons_table = table.table("buttons")
        for service in buttons_table.data:
            spec = buttons_table.table(service)
            if not ID_PATTERN.match(service):
                raise buttons_table.error(service, "is not a valid service id")
            buttons.append(ButtonPins(service, *_pins(spec)))
        buttons_table.finish()
        priority = _pins(table.table("priority")) if "priority" in table else None
        now = _now_pin(table.table("now")) if "now" in table else None
        window = table.float("priority_window_s", PRIORITY_WINDOW_S, min=1.0)
        pull = table.choice("pull", ("up", "down"), "up")
        chip = table.int("chip", None, min=0)
        return cls(tuple(buttons), priority, now, _debounce_s(table), window, pull, chip)

    def check(self, table: Table) -> None:
        if not self.buttons:
            raise table.error("buttons", "gpio input needs [input.buttons.<service>] pin = ...")

    def open(self) -> ServiceButtons:
        factory = None
        if self.chip is not None:
            from nodes.kiosk.gpiochip import chip_factory

            factory = chip_factory(self.chip)
        return GpioButtons(
            self.buttons,
            priority=self.priority,
            now=self.now,
            debounce_s=self.debounce_s,
            priority_window_s=self.priority_window_s,
            pull_up=self.pull == "up",
            pin_factory=factory,
        )


@dataclass(frozen=True)
class LineInput:
    """`type = "stdin"`: simulated presses from stdin, or from the named pipe `fifo`."""

    services: tuple[str, ...] = ()
    fifo: str | None = None
    debounce_s: float = DEBOUNCE_S

    @classmethod
    def read(cls, table: Table) -> LineInput:
        services = tuple(table.str_list("services", [], ids=True))
        return cls(services, table.str("fifo", None), _debounce_s(table))

    def open(self) -> ServiceButtons:
        fifo = Path(self.fifo) if self.fifo else None
        return LineButtons(self.services, fifo=fifo, debounce_s=self.debounce_s)


BUTTONS: Final = Registry[ServiceButtons](default="stdin")
BUTTONS.register("stdin", LineInput)
BUTTONS.register("gpio", GpioInput)
