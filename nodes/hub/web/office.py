"""The web node's two doors to the hub: `OfficeFeed` (watching) and `TicketDesk` (asking).

`OfficeFeed` keeps a `LiveModel` current: MQTT handlers (paho's thread) apply the retained
state and call events; a small tailer thread folds the new events of the hub's event log
(`nodes.hub.eventlog`, read-only), woken by every state change and at least every `poll_s`
seconds. While the log cannot be read (no database yet) the pages live on the MQTT state
alone; that is logged once. After each change the feed calls its listeners (the live
pages' broadcaster). All model access goes through `lock`.

`TicketDesk` sends `request/ticket` (take, cancel). Its calls block for up to `timeout`
seconds, so the web app runs them in worker threads, never on the event loop.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from common import payloads
from common.mqtt import BrokerLink, Message, RequestTimeout
from common.wire import Response
from nodes.hub.eventlog import EventLog
from nodes.hub.events import Logged
from nodes.hub.web.live import LiveModel

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")


class OfficeFeed:
    """Subscriptions + event-log tailer feeding one `LiveModel`."""

    def __init__(
        self,
        model: LiveModel,
        link: BrokerLink,
        events: EventLog,
        tz: tzinfo,
        *,
        clock: Clock | None = None,
        poll_s: float = 2.0,
    ) -> None:
        self.model = model
        self.link = link
        self.events = events
        self.tz = tz
        self.clock: Clock = clock or (lambda: datetime.now(tz))
        self.poll_s = poll_s
        self.lock = threading.RLock()
        self.listeners: list[Callable[[], None]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._tailer: threading.Thread | None = None
        self._unreadable = False
        self._news = threading.Condition()  # notified after every change of the model
        self.gate = payloads.PayloadGate(log)

    def start(self) -> None:
        topics, model = self.link.topics, self.model
        feeds: list[tuple[str, Callable[[Message], None]]] = [
            (topics.config, self._state(payloads.OfficeConfig.from_payload, model.apply_config)),
            (topics.state_queue, self._state(payloads.QueueState.from_payload, model.apply_queue)),
            (topics.state_counters,
             self._state(payloads.CounterState.from_payload, model.apply_counter)),
            (topics.state_calls, self._state(payloads.Calls.from_payload, model.apply_calls)),
            (topics.event_call, self._state(payloads.Call.from_payload, model.apply_call_event)),
        ]  # fmt: skip
        for topic, handler in feeds:
            self.link.subscribe(topic, handler)
        self.link.subscribe(topics.node_statuses, self._node)
        self.link.subscribe(
            topics.state_update,
            self._state(payloads.UpdateState.from_payload, model.apply_update),
        )
        self.link.on_connection(lambda _connected: self._changed())
        self._tailer = threading.Thread(target=self._tail, name="event-log-tailer", daemon=True)
        self._tailer.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._tailer is not None:
            self._tailer.join(timeout=5)

    def refresh(self) -> None:
        """Fold the event log's new rows now (blocking; call from a worker thread)."""
        day = self.clock().astimezone(self.tz).date()
        with self.lock:
            self.model.start_day(day.isoformat())
            after = self.model.last_seq
            before = self.model.version
        rows = self.read(lambda: self.events.day(day, after))
        if rows:
            with self.lock:
                self.model.apply_events(rows)
                changed = self.model.version != before
            if changed:
                self._changed()

    def read(self, reading: Callable[[], list[Logged]]) -> list[Logged]:
        """What `reading` reads of the log, or nothing while the log cannot be read."""
        try:
            rows = reading()
        except (OSError, sqlite3.Error) as exc:
            if not self._unreadable:
                log.warning("cannot read the hub's event log %s: %s", self.events.path, exc)
                self._unreadable = True
            return []
        self._unreadable = False
        return rows

    def _state(
        self, read: Callable[[Mapping[str, Any]], T], apply: Callable[[T], None]
    ) -> Callable[[Message], None]:
        def handler(message: Message) -> None:
            payload = self.gate.decode(message.topic, message.payload, read)
            if payload is None:
                return  # refused, or a cleared retained topic
            with self.lock:
                apply(payload)
            self._wake.set()  # the hub commits before it publishes: the log has news
            self._changed()

        return handler

    def _node(self, message: Message) -> None:
        node = self.link.topics.parse_node_status(message.topic)
        if node is not None:
            now = self.clock()
            self._state(
                payloads.NodeStatus.from_payload,
                lambda s: self.model.apply_node_status(node, s, now),
            )(message)

    def wait_until(self, holds: Callable[[], bool], timeout: float) -> bool:
        """Block until `holds()` (called under `lock`) is true or `timeout` passes; whether it
        holds. Lets a page that asked the hub for a change show the changed state."""

        def check() -> bool:
            with self.lock:
                return holds()

        with self._news:
            return self._news.wait_for(check, timeout)

    def _changed(self) -> None:
        with self._news:
            self._news.notify_all()
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:
                log.exception("live-update listener failed")

    def _tail(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.refresh()
            except Exception:
                log.exception("reading the hub's event log failed")


class TicketDesk:
    """Asks the hub for what the pages do: tickets, a service opened or closed, a survey
    (blocking calls; a hub that does not answer in time is a `timeout` answer)."""

    def __init__(self, link: BrokerLink, *, timeout: float = 5.0) -> None:
        self.link = link
        self.timeout = timeout

    def _ask(self, verb: str, payload: dict[str, Any]) -> Response:
        try:
            return self.link.request(verb, payload, timeout=self.timeout)
        except RequestTimeout:
            log.warning("hub did not answer a %s request within %.1f s", verb, self.timeout)
            return Response("error", None, {}, error_code="timeout")

    def take(self, service: str) -> Response:
        """An online ticket; the hub counts it against the service's online quota."""
        return self._ask("ticket", {"service": service, "priority": False, "online": True})

    def cancel(self, ticket_id: str, service: str, reason: str) -> Response:
        payload = {"action": "cancel", "ticket_id": ticket_id, "service": service}
        return self._ask("ticket", {**payload, "reason": reason})

    def set_accepting(self, service: str, accepting: bool) -> Response:
        """Open or close a service for new tickets (`request/admin`, dashboard admins only)."""
        payload = {"action": "service_accepting", "service": service, "accepting": accepting}
        return self._ask("admin", payload)

    def answer_survey(self, ticket_id: str, answers: dict[str, int], comment: str) -> Response:
        """The SKM questionnaire of a finished ticket (`request/survey`)."""
        payload: dict[str, Any] = {"ticket_id": ticket_id, "answers": answers}
        return self._ask("survey", {**payload, "comment": comment} if comment else payload)
