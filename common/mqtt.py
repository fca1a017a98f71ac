"""The one module that talks to paho-mqtt.

Every node gets the same behaviour from `BrokerLink`:
- MQTT 5, TCP_NODELAY on the socket (without it each request/response round trip waits
  ~40 ms for Nagle's algorithm and delayed ACKs);
- a retained `node/{id}/status` with `online: true`, republished on every reconnect, and a
  retained Last Will `online: false`;
- reconnect with exponential back-off (paho's own, 1 s to 30 s), subscriptions restored;
- `request()`: MQTT 5 request/response with a Response Topic and Correlation Data, retried
  with the same `transaction` until a deadline, each copy carrying a Message Expiry
  Interval that ends, even by the broker's coarse clock, before the caller stops waiting
  (`copy_expiry`), so a request the caller gave up on can never be acted on later.

Handlers run in paho's network thread, one message at a time. `request()` blocks and must
be called from another thread.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from common import __version__
from common.config import BrokerConfig
from common.wire import Response, Topics, WireError, decode_response, encode

log = logging.getLogger(__name__)

#: How long past its Message Expiry Interval the broker may still deliver a message.
#: mosquitto counts expiry in whole seconds of its wall clock, so a message can outlive its
#: interval by up to a second (measured with 2.0.11: an interval of 1 s was still delivered
#: 1.5 s after the message arrived); the rest covers the trip from sender to broker.
BROKER_EXPIRY_SLACK_S = 1.1
#: The shortest `request()` timeout that lets at least one copy out (config minimums).
MIN_REQUEST_TIMEOUT_S = 3.0


def copy_expiry(remaining: float) -> int | None:
    """The Message Expiry Interval of a request copy sent with `remaining` seconds of the
    sender's wait left, or None if no copy may be sent any more.

    Whole seconds (the protocol's unit), rounded down after the broker's slack, so that no
    copy can reach the hub after the sender stopped waiting for its answer; never 0, which
    would mean "never expires" (paho sends the property as given).
    """
    interval = math.floor(remaining - BROKER_EXPIRY_SLACK_S)
    return interval if interval >= 1 else None


class RequestTimeout(Exception):
    """The hub did not answer before the caller's deadline."""


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool = False
    response_topic: str | None = None
    correlation_data: bytes | None = None


Handler = Callable[[Message], None]


class Link(Protocol):
    """What the nodes use of `BrokerLink` (tests/local_broker.py has an in-process one)."""

    topics: Topics
    node_id: str

    @property
    def connected(self) -> bool: ...
    def on_connection(self, callback: Callable[[bool], None]) -> None: ...
    def subscribe(self, topic_filter: str, handler: Handler) -> None: ...
    def publish(
        self, topic: str, payload: Any, *, retain: bool = ..., properties: Any = ...
    ) -> None: ...
    def set_status(self, **fields: Any) -> None: ...
    def request(
        self,
        verb: str,
        payload: dict[str, Any],
        *,
        timeout: float = ...,
        attempt_timeout: float = ...,
    ) -> Response: ...


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT filter matching (`+` one level, `#` the rest). paho's own helper builds a
    matcher tree per call, which costs more than the hub's whole request handling."""
    if topic_filter == topic:
        return True
    filter_parts = topic_filter.split("/")
    topic_parts = topic.split("/")
    for index, part in enumerate(filter_parts):
        if part == "#":
            return True
        if index >= len(topic_parts) or (part != "+" and part != topic_parts[index]):
            return False
    return len(filter_parts) == len(topic_parts)


class BrokerLink:
    """A node's connection to the broker. See the module docstring."""

    def __init__(
        self,
        broker: BrokerConfig,
        topics: Topics,
        node_id: str,
        role: str,
        *,
        client_id: str | None = None,
        persistent_session: bool = False,
        status: dict[str, Any] | None = None,
        announce: bool = True,
    ) -> None:
        """`announce=False`: a second connection of a node that already has one (the hub's
        per-node request sessions); it neither publishes the node's status nor leaves a
        Last Will, which would say the node is offline whenever this connection drops."""
        self.broker = broker
        self.topics = topics
        self.node_id = node_id
        self.role = role
        self._status: dict[str, Any] = {"online": True, "role": role, "version": __version__}
        self._status.update(status or {})
        self._handlers: list[tuple[str, Handler]] = []
        self._connection_listeners: list[Callable[[bool], None]] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._pending: dict[str, tuple[threading.Event, list[Response]]] = {}
        self._stopping = False
        self._response_filter = f"{topics.base}/node/{node_id}/response/+"

        self._client = paho.Client(
            callback_api_version=paho.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"antrian-{node_id}-{uuid.uuid4().hex[:8]}",
            protocol=paho.MQTTv5,
        )
        if broker.username is not None:
            self._client.username_pw_set(broker.username, broker.password)
        self._announce = announce
        if announce:
            self._client.will_set(
                topics.node_status(node_id),
                encode({"online": False, "role": role}),
                qos=1,
                retain=True,
            )
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._persistent = persistent_session
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_socket_open = self._on_socket_open
        self._loop_started = False

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, wait: float | None = 5.0) -> bool:
        """Connect in the background; True if connected within `wait` seconds.

        The link keeps trying after that: a node starts even while the hub's broker is
        still booting, and shows itself offline until it connects.
        """
        properties = None
        if self._persistent:
            # The hub keeps its session so that requests sent while it restarts are
            # delivered when it is back (each still bounded by its own expiry).
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 300
        self._client.connect_async(
            self.broker.host,
            self.broker.port,
            keepalive=self.broker.keepalive,
            clean_start=not self._persistent,
            properties=properties,
        )
        self._client.loop_start()
        self._loop_started = True
        if wait:
            return self._connected.wait(wait)
        return self.connected

    def stop(self) -> None:
        """Say goodbye (retained `online: false`) and disconnect."""
        self._stopping = True
        if self._connected.is_set() and self._announce:
            info = self._client.publish(
                self.topics.node_status(self.node_id),
                encode({**self._status, "online": False}),
                qos=1,
                retain=True,
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=2.0)
        self._client.disconnect()
        if self._loop_started:
            self._client.loop_stop()
            self._loop_started = False

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def on_connection(self, callback: Callable[[bool], None]) -> None:
        self._connection_listeners.append(callback)

    # --- publish / subscribe -------------------------------------------------------------

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        with self._lock:
            self._handlers.append((topic_filter, handler))
        if self.connected:
            self._client.subscribe(topic_filter, qos=1)

    def publish(
        self,
        topic: str,
        payload: dict[str, Any] | bytes,
        *,
        retain: bool = False,
        qos: int = 1,
        properties: Properties | None = None,
    ) -> None:
        data = payload if isinstance(payload, bytes) else encode(payload)
        self._client.publish(topic, data, qos=qos, retain=retain, properties=properties)

    def set_status(self, **fields: Any) -> None:
        """Merge fields into this node's retained status and republish it."""
        with self._lock:
            changed = any(self._status.get(k) != v for k, v in fields.items())
            self._status.update(fields)
            status = dict(self._status)
        if changed and self.connected and self._announce:
            self.publish(self.topics.node_status(self.node_id), status, retain=True)

    # --- request / response --------------------------------------------------------------

    def request(
        self,
        verb: str,
        payload: dict[str, Any],
        *,
        timeout: float = 5.0,
        attempt_timeout: float = 1.5,
    ) -> Response:
        """Send a request to the hub and wait for its answer; RequestTimeout if none.

        Every copy carries the same `transaction`, so the hub acts on it at most once.
        """
        if threading.current_thread() is getattr(self._client, "_thread", None):
            raise RuntimeError("request() called from the MQTT network thread")
        payload = dict(payload)
        transaction = payload.get("transaction") or uuid.uuid4().hex
        payload["transaction"] = transaction
        data = encode(payload)
        topic = self.topics.request(self.node_id, verb)
        response_topic = self.topics.response(self.node_id, verb)
        done = threading.Event()
        answers: list[Response] = []
        with self._lock:
            self._pending[transaction] = (done, answers)
        deadline = time.monotonic() + timeout
        attempt = 0
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0.05:
                    break
                if not self._connected.wait(remaining):
                    break
                remaining = deadline - time.monotonic()
                expiry = copy_expiry(remaining)
                if expiry is None:
                    # Too late for another copy to be safe: wait out the earlier ones.
                    if done.wait(max(0.0, remaining)):
                        return answers[0]
                    break
                props = Properties(PacketTypes.PUBLISH)
                props.ResponseTopic = response_topic
                props.CorrelationData = transaction.encode()
                props.MessageExpiryInterval = expiry
                attempt += 1
                if attempt > 1:
                    log.info("retrying %s request %s (attempt %d)", verb, transaction, attempt)
                self._client.publish(topic, data, qos=1, properties=props)
                if done.wait(min(attempt_timeout, max(0.0, deadline - time.monotonic()))):
                    return answers[0]
        finally:
            with self._lock:
                self._pending.pop(transaction, None)
        raise RequestTimeout(f"no answer to {verb} request {transaction} within {timeout:.1f} s")

    # --- paho callbacks (network thread) -------------------------------------------------

    def _on_socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):  # a websocket or TLS wrapper: not worth failing for
            log.debug("could not set TCP_NODELAY")

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.warning(
                "broker %s:%s refused connection: %s", self.broker.host, self.broker.port, reason
            )
            return
        self._drop_stale_requests()
        # A second connection's ups and downs are its node's main one's: said once, there.
        level = logging.INFO if self._announce else logging.DEBUG
        log.log(level, "connected to broker %s:%s", self.broker.host, self.broker.port)
        with self._lock:
            filters = [self._response_filter, *(f for f, _ in self._handlers)]
            status = dict(self._status)
        for topic_filter in dict.fromkeys(filters):
            client.subscribe(topic_filter, qos=1)
        if self._announce:
            client.publish(
                self.topics.node_status(self.node_id), encode(status), qos=1, retain=True
            )
        self._connected.set()
        self._notify(True)

    def _drop_stale_requests(self) -> None:
        """Forget request copies paho would resend after a reconnect.

        paho re-sends unacknowledged messages on reconnect, and the broker would start
        their expiry afresh: a request the caller has already given up on could then
        become a ticket. `request()` sends its own fresh copy if it is still waiting.
        Everything else (state, events, responses) is queued again unchanged.
        """
        request_marker = "/request/"
        for message in self._client.drop_out_messages():
            if request_marker in message.topic:
                continue
            self._client.publish(
                message.topic,
                message.payload,
                qos=message.qos,
                retain=message.retain,
                properties=message.properties,
            )

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected and not self._stopping:
            level = logging.WARNING if self._announce else logging.DEBUG
            log.log(level, "lost broker connection (%s); reconnecting", reason)
        if was_connected:
            self._notify(False)

    def _notify(self, connected: bool) -> None:
        for listener in list(self._connection_listeners):
            try:
                listener(connected)
            except Exception:
                log.exception("connection listener failed")

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        props = getattr(msg, "properties", None)
        message = Message(
            topic=msg.topic,
            payload=bytes(msg.payload),
            retain=bool(msg.retain),
            response_topic=getattr(props, "ResponseTopic", None),
            correlation_data=getattr(props, "CorrelationData", None),
        )
        if topic_matches(self._response_filter, message.topic):
            self._on_response(message)
            return
        with self._lock:
            handlers = [h for f, h in self._handlers if topic_matches(f, message.topic)]
        for handler in handlers:
            try:
                handler(message)
            except Exception:
                # A bad message or a bug in one handler must never stop the network loop.
                log.exception("handler failed for message on %s", message.topic)

    def _on_response(self, message: Message) -> None:
        try:
            response = decode_response(message.payload)
        except WireError as exc:
            log.warning("ignoring malformed response on %s: %s", message.topic, exc)
            return
        key = response.transaction
        if message.correlation_data:
            with contextlib.suppress(UnicodeDecodeError):
                key = message.correlation_data.decode()
        with self._lock:
            entry = self._pending.get(key or "")
        if entry is None:
            return  # a late answer to a request we already gave up on, or a duplicate
        done, answers = entry
        if not answers:
            answers.append(response)
        done.set()
