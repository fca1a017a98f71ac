"""End to end: three office hubs (each with its own broker) upload through their uplinks to
the central mosquitto (accounts and ACL from `antrian provision-region`), where
`antrian region` writes PostgreSQL. Faults: the central broker down while the offices work,
a hub killed mid-upload, the region killed mid-batch, an office writing as another, a hub
restored from an older backup."""

from __future__ import annotations

import json
import shutil
import threading
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import psycopg
import pytest

from common.mqtt import BrokerLink
from nodes.hub.backup import back_up, restore
from nodes.setup.provision_region import main as provision_region
from tests.harness import MACHINE_SPEED_LIMITS, HubProcess, Mosquitto, client, wait_for
from tests.region.support import (
    BASE,
    OFFICES,
    REGION_QUEUE,
    Office,
    RegionProcess,
    as_rows,
    hub_rows,
    set_aside,
    simulated_db,
    stored,
    write_region_config,
)

#: The bench's busy day (4,140 events: more than the uplink's window of 8 × 500).
BUSY = (date(2026, 11, 30), 7, 1000)

pytestmark = pytest.mark.slow


@dataclass
class Regency:
    dir: Path
    central: Mosquitto
    url: str
    passwords: dict[str, str]
    region: RegionProcess
    hubs: dict[str, HubProcess] = field(default_factory=dict)
    locals: dict[str, Mosquitto] = field(default_factory=dict)

    def hub(self, office: str) -> HubProcess:
        """An office: its own broker and hub, with the provisioned [region] table."""
        local = Mosquitto(self.dir / f"{office}-broker")
        local.start()
        table = (self.dir / "provisioned/offices" / f"{office}.toml").read_text()
        hub = HubProcess(
            local, self.dir / f"{office}-hub", limits=MACHINE_SPEED_LIMITS + "\n" + table
        )
        self.hubs[office], self.locals[office] = hub, local
        return hub


@pytest.fixture
def regency(tmp_path: Path, database: str) -> Iterator[Regency]:
    central = Mosquitto(tmp_path / "central")
    draft = write_region_config(tmp_path / "draft.toml", central, database)
    out = tmp_path / "provisioned"
    assert (
        provision_region(
            [
                "--config",
                str(draft),
                "--out",
                str(out),
                "--broker-address",
                f"127.0.0.1:{central.port}",
            ]
        )
        == 0
    )
    with central.conf.open("a") as conf:
        conf.write(
            f"allow_anonymous false\npassword_file {out / 'broker/passwd'}\n"
            f"acl_file {out / 'broker/acl'}\n{REGION_QUEUE}"
            # A regional broker keeps its retained acks across a restart.
            f"persistence true\npersistence_location {central.dir}/\n"
        )
    central.start()
    passwords = tomllib.loads((out / "credentials.toml").read_text())["accounts"]
    region = RegionProcess(tmp_path / "region", central, database, password=passwords["region"])
    setup = Regency(tmp_path, central, database, passwords, region)
    try:
        yield setup
    finally:
        region.stop()
        for hub in setup.hubs.values():
            hub.stop()
        for local in setup.locals.values():
            local.stop()
        central.stop()


def logged(hub: HubProcess) -> list[tuple[Any, ...]]:
    """The hub's own log, as the region should hold it."""
    return as_rows(hub_rows(hub.db_path))


def count(url: str, office: str) -> int:
    return len(stored(url, office))


def arrived(url: str, office: str, hub: HubProcess, timeout: float) -> None:
    """Until PostgreSQL holds exactly the hub's log."""
    wait_for(lambda: stored(url, office) == logged(hub), timeout)


def take_tickets(kiosk: BrokerLink, n: int) -> None:
    for _ in range(n):
        assert kiosk.request("ticket", {"service": "A"}, timeout=10).ok


def test_central_broker_down_while_offices_work_then_every_event_once(regency: Regency) -> None:
    regency.region.start()
    hubs = {office: regency.hub(office) for office in OFFICES}
    with ExitStack() as stack:
        kiosks = {}
        for office, hub in hubs.items():
            hub.start()
            kiosks[office] = client(regency.locals[office], "kiosk-1", "kiosk")
            stack.callback(kiosks[office].stop)
        for kiosk in kiosks.values():
            take_tickets(kiosk, 4)
        for office, hub in hubs.items():
            arrived(regency.url, office, hub, 30)
        regency.central.stop()
        for kiosk in kiosks.values():
            take_tickets(kiosk, 6)  # every office answers as always
        assert all(count(regency.url, o) < len(logged(h)) for o, h in hubs.items())
        regency.central.start()
        for office, hub in hubs.items():
            arrived(regency.url, office, hub, 90)
            assert [r[0] for r in stored(regency.url, office)] == list(
                range(1, len(logged(hub)) + 1)
            )


