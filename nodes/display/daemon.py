"""`antrian display --config FILE`: the waiting-room screen and its voice.

Wiring only. Messages from the hub (paho's thread) update the `Board` under a lock and
wake the screen loop; `event/call`s also go to the `Announcer`, which speaks them one at
a time on its own thread. The screen loop (the main thread, as SDL wants) turns the board
into a `View` and lets `Screen` repaint what changed: on a message at once, otherwise once
a second for the clock, or at `fps` while a long running text scrolls.

Everything the screen shows comes from retained topics, which the broker sends again on
every (re)connect, so a restarted display or a reconnect rebuilds the whole picture. While
the broker is unreachable, or the hub's Last Will says it is gone, the last picture stays,
with a small offline mark.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pygame

from common import payloads
from common.mqtt import BrokerLink, Message
from common.node import Running, SetupError, Shell
from common.node import run as shell_run
from common.speech.outputs import AudioOutput
from common.speech.phrase import required_clips
from common.speech.voices import Voice, VoiceError, VoicePack
from common.wire import Topics
from nodes.display.announcer import JOURNAL_NAME, Announcer, AnnouncerSettings
from nodes.display.panels import Panel
from nodes.display.screen import FontBook, Screen
from nodes.display.settings import DisplayConfig, read_config
from nodes.display.view import Board

log = logging.getLogger("antrian.display")
T = TypeVar("T")


def journal_path(config: DisplayConfig) -> Path | None:
    """The announcement journal in the state folder; None (with a warning) when the default
    folder cannot be written (a development machine without /var/lib/antrian/display)."""
    folder = config.display.state_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if config.display.state_dir_given:
            raise
        log.warning(
            "no announcement journal (%s); set [display] state_dir: a restart may repeat "
            "the last calls",
            exc,
        )
        return None
    return folder / JOURNAL_NAME


class DisplayNode:
    """One display: board + broker link + screen loop + announcer."""

    def __init__(
        self,
        config: DisplayConfig,
        panel: Panel,
        voice: Voice | None,
        output: AudioOutput | None,
        *,
        link: BrokerLink | None = None,
    ) -> None:
        self.config = config
        self.identity = config.identity
        self.topics = Topics(self.identity.office_id)
        self.panel = panel
        self.board = Board()
        self.lock = threading.Lock()
        self.changed = threading.Event()
        self.gate = payloads.PayloadGate(log)  # what the hub publishes, decoded or refused
        self.stopping = threading.Event()
        self.heartbeat = time.monotonic()
        self._ticker_moving = False
        fonts = FontBook(config.screen.font, config.screen.bold_font)
        logo = None
        if config.screen.logo is not None:
            try:
                logo = pygame.image.load(str(config.screen.logo))
            except pygame.error as exc:  # a broken logo must not keep the queue off screen
                log.error("cannot show logo %s: %s", config.screen.logo, exc)
        self.screen = Screen(
            panel.surface,
            fonts,
            logo=logo,
            animate_ticker=panel.animated,
            letter_px=config.screen.letter_px(*panel.surface.get_size()),
        )
        self.link = link or BrokerLink(
            self.identity.broker, self.topics, self.identity.node_id, role="display"
        )
        self.voice = voice
        self.announcer: Announcer | None = None
        if voice is not None and output is not None:
            settings = config.voice
            self.announcer = Announcer(
                voice,
                output,
                AnnouncerSettings(
                    template=settings.template,
                    number_style=settings.number_style,
                    lang=settings.language,
                    max_age_s=settings.max_age_s,
                    repeat=settings.repeat,
                ),
                clock=self.now,
                zone=config.display.zone,
                journal=journal_path(config),
                service_name=self._service_name,
                on_start=self._on_announce_start,
                on_idle=self._on_announcer_idle,
                # The technician sees this on the web's node health page.
                on_voice=lambda ok: self.link.set_status(voice_ok=ok),
            )

    def now(self) -> datetime:
        return datetime.now(self.identity.tz)

    # --- wire (paho's thread) --------------------------------------------------------------

    def subscribe(self) -> None:
        topics = self.topics
        self.link.on_connection(self._on_connection)
        self.link.subscribe(topics.config, self._on_config)
        self.link.subscribe(topics.state_queue, self._on_queue)
        self.link.subscribe(topics.state_counters, self._on_counter)
        self.link.subscribe(topics.state_calls, self._on_calls)
        self.link.subscribe(topics.event_call, self._on_call)
        # The hub's Last Will marks it offline when it dies while the broker stays up.
        self.link.subscribe(topics.node_statuses, self._on_node_status)

    def _update(
        self, message: Message, read: Callable[[Mapping[str, Any]], T], apply: Callable[[T], None]
    ) -> T | None:
        payload = self.gate.decode(message.topic, message.payload, read)
        if payload is not None:
            with self.lock:
                apply(payload)
            self.changed.set()
        return payload

    def _on_connection(self, connected: bool) -> None:
        with self.lock:
            self.board.online = connected
        if connected:
            log.info("broker connected: rebuilding the screen from retained state")
        else:
            log.warning("broker unreachable: showing the last known state, marked offline")
        self.changed.set()

    def _on_config(self, message: Message) -> None:
        read = payloads.OfficeConfig.from_payload
        if self._update(message, read, self.board.apply_config) is None:
            return
        if self.announcer is not None:
            with self.lock:
                names = [c.name for c in self.board.counters.values()]
                prefixes = [s.prefix for s in self.board.services.values()]
            self.announcer.prepare(names)
            if isinstance(self.voice, VoicePack):
                settings = self.config.voice
                missing = self.voice.missing(
                    required_clips(settings.template, names, prefixes, settings.language)
                )
                if missing:
                    log.warning(
                        "voice pack %s lacks clips: %s", self.voice.directory, ", ".join(missing)
                    )

    def _on_queue(self, message: Message) -> None:
        self._update(message, payloads.QueueState.from_payload, self.board.apply_queue)

    def _on_counter(self, message: Message) -> None:
        counter = self.topics.parse_counter_state(message.topic)
        if counter is None:
            return
        if not message.payload:  # the hub cleared a counter that no longer exists
            with self.lock:
                self.board.apply_counter(counter, None)
            self.changed.set()
            if self.announcer is not None:
                self.announcer.on_counter(counter, None)
            return
        state = self._update(
            message,
            payloads.CounterState.from_payload,
            lambda s: self.board.apply_counter(counter, s),
        )
        if state is not None and self.announcer is not None:
            self.announcer.on_counter(counter, state)

    def _on_node_status(self, message: Message) -> None:
        node = self.topics.parse_node_status(message.topic)
        if node is not None:
            self._update(
                message,
                payloads.NodeStatus.from_payload,
                lambda s: self.board.apply_node_status(node, s),
            )

    def _on_calls(self, message: Message) -> None:
        calls = self._update(message, payloads.Calls.from_payload, self.board.apply_calls)
        if calls is not None and self.announcer is not None:
            # After a start or reconnect: the calls still current and not yet announced.
            self.announcer.offer_recent(calls.calls)

    def _on_call(self, message: Message) -> None:
        call = self._update(message, payloads.Call.from_payload, self.board.apply_call)
        if call is not None and self.announcer is not None:
            self.announcer.submit(call)

    # --- announcer callbacks (its thread) ------------------------------------------------

    def _service_name(self, service: str) -> str:
        with self.lock:
            info = self.board.services.get(service)
        return info.name if info else ""

    def _on_announce_start(self, call: payloads.Call) -> None:
        with self.lock:
            self.board.start_announcing(call, self.now())
        self.changed.set()

    def _on_announcer_idle(self) -> None:
        with self.lock:
            self.board.stop_announcing()
        self.changed.set()

    # --- the screen loop (main thread) ---------------------------------------------------

    def render(self) -> list[pygame.Rect]:
        """Draw the current state once; the rectangles that changed."""
        screen = self.config.screen
        with self.lock:
            view = self.board.view(
                self.now(),
                lang=screen.language,
                running_text=screen.running_text,
                highlight_s=screen.highlight_s,
                office_name=self.identity.office_name,
            )
        moving = self.screen.ticker_moves(view) and screen.ticker_speed > 0
        if moving:
            self.screen.ticker_offset = int(time.monotonic() * screen.ticker_speed)
        dirty = self.screen.draw(view)
        self.panel.show(dirty, self.screen.frame() if dirty else None)
        self._ticker_moving = moving
        return dirty

    def start(self) -> None:
        """Subscribe, start the announcer, draw: up at once, offline until the broker answers."""
        self.subscribe()
        if self.announcer is not None:
            self.announcer.start()
        self.render()

    def serve(self) -> None:
        """Draw until `stop()` or the window is closed."""
        while not self.stopping.is_set():
            if self.panel.closed():
                break
            self.changed.clear()
            self.render()
            self.heartbeat = time.monotonic()
            self.changed.wait(self._wait_s())

    def run(self) -> int:
        """The whole node in one call, without the process shell (tests, tools)."""
        self.start()
        self.link.start(wait=None)
        try:
            self.serve()
        finally:
            self.link.stop()
            self.close()
        return 0

    def _wait_s(self) -> float:
        if self._ticker_moving:
            return 1.0 / self.config.screen.fps
        # Wake at the next whole second, so the clock turns over on time.
        wait = 1.0 - (time.time() % 1.0) + 0.01
        return min(wait, 0.25) if self.panel.animated else wait

    def close(self) -> None:
        if self.announcer is not None:
            self.announcer.stop()
        self.panel.close()


def build(config: DisplayConfig, shell: Shell) -> Running:
    try:
        panel = config.screen.panel.build()
    except pygame.error as exc:
        raise SetupError(
            f'the screen ({exc}); use [screen] type = "headless" without one'
        ) from None
    voice: Voice | None = None
    output: AudioOutput | None = None
    if config.voice.enabled:
        try:
            voice = config.voice.engine.build()
            output = config.voice.output.build()
        except (VoiceError, RuntimeError, OSError) as exc:
            # The screen is the more important half: keep it running without sound.
            log.error("voice disabled: %s", exc)
            voice, output = None, None
    node = DisplayNode(config, panel, voice, output, link=shell.link())
    shell.on_stop(node.close)
    if node.announcer is not None:
        node.link.set_status(voice=config.voice.engine.type, output=config.voice.output.type)
    else:
        node.link.set_status(voice="off")
    log.info(
        "display %s for office %s: screen %s, voice %s",
        config.identity.node_id,
        config.identity.office_id,
        config.screen.panel.type,
        f"{config.voice.engine.type} to {config.voice.output.type}" if node.announcer else "off",
    )
    node.start()
    shell.on_signal(node.stopping.set)
    shell.on_signal(node.changed.set)
    return Running(
        lambda _stopping: node.serve(),
        healthy=lambda: time.monotonic() - node.heartbeat < 10,
        status="showing the queue",
    )


def main(argv: list[str] | None = None) -> int:
    return shell_run("display", argv, read_config, build, description=__doc__.split("\n")[0])
