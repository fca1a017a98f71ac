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
from typing import Any, Final, Literal

from common.bahasa import Lang, duration_minutes_phrase, long_datetime
from common.wire import parse_iso

Size = Literal["normal", "large", "huge"]
Align = Literal["left", "center", "right"]

#: Character cell multiplier of each size. ESC/POS scales font A (12×24 dots) by whole
#: numbers; "huge" is 4× so that "A-012" fills most of a 58 mm line and reads from a metre.
SIZE_SCALE: Final[dict[str, int]] = {"normal": 1, "large": 2, "huge": 4}


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


@dataclass(frozen=True)
class Rule:
    """A dashed separator across the paper."""


@dataclass(frozen=True)
class Gap:
    """An empty line of normal height."""


@dataclass(frozen=True)
class QrCode:
    payload: str


Item = Line | Rule | Gap | QrCode


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


#: Citizen-facing text, Indonesian first.
TEXT: Final[dict[str, dict[str, str]]] = {
    "id": {
        "heading": "NOMOR ANTRIAN",
        "priority": "PRIORITAS",
        "ahead": "Antrian di depan Anda: {ahead}",
        "wait": "Perkiraan waktu tunggu: {wait}",
        "scan": "Pindai untuk memantau antrian Anda",
        "footer": "Terima kasih telah menunggu dengan tertib.",
    },
    "en": {
        "heading": "QUEUE NUMBER",
        "priority": "PRIORITY",
        "ahead": "Ahead of you: {ahead}",
        "wait": "Estimated wait: {wait}",
        "scan": "Scan to follow your place in the queue",
        "footer": "Thank you for waiting.",
    },
}


def status_url(base_url: str, ticket_id: str) -> str:
    """The web front end's ticket status page (`/t/{ticket_id}`), or "" without a base URL."""
    return f"{base_url.rstrip('/')}/t/{ticket_id}" if base_url else ""


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
    unknown (null), never printed as "-". KeyError if `number` or `ticket_id` is missing.
    """
    text = TEXT[office.lang]
    number = str(data["number"])
    ticket_id = str(data["ticket_id"])
    issued = parse_iso(data.get("issued_at")) or now
    if tz is not None and issued.tzinfo is not None:
        issued = issued.astimezone(tz)

    items: list[Item] = []
    if office.name:
        items += _wrapped(office.name, paper, "normal", bold=True)
    if office.address:
        items += _wrapped(office.address, paper, "normal")
    items.append(Rule())
    service_name = str(data.get("service_name") or data.get("service") or "")
    if service_name:
        items += _wrapped(service_name, paper, "large", bold=True)
    items.append(Line(text["heading"]))
    items.append(Line(number, "huge", bold=True))
    if priority or data.get("priority") is True:
        items.append(Line(text["priority"], "large", bold=True))
    items += _wrapped(long_datetime(issued, office.lang), paper, "normal")
    items.append(Rule())
    ahead = data.get("ahead")
    if isinstance(ahead, int) and not isinstance(ahead, bool):
        items += _wrapped(text["ahead"].format(ahead=ahead), paper, "normal")
    wait = data.get("estimated_wait_s")
    if isinstance(wait, int | float) and not isinstance(wait, bool) and wait >= 0:
        phrase = duration_minutes_phrase(float(wait), office.lang)
        items += _wrapped(text["wait"].format(wait=phrase), paper, "normal")
    url = status_url(office.base_url, ticket_id)
    if url:
        items.append(Gap())
        items.append(QrCode(url))
        items += _wrapped(text["scan"], paper, "normal")
    items.append(Gap())
    items += _wrapped(office.footer or text["footer"], paper, "normal")
    return TicketLayout(number=number, ticket_id=ticket_id, paper=paper, items=tuple(items))


def sample_data() -> dict[str, Any]:
    """A realistic ticket, for the docs' preview and the benchmark."""
    return {
        "ticket_id": "20261128-A-012",
        "number": "A-012",
        "service": "A",
        "service_name": "Kartu Keluarga",
        "issued_at": "2026-11-28T08:15:02+07:00",
        "ahead": 5,
        "estimated_wait_s": 900,
    }
