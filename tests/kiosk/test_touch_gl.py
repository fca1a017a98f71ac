"""The touch kiosk's screen as on the Pi: SDL draws pygame's window through a GLES2
renderer (the kiosk unit's SDL_FRAMEBUFFER_ACCELERATION=opengles2), whose EGL context
belongs to the thread that made the window. Here SDL's offscreen driver on the host's
Mesa (EGL, software rendering) stands in for kmsdrm on the Pi's GPU."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from common.node import SetupError
from nodes.kiosk.touch import ScreenConfig, TouchInput, TouchScreen
from tests.harness import wait_for


@pytest.fixture
def gles2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")
    monkeypatch.setenv("SDL_FRAMEBUFFER_ACCELERATION", "opengles2")
    # a test whose tool is missing fails: Mesa's EGL must be there
    assert any(Path(d).glob("libEGL.so.1") for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib"))


def test_the_screen_draws_through_gles2_from_its_own_thread(
    gles2: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The window was made on the daemon's main thread and drawn on the screen thread:
    the first flip failed ("eglMakeCurrent ... EGL_BAD_ACCESS"), the screen thread died
    and the kiosk stayed online with a black screen that took no taps (seen in qemu on
    kmsdrm)."""
    screen = TouchScreen(TouchInput(screen=ScreenConfig("fullscreen", 800, 480)))
    try:
        screen.start(lambda press: None)
        screen.feed("tap 400 240")  # handled, redrawn and flipped on the screen thread
        wait_for(lambda: screen._state.taps == 1)
        screen.feed("tap 400 240")
        wait_for(lambda: screen._state.taps == 2)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    finally:
        screen.close()


def test_a_screen_that_cannot_draw_stops_the_kiosk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not online with a dead screen: start() says why (the node exits 1, systemd retries)."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "no-such-driver")
    screen = TouchScreen(TouchInput(screen=ScreenConfig("fullscreen", 800, 480)))
    try:
        with pytest.raises(SetupError, match="the touch screen cannot draw"):
            screen.start(lambda press: None)
    finally:
        screen.close()


def test_a_finger_on_the_panel_is_drawn(gles2: None) -> None:
    """The panel's FINGERDOWN/FINGERUP changed the kiosk's state but nothing redrew it:
    the screen stayed as it was, and the next tap was judged against the old tiles (seen in
    qemu: a tap never woke the idle screen, though SDL delivered it)."""
    import pygame

    screen = TouchScreen(TouchInput(screen=ScreenConfig("fullscreen", 800, 480)))
    try:
        screen.start(lambda press: None)
        shown = screen.screen
        assert shown is not None
        tile = next(t for t in shown.tiles if t.kind == "language")
        x = (tile.rect.x + tile.rect.w / 2) / 800
        y = (tile.rect.y + tile.rect.h / 2) / 480
        for kind in (pygame.FINGERDOWN, pygame.FINGERUP):
            pygame.event.post(
                pygame.event.Event(kind, touch_id=1, finger_id=1, x=x, y=y, dx=0.0, dy=0.0)
            )

        def english() -> bool:
            now = screen.screen
            return now is not None and any(
                t.kind == "language" and t.label == "Bahasa Indonesia" for t in now.tiles
            )

        wait_for(english)
    finally:
        screen.close()