class Watcher:
    """The region's account, plainly subscribed to an office's batches: counts them."""

    def __init__(self, regency: Regency, office: str) -> None:
        self.batches: list[tuple[int, int]] = []  # (after, last seq)
        self._lock = threading.Lock()
        self.client = paho.Client(
            callback_api_version=paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5
        )
        self.client.username_pw_set("region", regency.passwords["region"])
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *a: c.subscribe(f"{BASE}/office/{office}/events", 1)
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(regency.central.host, regency.central.port)
        self.client.loop_start()
        assert subscribed.wait(10)

    def _on_message(self, _c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        batch = json.loads(msg.payload)
        with self._lock:
            self.batches.append((batch["after"], batch["events"][-1]["seq"]))

    def seen(self) -> int:
        with self._lock:
            return len(self.batches)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_hub_killed_mid_upload_resumes_and_nothing_is_doubled(regency: Regency) -> None:
    regency.region.start()
    hub = regency.hub("kec-a")
    shutil.copy(simulated_db(*BUSY), hub.db_path)  # a busy day waits in the log
    total = len(logged(hub))
    watcher = Watcher(regency, "kec-a")
    try:
        regency.region.pause()  # the region hangs: nothing is acknowledged
        hub.start()
        wait_for(lambda: watcher.seen() >= 8, 30)  # the uplink's whole window is out
        hub.kill()  # mid-upload: eight batches unacknowledged, more to send
        regency.region.resume()
        wait_for(lambda: count(regency.url, "kec-a") >= 8 * 500, 30)
        assert count(regency.url, "kec-a") < total
        hub.start()  # resumes from the retained ack
        wait_for(lambda: stored(regency.url, "kec-a") == logged(hub), 60)
        # The second life began where the region's ack stood: after the window.
        second = watcher.batches[8:]
        assert second and second[0][0] == 8 * 500
    finally:
        watcher.close()


def test_the_region_killed_mid_batch_loses_and_doubles_nothing(regency: Regency) -> None:
    regency.region.start()
    hub = regency.hub("kec-a")
    shutil.copy(simulated_db(*BUSY), hub.db_path)
    # Watched on one open connection, so the kill follows the first commit within a few
    # milliseconds: the region is then in the middle of the upload (nine batches, and the
    # ninth only after an ack went to the hub and back), likely in a transaction.
    with psycopg.connect(regency.url, autocommit=True) as db:

        def stored_now() -> int:
            row = db.execute("SELECT count(*) FROM events WHERE office = 'kec-a'").fetchone()
            return int(row[0]) if row else 0

        hub.start()
        wait_for(lambda: stored_now() > 0, 30, interval=0.001)
        regency.region.kill()
        assert stored_now() < len(logged(hub))
    regency.region.start()
    # The hub resends from the retained ack once it stops moving (the contract's 30 s).
    wait_for(lambda: stored(regency.url, "kec-a") == logged(hub), 90)


def test_an_office_writing_as_another_is_refused(regency: Regency) -> None:
    regency.region.start()
    mallory = Office(regency.central, "kec-a", password=regency.passwords["kec-a"])
    try:
        row = {
            "seq": 1,
            "at": "2026-11-23T08:00:00+07:00",
            "day": "2026-11-23",
            "kind": "ticket_cancelled",
            "ticket_id": "20261123-A-001",
            "service": "A",
            "counter": None,
            "data": {"reason": "forged", "node": "kiosk-1"},
        }
        mallory.publish(
            "events", json.dumps({"v": 1, "after": 0, "events": [row]}).encode(), office="kec-b"
        )
        mallory.send(0, [row])  # on its own topic, after the forgery: proves delivery
        mallory.wait_acked(1)
        assert stored(regency.url, "kec-b") == []
        assert [r[0] for r in stored(regency.url, "kec-a")] == [1]
    finally:
        mallory.close()


def issued(url: str, office: str) -> int:
    """Tickets issued in the office's day summaries (what the comparison page shows)."""
    with psycopg.connect(url) as db:
        row = db.execute(
            "SELECT coalesce(sum(issued), 0) FROM office_days WHERE office = %s", (office,)
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_hub_restored_from_a_backup_leaves_the_region_holding_its_log(
    regency: Regency,
) -> None:
    regency.region.start()
    hub = regency.hub("kec-a")
    stick = regency.dir / "stick"
    stick.mkdir()
    hub.start()
    kiosk = client(regency.locals["kec-a"], "kiosk-1", "kiosk")
    try:
        take_tickets(kiosk, 3)
        arrived(regency.url, "kec-a", hub, 30)
        hub.stop()
        backup = back_up(hub.db_path, stick, 1, datetime.now()).path
        point = len(logged(hub))
        hub.start()
        take_tickets(kiosk, 4)  # in the region, then lost with the card
        arrived(regency.url, "kec-a", hub, 30)
        lost = len(logged(hub))
        wait_for(lambda: issued(regency.url, "kec-a") == 7, 60)
        hub.stop()
        assert restore(backup, hub.db_path) == point
        hub.start()
        take_tickets(kiosk, 2)  # new events with the seqs of lost ones
        arrived(regency.url, "kec-a", hub, 60)
        assert set_aside(regency.url, "kec-a") == list(range(point + 1, lost + 1))
        wait_for(lambda: issued(regency.url, "kec-a") == 5, 60)  # the figures follow
    finally:
        kiosk.stop()
