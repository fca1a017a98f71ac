"""The touch screen kiosk against a real mosquitto and a real hub: fingers in as lines,
the screen out as latest.json and latest.png, tickets on python-escpos' Dummy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygame
import pytest

from common.mqtt import BrokerLink
from nodes.kiosk.flow import Kiosk, KioskSettings
from nodes.kiosk.printer import EscposPrinter
from nodes.kiosk.ticket import OfficeInfo
from nodes.kiosk.touch import NORMAL, ScreenConfig, TouchInput, TouchScreen
from tests.harness import HubProcess, Mosquitto, client, wait_for
from tests.kiosk.devices import PAPER_OUT, SensorDummy
from tests.kiosk.test_kiosk_hub import OPEN_A_CLOSED_B, TOPICS, WIB, hub_events


@dataclass
class TouchRig:
    kiosk: Kiosk
    screen: TouchScreen
    dummy: SensorDummy
    link: BrokerLink
    directory: Path

    def frame(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.directory / "latest.json").read_text()))
        except FileNotFoundError:
            return {}

    def tile(self, key: str) -> dict[str, Any]:
        return next(t for t in self.frame().get("tiles", []) if t["key"] == key)

    def centre(self, key: str) -> tuple[int, int]:
        x, y, w, h = self.tile(key)["rect"]
        return x + w // 2, y + h // 2

    def tap(self, key: str) -> None:
        self.screen.feed("tap {} {}".format(*self.centre(key)))

    def marker(self) -> None:
        """A tap on the language tile, waited for: every line before it has been handled."""
        lang = self.frame()["lang"]
        self.tap("en" if lang == "id" else "id")
        wait_for(lambda: self.frame()["lang"] != lang)

    def served(self) -> list[str]:
        return [o.result for o in self.kiosk.outcomes]


@pytest.fixture
def touch(hub: HubProcess, broker: Mosquitto, tmp_path: Path) -> Iterator[TouchRig]:
    with touch_rig(broker, tmp_path) as rig:
        yield rig


@contextmanager
def touch_rig(
    broker: Mosquitto,
    tmp_path: Path,
    size: tuple[int, int] = (800, 480),
    *,
    office_name: str = "Kantor Kecamatan Contoh",
    services: bool = True,
) -> Iterator[TouchRig]:
    """A touch kiosk on the services screen (or, without `services`, the idle one),
    against whatever hub is running."""
    directory = tmp_path / "screen"
    config = TouchInput(
        idle_s=600.0,
        issued_s=600.0,
        office_name=office_name,
        diagonal_in=7.0 if size == (800, 480) else 10.1,
        screen=ScreenConfig("headless", *size, directory),
    )
    screen = TouchScreen(config, stream=iter(()))  # type: ignore[arg-type]
    dummy = SensorDummy()
    printer = EscposPrinter(lambda: dummy, profile="TM-T20II", reads_status=True)
    link = BrokerLink(broker.config, TOPICS, "kiosk-1", role="kiosk")
    office = OfficeInfo(name=office_name)
    settings = KioskSettings(request_timeout_s=3.0, attempt_timeout_s=0.5, health_interval_s=0.2)
    kiosk = Kiosk(link, screen, printer, office, settings, tz=WIB)
    kiosk.start()
    assert link.start(wait=10)
    rig = TouchRig(kiosk, screen, dummy, link, directory)
    wait_for(lambda: rig.frame().get("screen") == "idle", timeout=10)
    if services:
        rig.tap("start")
        wait_for(lambda: rig.frame().get("screen") == "services" and rig.tile("A")["enabled"])
    try:
        yield rig
    finally:
        kiosk.stop()
        link.stop()
        screen.close()


def test_a_card_without_the_office_name_shows_the_hubs_on_the_idle_screen(
    hub: HubProcess, broker: Mosquitto, tmp_path: Path
) -> None:
    """`antrian provision` writes no office name on a kiosk's card: the idle screen, like
    the ticket, takes the one in the hub's retained config."""
    with touch_rig(broker, tmp_path, office_name="", services=False) as rig:

        def shown() -> str:  # the name is wrapped over lines
            return " ".join(t["text"] for t in rig.frame()["texts"])

        wait_for(lambda: "Kantor Kecamatan Contoh" in shown())
        assert rig.frame()["screen"] == "idle"
        assert rig.kiosk.office.name == "Kantor Kecamatan Contoh"


def test_each_tap_prints_exactly_one_ticket(touch: TouchRig, hub: HubProcess) -> None:
    touch.tap("A")
    wait_for(lambda: touch.frame()["screen"] == "issued", timeout=10)
    assert "A-001" in [t["text"] for t in touch.frame()["texts"]]
    touch.tap("done")
    wait_for(lambda: touch.frame()["screen"] == "services")
    touch.tap("B")
    wait_for(lambda: touch.frame()["screen"] == "issued", timeout=10)
    assert touch.served() == ["printed", "printed"]
    assert touch.dummy.tickets() == 2
    assert len(hub_events(hub, "ticket_issued")) == 2


