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

from common.bahasa import Lang, clock, duration_minutes_phrase, standard_phrase, wait_phrase
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
        # What a ticket taken now would say (common.bahasa.wait_phrase), with `waiting` ahead.
        estimate = wait_phrase(service["estimated_wait_s"], service["waiting"], lang)
        service["estimate_text"] = estimate or "-"
        # The published standard beside today's average, as the TV says it.
        standard = service["standard_wait_minutes"]
        service["standard_text"] = (
            standard_phrase(standard, service["average_wait_s"], lang) if standard else "-"
        )
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
    # The same words as the printed ticket (common.bahasa.wait_phrase).
    view["estimate_text"] = wait_phrase(view["estimated_wait_s"], ahead, lang) or "-"
    view["state_text"] = words[f"state_{view['state']}"]
    if view["state"] in ("called", "serving") and view["counter_name"]:
        view["state_text"] += f" {view['counter_name']}"
    # "Your turn is near" is for a waiting ticket only: once called, the state line says
    # where to go, and a second, older message beside it would contradict it.
    view["near"] = view["state"] == "waiting" and ahead is not None and ahead <= near_ahead
    # The phone vibrates (and notifies) when the turn is near and again when called.
    view["alert"] = "called" if view["state"] == "called" else "near" if view["near"] else None
    view["history"] = [
        {"time": call_time(at, lang), "text": words[f"h_{step}"]} for at, step in view["history"]
    ]
    return view


def dashboard_view(model: LiveModel, now: datetime, lang: Lang) -> dict[str, Any]:
    """Node health, counters and queues for the signed-in dashboard."""
    words = i18n.words(lang)
    nodes = []
    for node_id, health in sorted(model.nodes.items()):
        nodes.append(
            {
                "id": node_id,
                "online": health.online,
                "role": words.get(f"role_{health.role}", health.role),
                "version": health.version,
                "last_seen": last_seen_text(health.online, health.last_seen, now, lang),
                "details": node_details(health.details, words),
                "warn": needs_attention(health.details),
            }
        )
    update = None
    if model.update is not None:
        rollout = model.update
        summary = words[f"update_{rollout.state}"].format(
            version=rollout.version, reason=rollout.reason or ""
        )
        update = {
            "state": rollout.state,
            "summary": summary,
            "nodes": [
                {"id": n.node, "state": words[f"upd_{n.state}"], "detail": n.detail or ""}
                for n in rollout.nodes
            ],
        }
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
        # The dashboard warns while the longest wait is past the service's standard.
        standard = service["standard_wait_minutes"]
        over = standard is not None and longest is not None and longest > standard * 60
        service["over_standard"] = over
        service["over_text"] = (
            words["over_standard"].format(minutes=f"{standard:g}".replace(".", ",")) if over else ""
        )
        service["open_text"] = words["open"] if service["open"] else words["closed"]
        upcoming = model.next_numbers(service["id"])
        service["next"] = " ".join(upcoming) or "-"
        service["next_list"] = upcoming  # the page keeps each number on one line
    return {
        "version": model.version,
        "nodes": nodes,
        "counters": counters,
        "services": services,
        "update": update,
    }


def last_seen_text(online: bool, seen: datetime, now: datetime, lang: Lang) -> str:
    """ "Now" while a node is online (nodes only publish on change, so the stamp of its last
    status would look frozen); when offline, the time it was last heard of, with the date
    if that was another day."""
    if online:
        return i18n.words(lang)["seen_now"]
    local = seen.astimezone(now.tzinfo)
    text = clock(local, lang, seconds=True)
    if local.date() != now.date():
        text = f"{local.day:d}/{local.month:d} {text}"
    return text


#: Status fields that are the node's own business, not the officer's.
HIDDEN_DETAILS = frozenset({"pid", "office"})
#: A field whose value is not one of these marks the row for attention.
FINE = {
    "printer": ("ok",),
    "store": ("ok",),
    "disk": ("ok",),
    "backup": ("ok",),
    "uplink": ("connected",),  # the region's uplink ([region]): down for long needs a look
    "keypad": ("ok", "searching"),
    "voice_ok": (True,),
}


def needs_attention(details: dict[str, Any]) -> bool:
    return any(key in details and details[key] not in fine for key, fine in FINE.items())


def node_details(details: dict[str, Any], words: dict[str, str]) -> str:
    """A node's extra status fields (printer, storage, keypad, voice, ...) in words an officer
    reads. A field without words of its own (a newer node's) is shown as it was sent."""
    parts = []
    for key, value in sorted(details.items()):
        if key in HIDDEN_DETAILS:
            continue
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        if f"{key}_{shown}" in words:
            parts.append(words[f"{key}_{shown}"])
        elif f"detail_{key}" in words:
            parts.append(f"{words[f'detail_{key}']}: {words.get(f'value_{shown}', shown)}")
        else:
            parts.append(f"{key}: {shown}")
    return ", ".join(parts)


def qr_svg(url: str) -> str:
    """A QR code as inline SVG (no image files, no JavaScript)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    text = buffer.getvalue().decode()
    return text[text.index("<svg") :]
