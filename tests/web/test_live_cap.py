"""Live pages past the cap: `antrian web` as a subprocess under a small file limit.

A live page holds a connection, i.e. a file descriptor. Past the cap the web answers 503
with Retry-After and closes, `/healthz` keeps answering, and the log stays a few lines.
"""

from __future__ import annotations

import logging
import resource
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from nodes.hub.web.capacity import RETRY_AFTER_S, RepeatFilter, plan
from tests.harness import HubProcess, Mosquitto, free_port, wait_for
from tests.web.conftest import WEB_TOML
from tests.web.test_daemon import antrian, get


class Live:
    """One live page over a raw connection: its status and headers, then the open stream."""

    def __init__(self, port: int, path: str = "/live/papan") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: kantor\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        self.file: BinaryIO = self.sock.makefile("rb")
        self.status = int(self.file.readline().split()[1])
        self.headers: dict[str, str] = {}
        while line := self.file.readline().strip():
            name, _, value = line.decode().partition(":")
            self.headers[name.lower()] = value.strip()

    def closed_by_server(self) -> bool:
        self.file.read()  # until the server closes: raises on timeout
        return True

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def healthz_time(port: int) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
        assert response.status == 200
    return time.monotonic() - started


class WebDaemon:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def stop(self) -> str:
        self.process.terminate()
        assert self.process.wait(15) == 0
        return self.log.read_text()


StartWeb = Callable[..., WebDaemon]


@pytest.fixture
def start_web(
    broker: Mosquitto, hub: HubProcess, tmp_path: Path, password_hash: str
) -> Iterator[StartWeb]:
    started: list[WebDaemon] = []

    def start(fd_limit: int, extra: str = "") -> WebDaemon:
        port = free_port()
        config = tmp_path / f"web-{port}.toml"
        toml = WEB_TOML.format(
            broker_port=broker.port,
            port=port,
            requires="none",
            rate=30,
            near=3,
            hash=password_hash,
            db=hub.db_path,
        )
        config.write_text(toml.replace("[[web.users]]", f"{extra}\n[[web.users]]", 1))
        log = tmp_path / f"web-{port}.log"

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

        with log.open("wb") as out:
            process = antrian(
                "--config", str(config), stdout=out, stderr=subprocess.STDOUT, preexec_fn=limit
            )
        web = WebDaemon(process, port, log)
        started.append(web)
        wait_for(lambda: get(f"http://127.0.0.1:{port}/healthz"), timeout=20)
        return web

    yield start
    for web in started:
        if web.process.poll() is None:
            web.process.kill()
            web.process.wait(10)


def test_live_pages_past_the_cap_get_503_and_healthz_still_answers(start_web: StartWeb) -> None:
    web = start_web(256, "max_live = 4")
    served = [Live(web.port) for _ in range(4)]
    assert [page.status for page in served] == [200] * 4
    refused = [Live(web.port) for _ in range(3)]
    assert [page.status for page in refused] == [503] * 3
    assert all(page.headers.get("retry-after") == str(RETRY_AFTER_S) for page in refused)
    assert all(page.closed_by_server() for page in refused)  # its descriptor is free again
    assert healthz_time(web.port) < 2.0
    served.pop().close()
    # the server notices the closed page, and its place is free for the next phone

    def one_more() -> Live | None:
        page = Live(web.port)
        if page.status == 200:
            return page
        page.close()
        return None

    wait_for(one_more, timeout=10).close()
    for page in served + refused:
        page.close()
    log = web.stop()
    assert log.count("live pages at their cap") == 1, log  # once a minute, not per refusal
    assert "Traceback" not in log and len(log.splitlines()) < 10, log


def test_the_default_cap_keeps_descriptors_free_below_the_file_limit(start_web: StartWeb) -> None:
    fd_limit = 128
    cap = plan(fd_limit, None).live
    web = start_web(fd_limit)
    pages = [Live(web.port) for _ in range(cap + 4)]
    statuses = [page.status for page in pages]
    assert statuses == [200] * cap + [503] * 4
    assert healthz_time(web.port) < 2.0
    assert pages[-1].headers.get("retry-after") == str(RETRY_AFTER_S)
    for page in pages:
        page.close()
    log = web.stop()
    assert "Too many open files" not in log and len(log.splitlines()) < 10, log


def test_a_flood_of_one_message_is_one_line_a_minute() -> None:
    now = [0.0]
    repeated = RepeatFilter(("socket.accept() out of system resource",), clock=lambda: now[0])
    logger = logging.getLogger("test.repeat")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logger.addHandler(keep)
    logger.addFilter(repeated)
    logger.propagate = False
    try:
        error = OSError(24, "Too many open files")
        for i in range(2000):
            now[0] = i / 20  # 2,000 failed accepts in 100 s
            exc_info = (OSError, error, None)
            logger.error(
                "socket.accept() out of system resource\nsocket: <fd=9>", exc_info=exc_info
            )
            logger.error("something else")
    finally:
        logger.removeFilter(repeated)
        logger.removeHandler(keep)
        logger.propagate = True
    floods = [r.getMessage() for r in records if r.getMessage().startswith("socket.accept")]
    assert floods == [
        "socket.accept() out of system resource (at most one line a minute)",
        "socket.accept() out of system resource (1200 times since the last line)",
    ]
    assert all(r.exc_info is None for r in records if r.getMessage().startswith("socket"))
    assert sum(r.getMessage() == "something else" for r in records) == 2000
