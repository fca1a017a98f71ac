"""The keypad grammar: key presses in, counter commands out. Pure; the clock is passed in.

Theory of operation. A keypad driver turns a physical key into one of the `KEYS` below
(a digit, `enter`, `clear`, or a function such as `recall`). `press()` folds one key into
the officer's `Entry` (what they are in the middle of typing) and returns what should
happen now:

- a `Command` to send to the hub (`call_next`, `transfer` to service B, ...);
- a `Notice` code to show briefly ("cancelled", "unknown_digit", ...);
- nothing, when the key only moved the entry along (the indicator shows the prompt).

The gestures, on any keypad:

| keys                         | command                                                |
|------------------------------|--------------------------------------------------------|
| a function key               | that action (`recall`, `start`, `finish`, `skip`, ...) |
| `enter` alone                | `call_next`                                            |
| digits, `enter`              | `call_ticket` of that number; a counter serving several |
|                              | services then asks for the service: one more digit     |
| `transfer`, a digit          | `transfer` to that service                             |
| `transfer` while typing      | forget what was being typed (the numpad's Del key)     |
| `toggle_pause`               | `pause` when open, `resume` when paused, `open` when   |
|                              | closed                                                 |
| `0`, `toggle_pause`          | `close`                                                |
| `0`, `0`, `enter`            | the officer's sign-in: then the officer code, `enter`,  |
|                              | the PIN (shown as `*`), `enter` -> `sign_in`; or       |
|                              | `enter` with no code -> `sign_out`                     |
| `clear`, or `ENTRY_TIMEOUT`  | forget what was being typed                            |
| `1`..`4` right after `finish`| the citizen's quick satisfaction score (see below)     |

Right after a `finish` the hub accepted, the desk opens a short window (`score_prompt`;
the desk's `score_window`, 10 s by default) in which keys 1..4 are the citizen's quick
score of that ticket (`Score`, sent as `request/survey`), the indicator asking "Nilai
layanan: 1-4". Any other key ends the window and does what it always does; so does the
window running out.

A digit names a service by its place in the hub's retained `config` (1 = the first
service), the same numbering for every counter of the office, so one label sheet fits all.

The stdin keypad of the simulation skips the grammar: each line is a whole command
(`parse_line`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final, Literal

from common.payloads import OfficeConfig, Service
from common.wire import ID_PATTERN, NUMBER_PATTERN, TICKET_ID_PATTERN, CounterAction

DIGITS: Final = tuple("0123456789")
#: Function keys that are one action each, whatever was being typed.
ACTION_KEYS: Final[tuple[CounterAction, ...]] = (
    "call_next", "recall", "start", "finish", "skip", "pause", "resume", "open", "close",
)  # fmt: skip
KEYS: Final = (*DIGITS, "enter", "clear", "transfer", "toggle_pause", *ACTION_KEYS)
#: An entry left half-typed this long is forgotten, so the next officer's press means
#: what its label says.
ENTRY_TIMEOUT: Final = timedelta(seconds=8)
#: Ticket numbers have 3 to 5 digits (`A-012`); more is a typing mistake.
MAX_DIGITS: Final = 5

Mode = Literal["idle", "number", "number_service", "transfer", "score", "officer", "pin"]
#: The keys that are a quick score while the score window is open, and their scores.
SCORE_KEYS: Final = {"1": 1, "2": 2, "3": 3, "4": 4}
#: How long the score window stays open after a finish, unless configured.
SCORE_WINDOW: Final = timedelta(seconds=10)
#: Typed before `enter` to start signing in: no ticket is number 0, so "00" meant nothing.
SIGN_IN_DIGITS: Final = "00"
#: Officer codes and PINs (common.wire.OFFICER_PATTERN, PIN_PATTERN).
MAX_OFFICER_DIGITS: Final = 8
MIN_PIN_DIGITS: Final = 4


@dataclass(frozen=True)
class Command:
    """One request to the hub for this counter."""

    verb: ClassVar[str] = "counter"
    action: CounterAction
    service: str | None = None  # transfer target
    ticket: str | None = None  # call_ticket: a number ("A-012") or a ticket id
    officer: str | None = None  # sign_in: the officer's code
    pin: str | None = field(default=None, repr=False)  # sign_in; never logged

    def payload(self, counter: str) -> dict[str, Any]:
        given = {key: value for key, value in vars(self).items() if value is not None}
        return {"counter": counter, **given}

    def __str__(self) -> str:
        return " ".join(p for p in (self.action, self.service, self.ticket, self.officer) if p)


@dataclass(frozen=True)
class Score:
    """The citizen's quick satisfaction score (1..4) of the ticket just finished."""

    ticket_id: str
    score: int
    verb: ClassVar[str] = "survey"

    def payload(self, counter: str) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "score": self.score}

    def __str__(self) -> str:
        return f"score {self.score} for {self.ticket_id}"


