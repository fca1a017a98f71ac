"""One contract per device interface, run against every adapter (real and simulated).

Voices: `EspeakVoice` (real) and `VoicePack` (recorded clips, here made by espeak-ng).
Outputs: `SpeakerOutput` (pygame.mixer on SDL's dummy audio) and `FileOutput`.
Panels: `HdmiPanel` (pygame's display on SDL's dummy video) and `HeadlessPanel`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pygame
import pytest

from common.speech.audio import chime
from common.speech.outputs import Announcement, AudioOutput, FileOutput, SpeakerOutput
from common.speech.phrase import TEMPLATES, build_phrase
from common.speech.voices import EspeakVoice, Voice, VoicePack
from nodes.display import voicepack
from nodes.display.panels import HdmiPanel, HeadlessPanel, Panel
from tests.display.office import WIB


@pytest.fixture(params=["espeak", "pack"])
def voice(request: pytest.FixtureRequest, tmp_path: Path) -> Voice:
    if request.param == "espeak":
        return EspeakVoice("id")
    pack = tmp_path / "pack"
    voicepack.main([str(pack), "--counters", "Loket 2", "--prefixes", "B", "--espeak"])
    return VoicePack(pack)


def test_voice_contract(voice: Voice) -> None:
    phrase = build_phrase(TEMPLATES["id"], number="B-105", counter_name="Loket 2")
    voice.prepare(phrase.pieces)
    started = time.monotonic()
    speech = voice.speak(phrase)
    assert time.monotonic() - started < 1.0  # prepared: ready at once
    assert (speech.rate, speech.channels) == (voice.rate, voice.channels)
    assert 2.0 <= speech.duration_s <= 8.0
    assert speech.rms() > 500
    assert voice.speak(phrase) == speech  # the same call sounds the same every time


@pytest.fixture(params=["speaker", "file"])
def output(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AudioOutput]:
    made: AudioOutput = SpeakerOutput() if request.param == "speaker" else FileOutput(tmp_path)
    yield made
    made.close()


def test_output_contract_plays_to_the_end(output: AudioOutput) -> None:
    sound = chime(22050)
    announcement = Announcement("A-001", "1", "Loket 1", "Nomor antrian A satu", datetime.now(WIB))
    started = time.monotonic()
    output.play(sound, announcement)
    assert time.monotonic() - started >= sound.duration_s - 0.05


@pytest.fixture(params=["hdmi", "headless"])
def panel(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Panel]:
    made: Panel = (
        HdmiPanel("window", 800, 450)
        if request.param == "hdmi"
        else HeadlessPanel(tmp_path, 800, 450)
    )
    yield made
    made.close()


def test_panel_contract(panel: Panel) -> None:
    assert panel.surface.get_size() == (800, 450)
    panel.surface.fill((1, 2, 3))
    panel.show([pygame.Rect(0, 0, 800, 450)])
    panel.show([])
    assert not panel.closed()
    assert panel.surface.get_at((400, 200))[:3] == (1, 2, 3)
