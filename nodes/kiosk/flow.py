"""One press, one ticket: press → ticket request → print, or cancel when the print fails.

Theory of operation
-------------------
A press comes from the button thread and is only queued: the request blocks for up to
`request_timeout_s` and must never run in gpiozero's or paho's thread. While a service's
ticket is queued or on its way its LED blinks and further presses of that button are
ignored, so a button mashed or held for as long as the hub takes gives one ticket. A
press of another service waits its turn: one printer, one ticket at a time.

Before asking the hub the kiosk checks what it can see locally: a printer that cannot print
("paper_out", "offline") or a service the hub reports closed (`open: false` in the retained
`state/queue`, or a `quota_exhausted` answer earlier the same day) means nothing is
requested at all. The request
carries a fresh `transaction`; `BrokerLink.request` retries with the same one and gives
every copy an expiry no longer than the time left, so a request given up on never becomes
a ticket later. If the hub issued the ticket but the printer fails, the kiosk sends
`action: "cancel"` with the ticket id and a reason, retried until the hub confirms, so no
ghost number waits in the queue.

Each service's LED (`led_for`) is lit when a press would print, blinks while its ticket is
on its way, and is off when the service is closed, the printer cannot print or the hub is
unreachable. The hub counts as unreachable while the broker is down, while the hub's
retained status says offline, or after a request timed out until the hub is heard again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from typing import Final, Literal, Protocol, runtime_checkable

from common.mqtt import Link, Message, RequestTimeout
from common.payloads import (
    Call,
    Calls,
    NodeStatus,
    OfficeConfig,
    PayloadGate,
    QueueState,
    ServiceQueue,
)
from common.presence import HubPresence
from nodes.kiosk.buttons import NOW_SERVING, LedState, Press, ServiceButtons
from nodes.kiosk.printer import CAN_PRINT, PrinterHealth, PrintFailed, TicketPrinter
from nodes.kiosk.ticket import PAPERS, OfficeInfo, Paper, ticket_layout
from nodes.kiosk.voice import KioskVoice, issued_phrase, serving_phrase

log = logging.getLogger(__name__)

#: Hub answers after which the service stays dark until the hub's state says otherwise.
CLOSING_ERRORS: Final = ("quota_exhausted", "service_closed", "unknown_service", "forbidden")


#: How long `stop()` waits for a press in flight: a ticket request, the print and maybe a
#: cancel, each bounded by its own timeout; well inside systemd's 90 s stop timeout.
STOP_PATIENCE_S: Final = 30.0


@dataclass(frozen=True)
class KioskSettings:
    """`[kiosk]` of the config file (docs/kiosk.md)."""

    request_timeout_s: float = 5.0
    attempt_timeout_s: float = 1.5
    health_interval_s: float = 5.0
    paper: Paper = PAPERS[80]


@dataclass(frozen=True)
class KioskView:
    """Everything the LEDs depend on, at one moment."""

    hub_reachable: bool
    printer: PrinterHealth
    open: dict[str, bool]
    busy: frozenset[str] = frozenset()
    #: The hub's latest word on each service (names, people waiting, estimated wait).
    queue: tuple[ServiceQueue, ...] = ()
    #: Services whose quota for today the hub said is used up.
    exhausted: frozenset[str] = frozenset()
    #: The agency of each service that has one (the hub's retained `config`).
    agencies: dict[str, str] = field(default_factory=dict)
    #: The office's name: this kiosk's config, else the hub's retained `config`.
    office_name: str = ""


def led_for(service: str, view: KioskView) -> LedState:
    if service in view.busy:
        return "blinking"
    if refusal(service, view) is not None or not view.hub_reachable:
        return "off"
    return "lit"


def refusal(service: str, view: KioskView) -> str | None:
    """Why a press of `service` must not even be sent to the hub, or None.

    An unreachable hub is not a reason: the request is cheap, bounded by its timeout, and
    the hub may be back before the kiosk has heard so.
    """
    if view.printer not in CAN_PRINT:
        return f"printer {view.printer}"
    if not view.open.get(service, False):
        return "service closed" if service in view.open else "service unknown to the hub"
    return None


Result = Literal["printed", "refused", "ignored", "timeout", "hub_error", "print_failed"]


@dataclass(frozen=True)
class Outcome:
    """What became of one press (kept for the technician's log and for tests)."""

    press: Press
    result: Result
    number: str | None = None
    ticket_id: str | None = None
    detail: str = ""
    pressed_at: float = 0.0  # monotonic
    printed_at: float | None = None  # monotonic, when the printer had the ticket


@runtime_checkable
class KioskFace(Protocol):
    """An input that shows more than lamps (the touch screen): it is told the whole view
    and what became of each press."""

    def show_view(self, view: KioskView) -> None: ...

    def show_outcome(self, outcome: Outcome) -> None: ...


@dataclass
class _Cancel:
    ticket_id: str
    service: str
    reason: str
    transaction: str = field(default_factory=lambda: uuid.uuid4().hex)


class Kiosk:
    """The kiosk's logic between its buttons, its printer and the hub."""

    def __init__(
        self,
        link: Link,
        buttons: ServiceButtons,
        printer: TicketPrinter,
        office: OfficeInfo,
        settings: KioskSettings = KioskSettings(),
        *,
        tz: tzinfo | None = None,
        clock: Callable[[], datetime] | None = None,
        voice: KioskVoice | None = None,
    ) -> None:
        self.link = link
        self.voice = voice
        self._calls: tuple[Call, ...] = ()
        self.buttons = buttons
        self.printer = printer
        self.office = office
        self.settings = settings
        self.tz = tz
        self._clock = clock or (lambda: datetime.now(tz))
        self._lock = threading.Lock()
        self._presses: queue.Queue[tuple[Press, float] | None] = queue.Queue()
        self._busy: list[str] = []  # services queued or on their way, in press order
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self._broker_up = False
        self._hub_online: bool | None = None
        self._presence = HubPresence()  # only the hub's own status topic counts
        self._gate = PayloadGate(log)  # what the hub publishes, decoded or refused
        self._hub_silent = False
        self._open: dict[str, bool] = {}
        self._queue: tuple[ServiceQueue, ...] = ()
        self._agencies: dict[str, str] = {}
        #: Services whose quota the hub said is used up, with the office day it happened:
        #: dark for the rest of that day even when the next queue state still says open.
        self._exhausted: dict[str, date] = {}
        self._printer_health: PrinterHealth = "offline"
        self._pending_cancels: list[_Cancel] = []
        self._threads: list[threading.Thread] = []
        self._show_lock = threading.Lock()
        #: The latest presses and what became of them (tests, benchmark, debugging).
        self.outcomes: deque[Outcome] = deque(maxlen=1000)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe, start the worker and health threads and the buttons. Does not wait
        for the broker: the LEDs stay off until the hub is heard."""
        self._printer_health = self.printer.health()
        self.link.set_status(printer=self._printer_health)
        topics = self.link.topics
        self.link.subscribe(topics.state_queue, self._on_queue_state)
        self.link.subscribe(topics.config, self._on_config)
        self.link.subscribe(topics.node_statuses, self._on_node_status)
        if self.voice is not None:
            self.link.subscribe(topics.state_calls, self._on_calls)
            self.voice.start()
        self.link.on_connection(self._on_connection)
        self._broker_up = self.link.connected
        for target, name in ((self._work, "kiosk-presses"), (self._watch, "kiosk-health")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.buttons.start(self.press)
        self._show()

    def stop(self) -> None:
        """End both threads. Presses already taken are served to the end (a ticket asked
        for is printed, or cancelled if the print fails), so this can take a while."""
        self._stop.set()
        self._presses.put(None)
        deadline = time.monotonic() + STOP_PATIENCE_S
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning(
                    "%s still busy %.0f s after stop; leaving it", thread.name, STOP_PATIENCE_S
                )
        with self._lock:
            unconfirmed = [cancel.ticket_id for cancel in self._pending_cancels]
        if unconfirmed:  # nobody retries them now: the technician should know
            log.error(
                "stopping with %d unprinted ticket(s) not cancelled at the hub: %s",
                len(unconfirmed),
                ", ".join(unconfirmed),
            )
        for service in self.services():
            self.buttons.set_led(service, "off")
        if self.voice is not None:
            self.voice.stop()

    def alive(self) -> bool:
        """For the systemd watchdog: both threads still running."""
        return all(thread.is_alive() for thread in self._threads)

    def wait_idle(self, timeout: float) -> bool:
        """True once no press is queued or being served (for tests and the benchmark)."""
        return self._idle.wait(timeout)

    # --- what the LEDs show --------------------------------------------------------------

    def view(self) -> KioskView:
        today = self._clock().date()
        with self._lock:
            opened = {s: o and self._exhausted.get(s) != today for s, o in self._open.items()}
            return KioskView(
                hub_reachable=self._broker_up
                and self._hub_online is not False
                and not self._hub_silent,
                printer=self._printer_health,
                open=opened,
                busy=frozenset(self._busy),
                queue=self._queue,
                exhausted=frozenset(s for s, day in self._exhausted.items() if day == today),
                agencies=dict(self._agencies),
                office_name=self.office.name,
            )

    def services(self) -> tuple[str, ...]:
        """The services with a button, or (simulated input without a list) those the hub
        announced."""
        with self._lock:
            return self.buttons.services or tuple(self._open)

    def _show(self) -> None:
        # Several threads call this; computing the view inside the lock means the last
        # caller always shows the latest state, never an older view applied late.
        with self._show_lock:
            view = self.view()
            for service in self.services():
                self.buttons.set_led(service, led_for(service, view))
            if isinstance(self.buttons, KioskFace):
                self.buttons.show_view(view)

    # --- presses -------------------------------------------------------------------------

    def press(self, press: Press) -> None:
        """Take a press from the button thread: queue it, or ignore it while a ticket for
        the same service is waiting or on its way. Never blocks."""
        if press.service == NOW_SERVING:
            self.speak_now_serving()
            return
        now = time.monotonic()
        with self._lock:
            if press.service in self._busy:
                self.outcomes.append(Outcome(press, "ignored", detail="already on its way"))
                log.info("press of %s ignored: its ticket is on its way", press.service)
                return
            self._busy.append(press.service)
            self._idle.clear()
        self._show()
        self._presses.put((press, now))

    def _work(self) -> None:
        while True:
            item = self._presses.get()
            if item is None:
                return
            press, pressed_at = item
            try:
                outcome = self.serve(press, pressed_at)
            except Exception:  # a bug must cost one ticket, not every ticket after it
                log.exception("serving a press of %s failed", press.service)
                outcome = Outcome(press, "print_failed", detail="internal error")
            if isinstance(self.buttons, KioskFace):
                self.buttons.show_outcome(outcome)
            self._speak_issued(outcome)
            with self._lock:
                self.outcomes.append(outcome)
                self._busy.remove(press.service)
                if not self._busy:
                    self._idle.set()
            try:
                self._show()
            except Exception:
                log.exception("updating the LEDs failed")

    def serve(self, press: Press, pressed_at: float) -> Outcome:
        """The whole path of one press. Runs in the worker thread."""
        self._set_printer_health(self.printer.health())
        why = refusal(press.service, self.view())
        if why is not None:
            log.warning("press of %s refused: %s", press.service, why)
            return Outcome(press, "refused", detail=why, pressed_at=pressed_at)
        payload = {"service": press.service, "priority": press.priority}
        try:
            response = self.link.request(
                "ticket",
                payload,
                timeout=self.settings.request_timeout_s,
                attempt_timeout=self.settings.attempt_timeout_s,
            )
        except RequestTimeout as exc:
            log.error("hub did not answer a ticket request for %s: %s", press.service, exc)
            with self._lock:
                self._hub_silent = True
            return Outcome(press, "timeout", detail=str(exc), pressed_at=pressed_at)
        self._heard_hub()
        if not response.ok:
            code = response.error_code or "error"
            log.warning(
                "hub refused a ticket for %s: %s %s", press.service, code, response.error_message
            )
            with self._lock:
                if code == "quota_exhausted":
                    self._exhausted[press.service] = self._clock().date()
                elif code in CLOSING_ERRORS:
                    self._open[press.service] = False
            return Outcome(press, "hub_error", detail=code, pressed_at=pressed_at)
        data = response.data
        try:
            layout = ticket_layout(
                data,
                self.office,
                self._clock(),
                paper=self.settings.paper,
                priority=press.priority,
                tz=self.tz,
            )
            self.printer.print(layout)
        except (PrintFailed, KeyError, ValueError) as exc:
            ticket_id = str(data.get("ticket_id", ""))
            log.error("ticket %s could not be printed (%s); cancelling it", ticket_id, exc)
            self._set_printer_health(self.printer.health())
            if ticket_id:
                self._cancel(_Cancel(ticket_id, press.service, f"print failed: {exc}"[:200]))
            return Outcome(
                press,
                "print_failed",
                ticket_id=ticket_id or None,
                detail=str(exc),
                pressed_at=pressed_at,
            )
        printed_at = time.monotonic()
        log.info("printed %s (%s)", layout.number, layout.ticket_id)
        return Outcome(
            press,
            "printed",
            number=layout.number,
            ticket_id=layout.ticket_id,
            pressed_at=pressed_at,
            printed_at=printed_at,
        )

    # --- speaking (only with `[voice] enabled`) ------------------------------------------

    def _speak_issued(self, outcome: Outcome) -> None:
        if self.voice is None or outcome.result != "printed" or outcome.number is None:
            return
        with self._lock:
            names = {s.id: s.name for s in self._queue}
        name = names.get(outcome.press.service, outcome.press.service)
        try:
            phrase = issued_phrase(outcome.number, name, self.voice.lang)
        except ValueError as exc:  # a number the phrase rules cannot read
            log.error("cannot say ticket %s: %s", outcome.number, exc)
            return
        self.voice.say(outcome.number, phrase)

    def speak_now_serving(self) -> None:
        """Say the latest calls (the "now serving" button or tile). Never blocks."""
        if self.voice is None:
            log.info("now serving pressed, but this kiosk has no [voice]")
            return
        with self._lock:
            calls = self._calls
        try:
            phrase = serving_phrase(calls, self.voice.lang)
        except ValueError as exc:
            log.error("cannot say the latest calls: %s", exc)
            return
        self.voice.say("now-serving", phrase)

    def _on_calls(self, message: Message) -> None:
        calls = self._gate.decode(message.topic, message.payload, Calls.from_payload)
        if calls is None:
            return
        with self._lock:
            self._calls = calls.calls

    # --- cancelling a ticket that was not printed ------------------------------------------

    def _cancel(self, cancel: _Cancel) -> bool:
        """Ask the hub to cancel; on no answer keep it for the health thread to retry."""
        payload = {
            "action": "cancel",
            "ticket_id": cancel.ticket_id,
            "service": cancel.service,
            "reason": cancel.reason,
            "transaction": cancel.transaction,
        }
        try:
            response = self.link.request(
                "ticket",
                payload,
                timeout=self.settings.request_timeout_s,
                attempt_timeout=self.settings.attempt_timeout_s,
            )
        except RequestTimeout:
            log.warning("cancel of %s not confirmed yet; will retry", cancel.ticket_id)
            with self._lock:
                if cancel not in self._pending_cancels:
                    self._pending_cancels.append(cancel)
            return False
        self._heard_hub()
        if response.ok:
            log.info("ticket %s cancelled at the hub", cancel.ticket_id)
        else:  # e.g. already called or cancelled: nothing more the kiosk can do
            log.error("hub refused to cancel %s: %s", cancel.ticket_id, response.error_code)
        with self._lock:
            if cancel in self._pending_cancels:
                self._pending_cancels.remove(cancel)
        return True

    # --- health --------------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.health_interval_s):
            if self._idle.is_set():  # never poll the printer in the middle of a ticket
                self._set_printer_health(self.printer.health())
            with self._lock:
                cancels = list(self._pending_cancels)
            for cancel in cancels:
                if self._stop.is_set() or not self.link.connected:
                    break
                self._cancel(cancel)

    def _set_printer_health(self, health: PrinterHealth) -> None:
        with self._lock:
            changed = health != self._printer_health
            self._printer_health = health
        if changed:
            log.warning("printer is now %s", health)
            self.link.set_status(printer=health)
            self._show()

    # --- what the hub says (paho's thread) -----------------------------------------------

    def _heard_hub(self) -> None:
        """The hub just answered or published something new: it is alive, whatever its
        retained status said last."""
        with self._lock:
            changed = self._hub_silent or self._hub_online is False
            self._hub_silent = False
            self._hub_online = True
        if changed:
            log.info("hub is answering again")
            self._show()

    def _on_connection(self, connected: bool) -> None:
        with self._lock:
            self._broker_up = connected
        self._show()

    def _on_queue_state(self, message: Message) -> None:
        state = self._gate.decode(message.topic, message.payload, QueueState.from_payload)
        if state is None:
            return
        with self._lock:
            self._open = {s.id: s.open for s in state.services}
            self._queue = state.services
        if not message.retain:  # a retained copy may be from a hub that has since died
            self._heard_hub()
        self._show()

    def _on_config(self, message: Message) -> None:
        config = self._gate.decode(message.topic, message.payload, OfficeConfig.from_payload)
        if config is None:
            return
        agencies = {s.id: s.agency for s in config.services if s.agency is not None}
        with self._lock:
            hub_renamed = self._presence.on_config(config)
            regrouped = agencies != self._agencies
            self._agencies = agencies
        if hub_renamed:
            self._follow_hub_status()
        # A provisioned card carries no office name: tickets and the touch screen take the
        # hub's.
        named = not self.office.name and bool(config.name)
        if named:
            self.office = replace(self.office, name=config.name)
        if regrouped or named:
            self._show()

    def _on_node_status(self, message: Message) -> None:
        node = self.link.topics.parse_node_status(message.topic)
        if node is None:
            return
        status = self._gate.decode(message.topic, message.payload, NodeStatus.from_payload)
        with self._lock:
            if status is None or not self._presence.on_status(node, status):
                return
        self._follow_hub_status()

    def _follow_hub_status(self) -> None:
        with self._lock:
            online = self._presence.online
            if online is None:
                return
            self._hub_online = online
            if online:
                self._hub_silent = False
        log.info("hub is %s", "online" if online else "offline")
        self._show()
