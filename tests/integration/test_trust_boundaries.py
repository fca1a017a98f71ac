"""Attacks by one ordinary node account, against the real broker (with the generated ACL)
and the real hub: the hub answers only on the requester's own response topics, no node
speaks for the hub, and a malformed payload is a `bad_request`, never a crash."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from gpiozero.pins.mock import MockFactory
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from common.config import BrokerConfig
from common.mqtt import BrokerLink, Link, Message
from nodes.display.daemon import DisplayNode
from nodes.display.settings import read_config as read_display_config
from nodes.kiosk.buttons import ButtonPins, GpioButtons
from nodes.kiosk.flow import Kiosk, KioskSettings
from nodes.kiosk.printer import EscposPrinter
from nodes.kiosk.ticket import OfficeInfo
from tests.counter.conftest import Desk
from tests.display.test_display_daemon import write_config as write_display_config
from tests.harness import Collector, HubProcess, Mosquitto, wait_for
from tests.integration.test_broker_acl import NODE_PASSWORD, T, secured
from tests.kiosk.devices import SensorDummy

__all__ = ["secured"]  # the fixture, shared with test_broker_acl

Office = tuple[Mosquitto, HubProcess]


@pytest.fixture
def accounts(secured: Office) -> Iterator[Callable[[str], BrokerLink]]:
    """`accounts(node)`: a link logged in with that node's account; all stopped after."""
    made: list[BrokerLink] = []

    def make(node: str, link_id: str | None = None) -> BrokerLink:
        link = BrokerLink(credentials(secured[0], node), T, link_id or node, "test")
        made.append(link)
        assert link.start(wait=5), f"{node} could not log in"
        return link

    yield make
    for link in made:
        link.stop()


def credentials(broker: Mosquitto, node: str) -> BrokerConfig:
    return BrokerConfig(port=broker.port, username=node, password=NODE_PASSWORD)


def raw_request(
    link: BrokerLink, node: str, verb: str, payload: bytes, response_topic: str, tag: str
) -> None:
    """A request as any MQTT 5 client may send it: its own Response Topic and tag."""
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = response_topic
    props.CorrelationData = tag.encode()
    link.publish(T.request(node, verb), payload, properties=props)


class Answers:
    """Every answer on `node`'s response topics, with its Correlation Data. Read with the
    node's account but another link: a node's own link keeps its answers to itself."""

    def __init__(self, accounts: Callable[..., BrokerLink], node: str) -> None:
        self.got: list[tuple[str, bytes | None, dict]] = []
        self._lock = threading.Lock()
        link = accounts(node, f"{node}-observer")
        link.subscribe(f"{T.base}/node/{node}/response/#", self._on)
        # Subscribed once our own message on that path comes back; answers sent before
        # that would be lost, so no test may start before.
        raw = Properties(PacketTypes.PUBLISH)
        raw.CorrelationData = b"ready"
        link.publish(f"{T.base}/node/{node}/response/ready", {}, properties=raw)
        self.wait("ready")

    def _on(self, message: Message) -> None:
        with self._lock:
            self.got.append((message.topic, message.correlation_data, json.loads(message.payload)))

    def wait(self, tag: str, timeout: float = 5.0) -> list[tuple[str, dict]]:
        found: list[tuple[str, dict]] = wait_for(lambda: self.tagged(tag), timeout=timeout)
        return found

    def tagged(self, tag: str) -> list[tuple[str, dict]]:
        with self._lock:
            return [(t, p) for t, c, p in self.got if c == tag.encode()]


def test_a_foreign_response_topic_is_refused_and_changes_nothing(
    secured: Office, accounts: Callable[..., BrokerLink]
) -> None:
    display = accounts("display-1")
    kiosk = accounts("kiosk-1")
    state = Collector(display, T.state_queue)
    answers = Answers(accounts, "display-1")
    own_requests = Collector(kiosk, T.request("kiosk-1", "ticket"))
    state.wait(lambda p: p)  # the retained state as the hub published it
    # 1. Make the hub "answer" onto the retained queue state.
    raw_request(display, "display-1", "ticket", b'{"service":"A"}', T.state_queue, "s1")
    # 2. Make the hub relay a request as kiosk-1, with a transaction kiosk-1 will use.
    relay = json.dumps({"service": "A", "transaction": "T-relay"}).encode()
    raw_request(display, "display-1", "ticket", relay, T.request("kiosk-1", "ticket"), "r1")
    for tag in ("s1", "r1"):
        (topic, answer), *_ = answers.wait(tag)
        assert topic == T.response("display-1", "ticket")
        assert answer["status"] == "error" and answer["error"]["code"] == "forbidden"
    assert answers.tagged("r1")[0][1]["transaction"] == "T-relay"
    # Nothing was stored under kiosk-1: its own request with that transaction is new.
    ticket = kiosk.request("ticket", {"service": "A", "transaction": "T-relay"})
    assert ticket.ok and ticket.data["number"] == "A-001"
    state.wait(lambda p: p[-1]["A"]["waiting"] == 1)
    assert all("status" not in p for p in state.payloads()), "an answer reached state/queue"
    assert [p.get("status") for p in own_requests.payloads()] == [None], "a relayed request"
    # A fresh subscriber gets a queue state, not an answer.
    fresh = Collector(accounts("loket-1"), T.state_queue)
    assert fresh.wait(lambda p: p)[-1]["A"]["waiting"] == 1


