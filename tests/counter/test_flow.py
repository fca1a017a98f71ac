"""The desk's flow on an in-process broker (tests/local_broker.py): fast, no mosquitto.

With no hub, what the counter puts on the wire is read back from the broker; with the hub,
it is the real hub logic (tests/local_hub.py). tests/counter/test_counter_hub.py runs the
desk against mosquitto and a hub process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from common.mqtt import Message
from nodes.counter.flow import MAX_QUEUED
from tests.counter.conftest import Desk
from tests.counter.test_keys import CONFIG
from tests.hub.support import Clock
from tests.local_broker import LocalBroker, LocalLink
from tests.local_hub import TOPICS, LocalHub


@pytest.fixture
def broker() -> LocalBroker:
    return LocalBroker()


@pytest.fixture
def hub(broker: LocalBroker, tmp_path: Path) -> Iterator[LocalHub]:
    started = LocalHub(broker, tmp_path / "hub.db", Clock()).start()
    yield started
    started.stop()


def test_no_hub_presses_are_refused_visibly_and_never_sent_late(
    broker: LocalBroker, make_desk: Callable[..., Desk]
) -> None:
    watcher = LocalLink(broker, TOPICS, "watcher", "test")
    requests: list[Message] = []
    marker = threading.Event()
    request_topic = TOPICS.request("loket-1", "counter")
    watcher.subscribe(
        request_topic, lambda m: marker.set() if m.payload == b"marker" else requests.append(m)
    )
    watcher.start()
    desk = make_desk(broker, "loket-1", "1", request_timeout=3.0).connect()
    desk.desk.on_config(CONFIG)
    try:
        for _ in range(MAX_QUEUED + 3):  # an impatient officer on a dead hub
            desk.desk.press_key("call_next")
        desk.screen.wait_line("Tunggu sebentar")  # the queue is full: refused, visibly
        assert desk.desk.wait_idle(5)
        desk.screen.wait_line("Server tak jawab")
        # Everything the desk sent is in before this marker, sent after it fell idle.
        watcher.publish(request_topic, b"marker")
        assert marker.wait(5)
        # Only the first press went out (retries of one request share its transaction);
        # the ones queued behind it were refused when it timed out.
        transactions = {json.loads(m.payload)["transaction"] for m in requests}
        assert len(transactions) == 1, transactions
        # The broker is up but no hub has said anything.
        assert desk.screen.last == "LOKET 1 | MEMUAT | Server tak jawab"
    finally:
        watcher.stop()


def test_digits_and_prompts_answer_while_a_request_is_pending(
    broker: LocalBroker, make_desk: Callable[..., Desk]
) -> None:
    desk = make_desk(broker, "loket-1", "1", request_timeout=2.0).connect()
    desk.desk.on_config(CONFIG)
    desk.desk.press_key("call_next")  # waits for a hub that is not there
    desk.desk.press_key("transfer")
    desk.screen.wait_line("ALIHKAN KE: 1=A 2=B 3=C", timeout=1.0)
    desk.screen.wait_line("mengirim...", timeout=1.0)  # the slow request is visible too
    assert not desk.desk.idle()


def test_a_call_goes_through_the_hub_and_back_to_the_indicator(
    broker: LocalBroker, hub: LocalHub, make_desk: Callable[..., Desk]
) -> None:
    kiosk = LocalLink(broker, TOPICS, "kiosk-1", "kiosk")
    kiosk.start()
    try:
        for service in ("A", "B"):
            assert kiosk.request("ticket", {"service": service}, timeout=2).ok
    finally:
        kiosk.stop()
    desk = make_desk(broker, "loket-1", "1").connect()
    desk.screen.wait_line("LOKET 1 | BUKA | menunggu 2")  # the hub's retained config and state
    desk.desk.press_key("call_next")
    assert desk.screen.wait_line("MEMANGGIL") == "LOKET 1 | MEMANGGIL A-001 | menunggu 1"
    hub.stop()  # its status says offline: the desk shows it, whatever the broker says
    desk.screen.wait_line("OFFLINE")
