"""What the pages show, as plain dicts: the live model's views with words and times added.

Pure: the model, the language and (for the dashboard) the time come in as arguments. The
same dicts feed the templates, the JSON twins (`/api/...`) and the live streams.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import qrcode
import qrcode.image.svg

from common.bahasa import Lang, clock, duration_minutes_phrase
from common.wire import parse_iso
from nodes.hub.web import i18n
from nodes.hub.web.live import LiveModel


def wait_text(seconds: float | None, lang: Lang) -> str:
    return duration_minutes_phrase(seconds, lang) if seconds is not None else "-"


def call_time(text: str, lang: Lang) -> str:
    moment = parse_iso(text)
    return clock(moment, lang) if moment else ""


def board_view(model: LiveModel, lang: Lang) -> dict[str, Any]:
    """The public board: each service's queue and the recent calls."""
    view = model.board()
    for service in view["services"]:
        service["estimate_text"] = wait_text(service["estimated_wait_s"], lang)
    for call in view["calls"]:
        call["time_text"] = call_time(call["called_at"], lang)
    return view


def ticket_view(
    model: LiveModel, ticket_id: str, lang: Lang, near_ahead: int
) -> dict[str, Any] | None:
    """One ticket's page; `near` when at most `near_ahead` tickets are ahead (or called)."""
    view = model.ticket(ticket_id)
    if view is None:
        return None
    words = i18n.words(lang)
    ahead = view["ahead"]
    view["estimate_text"] = (
        words["soon"] if ahead == 0 else wait_text(view["estimated_wait_s"], lang)
    )
    view["state_text"] = words[f"state_{view['state']}"]
    if view["state"] in ("called", "serving") and view["counter_name"]:
        view["state_text"] += f" {view['counter_name']}"
    view["near"] = view["state"] == "called" or (ahead is not None and ahead <= near_ahead)
    view["history"] = [
        {"time": call_time(at, lang), "text": words[f"h_{step}"]} for at, step in view["history"]
    ]
    return view


#: Status fields shown in words; any value but "ok" marks the node for attention.
WORDED = ("printer", "store", "disk", "backup")


def dashboard_view(model: LiveModel, now: datetime, lang: Lang) -> dict[str, Any]:
    """Node health, counters and queues for the signed-in dashboard."""
    words = i18n.words(lang)
    nodes = []
    for node_id, health in sorted(model.nodes.items()):
        nodes.append(
            {
                "id": node_id,
                "online": health.online,
                "role": health.role,
                "version": health.version,
                "last_seen": clock(health.last_seen.astimezone(now.tzinfo), lang, seconds=True),
                "details": node_details(health.details, words),
                "warn": any(health.details.get(key, "ok") != "ok" for key in WORDED),
            }
        )
    counters = []
    for counter in model.counters.values():
        current = model.counter_states.get(counter.id)
        counters.append(
            {
                "id": counter.id,
                "name": counter.name,
                "status": current.status if current else "closed",
                "ticket": current.number if current else None,
                "waiting": current.waiting if current else 0,
            }
        )
    services = board_view(model, lang)["services"]
    for service in services:
        longest = model.longest_wait_s(service["id"], now)
        service["longest_text"] = wait_text(longest, lang) if longest is not None else "-"
        service["open_text"] = words["open"] if service["open"] else words["closed"]
        service["next"] = " ".join(model.next_numbers(service["id"])) or "-"
    return {"version": model.version, "nodes": nodes, "counters": counters, "services": services}


def node_details(details: dict[str, Any], words: dict[str, str]) -> str:
    """A node's extra status fields, the printer's paper state and the hub's storage in
    words an officer reads."""
    parts = []
    for key, value in sorted(details.items()):
        if key == "pid":
            continue
        if key in WORDED and f"{key}_{value}" in words:
            parts.append(words[f"{key}_{value}"])
        else:
            parts.append(f"{key}: {value}")
    return ", ".join(parts)


def qr_svg(url: str) -> str:
    """A QR code as inline SVG (no image files, no JavaScript)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    text = buffer.getvalue().decode()
    return text[text.index("<svg") :]
