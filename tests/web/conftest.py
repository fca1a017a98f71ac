"""The web front end against real parts: mosquitto, the hub process, uvicorn, SQLite."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.testclient import TestClient

from common.mqtt import BrokerLink
from nodes.hub.web import accounts
from nodes.hub.web.app import create_app
from nodes.hub.web.config import WebConfig, load
from nodes.hub.web.daemon import build
from nodes.hub.web.site import WebState
from tests.harness import HubProcess, Mosquitto, client, free_port, wait_for

PASSWORD = "rahasia-kantor"
WEB_TOML = """\
[office]
id = "kantor"
name = "Kantor Kecamatan Contoh"
timezone = "Asia/Jakarta"
[node]
id = "web-1"
[broker]
host = "127.0.0.1"
port = {broker_port}
[web]
host = "127.0.0.1"
port = {port}
secret_key = "test-secret-key-0123456789"
base_url = "http://127.0.0.1:{port}"
online_requires = "{requires}"
rate_limit_per_minute = {rate}
near_alert_ahead = {near}
[[web.users]]
name = "camat"
role = "admin"
password_hash = "{hash}"
[[web.users]]
name = "staf"
role = "supervisor"
password_hash = "{hash}"
[hub]
database = "{db}"
"""


@pytest.fixture(scope="session")
def password_hash() -> str:
    return accounts.hash_password(PASSWORD)


class WebNode:
    """`antrian web` in this process: the same parts `daemon.main` wires, on the test office."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.state: WebState
        self.link: BrokerLink
        self.state, self.link = build(config)
        self.state.feed.poll_s = 0.5
        self.app = create_app(self.state)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def model(self) -> Any:
        return self.state.model

    def start(self) -> None:
        self.state.feed.start()
        assert self.link.start(wait=10), "web node could not connect to the broker"
        wait_for(lambda: self.model.services and self.model.queues, timeout=10)

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.config.port}"

    def serve(self) -> str:
        """Serve over real HTTP (uvicorn in a thread), for live streams and the browser."""
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=self.config.port,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=1,
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        wait_for(lambda: self._server is not None and self._server.started, timeout=10)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.state.feed.stop()
        self.link.stop()
        self.state.feed.events.close()


WebFactory = Callable[..., WebNode]


@pytest.fixture
def make_web(broker: Mosquitto, tmp_path: Path, password_hash: str) -> Iterator[WebFactory]:
    nodes: list[WebNode] = []

    def make(hub: HubProcess, *, requires: str = "none", rate: int = 30, near: int = 2) -> WebNode:
        port = free_port()
        path = tmp_path / f"web-{port}.toml"
        path.write_text(
            WEB_TOML.format(
                broker_port=broker.port,
                port=port,
                requires=requires,
                rate=rate,
                near=near,
                hash=password_hash,
                db=hub.db_path,
            )
        )
        node = WebNode(load(path))
        node.start()
        nodes.append(node)
        return node

    yield make
    for node in nodes:
        node.stop()


@pytest.fixture
def web(make_web: WebFactory, hub: HubProcess) -> WebNode:
    return make_web(hub)


@pytest.fixture
def counter(broker: Mosquitto, hub: HubProcess) -> Iterator[Callable[..., dict[str, Any]]]:
    """Loket 1 (services A, B), opened, driven as its keypad would."""
    link = client(broker, "loket-1", "counter")

    def press(action: str, **extra: Any) -> dict[str, Any]:
        answer = link.request("counter", {"counter": "1", "action": action, **extra})
        assert answer.ok, answer.error_code
        return answer.data

    press("open")
    yield press
    link.stop()


@pytest.fixture
def kiosk(broker: Mosquitto, hub: HubProcess) -> Iterator[Callable[[str], str]]:
    """kiosk-1 taking numbers; returns the ticket id."""
    link = client(broker, "kiosk-1", "kiosk")

    def take(service: str) -> str:
        answer = link.request("ticket", {"service": service})
        assert answer.ok, answer.error_code
        ticket_id: str = answer.data["ticket_id"]
        return ticket_id

    yield take
    link.stop()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
