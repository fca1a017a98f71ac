"""An in-process broker and link, for fast tests of the node flows.

`LocalLink` has `BrokerLink`'s interface (`common.mqtt.Link`) and `LocalBroker` keeps the
broker's promises that the flows rely on: retained messages (an empty payload clears one)
sent to each new subscription with the retain flag, live messages without it; `+`/`#`
filters; one copy per client however many of its filters match; each client's messages
handled in order in its own thread, like paho's network thread; request/response with a
response topic and correlation data, each copy dropped once its expiry has passed; a
retained `online` status per node, `false` again when it stops.

It fakes the wire edge only, like gpiozero's MockFactory fakes the pins: what answers the
requests is whatever subscribes to them (in the tests, the real hub logic). The real
broker's own behaviour (sessions, reconnects, the ACL) is tested against mosquitto.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from common import __version__
from common.mqtt import Handler, Message, RequestTimeout, topic_matches
from common.wire import Response, Topics, WireError, decode_response, encode

log = logging.getLogger(__name__)


class LocalBroker:
    """The retained messages and the clients of one in-process broker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retained: dict[str, Message] = {}
        self._clients: list[LocalLink] = []

    def connect(self, link: LocalLink) -> None:
        with self._lock:
            self._clients.append(link)

    def disconnect(self, link: LocalLink) -> None:
        with self._lock:
            if link in self._clients:
                self._clients.remove(link)

    def subscribe(self, link: LocalLink, topic_filter: str) -> None:
        with self._lock:
            for topic, message in self._retained.items():
                if topic_matches(topic_filter, topic):
                    link.deliver(message, None)

    def publish(self, message: Message, expires: float | None = None) -> None:
        with self._lock:  # one order of messages for every client
            if message.retain and message.payload:
                self._retained[message.topic] = message
            elif message.retain:
                self._retained.pop(message.topic, None)
            live = replace(message, retain=False)
            for client in self._clients:
                if client.wants(message.topic):
                    client.deliver(live, expires)


