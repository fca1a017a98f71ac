"""sd_notify over a real unix datagram socket, and the units that rely on it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from common import systemd
from tests.harness import ROOT, HubProcess, Mosquitto, write_hub_config


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def test_ready_and_watchdog_pings_reach_systemd(
    notify_socket: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert systemd.notify_ready("serving")
    assert notify_socket.recv(100) == b"READY=1\nSTATUS=serving"
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # systemd wants a ping every 0.1 s
    healthy = [True]
    dog = systemd.Watchdog(lambda: healthy[0])
    dog.start()
    assert notify_socket.recv(100) == b"WATCHDOG=1"
    healthy[0] = False  # a wedged daemon stops pinging, and systemd restarts it
    while True:
        try:
            notify_socket.recv(100)
        except TimeoutError:
            break
        notify_socket.settimeout(0.5)
    dog.stop()


def test_without_systemd_notify_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.notify_ready() is False
    assert systemd.watchdog_interval() is None


def test_the_hub_daemon_says_ready_to_systemd(
    broker: Mosquitto, tmp_path: Path, notify_socket: socket.socket
) -> None:
    hub = HubProcess(broker, tmp_path / "hub")
    hub.start()
    try:
        assert notify_socket.recv(100).startswith(b"READY=1")
    finally:
        hub.stop()


def test_a_bad_config_stops_the_daemon_with_file_and_key(tmp_path: Path) -> None:
    config = write_hub_config(tmp_path / "hub.toml", 1883, tmp_path / "x.db")
    config.write_text(config.read_text().replace("port = 1883", 'port = "abc"'))
    result = subprocess.run(
        [sys.executable, "-m", "nodes.cli", "hub", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert result.returncode == 2
    assert f"{config}: broker.port: must be an integer" in result.stderr
