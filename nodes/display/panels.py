"""The screen hardware behind one interface: an HDMI panel, or PNG files when headless.

`Screen` draws on `Panel.surface`; the panel then shows the changed rectangles. The real
adapter is pygame's display (a window while developing, full screen on the Pi); the
simulated one draws off-screen and writes a screenshot after every change, so a demo or
a test can see exactly what the waiting room would see.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Final, Literal, Protocol

import pygame

from common.adapters import Registry
from common.config import Table, setting
from common.files import write_atomic

log = logging.getLogger(__name__)

PanelType = Literal["headless", "window", "fullscreen"]
LATEST = "latest.png"
#: Beside latest.png: the texts drawn in each region and the featured call, as JSON.
LATEST_FRAME = "latest.json"


class Panel(Protocol):
    surface: pygame.Surface
    #: True when a person watches it live (the running text scrolls); False when headless.
    animated: bool

    def show(self, dirty: list[pygame.Rect], frame: Mapping[str, Any] | None = None) -> None:
        """Make the changed rectangles of `surface` visible; `frame` describes them."""
        ...

    def closed(self) -> bool:
        """True once the user closed the window (handles the window's events)."""
        ...

    def close(self) -> None: ...


class HdmiPanel:
    """pygame's display: full screen at the monitor's resolution, or a window."""

    animated = True

    def __init__(self, mode: PanelType, width: int | None, height: int | None) -> None:
        pygame.display.init()
        if mode == "fullscreen":
            size = (width or 0, height or 0)  # (0, 0): the monitor's own resolution
            self.surface = pygame.display.set_mode(size, pygame.FULLSCREEN)
            pygame.mouse.set_visible(False)
        else:
            self.surface = pygame.display.set_mode((width or 1920, height or 1080))
        pygame.display.set_caption("Antrian")
        # The driver names the path a technician checks when the screen stays dark.
        width, height = self.surface.get_size()
        log.info("screen %s at %dx%d (SDL %s)", mode, width, height, pygame.display.get_driver())

    def show(self, dirty: list[pygame.Rect], frame: Mapping[str, Any] | None = None) -> None:
        if dirty:
            pygame.display.update(dirty)

    def closed(self) -> bool:
        events = pygame.event.get()  # read them all: an unread queue freezes the window
        return any(event.type == pygame.QUIT for event in events)

    def close(self) -> None:
        pygame.display.quit()


class HeadlessPanel:
    """Draws off-screen; after each change writes a PNG, the newest also as latest.png,
    and what it shows as latest.json (texts per region, the featured call).

    Keeps the newest `keep` screenshots so a day of calls cannot fill the SD card.
    """

    animated = False

    def __init__(
        self,
        directory: Path,
        width: int,
        height: int,
        *,
        keep: int = 200,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.directory = directory
        self.clock = clock  # names the files in office time, like the announcement WAVs
        self.directory.mkdir(parents=True, exist_ok=True)
        self.surface = pygame.Surface((width, height))
        self.keep = keep
        self.sequence = 0
        self.last_path: Path | None = None

    def show(self, dirty: list[pygame.Rect], frame: Mapping[str, Any] | None = None) -> None:
        if not dirty:
            return
        self.sequence += 1
        stamp = self.clock().strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"screen-{stamp}-{self.sequence:05d}.png"
        pygame.image.save(self.surface, str(path))
        latest = self.directory / LATEST
        tmp = self.directory / ".latest.tmp.png"
        shutil.copyfile(path, tmp)
        os.replace(tmp, latest)  # a viewer never reads half a file
        if frame is not None:  # after the PNG, so the JSON never describes a newer frame
            described = {"screenshot": path.name, "sequence": self.sequence, **frame}
            write_atomic(self.directory / LATEST_FRAME, json.dumps(described, ensure_ascii=False))
        self.last_path = path
        self._prune()

    def _prune(self) -> None:
        shots = sorted(self.directory.glob("screen-*.png"))
        for old in shots[: max(0, len(shots) - self.keep)]:
            old.unlink(missing_ok=True)

    def closed(self) -> bool:
        return False

    def close(self) -> None:
        pass


# --- `[screen] type`: which panel, read from the display's config ------------------------


@dataclass(frozen=True)
class WindowConfig:
    mode: ClassVar[PanelType] = "window"
    width: int | None = setting(None, min=320, max=7680)  # None: the monitor's, or 1920x1080
    height: int | None = setting(None, min=240, max=7680)

    def open(self) -> Panel:
        return HdmiPanel(self.mode, self.width, self.height)


@dataclass(frozen=True)
class FullscreenConfig(WindowConfig):
    mode: ClassVar[PanelType] = "fullscreen"


@dataclass(frozen=True)
class HeadlessConfig:
    screenshot_dir: Path | None = None
    width: int | None = setting(None, min=320, max=7680)
    height: int | None = setting(None, min=240, max=7680)
    screenshot_keep: int = setting(200, min=1)

    def check(self, table: Table) -> None:
        if self.screenshot_dir is None:
            raise table.error("screenshot_dir", 'is required when type = "headless"')
        table.check_writable("screenshot_dir", self.screenshot_dir)

    def open(self) -> Panel:
        assert self.screenshot_dir is not None  # check() saw to it
        size = (self.width or 1920, self.height or 1080)
        return HeadlessPanel(self.screenshot_dir, *size, keep=self.screenshot_keep)


PANELS: Final = Registry[Panel](default="fullscreen")
PANELS.register("headless", HeadlessConfig)
PANELS.register("window", WindowConfig)
PANELS.register("fullscreen", FullscreenConfig)