@dataclass(frozen=True)
class Notice:
    """Something to tell the officer briefly; `code` is looked up in the view's catalogue."""

    code: str
    detail: str = ""


@dataclass(frozen=True)
class Office:
    """What the keypad needs from the hub's retained `config`."""

    services: tuple[Service, ...] = ()
    counter_name: str = ""
    counter_services: tuple[str, ...] = ()

    def by_digit(self, digit: str) -> Service | None:
        index = int(digit) - 1
        return self.services[index] if 0 <= index < len(self.services) else None

    def digit_of(self, service_id: str) -> str:
        for index, service in enumerate(self.services):
            if service.id == service_id:
                return str(index + 1)
        return "?"

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    @classmethod
    def from_config(cls, config: OfficeConfig, counter: str) -> Office:
        own = config.counter(counter)
        return cls(config.services, own.name if own else "", own.services if own else ())


@dataclass(frozen=True)
class Entry:
    """What the officer is in the middle of typing."""

    mode: Mode = "idle"
    digits: str = ""
    since: datetime | None = None
    ticket: str | None = None  # "score": the ticket just finished
    timeout: timedelta = ENTRY_TIMEOUT
    officer: str = ""  # mode "pin": the code typed before it

    def expired(self, now: datetime) -> bool:
        return self.since is not None and now - self.since >= self.timeout

    @property
    def deadline(self) -> datetime | None:
        return self.since + self.timeout if self.since is not None else None


IDLE: Final = Entry()

Outcome = Command | Score | Notice | None


def score_prompt(ticket_id: str, now: datetime, window: timedelta = SCORE_WINDOW) -> Entry:
    """The entry right after `ticket_id` was finished: keys 1..4 score it for `window`."""
    return Entry("score", since=now, ticket=ticket_id, timeout=window)


def expire(entry: Entry, now: datetime) -> Entry:
    """The entry as it stands at `now`: a half-typed one forgotten after ENTRY_TIMEOUT."""
    return IDLE if entry.expired(now) else entry


def press(
    entry: Entry, key: str, office: Office, status: str | None, now: datetime
) -> tuple[Entry, Outcome]:
    """Fold one key into the entry. `status` is the counter's (open/paused/closed/None)."""
    entry = expire(entry, now)
    if entry.mode == "score":
        if key in SCORE_KEYS and entry.ticket is not None:
            return IDLE, Score(entry.ticket, SCORE_KEYS[key])
        entry = IDLE  # any other key: the window closes and the key does what it says
    if key in ACTION_KEYS:
        return IDLE, Command(key)
    if key == "clear":
        return IDLE, (Notice("cancelled") if entry.mode != "idle" else None)
    if key == "transfer":
        # On a 17-key numpad this is the "Del" key: it cancels whatever is being typed.
        if entry.mode != "idle":
            return IDLE, Notice("cancelled")
        return Entry("transfer", since=now), None
    if key == "toggle_pause":
        if entry.mode == "number" and entry.digits == "0":
            return IDLE, Command("close")
        return IDLE, _toggle(status)
    if key == "enter":
        return _enter(entry, office, now)
    if key in DIGITS:
        return _digit(entry, key, office, now)
    return entry, Notice("unknown_key", key)


