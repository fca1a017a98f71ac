"""What the counter indicator shows, as plain data and text. Pure.

`CounterView` is everything an indicator needs at one moment: the hub's state of this
counter, whether the hub can be reached, what the officer is typing, and a short notice.
`terminal_line` and `lcd_lines` turn it into text; the adapters in `indicator.py` only
write that text out. Citizen/officer-facing words come from `TEXT`, Indonesian by default,
English as the second catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from common.payloads import CounterState
from nodes.counter.keys import Entry, Office

TEXT: Final[dict[str, dict[str, str]]] = {
    "id": {
        "counter": "LOKET",
        "called": "MEMANGGIL",
        "serving": "MELAYANI",
        "open": "BUKA",
        "paused": "ISTIRAHAT",
        "closed": "TUTUP",
        "offline": "OFFLINE",
        "loading": "MEMUAT",
        "waiting": "menunggu {n}",
        "busy": "mengirim...",
        "prompt_number": "NOMOR",
        "prompt_service": "LAYANAN?",
        "prompt_transfer": "ALIHKAN KE",
        "prompt_officer": "KODE PETUGAS",
        "prompt_pin": "PIN",
        "short_pin": "PIN min. 4 angka",
        "too_long_code": "Maks. 8 angka",
        "signed_in": "Petugas masuk",
        "signed_out": "Petugas keluar",
        # Notices: short enough for a 16-column LCD.
        "queue_empty": "Antrian kosong",
        "invalid_state": "Tindakan ditolak",
        "counter_closed": "Loket tutup",
        "unknown_ticket": "Nomor tak ada",
        "unknown_service": "Layanan tak ada",
        "unknown_counter": "Loket tak ada",
        "service_closed": "Layanan tutup",
        "forbidden": "Tidak diizinkan",
        "bad_request": "Perintah salah",
        "timeout": "Server tak jawab",
        "internal_error": "Gangguan sistem",
        "error": "Gagal",
        "cancelled": "Batal",
        "bad_command": "Perintah salah",
        "unknown_key": "Tombol salah",
        "unknown_digit": "Pilihan salah",
        "bad_number": "Nomor salah",
        "too_long": "Maks. 5 angka",
        "no_config": "Data belum ada",
        "no_state": "Data belum ada",
        "queue_full": "Tunggu sebentar",
        "transferred": "Dialihkan ke {service}",
        "recalled": "Dipanggil ulang",
        "keypad_lost": "Keypad terlepas",
        "prompt_score": "Nilai layanan",
        "scored": "Terima kasih",
    },
    "en": {
        "counter": "COUNTER",
        "called": "CALLING",
        "serving": "SERVING",
        "open": "OPEN",
        "paused": "PAUSED",
        "closed": "CLOSED",
        "offline": "OFFLINE",
        "loading": "LOADING",
        "waiting": "waiting {n}",
        "busy": "sending...",
        "prompt_number": "NUMBER",
        "prompt_service": "SERVICE?",
        "prompt_transfer": "TRANSFER TO",
        "prompt_officer": "OFFICER CODE",
        "prompt_pin": "PIN",
        "short_pin": "PIN 4+ digits",
        "too_long_code": "Max. 8 digits",
        "signed_in": "Officer in",
        "signed_out": "Officer out",
        "queue_empty": "Queue empty",
        "invalid_state": "Not allowed now",
        "counter_closed": "Counter closed",
        "unknown_ticket": "No such number",
        "unknown_service": "No such service",
        "unknown_counter": "Unknown counter",
        "service_closed": "Service closed",
        "forbidden": "Not permitted",
        "bad_request": "Bad command",
        "timeout": "Server no answer",
        "internal_error": "System error",
        "error": "Failed",
        "cancelled": "Cancelled",
        "bad_command": "Bad command",
        "unknown_key": "Unknown key",
        "unknown_digit": "Wrong choice",
        "bad_number": "Wrong number",
        "too_long": "Max. 5 digits",
        "no_config": "No data yet",
        "no_state": "No data yet",
        "queue_full": "Please wait",
        "transferred": "Moved to {service}",
        "recalled": "Called again",
        "keypad_lost": "Keypad unplugged",
        "prompt_score": "Rate service",
        "scored": "Thank you",
    },
}
LANGUAGES: Final = tuple(TEXT)


@dataclass(frozen=True)
class CounterView:
    """Everything an indicator shows at one moment."""

    counter: str
    state: CounterState | None = None  # None until the hub has told us anything
    office: Office = field(default_factory=Office)
    online: bool = False
    entry: Entry = field(default_factory=Entry)
    notice: str | None = None  # already in the view's language
    busy: bool = False  # a request is on its way to the hub
    language: str = "id"

    def text(self, key: str, **values: Any) -> str:
        catalogue = TEXT.get(self.language, TEXT["id"])
        return catalogue.get(key, TEXT["id"].get(key, key)).format(**values)

    @property
    def title(self) -> str:
        """ "LOKET 1": the hub's counter name in capitals, else LOKET + id."""
        name = (self.state.name if self.state else "") or self.office.counter_name
        return name.upper() if name else f"{self.text('counter')} {self.counter}"

    @property
    def headline(self) -> str:
        """The state word and number: "MEMANGGIL A-001", "ISTIRAHAT", "OFFLINE"."""
        if not self.online:
            return self.text("offline")
        state = self.state
        if state is None:
            return self.text("loading")
        if state.status in ("paused", "closed"):
            word = self.text(state.status)
            return f"{word} {state.number}" if state.ticket else word
        if state.ticket:
            word = self.text("serving" if state.ticket.state == "serving" else "called")
            return f"{word} {state.ticket.number}"
        return self.text("open") if state.status == "open" else self.text("loading")

    @property
    def waiting(self) -> str | None:
        if not self.online or self.state is None:
            return None
        if self.state.status == "closed":
            return None
        return self.text("waiting", n=self.state.waiting)

    @property
    def prompt(self) -> tuple[str, str] | None:
        """(title, detail) of what the officer is typing, e.g. ("ALIHKAN KE", "1=A 2=B 3=C")."""
        entry = self.entry
        if entry.mode == "number":
            return self.text("prompt_number"), entry.digits + "_"
        if entry.mode == "transfer":
            return self.text("prompt_transfer"), self._choices([s.id for s in self.office.services])
        if entry.mode == "score":
            return self.text("prompt_score"), "1-4"
        if entry.mode == "officer":
            return self.text("prompt_officer"), entry.digits + "_"
        if entry.mode == "pin":
            # Never the PIN itself: an indicator may face the citizen.
            return self.text("prompt_pin"), f"{entry.officer}: " + "*" * len(entry.digits) + "_"
        if entry.mode == "number_service":
            served = list(self.office.counter_services) or [s.id for s in self.office.services]
            return f"{self.text('prompt_service')} {entry.digits}", self._choices(served)
        return None

    def _choices(self, service_ids: list[str]) -> str:
        return " ".join(f"{self.office.digit_of(s)}={s}" for s in service_ids)


