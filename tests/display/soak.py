"""A whole office at high speed, and the judge of what its waiting room heard.

`Office` runs the real parts: mosquitto, `antrian hub`, `antrian display` as a process
(headless screen, espeak-ng voice to WAV files at real speed), a kiosk and three counter
clients. `drive` presses counter keys at random (call, recall, start, skip, transfer,
finish) while faults happen; `judge` then reads the hub's event log and the display's
`announcements.log` and finds:

- *late*: a call that stayed current (its ticket still called at that counter) for more
  than `bound_s`, with no announcement of it within `bound_s`;
- *stale*: an announcement that began when the ticket was no longer called there (more
  than `slack_s` earlier: the time the hub's state takes to reach the display);
- *twice*: two announcements for one call (a recall is a call of its own).

Used by tests/display/test_display_soak.py and bench/display_calls.py.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common.mqtt import BrokerLink
from common.speech.outputs import LOG_NAME
from nodes.hub.eventlog import EventLog
from nodes.hub.events import Event, TicketCalled
from tests.harness import ROOT, HubProcess, Mosquitto, client, wait_for

DISPLAY_TOML = """\
[office]
id = "kantor"
timezone = "Asia/Jakarta"
[node]
id = "display-1"
[broker]
host = "127.0.0.1"
port = {port}
keepalive = 5
[log]
level = "INFO"
[screen]
type = "headless"
width = 640
height = 360
screenshot_dir = "{dir}/shots"
screenshot_keep = 5
[voice]
output = "file"
dir = "{dir}/voice"
pace = true
max_age_s = {max_age_s}
[display]
state_dir = "{dir}/state"
"""

#: The test office's counters and the services each serves (tests/harness.py).
COUNTERS = {"1": ("A", "B"), "2": ("B", "C"), "3": ("C",)}


# --- the judge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Calling:
    """One call or recall of a ticket at a counter, and until when the ticket stayed
    called there (None: still at the end)."""

    number: str
    counter: str
    at: datetime
    until: datetime | None
    recall: int


@dataclass(frozen=True)
class Spoken:
    at: datetime
    number: str
    counter: str


@dataclass
class Verdict:
    callings: int = 0
    spoken: int = 0
    late: list[Calling] = field(default_factory=list)
    stale: list[Spoken] = field(default_factory=list)
    twice: list[Spoken] = field(default_factory=list)
    lags_s: list[float] = field(default_factory=list)  # call -> its announcement

    def summary(self) -> str:
        return (
            f"{self.callings} calls, {self.spoken} announcements: {len(self.late)} current "
            f"calls left unannounced, {len(self.stale)} stale calls spoken, "
            f"{len(self.twice)} spoken twice"
        )


def callings(events: Iterable[Event], numbers: dict[str, str]) -> list[Calling]:
    """Each call with the end of its ticket's stay at the counter, from the event log."""
    holding: dict[str, tuple[str, list[tuple[datetime, int]]]] = {}  # counter -> ticket, calls
    found: list[Calling] = []

    def release(counter: str, at: datetime) -> None:
        ticket, calls = holding.pop(counter)
        found.extend(Calling(numbers[ticket], counter, t, at, r) for t, r in calls)

    for event in events:
        if isinstance(event, TicketCalled):
            numbers[event.ticket_id] = event.number
            held = holding.get(event.counter)
            if held is not None and (held[0] != event.ticket_id or event.recall == 0):
                release(event.counter, event.at)  # another ticket, or called afresh
            holding.setdefault(event.counter, (event.ticket_id, []))[1].append(
                (event.at, event.recall)
            )
            continue
        ticket = getattr(event, "ticket_id", None)
        for counter, (held_ticket, _) in list(holding.items()):
            if held_ticket == ticket:  # started, finished, skipped, transferred, cancelled
                release(counter, event.at)
    for counter in list(holding):
        ticket, calls = holding.pop(counter)
        found.extend(Calling(numbers[ticket], counter, t, None, r) for t, r in calls)
    return sorted(found, key=lambda c: c.at)


def spoken(log: Path) -> list[Spoken]:
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    found = []
    for line in lines:
        at, number, counter, _text = line.split(", ", 3)
        found.append(Spoken(datetime.fromisoformat(at), number, counter))
    return found


def judge(
    calls: list[Calling], heard: list[Spoken], end: datetime, bound_s: float, slack_s: float
) -> Verdict:
    verdict = Verdict(callings=len(calls), spoken=len(heard))
    bound, slack = timedelta(seconds=bound_s), timedelta(seconds=slack_s)
    for call in calls:
        until = call.until or end
        mine = [s for s in heard if (s.number, s.counter) == (call.number, call.counter)]
        within = [s for s in mine if call.at <= s.at <= call.at + bound]
        if within:
            verdict.lags_s.append((within[0].at - call.at).total_seconds())
        elif until - call.at > bound and end - call.at > bound:
            verdict.late.append(call)
    used: set[Calling] = set()
    for said in heard:
        here = [c for c in calls if (c.number, c.counter) == (said.number, said.counter)]
        current = [
            c for c in here if c.at <= said.at and (c.until is None or said.at < c.until + slack)
        ]
        if not current:
            verdict.stale.append(said)
            continue
        latest = max(current, key=lambda c: c.at)
        if latest in used:
            verdict.twice.append(said)
        used.add(latest)
    return verdict


