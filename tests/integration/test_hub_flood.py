"""A flood from one node, on the real broker and hub: the others are answered as usual,
the flooder gets `rate_limited`, nothing of the flood reaches the store, and the hub's
log says it in a line or two (nodes/hub/fairness.py, nodes/hub/guard.py)."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from common.mqtt import BrokerLink
from common.wire import ERROR_MESSAGES, Topics
from nodes.hub.fairness import ANSWERS, DEFAULT_LIMITS
from tests.harness import HubProcess, Mosquitto, client, wait_for

TOPICS = Topics("kantor")
FLOOD = 4000  # 200 times a kiosk's burst
KIOSK_TICKETS = 10  # within a kiosk's burst: a person-paced kiosk is never refused


class Flooder:
    """A node gone wrong (kiosk-2 unless told): publishes requests as fast as paho can,
    never waits for an answer."""

    def __init__(self, broker: Mosquitto, node: str = "kiosk-2") -> None:
        self.node = node
        self.answers: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id=f"raw-{node}", protocol=paho.MQTTv5
        )
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(TOPICS.response(node, "ticket"), qos=1)
        self.client.loop_start()

    def _on_message(self, client: Any, userdata: Any, msg: paho.MQTTMessage) -> None:
        payload = json.loads(msg.payload)
        code = "ok" if payload["status"] == "ok" else payload["error"]["code"]
        with self._lock:
            self.answers[code] += 1

    def count(self, code: str) -> int:
        with self._lock:
            return self.answers[code]

    def flood(self, first: int, last: int) -> None:
        """Publish requests first..last-1 and return once the broker has taken them all."""
        info = None
        for n in range(first, last):
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = TOPICS.response(self.node, "ticket")
            props.CorrelationData = f"f-{n}".encode()
            payload = json.dumps({"service": "B", "transaction": f"f-{n}"})
            info = self.client.publish(
                TOPICS.request(self.node, "ticket"), payload, qos=1, properties=props
            )
        assert info is not None
        info.wait_for_publish(timeout=60)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def tickets_of(hub: HubProcess, node: str) -> int:
    with sqlite3.connect(hub.db_path) as db:
        return int(db.execute("SELECT count(*) FROM tickets WHERE node = ?", (node,)).fetchone()[0])


def stored_answers(hub: HubProcess, node: str) -> int:
    with sqlite3.connect(hub.db_path) as db:
        query = "SELECT count(*) FROM transactions WHERE node = ?"
        return int(db.execute(query, (node,)).fetchone()[0])


def one_copy(kiosk: BrokerLink) -> Any:
    """A ticket request sent once, not retried: if the broker dropped it, it is lost."""
    return kiosk.request("ticket", {"service": "A"}, timeout=15, attempt_timeout=15)


def test_a_flood_from_one_node_starves_no_other_node(broker: Mosquitto, tmp_path: Path) -> None:
    hub = HubProcess(broker, tmp_path / "hub", limits="")  # the shipped limits
    hub.start()
    flooder = Flooder(broker)
    kiosk = client(broker, "kiosk-1", "kiosk")
    answers: list[Any] = []
    try:
        started = time.monotonic()
        flooder.flood(0, FLOOD // 2)
        # kiosk-1's first request now waits in the hub's queue behind half the flood, and
        # the other half is published while it takes its tickets.
        rest = threading.Thread(target=flooder.flood, args=(FLOOD // 2, FLOOD))
        rest.start()
        for _ in range(KIOSK_TICKETS):
            answers.append(one_copy(kiosk))
        rest.join(60)
        assert not rest.is_alive()
        # The broker took the whole flood before this request, and hands the hub its
        # messages in order: once this is answered, the hub has seen every one of them.
        answers.append(one_copy(kiosk))
        elapsed = time.monotonic() - started

        assert [a.ok for a in answers] == [True] * (KIOSK_TICKETS + 1), answers
        numbers = [a.data["number"] for a in answers]
        assert numbers == [f"A-{n:03d}" for n in range(1, KIOSK_TICKETS + 2)]

        share = DEFAULT_LIMITS["kiosk"]
        admitted = tickets_of(hub, "kiosk-2")
        assert 0 < admitted <= share.burst + share.rate * elapsed + 1, (admitted, elapsed)
        # Refused requests never reached the store: no idempotency record for them.
        assert stored_answers(hub, "kiosk-2") == admitted
        wait_for(lambda: flooder.count("rate_limited") >= ANSWERS.burst, timeout=10)
        assert set(flooder.answers) <= {"ok", "rate_limited"}, flooder.answers

        log = hub.log().splitlines()
        about_flooder = [line for line in log if "kiosk-2" in line]
        assert len(about_flooder) == 1, about_flooder
        assert "kiosk-2 sends more than its share" in about_flooder[0]
        assert len(log) < 20, log
    finally:
        kiosk.stop()
        flooder.stop()
        hub.stop()


def test_a_flood_filling_the_hubs_queue_drops_no_other_nodes_request(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """The hub stops reading (here: SIGSTOP; on a Pi, a moment of swapping or a slow SD
    card) while kiosk-2 floods past what the broker queues for a session (10,000 + 100 in
    flight). A request kiosk-1 sends meanwhile is still answered, once, when the hub
    reads again: the flood filled kiosk-2's own queue, not one all nodes share."""
    hub = HubProcess(broker, tmp_path / "hub", limits="")
    hub.start()
    assert hub.process is not None
    flooder, kiosk = Flooder(broker), Flooder(broker, "kiosk-1")
    try:
        hub.process.send_signal(signal.SIGSTOP)
        flooder.flood(0, 10_500)
        kiosk.flood(0, 1)  # returns once the broker has taken it
        hub.process.send_signal(signal.SIGCONT)
        wait_for(lambda: kiosk.count("ok") == 1, timeout=30)
        wait_for(lambda: flooder.count("rate_limited") >= 1, timeout=30)
    finally:
        hub.process.send_signal(signal.SIGCONT)
        kiosk.stop()
        flooder.stop()
        hub.stop()


def ask(link: BrokerLink, transaction: str) -> Any:
    return link.request("ticket", {"service": "C", "transaction": transaction}, timeout=10)


def test_a_node_over_its_configured_share_is_answered_rate_limited(
    broker: Mosquitto, tmp_path: Path
) -> None:
    limits = "[hub.limits.kiosk]\nrate = 0.01\nburst = 2"  # a new token every 100 s
    hub = HubProcess(broker, tmp_path / "hub", limits=limits)
    hub.start()
    kiosk, other = client(broker, "kiosk-1", "kiosk"), client(broker, "kiosk-2", "kiosk")
    try:
        assert ask(kiosk, "t-1").ok and ask(kiosk, "t-2").ok
        refused = ask(kiosk, "t-3")
        assert not refused.ok
        assert refused.error_code == "rate_limited"
        assert refused.error_message == ERROR_MESSAGES["rate_limited"]
        assert refused.transaction == "t-3"
        assert ask(other, "t-1").ok  # another kiosk's share is its own
        assert stored_answers(hub, "kiosk-1") == 2  # the refusal was not stored
        assert ask(kiosk, "t-1").error_code == "rate_limited"  # even a repeat costs a token
    finally:
        kiosk.stop()
        other.stop()
        hub.stop()
