"""The node shell (common/node.py) through the real command line of every role: a real
process, a real mosquitto, systemd's notify socket as a real unix datagram socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common import node
from common.config import NodeIdentity, read_identity, root
from tests.harness import ROOT, Collector, Mosquitto, client, free_port, write_hub_config

EXAMPLES = ROOT / "examples" / "office"
ROLES = ("hub", "kiosk", "counter", "display", "web")
NODE_IDS = {"hub": "hub", "kiosk": "kiosk-1", "counter": "loket-1", "display": "display-1"}
NODE_IDS["web"] = "web-1"


def example(role: str) -> str:
    return (EXAMPLES / ("counter-1.toml" if role == "counter" else f"{role}.toml")).read_text()


def node_config(role: str, port: int, directory: Path) -> Path:
    """The example office's file for `role`, on the test broker, writing under `directory`."""
    path = directory / f"{role}.toml"
    if role == "hub":
        return write_hub_config(path, port, directory / "antrian.db")
    text = example(role).replace("port = 18830", f"port = {port}")
    text = text.replace('"run/office/', f'"{directory}/')
    if role == "display":
        text = text.replace("[voice]\n", "[voice]\nenabled = false\n")
    if role == "web":
        text = text.replace('host = "0.0.0.0"', 'host = "127.0.0.1"')
        text = text.replace("port = 8080", f"port = {free_port()}")
    path.write_text(text)
    return path


def antrian(
    role: str, config: Path, notify: Path | None = None, **options: Any
) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy")
    env.pop("NOTIFY_SOCKET", None)
    if notify is not None:
        env["NOTIFY_SOCKET"] = str(notify)
    return subprocess.Popen(
        [sys.executable, "-m", "nodes.cli", role, "--config", str(config)],
        cwd=ROOT,
        env=env,
        **options,
    )


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[Path, socket.socket]]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(30)  # a generous bound, not a wait: each recv returns on arrival
    yield path, sock
    sock.close()


def receive_until(sock: socket.socket, prefix: bytes) -> list[bytes]:
    """Every notification up to and including the first that starts with `prefix`."""
    got: list[bytes] = []
    while not (got and got[-1].startswith(prefix)):
        got.append(sock.recv(200))
    return got


@pytest.mark.parametrize("role", ROLES)
def test_sigterm_stops_every_role_in_order_and_says_goodbye(
    role: str,
    broker: Mosquitto,
    tmp_path: Path,
    notify_socket: tuple[Path, socket.socket],
) -> None:
    address, sock = notify_socket
    node = NODE_IDS[role]
    watcher = client(broker, "watcher")
    topic = watcher.topics.node_status(node)
    statuses = Collector(watcher, topic)
    log = (tmp_path / "node.log").open("wb")
    process = antrian(
        role,
        node_config(role, broker.port, tmp_path),
        address,
        stdin=subprocess.PIPE,  # the counter's stdin keypad runs until its input ends
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert receive_until(sock, b"READY=1")[-1].startswith(b"READY=1\nSTATUS=")
        statuses.wait(lambda seen: seen and seen[-1].get("online") is True, timeout=30)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    output = (tmp_path / "node.log").read_text(errors="replace")
    try:
        assert receive_until(sock, b"STOPPING=1")[-1] == b"STOPPING=1", output
        goodbye = statuses.wait(lambda seen: seen and seen[-1]["online"] is False and seen[-1])
        # The node's own goodbye (with its version), not the broker's Last Will.
        assert goodbye["role"] == role and goodbye.get("version"), goodbye
        assert "Traceback" not in output, output
    finally:
        watcher.stop()


@pytest.mark.parametrize("role", ROLES)
def test_a_config_mistake_is_one_line_on_stderr_and_exit_2_for_every_role(
    role: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{role}.toml"
    path.write_text(example(role).replace("port = 18830", 'port = "abc"'))
    process = antrian(role, path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert out == b""
    assert err.decode() == (
        f"antrian {role}: configuration error: {path}: broker.port: must be an integer, not 'abc'\n"
    )


@dataclass(frozen=True)
class Plain:
    identity: NodeIdentity


def test_teardown_runs_in_reverse_order_of_building_past_a_failing_part(
    tmp_path: Path, notify_socket: tuple[Path, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, sock = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", str(address))
    path = tmp_path / "plain.toml"
    path.write_text('[node]\nid = "plain-1"\n')
    stopped: list[str] = []

    def broken() -> None:
        stopped.append("printer")
        raise OSError("the printer fell off the table")

    def build(config: Plain, shell: node.Shell) -> node.Running:
        shell.on_stop(lambda: stopped.append("store"))
        shell.on_stop(broken)
        shell.on_stop(lambda: stopped.append("buttons"))

        def serve(stopping: threading.Event) -> None:
            raise node.SetupError("GPIO17 is busy")

        return node.Running(serve, status="plain")

    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        read = lambda file: Plain(read_identity(root(file)))  # noqa: E731
        assert node.run("plain", ["--config", str(path)], read, build) == 1
    finally:
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
    assert stopped == ["buttons", "printer", "store"]
    assert receive_until(sock, b"STOPPING=1") == [b"READY=1\nSTATUS=plain", b"STOPPING=1"]
