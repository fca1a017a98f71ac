"""The wait estimate through the real hub: it counts only counters that are open AND whose
counter device is online, as the hub sees the devices' retained statuses on the broker."""

from __future__ import annotations

from typing import Any

from common.mqtt import BrokerLink
from tests.harness import Collector, HubProcess, Mosquitto, client

BASE = "antrian/kantor"
QUEUE = f"{BASE}/state/queue"


def ticket(kiosk: BrokerLink, service: str) -> dict[str, Any]:
    response = kiosk.request("ticket", {"service": service}, timeout=5)
    assert response.ok, response
    return response.data


def test_estimate_follows_counter_devices_coming_and_going(
    broker: Mosquitto, hub: HubProcess
) -> None:
    watcher = client(broker, "watcher")
    seen = Collector(watcher, QUEUE)
    kiosk = client(broker, "kiosk-1", "kiosk")

    def b_estimate_is(value: int | None) -> None:
        seen.wait(lambda p: p and p[-1]["B"]["estimated_wait_s"] == value, QUEUE)

    # Counters 1 and 2 (both serve B) are "open" but no device is online: no promise.
    first = ticket(kiosk, "B")
    assert (first["ahead"], first["estimated_wait_s"]) == (0, None)
    b_estimate_is(None)

    loket_1 = client(broker, "loket-1", "counter")
    # The default 5 minutes before any B is served: 300 × (1 waiting + 1) / Loket 1 alone.
    b_estimate_is(600)
    second = ticket(kiosk, "B")
    assert (second["ahead"], second["estimated_wait_s"]) == (1, 600)

    loket_2 = client(broker, "loket-2", "counter")
    b_estimate_is(450)  # 300 × (2 + 1) / 2
    loket_2.stop()  # its retained status says offline
    b_estimate_is(900)

    closed = loket_1.request("counter", {"counter": "1", "action": "close"}, timeout=5)
    assert closed.ok
    b_estimate_is(None)  # online, but closed
    third = ticket(kiosk, "B")
    assert third["estimated_wait_s"] is None
    for link in (loket_1, kiosk, watcher):
        link.stop()
