"""capital_height: the one place the screens read a capital H's height from a font."""

from __future__ import annotations

from collections.abc import Sequence

import pygame
import pytest

from common.legibility import capital_height
from nodes.display.screen import REGULAR_FONT


def test_capital_height_of_the_bundled_font() -> None:
    pygame.font.init()
    font = pygame.font.Font(str(REGULAR_FONT), 100)
    # DejaVu Sans: a capital H is 0.729 em tall.
    assert capital_height(font) == 73


class NoCapitals:
    """A font without an H, as pygame-ce reports one (a symbol font)."""

    def metrics(self, text: str, /) -> Sequence[tuple[int, int, int, int, int] | None]:
        return [None for _ in text]


def test_capital_height_refuses_a_font_without_an_h() -> None:
    with pytest.raises(ValueError, match="no capital H"):
        capital_height(NoCapitals())
