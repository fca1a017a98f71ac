"""The regional broker's side of the contract: take the offices' batches, store, ack.

One paho client per instance. `events` come through the shared subscription
`$share/antrian-region/B/office/+/events`, so several instances split the offices' batches
(the office's row lock in the database keeps them correct); `state` and `status` come to
every instance plainly. paho's network thread checks each message (JSON, the contract's
types) and hands it to one of WRITERS writer threads, always the same one for an office (its
batches stay in order), so that checking the next batch and writing others overlap, and
PostgreSQL commits several at once. Each `events` message is stored in its own transaction; its
retained ack is published after the commit. A failed write, or a message still waiting in
the writer's queue when the process dies, publishes nothing: the hub resends from the last
ack when its acked seq stops moving (the contract's 30 s). A `rewind` (shared like the
events; the hub's database was restored from a backup) goes to the office's writer too: its
events after the point are set aside, and the ack, with `rewound`, published after that.
"""

from __future__ import annotations

import logging
import math
import queue
import ssl
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
import psycopg

from common.repeats import RepeatedWarning
from nodes.region.config import RegionBroker
from nodes.region.store import Ingest
from nodes.region.wire import (
    Batch,
    BatchError,
    RegionTopics,
    decode_batch,
    decode_rewind,
    decode_state,
    decode_status,
    encode_ack,
)

log = logging.getLogger(__name__)

#: Writer threads, each with its own database connection; an office always goes to the
#: same one (its batches stay in order), and PostgreSQL overlaps their commits.
WRITERS = 4
#: Messages checked and waiting for each writer at most.
WORK_DEPTH = 16
Work = tuple[str, str, Batch | BatchError | dict[str, Any] | bool | int]


