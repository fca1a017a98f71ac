"""The sample-office preview that draws docs/img/display-1920x1080.png."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from nodes.display import preview
from nodes.display.screen import ACCENT, OFFLINE


@pytest.mark.parametrize("size", ["1920x1080", "1080x1920", "1280x720"])
def test_preview_writes_the_screen(tmp_path: Path, size: str) -> None:
    out = tmp_path / f"{size}.png"
    assert preview.main([str(out), "--size", size]) == 0
    image = pygame.image.load(str(out))
    assert image.get_size() == tuple(int(v) for v in size.split("x"))
    # The sample's newest call was 3 s ago: the featured panel is lit.
    width, height = image.get_size()
    spot = (width // 4, int(height * 0.16)) if width > height else (width // 8, int(height * 0.1))
    assert image.get_at(spot)[:3] == ACCENT


def test_preview_offline_mark(tmp_path: Path) -> None:
    out = tmp_path / "offline.png"
    assert preview.main([str(out), "--offline", "--lang", "en"]) == 0
    image = pygame.image.load(str(out))
    bottom_right = image.subsurface(pygame.Rect(1536, 994, 384, 86))
    reds = sum(
        1
        for x in range(bottom_right.get_width())
        for y in range(bottom_right.get_height())
        if bottom_right.get_at((x, y))[:3] == OFFLINE
    )
    assert reds > 20
