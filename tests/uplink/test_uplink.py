"""The office's uplink to the region, end to end: a real hub sends its event log to a real
regional mosquitto (accounts and ACL from `antrian provision-region`), where a test client
plays the region by the contract: it stores each office's events above its acknowledged
seq and publishes the retained ack (an outside client of the contract, like mosquitto_rr).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from common.mqtt import BrokerLink
from nodes.hub.backup import back_up
from nodes.hub.backup import restore as restore_backup
from nodes.hub.uplink import BATCH_EVENTS, WINDOW
from nodes.setup.provision_region import main as provision_region
from tests.harness import (
    MACHINE_SPEED_LIMITS,
    ROOT,
    Collector,
    HubProcess,
    Mosquitto,
    client,
    wait_for,
    write_hub_config,
)
from tests.uplink.certs import Certs, make_certs

BASE = "antrian-region"
REGION_TOML = """\
[region]
name = "Kabupaten Contoh"

[broker]
host = "127.0.0.1"
username = "region"

[[offices]]
id = "kec-a"
name = "Kecamatan A"

[[offices]]
id = "kec-b"
name = "Kecamatan B"
"""


def topic(office: str, leaf: str) -> str:
    return f"{BASE}/office/{office}/{leaf}"


@dataclass
class Region:
    """The region by the contract, in the test: stored events per office, acks."""

    client: Any = None  # its paho client on the regional broker
    stored: dict[str, list[int]] = field(default_factory=dict)
    received: list[tuple[str, int, int]] = field(default_factory=list)  # office, after, seq
    hold: bool = False  # receive, but neither store nor ack (a slow region)
    hold_after: int | None = None  # batches stored before it holds
    rewinds: list[tuple[str, int]] = field(default_factory=list)  # asked: office, seq
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acked(self, office: str) -> int:
        with self.lock:
            seqs = self.stored.get(office, [])
            return seqs[-1] if seqs else 0

    def seqs(self, office: str) -> list[int]:
        with self.lock:
            return list(self.stored.get(office, []))

    def answer_rewind(self, office: str, seq: int) -> None:
        """Set aside the office's events after `seq` and say so in the ack."""
        with self.lock:
            stored = self.stored[office] = [s for s in self.stored.get(office, []) if s <= seq]
            acked = stored[-1] if stored else 0
        payload = json.dumps({"v": 1, "seq": acked, "rewound": seq})
        self.client.publish(topic(office, "ack"), payload, qos=1, retain=True)

    def on_message(self, _c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        office, leaf = msg.topic.split("/")[-2:]
        if leaf == "rewind":  # answered by the test (`answer_rewind`)
            with self.lock:
                self.rewinds.append((office, json.loads(msg.payload)["seq"]))
            return
        batch = json.loads(msg.payload)
        with self.lock:
            self.received += [(office, batch["after"], e["seq"]) for e in batch["events"]]
            if self.hold_after is not None:
                self.hold, self.hold_after = self.hold_after <= 0, self.hold_after - 1
            if self.hold:
                return
            stored = self.stored.setdefault(office, [])
            acked = stored[-1] if stored else 0
            if batch["after"] <= acked:
                stored += [e["seq"] for e in batch["events"] if e["seq"] > acked]
            acked = stored[-1] if stored else 0
        payload = json.dumps({"v": 1, "seq": acked})
        self.client.publish(topic(office, "ack"), payload, qos=1, retain=True)


@dataclass
class Setup:
    dir: Path
    broker: Mosquitto
    passwords: dict[str, str]
    ca: Path | None = None  # TLS: the CA that signed the regional broker's certificate


def paho_client(regional: Setup, user: str, *filters: str, on_message: Any = None) -> paho.Client:
    """A client of the regional broker, subscribed to `filters` on every (re)connect."""
    mqtt = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    mqtt.username_pw_set(user, regional.passwords[user])
    if regional.ca is not None:
        mqtt.tls_set(ca_certs=str(regional.ca))
    broker = regional.broker
    mqtt.reconnect_delay_set(1, 1)  # the broker restarts in the tests
    subscribed = threading.Event()

    def connected(client: paho.Client, *args: Any) -> None:
        if args[2].is_failure:
            return
        if not filters:
            subscribed.set()
        for topic_filter in filters:
            client.subscribe(topic_filter, qos=1)

    mqtt.on_connect = connected
    mqtt.on_subscribe = lambda *a: subscribed.set()
    if on_message is not None:
        mqtt.on_message = on_message
    mqtt.connect_async(broker.host, broker.port)
    mqtt.loop_start()
    assert subscribed.wait(10), f"{user} could not log in to the regional broker"
    return mqtt


@contextmanager
def start_regional(tmp_path: Path, certs: Certs | None = None) -> Iterator[Setup]:
    """The regional broker, provisioned: password file and ACL from provision-region."""
    (tmp_path / "region.toml").write_text(REGION_TOML)
    out = tmp_path / "provisioned"
    broker = Mosquitto(tmp_path / "central")
    code = provision_region(
        ["--config", str(tmp_path / "region.toml"), "--out", str(out),
         "--broker-address", f"127.0.0.1:{broker.port}"]
    )  # fmt: skip
    assert code == 0
    broker.conf.write_text(
        broker.conf.read_text() + f"allow_anonymous false\npassword_file {out / 'broker/passwd'}\n"
        f"acl_file {out / 'broker/acl'}\n"
        # A regional broker keeps its retained acks across a restart.
        f"persistence true\npersistence_location {broker.dir}/\n"
    )
    if certs is not None:  # the listener above, over TLS
        with broker.conf.open("a") as conf:
            conf.write(f"cafile {certs.ca}\ncertfile {certs.server_cert}\n"
                       f"keyfile {certs.server_key}\n")  # fmt: skip
    broker.start()
    accounts = tomllib.loads((out / "credentials.toml").read_text())["accounts"]
    try:
        yield Setup(tmp_path, broker, accounts, certs.ca if certs else None)
    finally:
        broker.stop()


@pytest.fixture
def regional(tmp_path: Path) -> Iterator[Setup]:
    with start_regional(tmp_path) as setup:
        yield setup


@contextmanager
def play_region(regional: Setup) -> Iterator[Region]:
    player = Region()
    player.client = paho_client(
        regional, "region", f"{BASE}/office/+/events", f"{BASE}/office/+/rewind",
        on_message=lambda *a: player.on_message(*a),
    )  # fmt: skip
    try:
        yield player
    finally:
        player.client.disconnect()
        player.client.loop_stop()


@pytest.fixture
def region(regional: Setup) -> Iterator[Region]:
    with play_region(regional) as player:
        yield player


def office_hub(
    regional: Setup, office: str = "kec-a", **extra: Any
) -> tuple[Mosquitto, HubProcess]:
    """An office (its own broker and hub) whose [region] is the provisioned file."""
    local = Mosquitto(regional.dir / f"{office}-broker")
    local.start()
    region_table = (regional.dir / "provisioned/offices" / f"{office}.toml").read_text()
    if regional.ca is not None:
        region_table += f'ca_file = "{regional.ca}"\n'
    hub = HubProcess(local, regional.dir / f"{office}-hub",
                     limits=MACHINE_SPEED_LIMITS + "\n" + region_table, **extra)  # fmt: skip
    return local, hub


@pytest.fixture
def office(regional: Setup) -> Iterator[tuple[Mosquitto, HubProcess]]:
    local, hub = office_hub(regional)
    hub.start()
    try:
        yield local, hub
    finally:
        hub.stop()
        local.stop()


def logged(hub: HubProcess) -> list[int]:
    with closing(sqlite3.connect(hub.db_path)) as db:  # closed: `antrian restore` checks
        return [row[0] for row in db.execute("SELECT seq FROM events ORDER BY seq")]


def take_tickets(kiosk: BrokerLink, count: int) -> None:
    for _ in range(count):
        response = kiosk.request("ticket", {"service": "A"}, timeout=10)
        assert response.ok, response


def test_the_hub_sends_its_log_in_order(
    office: tuple[Mosquitto, HubProcess], region: Region, regional: Setup
) -> None:
    local, hub = office
    seen: dict[str, Any] = {}
    watcher = paho_client(
        regional, "region",
        f"{BASE}/office/+/state", f"{BASE}/office/+/status",
        on_message=lambda _c, _u, m: seen.__setitem__(m.topic, json.loads(m.payload)),
    )  # fmt: skip
    kiosk = client(local, "kiosk-1", "kiosk")
    try:
        take_tickets(kiosk, 12)
        wait_for(lambda: region.seqs("kec-a") and region.seqs("kec-a") == logged(hub), 15)
        assert region.seqs("kec-a") == list(range(1, len(logged(hub)) + 1))
        # In order, each once, each batch continuing where the one before ended.
        assert [seq for _, _, seq in region.received] == region.seqs("kec-a")
        state = wait_for(lambda: (seen.get(topic("kec-a", "state")) or {}).get("waiting") == 12
                         and seen[topic("kec-a", "state")], 15)  # fmt: skip
        assert state["services"][0] | {"longest_wait_s": 0} == {
            "id": "A", "name": "Kartu Keluarga", "letter": "A", "waiting": 12,
            "longest_wait_s": 0, "standard_minutes": None, "open": True,
        }  # fmt: skip
        assert "kiosk-2" in state["devices_offline"] and "kiosk-1" not in state["devices_offline"]
        assert seen[topic("kec-a", "status")] == {"v": 1, "online": True}
    finally:
        kiosk.stop()
        watcher.disconnect()
        watcher.loop_stop()
    hub.stop()  # a clean stop says offline, retained
    statuses: list[Any] = []
    last = paho_client(
        regional, "region", topic("kec-a", "status"),
        on_message=lambda _c, _u, m: statuses.append(json.loads(m.payload)),
    )  # fmt: skip
    wait_for(lambda: statuses == [{"v": 1, "online": False}])
    last.disconnect()
    last.loop_stop()


def test_regional_broker_down_the_office_works_and_every_event_arrives_once(
    office: tuple[Mosquitto, HubProcess], region: Region, regional: Setup
) -> None:
    local, hub = office
    kiosk = client(local, "kiosk-1", "kiosk")
    hub_status = Collector(kiosk, hub.topics.node_status("hub"))
    try:
        take_tickets(kiosk, 5)
        wait_for(lambda: region.seqs("kec-a") == logged(hub), 15)
        regional.broker.stop()
        take_tickets(kiosk, 20)  # answered as always while the region is unreachable
        hub_status.wait(lambda p: p and p[-1].get("uplink") == "down", timeout=15)
        assert len(logged(hub)) > len(region.seqs("kec-a"))
        regional.broker.start()
        wait_for(lambda: region.seqs("kec-a") == logged(hub), 60)
        assert region.seqs("kec-a") == list(range(1, len(logged(hub)) + 1))
        status = hub_status.wait(
            lambda p: p and p[-1].get("uplink") == "connected"
            and p[-1].get("uplink_waiting") == 0 and p[-1],
            timeout=15,
        )  # fmt: skip
        assert status["uplink_acked"] == len(logged(hub))
    finally:
        kiosk.stop()


@pytest.fixture(scope="module")
def simulated_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A busy day's log (about 5,000 events: more batches than the window), made once."""
    folder = tmp_path_factory.mktemp("simulated")
    config = write_hub_config(folder / "hub.toml", 1883, folder / "antrian.db")
    subprocess.run(
        [sys.executable, "-m", "nodes.cli", "simulate-day", "--config", str(config),
         "--date", "2026-11-27", "--tickets", "1200"],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    return folder / "antrian.db"


def test_a_hub_killed_mid_upload_resumes_from_the_retained_ack(
    regional: Setup, region: Region, simulated_day: Path
) -> None:
    local, hub = office_hub(regional)
    shutil.copy(simulated_day, hub.db_path)  # the day is in the log before the hub starts
    total = len(logged(hub))
    assert total > (WINDOW + 2) * BATCH_EVENTS
    region.hold_after = 1  # the region stores the first batch, then stops acknowledging
    try:
        hub.start()
        # The first batch acked frees one place: 9 batches out, 8 of them unacknowledged,
        # and the hub may send no more: it is killed in the middle of the upload.
        first_life = (WINDOW + 1) * BATCH_EVENTS
        wait_for(lambda: len(region.received) == first_life, 60)
        acked = region.acked("kec-a")
        assert acked == BATCH_EVENTS
        hub.kill()
        region.hold, region.hold_after = False, None
        hub.start()
        wait_for(lambda: region.seqs("kec-a") == logged(hub), 60)
        assert region.seqs("kec-a") == list(range(1, len(logged(hub)) + 1))
        second = region.received[first_life:]
        # Resumed from the retained ack: nothing at or below it was sent again.
        assert second[0][1] == acked
        assert min(seq for _, _, seq in second) == acked + 1
        # Within a life no event arrives twice (duplicates only across the kill).
        for life in (region.received[:first_life], second):
            seqs = [seq for _, _, seq in life]
            assert len(seqs) == len(set(seqs))
            assert seqs == sorted(seqs)
    finally:
        hub.stop()
        local.stop()


def test_an_office_cannot_write_as_another(regional: Setup, region: Region) -> None:
    mallory = paho_client(regional, "kec-a")
    try:
        forged = {"v": 1, "after": 0, "events": [{"seq": 1, "kind": "forged"}]}
        for leaf in ("events", "state", "status", "rewind"):
            mallory.publish(topic("kec-b", leaf), json.dumps(forged), qos=1).wait_for_publish(5)
        # Delivery proved on its own topic, after the forged ones on the same connection.
        own = {"v": 1, "after": 0, "events": [{"seq": 1, "kind": "marker"}]}
        mallory.publish(topic("kec-a", "events"), json.dumps(own), qos=1)
        wait_for(lambda: region.seqs("kec-a") == [1])
        assert [office for office, _, _ in region.received] == ["kec-a"]
        assert region.rewinds == []
    finally:
        mallory.disconnect()
        mallory.loop_stop()


def test_a_malformed_ack_is_ignored_with_one_log_line(
    office: tuple[Mosquitto, HubProcess], region: Region
) -> None:
    local, hub = office
    kiosk = client(local, "kiosk-1", "kiosk")
    hub_status = Collector(kiosk, hub.topics.node_status("hub"))
    try:
        take_tickets(kiosk, 2)
        wait_for(lambda: region.seqs("kec-a") == logged(hub), 15)
        for bad in (b"not json", b'{"v": 1, "seq": "7"}', b"[1]", b'{"v": 1, "seq": -1}'):
            region.client.publish(topic("kec-a", "ack"), bad, qos=1, retain=True)
        take_tickets(kiosk, 2)  # the region acks these: the uplink went on past the bad acks
        wait_for(lambda: region.seqs("kec-a") == logged(hub), 15)
        # The hub took the good ack that followed the bad ones (its health says so).
        total = len(logged(hub))
        hub_status.wait(lambda p: p and p[-1].get("uplink_acked") == total, timeout=15)
        lines = [line for line in hub.log().splitlines() if "malformed ack" in line]
        assert len(lines) == 1, lines
    finally:
        kiosk.stop()


def test_an_ack_beyond_the_end_of_the_log_is_reported(regional: Setup, region: Region) -> None:
    # The region has more of this office than its log holds (a database restored from an
    # older backup): its new events would reuse seqs the region already has.
    ack = json.dumps({"v": 1, "seq": 1_000_000})
    region.client.publish(topic("kec-a", "ack"), ack, qos=1, retain=True).wait_for_publish(5)
    local, hub = office_hub(regional)
    hub.start()
    try:
        wait_for(lambda: "beyond this log's last event" in hub.log(), 15)
    finally:
        hub.stop()
        local.stop()


def test_after_a_restore_the_hub_sends_nothing_until_the_region_has_rewound(
    regional: Setup, region: Region
) -> None:
    local, hub = office_hub(regional)
    stick = regional.dir / "stick"
    stick.mkdir()
    states: list[Any] = []
    watcher = paho_client(
        regional, "region", topic("kec-a", "state"),
        on_message=lambda _c, _u, m: states.append(json.loads(m.payload)),
    )  # fmt: skip
    kiosk = client(local, "kiosk-1", "kiosk")
    try:
        hub.start()
        take_tickets(kiosk, 3)
        wait_for(lambda: region.seqs("kec-a") and region.seqs("kec-a") == logged(hub), 15)
        hub.stop()
        backup = back_up(hub.db_path, stick, 1, datetime.now()).path  # the last backup
        point = len(logged(hub))
        hub.start()
        take_tickets(kiosk, 4)  # lost with the card: the region has them
        wait_for(lambda: region.seqs("kec-a") == logged(hub), 15)
        lost = len(logged(hub))
        hub.stop()
        assert restore_backup(backup, hub.db_path) == point
        received = len(region.received)
        states.clear()  # snapshots of this life only
        hub.start()
        wait_for(lambda: region.rewinds == [("kec-a", point)], 15)
        take_tickets(kiosk, 2)  # their events reuse seqs of the lost log
        assert logged(hub) == list(range(1, point + 3)) and point + 2 <= lost
        # Sent nothing: the snapshot with the new tickets, published after the uplink read
        # the log with them, came with no events before it.
        wait_for(lambda: any(s.get("waiting") == 5 for s in states), 15)
        assert len(region.received) == received
        region.answer_rewind("kec-a", point)
        wait_for(lambda: region.seqs("kec-a") == logged(hub), 15)
        second = region.received[received:]
        assert [(after, seq) for _, after, seq in second] == [
            (point, point + 1),
            (point, point + 2),
        ]
        wait_for(lambda: not (hub.db_path.parent / "antrian.db.region-rewind").exists(), 15)
    finally:
        kiosk.stop()
        watcher.disconnect()
        watcher.loop_stop()
        hub.stop()
        local.stop()


def test_the_uplink_over_tls(tmp_path: Path) -> None:
    certs = make_certs(tmp_path / "certs")
    with start_regional(tmp_path, certs) as regional, play_region(regional) as region:
        local, hub = office_hub(regional)
        hub.start()
        kiosk = client(local, "kiosk-1", "kiosk")
        try:
            take_tickets(kiosk, 3)
            wait_for(lambda: region.seqs("kec-a") and region.seqs("kec-a") == logged(hub), 15)
            assert "(TLS)" in hub.log()
        finally:
            kiosk.stop()
            hub.stop()
            local.stop()