# --- the office --------------------------------------------------------------------------


class Office:
    """The real parts in `directory`; `display_*` start, kill and restart the display."""

    def __init__(self, directory: Path, *, max_age_s: float = 60) -> None:
        self.dir = directory
        self.broker = Mosquitto(directory / "mosquitto")
        self.broker.start()
        self.hub = HubProcess(self.broker, directory / "hub")
        self.hub.start()
        self.display_dir = directory / "display"
        self.display_dir.mkdir(parents=True, exist_ok=True)
        self.config = self.display_dir / "display.toml"
        self.config.write_text(
            DISPLAY_TOML.format(port=self.broker.port, dir=self.display_dir, max_age_s=max_age_s)
        )
        self.display: subprocess.Popen[bytes] | None = None
        self.kiosk = client(self.broker, "kiosk-1", "kiosk")
        self.counters = {c: client(self.broker, f"loket-{c}", "counter") for c in COUNTERS}

    @property
    def log(self) -> Path:
        return self.display_dir / "voice" / LOG_NAME

    def display_start(self) -> None:
        env = dict(
            os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy"
        )
        with (self.display_dir / "display.log").open("ab") as out:
            self.display = subprocess.Popen(
                [sys.executable, "-m", "nodes.cli", "display", "--config", str(self.config)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def display_kill(self) -> None:
        if self.display is not None:
            self.display.send_signal(signal.SIGKILL)
            self.display.wait()
            self.display = None

    def display_stop(self) -> None:
        if self.display is not None:
            self.display.terminate()
            try:
                self.display.wait(15)
            except subprocess.TimeoutExpired:
                self.display.kill()
                self.display.wait()
            self.display = None

    def close(self) -> None:
        self.display_stop()
        for link in (self.kiosk, *self.counters.values()):
            link.stop()
        self.hub.stop()
        self.broker.stop()

    def events(self) -> list[Event]:
        log = EventLog(self.hub.db_path)
        try:
            return [logged.event for logged in log.days()]
        finally:
            log.close()


def _press(link: BrokerLink, payload: dict[str, Any]) -> dict[str, Any] | None:
    try:
        response = link.request("counter", payload, timeout=3)
    except Exception:  # the broker is down: the officer presses again later
        return None
    return response.data if response.ok else None


def drive(
    office: Office,
    seconds: float,
    rng: random.Random,
    *,
    pause: Callable[[], float],
    faults: list[tuple[float, Callable[[], None]]],
) -> None:
    """Counters pressing keys at random for `seconds`; `faults` run at their offsets."""
    started = time.monotonic()
    pending = sorted(faults, key=lambda f: f[0])
    held: dict[str, dict[str, Any] | None] = dict.fromkeys(COUNTERS)
    while time.monotonic() - started < seconds:
        while pending and time.monotonic() - started >= pending[0][0]:
            pending.pop(0)[1]()
        with contextlib.suppress(Exception):  # keep people waiting (unless the broker is down)
            office.kiosk.request("ticket", {"service": rng.choice("AABC")}, timeout=3)
        counter = rng.choice(sorted(COUNTERS))
        link = office.counters[counter]
        ticket = held[counter]
        action: dict[str, Any] = {"counter": counter, "action": "call_next"}
        if ticket is not None and ticket.get("state") == "called":
            roll = rng.random()
            if roll < 0.2:
                action["action"] = "recall"
            elif roll < 0.4:
                action["action"] = "start"
            elif roll < 0.55:
                action["action"] = "skip"
            elif roll < 0.65:
                others = [s for s in ("A", "B", "C") if s != ticket["service"]]
                action.update(action="transfer", service=rng.choice(others))
        elif ticket is not None and rng.random() < 0.5:
            action["action"] = "finish"
        data = _press(link, action)
        if data is not None:
            held[counter] = data.get("ticket")
        time.sleep(pause())
    for _offset, fault in pending:
        fault()


def settle(office: Office, bound_s: float) -> datetime:
    """After the counters stop: until the display has announced every call still held at a
    counter (or the bound passed), then the time the observation ends."""
    deadline = time.monotonic() + bound_s

    def heard_all() -> bool:
        held = [c for c in callings(office.events(), {}) if c.until is None]
        said = spoken(office.log)
        return time.monotonic() > deadline or all(
            any((s.number, s.counter) == (c.number, c.counter) and s.at >= c.at for s in said)
            for c in held
        )

    wait_for(heard_all, timeout=bound_s + 30, interval=0.5)
    return datetime.now().astimezone()


__all__ = ["Office", "Verdict", "callings", "drive", "judge", "settle", "spoken"]
