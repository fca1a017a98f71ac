"""What the touch kiosk shows, as rectangles and words: pure, no pygame, no clock.

A `Screen` is a list of `Tile`s (what a finger can choose) and free `Text`s, each text
with the rectangle it is drawn in and its font size. The renderer only draws what is
here, so the tests can check every rule on the layout itself: no text leaves its tile,
and every letter is at least `min_letter_px` tall (the legibility rule of
common/legibility.py at arm's length). Text widths come from `measure`, the font's own
metrics, passed in so this module stays pure.

Many services do not fit one screen at a readable size: the tiles are paged, with
"Sebelumnya"/"Berikutnya" tiles in the bottom band. Where the tiles go (grids, pages, the
agencies' sections) is nodes/kiosk/layout.py; this module puts words in them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from common.bahasa import Lang, wait_phrase
from nodes.kiosk.layout import (
    LINE,
    SLOTS,
    Geometry,
    Rect,
    ServiceChoice,
    agency_pages,
    bands,
    by_agency,
    grid,
    per_page,
    place_grid,
    place_sections,
)

#: (text, font size px) -> (width px, capital height px) of that text in the kiosk's font.
Measure = Callable[[str, int], tuple[int, int]]
TileKind = Literal[
    "service", "priority", "group", "language", "page", "cancel", "start", "done", "now", "large"
]

#: The legal priority groups (UU 8/2016 disabilitas, UU 13/1998 lansia, UU 25/2009
#: pelayanan publik Pasal 29: ibu hamil, anak-anak, korban bencana).
PRIORITY_GROUPS: Final[tuple[tuple[str, str, str], ...]] = (
    ("disabilitas", "Penyandang disabilitas", "Persons with disabilities"),
    ("lansia", "Lanjut usia", "Older persons"),
    ("hamil", "Ibu hamil", "Pregnant women"),
    ("anak", "Anak-anak", "Children"),
    ("bencana", "Korban bencana", "Disaster victims"),
)


@dataclass(frozen=True)
class Text:
    text: str
    rect: Rect  # the box of its measured size, centred in its slot
    size: int  # font size px
    cap_px: int  # measured capital height px


@dataclass(frozen=True)
class Tile:
    kind: TileKind
    key: str  # the service id, group id, page "next"/"prev", language...
    rect: Rect
    texts: tuple[Text, ...]
    enabled: bool = True

    @property
    def label(self) -> str:
        return " / ".join(t.text for t in self.texts)


@dataclass(frozen=True)
class Screen:
    name: str  # idle, services, priority, printing, issued
    width: int
    height: int
    tiles: tuple[Tile, ...] = ()
    texts: tuple[Text, ...] = ()
    alert: bool = False  # the headline is trouble (drawn in the alert colour)
    page: int = 0
    pages: int = 1
    headings: tuple[Text, ...] = ()  # the agencies' names above their services

    def hit(self, x: float, y: float) -> Tile | None:
        return next((t for t in self.tiles if t.rect.contains(x, y)), None)


WORDS: Final[dict[str, dict[str, str]]] = {
    "id": {
        "choose": "Silakan pilih layanan",
        "choose_priority": "Prioritas: {group}. Pilih layanan",
        "priority": "Prioritas",
        "priority_title": "Layanan prioritas untuk:",
        "language": "English",
        "now": "Sedang dilayani",
        "large": "Teks besar",
        "normal": "Teks normal",
        "prev": "Sebelumnya",
        "next": "Berikutnya",
        "cancel": "Batal",
        "waiting": "{n} menunggu",
        "closed": "Tutup",
        "exhausted": "Kuota habis",
        "no_estimate": "Belum ada loket",
        "touch": "Sentuh layar untuk mengambil nomor antrian",
        "printing": "Tiket Anda sedang dicetak...",
        "your_number": "Nomor antrian Anda",
        "take_ticket": "Silakan ambil tiket Anda",
        "done": "Selesai",
        "page": "Halaman {page} dari {pages}",
        "other": "Layanan lainnya",
    },
    "en": {
        "choose": "Please choose a service",
        "choose_priority": "Priority: {group}. Choose a service",
        "priority": "Priority",
        "priority_title": "Priority service for:",
        "language": "Bahasa Indonesia",
        "now": "Now serving",
        "large": "Large text",
        "normal": "Normal text",
        "prev": "Previous",
        "next": "Next",
        "cancel": "Cancel",
        "waiting": "{n} waiting",
        "closed": "Closed",
        "exhausted": "Quota used up",
        "no_estimate": "No counter open",
        "touch": "Touch the screen to take a number",
        "printing": "Your ticket is being printed...",
        "your_number": "Your queue number",
        "take_ticket": "Please take your ticket",
        "done": "Done",
        "page": "Page {page} of {pages}",
        "other": "Other services",
    },
}


def group_name(group: str, lang: Lang) -> str:
    for key, name_id, name_en in PRIORITY_GROUPS:
        if key == group:
            return name_id if lang == "id" else name_en
    raise ValueError(f"unknown priority group {group!r}")


# --- fitting words into boxes ------------------------------------------------------------


def _ellipsize(text: str, width: int, size: int, measure: Measure) -> str:
    while text and measure(text + "…", size)[0] > width:
        text = text[:-1].rstrip()
    return text + "…"


def _wrap(text: str, width: int, size: int, measure: Measure, max_lines: int) -> list[str] | None:
    """Words into at most `max_lines` lines of `width`; None if they do not fit."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and measure(candidate, size)[0] <= width:
            lines[-1] = candidate
        else:
            if measure(word, size)[0] > width:
                return None
            lines.append(word)
    return lines if len(lines) <= max_lines else None