def test_refusals_are_logged_once_a_minute_not_once_a_message(
    secured: Office, accounts: Callable[..., BrokerLink]
) -> None:
    hub = secured[1]
    display = accounts("display-1")
    answers = Answers(accounts, "display-1")
    for n in range(40):
        raw_request(display, "display-1", "ticket", b'{"service":"A"}', T.state_queue, f"m{n}")
    wait_for(lambda: all(answers.tagged(f"m{n}") for n in range(40)), timeout=10)
    lines = [line for line in hub.log().splitlines() if "Response Topic" in line]
    assert len(lines) == 1, lines


def test_an_own_response_topic_works_for_mosquitto_rr(
    secured: Office, accounts: Callable[..., BrokerLink]
) -> None:
    broker, _ = secured
    result = subprocess.run(
        [
            "mosquitto_rr",
            *("-V", "5", "-p", str(broker.port), "-u", "kiosk-1", "-P", NODE_PASSWORD),
            *("-t", T.request("kiosk-1", "ticket")),
            *("-e", f"{T.base}/node/kiosk-1/response/rr/1"),
            *("-m", '{"service":"B"}', "-W", "10"),
        ],
        capture_output=True,
        timeout=15,
        check=True,
    )
    answer = json.loads(result.stdout)
    assert answer["status"] == "ok" and answer["data"]["number"] == "B-001"


def test_deeply_nested_json_is_a_bad_request(
    secured: Office, accounts: Callable[..., BrokerLink]
) -> None:
    hub = secured[1]
    kiosk = accounts("kiosk-1")
    answers = Answers(accounts, "kiosk-1")
    depth = 5000
    for tag, payload in (
        ("objects", '{"a":' * depth + "1" + "}" * depth),
        ("arrays", '{"service":' + "[" * depth + "]" * depth + "}"),
        ("in-strings", '{"service":"' + "[" * depth + '"}'),  # brackets in a string: fine
    ):
        raw_request(
            kiosk, "kiosk-1", "ticket", payload.encode(), T.response("kiosk-1", "ticket"), tag
        )
        ((_, answer),) = answers.wait(tag)
        assert answer["error"]["code"] == "bad_request", (tag, answer)
    assert "Traceback" not in hub.log()
    assert kiosk.request("ticket", {"service": "A"}).ok


def start_kiosk(broker: Mosquitto, factory: MockFactory) -> tuple[Kiosk, BrokerLink]:
    buttons = GpioButtons([ButtonPins("A", 2, 3)])
    printer = EscposPrinter(lambda: SensorDummy(), profile="TM-T20II", reads_status=True)
    link = BrokerLink(credentials(broker, "kiosk-1"), T, "kiosk-1", role="kiosk")
    settings = KioskSettings(request_timeout_s=5.0, health_interval_s=0.2)
    kiosk = Kiosk(link, buttons, printer, OfficeInfo(name="Kantor"), settings, tz=WIB)
    kiosk.start()
    assert link.start(wait=10)
    return kiosk, link


WIB = ZoneInfo("Asia/Jakarta")


def test_a_node_saying_it_is_the_hub_is_not_believed(
    secured: Office, accounts: Callable[..., BrokerLink], pins: MockFactory, tmp_path: Path
) -> None:
    broker, hub = secured
    kiosk, kiosk_link = start_kiosk(broker, pins)
    lamp = pins.pin(3)
    desk = Desk(credentials(broker, "loket-1"), "loket-1", "1").connect()
    display_config = read_display_config(write_display_config(tmp_path / "display", broker.port))
    display = DisplayNode(
        display_config,
        display_config.screen.panel.build(),
        None,
        None,
        link=BrokerLink(credentials(broker, "display-1"), T, "display-1", role="display"),
    )
    display.subscribe()
    assert display.link.start(wait=10)
    # Every node's own link also hands statuses to this watcher, after the node's handler.
    seen: dict[str, list[tuple[str, dict]]] = {}

    def watch(name: str, link: Link) -> None:
        got = seen.setdefault(name, [])
        link.subscribe(T.node_statuses, lambda m: got.append((m.topic, json.loads(m.payload))))

    for name, link in (("kiosk", kiosk_link), ("desk", desk.link), ("display", display.link)):
        watch(name, link)

    def heard(topic: str, online: bool) -> bool:
        return all(
            any(t == topic and p.get("online") is online for t, p in s) for s in seen.values()
        )

    try:
        wait_for(lambda: lamp.state == 1, timeout=10)
        desk.screen.wait_line("LOKET 1 | BUKA", timeout=10)
        wait_for(lambda: heard(T.node_status("hub"), True), timeout=10)
        liar = accounts("loket-3")
        liar.publish(T.node_status("loket-3"), {"online": False, "role": "hub"}, retain=True)
        wait_for(lambda: heard(T.node_status("loket-3"), False))
        assert lamp.state == 1
        assert desk.desk.view().online
        with display.lock:
            assert display.board.view(display.now()).online
        pins.pin(2).drive_low()
        pins.pin(2).drive_high()
        wait_for(lambda: [o.result for o in kiosk.outcomes if o.result != "ignored"])
        assert [o.result for o in kiosk.outcomes if o.result != "ignored"] == ["printed"]
        # The real hub's Last Will is still believed.
        hub.kill()
        wait_for(lambda: heard(T.node_status("hub"), False), timeout=10)
        wait_for(lambda: lamp.state == 0)
        desk.screen.wait_line("LOKET 1 | OFFLINE")
        assert not desk.desk.view().online
        with display.lock:
            assert not display.board.view(display.now()).online
    finally:
        kiosk.stop()
        kiosk_link.stop()
        desk.stop()
        display.link.stop()
