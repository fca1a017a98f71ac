"""Real parts for the tests: a private mosquitto, a real hub process, client links.

Nothing here fakes our own code: the broker is the real mosquitto binary on a free
loopback port, the hub is `antrian hub` in a subprocess, and clients are `BrokerLink`s.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common.accounts import pin_hash
from common.config import BrokerConfig
from common.mqtt import BrokerLink, Message
from common.wire import Topics

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).with_name("mosquitto.conf.tmpl")
OFFICE = "kantor"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Poll until `predicate()` is truthy; return its value or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Mosquitto:
    """A real mosquitto on a free loopback port, restartable on the same port."""

    def __init__(self, directory: Path, *, auth: str = "allow_anonymous true") -> None:
        if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
            raise RuntimeError("mosquitto is not installed (run scripts/install.sh)")
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = "127.0.0.1"
        self.port = free_port()
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(TEMPLATE.read_text().format(port=self.port, dir=self.dir, auth=auth))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> BrokerConfig:
        return BrokerConfig(host=self.host, port=self.port)

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen(
            [binary, "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: _port_open(self.port), timeout=10)
        except AssertionError:
            raise RuntimeError(f"mosquitto did not start; see {self.dir}/mosquitto.log") from None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


#: The test office's officers (tests/hub/support.py): code -> name, code -> PIN.
OFFICER_NAMES = {"1": "Siti Aminah", "2": "Budi Santoso"}
OFFICER_PINS = {"1": "1234", "2": "5678"}
#: Fixed salts, so the office read from the file equals tests/hub/support.py's office.
OFFICER_PIN_HASHES = {
    code: pin_hash(pin, f"test-officer-{code}".encode()) for code, pin in OFFICER_PINS.items()
}

HUB_CONFIG = """\
[office]
id = "{office}"
name = "Kantor Kecamatan Contoh"
address = "Jl. Merdeka No. 1, Contoh"
timezone = "Asia/Jakarta"

[node]
id = "hub"

[broker]
host = "127.0.0.1"
port = {port}
{broker_extra}

[hub]
database = "{db}"
{hub_extra}
{limits}

[log]
level = "INFO"

[[services]]
id = "A"
name = "Kartu Keluarga"
{service_a_extra}

[[services]]
id = "B"
name = "KTP Elektronik"

[[services]]
id = "C"
name = "Akta Kelahiran"

[[counters]]
id = "1"
name = "Loket 1"
services = ["A", "B"]

[[counters]]
id = "2"
name = "Loket 2"
services = ["B", "C"]

[[counters]]
id = "3"
name = "Loket 3"
services = ["C"]

[[nodes]]
id = "kiosk-1"
role = "kiosk"
{node_password}

[[nodes]]
id = "kiosk-2"
role = "kiosk"
{node_password}

[[nodes]]
id = "loket-1"
role = "counter"
counters = ["1"]
{node_password}

[[nodes]]
id = "loket-2"
role = "counter"
counters = ["2"]
{node_password}

[[nodes]]
id = "loket-3"
role = "counter"
counters = ["3"]
{node_password}

[[nodes]]
id = "display-1"
role = "display"
{node_password}

