"""Benchmark: one node floods the hub while another takes tickets.

    .venv/bin/python bench/flood_fairness.py [--flood 10000] [--broker-config FILE]

Starts a private mosquitto (tests/mosquitto.conf.tmpl, the committed broker limits) and a
real hub. `kiosk-2` publishes `--flood` ticket requests as fast as paho lets it (QoS 1,
MQTT 5 Response Topic, each with its own transaction) while `kiosk-1` asks for tickets one
after another, as its kiosk does (BrokerLink.request, 5 s deadline), until the flood has
been published and drained. Prints kiosk-1's lost requests (no answer within 5 s),
non-ok answers and p50/p99 round trip, and how the flooder was answered.
Target: kiosk-1 loses 0 and keeps p99 <= 500 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.mqtt import RequestTimeout
from common.wire import Topics
from tests.harness import HubProcess, Mosquitto, client, wait_for

TOPICS = Topics("kantor")
FLOODER = "kiosk-2"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Flooder:
    """A raw paho client sending requests without waiting for answers."""

    def __init__(self, broker: Mosquitto, count: int) -> None:
        self.count = count
        self.answers: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.published = threading.Event()
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id="flooder", protocol=paho.MQTTv5
        )
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(f"{TOPICS.base}/node/{FLOODER}/response/+", qos=1)
        self.client.loop_start()

    def _on_message(self, client: Any, userdata: Any, msg: paho.MQTTMessage) -> None:
        payload = json.loads(msg.payload)
        code = payload["status"] if payload["status"] == "ok" else payload["error"]["code"]
        with self.lock:
            self.answers[code] += 1

    def run(self) -> None:
        topic = TOPICS.request(FLOODER, "ticket")
        response_topic = TOPICS.response(FLOODER, "ticket")
        last = None
        for n in range(self.count):
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = response_topic
            props.CorrelationData = f"f-{n}".encode()
            payload = json.dumps({"service": "ABC"[n % 3], "transaction": f"f-{n}"})
            last = self.client.publish(topic, payload, qos=1, properties=props)
        if last is not None:
            last.wait_for_publish(timeout=120)
        self.published.set()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run(broker: Mosquitto, flood: int) -> dict[str, Any]:
    kiosk = client(broker, "kiosk-1", "kiosk")
    flooder = Flooder(broker, flood)
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    flood_thread = threading.Thread(target=flooder.run, name="flood")
    started = time.monotonic()
    flood_thread.start()
    # Keep asking until the flood is published and the hub has had time to drain it.
    while not flooder.published.is_set() or len(latencies) + outcomes["lost"] < 20:
        before = time.perf_counter()
        try:
            answer = kiosk.request("ticket", {"service": "A"}, timeout=5.0)
        except RequestTimeout:
            outcomes["lost"] += 1
            continue
        latencies.append((time.perf_counter() - before) * 1000)
        outcomes["ok" if answer.ok else str(answer.error_code)] += 1
        time.sleep(0.25)  # people taking tickets one after another, fast
    flood_s = time.monotonic() - started
    flood_thread.join()
    # The flooder's answers still on their way: until their count stops growing.
    seen = [-1]

    def settled() -> bool:
        with flooder.lock:
            total = sum(flooder.answers.values())
        done, seen[0] = total == seen[0], total
        return done

    wait_for(settled, timeout=30, interval=0.5)
    kiosk.stop()
    flooder.stop()
    return {
        "flood_s": flood_s,
        "latencies": latencies,
        "outcomes": outcomes,
        "flooder": dict(flooder.answers),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        broker = Mosquitto(Path(folder) / "mosquitto")
        broker.start()
        hub = HubProcess(broker, Path(folder) / "hub", limits="")  # the shipped defaults
        try:
            hub.start()
            result = run(broker, args.flood)
            log = hub.log()
        finally:
            hub.stop()
            broker.stop()
    latencies, outcomes = result["latencies"], result["outcomes"]
    answered = sum(result["flooder"].values())
    print(f"flood of {args.flood} requests from {FLOODER}, published in {result['flood_s']:.1f} s")
    print(
        f"  kiosk-1: {len(latencies) + outcomes['lost']} requests, lost {outcomes['lost']}, "
        f"answers {dict(outcomes - Counter(lost=outcomes['lost']))}"
    )
    if latencies:
        print(
            f"  kiosk-1 round trip (ms): p50 {percentile(latencies, 0.5):.1f}  "
            f"p99 {percentile(latencies, 0.99):.1f}  max {max(latencies):.1f}"
        )
    print(
        f"  {FLOODER}: {answered} answered {result['flooder']}, {args.flood - answered} unanswered"
    )
    print(f"  hub log: {len(log.splitlines())} lines")
    ok = outcomes["lost"] == 0 and bool(latencies) and percentile(latencies, 0.99) <= 500
    print(f"  target 0 lost, p99 <= 500 ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
