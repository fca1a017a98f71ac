"""Fingers on glass into taps, as a person means them. Pure: the caller passes events.

A tap is one finger down and up again close to where it went down, with no other finger
on the glass meanwhile. A drag (moving further than `slop_px`) is someone scrolling or
wiping; a palm or several fingers is someone leaning on the kiosk; neither is a choice.
A finger that stays on the glass is one touch however long it stays: only its lifting
can make a tap, so a screen held or stuck cannot print twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

#: How far a finger may wander and still tap, in px. About 5 mm on a 7" 800x480 panel.
SLOP_PX: Final = 24.0


@dataclass(frozen=True)
class Tap:
    x: float
    y: float
    start_x: float
    start_y: float


@dataclass
class _Gesture:
    """Everything since the first finger went down until the last came up."""

    start: tuple[float, float]
    fingers: dict[int, tuple[float, float]] = field(default_factory=dict)
    most: int = 1
    travelled: float = 0.0


class TouchTracker:
    def __init__(self, slop_px: float = SLOP_PX) -> None:
        self.slop_px = slop_px
        self._gesture: _Gesture | None = None

    def down(self, finger: int, x: float, y: float) -> None:
        if self._gesture is None:
            self._gesture = _Gesture((x, y))
        gesture = self._gesture
        gesture.fingers[finger] = (x, y)
        gesture.most = max(gesture.most, len(gesture.fingers))

    def move(self, finger: int, x: float, y: float) -> None:
        gesture = self._gesture
        if gesture is None or finger not in gesture.fingers:
            return
        gesture.fingers[finger] = (x, y)
        sx, sy = gesture.start
        gesture.travelled = max(gesture.travelled, math.hypot(x - sx, y - sy))

    def up(self, finger: int, x: float, y: float) -> Tap | None:
        """The tap this lifting completes, or None."""
        gesture = self._gesture
        if gesture is None or finger not in gesture.fingers:
            return None
        self.move(finger, x, y)
        del gesture.fingers[finger]
        if gesture.fingers:
            return None  # other fingers still down: a palm, never a tap
        self._gesture = None
        if gesture.most > 1 or gesture.travelled > self.slop_px:
            return None
        return Tap(x, y, *gesture.start)

    @property
    def touching(self) -> bool:
        return self._gesture is not None
