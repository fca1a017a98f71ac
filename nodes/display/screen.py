"""The waiting-room screen: lays out and draws a `View` with pygame.

The screen is cut into regions (header, clock, featured call, recent calls, counters,
services, running text, connection status). Each region depends on one part of the view;
`Screen.draw` repaints only the regions whose part changed and returns their rectangles,
so an idle screen costs one clock repaint a minute plus the running text.

Every text is fitted into its box (shrunk, and as a last resort cut with "…"), so no
office name or counter name is ever drawn outside its region, at any resolution.
`Screen.texts` records where each text landed, for tests and for checking a new layout.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import pygame

from common import fonts
from common.legibility import capital_height
from nodes.display.view import RECENT_SHOWN, View

REGULAR_FONT: Final = fonts.SANS
BOLD_FONT: Final = fonts.SANS_BOLD

Color = tuple[int, int, int]
BACKGROUND: Final[Color] = (10, 25, 50)
HEADER: Final[Color] = (6, 16, 34)
PANEL: Final[Color] = (18, 45, 85)
ACTIVE_ROW: Final[Color] = (35, 85, 150)
TEXT: Final[Color] = (255, 255, 255)
DIM: Final[Color] = (160, 180, 210)
ACCENT: Final[Color] = (255, 193, 7)
ON_ACCENT: Final[Color] = (20, 20, 20)
OFFLINE: Final[Color] = (230, 70, 70)
MIN_FONT_PX: Final = 10
#: The smallest text, as a share of its box's height (below that it is cut, not shrunk).
MIN_SHARE: Final = 0.45
PAD: Final = 0.012  # of the screen's width: the margin around panels

Align = Literal["left", "center", "right"]
REGIONS: Final = (
    "header",
    "clock",
    "featured",
    "recent",
    "counters",
    "services",
    "ticker",
    "status",
)


def layout(width: int, height: int) -> dict[str, pygame.Rect]:
    """Where each region sits: landscape (designed at 1920×1080) or portrait.

    Few, big rows: the featured call and the previous calls side by side, the counters'
    tiles in a band below them (landscape), everything a citizen needs large enough for
    the legibility rule at 8 m on a 43" TV (see legibility.py); the services' waiting
    counts, the clock and the running text are secondary and smaller.
    """

    def box(x: float, y: float, w: float, h: float) -> pygame.Rect:
        return pygame.Rect(round(x * width), round(y * height), round(w * width), round(h * height))

    p = PAD
    if width >= height:
        return {
            "header": box(0, 0, 0.62, 0.075),
            "clock": box(0.62, 0, 0.38, 0.075),
            "featured": box(p, 0.085, 0.54, 0.535),
            "recent": box(0.565, 0.085, 0.435 - p, 0.535),
            "counters": box(p, 0.628, 1 - 2 * p, 0.26),
            "services": box(p, 0.893, 1 - 2 * p, 0.05),
            "ticker": box(0, 0.95, 0.80, 0.05),
            "status": box(0.80, 0.95, 0.20, 0.05),
        }
    return {
        "header": box(0, 0, 0.58, 0.045),
        "clock": box(0.58, 0, 0.42, 0.045),
        "featured": box(p, 0.05, 1 - 2 * p, 0.25),
        "recent": box(p, 0.305, 1 - 2 * p, 0.305),
        "counters": box(p, 0.615, 1 - 2 * p, 0.295),
        "services": box(p, 0.913, 1 - 2 * p, 0.033),
        "ticker": box(0, 0.95, 0.72, 0.05),
        "status": box(0.72, 0.95, 0.28, 0.05),
    }


class FontBook:
    """The bundled fonts at any pixel size, the most recent sizes kept loaded."""

    def __init__(self, regular: Path = REGULAR_FONT, bold: Path = BOLD_FONT) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.paths = {False: regular, True: bold}
        self._fonts: OrderedDict[tuple[bool, int], pygame.font.Font] = OrderedDict()

    def get(self, size: int, *, bold: bool = False) -> pygame.font.Font:
        key = (bold, size)
        font = self._fonts.get(key)
        if font is None:
            font = pygame.font.Font(str(self.paths[bold]), size)
            self._fonts[key] = font
            if len(self._fonts) > 48:
                self._fonts.popitem(last=False)
        else:
            self._fonts.move_to_end(key)
        return font

    def size_for_capitals(self, capital_px: float, *, bold: bool = False) -> int:
        """The smallest font size whose capital H is at least `capital_px` tall."""
        size = max(MIN_FONT_PX, int(capital_px / 0.8))
        while capital_height(self.get(size, bold=bold)) < capital_px:
            size += 1
        return size


@dataclass(frozen=True)
class DrawnText:
    """One text as drawn: enough to render it again and compare (tests do)."""

    region: str
    text: str  # as shown (cut with … if it had to be)
    rect: pygame.Rect
    size: int = 0
    bold: bool = False
    color: Color = TEXT


class Screen:
    """Draws views onto `surface`. Not thread-safe: call from the pygame thread."""

    def __init__(
        self,
        surface: pygame.Surface,
        fonts: FontBook | None = None,
        *,
        logo: pygame.Surface | None = None,
        animate_ticker: bool = True,
        letter_px: float = 0.0,
    ) -> None:
        """`letter_px`: the capital height the texts a citizen needs must reach (the
        legibility rule for the room, see legibility.py); 0 for no rule."""
        self.surface = surface
        self.fonts = fonts or FontBook()
        self.letter_px = letter_px
        self.view: View | None = None
        self.regions = layout(*surface.get_size())
        self.animate_ticker = animate_ticker
        self.logo = self._scaled_logo(logo) if logo is not None else None
        self.texts: dict[str, list[DrawnText]] = {name: [] for name in REGIONS}
        self._drawing: list[DrawnText] = []
        self._painting = ""  # the region being drawn
        self._keys: dict[str, Hashable] = {}
        self._ticker_surface: tuple[str, pygame.Surface] | None = None
        #: Each region's painter is the method named after it (`_header`, ...).
        self._painters: dict[str, Callable[[View, pygame.Rect], None]] = {
            name: getattr(self, f"_{name}") for name in REGIONS
        }
        self.ticker_offset = 0
        surface.fill(BACKGROUND)

    # --- public -----------------------------------------------------------------------------

    def draw(self, view: View) -> list[pygame.Rect]:
        """Repaint what changed since the last call; the rectangles to update on screen."""
        dirty: list[pygame.Rect] = []
        self.view = view
        for name, key in self._region_keys(view).items():
            if self._keys.get(name) == key:
                continue
            rect = self.regions[name]
            self._drawing, self._painting = [], name
            self.surface.set_clip(rect)
            try:
                self._painters[name](view, rect)
            finally:
                self.surface.set_clip(None)
            # Swapped in whole, so another thread reading `texts` never sees half a region.
            self.texts[name] = self._drawing
            self._keys[name] = key
            dirty.append(rect.copy())
        return dirty

    def ticker_moves(self, view: View) -> bool:
        """True when the running text is wider than its box and so scrolls."""
        if not self.animate_ticker or not view.running_text:
            return False
        return self._ticker_text(view.running_text).get_width() > self.regions["ticker"].width

    def all_texts(self) -> list[DrawnText]:
        return [text for texts in self.texts.values() for text in texts]

    def text_in(self, region: str) -> list[str]:
        return [t.text for t in self.texts[region]]

    def frame(self) -> dict[str, Any]:
        """What is on screen now, as plain data (latest.json): each region's rectangle and
        the texts drawn in it, and the featured call."""
        featured = self.view.featured if self.view is not None else None
        return {
            "size": list(self.surface.get_size()),
            "featured": None
            if featured is None
            else {
                "number": featured.number,
                "counter": featured.counter,
                "counter_name": featured.counter_name,
                "ticket_id": featured.ticket_id,
                "service_name": featured.service_name,
                "highlighted": featured.highlighted,
            },
            "regions": {
                name: {
                    "rect": list(self.regions[name]),
                    "texts": [
                        {"text": t.text, "rect": list(t.rect), "size": t.size, "bold": t.bold}
                        for t in self.texts[name]
                    ],
                }
                for name in REGIONS
            },
        }

    # --- drawing helpers -----------------------------------------------------------------

    def _region_keys(self, view: View) -> dict[str, Hashable]:
        return {
            "header": (view.office_name,),
            "clock": (view.date_text, view.clock_text),
            "featured": (view.featured, view.labels.get("number")),
            "recent": (view.recent,),
            "counters": (view.counters,),
            "services": (view.services,),
            "ticker": (view.running_text, self.ticker_offset if self.ticker_moves(view) else 0),
            "status": (view.online,),
        }

    def _scaled_logo(self, logo: pygame.Surface) -> pygame.Surface:
        height = int(self.regions["header"].height * 0.8)
        width = max(1, int(logo.get_width() * height / max(1, logo.get_height())))
        return pygame.transform.smoothscale(logo, (width, height))

    def _fit_size(
        self,
        text: str,
        box: pygame.Rect,
        bold: bool,
        size: int | None = None,
        *,
        legible: bool = False,
        floor_share: float = MIN_SHARE,
    ) -> int:
        """The largest font size (at most `size` px) at which `text` fits in `box`.

        `legible`: start at least at the size the legibility rule asks for, when the box
        is tall enough for it. Never below `floor_share` of the box's height: a text too
        long for that is cut with "…" by `_fit` rather than shrunk until nobody in the
        room can read it.
        """
        floor = max(MIN_FONT_PX, int(box.height * floor_share))
        size = max(floor, int(size or box.height * 0.8))
        if legible and self.letter_px:
            size = max(size, min(self._legible_size(bold), self._tallest(box, bold)))
        for _ in range(6):
            w, h = self.fonts.get(size, bold=bold).size(text)
            if (w <= box.width and h <= box.height) or size == floor:
                break
            size = max(floor, int(size * min(box.width / w, box.height / h) * 0.98))
        return size

    def _legible_size(self, bold: bool) -> int:
        return self.fonts.size_for_capitals(self.letter_px, bold=bold)

    def _tallest(self, box: pygame.Rect, bold: bool) -> int:
        """The largest font size whose line fits the box's height."""
        size = max(MIN_FONT_PX, int(box.height / 1.1))
        while size > MIN_FONT_PX and self.fonts.get(size, bold=bold).get_height() > box.height:
            size -= 1
        return size

    def _column_size(
        self, texts: list[str], box: pygame.Rect, bold: bool, *, legible: bool = False
    ) -> int:
        """One font size for a column of texts, so a table's rows look alike."""
        return min(
            (self._fit_size(t, box, bold, legible=legible) for t in texts if t), default=MIN_FONT_PX
        )

    def _fit(
        self,
        text: str,
        box: pygame.Rect,
        bold: bool,
        size: int | None,
        color: Color,
        legible: bool = False,
    ) -> tuple[str, int, pygame.Surface]:
        """The text as large as fits `box` (at most `size` px), else cut with …:
        (text shown, font size, rendering)."""
        fitted_size = self._fit_size(text, box, bold, size, legible=legible)
        font = self.fonts.get(fitted_size, bold=bold)
        rendered = font.render(text, True, color)
        while rendered.get_width() > box.width or rendered.get_height() > box.height:
            if len(text) <= 1:
                return "", fitted_size, font.render("", True, color)
            text = (text[:-2] if text.endswith("…") else text[:-1]).rstrip() + "…"
            rendered = font.render(text, True, color)
        return text, fitted_size, rendered

    def _text(
        self,
        text: str,
        box: pygame.Rect,
        *,
        color: Color = TEXT,
        bold: bool = False,
        align: Align = "left",
        size: int | None = None,
        legible: bool = False,
    ) -> None:
        if not text or box.width <= 0 or box.height <= 0:
            return
        shown, fitted_size, fitted = self._fit(text, box, bold, size, color, legible)
        rect = fitted.get_rect()
        rect.centery = box.centery
        if align == "left":
            rect.left = box.left
        elif align == "right":
            rect.right = box.right
        else:
            rect.centerx = box.centerx
        self.surface.blit(fitted, rect)
        self._drawing.append(DrawnText(self._painting, shown, rect, fitted_size, bold, color))

    # --- regions -------------------------------------------------------------------------

    def _header(self, view: View, rect: pygame.Rect) -> None:
        self.surface.fill(HEADER, rect)
        inner = rect.inflate(-2 * self._pad(), -int(rect.height * 0.2))
        if self.logo is not None:
            logo_rect = self.logo.get_rect(midleft=inner.midleft)
            self.surface.blit(self.logo, logo_rect)
            inner.width -= logo_rect.width + self._pad()
            inner.left = logo_rect.right + self._pad()
        self._text(view.office_name, inner, bold=True)

    def _clock(self, view: View, rect: pygame.Rect) -> None:
        self.surface.fill(HEADER, rect)
        inner = rect.inflate(-2 * self._pad(), -int(rect.height * 0.2))
        date_box, time_box = _split_w(inner, 0.68)
        date_box = date_box.inflate(-self._pad(), -int(date_box.height * 0.35))
        self._text(view.date_text, date_box, color=DIM, align="right")
        self._text(view.clock_text, time_box, bold=True, align="right")

    def _featured(self, view: View, rect: pygame.Rect) -> None:
        featured = view.featured
        lit = featured is not None and featured.highlighted
        background, number_color, counter_color = (
            (ACCENT, ON_ACCENT, ON_ACCENT) if lit else (PANEL, TEXT, ACCENT)
        )
        self.surface.fill(BACKGROUND, rect)
        pygame.draw.rect(self.surface, background, rect, border_radius=self._pad())
        inner = rect.inflate(-2 * self._pad(), -2 * self._pad())
        label_box = _band(inner, 0.0, 0.13)
        number_box = _band(inner, 0.14, 0.70)
        counter_box = _band(inner, 0.71, 1.0)
        label_color = ON_ACCENT if lit else DIM
        self._text(view.labels["number"], label_box, color=label_color, align="center")
        if featured is None:  # nothing current: a calm line, not a stale number
            self._text(
                view.labels["no_call"], _band(number_box, 0.4, 0.6), color=DIM, align="center"
            )
            return
        self._text(
            featured.number, number_box, color=number_color, bold=True, align="center", legible=True
        )
        self._text(
            featured.counter_name.upper(),
            counter_box,
            color=counter_color,
            bold=True,
            align="center",
            legible=True,
        )

    def _line_height(self, share: float, margin: int) -> int:
        """A row's height: the legible size's line plus the row's `margin`, or `share`
        of the screen's height when there is no rule."""
        if not self.letter_px:
            return max(1, int(self.surface.get_height() * share))
        return self.fonts.get(self._legible_size(True), bold=True).get_height() + margin

    def _recent(self, view: View, rect: pygame.Rect) -> None:
        self.surface.fill(BACKGROUND, rect)
        pygame.draw.rect(self.surface, PANEL, rect, border_radius=self._pad())
        inner = rect.inflate(-2 * self._pad(), -self._pad())
        title, body = _split_h(inner, 0.09)
        self._text(view.labels["recent"], title, color=DIM)
        # As many rows as fit at the legible size, up to RECENT_SHOWN: fewer, bigger rows.
        slots = max(1, min(RECENT_SHOWN, body.height // self._line_height(0.07, 4)))
        calls = view.recent[:slots]
        if not calls:
            return
        row_height = body.height // slots
        lines = [
            pygame.Rect(body.left, body.top + i * row_height, body.width, row_height)
            for i in range(len(calls))
        ]
        cells = [_split_w(line.inflate(-self._pad() // 2, -4), 0.47) for line in lines]
        number_size = self._column_size([c.number for c in calls], cells[0][0], True, legible=True)
        name_size = self._column_size(
            [c.counter_name for c in calls], cells[0][1], False, legible=True
        )
        for index, (call, (number_box, counter_box)) in enumerate(zip(calls, cells, strict=True)):
            if index:
                y = lines[index].top
                pygame.draw.line(self.surface, BACKGROUND, (body.left, y), (body.right, y), 2)
            self._text(call.number, number_box, bold=True, size=number_size)
            self._text(call.counter_name, counter_box, color=ACCENT, align="right", size=name_size)

    def _counters(self, view: View, rect: pygame.Rect) -> None:
        """A tile per counter, "name … number" on one line, in as few rows as the
        legible size allows (two in landscape: four counters in two columns)."""
        self.surface.fill(BACKGROUND, rect)
        rows = view.counters
        if not rows:
            return
        fit_rows = max(1, rect.height // self._line_height(0.07, self._pad() // 2 + 4))
        columns = -(-len(rows) // fit_rows)
        lines = -(-len(rows) // columns)
        width, height = rect.width // columns, rect.height // lines
        tiles = [
            pygame.Rect(
                rect.left + (i % columns) * width, rect.top + (i // columns) * height, width, height
            ).inflate(-self._pad() // 2, -self._pad() // 2)
            for i in range(len(rows))
        ]
        cells = [_split_w(t.inflate(-self._pad(), -4), 0.56) for t in tiles]
        name_size = self._column_size([r.name for r in rows], cells[0][0], False, legible=True)
        number_size = self._column_size(
            [r.number for r in rows if not r.note], cells[0][1], True, legible=True
        )
        note_size = self._column_size([r.note for r in rows], cells[0][1], False, legible=True)
        for row, tile, (name_box, number_box) in zip(rows, tiles, cells, strict=True):
            color = ACTIVE_ROW if row.active else PANEL
            pygame.draw.rect(self.surface, color, tile, border_radius=self._pad() // 2)
            self._text(row.name, name_box, size=name_size)
            if row.note:
                self._text(row.note, number_box, color=DIM, align="right", size=note_size)
            else:
                self._text(row.number, number_box, bold=True, align="right", size=number_size)

    def _services(self, view: View, rect: pygame.Rect) -> None:
        """One line: "MENUNGGU", then per service its letter, name, count and estimate.
        Secondary to the calls (the ticket carries the estimate too), so smaller. In turn,
        a service with a published standard has the strip to itself ("STANDAR", its
        letter, name, and "Standar 15 mnt · hari ini rata-rata 12 mnt") at the same size."""
        self.surface.fill(BACKGROUND, rect)
        rows = view.services
        label_box, body = _split_w(rect, 0.11)
        standard = next((row for row in rows if row.show_standard), None)
        label = view.labels["standard" if standard else "waiting"]
        self._text(label, label_box, color=DIM, size=rect.height // 2)
        if not rows:
            return
        size = int(rect.height * 0.62)
        if standard is not None:
            cell = body.inflate(-self._pad() // 2, 0)
            pygame.draw.rect(self.surface, PANEL, cell, border_radius=self._pad() // 2)
            prefix_box, rest = _split_w(cell.inflate(-self._pad(), -4), 0.04)
            # The standard whole at the strip's size; the service's name gets what is left.
            wanted = self.fonts.get(size).size(standard.standard_text)[0] + self._pad()
            name_box, text_box = _split_w(rest, max(0.0, 1 - wanted / max(1, rest.width)))
            self._text(standard.prefix, prefix_box, bold=True, color=ACCENT, size=size)
            self._text(standard.name, name_box.inflate(-8, 0), size=size)
            self._text(standard.standard_text, text_box, align="right", size=size)
            return
        width = body.width // len(rows)
        for index, row in enumerate(rows):
            cell = pygame.Rect(body.left + index * width, body.top, width, body.height)
            cell = cell.inflate(-self._pad() // 2, 0)
            pygame.draw.rect(self.surface, PANEL, cell, border_radius=self._pad() // 2)
            inner = cell.inflate(-self._pad(), -4)
            prefix_box, rest = _split_w(inner, 0.09)
            name_box, rest = _split_w(rest, 0.5)
            count_box, wait_box = _split_w(rest, 0.3)
            color = TEXT if row.open else DIM
            self._text(row.prefix, prefix_box, bold=True, color=ACCENT, size=size)
            self._text(row.name, name_box.inflate(-8, 0), color=color, size=size)
            self._text(
                str(row.waiting), count_box, bold=True, color=color, align="center", size=size
            )
            self._text(row.wait_text, wait_box, color=DIM, align="right", size=size)

    def _ticker_text(self, text: str) -> pygame.Surface:
        if self._ticker_surface is None or self._ticker_surface[0] != text:
            size = int(self.regions["ticker"].height * 0.55)
            rendered = self.fonts.get(size).render(text, True, TEXT)
            self._ticker_surface = (text, rendered)
        return self._ticker_surface[1]

    def _ticker(self, view: View, rect: pygame.Rect) -> None:
        self.surface.fill(HEADER, rect)
        if not view.running_text:
            return
        inner = rect.inflate(-2 * self._pad(), 0)
        if not self.ticker_moves(view):
            self._text(view.running_text, inner, size=int(rect.height * 0.55))
            return
        rendered = self._ticker_text(view.running_text)
        span = rendered.get_width() + rect.width // 3
        x = inner.left - self.ticker_offset % span
        for start in (x, x + span):  # the tail of one pass and the head of the next
            target = rendered.get_rect(midleft=(start, rect.centery))
            self.surface.blit(rendered, target)
            shown = target.clip(rect)  # the part inside the region is what is on screen
            if shown.width:
                self._drawing.append(DrawnText(self._painting, view.running_text, shown))

    def _status(self, view: View, rect: pygame.Rect) -> None:
        self.surface.fill(HEADER, rect)
        if view.online:
            return
        inner = rect.inflate(-2 * self._pad(), -int(rect.height * 0.45))
        dot = pygame.Rect(0, 0, inner.height // 2, inner.height // 2)
        dot.midleft = inner.midleft
        pygame.draw.ellipse(self.surface, OFFLINE, dot)
        text_box = pygame.Rect(dot.right + self._pad() // 2, inner.top, 0, inner.height)
        text_box.width = inner.right - text_box.left
        self._text(view.labels["offline"], text_box, color=DIM)

    def _pad(self) -> int:
        return max(4, int(self.surface.get_width() * PAD))


def _split_h(rect: pygame.Rect, fraction: float) -> tuple[pygame.Rect, pygame.Rect]:
    """Top and bottom parts of a rectangle, the top `fraction` of its height."""
    top = int(rect.height * fraction)
    return (
        pygame.Rect(rect.left, rect.top, rect.width, top),
        pygame.Rect(rect.left, rect.top + top, rect.width, rect.height - top),
    )


def _split_w(rect: pygame.Rect, fraction: float) -> tuple[pygame.Rect, pygame.Rect]:
    """Left and right parts of a rectangle, the left `fraction` of its width."""
    left = int(rect.width * fraction)
    return (
        pygame.Rect(rect.left, rect.top, left, rect.height),
        pygame.Rect(rect.left + left, rect.top, rect.width - left, rect.height),
    )


def _band(rect: pygame.Rect, start: float, end: float) -> pygame.Rect:
    """A horizontal band of a rectangle, between two fractions of its height."""
    top = rect.top + int(rect.height * start)
    return pygame.Rect(rect.left, top, rect.width, int(rect.height * (end - start)))
