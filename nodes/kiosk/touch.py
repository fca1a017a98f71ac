"""The touch screen kiosk: `[input] type = "touch"`, another input of the same kiosk flow.

The screen is one thread that owns pygame: it takes finger events (from the panel, or
lines `tap X Y` / `drag X1 Y1 X2 Y2` / `palm X Y` in simulation), the flow's view (what
the lamps would show) and the outcome of each press, and redraws. A tap on a lit service
tile is a `Press`, handed to the flow exactly like a button press; from then until the
flow says what became of it, the screen shows "Tiket Anda sedang dicetak" and every touch
is ignored, as button mashing is. Trouble the lamps would show (printer out of paper or
offline, the hub unreachable) greys every tile and says what to do. "Sedang dilayani"
(on a kiosk with a voice) hands the flow `Press(NOW_SERVING)`, which only speaks; "Teks
besar" gives this citizen large, high-contrast text until the idle screen.

On the Pi, the panel is pygame's display on SDL's kmsdrm driver and the fingers arrive as
SDL's FINGERDOWN/FINGERMOTION/FINGERUP events (x, y from 0 to 1); a mouse works in a
window while developing. Headless (`[screen] type = "headless"`), every change is
written as `latest.png` and `latest.json` (every tile: rectangle, label, service, enabled).
"""

from __future__ import annotations

import io
import json
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal, TextIO

from common import fonts
from common.bahasa import Lang
from common.config import Table, setting
from common.files import write_atomic
from common.legibility import capital_height, min_letter_px
from common.namedpipe import NamedPipe
from common.node import SetupError
from nodes.kiosk.buttons import BUTTONS, NOW_SERVING, LedState, Press, PressHandler
from nodes.kiosk.flow import KioskView, Outcome
from nodes.kiosk.gestures import SLOP_PX, TouchTracker
from nodes.kiosk.layout import Geometry, ServiceChoice, ServiceState
from nodes.kiosk.printer import CAN_PRINT
from nodes.kiosk.tiles import (
    Screen,
    Tile,
    message_screen,
    priority_screen,
    services_screen,
)

log = logging.getLogger(__name__)

FONT: Final = fonts.SANS_BOLD
LATEST_PNG: Final = "latest.png"
LATEST_JSON: Final = "latest.json"
ScreenType = Literal["headless", "window", "fullscreen"]
Mode = Literal["idle", "services", "priority", "printing", "issued"]

#: What to tell a citizen when the kiosk cannot give a number, and what to do.
TROUBLE: Final[dict[str, dict[str, str]]] = {
    "id": {
        "paper_out": "Kertas tiket habis. Silakan hubungi petugas.",
        "offline": "Printer tidak siap. Silakan hubungi petugas.",
        "hub": "Tidak terhubung ke server antrian. Silakan hubungi petugas.",
        "closed": "Layanan {name} sedang tutup. Silakan hubungi petugas.",
        "failed": "Tiket tidak dapat dicetak. Silakan hubungi petugas.",
        "waiting_hub": "Menunggu server antrian...",
    },
    "en": {
        "paper_out": "The ticket paper has run out. Please ask a member of staff.",
        "offline": "The printer is not ready. Please ask a member of staff.",
        "hub": "No connection to the queue server. Please ask a member of staff.",
        "closed": "{name} is closed now. Please ask a member of staff.",
        "failed": "The ticket could not be printed. Please ask a member of staff.",
        "waiting_hub": "Waiting for the queue server...",
    },
}

# (background, tile, tile text, disabled tile, disabled text, headline, alert band)
Palette = tuple[tuple[int, int, int], ...]
NORMAL: Final[Palette] = (
    (12, 36, 74), (255, 255, 255), (12, 36, 74), (90, 98, 112), (200, 204, 210),
    (255, 255, 255), (178, 24, 24),
)  # fmt: skip
#: Every text at least 7:1 against what it is drawn on (WCAG 2.x 1.4.6, level AAA): black
#: on yellow 15:1, white on dark grey 14:1, white on the dark red band 9:1.
HIGH_CONTRAST: Final[Palette] = (
    (0, 0, 0), (255, 221, 0), (0, 0, 0), (40, 40, 40), (255, 255, 255),
    (255, 255, 255), (150, 0, 0),
)  # fmt: skip


