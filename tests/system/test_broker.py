"""The hub's broker configuration, started by the real mosquitto.

systemd/mosquitto/antrian.conf is used line for line; only the port (a free loopback one)
and the three paths (password file, ACL, persistence) are moved into a temporary folder.
As on the hub, the broker runs as the `mosquitto` user (when the suite runs as root) and
reads files owned by root:mosquitto with mode 0640.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from tests.harness import free_port, wait_for
from tests.system.units import SYSTEMD

CONFIG = SYSTEMD / "mosquitto" / "antrian.conf"
BROKER_DIR = "/run/antrian/broker/"
DATA_DIR = "/var/lib/antrian/broker/"
PASSWORD = "kata-sandi-kios-1"
OWN_TOPIC = "antrian/kantor/node/kiosk-1/request/1"
OTHER_TOPIC = "antrian/kantor/node/counter-1/request/1"


def rewrite(text: str, port: int, folder: Path) -> str:
    """The configuration with only the port and the three paths changed."""
    lines = text.splitlines()
    out = []
    for line in lines:
        new = re.sub(r"^listener 1883$", f"listener {port} 127.0.0.1", line)
        new = new.replace(BROKER_DIR, f"{folder}/").replace(DATA_DIR, f"{folder}/data/")
        out.append(new)
    changed = {line.split()[0] for line, new in zip(lines, out, strict=True) if line != new}
    assert changed == {"listener", "password_file", "acl_file", "persistence_location"}
    return "\n".join(out) + "\n"


def tool(name: str) -> str:
    binary = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    assert binary, f"{name} is missing: run scripts/install.sh"
    return binary


@dataclass
class Broker:
    folder: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    as_user: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [tool("mosquitto"), "-c", str(self.folder / "mosquitto.conf")],
                stdout=log,
                stderr=subprocess.STDOUT,
                **self.as_user,
            )
        wait_for(lambda: b" running" in self.log.read_bytes()[offset:] or self.process_died(), 5)
        assert not self.process_died(), self.log.read_text()

    def process_died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)


@pytest.fixture
def broker() -> Iterator[Broker]:
    folder = Path(tempfile.mkdtemp(prefix="antrian-broker-"))
    port = free_port()
    (folder / "data").mkdir()
    (folder / "mosquitto.conf").write_text(rewrite(CONFIG.read_text(), port, folder))
    passwd, acl = folder / "passwd", folder / "acl"
    subprocess.run(
        [tool("mosquitto_passwd"), "-c", "-b", str(passwd), "kiosk-1", PASSWORD],
        check=True,
        capture_output=True,
    )
    acl.write_text(
        "user kiosk-1\ntopic write antrian/kantor/node/kiosk-1/#\ntopic read antrian/kantor/#\n"
    )
    as_user: dict[str, Any] = {}
    if os.geteuid() == 0:
        # The hub's layout: the broker's files root:mosquitto 0640 in a 0750 folder, its
        # persistence folder its own; and mosquitto started as mosquitto (our drop-in).
        shutil.chown(folder, "root", "mosquitto")
        folder.chmod(0o750)
        for path in (passwd, acl, folder / "mosquitto.conf"):
            shutil.chown(path, "root", "mosquitto")
            path.chmod(0o640)
        shutil.chown(folder / "data", "mosquitto", "mosquitto")
        as_user = {"user": "mosquitto", "group": "mosquitto", "extra_groups": []}
    server = Broker(folder, port, folder / "broker.log", as_user=as_user)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


class Client:
    """A paho MQTT v5 client that records the CONNACK and PUBACK reason codes."""

    def __init__(self, port: int, username: str | None, password: str | None) -> None:
        self.connack: Any = None
        self.pubacks: dict[int, Any] = {}
        self.messages: list[tuple[str, bytes]] = []
        self._event = threading.Event()
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id="", protocol=paho.MQTTv5
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, bytes(m.payload)))
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        assert self._event.wait(5), "no CONNACK"

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connack = reason
        self._event.set()

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        self.pubacks[mid] = reason

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> Any:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return wait_for(lambda: self.pubacks.get(info.mid), 5.0)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_anonymous_and_wrong_passwords_are_refused(broker: Broker) -> None:
    for username, password in ((None, None), ("kiosk-1", "salah"), ("counter-1", PASSWORD)):
        client = Client(broker.port, username, password)
        try:
            assert client.connack.is_failure, (username, client.connack)
            assert "authori" in str(client.connack).lower(), client.connack
        finally:
            client.close()


def test_a_node_with_its_password_publishes_only_under_its_own_topics(broker: Broker) -> None:
    client = Client(broker.port, "kiosk-1", PASSWORD)
    try:
        assert not client.connack.is_failure, client.connack
        assert not client.publish(OWN_TOPIC, b"{}").is_failure
        assert client.publish(OTHER_TOPIC, b"{}").value == 0x87  # Not authorized
    finally:
        client.close()


def test_retained_messages_survive_a_restart(broker: Broker) -> None:
    client = Client(broker.port, "kiosk-1", PASSWORD)
    try:
        assert not client.publish(OWN_TOPIC, b"tersimpan", retain=True).is_failure
    finally:
        client.close()
    broker.stop()
    assert (broker.folder / "data" / "mosquitto.db").exists(), broker.log.read_text()
    broker.start()
    reader = Client(broker.port, "kiosk-1", PASSWORD)
    try:
        reader.client.subscribe(OWN_TOPIC, qos=1)
        assert wait_for(lambda: reader.messages, 5.0) == [(OWN_TOPIC, b"tersimpan")]
    finally:
        reader.close()


def test_the_configuration_loads_without_warnings(broker: Broker) -> None:
    # start() waited for "running", which mosquitto says after everything about its
    # configuration.
    log = broker.log.read_text()
    assert " running" in log, log
    assert "Config loaded from" in log, log
    complaints = [
        line
        for line in log.splitlines()
        if re.search(r"warning|note:|error|deprecated|unknown|invalid", line, re.IGNORECASE)
    ]
    assert not complaints, log