def _toggle(status: str | None) -> Outcome:
    if status == "open":
        return Command("pause")
    if status == "paused":
        return Command("resume")
    if status == "closed":
        return Command("open")
    return Notice("no_state")


def _enter(entry: Entry, office: Office, now: datetime) -> tuple[Entry, Outcome]:
    if entry.mode == "idle":
        return IDLE, Command("call_next")
    if entry.mode == "officer":
        if not entry.digits:
            return IDLE, Command("sign_out")
        return Entry("pin", since=now, officer=entry.digits), None
    if entry.mode == "pin":
        if len(entry.digits) < MIN_PIN_DIGITS:
            return replace(entry, digits="", since=now), Notice("short_pin")
        return IDLE, Command("sign_in", officer=entry.officer, pin=entry.digits)
    if entry.mode == "number" and entry.digits == SIGN_IN_DIGITS:
        return Entry("officer", since=now), None
    if entry.mode != "number":
        return IDLE, Notice("cancelled")
    if int(entry.digits) == 0:
        return IDLE, Notice("bad_number", entry.digits)
    if not office.services:
        return IDLE, Notice("no_config")
    if len(office.counter_services) == 1:
        service = office.service(office.counter_services[0])
        if service is not None:
            return IDLE, Command("call_ticket", ticket=ticket_number(service, entry.digits))
    return Entry("number_service", entry.digits, now), None


def _digit(entry: Entry, digit: str, office: Office, now: datetime) -> tuple[Entry, Outcome]:
    if entry.mode in ("officer", "pin"):
        if len(entry.digits) >= MAX_OFFICER_DIGITS:
            return replace(entry, since=now), Notice("too_long_code")
        return replace(entry, digits=entry.digits + digit, since=now), None
    if entry.mode in ("idle", "number"):
        digits = entry.digits + digit
        if len(digits) > MAX_DIGITS:
            return Entry("number", entry.digits, now), Notice("too_long")
        return Entry("number", digits, now), None
    if not office.services:
        return IDLE, Notice("no_config")
    service = office.by_digit(digit)
    if service is None:
        # Stay in the prompt: the officer pressed a digit with no service, and may retry.
        return replace(entry, since=now), Notice("unknown_digit", digit)
    if entry.mode == "transfer":
        return IDLE, Command("transfer", service=service.id)
    return IDLE, Command("call_ticket", ticket=ticket_number(service, entry.digits))


def ticket_number(service: Service, digits: str) -> str:
    """`A-012` from service A and the digits "12"."""
    return f"{service.prefix}-{int(digits):03d}"


# --- the stdin keypad of the simulation -------------------------------------------------

LINE_HELP: Final = (
    "call_next, recall, start, finish, skip, transfer B, call A-012, pause, resume, open, close,"
    " sign_in 7 1234, sign_out"
)


def parse_line(line: str) -> Outcome:
    """One line of the stdin keypad: a whole command, a Notice if malformed, None if blank.

    `#` starts a comment, so a demo script can explain itself.
    """
    words = line.split("#", 1)[0].split()
    if not words:
        return None
    verb, args = words[0].lower(), words[1:]
    if verb in ACTION_KEYS and not args:
        return Command(verb)
    if verb == "transfer" and len(args) == 1 and ID_PATTERN.match(args[0]):
        return Command("transfer", service=args[0])
    if verb == "sign_out" and not args:
        return Command("sign_out")
    if verb == "sign_in" and len(args) == 2 and args[0].isdigit() and args[1].isdigit():
        return Command("sign_in", officer=args[0], pin=args[1])
    if verb in ("call", "call_ticket") and len(args) == 1:
        ticket = args[0]
        if NUMBER_PATTERN.match(ticket) or TICKET_ID_PATTERN.match(ticket):
            return Command("call_ticket", ticket=ticket)
    return Notice("bad_command", line.strip())
