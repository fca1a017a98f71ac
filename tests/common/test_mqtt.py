"""BrokerLink against a real mosquitto: status, Last Will, request/response, retries."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

from common.mqtt import BrokerLink, Message, RequestTimeout
from common.wire import Topics, encode
from tests.harness import ROOT, Collector, Mosquitto, client, wait_for

TOPICS = Topics("kantor")


def responder(link: BrokerLink, *, drop_first: int = 0) -> list[dict]:
    """A peer that answers every ticket request like the hub would (MQTT 5 style)."""
    seen: list[dict] = []

    def on_request(message: Message) -> None:
        payload = json.loads(message.payload)
        seen.append(payload)
        if len(seen) <= drop_first:
            return
        assert message.response_topic is not None
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.PUBLISH)
        props.CorrelationData = message.correlation_data
        link.publish(
            message.response_topic,
            {"status": "ok", "transaction": payload["transaction"], "data": {"n": len(seen)}},
            properties=props,
        )

    link.subscribe(TOPICS.requests, on_request)
    return seen


def test_status_is_retained_and_cleared_on_stop(broker: Mosquitto) -> None:
    watcher = client(broker, "watcher")
    node = client(broker, "kiosk-1", "kiosk")
    node.set_status(printer="ok")
    seen = Collector(watcher, TOPICS.node_status("kiosk-1"))
    seen.wait(lambda p: p and p[-1].get("printer") == "ok" and p[-1]["online"])
    node.stop()
    seen.wait(lambda p: p[-1]["online"] is False)
    watcher.stop()


def test_last_will_marks_a_killed_node_offline(broker: Mosquitto) -> None:
    script = (
        "import time\n"
        "from common.config import BrokerConfig\n"
        "from common.mqtt import BrokerLink\n"
        "from common.wire import Topics\n"
        f"link = BrokerLink(BrokerConfig(port={broker.port}, keepalive=5), Topics('kantor'),"
        " 'kiosk-9', 'kiosk')\n"
        "assert link.start(wait=5)\n"
        "print('up', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"up"
    watcher = client(broker, "watcher")
    seen = Collector(watcher, TOPICS.node_status("kiosk-9"))
    seen.wait(lambda p: p and p[-1]["online"] is True)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The broker notices the dead socket at once (RST) and publishes the retained will.
    seen.wait(lambda p: p[-1]["online"] is False, timeout=10)
    watcher.stop()


def test_request_gets_its_answer_and_retries_keep_the_transaction(broker: Mosquitto) -> None:
    hub = client(broker, "hub", "hub")
    seen = responder(hub, drop_first=1)
    kiosk = client(broker, "kiosk-1", "kiosk")
    response = kiosk.request("ticket", {"service": "A"}, timeout=5, attempt_timeout=0.3)
    assert response.ok
    assert len(seen) == 2
    assert seen[0]["transaction"] == seen[1]["transaction"] == response.transaction
    kiosk.stop()
    hub.stop()


def test_request_times_out_when_nobody_answers(broker: Mosquitto) -> None:
    kiosk = client(broker, "kiosk-1", "kiosk")
    started = time.monotonic()
    try:
        kiosk.request("ticket", {"service": "A"}, timeout=1.0, attempt_timeout=0.3)
    except RequestTimeout:
        pass
    else:
        raise AssertionError("expected RequestTimeout")
    assert 0.9 < time.monotonic() - started < 2.0
    kiosk.stop()


def test_no_request_copy_outlives_the_senders_wait(broker: Mosquitto) -> None:
    """A hub that comes back the moment the sender gave up must find no copy waiting:
    every copy's expiry ends before the sender's deadline, even by mosquitto's clock,
    which keeps a message up to a second past its interval."""
    from common.config import BrokerConfig

    def hub_session() -> BrokerLink:
        return BrokerLink(
            BrokerConfig(port=broker.port),
            TOPICS,
            "hub",
            "hub",
            client_id="late-hub",
            persistent_session=True,
        )

    got: list[dict] = []
    late = hub_session()
    late.subscribe(TOPICS.requests, lambda m: got.append(json.loads(m.payload)))
    assert late.start(wait=5)
    late.stop()  # offline; the broker queues the requests for its session
    kiosk = client(broker, "kiosk-1", "kiosk")
    sent = Collector(kiosk, TOPICS.request("kiosk-1", "ticket"))
    with contextlib.suppress(RequestTimeout):
        kiosk.request("ticket", {"service": "A"}, timeout=3.0, attempt_timeout=0.7)
    # The sender stopped waiting just now; the hub is back at once.
    late2 = hub_session()
    late2.subscribe(TOPICS.requests, lambda m: got.append(json.loads(m.payload)))
    assert late2.start(wait=5)
    assert len(sent.messages) >= 2  # the copies went out (and were retried)
    # Proof of delivery: a later message on the same path arrives after any queued copy.
    kiosk.publish(TOPICS.request("kiosk-1", "ticket"), {"marker": True})
    wait_for(lambda: got)
    assert got == [{"marker": True}], "a copy outlived the sender's wait"
    late2.stop()
    kiosk.stop()


def test_copy_expiry_ends_before_the_deadline_by_the_brokers_clock() -> None:
    from common.mqtt import BROKER_EXPIRY_SLACK_S, MIN_REQUEST_TIMEOUT_S, copy_expiry

    for tenth in range(0, 120):
        remaining = tenth / 10
        expiry = copy_expiry(remaining)
        if expiry is not None:
            assert expiry >= 1  # 0 would mean "never expires"
            # mosquitto may deliver until a second past the interval: still in time.
            assert expiry + BROKER_EXPIRY_SLACK_S <= remaining
    assert copy_expiry(0.5) is None and copy_expiry(1.9) is None
    assert copy_expiry(5.0) == 3
    assert copy_expiry(MIN_REQUEST_TIMEOUT_S - 0.01) == 1  # the config minimum lets one out


def test_subscriptions_and_status_survive_a_broker_restart(broker: Mosquitto) -> None:
    node = client(broker, "display-1", "display")
    got: list[str] = []
    node.subscribe(TOPICS.event_call, lambda m: got.append(m.topic))
    changes: list[bool] = []
    node.on_connection(changes.append)
    broker.restart()
    wait_for(lambda: node.connected and changes[-1:] == [True], timeout=40)
    sender = client(broker, "hub", "hub")
    sender.publish(TOPICS.event_call, encode({"number": "A-001"}))
    wait_for(lambda: got, timeout=5)
    watcher = client(broker, "watcher")
    seen = Collector(watcher, TOPICS.node_status("display-1"))
    seen.wait(lambda p: p and p[-1]["online"] is True)
    for link in (node, sender, watcher):
        link.stop()


def test_request_from_the_network_thread_is_refused(broker: Mosquitto) -> None:
    node = client(broker, "kiosk-1", "kiosk")
    errors: list[Exception] = []
    done = threading.Event()

    def handler(message: Message) -> None:
        try:
            node.request("ticket", {"service": "A"}, timeout=0.5)
        except Exception as exc:
            errors.append(exc)
        done.set()

    node.subscribe("antrian/kantor/poke", handler)
    node.publish("antrian/kantor/poke", b"{}")
    assert done.wait(5)
    assert isinstance(errors[0], RuntimeError)
    node.stop()


def test_topic_filters_match_like_the_broker() -> None:
    from common.mqtt import topic_matches

    assert topic_matches("a/+/c", "a/b/c")
    assert topic_matches("a/#", "a/b/c")
    assert topic_matches("a/#", "a")
    assert topic_matches(
        "antrian/kantor/node/+/request/+", "antrian/kantor/node/k-1/request/ticket"
    )
    assert not topic_matches("a/+/c", "a/b/c/d")
    assert not topic_matches("a/+", "a")
    assert not topic_matches("a/b", "a/c")
    assert not topic_matches("a/b/c", "a/b")
