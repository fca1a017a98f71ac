"""Real parts for the region's tests: the central mosquitto with the contract's accounts and
ACL, offices as outside clients of the contract, `antrian region` as a process, and office
days simulated by the hub's own queue (`antrian simulate-day`)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import psycopg

from common.accounts import mosquitto_hash, passwd_text, region_acl_text
from nodes.hub.simulate import DayPlan, simulate_into
from nodes.hub.web.accounts import hash_password
from tests.harness import ROOT, Mosquitto, free_port, wait_for
from tests.hub.support import office as hub_office

BASE = "antrian-region"
OFFICES = ("kec-a", "kec-b", "kec-c")
PASSWORD = "rahasia-kantor"
REGION_PASSWORD = "rahasia-wilayah"
WEB_USER, WEB_PASSWORD = "bupati", "rahasia-dasbor"
DAY = date(2026, 11, 23)  # a Monday


def _sim_cache() -> Path:
    """Simulated office days, kept between runs (the hub's queue takes seconds per busy
    day), in a folder named by the hub code that makes them: a cache from another schema
    or simulator (a v2 file once met a v3 reader) is never read."""
    digest = hashlib.sha256()
    for name in ("simulate.py", "store.py", "queue.py", "events.py", "office.py"):
        digest.update((ROOT / "nodes" / "hub" / name).read_bytes())
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"antrian-region-sim-{digest.hexdigest()[:12]}"


SIM_CACHE = _sim_cache()


#: docs/region.md's queue limits for the regional mosquitto (they override the test template's).
REGION_QUEUE = "max_queued_messages 100000\nmax_queued_bytes 1073741824\n"


def region_acl(base: str = BASE) -> str:
    """The contract's ACL for the regional broker, as `antrian provision-region` writes it."""
    return region_acl_text(base, "region")


def central_broker(directory: Path, offices: tuple[str, ...] = OFFICES) -> Mosquitto:
    """The regional mosquitto: a password for the region and every office, the ACL."""
    directory.mkdir(parents=True, exist_ok=True)
    accounts = {"region": mosquitto_hash(REGION_PASSWORD)}
    accounts.update({office: mosquitto_hash(PASSWORD) for office in offices})
    (directory / "passwd").write_text(passwd_text(accounts))
    (directory / "acl").write_text(region_acl())
    return Mosquitto(
        directory / "broker",
        auth=(
            "allow_anonymous false\n"
            f"password_file {directory / 'passwd'}\nacl_file {directory / 'acl'}\n"
            # What the region's subscription may have waiting at the broker (docs/region.md):
            # every office's window of batches at once; past it mosquitto drops QoS 1
            # messages and the hubs resend only after their 30 s.
            f"{REGION_QUEUE}"
        ),
    )


@lru_cache(maxsize=8)
def simulated_events(
    day: date = DAY, seed: int = 1, tickets: int = 90
) -> tuple[dict[str, Any], ...]:
    """The event rows of one office day, as the hub stored them (seq from 1)."""
    return tuple(hub_rows(simulated_db(day, seed, tickets)))


@lru_cache(maxsize=4)
def simulated_days(
    first: date = DAY, days: int = 5, tickets: int = 90
) -> tuple[dict[str, Any], ...]:
    """The event rows of `days` consecutive office days in one hub log."""
    path = SIM_CACHE / f"days-{first}-{days}-{tickets}.db"
    if not path.exists():
        draft = _draft(path)
        for n in range(days):
            day = date.fromordinal(first.toordinal() + n)
            simulate_into(draft, hub_office(), day, DayPlan(tickets=tickets, seed=n))
        draft.replace(path)
    return tuple(hub_rows(path))


def simulated_db(day: date = DAY, seed: int = 1, tickets: int = 90) -> Path:
    """The hub database of one simulated office day, made once and kept for later runs."""
    path = SIM_CACHE / f"{day}-{seed}-{tickets}.db"
    if not path.exists():
        draft = _draft(path)
        simulate_into(draft, hub_office(), day, DayPlan(tickets=tickets, seed=seed))
        draft.replace(path)
    return path


def _draft(path: Path) -> Path:
    """Where a cached database is made before it is renamed into place, so that a run
    stopped half-way leaves nothing half-made."""
    SIM_CACHE.mkdir(exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}.draft")
    draft.unlink(missing_ok=True)
    return draft


def hub_rows(path: Path) -> list[dict[str, Any]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT seq, at, day, kind, ticket_id, service, counter, data FROM events ORDER BY seq"
        ).fetchall()
    finally:
        db.close()
    keys = ("seq", "at", "day", "kind", "ticket_id", "service", "counter")
    return [{**dict(zip(keys, r[:7], strict=True)), "data": json.loads(r[7])} for r in rows]


def stored(url: str, office: str = "kec-a") -> list[tuple[Any, ...]]:
    """An office's events as the region's PostgreSQL holds them, in seq order."""
    with psycopg.connect(url) as db:
        return db.execute(
            "SELECT seq, at, day::text, kind, ticket_id, service, counter, data FROM events"
            " WHERE office = %s ORDER BY seq",
            (office,),
        ).fetchall()


def set_aside(url: str, office: str = "kec-a") -> list[int]:
    """The seqs of an office's events a rewind set aside, in the order they were."""
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT seq FROM events_rewound WHERE office = %s ORDER BY rewound_at, seq", (office,)
        ).fetchall()
    return [row[0] for row in rows]


def as_rows(events: Any) -> list[tuple[Any, ...]]:
    """Event dicts (the contract's, or the hub's rows) as `stored` returns them."""
    return [
        (
            e["seq"],
            e["at"],
            e["day"],
            e["kind"],
            e["ticket_id"],
            e["service"],
            e["counter"],
            e["data"],
        )
        for e in events
    ]