#: Font sizes kept loaded by a touch screen (the least recently used are dropped).
FONTS_KEPT = 48


@cache
def _font_file() -> bytes:
    return FONT.read_bytes()


def open_font(size: int) -> Any:
    """The kiosk's font at `size` px, read from memory.

    Fitting text tries every size from a tile's height down, so a screen holds hundreds of
    fonts. Opened by path, each would keep the file open: past 1024 descriptors paho's
    select() fails and the MQTT link can no longer (re)connect, silently.
    """
    import pygame

    return pygame.font.Font(io.BytesIO(_font_file()), size)


@dataclass(frozen=True)
class ScreenConfig:
    """`[screen]` of a touch kiosk."""

    type: ScreenType = "fullscreen"
    width: int | None = None
    height: int | None = None
    screenshot_dir: Path | None = None


@dataclass
class _State:
    mode: Mode = "idle"
    lang: Lang = "id"
    page: int = 0
    group: str | None = None
    notice: str | None = None
    notice_until: float = 0.0
    issued: Outcome | None = None
    issued_until: float = 0.0
    touched_at: float = 0.0
    view: KioskView | None = None
    taps: int = 0
    ignored: int = 0
    presses: list[Press] = field(default_factory=list)
    large: bool = False  # letters half as tall again (`large_text`, or the citizen's tap)
    contrast: bool = False  # the high-contrast palette


