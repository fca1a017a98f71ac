"""The regional broker's side of the contract: take the offices' batches, store, ack.

One paho client per instance. `events` come through the shared subscription
`$share/antrian-region/B/office/+/events`, so several instances split the offices' batches
(the office's row lock in the database keeps them correct); `state` and `status` come to
every instance plainly. Each `events` message is stored in its own transaction in paho's
network thread; its retained ack is published after the commit, and paho's PUBACK after
that (when the handler returns). A failed write publishes nothing: the hub resends from the
last ack when its acked seq stops moving (the contract's 30 s).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
import psycopg

from common.repeats import RepeatedWarning
from nodes.region.config import RegionBroker
from nodes.region.store import Ingest
from nodes.region.wire import (
    BatchError,
    RegionTopics,
    decode_batch,
    decode_state,
    decode_status,
    encode_ack,
)

log = logging.getLogger(__name__)


class Intake:
    """See the module docstring. `on_stored(office, day_count)` hears of every commit."""

    def __init__(
        self,
        broker: RegionBroker,
        ingest: Ingest,
        *,
        instance: str = "region",
        on_stored: Callable[[], object] = lambda: None,
    ) -> None:
        self.broker = broker
        self.ingest = ingest
        self.topics = RegionTopics(broker.base)
        self.on_stored = on_stored
        self.refused = 0
        self.stored = 0
        self.warnings = RepeatedWarning(log)
        self._connected = threading.Event()
        client = paho.Client(
            callback_api_version=paho.CallbackAPIVersion.VERSION2,
            client_id=f"antrian-{instance}-{uuid.uuid4().hex[:8]}",
            protocol=paho.MQTTv5,
        )
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set(
                ca_certs=str(broker.ca_file) if broker.ca_file else None,
                certfile=str(broker.certfile) if broker.certfile else None,
                keyfile=str(broker.keyfile) if broker.keyfile else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.max_inflight_messages_set(100)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, wait: float = 5.0) -> bool:
        self._client.connect_async(self.broker.host, self.broker.port, self.broker.keepalive)
        self._client.loop_start()
        return self._connected.wait(wait)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning(
                "regional broker %s:%s refused the connection: %s",
                self.broker.host,
                self.broker.port,
                reason,
            )
            return
        log.info("connected to the regional broker %s:%s", self.broker.host, self.broker.port)
        base = f"{self.topics.base}/office/+"
        client.subscribe(
            [(self.topics.shared_events(), 1), (f"{base}/state", 1), (f"{base}/status", 1)]
        )
        self._connected.set()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if self._connected.is_set():
            log.warning("lost the regional broker (%s); reconnecting", reason)
        self._connected.clear()

    # --- messages (paho's network thread) ------------------------------------------------

    def _on_message(self, _c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        where = self.topics.split(msg.topic)
        if where is None:
            return
        office, leaf = where
        try:
            if leaf == "events":
                self._events(office, bytes(msg.payload))
            elif leaf == "state":
                self.ingest.save_state(office, decode_state(bytes(msg.payload)))
            elif leaf == "status":
                self.ingest.save_status(office, decode_status(bytes(msg.payload)))
        except BatchError as exc:
            self.warnings.warn(f"{office}/{leaf}", f"office {office}: ignored its {leaf}: {exc}")
        except psycopg.Error as exc:
            self.warnings.warn("database", f"cannot write to the region database: {exc}")
        except Exception:  # a bug must not stop the network loop
            log.exception("handling a message of office %s on %s failed", office, leaf)

    def _events(self, office: str, payload: bytes) -> None:
        try:
            batch = decode_batch(payload)
        except BatchError as exc:
            self.refused += 1
            self.warnings.warn(office, f"office {office}: refused a batch: {exc}")
            self._ack(office, self.ingest.refused(office))
            return
        started = time.monotonic()
        try:
            outcome = self.ingest.store(office, batch)
        except psycopg.DataError as exc:  # e.g. a \u0000 in a text: PostgreSQL cannot keep it
            self.refused += 1
            self.warnings.warn(office, f"office {office}: refused a batch: {exc}".strip())
            self._ack(office, self.ingest.refused(office))
            return
        if outcome.gap:
            log.debug(
                "office %s: batch after %d but acked %d; re-acking",
                office,
                batch.after,
                outcome.acked,
            )
        self.stored += outcome.stored
        self._ack(office, outcome.acked)
        if outcome.stored:
            self.on_stored()
        log.debug(
            "office %s: %d new events in %.1f ms",
            office,
            outcome.stored,
            1000 * (time.monotonic() - started),
        )

    def _ack(self, office: str, seq: int) -> None:
        self._client.publish(self.topics.ack(office), encode_ack(seq), qos=1, retain=True)
