"""The spoken kiosk: the issued number and the latest calls said through the display's
voice (espeak-ng, Indonesian) into WAV files, through the kiosk flow and a real hub."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

from common.speech.audio import read_wav
from common.speech.outputs import LOG_NAME, FileOutput
from common.speech.voices import EspeakVoice
from nodes.kiosk.buttons import LineButtons, ServiceButtons
from nodes.kiosk.daemon import read_config
from nodes.kiosk.flow import Kiosk, KioskSettings, led_for
from nodes.kiosk.printer import EscposPrinter
from nodes.kiosk.ticket import OfficeInfo
from nodes.kiosk.touch import ScreenConfig, TouchInput, TouchScreen
from nodes.kiosk.voice import KioskVoice
from tests.harness import wait_for
from tests.hub.support import TZ, Clock
from tests.kiosk.devices import SensorDummy
from tests.local_broker import LocalBroker, LocalLink
from tests.local_hub import TOPICS, LocalHub


@dataclass
class Spoken:
    kiosk: Kiosk
    buttons: ServiceButtons
    voice: KioskVoice
    dir: Path
    dummy: SensorDummy

    def said(self) -> list[str]:
        log = self.dir / LOG_NAME
        return log.read_text(encoding="utf-8").splitlines() if log.exists() else []

    def wavs(self) -> list[Path]:
        return sorted(self.dir.glob("*.wav"))


@pytest.fixture
def spoken(tmp_path: Path) -> Iterator[tuple[Spoken, LocalBroker]]:
    yield from _spoken(tmp_path, LineButtons(("A", "B"), stream=io.StringIO()))


def _spoken(tmp_path: Path, buttons: ServiceButtons) -> Iterator[tuple[Spoken, LocalBroker]]:
    broker = LocalBroker()
    hub = LocalHub(broker, tmp_path / "hub.db", Clock()).start()
    dummy = SensorDummy()
    printer = EscposPrinter(lambda: dummy, profile="TM-T20II", reads_status=True)
    link = LocalLink(broker, TOPICS, "kiosk-1", "kiosk")
    voice = KioskVoice(EspeakVoice("id"), FileOutput(tmp_path / "voice", pace=False))
    settings = KioskSettings(request_timeout_s=2.0, attempt_timeout_s=0.5, health_interval_s=0.1)
    office = OfficeInfo(name="Kantor Kecamatan Contoh")
    kiosk = Kiosk(
        link, buttons, printer, office, settings, tz=TZ, clock=lambda: Clock().now, voice=voice
    )
    kiosk.start()
    link.start()
    wait_for(lambda: led_for("A", kiosk.view()) == "lit")
    yield Spoken(kiosk, buttons, voice, tmp_path / "voice", dummy), broker
    kiosk.stop()
    link.stop()
    hub.stop()


def assert_speech(path: Path, min_s: float) -> None:
    pcm = read_wav(path)
    assert pcm.duration_s >= min_s, f"{path.name}: only {pcm.duration_s:.2f} s"
    assert pcm.rms() > 500, f"{path.name}: too quiet (RMS {pcm.rms():.0f})"


def test_a_printed_ticket_is_said_with_its_service(
    spoken: tuple[Spoken, LocalBroker],
) -> None:
    rig, _ = spoken
    assert isinstance(rig.buttons, LineButtons) and rig.buttons.feed("A")
    wait_for(lambda: len(rig.said()) == 1, timeout=30)
    assert rig.said()[0].endswith("Nomor antrian Anda A satu, layanan Kartu Keluarga")
    (wav,) = rig.wavs()
    assert "A-001" in wav.name
    assert_speech(wav, 2.0)  # about twelve syllables: well over two seconds


def publish_calls(broker: LocalBroker) -> LocalLink:
    """Two calls in the retained `state/calls`, as the hub publishes them."""
    now = Clock().now.isoformat()
    calls = [
        {"ticket_id": f"20250106-{n}-00{i}", "number": f"{n}-00{i}", "service": n,
         "counter": c, "counter_name": f"Loket {c}", "recall": 0,
         "called_at": now.replace("08:", f"0{7 + i}:", 1)}
        for i, n, c in ((2, "A", "1"), (1, "B", "2"))
    ]  # fmt: skip
    hub_side = LocalLink(broker, TOPICS, "hub-test", "hub")
    hub_side.start()
    hub_side.publish(TOPICS.state_calls, {"calls": calls}, retain=True)
    return hub_side


def test_now_serving_says_the_latest_call_of_each_counter(
    spoken: tuple[Spoken, LocalBroker],
) -> None:
    rig, broker = spoken
    hub_side = publish_calls(broker)
    # the kiosk has the calls once a "now" press says them; a press before is "nobody yet"
    wait_for(lambda: rig.kiosk._calls != ())
    assert isinstance(rig.buttons, LineButtons) and rig.buttons.feed("now")
    wait_for(lambda: len(rig.said()) == 1, timeout=30)
    text = rig.said()[0]
    assert text.endswith("Nomor A dua, di loket satu. Nomor B satu, di loket dua"), text
    (wav,) = rig.wavs()
    assert_speech(wav, 3.0)
    hub_side.stop()


NOW_BUTTON = """\
[office]
id = "kantor"
[node]
id = "kiosk-1"
[input]
type = "gpio"
[input.buttons.A]
pin = 17
[input.now]
pin = 5
"""


def test_the_gpio_now_serving_button_says_the_latest_calls(
    pins: MockFactory, tmp_path: Path
) -> None:
    """`[input.now] pin = 5`: a press of that button says the calls and prints nothing."""
    path = tmp_path / "kiosk.toml"
    path.write_text(NOW_BUTTON)
    buttons = read_config(path).input.build()
    rigs = _spoken(tmp_path, buttons)
    rig, broker = next(rigs)
    hub_side = publish_calls(broker)
    try:
        wait_for(lambda: rig.kiosk._calls != ())
        pins.pin(5).drive_low()
        pins.pin(5).drive_high()
        wait_for(lambda: len(rig.said()) == 1, timeout=30)
        assert rig.said()[0].endswith("Nomor A dua, di loket satu. Nomor B satu, di loket dua")
        assert_speech(rig.wavs()[0], 3.0)
        assert list(rig.kiosk.outcomes) == [] and rig.dummy.tickets() == 0
    finally:
        hub_side.stop()
        next(rigs, None)
        buttons.close()


def test_without_a_voice_now_serving_prints_nothing(tmp_path: Path) -> None:
    """A kiosk without [voice] takes "now" as no press at all (no ticket is asked for)."""
    broker = LocalBroker()
    dummy = SensorDummy()
    printer = EscposPrinter(lambda: dummy, profile="TM-T20II", reads_status=True)
    link = LocalLink(broker, TOPICS, "kiosk-1", "kiosk")
    buttons = LineButtons((), stream=io.StringIO())
    kiosk = Kiosk(link, buttons, printer, OfficeInfo(name="Kantor"), KioskSettings())
    kiosk.start()
    assert buttons.feed("now")
    assert kiosk.wait_idle(1.0) and list(kiosk.outcomes) == []
    kiosk.stop()


def test_the_touch_screens_now_serving_tile_says_the_latest_calls(tmp_path: Path) -> None:
    """The "Sedang dilayani" tile of a touch kiosk with a voice: said, nothing printed."""
    directory = tmp_path / "screen"
    config = TouchInput(
        idle_s=600.0, now_serving=True, screen=ScreenConfig("headless", 800, 480, directory)
    )
    screen = TouchScreen(config, stream=io.StringIO())
    rigs = _spoken(tmp_path, screen)
    rig, broker = next(rigs)
    hub_side = publish_calls(broker)

    def tile(key: str) -> dict[str, Any] | None:
        try:
            frame = json.loads((directory / "latest.json").read_text())
        except FileNotFoundError:  # not drawn yet
            return None
        return next((t for t in frame["tiles"] if t["key"] == key), None)

    def tap(key: str) -> None:
        found = tile(key)
        assert found is not None
        x, y, w, h = found["rect"]
        screen.feed(f"tap {x + w // 2} {y + h // 2}")

    try:
        wait_for(lambda: rig.kiosk._calls != () and tile("start") is not None)
        tap("start")
        wait_for(lambda: tile("now") is not None)
        now = tile("now")
        assert now is not None and now["enabled"]
        assert " ".join(t["text"] for t in now["texts"]) == "Sedang dilayani"
        tap("now")
        wait_for(lambda: len(rig.said()) == 1, timeout=30)
        assert rig.said()[0].endswith("Nomor A dua, di loket satu. Nomor B satu, di loket dua")
        assert_speech(rig.wavs()[0], 3.0)
        assert list(rig.kiosk.outcomes) == [] and rig.dummy.tickets() == 0
    finally:
        hub_side.stop()
        next(rigs, None)
        screen.close()