class LocalLink:
    """A node's link to a `LocalBroker`: `BrokerLink`'s interface, in process."""

    def __init__(
        self,
        broker: LocalBroker,
        topics: Topics,
        node_id: str,
        role: str,
        *,
        status: dict[str, Any] | None = None,
    ) -> None:
        self.broker = broker
        self.topics = topics
        self.node_id = node_id
        self.role = role
        self._status: dict[str, Any] = {"online": True, "role": role, "version": __version__}
        self._status.update(status or {})
        self._lock = threading.Lock()
        self._filters: list[tuple[str, Handler]] = []
        self._listeners: list[Callable[[bool], None]] = []
        self._pending: dict[str, tuple[threading.Event, list[Response]]] = {}
        #: Messages with their expiry, and (as True/False) the connection coming and going.
        self._inbox: queue.Queue[tuple[Message, float | None] | bool] = queue.Queue()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._response_filter = topics.response(node_id, "+")

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, wait: float | None = 5.0) -> bool:
        self._thread = threading.Thread(target=self._run, name=f"local-{self.node_id}")
        self._thread.start()
        self.broker.connect(self)
        with self._lock:
            filters = [f for f, _ in self._filters]
        for topic_filter in dict.fromkeys(filters):
            self.broker.subscribe(self, topic_filter)
        self._connected.set()
        self._publish_status()
        self._inbox.put(True)  # listeners hear of the connection in the link's thread
        return True

    def stop(self) -> None:
        """Say goodbye (retained `online: false`), disconnect, end the link's thread."""
        if self._connected.is_set():
            status = self._status_with(online=False)
            self.publish(self.topics.node_status(self.node_id), status, retain=True)
        self._connected.clear()
        self.broker.disconnect(self)
        if self._thread is not None:
            self._inbox.put(False)
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def on_connection(self, callback: Callable[[bool], None]) -> None:
        self._listeners.append(callback)

    # --- publish / subscribe -------------------------------------------------------------

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        with self._lock:
            self._filters.append((topic_filter, handler))
        if self.connected:
            self.broker.subscribe(self, topic_filter)

    def publish(
        self,
        topic: str,
        payload: dict[str, Any] | bytes,
        *,
        retain: bool = False,
        qos: int = 1,
        properties: Any = None,
    ) -> None:
        data = payload if isinstance(payload, bytes) else encode(payload)
        correlation = getattr(properties, "CorrelationData", None)
        self.broker.publish(Message(topic, data, retain, None, correlation))

    def set_status(self, **fields: Any) -> None:
        with self._lock:
            changed = any(self._status.get(k) != v for k, v in fields.items())
            self._status.update(fields)
        if changed and self.connected:
            self._publish_status()

    def _status_with(self, **fields: Any) -> dict[str, Any]:
        with self._lock:
            return {**self._status, **fields}

    def _publish_status(self) -> None:
        self.publish(self.topics.node_status(self.node_id), self._status_with(), retain=True)

    # --- request / response --------------------------------------------------------------

    def request(
        self,
        verb: str,
        payload: dict[str, Any],
        *,
        timeout: float = 5.0,
        attempt_timeout: float = 1.5,
    ) -> Response:
        """As `BrokerLink.request`: copies with one transaction, each expiring at the
        caller's deadline; RequestTimeout if nothing answers by then."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("request() called from the link's own thread")
        payload = {**payload, "transaction": payload.get("transaction") or uuid.uuid4().hex}
        transaction = payload["transaction"]
        message = Message(
            self.topics.request(self.node_id, verb),
            encode(payload),
            response_topic=self.topics.response(self.node_id, verb),
            correlation_data=transaction.encode(),
        )
        done = threading.Event()
        answers: list[Response] = []
        with self._lock:
            self._pending[transaction] = (done, answers)
        deadline = time.monotonic() + timeout
        try:
            while deadline - time.monotonic() > 0.05:
                if not self._connected.wait(deadline - time.monotonic()):
                    break
                self.broker.publish(message, expires=deadline)
                if done.wait(min(attempt_timeout, max(0.0, deadline - time.monotonic()))):
                    return answers[0]
        finally:
            with self._lock:
                self._pending.pop(transaction, None)
        raise RequestTimeout(f"no answer to {verb} request {transaction} within {timeout:.1f} s")

    # --- the link's thread ---------------------------------------------------------------

    def wants(self, topic: str) -> bool:
        with self._lock:
            filters = [self._response_filter, *(f for f, _ in self._filters)]
        return any(topic_matches(f, topic) for f in filters)

    def deliver(self, message: Message, expires: float | None) -> None:
        self._inbox.put((message, expires))

    def _run(self) -> None:
        while True:
            item = self._inbox.get()
            if isinstance(item, bool):
                self._notify(item)
                if not item:
                    return
                continue
            message, expires = item
            if expires is not None and time.monotonic() >= expires:
                continue  # expired on its way, as the broker would have dropped it
            self._dispatch(message)

    def _notify(self, connected: bool) -> None:
        for listener in list(self._listeners):
            try:
                listener(connected)
            except Exception:
                log.exception("connection listener failed")

    def _dispatch(self, message: Message) -> None:
        if topic_matches(self._response_filter, message.topic):
            try:
                response = decode_response(message.payload)
            except WireError as exc:
                log.warning("ignoring malformed response on %s: %s", message.topic, exc)
                return
            key = (message.correlation_data or b"").decode() or response.transaction or ""
            with self._lock:
                entry = self._pending.get(key)
            if entry is not None and not entry[1]:
                entry[1].append(response)
                entry[0].set()
            return
        with self._lock:
            handlers = [h for f, h in self._filters if topic_matches(f, message.topic)]
        for handler in handlers:
            try:
                handler(message)
            except Exception:
                log.exception("handler failed for message on %s", message.topic)