def fit_text(
    text: str, box: Rect, min_size: int, measure: Measure, *, max_lines: int = 1
) -> tuple[Text, ...]:
    """`text` as large as fits `box` (at most `max_lines` lines), never below `min_size`:
    wrapped, and at `min_size` cut with "…" when even that is too long."""
    top = max(min_size, int(box.h / LINE))
    for size in range(top, min_size - 1, -1):
        for count in range(1, max_lines + 1):
            if count * size * LINE > box.h and size > min_size:
                break
            lines = [text] if count == 1 else _wrap(text, box.w, size, measure, count)
            if lines is not None and all(measure(line, size)[0] <= box.w for line in lines):
                return _stack(lines, box, size, measure)
    lines = _wrap(text, box.w, min_size, measure, max_lines) or [text]
    lines = lines[:max_lines]
    if measure(lines[-1], min_size)[0] > box.w:
        lines[-1] = _ellipsize(lines[-1], box.w, min_size, measure)
    return _stack(lines, box, min_size, measure)


def _stack(lines: list[str], box: Rect, size: int, measure: Measure) -> tuple[Text, ...]:
    line_h = round(size * LINE)
    top = box.y + max(0, (box.h - line_h * len(lines)) // 2)
    texts = []
    for i, line in enumerate(lines):
        width, cap = measure(line, size)
        width = min(width, box.w)
        x = box.x + (box.w - width) // 2
        texts.append(Text(line, Rect(x, top + i * line_h, width, min(line_h, box.h)), size, cap))
    return tuple(texts)


def _inner(rect: Rect, pad: int) -> Rect:
    return Rect(rect.x + pad, rect.y + pad, rect.w - 2 * pad, rect.h - 2 * pad)


# --- the screens -------------------------------------------------------------------------


def service_tile(
    choice: ServiceChoice, rect: Rect, g: Geometry, lang: Lang, measure: Measure
) -> Tile:
    words = WORDS[lang]
    pad = g.gap
    inner = _inner(rect, pad)
    if choice.state == "open":
        wait = wait_phrase(choice.estimated_wait_s, choice.waiting, lang) or words["no_estimate"]
    else:
        wait = words[choice.state]
    lines = (
        (choice.prefix, 1),
        (choice.name, 2),
        (words["waiting"].format(n=choice.waiting), 1),
        (wait, 1),
    )
    texts: list[Text] = []
    top = inner.y
    for (text, max_lines), share in zip(lines, SLOTS, strict=True):
        slot = Rect(inner.x, top, inner.w, int(inner.h * share))
        texts += fit_text(text, slot, g.min_size, measure, max_lines=max_lines)
        top += slot.h
    return Tile("service", choice.id, rect, tuple(texts), enabled=choice.state == "open")


#: The page tiles' labels when the words do not fit the band (large text on a 7" panel).
ARROWS: Final = {"prev": "◀", "next": "▶"}


def _band_tiles(
    items: Sequence[tuple[TileKind, str, str, bool]], band: Rect, g: Geometry, measure: Measure
) -> list[Tile]:
    """Tiles side by side across a band: (kind, key, label, enabled). Each is at least as
    wide as its longest word and the rest is shared out, so no label is cut; if even that
    is too wide, the page tiles say only "◀" and "▶"."""
    if not items:
        return []
    room = band.w - g.gap * (len(items) - 1)

    def need(label: str) -> int:
        return max(measure(word, g.min_size)[0] for word in label.split()) + 2 * g.gap + 2

    if sum(need(label) for _, _, label, _ in items) > room:
        items = [(k, key, ARROWS[key] if k == "page" else text, on) for k, key, text, on in items]
    needs = [need(label) for _, _, label, _ in items]
    if sum(needs) > room:  # still too narrow: equal tiles, the labels cut with "…"
        needs = [0] * len(items)
    extra = (room - sum(needs)) // len(items)
    tiles, x = [], band.x
    for (kind, key, label, enabled), width in zip(items, needs, strict=True):
        rect = Rect(x, band.y, width + extra, band.h)
        texts = fit_text(label, _inner(rect, g.gap), g.min_size, measure, max_lines=2)
        tiles.append(Tile(kind, key, rect, texts, enabled))
        x += rect.w + g.gap
    return tiles


def services_screen(
    choices: Sequence[ServiceChoice],
    g: Geometry,
    measure: Measure,
    *,
    lang: Lang = "id",
    page: int = 0,
    group: str | None = None,
    headline: str | None = None,
    alert: bool = False,
    enabled: bool = True,
    now_serving: bool = False,
    large_text: bool | None = None,
) -> Screen:
    """One tile per service (a page of them), the headline, and the bottom band: the
    priority choice, "now serving" (a kiosk with a voice), the language, and the page
    tiles. `headline` replaces the usual one (a trouble message, `alert`); `enabled`
    False greys every tile (the lamps off). `large_text` not None: a tile that turns the
    large, high-contrast text on ("Teks besar", when False) or off ("Teks normal")."""
    words = WORDS[lang]
    head, body, foot = bands(g)
    sections = by_agency(choices)
    placed: list[tuple[ServiceChoice, Rect]]
    heads: list[tuple[str | None, Rect]] = []
    if len(sections) > 1:  # several agencies: their services under their names
        book = agency_pages(sections, body, g)
        pages = len(book)
        page = min(max(0, page), pages - 1)
        if len(book[page]) > 1:
            placed, heads = place_sections(book[page], body, g)
        else:  # one agency on this page: its name in the headline band, unless trouble
            ((agency, services),) = book[page]
            placed = place_grid(services, body, g)
            if not alert:
                top = Rect(head.x, head.y, head.w, head.h // 2)
                heads = [(agency, top)]
                head = Rect(head.x, head.y + top.h, head.w, head.h - top.h)
    else:
        size = per_page(max(1, len(choices)), body, g)
        pages = max(1, math.ceil(len(choices) / size))
        page = min(max(0, page), pages - 1)
        placed = place_grid(choices[page * size : (page + 1) * size], body, g)
    tiles: list[Tile] = []
    for choice, rect in placed:
        tile = service_tile(choice, rect, g, lang, measure)
        tiles.append(tile if enabled else Tile(tile.kind, tile.key, rect, tile.texts, False))
    headings = tuple(_heading(agency or words["other"], rect, g, measure) for agency, rect in heads)
    if headline is None:
        headline = (
            words["choose_priority"].format(group=group_name(group, lang))
            if group
            else words["choose"]
        )
        if pages > 1:
            headline += " — " + words["page"].format(page=page + 1, pages=pages)
    band: list[tuple[TileKind, str, str, bool]] = []
    if pages > 1:
        band.append(("page", "prev", words["prev"], page > 0))
    if group:
        band.append(("cancel", "cancel", words["cancel"], True))
    else:
        band.append(("priority", "priority", words["priority"], enabled))
    if now_serving:  # the calls are said even when no ticket can be printed
        band.append(("now", "now", words["now"], True))
    if large_text is not None:
        key = "normal" if large_text else "large"
        band.append(("large", key, words[key], True))
    band.append(("language", "en" if lang == "id" else "id", words["language"], True))
    if pages > 1:
        band.append(("page", "next", words["next"], page < pages - 1))
    tiles += _band_tiles(band, foot, g, measure)
    texts = fit_text(headline, head, g.min_size, measure, max_lines=1 if heads else 2)
    return Screen("services", g.width, g.height, tuple(tiles), texts, alert, page, pages, headings)


def _heading(text: str, box: Rect, g: Geometry, measure: Measure) -> Text:
    """An agency's name on one line, from the left edge."""
    (fitted,) = fit_text(text, box, g.min_size, measure)
    return Text(
        fitted.text,
        Rect(box.x, fitted.rect.y, fitted.rect.w, fitted.rect.h),
        fitted.size,
        fitted.cap_px,
    )


def priority_screen(g: Geometry, measure: Measure, *, lang: Lang = "id") -> Screen:
    """The legal priority groups, one tile each, and "Batal"."""
    words = WORDS[lang]
    head, body, foot = bands(g)
    count = len(PRIORITY_GROUPS)
    layout = grid(count, body, g) or (1, count)
    cols, rows = layout
    w = (body.w - g.gap * (cols - 1)) // cols
    h = (body.h - g.gap * (rows - 1)) // rows
    tiles = []
    for i, (key, _, _) in enumerate(PRIORITY_GROUPS):
        row, col = divmod(i, cols)
        rect = Rect(body.x + col * (w + g.gap), body.y + row * (h + g.gap), w, h)
        texts = fit_text(
            group_name(key, lang), _inner(rect, g.gap), g.min_size, measure, max_lines=2
        )
        tiles.append(Tile("group", key, rect, texts))
    band: list[tuple[TileKind, str, str, bool]] = [
        ("cancel", "cancel", words["cancel"], True),
        ("language", "en" if lang == "id" else "id", words["language"], True),
    ]
    tiles += _band_tiles(band, foot, g, measure)
    texts = fit_text(words["priority_title"], head, g.min_size, measure, max_lines=2)
    return Screen("priority", g.width, g.height, tuple(tiles), texts)


def message_screen(
    name: str,
    lines: Sequence[tuple[str, float]],
    g: Geometry,
    measure: Measure,
    *,
    lang: Lang = "id",
    tile: tuple[TileKind, str, str] | None = None,
    alert: bool = False,
) -> Screen:
    """Lines of text down the screen, each (text, share of the height), and optionally
    one tile in the bottom band (or, with kind "start", the whole screen to touch)."""
    head, _body, foot = bands(g)
    area = Rect(
        head.x, head.y, head.w, (foot.y if tile and tile[0] != "start" else g.height) - head.y
    )
    texts: list[Text] = []
    top = area.y
    for text, share in lines:
        slot = Rect(area.x, top, area.w, int(area.h * share))
        texts += fit_text(text, slot, g.min_size, measure, max_lines=2)
        top += slot.h
    tiles: list[Tile] = []
    if tile is not None and tile[0] == "start":
        tiles.append(Tile("start", tile[1], Rect(0, 0, g.width, g.height), ()))
    elif tile is not None:
        tiles += _band_tiles([(tile[0], tile[1], tile[2], True)], foot, g, measure)
    return Screen(name, g.width, g.height, tuple(tiles), tuple(texts), alert)
