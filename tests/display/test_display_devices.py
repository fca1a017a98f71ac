"""The real device adapters on SDL's dummy drivers: the HDMI panel and the speaker."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

import pygame
import pytest

from common.speech.audio import chime
from common.speech.outputs import Announcement, SpeakerOutput
from nodes.display.panels import LATEST, HdmiPanel, HeadlessPanel
from tests.display.office import WIB

ANNOUNCEMENT = Announcement("A-001", "1", "Loket 1", "Nomor antrian A satu", datetime.now(WIB))


def test_window_panel_shows_dirty_rects() -> None:
    panel = HdmiPanel("window", 640, 360)
    try:
        assert panel.surface.get_size() == (640, 360)
        panel.surface.fill((255, 0, 0))
        panel.show([pygame.Rect(0, 0, 640, 360)])
        shown = pygame.display.get_surface()
        assert shown is not None and shown.get_at((10, 10))[:3] == (255, 0, 0)
        assert not panel.closed()
        pygame.event.post(pygame.event.Event(pygame.QUIT))
        assert panel.closed()
    finally:
        panel.close()


def test_window_panel_names_its_sdl_driver(caplog: pytest.LogCaptureFixture) -> None:
    """The technician's line when the screen stays dark: which SDL driver drew it."""
    caplog.set_level(logging.INFO, logger="nodes.display.panels")
    panel = HdmiPanel("window", 320, 200)
    try:
        assert "screen window at 320x200 (SDL dummy)" in caplog.text
    finally:
        panel.close()


def test_headless_panel_writes_pngs_and_prunes(tmp_path: Path) -> None:
    panel = HeadlessPanel(tmp_path, 320, 240, keep=3)
    panel.show([])  # nothing changed: no file
    assert list(tmp_path.iterdir()) == []
    for shade in range(5):
        panel.surface.fill((shade * 40, 0, 0))
        panel.show([panel.surface.get_rect()])
    shots = sorted(tmp_path.glob("screen-*.png"))
    assert len(shots) == 3 and shots[-1] == panel.last_path
    latest = pygame.image.load(str(tmp_path / LATEST))
    assert latest.get_at((5, 5))[:3] == (160, 0, 0)
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_speaker_plays_to_the_end_before_returning() -> None:
    speaker = SpeakerOutput()  # SDL_AUDIODRIVER=dummy in tests/conftest.py
    try:
        sound = chime(22050)
        started = time.monotonic()
        speaker.play(sound, ANNOUNCEMENT)
        elapsed = time.monotonic() - started
        assert sound.duration_s - 0.05 <= elapsed <= sound.duration_s + 1.2
    finally:
        speaker.close()
