"""The printed ticket as a plain layout: what goes on the paper, in which size and order.

Pure: built from the hub's ticket `data`, the office's details and a clock, with no printer
and no I/O. Both renderers (`escpos_render` for the thermal printer, `png_render` for the
preview) draw exactly these items, so the preview in the docs is the paper the citizen
holds. Text is already wrapped to the paper's columns here, so a renderer never has to
measure anything: one `Line` is one printed line.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Final, Literal

from common.bahasa import MONTH_NAMES, Lang, long_datetime, wait_phrase
from common.wire import parse_iso

if TYPE_CHECKING:
    from PIL.Image import Image

Size = Literal["normal", "large", "huge"]
Align = Literal["left", "center", "right"]

#: Character cell multiplier of each size. ESC/POS scales font A (12×24 dots) by whole
#: numbers, at most 8× (GS !). "huge" is the ticket number, the point of the ticket: as large
#: as its characters fit on the line (`number_scale`), 8× on 80 mm paper, 6× on 58 mm.
SIZE_SCALE: Final[dict[str, int]] = {"normal": 1, "large": 2, "huge": 8}


@dataclass(frozen=True)
class Paper:
    """A roll width: how many font-A columns and printer dots fit on one line."""

    mm: int
    columns: int
    dots: int


PAPERS: Final[dict[int, Paper]] = {
    80: Paper(mm=80, columns=48, dots=576),
    58: Paper(mm=58, columns=32, dots=384),
}


@dataclass(frozen=True)
class Line:
    text: str
    size: Size = "normal"
    bold: bool = False
    align: Align = "center"
    #: The character cell multiplier when it is not the size's own (the number's fit).
    magnified: int = 0

    @property
    def scale(self) -> int:
        return self.magnified or SIZE_SCALE[self.size]


@dataclass(frozen=True)
class Rule:
    """A dashed separator across the paper."""


@dataclass(frozen=True)
class Gap:
    """An empty line of normal height."""


@dataclass(frozen=True)
class QrCode:
    payload: str


@dataclass(frozen=True)
class Logo:
    """The office's logo: a 1-bit picture at most the paper's width in dots (`load_logo`)."""

    image: Image


Item = Line | Rule | Gap | QrCode | Logo


@dataclass(frozen=True)
class TicketLayout:
    number: str
    ticket_id: str
    paper: Paper
    items: tuple[Item, ...]

    def text(self) -> str:
        """Every line's text, one per line: for logs and tests."""
        return "\n".join(item.text for item in self.items if isinstance(item, Line))


@dataclass(frozen=True)
class OfficeInfo:
    """What the kiosk prints about its office, from its config (and the hub's `config`)."""

    name: str
    address: str = ""
    base_url: str = ""
    footer: str = ""
    lang: Lang = "id"
    logo: Image | None = None


#: Citizen-facing text, Indonesian first.
TEXT: Final[dict[str, dict[str, str]]] = {
    "id": {
        "heading": "NOMOR ANTRIAN",
        "priority": "PRIORITAS",
        "ahead": "Antrian di depan Anda: {ahead}",
        "wait": "Perkiraan waktu tunggu: {wait}",
        "scan": "Pindai untuk memantau antrian Anda",
        "footer": "Silakan menunggu nomor Anda dipanggil.",
        "valid": "Berlaku hari ini saja: {date}",
    },
    "en": {
        "heading": "QUEUE NUMBER",
        "priority": "PRIORITY",
        "ahead": "Ahead of you: {ahead}",
        "wait": "Estimated wait: {wait}",
        "scan": "Scan to follow your place in the queue",
        "footer": "Please wait until your number is called.",
        "valid": "Valid today only: {date}",
    },
}


def status_url(base_url: str, ticket_id: str) -> str:
    """The web front end's ticket status page (`/t/{ticket_id}`), or "" without a base URL."""
    return f"{base_url.rstrip('/')}/t/{ticket_id}" if base_url else ""


