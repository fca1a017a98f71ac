"""`antrian counter --config FILE`: the officer's keypad and indicator at one counter.

Wiring only: read the node's TOML, build the keypad and indicator the config names,
connect a `BrokerLink`, feed the hub's retained `config`, `state/counter/{id}` and node
statuses to the `CounterDesk`, and run until SIGTERM (or, with the stdin keypad, until
standard input ends and every press has been answered).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from common import config, node
from common.adapters import Choice
from common.mqtt import MIN_REQUEST_TIMEOUT_S, Link, Message
from common.node import Running, SetupError, Shell
from common.payloads import CounterState, NodeStatus, OfficeConfig, PayloadGate
from common.wire import Topics
from nodes.counter.flow import CounterDesk
from nodes.counter.indicator import INDICATORS, Indicator
from nodes.counter.keypad import KEYPADS, Keypad
from nodes.counter.keys import SCORE_WINDOW
from nodes.counter.view import LANGUAGES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CounterConfig:
    identity: config.NodeIdentity
    counter: str
    language: str
    request_timeout: float
    score_seconds: float  # the quick satisfaction score's window after a finish; 0 = off
    keypad: Choice[Keypad]
    indicator: Choice[Indicator]


def read_config(source: str | config.Table) -> CounterConfig:
    """The counter node's file; ConfigError names the file and key of any mistake."""
    root = config.root(source)
    identity = config.read_identity(root)

    counter = root.table("counter", required=True)
    counter_id = counter.id("id")
    language = counter.choice("language", LANGUAGES, "id")
    request_timeout = counter.float("request_timeout", 5.0, min=MIN_REQUEST_TIMEOUT_S)
    score_seconds = counter.float("score_seconds", SCORE_WINDOW.total_seconds(), min=0.0)
    counter.finish()

    # Every key of every adapter is read whatever the type, so switching is a one-word edit.
    keypad = KEYPADS.read_table(root, "keypad")
    indicator = INDICATORS.read_table(root, "indicator")
    root.finish()
    return CounterConfig(
        identity, counter_id, language, request_timeout, score_seconds, keypad, indicator
    )


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
        keypad = settings.keypad.build()
        indicator = settings.indicator.build()
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
        score_window=settings.score_seconds,
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
            settings.counter, shell.identity.node_id, settings.keypad.type,
            settings.indicator.type,
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
