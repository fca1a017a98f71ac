"""The in-process broker keeps the promises the flows rely on (the real one: test_mqtt.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from common.mqtt import Message, RequestTimeout
from common.wire import Topics, ok_response
from tests.local_broker import LocalBroker, LocalLink

T = Topics("kantor")


@pytest.fixture
def broker() -> LocalBroker:
    return LocalBroker()


@pytest.fixture
def links(broker: LocalBroker) -> Iterator[list[LocalLink]]:
    made: list[LocalLink] = []
    yield made
    for link in made:
        link.stop()


def started(broker: LocalBroker, links: list[LocalLink], node: str) -> LocalLink:
    link = LocalLink(broker, T, node, "test")
    link.start()
    links.append(link)
    return link


def test_retained_state_reaches_late_subscribers_once_and_clears(
    broker: LocalBroker, links: list[LocalLink]
) -> None:
    hub = started(broker, links, "hub")
    hub.publish(T.state_counter("1"), {"status": "open"}, retain=True)
    hub.publish(T.state_counter("2"), {"status": "open"}, retain=True)
    hub.publish(T.state_counter("2"), b"", retain=True)  # cleared
    seen: list[Message] = []
    done = threading.Event()
    desk = started(broker, links, "loket-1")
    desk.subscribe(T.state_counters, seen.append)
    desk.subscribe(T.config, lambda m: done.set())
    hub.publish(T.state_counter("1"), {"status": "paused"})
    hub.publish(T.config, {"marker": True})
    assert done.wait(5)
    assert [(m.topic, m.retain, json.loads(m.payload)["status"]) for m in seen] == [
        (T.state_counter("1"), True, "open"),
        (T.state_counter("1"), False, "paused"),  # live, so without the retain flag
    ]


def test_a_request_is_answered_by_its_subscriber_and_times_out_without_one(
    broker: LocalBroker, links: list[LocalLink]
) -> None:
    kiosk = started(broker, links, "kiosk-1")
    with pytest.raises(RequestTimeout):
        kiosk.request("ticket", {"service": "A"}, timeout=0.2, attempt_timeout=0.1)
    hub = started(broker, links, "hub")
    copies: list[str] = []

    def answer(message: Message) -> None:
        copies.append(json.loads(message.payload)["transaction"])
        if len(copies) == 2:  # the first copy goes unanswered: the second has its id
            topic = message.response_topic or ""
            hub.publish(topic, ok_response(copies[-1], {"number": "A-001"}))

    hub.subscribe(T.requests, answer)
    response = kiosk.request("ticket", {"service": "A"}, timeout=5, attempt_timeout=0.1)
    assert response.data == {"number": "A-001"} and copies[0] == copies[1]


def test_a_copy_expires_while_its_subscriber_is_busy(
    broker: LocalBroker, links: list[LocalLink]
) -> None:
    hub = started(broker, links, "hub")
    release, seen = threading.Event(), []

    def busy(message: Message) -> None:
        release.wait(5)

    hub.subscribe(T.node_statuses, busy)
    hub.subscribe(T.requests, lambda m: seen.append(json.loads(m.payload)["transaction"]))
    kiosk = started(broker, links, "kiosk-1")  # its status keeps the hub busy
    with pytest.raises(RequestTimeout):
        kiosk.request("ticket", {"transaction": "late"}, timeout=0.3, attempt_timeout=0.3)
    kiosk.publish(T.request("kiosk-1", "ticket"), {"transaction": "x"})
    release.set()
    done = threading.Event()
    hub.subscribe(T.config, lambda m: done.set())
    kiosk.publish(T.config, {})
    assert done.wait(5)
    assert seen == ["x"]  # the request given up on was never handled
