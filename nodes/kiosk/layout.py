"""Where the touch kiosk's tiles go: the screen's geometry, grids, pages, and the
sections of an office of several agencies. Pure: rectangles and counts, no words.

Every service tile is at least `min_tile`: each of its lines fits at the smallest size
the legibility rule allows (common/legibility.py), the name on two lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

ServiceState = Literal["open", "closed", "exhausted"]
#: Share of a service tile's inner height: the letter, the name (up to two lines), the
#: people waiting, the estimated wait.
SLOTS: Final = (0.35, 0.30, 0.175, 0.175)
LINE: Final = 1.2  # line height / font size
GAP_RATIO: Final = 0.012  # gap between tiles, of the shorter screen side


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x < self.x + self.w and self.y <= y < self.y + self.h

    def inside(self, other: Rect) -> bool:
        return (
            other.x <= self.x
            and other.y <= self.y
            and self.x + self.w <= other.x + other.w
            and self.y + self.h <= other.y + other.h
        )


@dataclass(frozen=True)
class ServiceChoice:
    """One service as its tile shows it (from the hub's `state/queue`)."""

    id: str
    name: str
    prefix: str
    waiting: int = 0
    estimated_wait_s: float | None = None
    state: ServiceState = "open"
    agency: str | None = None


@dataclass(frozen=True)
class Geometry:
    width: int
    height: int
    min_letter_px: float  # the legibility rule's capital height for this screen
    cap_ratio: float  # capital height / font size of the font `measure` uses
    large: bool = False  # the large-text mode: letters half as tall again

    @property
    def min_size(self) -> int:
        """The smallest font size whose capitals meet the rule (in large mode, ×1.5)."""
        factor = 1.5 if self.large else 1.0
        # +1: a font's capitals are whole pixels, rounded down at some sizes
        return math.ceil(self.min_letter_px * factor / self.cap_ratio) + 1

    @property
    def gap(self) -> int:
        return max(4, round(GAP_RATIO * min(self.width, self.height)))

    @property
    def band(self) -> int:
        """The height of the headline band and of the bottom band of controls."""
        return max(round(0.13 * self.height), round(2 * LINE * self.min_size) + 2 * self.gap)


def min_tile(g: Geometry) -> tuple[int, int]:
    """The smallest service tile whose every slot holds a line at the minimum size (the
    name two lines), with padding."""
    pad = g.gap
    inner_h = math.ceil(max(LINE / s for s in SLOTS[2:]) * g.min_size)
    inner_h = max(inner_h, math.ceil(2 * LINE * g.min_size / SLOTS[1]))
    return 9 * g.min_size + 2 * pad, inner_h + 2 * pad


def grid(count: int, area: Rect, g: Geometry) -> tuple[int, int] | None:
    """Columns and rows for `count` tiles in `area`, each at least the minimum tile, the
    tiles as near square as they can be; None if `count` cannot fit."""
    min_w, min_h = min_tile(g)
    best: tuple[float, int, int] | None = None
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        w = (area.w - g.gap * (cols - 1)) / cols
        h = (area.h - g.gap * (rows - 1)) / rows
        if w < min_w or h < min_h:
            continue
        score = min(w / min_w, h / min_h) - abs(math.log(w / h / 1.4)) * 0.1
        if best is None or score > best[0]:
            best = (score, cols, rows)
    return None if best is None else (best[1], best[2])


def per_page(count: int, area: Rect, g: Geometry) -> int:
    """How many service tiles one page shows (all of them if they fit)."""
    for n in range(count, 0, -1):
        if grid(n, area, g) is not None:
            return n
    raise ValueError(f"a {g.width}x{g.height} screen cannot hold one readable tile")


def bands(g: Geometry) -> tuple[Rect, Rect, Rect]:
    """Headline, body and bottom band of a screen."""
    gap, band = g.gap, g.band
    head = Rect(gap, gap, g.width - 2 * gap, band)
    foot = Rect(gap, g.height - gap - band, g.width - 2 * gap, band)
    body = Rect(gap, head.y + band + gap, g.width - 2 * gap, foot.y - gap - (head.y + band + gap))
    return head, body, foot


def place_grid(shown: Sequence[ServiceChoice], body: Rect, g: Geometry) -> list[Placed]:
    layout = grid(len(shown), body, g) if shown else None
    if layout is None:
        return []
    cols, rows = layout
    w = (body.w - g.gap * (cols - 1)) // cols
    h = (body.h - g.gap * (rows - 1)) // rows
    placed = []
    for i, choice in enumerate(shown):
        row, col = divmod(i, cols)
        placed.append((choice, Rect(body.x + col * (w + g.gap), body.y + row * (h + g.gap), w, h)))
    return placed


# --- several agencies (a Mal Pelayanan Publik) -------------------------------------------

#: A service and the rectangle of its tile.
Placed = tuple[ServiceChoice, Rect]
#: An agency (None: services without one) and the services of it shown on one page.
Section = tuple[str | None, list[ServiceChoice]]


def by_agency(choices: Sequence[ServiceChoice]) -> list[Section]:
    """The services by agency, the agencies in the order their first service comes;
    services without an agency last. One section when there is only one agency."""
    sections: dict[str | None, list[ServiceChoice]] = {}
    for choice in sorted(choices, key=lambda c: c.agency is None):  # stable
        sections.setdefault(choice.agency, []).append(choice)
    return list(sections.items())


def heading_height(g: Geometry) -> int:
    """An agency's heading: one line, at least of the smallest readable size."""
    return max(math.ceil(LINE * g.min_size) + 2, round(0.03 * g.height))


def agency_pages(sections: Sequence[Section], body: Rect, g: Geometry) -> list[list[Section]]:
    """The sections on pages, as many smallest tiles as fit on each. A section too big
    for what is left of a page starts the next; one too big for a page with its heading
    in the body fills pages of its own (the heading then goes in the headline band)."""
    min_w, min_h = min_tile(g)
    cols = max(1, (body.w + g.gap) // (min_w + g.gap))
    alone = cols * ((body.h + g.gap) // (min_h + g.gap))
    head = heading_height(g)
    pages: list[list[Section]] = [[]]
    left = body.h
    for agency, services in sections:
        rest = list(services)
        while rest:
            if not pages[-1] and len(rest) > cols * ((left - head) // (min_h + g.gap)):
                pages[-1].append((agency, rest[:alone]))  # a page of its own
                rest = rest[alone:]
                pages.append([])
                left = body.h
                continue
            room = left - head - g.gap - (g.gap if pages[-1] else 0)
            rows = (room + g.gap) // (min_h + g.gap) if room >= min_h else 0
            if rows < 1:
                if not pages[-1]:
                    raise ValueError(f"a {g.width}x{g.height} screen cannot hold one tile")
                pages.append([])
                left = body.h
                continue
            taken, rest = rest[: rows * cols], rest[rows * cols :]
            used = math.ceil(len(taken) / cols)
            left -= head + g.gap + used * min_h + (used - 1) * g.gap
            left -= g.gap if pages[-1] else 0
            pages[-1].append((agency, taken))
    return [page for page in pages if page]


def place_sections(
    sections: Sequence[Section], body: Rect, g: Geometry
) -> tuple[list[Placed], list[tuple[str | None, Rect]]]:
    """One page of sections: each heading across the body, its tiles in rows under it,
    every tile the same size, as large and as near the usual shape as fits."""
    min_w, min_h = min_tile(g)
    head, count = heading_height(g), len(sections)
    best: tuple[float, int, int, int] | None = None
    for cols in range(1, max(len(s) for _, s in sections) + 1):
        rows = sum(math.ceil(len(s) / cols) for _, s in sections)
        w = (body.w - g.gap * (cols - 1)) // cols
        h = (body.h - count * head - g.gap * (rows + count - 1)) // rows
        if w < min_w or h < min_h:
            continue
        empty = 1 - sum(len(s) for _, s in sections) / (rows * cols)  # lone tiles in rows
        score = min(w / min_w, h / min_h) - abs(math.log(w / h / 1.4)) * 0.1 - empty / 2
        if best is None or score > best[0]:
            best = (score, cols, w, h)
    if best is None:
        raise ValueError("the sections do not fit one page")  # agency_pages prevents it
    _, cols, w, h = best
    placed: list[Placed] = []
    heads: list[tuple[str | None, Rect]] = []
    y = body.y
    for agency, services in sections:
        heads.append((agency, Rect(body.x, y, body.w, head)))
        y += head + g.gap
        for i, choice in enumerate(services):
            row, col = divmod(i, cols)
            placed.append((choice, Rect(body.x + col * (w + g.gap), y + row * (h + g.gap), w, h)))
        y += math.ceil(len(services) / cols) * (h + g.gap)
    return placed, heads