def number_scale(number: str, paper: Paper) -> int:
    """The largest magnification (at most `SIZE_SCALE["huge"]`) at which the number fits
    on one line: "A-012" is 8× on 80 mm (480 of 576 dots) and 6× on 58 mm."""
    return max(1, min(SIZE_SCALE["huge"], paper.columns // max(1, len(number))))


def _wrapped(text: str, paper: Paper, size: Size, bold: bool = False) -> list[Line]:
    width = max(1, paper.columns // SIZE_SCALE[size])
    chunks = textwrap.wrap(text, width, break_long_words=True) or [""]
    return [Line(chunk, size, bold) for chunk in chunks]


def ticket_layout(
    data: dict[str, Any],
    office: OfficeInfo,
    now: datetime,
    *,
    paper: Paper = PAPERS[80],
    priority: bool = False,
    tz: tzinfo | None = None,
) -> TicketLayout:
    """The ticket for the hub's ticket `data` (MQTT-API.md, "Ticket data").

    The time printed is the ticket's `issued_at` in the office's time zone `tz`; `now` is
    used only when the hub sent none. A priority ticket (the press, or the hub's
    `priority` field) says so under the number. The wait line is left out when the estimate is
    unknown (null), never printed as "-", and says "Segera dilayani" with nobody ahead
    (`common.bahasa.wait_phrase`, which the phone page uses too). The ticket ends saying it
    is valid on its day only. KeyError if `number` or `ticket_id` is missing.
    """
    text = TEXT[office.lang]
    number = str(data["number"])
    ticket_id = str(data["ticket_id"])
    issued = parse_iso(data.get("issued_at")) or now
    if tz is not None and issued.tzinfo is not None:
        issued = issued.astimezone(tz)

    items: list[Item] = []
    if office.logo is not None:
        items.append(Logo(office.logo))
    if office.name:
        # Twice the size when it takes at most two lines; a long name stays readable small.
        name = _wrapped(office.name, paper, "large", bold=True)
        items += name if len(name) <= 2 else _wrapped(office.name, paper, "normal", bold=True)
    if office.address:
        items += _wrapped(office.address, paper, "normal")
    items.append(Rule())
    service_name = str(data.get("service_name") or data.get("service") or "")
    if service_name:
        items += _wrapped(service_name, paper, "large", bold=True)
    items.append(Line(text["heading"]))
    items.append(Line(number, "huge", bold=True, magnified=number_scale(number, paper)))
    if priority or data.get("priority") is True:
        items.append(Line(text["priority"], "large", bold=True))
    items += _wrapped(long_datetime(issued, office.lang), paper, "normal")
    items.append(Rule())
    ahead = data.get("ahead")
    if isinstance(ahead, int) and not isinstance(ahead, bool):
        items += _wrapped(text["ahead"].format(ahead=ahead), paper, "normal")
    wait = data.get("estimated_wait_s")
    if isinstance(wait, int | float) and not isinstance(wait, bool) and wait >= 0:
        known_ahead = ahead if isinstance(ahead, int) and not isinstance(ahead, bool) else None
        phrase = wait_phrase(float(wait), known_ahead, office.lang)
        if phrase is not None:
            items += _wrapped(text["wait"].format(wait=phrase), paper, "normal")
    url = status_url(office.base_url, ticket_id)
    if url:
        items.append(Gap())
        items.append(QrCode(url))
        items += _wrapped(text["scan"], paper, "normal")
    items.append(Gap())
    items += _wrapped(office.footer or text["footer"], paper, "normal")
    # A ticket numbers a place in today's line only: tomorrow "A-012" is someone else.
    day = f"{issued.day} {MONTH_NAMES[office.lang][issued.month - 1]} {issued.year}"
    valid = text["valid"].format(date=day)
    items += _wrapped(valid, paper, "normal", bold=True)
    return TicketLayout(number=number, ticket_id=ticket_id, paper=paper, items=tuple(items))