[[nodes]]
id = "web-1"
role = "web"
{node_password}
""" + "".join(
    f'\n[[officers]]\nid = "{code}"\nname = "{name}"\npin_hash = "{OFFICER_PIN_HASHES[code]}"\n'
    for code, name in OFFICER_NAMES.items()
)


#: The suite's clients stand for many kiosks and counters pressed at machine speed, far
#: above one node's share on a real office (nodes/hub/fairness.py); the flood tests pass
#: `limits=""` to get the shipped defaults.
MACHINE_SPEED_LIMITS = "\n".join(
    f"[hub.limits.{role}]\nrate = 100000.0\nburst = 100000"
    for role in ("kiosk", "counter", "web", "display")
)


def write_hub_config(
    path: Path,
    broker_port: int,
    db_path: Path,
    *,
    broker_extra: str = "",
    hub_extra: str = "",
    service_a_extra: str = "",
    node_password: str = "",
    office: str = OFFICE,
    limits: str = MACHINE_SPEED_LIMITS,
) -> Path:
    """The test office (see tests/README): services A, B, C; counters 1-3; every node."""
    path.write_text(
        HUB_CONFIG.format(
            office=office,
            port=broker_port,
            db=db_path,
            broker_extra=broker_extra,
            hub_extra=hub_extra,
            service_a_extra=service_a_extra,
            node_password=node_password,
            limits=limits,
        )
    )
    return path


def client(
    broker: Mosquitto | BrokerConfig, node_id: str, role: str = "test", *, office: str = OFFICE
) -> BrokerLink:
    """A started BrokerLink for driving the hub from a test."""
    config = broker.config if isinstance(broker, Mosquitto) else broker
    link = BrokerLink(config, Topics(office), node_id, role)
    if not link.start(wait=10):
        raise RuntimeError("test client could not connect to the broker")
    return link


class Collector:
    """Subscribes to topic filters and keeps every message, for assertions."""

    def __init__(self, link: BrokerLink, *filters: str) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        for topic_filter in filters:
            link.subscribe(topic_filter, self._on_message)

    def _on_message(self, message: Message) -> None:
        with self._lock:
            self.messages.append(message)

    def payloads(self, topic: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(m.payload) for m in self.messages if topic in (None, m.topic)]

    def latest(self, topic: str) -> dict[str, Any] | None:
        found = self.payloads(topic)
        return found[-1] if found else None

    def wait(
        self,
        predicate: Callable[[list[dict[str, Any]]], Any],
        topic: str | None = None,
        timeout: float = 5.0,
    ) -> Any:
        return wait_for(lambda: predicate(self.payloads(topic)), timeout=timeout)


class HubProcess:
    """`antrian hub` as a subprocess on the test office."""

    def __init__(
        self, broker: Mosquitto, directory: Path, *, wrapper: tuple[str, ...] = (), **config: Any
    ) -> None:
        """`wrapper`: a command the hub runs under (e.g. strace injecting fsync delays)."""
        self.broker = broker
        self.wrapper = wrapper
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.dir / "antrian.db"
        self.config_path = write_hub_config(
            self.dir / "hub.toml", broker.port, self.db_path, **config
        )
        self.topics = Topics(config.get("office", OFFICE))
        self.log_path = self.dir / "hub.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._hub_pid: int | None = None
        self._probe: BrokerLink | None = None

    def start(self, wait: bool = True) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [
                    *self.wrapper,
                    *(sys.executable, "-m", "nodes.cli", "hub", "--config", str(self.config_path)),
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
            )
        if wait:
            self.wait_online()

    def wait_online(self, timeout: float = 15.0) -> None:
        """Until the hub's retained status says online (published after state is loaded)."""
        if self._probe is None:
            self._probe = client(self.broker, f"probe-{free_port()}", "test")
        seen: list[dict[str, Any]] = []
        status_topic = self.topics.node_status("hub")
        event = threading.Event()

        def on_status(message: Message) -> None:
            try:  # tests also publish malformed statuses on the hub's topic, on purpose
                payload = json.loads(message.payload)
            except ValueError:
                return
            if not isinstance(payload, dict):
                return
            seen.append(payload)
            # Under a wrapper the hub is the wrapper's child: its status names its pid.
            started = self.process.pid if self.process else None
            if payload.get("online") and (self.wrapper or payload.get("pid") == started):
                self._hub_pid = payload.get("pid")
                event.set()

        self._probe.subscribe(status_topic, on_status)
        if not event.wait(timeout):
            raise RuntimeError(f"hub did not come online; log:\n{self.log()}")

    @property
    def pid(self) -> int | None:
        """The hub's own process id (not its wrapper's)."""
        if self.process is None:
            return None
        return self._hub_pid if self.wrapper and self._hub_pid else self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.process is not None:
            if self.wrapper and self._hub_pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._hub_pid, signal.SIGKILL)
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            if self.wrapper and self._hub_pid:
                # The hub itself: a wrapper (strace) would only detach and leave it running.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._hub_pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(10)  # the wrapper ends with the hub
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self._probe is not None:
            self._probe.stop()
            self._probe = None

    def restart(self) -> None:
        self.kill()
        self.start()


@contextmanager
def links(broker: Mosquitto, *specs: tuple[str, str]) -> Iterator[list[BrokerLink]]:
    """Several started clients, stopped afterwards."""
    started = [client(broker, node, role) for node, role in specs]
    try:
        yield started
    finally:
        for link in started:
            link.stop()
