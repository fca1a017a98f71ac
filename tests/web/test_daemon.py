"""`antrian web` as the operator runs it: a subprocess, its config, its signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from nodes.hub.web import accounts
from nodes.hub.web.config import User
from tests.harness import ROOT, Collector, HubProcess, Mosquitto, client, free_port, wait_for
from tests.web.conftest import WEB_TOML

ENV = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")


def antrian(*args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "nodes.cli", "web", *args],
        env=ENV,
        cwd=ROOT,
        **kwargs,  # type: ignore[call-overload]
    )


def get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            body: bytes = response.read()
            return body
    except OSError:
        return None


def test_serves_then_says_goodbye_on_sigterm(
    broker: Mosquitto, hub: HubProcess, tmp_path: Path, password_hash: str
) -> None:
    port = free_port()
    config = tmp_path / "web.toml"
    config.write_text(
        WEB_TOML.format(
            broker_port=broker.port,
            port=port,
            requires="none",
            rate=5,
            near=3,
            hash=password_hash,
            db=hub.db_path,
        )
    )
    probe = client(broker, "probe-web", "test")
    statuses = Collector(probe, hub.topics.node_status("web-1"))
    process = antrian("--config", str(config), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: get(f"http://127.0.0.1:{port}/healthz"), timeout=20) == (
            b'{"broker":true}'
        )
        assert b"Kartu Keluarga" in (get(f"http://127.0.0.1:{port}/") or b"")
        statuses.wait(lambda seen: any(s.get("online") and s.get("role") == "web" for s in seen))
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
    goodbye = statuses.wait(lambda seen: seen and seen[-1].get("online") is False and seen[-1])
    assert goodbye["version"]  # our own goodbye, not just the broker's Last Will
    probe.stop()


def test_config_error_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "web.toml"
    config.write_text('[node]\nid = "web-1"\n[web]\nsecret_key = "short"\n[hub]\ndatabase = "x"\n')
    process = antrian("--config", str(config), stderr=subprocess.PIPE)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert b"web.secret_key" in err and str(config).encode() in err


def test_hash_password_from_a_pipe() -> None:
    process = antrian("--hash-password", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, _ = process.communicate(b"sandi-rahasia-1\n", timeout=20)
    assert process.returncode == 0
    hashed = out.decode().strip()
    assert accounts.verify(User("x", "admin", hashed), "sandi-rahasia-1")
    short = antrian("--hash-password", stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = short.communicate(b"abc\n", timeout=20)
    assert short.returncode == 1 and b"8 characters" in err