class TouchScreen:
    """A `ServiceButtons` whose buttons are tiles on a screen (and a `KioskFace`)."""

    def __init__(
        self,
        config: TouchInput,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import pygame

        self._pg: Any = pygame
        self.config = config
        self._clock = clock
        screen = config.screen
        self._headless = screen.type == "headless"
        pygame.font.init()
        self._fonts: dict[int, Any] = {}
        self._geometries: dict[bool, Geometry] = {}
        self.directory: Path | None = None
        if self._headless:
            assert screen.screenshot_dir is not None
            self.directory = screen.screenshot_dir
            self.directory.mkdir(parents=True, exist_ok=True)
            self._size(pygame.Surface((screen.width or 800, screen.height or 480)))
        # else the screen thread opens the display: SDL's window, its GL context and its
        # events belong to the thread that made them (on kmsdrm with GLES2, a flip from
        # another thread fails: "eglMakeCurrent ... EGL_BAD_ACCESS")
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._stream = stream
        self._pipe = NamedPipe(Path(config.fifo)) if config.fifo else None
        self._events: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._tracker = TouchTracker(config.slop_px)
        self._state = _State(
            touched_at=clock(), large=config.large_text, contrast=config.high_contrast
        )
        self._handler: PressHandler | None = None
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        self.screen: Screen | None = None
        self.sequence = 0
        self.leds: dict[str, LedState] = {}

    def _size(self, surface: Any) -> None:
        self._surface = surface
        width, height = surface.get_size()
        cap_ratio = capital_height(self._font(100)) / 100
        letter_px = min_letter_px(self.config.diagonal_in, self.config.distance_m, width, height)
        self._geometries = {
            large: Geometry(width, height, letter_px, cap_ratio, large=large)
            for large in (False, True)
        }

    def _open_display(self) -> None:
        pygame, screen = self._pg, self.config.screen
        pygame.display.init()
        size = (screen.width or 0, screen.height or 0)
        flags = pygame.FULLSCREEN if screen.type == "fullscreen" else 0
        if screen.type == "window" and size == (0, 0):
            size = (800, 480)
        self._size(pygame.display.set_mode(size, flags))
        pygame.mouse.set_visible(screen.type != "fullscreen")

    @property
    def geometry(self) -> Geometry:
        return self._geometries[self._state.large]

    @property
    def _palette(self) -> Palette:
        return HIGH_CONTRAST if self._state.contrast else NORMAL

    # --- ServiceButtons ------------------------------------------------------------------

    @property
    def services(self) -> tuple[str, ...]:
        return self.config.services

    def start(self, on_press: PressHandler) -> None:
        self._handler = on_press
        if self._pipe is not None:
            self._pipe.create()
        self._spawn(self._run, "kiosk-touch")
        # A screen that cannot open or draw must stop the kiosk (systemd restarts it and
        # the journal says why), not leave it online with a dead screen.
        self._ready.wait()
        if self._failure is not None:
            raise SetupError(f"the touch screen cannot draw: {self._failure}")
        if self._headless:
            self._spawn(self._read_lines, "kiosk-touch-input")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def set_led(self, service: str, state: LedState) -> None:
        self.leds[service] = state  # the tiles follow the view, shown by show_view

    def close(self) -> None:
        self._stopped.set()
        if self._pipe is not None:
            self._pipe.close()
        self._events.put(None)
        for thread in self._threads:
            thread.join(2.0)
        self._fonts.clear()

    # --- KioskFace -----------------------------------------------------------------------

    def show_view(self, view: KioskView) -> None:
        self._events.put(("view", view))

    def show_outcome(self, outcome: Outcome) -> None:
        self._events.put(("outcome", outcome))

    # --- input ---------------------------------------------------------------------------

    def feed(self, line: str) -> bool:
        """One simulated line; False (and a warning) if it is not one."""
        words = line.split()
        if not words or words[0].startswith("#"):
            return False
        try:
            numbers = [float(w) for w in words[1:]]
        except ValueError:
            numbers = []
        verb = words[0]
        if verb == "tap" and len(numbers) == 2:
            x, y = numbers
            self._events.put(("down", 0, x, y))
            self._events.put(("up", 0, x, y))
        elif verb == "drag" and len(numbers) == 4:
            x1, y1, x2, y2 = numbers
            self._events.put(("down", 0, x1, y1))
            self._events.put(("move", 0, (x1 + x2) / 2, (y1 + y2) / 2))
            self._events.put(("up", 0, x2, y2))
        elif verb == "palm" and len(numbers) == 2:
            x, y = numbers
            for finger in range(3):
                self._events.put(("down", finger, x + 30 * finger, y))
            for finger in range(3):
                self._events.put(("up", finger, x + 30 * finger, y))
        elif verb in ("down", "move", "up") and len(numbers) == 3:
            self._events.put((verb, int(numbers[0]), numbers[1], numbers[2]))
        else:
            log.warning("not a touch: %r (tap X Y, drag X1 Y1 X2 Y2, palm X Y)", line)
            return False
        return True

    def _read_lines(self) -> None:
        if self._pipe is None:
            for line in self._stream or sys.stdin:
                self.feed(line)
            return
        for line in self._pipe.lines():
            self.feed(line)

    def _poll_pygame(self) -> None:
        """The panel's own events: fingers (x, y from 0 to 1), or a mouse in a window.
        Queued as the simulated lines are, so that what they change is drawn."""
        pg, put = self._pg, self._events.put
        width, height = self.geometry.width, self.geometry.height
        for event in pg.event.get():
            if event.type in (pg.FINGERDOWN, pg.FINGERMOTION, pg.FINGERUP):
                verb = {pg.FINGERDOWN: "down", pg.FINGERMOTION: "move", pg.FINGERUP: "up"}
                put((verb[event.type], event.finger_id, event.x * width, event.y * height))
            elif event.type in (pg.MOUSEBUTTONDOWN, pg.MOUSEBUTTONUP) and not event.touch:
                verb_m = "down" if event.type == pg.MOUSEBUTTONDOWN else "up"
                put((verb_m, -1, *event.pos))
            elif event.type == pg.MOUSEMOTION and not event.touch and event.buttons[0]:
                put(("move", -1, *event.pos))

    # --- the screen thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            if not self._headless:
                self._open_display()
            self._render()
        except Exception as exc:
            self._failure = exc
            return
        finally:
            self._ready.set()
        try:
            self._loop()
        finally:
            if not self._headless:
                self._pg.display.quit()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                item = self._events.get(timeout=0.02 if not self._headless else 0.2)
            except queue.Empty:
                item = ("tick",)
            if item is None:
                return
            try:
                if not self._headless:
                    self._poll_pygame()
                changed = self._handle(item)
                changed = self._expire() or changed
                if changed:
                    self._render()
            except Exception:  # a drawing bug must not take the kiosk's input with it
                log.exception("touch screen: handling %s failed", item[0])

    def _handle(self, item: tuple[Any, ...]) -> bool:
        kind = item[0]
        state = self._state
        if kind == "view":
            changed = item[1] != state.view
            state.view = item[1]
            return changed
        if kind == "outcome":
            outcome: Outcome = item[1]
            if state.mode != "printing":
                return False
            if outcome.result == "printed":
                state.mode, state.issued = "issued", outcome
                state.issued_until = self._clock() + self.config.issued_s
            else:
                state.mode = "services"
                state.notice = self._trouble(outcome)
                state.notice_until = self._clock() + self.config.notice_s
            state.group = None
            return True
        if kind in ("down", "move", "up"):
            return self._touch(kind, item[1], item[2], item[3])
        return False

    def _touch(self, verb: str, finger: int, x: float, y: float) -> bool:
        if verb == "down":
            self._tracker.down(finger, x, y)
            return False
        if verb == "move":
            self._tracker.move(finger, x, y)
            return False
        tap = self._tracker.up(finger, x, y)
        if tap is None or self.screen is None:
            return False
        state = self._state
        state.taps += 1
        state.touched_at = self._clock()
        tile = self.screen.hit(tap.x, tap.y)
        if (
            state.mode == "printing"
            or tile is None
            or tile != self.screen.hit(tap.start_x, tap.start_y)
        ):
            state.ignored += 1
            return False
        return self._choose(tile)

    def _choose(self, tile: Tile) -> bool:
        state = self._state
        if tile.kind == "start":
            state.mode, state.page = "services", 0
        elif tile.kind == "done":
            state.mode = "services"
        elif tile.kind == "language":
            state.lang = "en" if tile.key == "en" else "id"
        elif tile.kind == "page":
            state.page += 1 if tile.key == "next" else -1
        elif tile.kind == "priority" and tile.enabled:
            state.mode = "priority"
        elif tile.kind == "cancel":
            state.mode, state.group = "services", None
        elif tile.kind == "group":
            state.mode, state.group = "services", tile.key
        elif tile.kind == "large":  # both at once: who needs one mostly needs the other
            on = tile.key == "large"
            state.large, state.contrast, state.page = on, on, 0
        elif tile.kind == "now":
            log.info("tap on now serving")
            if self._handler is not None:
                self._handler(Press(NOW_SERVING))  # said by the flow's voice; no new screen
            return False
        elif tile.kind == "service" and tile.enabled:
            press = Press(tile.key, priority=state.group is not None)
            state.mode = "printing"
            state.presses.append(press)
            log.info("tap on %s%s", tile.key, f" (priority: {state.group})" if state.group else "")
            if self._handler is not None:
                self._handler(press)
        elif tile.kind == "service":
            name = tile.texts[1].text if len(tile.texts) > 1 else tile.key
            state.notice = TROUBLE[state.lang]["closed"].format(name=name)
            state.notice_until = self._clock() + self.config.notice_s
        else:
            return False
        return True

    def _expire(self) -> bool:
        state, now = self._state, self._clock()
        changed = False
        if state.notice is not None and now >= state.notice_until:
            state.notice, changed = None, True
        if state.mode == "issued" and now >= state.issued_until:
            state.mode, state.issued, changed = "services", None, True
        idle = (
            state.mode in ("services", "priority") and now - state.touched_at >= self.config.idle_s
        )
        if idle:  # the next citizen starts from the kiosk's own settings
            state.mode, state.group, state.page, state.lang = "idle", None, 0, "id"
            state.large, state.contrast = self.config.large_text, self.config.high_contrast
            changed = True
        return changed

    def _trouble(self, outcome: Outcome) -> str:
        words = TROUBLE[self._state.lang]
        if outcome.result == "timeout":
            return words["hub"]
        if outcome.result == "refused" and outcome.detail.startswith("printer"):
            return words["paper_out" if "paper_out" in outcome.detail else "offline"]
        if outcome.result in ("refused", "hub_error"):
            return words["closed"].format(name=outcome.press.service)
        return words["failed"]

    # --- what the screen shows -----------------------------------------------------------

    def _choices(self, view: KioskView) -> list[ServiceChoice]:
        wanted = self.config.services
        choices = []
        for service in view.queue:
            if wanted and service.id not in wanted:
                continue
            status: ServiceState = "open"
            if service.id in view.exhausted:
                status = "exhausted"
            elif not view.open.get(service.id, False):
                status = "closed"
            choices.append(
                ServiceChoice(
                    service.id,
                    service.name,
                    service.prefix,
                    service.waiting,
                    service.estimated_wait_s,
                    status,
                    view.agencies.get(service.id),
                )
            )
        if wanted:
            choices.sort(key=lambda c: wanted.index(c.id))
        return choices

    def _headline_trouble(self, view: KioskView | None) -> str | None:
        words = TROUBLE[self._state.lang]
        if view is None or not view.queue:
            return words["waiting_hub"] if view is None or view.hub_reachable else words["hub"]
        if view.printer not in CAN_PRINT:
            return words["paper_out" if view.printer == "paper_out" else "offline"]
        if not view.hub_reachable:
            return words["hub"]
        return None

    def compose(self) -> Screen:
        state, g = self._state, self.geometry
        measure = self._measure
        lang = state.lang
        view = state.view
        if state.mode == "printing":
            return message_screen(
                "printing",
                [(self._words("printing"), 1.0)],
                g,
                measure,
                lang=lang,
            )
        if state.mode == "issued" and state.issued is not None:
            issued = state.issued
            name = self._service_name(issued.press.service)
            return message_screen(
                "issued",
                [
                    (self._words("your_number"), 0.2),
                    (issued.number or "", 0.4),
                    (name, 0.2),
                    (self._words("take_ticket"), 0.2),
                ],
                g,
                measure,
                lang=lang,
                tile=("done", "done", self._words("done")),
            )
        trouble = self._headline_trouble(view)
        if state.mode == "idle" and trouble is None:
            return message_screen(
                "idle",
                [
                    ((view.office_name if view else "") or self.config.office_name, 0.3),
                    (self._words("touch"), 0.4),
                    (self._words("touch", "en"), 0.3),
                ],
                g,
                measure,
                tile=("start", "start", ""),
            )
        if state.mode == "priority" and trouble is None:
            return priority_screen(g, measure, lang=lang)
        choices = self._choices(view) if view is not None else []
        headline = trouble or state.notice
        return services_screen(
            choices,
            g,
            measure,
            lang=lang,
            page=state.page,
            group=state.group,
            headline=headline,
            alert=headline is not None,
            enabled=trouble is None,
            now_serving=self.config.now_serving,
            large_text=state.large and state.contrast,
        )

    def _words(self, key: str, lang: Lang | None = None) -> str:
        from nodes.kiosk.tiles import WORDS

        return WORDS[lang or self._state.lang][key]

    def _service_name(self, service: str) -> str:
        view = self._state.view
        for queued in view.queue if view is not None else ():
            if queued.id == service:
                return queued.name
        return service

    def _font(self, size: int) -> Any:
        # Fitting text tries many sizes: keep only the most recent ones (each is a few
        # hundred KB of rendered glyphs on a Pi), as the display's FontBook does.
        font = self._fonts.pop(size, None)
        if font is None:
            font = open_font(size)
        self._fonts[size] = font  # dicts keep insertion order: the newest is last
        while len(self._fonts) > FONTS_KEPT:
            del self._fonts[next(iter(self._fonts))]
        return font

    def _measure(self, text: str, size: int) -> tuple[int, int]:
        font = self._font(size)
        return font.size(text)[0], capital_height(font)

    def _render(self) -> None:
        screen = self.compose()
        self.screen = screen
        self._state.page = screen.page
        pg, surface = self._pg, self._surface
        bg, tile_bg, tile_fg, off_bg, off_fg, head_fg, alert = self._palette
        surface.fill(bg)
        if screen.alert:  # the headline band in the alert colour
            pg.draw.rect(
                surface, alert, (0, 0, screen.width, self.geometry.band + self.geometry.gap)
            )
        for tile in screen.tiles:
            if tile.kind != "start":
                rect = pg.Rect(tile.rect.x, tile.rect.y, tile.rect.w, tile.rect.h)
                pg.draw.rect(surface, tile_bg if tile.enabled else off_bg, rect, border_radius=8)
            for text in tile.texts:
                self._draw(text, tile.rect, tile_fg if tile.enabled else off_fg)
        full = tile_bg if screen.name in ("printing", "issued", "idle") else head_fg
        for text in screen.texts:
            self._draw(text, None, full if not screen.alert else head_fg)
        for text in screen.headings:
            self._draw(text, None, head_fg)
        if self._headless:
            self._write(screen)
        else:
            pg.display.flip()

    def _draw(self, text: Any, clip: Any, colour: tuple[int, int, int]) -> None:
        pg = self._pg
        image = self._font(text.size).render(text.text, True, colour)
        y = text.rect.y + (text.rect.h - image.get_height()) // 2
        if clip is not None:  # a glyph's overhang must not leave its tile
            self._surface.set_clip(pg.Rect(clip.x, clip.y, clip.w, clip.h))
        self._surface.blit(image, (text.rect.x, y))
        self._surface.set_clip(None)

    def _write(self, screen: Screen) -> None:
        assert self.directory is not None
        self.sequence += 1
        buffer = io.BytesIO()
        self._pg.image.save(self._surface, buffer, LATEST_PNG)
        write_atomic(self.directory / LATEST_PNG, buffer.getvalue(), mode=0o644)
        frame = {
            "sequence": self.sequence,
            "screen": screen.name,
            "lang": self._state.lang,
            "size": [screen.width, screen.height],
            "min_letter_px": self.geometry.min_letter_px,
            "large_text": self._state.large,
            "high_contrast": self._state.contrast,
            "alert": screen.alert,
            "page": screen.page,
            "pages": screen.pages,
            "texts": [asdict(t) for t in screen.texts],
            "headings": [asdict(t) for t in screen.headings],
            "tiles": [
                {
                    "kind": t.kind,
                    "key": t.key,
                    "service": t.key if t.kind == "service" else None,
                    "rect": [t.rect.x, t.rect.y, t.rect.w, t.rect.h],
                    "label": t.label,
                    "enabled": t.enabled,
                    "texts": [asdict(x) for x in t.texts],
                }
                for t in screen.tiles
            ],
            "taps": self._state.taps,
            "ignored": self._state.ignored,
        }
        text = json.dumps(frame, ensure_ascii=False)
        write_atomic(self.directory / LATEST_JSON, text, mode=0o644)


@dataclass(frozen=True)
class TouchInput:
    """`[input] type = "touch"`: the keys of the touch screen; `[screen]` says which."""

    services: tuple[str, ...] = ()
    fifo: str | None = None
    diagonal_in: float = setting(7.0, min=3.0)
    distance_m: float = setting(0.5, min=0.2)
    idle_s: float = setting(60.0, min=5.0)
    issued_s: float = setting(8.0, min=1.0)
    notice_s: float = setting(6.0, min=1.0)
    slop_px: float = setting(SLOP_PX, min=1.0)
    high_contrast: bool = False
    large_text: bool = False
    office_name: str = ""
    screen: ScreenConfig = ScreenConfig()
    #: The "Sedang dilayani" tile: set by the daemon when the kiosk has a `[voice]`.
    now_serving: bool = False

    @classmethod
    def read(cls, table: Table) -> TouchInput:
        values: dict[str, Any] = {}
        for name in ("diagonal_in", "distance_m", "idle_s", "issued_s", "notice_s", "slop_px"):
            meta = cls.__dataclass_fields__[name].metadata
            values[name] = table.float(name, cls.__dataclass_fields__[name].default, **meta)
        for name in ("high_contrast", "large_text"):
            values[name] = table.bool(name, False)
        table.ignore("services", "fifo")  # shared with the stdin input, read there
        return cls(
            services=tuple(table.data.get("services", ())),
            fifo=table.data.get("fifo"),
            **values,
        )

    def open(self) -> TouchScreen:
        return TouchScreen(self)


def read_screen(root: Table) -> ScreenConfig:
    """`[screen]` of a touch kiosk: headless (PNG + JSON), window or fullscreen."""
    table = root.table("screen")
    kind = table.choice("type", ("headless", "window", "fullscreen"), "fullscreen")
    width = table.int("width", None, min=320, max=7680)
    height = table.int("height", None, min=240, max=7680)
    directory = table.filepath("screenshot_dir", None)
    if kind == "headless":
        if directory is None:
            raise table.error("screenshot_dir", 'is required when type = "headless"')
        table.check_writable("screenshot_dir", directory)
    table.finish()
    return ScreenConfig(kind, width, height, directory)


def sdl_for(screen: ScreenConfig) -> None:
    """Headless needs no video device: SDL's dummy driver, unless one was chosen."""
    if screen.type == "headless":
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


BUTTONS.register("touch", TouchInput)