def test_drags_palms_and_taps_while_printing_print_nothing_more(
    touch: TouchRig, hub: HubProcess
) -> None:
    x, y = touch.centre("A")
    touch.screen.feed(f"drag {x} {y} {x + 120} {y}")  # a swipe across the tile
    touch.screen.feed(f"palm {x} {y}")  # a hand leaning on it
    touch.screen.feed(f"down 0 {x} {y}")  # a finger that goes down on A...
    touch.screen.feed(f"down 1 {x + 40} {y}")  # ...with another beside it
    touch.screen.feed(f"up 1 {x + 40} {y}")
    touch.screen.feed(f"up 0 {x} {y}")
    touch.marker()
    assert touch.served() == [] and touch.dummy.tickets() == 0
    touch.marker()  # back to Indonesian
    for _ in range(10):  # a tap, then mashing while the ticket prints
        touch.screen.feed(f"tap {x} {y}")
    wait_for(lambda: touch.frame()["screen"] == "issued", timeout=10)
    assert touch.kiosk.wait_idle(10)
    assert touch.served() == ["printed"]
    assert touch.frame()["ignored"] >= 9
    assert touch.dummy.tickets() == 1
    assert len(hub_events(hub, "ticket_issued")) == 1


def pixel(rig: TouchRig, x: int, y: int) -> tuple[int, int, int]:
    image = pygame.image.load(str(rig.directory / "latest.png"))
    return tuple(image.get_at((x, y)))[:3]  # type: ignore[return-value]


def trouble(rig: TouchRig, words: str) -> bool:
    frame = rig.frame()
    return frame.get("alert") is True and any(words in t["text"] for t in frame["texts"])


def test_paper_out_says_so_and_greys_every_tile(touch: TouchRig) -> None:
    touch.dummy.paper = PAPER_OUT
    wait_for(lambda: trouble(touch, "Kertas tiket habis"), timeout=10)
    frame = touch.frame()
    assert any("hubungi petugas" in t["text"] for t in frame["texts"])
    services = [t for t in frame["tiles"] if t["kind"] == "service"]
    assert services and not any(t["enabled"] for t in services)
    assert pixel(touch, 3, 3) == NORMAL[6]  # the alert band
    tx, ty, _, _ = touch.tile("A")["rect"]
    assert pixel(touch, tx + 2, ty + 10) == NORMAL[3]  # the tile is grey
    touch.tap("A")
    touch.marker()
    assert touch.served() == [] and touch.dummy.tickets() == 0


def test_hub_down_says_so_and_greys_every_tile(touch: TouchRig, hub: HubProcess) -> None:
    hub.kill()
    wait_for(lambda: trouble(touch, "Tidak terhubung ke server antrian"), timeout=15)
    assert not any(t["enabled"] for t in touch.frame()["tiles"] if t["kind"] == "service")
    assert pixel(touch, 3, 3) == NORMAL[6]


def test_a_closed_service_is_shown_closed_and_cannot_be_taken(
    touch: TouchRig, broker: Mosquitto
) -> None:
    sender = client(broker, "hub-stand-in")
    try:
        sender.publish(TOPICS.state_queue, json.dumps(OPEN_A_CLOSED_B).encode())
        wait_for(lambda: not touch.tile("B")["enabled"])
    finally:
        sender.stop()
    assert "Tutup" in touch.tile("B")["label"]
    assert touch.tile("A")["enabled"]
    touch.tap("B")
    wait_for(lambda: trouble(touch, "KTP Elektronik sedang tutup"))
    assert touch.served() == [] and touch.dummy.tickets() == 0


def test_services_of_two_agencies_stand_under_their_headings(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """`agency` on a service in the hub's file reaches the screen through the retained
    `config`: A under its agency, B and C (none given) under "Layanan lainnya"."""
    agency = "Dinas Kependudukan dan Pencatatan Sipil"
    hub = HubProcess(broker, tmp_path / "hub", service_a_extra=f'agency = "{agency}"')
    hub.start()
    try:
        with touch_rig(broker, tmp_path, (1280, 800)) as touch:  # both on one page
            wait_for(lambda: touch.frame().get("headings"))
            frame = touch.frame()
            heads = {h["text"]: h["rect"]["y"] for h in frame["headings"]}
            assert list(heads) == [agency, "Layanan lainnya"]
            rows = {t["key"]: t["rect"][1] for t in frame["tiles"] if t["kind"] == "service"}
            assert heads[agency] < rows["A"] < heads["Layanan lainnya"] < rows["B"]
            assert rows["B"] == rows["C"]
            touch.tap("B")  # grouped or not, a tap is one ticket
            wait_for(lambda: touch.frame()["screen"] == "issued", timeout=10)
            assert touch.served() == ["printed"] and touch.dummy.tickets() == 1
    finally:
        hub.stop()
