"""How tall a letter must be on the panel to be read from the back of the waiting room.

The rule is ISO 9241-303:2011 (Ergonomics of human-system interaction — requirements for
electronic visual displays), also ANSI/HFES 100-2007: a character's height (an upper-case
letter without accent, or a digit) shall subtend at least 16 minutes of arc at the eye;
20–22′ is preferred. Being an angle, it scales with the distance: 37.2 mm at 8 m. The TV's
pixel pitch follows from its diagonal and resolution (square pixels), so the rule becomes
a minimum capital height in pixels that the screen's layout must meet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, Protocol

#: ISO 9241-303:2011 / ANSI/HFES 100-2007: the minimum character height, in arc minutes.
MIN_ARCMIN: Final = 16.0
MM_PER_INCH: Final = 25.4


def min_letter_mm(distance_m: float, arcmin: float = MIN_ARCMIN) -> float:
    """The smallest capital height (mm) readable from `distance_m` under the rule."""
    return 2 * distance_m * 1000 * math.tan(math.radians(arcmin / 60) / 2)


def pixel_pitch_mm(diagonal_in: float, width_px: int, height_px: int) -> float:
    """The size of one (square) pixel on a panel of that diagonal and resolution."""
    return diagonal_in * MM_PER_INCH / math.hypot(width_px, height_px)


def min_letter_px(diagonal_in: float, distance_m: float, width_px: int, height_px: int) -> float:
    """The smallest capital height in pixels that is readable from `distance_m`."""
    return min_letter_mm(distance_m) / pixel_pitch_mm(diagonal_in, width_px, height_px)


class GlyphMetrics(Protocol):
    """A font that reports its glyphs' boxes (pygame's Font)."""

    def metrics(self, text: str, /) -> Sequence[tuple[int, int, int, int, int] | None]: ...


def capital_height(font: GlyphMetrics) -> int:
    """How far a capital H of `font` reaches above the baseline, in pixels."""
    (glyph,) = font.metrics("H")
    if glyph is None:  # pygame-ce gives None for a glyph the font lacks; DejaVu has an H
        raise ValueError("the font has no capital H")
    return glyph[3]