def batch(after: int, events: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> bytes:
    return json.dumps({"v": 1, "after": after, "events": list(events)}).encode()


class Office:
    """An office as an outside client of the contract: publishes batches, hears its ack."""

    def __init__(self, broker: Mosquitto, office: str, *, password: str = PASSWORD) -> None:
        self.office = office
        self.acks: list[int] = []
        self.rewound: list[int] = []  # the `rewound` of the acks that carried one
        self.sent = 0  # events messages published
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self.client = paho.Client(
            callback_api_version=paho.CallbackAPIVersion.VERSION2,
            client_id=f"office-{office}-{free_port()}",
            protocol=paho.MQTTv5,
        )
        self.client.username_pw_set(office, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect_async(broker.host, broker.port)
        self.client.loop_start()
        assert self._connected.wait(10), f"{office} could not log in"

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            client.subscribe(f"{BASE}/office/{self.office}/ack", qos=1)
            self._connected.set()

    def _on_message(self, _c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        ack = json.loads(msg.payload)
        with self._lock:
            self.acks.append(int(ack["seq"]))
            if "rewound" in ack:
                self.rewound.append(int(ack["rewound"]))

    @property
    def acked(self) -> int:
        with self._lock:
            return self.acks[-1] if self.acks else 0

    def ack_count(self) -> int:
        with self._lock:
            return len(self.acks)

    def publish(
        self, leaf: str, payload: bytes, *, office: str | None = None, retain: bool = False
    ) -> None:
        topic = f"{BASE}/office/{office or self.office}/{leaf}"
        self.sent += leaf == "events"
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def send(self, after: int, events: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> None:
        self.publish("events", batch(after, events))

    def rewind(self, seq: int) -> None:
        """Ask the region to set aside the events after `seq`, as a restored hub does, and
        wait for its answer (one more ack carrying `rewound`)."""
        with self._lock:
            answers = len(self.rewound)
        self.publish("rewind", json.dumps({"v": 1, "seq": seq}).encode())
        wait_for(lambda: len(self.rewound) > answers and self.rewound[-1] == seq)

    def wait_acked(self, seq: int, timeout: float = 20.0) -> None:
        wait_for(lambda: self.acked >= seq, timeout=timeout)

    def sync(
        self,
        events: tuple[dict[str, Any], ...],
        *,
        size: int = 500,
        window: int = 8,
        stall_s: float = 3.0,
        timeout: float = 60.0,
    ) -> None:
        """Upload as the contract's hub does: from the acked S, up to `window` batches in
        flight, each the next `after`; when S stops moving for `stall_s`, from S again."""
        last = events[-1]["seq"]
        deadline = time.monotonic() + timeout
        while self.acked < last:
            assert time.monotonic() < deadline, f"{self.office}: acked {self.acked} of {last}"
            start = self.acked
            pending = [e for e in events if e["seq"] > start]
            after = start
            for i in range(0, min(len(pending), size * window), size):
                chunk = pending[i : i + size]
                self.send(after, chunk)
                after = chunk[-1]["seq"]
            moved = time.monotonic() + stall_s
            while time.monotonic() < moved and self.acked < after:
                time.sleep(0.02)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


REGION_TOML = """\
[region]
name = "Kabupaten Contoh"
instance = "{instance}"

[broker]
host = "127.0.0.1"
port = {broker_port}
username = "region"
password = "{password}"

[database]
url = "{url}"

[web]
host = "127.0.0.1"
port = {web_port}
secret_key = "a-test-secret-of-enough-length"

[[web.users]]
name = "{user}"
password_hash = "{hash}"

[[offices]]
id = "kec-a"
name = "Kecamatan A"

[[offices]]
id = "kec-b"
name = "Kecamatan B"

[[offices]]
id = "kec-c"
name = "Kecamatan C"

[log]
level = "DEBUG"
"""


@lru_cache(maxsize=1)
def web_hash() -> str:
    return hash_password(WEB_PASSWORD)


def write_region_config(
    path: Path,
    broker: Mosquitto,
    url: str,
    instance: str = "region",
    password: str = REGION_PASSWORD,
) -> Path:
    path.write_text(
        REGION_TOML.format(
            instance=instance,
            broker_port=broker.port,
            password=password,
            url=url,
            web_port=0,  # any free port: the region logs which
            user=WEB_USER,
            hash=web_hash(),
        )
    )
    return path


class RegionProcess:
    """`antrian region` as a subprocess."""

    def __init__(
        self,
        directory: Path,
        broker: Mosquitto,
        url: str,
        instance: str = "region",
        password: str = REGION_PASSWORD,
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "region.toml"
        self.config = write_region_config(config, broker, url, instance, password)
        self.log_path = directory / f"{instance}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._offset = 0

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self._offset = len(self.log())
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nodes.cli", "region", "--config", str(self.config)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
            )
        wait_for(lambda: self._ready() or self._dead(), 30)
        assert not self._dead(), self.log()

    def web_port(self) -> int:
        """The port the dashboard took (`[web] port = 0`), from the region's log."""
        found = re.findall(r"dashboard on http://[^:]+:(\d+)", self.log())
        assert found, self.log()
        return int(found[-1])

    def _ready(self) -> bool:
        """Subscribed on the broker and serving the dashboard, in this life."""
        life = self.log()[self._offset :]
        return "connected to the regional broker" in life and "dashboard on" in life

    def _dead(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def pause(self) -> None:
        """SIGSTOP: the region hangs (messages pile up at the broker and its socket)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a paused one cannot take SIGTERM
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
