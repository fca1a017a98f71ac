"""`antrian counter --config FILE`: the officer's keypad and indicator at one counter.

Wiring only: read the node's TOML, build the keypad and indicator the config names,
connect a `BrokerLink`, feed the hub's retained `config`, `state/counter/{id}` and node
statuses to the `CounterDesk`, and run until SIGTERM (or, with the stdin keypad, until
standard input ends and every press has been answered).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from common import config, node
from common.mqtt import MIN_REQUEST_TIMEOUT_S, Link, Message
from common.node import Running, SetupError, Shell
from common.payloads import CounterState, NodeStatus, OfficeConfig, PayloadGate
from common.wire import Topics
from nodes.counter.flow import CounterDesk
from nodes.counter.indicator import (
    EXPANDERS,
    Indicator,
    LcdConfig,
    LcdIndicator,
    TerminalIndicator,
    open_lcd,
)
from nodes.counter.keypad import (
    GPIO_LAYOUTS,
    NUMPAD_KEYS,
    EvdevKeypad,
    GpioKeypad,
    Keypad,
    StdinKeypad,
)
from nodes.counter.keys import KEYS
from nodes.counter.view import LANGUAGES

log = logging.getLogger(__name__)

KEY_CODE_NAME = re.compile(r"^(KEY|BTN)_[A-Z0-9_]+$")
KEY_CODE_HINT = "a key code name such as KEY_KPENTER"
PIN_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # "GPIO17", "BOARD11", "17": gpiozero's names


@dataclass(frozen=True)
class KeypadConfig:
    type: str = "stdin"
    pins: dict[str, str] = field(default_factory=dict)  # gpio: pin -> key
    pull_up: bool = True
    bounce_time: float | None = 0.05
    device: str = "auto"  # evdev
    grab: bool = True
    keys: dict[str, str] = field(default_factory=dict)  # evdev: key code name -> key
    fifo: str | None = None  # stdin: read a named pipe instead


@dataclass(frozen=True)
class CounterConfig:
    identity: config.NodeIdentity
    counter: str
    language: str = "id"
    request_timeout: float = 5.0
    keypad: KeypadConfig = field(default_factory=KeypadConfig)
    indicator: str = "terminal"
    lcd: LcdConfig = field(default_factory=LcdConfig)


def _key_map(
    table: config.Table, name: str, source_ok: Callable[[str], bool], what: str
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


def read_config(source: str | config.Table) -> CounterConfig:
    """The counter node's file; ConfigError names the file and key of any mistake."""
    root = config.root(source)
    identity = config.read_identity(root)

    counter = root.table("counter", required=True)
    counter_id = counter.id("id")
    language = counter.choice("language", LANGUAGES, "id")
    request_timeout = counter.float("request_timeout", 5.0, min=MIN_REQUEST_TIMEOUT_S)
    counter.finish()

    # Every keypad key is read whatever the type, so switching `type` is a one-word edit.
    keypad = root.table("keypad")
    kind = keypad.choice("type", ("stdin", "gpio", "evdev"), "stdin")
    layout = keypad.choice("layout", tuple(GPIO_LAYOUTS), "box6")
    pins = _key_map(keypad, "pins", lambda s: bool(PIN_NAME.match(s)), "a pin")
    bounce = keypad.float("bounce_time", 0.05, min=0.0)
    evdev_keys = dict(NUMPAD_KEYS)
    key_names = _key_map(keypad, "keys", lambda s: bool(KEY_CODE_NAME.match(s)), KEY_CODE_HINT)
    evdev_keys.update(key_names)
    keypad_config = KeypadConfig(
        type=kind,
        # A [keypad.pins] table is the whole map: pins not named are left alone.
        pins={p: k for p, k in (pins or GPIO_LAYOUTS[layout]).items() if k != "none"},
        pull_up=keypad.bool("pull_up", True),
        bounce_time=bounce or None,
        device=keypad.str("device", "auto"),
        grab=keypad.bool("grab", True),
        # [keypad.keys] changes single keys of the default numpad map.
        keys={c: k for c, k in evdev_keys.items() if k != "none"},
        fifo=keypad.str("fifo", None),
    )
    keypad.finish()

    indicator = root.table("indicator")
    indicator_type = indicator.choice("type", ("terminal", "lcd"), "terminal")
    lcd = LcdConfig(
        address=indicator.int("address", 0x27, min=0x03, max=0x77),
        expander=indicator.choice("expander", EXPANDERS, "PCF8574"),
        port=indicator.int("port", 1, min=0, max=255),
        cols=indicator.int("cols", 16, min=8, max=40),
        rows=indicator.int("rows", 2, min=1, max=4),
        charmap=indicator.choice("charmap", ("A00", "A02", "ST0B"), "A02"),
        gpio_bank=indicator.choice("gpio_bank", ("A", "B"), "A"),
        backlight=indicator.bool("backlight", True),
    )
    indicator.finish()
    root.finish()
    return CounterConfig(
        identity, counter_id, language, request_timeout, keypad_config, indicator_type, lcd
    )


