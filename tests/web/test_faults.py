"""Faults the web node must ride out: broker restart, hub restart, garbage on state topics."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.harness import HubProcess, Mosquitto, client, wait_for
from tests.web.conftest import WebNode


def test_broker_restart_then_live_again(
    web: WebNode, broker: Mosquitto, hub: HubProcess, kiosk: Callable[[str], str]
) -> None:
    kiosk("A")
    wait_for(lambda: web.model.queues["A"].waiting == 1)
    broker.restart()
    wait_for(lambda: web.link.connected, timeout=40)
    hub.wait_online(timeout=40)
    kiosk("A")  # the kiosk link reconnects by itself too
    wait_for(lambda: web.model.queues["A"].waiting == 2, timeout=10)
    with web.client() as browser:
        assert browser.get("/healthz").status_code == 200


def test_hub_killed_and_restarted_positions_still_right(
    web: WebNode, hub: HubProcess, kiosk: Callable[[str], str]
) -> None:
    first = kiosk("B")
    second = kiosk("B")
    hub.kill()
    hub.start()
    third = kiosk("B")
    wait_for(lambda: web.model.ahead_of(third) == 2, timeout=10)
    assert (web.model.ahead_of(first), web.model.ahead_of(second)) == (0, 1)


def test_garbage_on_state_topics_changes_nothing(web: WebNode, broker: Mosquitto) -> None:
    before = web.model.board()
    intruder = client(broker, "rogue", "test")
    topics = web.link.topics
    for topic in (topics.state_queue, topics.config, topics.state_calls, topics.event_call):
        intruder.publish(topic, b"\xff not json")
        intruder.publish(topic, b"[1, 2, 3]")
    intruder.publish(topics.state_counter("1"), b"{")
    intruder.publish(topics.node_status("kiosk-9"), b"\x00")
    # A valid message after the garbage: once it is in, the garbage has been handled.
    intruder.publish(topics.node_status("sentinel"), {"online": True, "role": "test"})
    wait_for(lambda: "sentinel" in web.model.nodes)
    intruder.stop()
    with web.client() as browser:
        assert browser.get("/").status_code == 200
    after = web.model.board()
    assert {k: v for k, v in after.items() if k != "version"} == {
        k: v for k, v in before.items() if k != "version"
    }
    assert "kiosk-9" not in web.model.nodes


def test_a_retained_queue_state_of_another_shape_is_refused_logged_once_and_counted(
    web: WebNode, broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    """Valid JSON in a shape the contract does not name (the list form nodes used to
    guess at) is not read: the web keeps its view, says so once, and counts each one."""
    before = dict(web.model.queues)
    gate = web.state.feed.gate
    refused = gate.refused
    intruder = client(broker, "rogue", "test")
    topics = web.link.topics
    wrong = {"services": [{"id": "A", "waiting": 99, "open": False}]}
    with caplog.at_level(logging.WARNING, logger="nodes.hub.web.office"):
        for _ in range(3):
            intruder.publish(topics.state_queue, wrong, retain=True)
        wait_for(lambda: gate.refused == refused + 3)
    intruder.publish(topics.state_queue, b"", retain=True)  # no retained garbage for others
    intruder.stop()
    assert web.model.queues == before
    lines = [r for r in caplog.records if topics.state_queue in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in lines]
