"""The counter desk: presses in, hub requests out, the hub's answers on the indicator.

Theory of operation. Three kinds of thread feed one small model under one lock:

- keypad threads (gpiozero's pin thread, the evdev reader, the stdin reader) call
  `press_key`/`press_line`; the pure grammar (`keys.press`) turns keys into `Command`s,
  which are queued in the order pressed;
- paho's network thread calls `on_config`, `on_state`, `on_node_status`, `on_connection`
  with what the hub publishes (retained, so a restarted node or hub is back in step);
- the desk's own two threads: the *sender* takes one command at a time and blocks on
  `link.request(...)` (one transaction per press, retried with the same transaction and
  bounded by its expiry, so a press the desk gave up on never takes effect later); the
  *painter* shows the current view on the indicator whenever it changes or a notice or a
  half-typed entry times out.

A press is never dropped or doubled: it is either sent exactly once (as one transaction)
or refused with a visible notice (the queue is full, or it waited behind a request the
hub did not answer: pressing on while the hub is away must not pile up late actions).
The hub's answer updates the view at once; the retained `state/counter/{id}` is the truth
whenever it arrives.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from common.mqtt import Link, RequestTimeout
from common.payloads import CounterState, NodeStatus, OfficeConfig
from common.presence import HubPresence
from common.wire import Response, WireError
from nodes.counter import keys
from nodes.counter.indicator import Indicator
from nodes.counter.keys import Command, Notice, Office, Outcome, Score
from nodes.counter.view import TEXT, CounterView

log = logging.getLogger(__name__)

NOTICE_TIME = timedelta(seconds=3)
#: A request slower than this shows "mengirim..." on the indicator; faster ones are not
#: worth a flicker.
BUSY_AFTER = timedelta(milliseconds=300)
#: Presses waiting behind a pending request; more are refused visibly ("Tunggu sebentar").
MAX_QUEUED = 8
#: What the indicator says after these commands succeed (a recall changes nothing else on it).
DONE_NOTICES = {"recall": "recalled", "sign_in": "signed_in", "sign_out": "signed_out"}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def steady_now() -> datetime:
    """A clock for the desk's timers (notices, half-typed entries, stale presses).

    They only measure durations, and a Pi has no RTC: its wall clock jumps when NTP first
    syncs. So this is the monotonic clock, dressed as a datetime for the pure rules.
    """
    return _EPOCH + timedelta(seconds=time.monotonic())


@dataclass(frozen=True)
class _Press:
    command: Command | Score
    at: datetime


class CounterDesk:
    """One counter's keypad-to-hub flow. Start with `start()`, end with `stop()`."""

    def __init__(
        self,
        link: Link,
        counter: str,
        indicator: Indicator,
        *,
        language: str = "id",
        request_timeout: float = 5.0,
        clock: Callable[[], datetime] = steady_now,
        keypad_health: Callable[[str], None] | None = None,
        score_window: float = keys.SCORE_WINDOW.total_seconds(),
    ) -> None:
        self.link = link
        self.counter = counter
        self.indicator = indicator
        self.language = language if language in TEXT else "id"
        self.request_timeout = request_timeout
        self.clock = clock
        #: Told "ok" / "lost" when the keypad comes and goes (the node's status shows it).
        self.keypad_health = keypad_health
        #: Seconds after a finish in which keys 1..4 are the citizen's quick score (0: off).
        self.score_window = timedelta(seconds=score_window)
        self._changed = threading.Condition()
        self._presses: deque[_Press] = deque()
        self._state: CounterState | None = None
        self._office = Office()
        self._connected = False
        self._presence = HubPresence()  # only the hub's own status topic counts
        self._entry = keys.IDLE
        self._notice: tuple[str, datetime] | None = None
        self._sending_since: datetime | None = None
        self._version = 0
        self._ended = False
        self._stopping = False
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        for target, name in ((self._send_loop, "desk-sender"), (self._paint_loop, "desk-painter")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 2.0) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        # The painter may have stopped before showing the last answer.
        try:
            self.indicator.show(self.view())
        except Exception:
            log.exception("indicator failed")

    def alive(self) -> bool:
        """Both desk threads still run (the watchdog's health check)."""
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def idle(self) -> bool:
        """Nothing queued and nothing on its way to the hub."""
        with self._changed:
            return not self._presses and self._sending_since is None

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._presses and self._sending_since is None, timeout
            )

    @property
    def ended(self) -> bool:
        """The keypad reported the end of its input (stdin closed)."""
        return self._ended

    # --- keypad side (any thread) ----------------------------------------------------------

    def press_key(self, key: str) -> None:
        with self._changed:
            status = self._state.status if self._state else None
            self._entry, outcome = keys.press(self._entry, key, self._office, status, self.clock())
            log.debug("key %s -> entry %s, %s", key, self._entry.mode, outcome)
            self._take(outcome)

    def press_line(self, line: str) -> None:
        """A whole command from the stdin keypad.

        Unlike a key, a line waits for room in the queue instead of being refused: a demo
        script pipes its lines in all at once and means every one of them.
        """
        outcome = keys.parse_line(line)
        if isinstance(outcome, Notice):
            log.warning("stdin: not a command: %r (try: %s)", line.strip(), keys.LINE_HELP)
        with self._changed:
            self._changed.wait_for(lambda: len(self._presses) < MAX_QUEUED or self._stopping)
            if self._entry.mode == "score" and outcome is not None:
                self._entry = keys.IDLE  # a command closes the quick score's window
            self._take(outcome)

    def keypad_found(self) -> None:
        if self.keypad_health:
            self.keypad_health("ok")

    def keypad_lost(self) -> None:
        with self._changed:
            self._take(Notice("keypad_lost"))
        if self.keypad_health:
            self.keypad_health("lost")

    def keypad_ended(self) -> None:
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def _take(self, outcome: Outcome) -> None:
        """Queue a command or show a notice; caller holds the lock."""
        if isinstance(outcome, Command | Score):
            if len(self._presses) >= MAX_QUEUED:
                log.warning(
                    "counter %s: refusing %s, %d presses already queued",
                    self.counter,
                    outcome,
                    len(self._presses),
                )
                self._set_notice(self._text("queue_full"))
            else:
                self._presses.append(_Press(outcome, self.clock()))
        elif isinstance(outcome, Notice):
            self._set_notice(self._text(outcome.code))
        self._touch()

    # --- hub side (paho's thread) ----------------------------------------------------------

    def on_connection(self, connected: bool) -> None:
        with self._changed:
            self._connected = connected
            self._touch()

    def on_config(self, config: OfficeConfig) -> None:
        if config.counter(self.counter) is None:
            log.error("counter %s is not in the hub's config; check [counter] id", self.counter)
        with self._changed:
            self._presence.on_config(config)
            self._office = Office.from_config(config, self.counter)
            self._touch()

    def on_state(self, state: CounterState) -> None:
        with self._changed:
            self._state = state
            self._touch()

    def on_node_status(self, node: str, status: NodeStatus) -> None:
        """Watch the hub's own status: the broker may be up while the hub is down."""
        with self._changed:
            if self._presence.on_status(node, status):
                self._touch()

    def _answered(self, data: dict[str, Any]) -> CounterState | None:
        try:
            return CounterState.from_payload(data)
        except WireError as exc:  # the retained state/counter will still come
            log.warning(
                "counter %s: the hub's answer is not a counter state: %s", self.counter, exc
            )
            return None

    # --- the view --------------------------------------------------------------------------

    def view(self, now: datetime | None = None) -> CounterView:
        with self._changed:
            return self._view(now or self.clock())

    def _view(self, now: datetime) -> CounterView:
        notice = self._notice[0] if self._notice and self._notice[1] > now else None
        busy = self._sending_since is not None and now - self._sending_since >= BUSY_AFTER
        hub_online = self._presence.online is not False  # unknown: the broker link decides
        return CounterView(
            counter=self.counter,
            state=self._state,
            office=self._office,
            online=self._connected and hub_online,
            entry=keys.expire(self._entry, now),
            notice=notice,
            busy=busy,
            language=self.language,
        )

    def _next_deadline(self, now: datetime) -> datetime | None:
        """When the view will change by itself (a notice or an entry times out, busy shows)."""
        times: list[datetime] = []
        if self._notice and self._notice[1] > now:
            times.append(self._notice[1])
        deadline = self._entry.deadline
        if deadline is not None and deadline > now:
            times.append(deadline)
        if self._sending_since is not None and self._sending_since + BUSY_AFTER > now:
            times.append(self._sending_since + BUSY_AFTER)
        return min(times) if times else None

    def _text(self, code: str, **values: Any) -> str:
        catalogue = TEXT[self.language]
        return catalogue.get(code, catalogue["error"]).format(**values)

    def _set_notice(self, text: str) -> None:
        self._notice = (text, self.clock() + NOTICE_TIME)

    def _touch(self) -> None:
        self._version += 1
        self._changed.notify_all()

    # --- the sender thread -----------------------------------------------------------------

    def _send_loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._presses or self._stopping)
                if self._stopping:
                    return
                press = self._presses.popleft()
                now = self.clock()
                if now - press.at > timedelta(seconds=self.request_timeout):
                    # It waited behind answers so slow that sending it now would surprise
                    # the officer; they have seen the notice and will press again.
                    log.warning(
                        "counter %s: not sending %s, pressed %.1f s ago",
                        self.counter,
                        press.command,
                        (now - press.at).total_seconds(),
                    )
                    self._set_notice(self._text("timeout"))
                    self._touch()
                    continue
                self._sending_since = now
                current = self._state.ticket if self._state else None
                # A finish opens the quick score for the ticket it finishes (keys.py).
                finishing = (
                    current.ticket_id
                    if isinstance(press.command, Command) and press.command.action == "finish"
                    and current is not None and self.score_window > timedelta(0)
                    else None
                )  # fmt: skip
                self._touch()
            self._send(press.command, finishing)

    def _send(self, command: Command | Score, finishing: str | None = None) -> None:
        transaction = uuid.uuid4().hex
        payload = {**command.payload(self.counter), "transaction": transaction}
        response: Response | None = None
        notice: str | None = None
        timed_out = False
        try:
            response = self.link.request(command.verb, payload, timeout=self.request_timeout)
        except RequestTimeout as exc:
            log.warning(
                "counter %s: %s (transaction %s): %s", self.counter, command, transaction, exc
            )
            notice = self._text("timeout")
            timed_out = True
        except Exception:  # a bug must not kill the sender: the next press still works
            log.exception(
                "counter %s: %s (transaction %s) failed", self.counter, command, transaction
            )
            notice = self._text("internal_error")
        with self._changed:
            self._sending_since = None
            self._notice = None  # an older notice is not about this answer
            if timed_out:
                # Presses made while the hub did not answer are refused with this one's
                # "Server tak jawab", not sent late, each to time out in turn.
                for press in self._presses:
                    log.warning("counter %s: not sending %s: the hub is not answering",
                                self.counter, press.command)  # fmt: skip
                self._presses.clear()
            if response is not None and response.ok and isinstance(command, Score):
                log.info("counter %s: %s ok", self.counter, command)
                notice = self._text("scored")
            elif response is not None and response.ok:
                assert isinstance(command, Command)
                log.info("counter %s: %s ok -> %s", self.counter, command, response.data)
                self._state = self._answered(response.data) or self._state
                # Only if the officer has not moved on already (a press queued behind it).
                if finishing is not None and self._entry.mode == "idle" and not self._presses:
                    self._entry = keys.score_prompt(finishing, self.clock(), self.score_window)
                if command.action == "transfer" and command.service:
                    notice = self._text("transferred", service=command.service)
                elif command.action in DONE_NOTICES:
                    notice = self._text(DONE_NOTICES[command.action])
            elif response is not None:
                code = response.error_code or "error"
                log.warning(
                    "counter %s: hub refused %s: %s (%s)",
                    self.counter,
                    command,
                    code,
                    response.error_message,
                )
                notice = (
                    TEXT[self.language].get(code) or response.error_message or self._text("error")
                )
            if notice:
                self._set_notice(notice)
            self._touch()

    # --- the painter thread ----------------------------------------------------------------

    def _paint_loop(self) -> None:
        shown = -1
        while True:
            with self._changed:
                if self._version == shown and not self._stopping:
                    # Nothing new: sleep until something changes or the view times out.
                    now = self.clock()
                    deadline = self._next_deadline(now)
                    wait = (deadline - now).total_seconds() + 0.01 if deadline else None
                    self._changed.wait(wait)
                if self._stopping:
                    return
                shown = self._version
                view = self._view(self.clock())
            try:
                self.indicator.show(view)
            except Exception:
                log.exception("indicator failed")