class Intake:
    """See the module docstring. `on_stored()` hears of every commit that stored events."""

    def __init__(
        self,
        broker: RegionBroker,
        database_url: str,
        *,
        instance: str = "region",
        on_stored: Callable[[], object] = lambda: None,
        writers: int = WRITERS,
    ) -> None:
        self.broker = broker
        self.ingests = [Ingest(database_url) for _ in range(writers)]
        self.topics = RegionTopics(broker.base)
        self.on_stored = on_stored
        self.refused = 0
        self.stored = 0
        self.batches = 0  # events messages taken (for tests and figures)
        self.last_batch = -math.inf  # time.monotonic() of the last events message
        self.warnings = RepeatedWarning(log)
        self._connected = threading.Event()
        self._count_lock = threading.Lock()
        self._queues: list[queue.Queue[Work | None]] = [
            queue.Queue(maxsize=WORK_DEPTH) for _ in range(writers)
        ]
        self._writers = [
            threading.Thread(target=self._write, args=(i,), name=f"region-writer-{i}", daemon=True)
            for i in range(writers)
        ]
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
        client.on_subscribe = self._on_subscribe
        self._subscription: int | None = None
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, wait: float = 5.0) -> bool:
        for writer in self._writers:
            writer.start()
        self._client.connect_async(self.broker.host, self.broker.port, self.broker.keepalive)
        self._client.loop_start()
        return self._connected.wait(wait)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        for work, writer in zip(self._queues, self._writers, strict=True):
            if writer.is_alive():
                work.put(None)
                writer.join(timeout=10)
        for ingest in self.ingests:
            ingest.close()

    def busy(self, quiet_s: float = 1.0) -> bool:
        """True while batches keep coming (one within `quiet_s`)."""
        return time.monotonic() - self.last_batch < quiet_s

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
        base = f"{self.topics.base}/office/+"
        _, self._subscription = client.subscribe(
            [
                (self.topics.shared_events(), 1),
                (self.topics.shared_rewinds(), 1),
                (f"{base}/state", 1),
                (f"{base}/status", 1),
            ]
        )

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, reasons: Any, _p: Any) -> None:
        """Connected once the broker took the subscriptions: a batch published before that
        would reach nobody (its hub would resend it, but only after 30 s)."""
        if mid != self._subscription:
            return
        refused = [r for r in reasons if r.is_failure]
        if refused:
            log.error(
                "the regional broker refused our subscriptions (%s): check the ACL of %r",
                refused[0],
                self.broker.username,
            )
            return
        log.info("connected to the regional broker %s:%s", self.broker.host, self.broker.port)
        self._connected.set()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if self._connected.is_set():
            log.warning("lost the regional broker (%s); reconnecting", reason)
        self._connected.clear()

    # --- messages: checked in paho's network thread, written in the writer's ------------

    def _on_message(self, _c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        where = self.topics.split(msg.topic)
        if where is None:
            return
        office, leaf = where
        payload = bytes(msg.payload)
        try:
            if leaf == "events":
                self.last_batch = time.monotonic()
                self.batches += 1  # paho's thread only
                try:
                    item: Work = ("events", office, decode_batch(payload))
                except BatchError as exc:
                    item = ("refused", office, exc)
            elif leaf == "state":
                item = ("state", office, decode_state(payload))
            elif leaf == "status":
                item = ("status", office, decode_status(payload))
            elif leaf == "rewind":
                point = decode_rewind(payload)
                if point is None:
                    raise BatchError(f"not a rewind {{'v': 1, 'seq': L >= 0}}: {payload[:80]!r}")
                item = ("rewind", office, point)
            else:
                return
        except BatchError as exc:
            self.warnings.warn(f"{office}/{leaf}", f"office {office}: ignored its {leaf}: {exc}")
            return
        # Blocks while the writer is WORK_DEPTH behind: paho stops reading, the broker
        # holds the rest (its queue for us: docs/region.md).
        self._queues[zlib.crc32(office.encode()) % len(self._queues)].put(item)

    def _write(self, index: int) -> None:
        ingest, work = self.ingests[index], self._queues[index]
        while (item := work.get()) is not None:
            kind, office, value = item
            try:
                if kind == "events":
                    assert isinstance(value, Batch)
                    self._events(ingest, office, value)
                elif kind == "refused":
                    self._refuse(ingest, office, str(value))
                elif kind == "state":
                    ingest.save_state(office, value)  # type: ignore[arg-type]
                elif kind == "status":
                    ingest.save_status(office, bool(value))
                elif kind == "rewind":
                    assert type(value) is int
                    self._rewind(ingest, office, value)
            except psycopg.Error as exc:
                with self._count_lock:
                    self.warnings.warn("database", f"cannot write to the region database: {exc}")
            except Exception:  # a bug must not stop the writer
                log.exception("handling a message of office %s (%s) failed", office, kind)

    def _refuse(self, ingest: Ingest, office: str, why: str) -> None:
        with self._count_lock:
            self.refused += 1
            self.warnings.warn(office, f"office {office}: refused a batch: {why}".strip())
        self._ack(office, ingest.refused(office))

    def _events(self, ingest: Ingest, office: str, batch: Batch) -> None:
        started = time.monotonic()
        try:
            outcome = ingest.store(office, batch)
        except psycopg.DataError as exc:  # e.g. a \u0000 in a text: PostgreSQL cannot keep it
            self._refuse(ingest, office, str(exc))
            return
        if outcome.gap:
            log.debug(
                "office %s: batch after %d but acked %d; re-acking",
                office,
                batch.after,
                outcome.acked,
            )
        with self._count_lock:
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

    def _rewind(self, ingest: Ingest, office: str, point: int) -> None:
        acked = ingest.rewind(office, point)
        log.warning(
            "office %s: its database was restored; events after seq %d set aside (now at %d)",
            office,
            point,
            acked,
        )
        self._ack(office, acked, rewound=point)
        self.on_stored()  # the days that lost events are summarised again

    def _ack(self, office: str, seq: int, rewound: int | None = None) -> None:
        payload = encode_ack(seq, rewound)
        self._client.publish(self.topics.ack(office), payload, qos=1, retain=True)