def build_keypad(settings: KeypadConfig) -> Keypad:
    if settings.type == "gpio":
        return GpioKeypad(settings.pins, pull_up=settings.pull_up, bounce_time=settings.bounce_time)
    if settings.type == "evdev":
        return EvdevKeypad(settings.keys, device=settings.device, grab=settings.grab)
    return StdinKeypad(fifo=settings.fifo)


def build_indicator(settings: CounterConfig) -> Indicator:
    if settings.indicator == "lcd":
        lcd = settings.lcd
        return LcdIndicator(lambda: open_lcd(lcd), lcd.cols, lcd.rows)
    return TerminalIndicator()


def subscribe(link: Link, topics: Topics, desk: CounterDesk) -> None:
    """Feed the hub's retained config, this counter's state and node statuses to the desk."""

    gate = PayloadGate(log)

    def on_config(message: Message) -> None:
        if config := gate.decode(message.topic, message.payload, OfficeConfig.from_payload):
            desk.on_config(config)

    def on_state(message: Message) -> None:
        if state := gate.decode(message.topic, message.payload, CounterState.from_payload):
            desk.on_state(state)

    def on_status(message: Message) -> None:
        node = topics.parse_node_status(message.topic)
        if node and (
            status := gate.decode(message.topic, message.payload, NodeStatus.from_payload)
        ):
            desk.on_node_status(node, status)

    link.on_connection(desk.on_connection)
    link.subscribe(topics.config, on_config)
    link.subscribe(topics.state_counter(desk.counter), on_state)
    link.subscribe(topics.node_statuses, on_status)


def build(settings: CounterConfig, shell: Shell) -> Running:
    try:
        keypad = build_keypad(settings.keypad)
        indicator = build_indicator(settings)
    except (RuntimeError, ValueError) as exc:  # a key code or device the config names
        raise config.ConfigError(shell.file, "keypad", str(exc)) from None
    shell.on_stop(indicator.close)
    link = shell.link(
        status={
            "counter": settings.counter,
            # A USB keypad is "ok" once found; GPIO buttons and stdin cannot go missing.
            "keypad": "searching" if settings.keypad.type == "evdev" else "ok",
        },
    )
    desk = CounterDesk(
        link,
        settings.counter,
        indicator,
        language=settings.language,
        request_timeout=settings.request_timeout,
        keypad_health=lambda health: link.set_status(keypad=health),
    )
    subscribe(link, link.topics, desk)
    desk.start()
    shell.on_stop(desk.stop)
    shell.on_stop(keypad.close)  # first: no press reaches a stopped desk

    def serve(stopping: threading.Event) -> None:
        try:
            keypad.start(desk)
        except Exception as exc:  # e.g. a GPIO pin already in use, no GPIO on this machine
            raise SetupError(f"keypad ({settings.keypad.type}): {exc}") from None
        log.info(
            "counter %s on node %s: keypad %s, indicator %s",
            settings.counter, shell.identity.node_id, settings.keypad.type, settings.indicator,
        )  # fmt: skip
        while not stopping.wait(0.2):
            if desk.ended:
                # stdin closed: answer what was typed, then leave (a demo script's end).
                log.info("end of keypad input; finishing pending presses and exiting")
                if os.environ.get("NOTIFY_SOCKET"):
                    # Under systemd stdin is /dev/null: the unit would restart us forever.
                    log.error('[keypad] type = "stdin" cannot work as a service; '
                              'set type = "gpio" or "evdev" in %s', shell.file)  # fmt: skip
                desk.wait_idle(settings.request_timeout + 1.0)
                return

    return Running(serve, healthy=desk.alive, status=f"counter {settings.counter}")


def main(argv: list[str] | None = None) -> int:
    description = "Run a counter: officer keypad and indicator."
    return node.run("counter", argv, read_config, build, description=description)
