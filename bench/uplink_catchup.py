"""Uplink catch-up: how long a hub takes to send days of log it kept while offline.

Fills a hub's database with `--days` simulated days (`antrian simulate-day`), then starts a
real hub with `[region]` against a private regional mosquitto where a client plays the
region by the contract (stores above its ack, publishes the retained ack at once: a region
faster than PostgreSQL, so this is the hub's side of the figure). The clock runs from the
first batch received to the last event acknowledged.

    PYTHONPATH=. .venv/bin/python bench/uplink_catchup.py [--days 7] [--tickets 1200]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import paho.mqtt.client as paho

from tests.harness import MACHINE_SPEED_LIMITS, ROOT, HubProcess, Mosquitto, wait_for

BASE = "antrian-region"


class Region:
    def __init__(self, broker: Mosquitto) -> None:
        self.acked = 0
        self.first: float | None = None
        self.last: float | None = None
        self.batches = 0
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_message = self.on_message
        self.client.on_connect = lambda c, *a: c.subscribe(f"{BASE}/office/+/events", qos=1)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def on_message(self, _c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        self.first = self.first or time.perf_counter()
        batch = json.loads(msg.payload)
        self.batches += 1
        if batch["after"] <= self.acked:
            self.acked = max(self.acked, batch["events"][-1]["seq"])
        ack = json.dumps({"v": 1, "seq": self.acked})
        self.client.publish(msg.topic.rsplit("/", 1)[0] + "/ack", ack, qos=1, retain=True)
        self.last = time.perf_counter()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--tickets", type=int, default=1200, help="citizens per day")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        local, central = Mosquitto(tmp / "local"), Mosquitto(tmp / "central")
        local.start()
        central.start()
        region_table = (
            f'[region]\nhost = "127.0.0.1"\nport = {central.port}\n'
            'username = "kec-a"\npassword = "bench"\n'
        )
        hub = HubProcess(local, tmp / "hub", limits=MACHINE_SPEED_LIMITS + "\n" + region_table)
        first_day = date.today() - timedelta(days=args.days)
        for day in range(args.days):
            subprocess.run(
                [sys.executable, "-m", "nodes.cli", "simulate-day", "--config",
                 str(hub.config_path), "--date", str(first_day + timedelta(days=day)),
                 "--tickets", str(args.tickets), "--seed", str(day + 1)],
                check=True, cwd=ROOT, capture_output=True,
            )  # fmt: skip
        with sqlite3.connect(hub.db_path) as db:
            total = db.execute("SELECT max(seq) FROM events").fetchone()[0]
        region = Region(central)
        try:
            hub.start()
            wait_for(lambda: region.acked >= total, timeout=600, interval=0.05)
            assert region.first is not None and region.last is not None
            seconds = region.last - region.first
            print(f"{args.days} days, {total} events in {region.batches} batches: sent and"
                  f" acknowledged in {seconds:.2f} s, {total / seconds:,.0f} events/s")  # fmt: skip
        finally:
            hub.stop()
            region.client.loop_stop()
            local.stop()
            central.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
