"""The published service standard on the web (real hub, broker and web node): the public
board shows it beside today's average, the dashboard warns when a wait passes it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.harness import HubProcess, Mosquitto, client, wait_for
from tests.web.conftest import WebFactory
from tests.web.test_pages import row, sign_in


@pytest.fixture
def standard_hub(broker: Mosquitto, tmp_path: Path) -> Iterator[HubProcess]:
    """The test office; Kartu Keluarga publishes a 1-minute waiting standard."""
    process = HubProcess(broker, tmp_path / "hub", service_a_extra="standard_wait_minutes = 1")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def loket(broker: Mosquitto) -> Callable[..., dict[str, Any]]:
    link = client(broker, "loket-1", "counter")

    def press(action: str) -> dict[str, Any]:
        answer = link.request("counter", {"counter": "1", "action": action})
        assert answer.ok, answer.error_code
        return answer.data

    return press


def test_the_board_shows_the_standard_beside_todays_average(
    make_web: WebFactory, standard_hub: HubProcess, broker: Mosquitto
) -> None:
    web = make_web(standard_hub)
    kiosk = client(broker, "kiosk-1", "kiosk")
    with web.client() as browser:
        before = row(browser.get("/").text, 'data-service="A"')
        assert "Standar 1 mnt · hari ini belum ada" in before
        assert "Standar" not in row(browser.get("/").text, 'data-service="B"')
        assert kiosk.request("ticket", {"service": "A"}).ok
        press = loket(broker)
        press("open")
        press("call_next")
        wait_for(lambda: web.model.queues["A"].average_wait_s is not None, timeout=10)
        after = row(browser.get("/").text, 'data-service="A"')
        # Called at once: today's average rounds up to the smallest minute said.
        assert "Standar 1 mnt · hari ini rata-rata 1 mnt" in after
        api = browser.get("/api/papan").json()
        (entry,) = [s for s in api["services"] if s["id"] == "A"]
        assert entry["standard_text"] == "Standar 1 mnt · hari ini rata-rata 1 mnt"
    kiosk.stop()


def test_the_dashboard_warns_when_the_longest_wait_passes_the_standard(
    make_web: WebFactory, standard_hub: HubProcess, broker: Mosquitto
) -> None:
    web = make_web(standard_hub)
    kiosk = client(broker, "kiosk-1", "kiosk")
    assert kiosk.request("ticket", {"service": "A"}).ok
    assert kiosk.request("ticket", {"service": "B"}).ok
    wait_for(lambda: len(web.model.tickets) == 2, timeout=10)
    with web.client() as head:
        sign_in(head)
        fresh = row(head.get("/dasbor").text, 'data-service="A"')
        assert "Melewati standar" not in fresh and "over-standard" not in fresh
        # Seventy seconds later (the page's clock): A's ticket has waited past 1 minute.
        real = web.state.feed.clock
        moment = real() + timedelta(seconds=70)
        web.state.feed.clock = lambda: moment
        try:
            page = head.get("/dasbor").text
        finally:
            web.state.feed.clock = real
        late = row(page, 'data-service="A"')
        assert 'class="over-standard"' in late
        assert re.search(r"Melewati standar 1 menit", late)
        # B has no standard: no warning however long it waits.
        assert "Melewati" not in row(page, 'data-service="B"')
    kiosk.stop()
