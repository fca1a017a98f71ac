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

from common.bahasa import catalogue
from common.payloads import CounterState
from nodes.counter.keys import Entry, Office

_TEXT: Final[dict[str, str | tuple[str, str]]] = {  # (Indonesian, English)
    "counter": ("LOKET", "COUNTER"),
    "called": ("MEMANGGIL", "CALLING"),
    "serving": ("MELAYANI", "SERVING"),
    "open": ("BUKA", "OPEN"),
    "paused": ("ISTIRAHAT", "PAUSED"),
    "closed": ("TUTUP", "CLOSED"),
    "offline": "OFFLINE",
    "loading": ("MEMUAT", "LOADING"),
    "waiting": ("menunggu {n}", "waiting {n}"),
    "busy": ("mengirim...", "sending..."),
    "prompt_number": ("NOMOR", "NUMBER"),
    "prompt_service": ("LAYANAN?", "SERVICE?"),
    "prompt_transfer": ("ALIHKAN KE", "TRANSFER TO"),
    "prompt_officer": ("KODE PETUGAS", "OFFICER CODE"),
    "prompt_pin": "PIN",
    "short_pin": ("PIN min. 4 angka", "PIN 4+ digits"),
    "too_long_code": ("Maks. 8 angka", "Max. 8 digits"),
    "signed_in": ("Petugas masuk", "Officer in"),
    "signed_out": ("Petugas keluar", "Officer out"),
    # Notices: short enough for a 16-column LCD.
    "queue_empty": ("Antrian kosong", "Queue empty"),
    "invalid_state": ("Tindakan ditolak", "Not allowed now"),
    "counter_closed": ("Loket tutup", "Counter closed"),
    "unknown_ticket": ("Nomor tak ada", "No such number"),
    "unknown_service": ("Layanan tak ada", "No such service"),
    "unknown_counter": ("Loket tak ada", "Unknown counter"),
    "service_closed": ("Layanan tutup", "Service closed"),
    "forbidden": ("Tidak diizinkan", "Not permitted"),
    "bad_request": ("Perintah salah", "Bad command"),
    "timeout": ("Server tak jawab", "Server no answer"),
    "internal_error": ("Gangguan sistem", "System error"),
    "error": ("Gagal", "Failed"),
    "cancelled": ("Batal", "Cancelled"),
    "bad_command": ("Perintah salah", "Bad command"),
    "unknown_key": ("Tombol salah", "Unknown key"),
    "unknown_digit": ("Pilihan salah", "Wrong choice"),
    "bad_number": ("Nomor salah", "Wrong number"),
    "too_long": ("Maks. 5 angka", "Max. 5 digits"),
    "no_config": ("Data belum ada", "No data yet"),
    "no_state": ("Data belum ada", "No data yet"),
    "queue_full": ("Tunggu sebentar", "Please wait"),
    "transferred": ("Dialihkan ke {service}", "Moved to {service}"),
    "recalled": ("Dipanggil ulang", "Called again"),
    "keypad_lost": ("Keypad terlepas", "Keypad unplugged"),
    "prompt_score": ("Nilai layanan", "Rate service"),
    "scored": ("Terima kasih", "Thank you"),
}
TEXT: Final = catalogue(_TEXT)
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