def terminal_line(view: CounterView) -> str:
    """One line: "LOKET 1 | MEMANGGIL A-001 | menunggu 3", then prompt, busy, notice."""
    parts = [view.title, view.headline]
    if view.waiting:
        parts.append(view.waiting)
    prompt = view.prompt
    if prompt:
        parts.append(f"{prompt[0]}: {prompt[1]}")
    if view.busy:
        parts.append(view.text("busy"))
    if view.notice:
        parts.append(view.notice)
    return " | ".join(parts)


def lcd_lines(view: CounterView, cols: int, rows: int) -> list[str]:
    """The LCD's rows, each exactly `cols` characters.

    16x2: the headline on top ("MEMANGGIL A-001"), below it the prompt, the notice, or the
    counter name with the waiting count. 20x4: name, headline, waiting, notice/prompt.
    """
    prompt = view.prompt
    if rows >= 4:
        lines = [view.title, view.headline, view.waiting or ""]
        if prompt:
            lines[2:] = [prompt[0], prompt[1]]
        else:
            lines.append(view.notice or (view.text("busy") if view.busy else ""))
    elif prompt:
        lines = [prompt[0], prompt[1]]
    else:
        bottom = view.notice or (view.text("busy") if view.busy else "")
        if not bottom:
            bottom = _spread(view.title, view.waiting or "", cols)
        lines = [view.headline, bottom]
    return [_fit(line, cols) for line in lines[:rows]] + [" " * cols] * (rows - len(lines))


def _spread(left: str, right: str, cols: int) -> str:
    """Left and right on one row when both fit, else only the right one (the count)."""
    if not right:
        return left
    if len(left) + 1 + len(right) <= cols:
        return left + " " * (cols - len(left) - len(right)) + right
    return right.rjust(cols)


def _fit(line: str, cols: int) -> str:
    return line[:cols].ljust(cols)
