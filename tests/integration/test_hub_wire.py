"""The hub daemon on a real mosquitto: the contract of MQTT-API.md, request by request."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from common.mqtt import BrokerLink
from tests.harness import Collector, HubProcess, Mosquitto, client

BASE = "antrian/kantor"


def ticket(link: BrokerLink, service: str = "A", **extra: Any) -> dict[str, Any]:
    response = link.request("ticket", {"service": service, **extra}, timeout=5)
    assert response.ok, response
    return response.data


def event_count(hub: HubProcess) -> int:
    with sqlite3.connect(hub.db_path) as db:
        return int(db.execute("SELECT count(*) FROM events").fetchone()[0])


def test_ticket_answer_state_and_events(broker: Mosquitto, hub: HubProcess) -> None:
    watcher = client(broker, "watcher")
    seen = Collector(watcher, f"{BASE}/state/queue", f"{BASE}/event/ticket", f"{BASE}/config")
    kiosk = client(broker, "kiosk-1", "kiosk")
    first = ticket(kiosk)
    second = ticket(kiosk, priority=True)
    assert first["number"] == "A-001" and second["number"] == "A-002"
    assert first["service_name"] == "Kartu Keluarga"
    assert first["ticket_id"].endswith("-A-001")
    assert set(first) >= {"issued_at", "ahead", "estimated_wait_s"}
    assert second["ahead"] == 0  # a priority ticket goes before ordinary ones
    seen.wait(lambda p: p and p[-1]["A"]["waiting"] == 2, f"{BASE}/state/queue")
    seen.wait(lambda p: [e["event"] for e in p] == ["issued", "issued"], f"{BASE}/event/ticket")
    config = seen.wait(lambda p: p, f"{BASE}/config")[-1]
    assert [s["id"] for s in config["services"]] == ["A", "B", "C"]
    kiosk.stop()
    watcher.stop()


def test_call_flow_publishes_counter_state_and_call_event(
    broker: Mosquitto, hub: HubProcess
) -> None:
    watcher = client(broker, "watcher")
    seen = Collector(watcher, f"{BASE}/event/call", f"{BASE}/state/#")
    kiosk = client(broker, "kiosk-1", "kiosk")
    loket = client(broker, "loket-1", "counter")
    ticket(kiosk, "B")
    called = loket.request("counter", {"counter": "1", "action": "call_next"})
    assert called.ok and called.data["ticket"]["number"] == "B-001"
    assert called.data["status"] == "open"
    recalled = loket.request("counter", {"counter": "1", "action": "recall"})
    assert recalled.ok
    calls = seen.wait(lambda p: len(p) == 2 and p, f"{BASE}/event/call")
    assert [c["recall"] for c in calls] == [0, 1]
    assert calls[0]["counter_name"] == "Loket 1" and calls[0]["number"] == "B-001"
    state = seen.wait(lambda p: p and p[-1]["ticket"] and p, f"{BASE}/state/counter/1")[-1]
    assert state["name"] == "Loket 1" and state["ticket"]["number"] == "B-001"
    recent = seen.wait(lambda p: p and len(p[-1]["calls"]) == 2 and p, f"{BASE}/state/calls")
    assert recent[-1]["calls"][0]["recall"] == 1
    empty = loket.request("counter", {"counter": "1", "action": "call_next"})
    assert not empty.ok and empty.error_code == "queue_empty"
    for link in (kiosk, loket, watcher):
        link.stop()


def test_same_transaction_three_times_gives_one_ticket(broker: Mosquitto, hub: HubProcess) -> None:
    kiosk = client(broker, "kiosk-1", "kiosk")
    transaction = uuid.uuid4().hex
    answers = [ticket(kiosk, transaction=transaction) for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert ticket(kiosk)["number"] == "A-002"
    with sqlite3.connect(hub.db_path) as db:
        issued = db.execute("SELECT count(*) FROM events WHERE kind='ticket_issued'").fetchone()
    assert issued[0] == 2
    kiosk.stop()


def test_requests_from_the_wrong_node_are_forbidden(broker: Mosquitto, hub: HubProcess) -> None:
    stranger = client(broker, "kiosk-99", "kiosk")
    loket = client(broker, "loket-1", "counter")
    kiosk = client(broker, "kiosk-1", "kiosk")
    assert stranger.request("ticket", {"service": "A"}).error_code == "forbidden"
    assert loket.request("ticket", {"service": "A"}).error_code == "forbidden"
    assert kiosk.request("counter", {"counter": "1", "action": "call_next"}).error_code == (
        "forbidden"
    )
    other = loket.request("counter", {"counter": "2", "action": "call_next"})
    assert other.error_code == "forbidden"
    assert "loket 2" in (other.error_message or "").lower()
    unknown = loket.request("counter", {"counter": "9", "action": "call_next"})
    assert unknown.error_code == "unknown_counter"
    assert (
        kiosk.request(
            "admin", {"action": "service_accepting", "service": "A", "accepting": False}
        ).error_code
        == "forbidden"
    )
    assert event_count(hub) == 0
    for link in (stranger, loket, kiosk):
        link.stop()


MALFORMED = [
    ("ticket", b"not json", "bad_request"),
    ("ticket", b"[1, 2, 3]", "bad_request"),
    ("ticket", b'{"service": 12}', "bad_request"),
    ("ticket", b'{"priority": true}', "bad_request"),
    ("ticket", b'{"service": "Z"}', "unknown_service"),
    ("ticket", json.dumps({"service": "A", "x": "y" * 1_000_000}).encode(), "bad_request"),
    ("counter", b'{"counter": "7", "action": "call_next"}', "unknown_counter"),
    ("counter", b'{"counter": "1"}', "bad_request"),
    ("counter", b'{"counter": "1", "action": "finish"}', "invalid_state"),
    ("counter", b'{"counter": "1", "action": "transfer", "service": "Q"}', "unknown_service"),
]


def test_malformed_payloads_get_the_right_error_and_change_nothing(
    broker: Mosquitto, hub: HubProcess
) -> None:
    """Sent with mosquitto_pub as an MQTT 3.1.1 outside client would: no Response Topic,
    so the answer comes on `node/{node}/response/{verb}`."""
    watcher = client(broker, "watcher")
    seen = Collector(watcher, f"{BASE}/state/#", f"{BASE}/node/+/response/+")
    kiosk = client(broker, "kiosk-1", "kiosk")
    ticket(kiosk)  # something in the queue, so "unchanged" means something
    seen.wait(lambda p: p and p[-1]["A"]["waiting"] == 1, f"{BASE}/state/queue")
    before = event_count(hub)
    node_for = {"ticket": "kiosk-1", "counter": "loket-1"}
    for verb, raw, code in MALFORMED:
        topic = f"{BASE}/node/{node_for[verb]}/response/{verb}"
        count = len(seen.payloads(topic))
        # Through stdin (-s): a 1 MB command-line argument is not portable.
        subprocess.run(
            [
                "mosquitto_pub",
                "-p",
                str(broker.port),
                "-V",
                "mqttv311",
                "-q",
                "1",
                "-t",
                f"{BASE}/node/{node_for[verb]}/request/{verb}",
                "-s",
            ],
            input=raw,
            check=True,
            timeout=10,
        )
        answer = seen.wait(_newer_than(count), topic)
        assert answer["status"] == "error", (raw[:60], answer)
        assert answer["error"]["code"] == code, (raw[:60], answer)
        assert answer["error"]["message"]
    assert event_count(hub) == before
    assert seen.latest(f"{BASE}/state/queue")["A"]["waiting"] == 1  # type: ignore[index]
    # And the daemon is still serving.
    assert ticket(kiosk)["number"] == "A-002"
    kiosk.stop()
    watcher.stop()


def _newer_than(count: int) -> Callable[[list[dict[str, Any]]], Any]:
    """A Collector predicate: the newest payload once more than `count` have arrived."""
    return lambda payloads: len(payloads) > count and payloads[-1]


def test_mosquitto_rr_gets_an_mqtt5_answer(broker: Mosquitto, hub: HubProcess) -> None:
    result = subprocess.run(
        [
            "mosquitto_rr",
            "-p",
            str(broker.port),
            "-W",
            "10",
            "-t",
            f"{BASE}/node/kiosk-1/request/ticket",
            "-e",
            f"{BASE}/node/kiosk-1/response/ticket",
            "-m",
            json.dumps({"service": "C", "transaction": "rr-1"}),
        ],
        capture_output=True,
        check=True,
        timeout=15,
    )
    answer = json.loads(result.stdout)
    assert answer["status"] == "ok" and answer["transaction"] == "rr-1"
    assert answer["data"]["number"] == "C-001"


@pytest.mark.slow
def test_hub_republishes_retained_state_after_broker_restart(
    broker: Mosquitto, hub: HubProcess
) -> None:
    kiosk = client(broker, "kiosk-1", "kiosk")
    ticket(kiosk, "C")
    kiosk.stop()
    broker.restart()  # the test broker keeps nothing: retained state is gone with it
    watcher = client(broker, "watcher")
    seen = Collector(watcher, f"{BASE}/state/queue", f"{BASE}/node/hub/status")
    state = seen.wait(lambda p: p, f"{BASE}/state/queue", timeout=40)
    assert state[-1]["C"]["waiting"] == 1 and state[-1]["C"]["last_issued"] == "C-001"
    seen.wait(lambda p: p and p[-1]["online"], f"{BASE}/node/hub/status")
    watcher.stop()
