"""Which call to announce next, decided from the office's current truth (pure; clock passed in).

The announcer used to speak every `event/call` in arrival order. In a busy office that
means speaking calls minutes old, for tickets already transferred, skipped or served.
`CallBook` instead keeps, per counter, only the newest call not yet announced, and lets
one be spoken only while the counter's retained `state/counter/{id}` still holds that
ticket as *called*:

- a newer call at the same counter replaces the one waiting (a counter holds one ticket:
  calling another finished the first); a recall of the waiting ticket coalesces with it;
- a call waits until a counter state confirms it (the hub publishes `event/call` first and
  the state up to 50 ms later); a state received *after* the call that does not hold it
  means the ticket moved on (started, finished, skipped, transferred) and the call is
  dropped; so is a call older than `max_age_s`;
- among the confirmed calls, the one waiting longest goes first: when behind, each counter
  is one announcement behind at most, and that one is its newest call;
- `last` remembers per counter the newest call announced (the journal a restart reads), so
  the same call arriving again (QoS 1 redelivery, the retained `state/calls` after a
  reconnect or restart) is not spoken twice. A recall is newer, so it is spoken again.

`Zone` is the subset of the office one display serves (the screen uses it too).
Nothing here is thread-safe; the announcer holds a lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from common.payloads import Call, CounterState
from common.wire import WireError

Verdict = Literal["queued", "stale", "duplicate", "elsewhere"]
Standing = Literal["current", "unconfirmed", "gone"]
#: More counters than any office has; only a broken config could reach it.
MAX_COUNTERS: Final = 64


@dataclass(frozen=True)
class Zone:
    """The counters and services a display serves; None means all of them. A call is in
    the zone when both its counter and its service are."""

    counters: frozenset[str] | None = None
    services: frozenset[str] | None = None

    def has_counter(self, counter: str) -> bool:
        return self.counters is None or counter in self.counters

    def has_service(self, service: str) -> bool:
        return self.services is None or service in self.services

    def covers(self, counter: str, service: str) -> bool:
        """Should this display show and announce a call of `service` at `counter`?"""
        return self.has_counter(counter) and self.has_service(service)


EVERYWHERE: Final = Zone()


def standing(call: Call, state: CounterState | None, state_is_newer: bool) -> Standing:
    """Is `call` still current at its counter, going by the counter's last known state?
    `state_is_newer`: that state was received after the call, so it already reflects it."""
    ticket = state.ticket if state is not None else None
    if (
        ticket is not None
        and ticket.ticket_id == call.ticket_id
        and ticket.state == "called"
        and ticket.called_at <= call.called_at  # not an earlier calling (before a transfer)
    ):
        return "current"
    if state_is_newer or (ticket is not None and ticket.called_at > call.called_at):
        return "gone"
    return "unconfirmed"


def later(call: Call, than: Call) -> bool:
    """Is `call` a later call at the counter than `than` (so it is news to announce)?"""
    if call.ticket_id == than.ticket_id:
        return (call.called_at, call.recall) > (than.called_at, than.recall)
    # Whole-second times: another ticket in the same second is a later call.
    return call.called_at >= than.called_at


@dataclass
class _Waiting:
    call: Call
    seq: int  # the book's receive order, to tell a state that came after it
    since: datetime  # the called_at of the oldest call it stands for (fair turns)


class CallBook:
    """See the module docstring."""

    def __init__(
        self, max_age_s: float, zone: Zone = EVERYWHERE, announced: Mapping[str, Call] | None = None
    ) -> None:
        self.max_age_s = max_age_s
        self.zone = zone
        self.last: dict[str, Call] = dict(announced or {})  # counter -> newest announced
        self.dropped = 0  # calls that stopped being current before their turn
        self._waiting: dict[str, _Waiting] = {}
        self._states: dict[str, tuple[CounterState | None, int]] = {}
        self._seq = 0

    def _tick(self) -> int:
        self._seq += 1
        return self._seq

    def on_counter(self, counter: str, state: CounterState | None) -> None:
        """A counter's retained state (None: the counter was removed)."""
        self._states[counter] = (state, self._tick())

    def offer(self, call: Call, now: datetime) -> Verdict:
        """A call seen on `event/call` or in `state/calls`: wait for its turn, or why not."""
        if not self.zone.covers(call.counter, call.service):
            return "elsewhere"
        done = self.last.get(call.counter)
        waiting = self._waiting.get(call.counter)
        if (done is not None and not later(call, done)) or (
            waiting is not None and not later(call, waiting.call)
        ):
            return "duplicate"
        if call.age_s(now) > self.max_age_s:
            return "stale"
        since = call.called_at
        if waiting is not None and waiting.call.ticket_id == call.ticket_id:
            since = waiting.since  # a recall before its call was spoken: one announcement
        elif waiting is not None:
            self.dropped += 1  # superseded: the counter called another ticket
        if waiting is None and len(self._waiting) >= MAX_COUNTERS:
            oldest = min(self._waiting, key=lambda c: self._waiting[c].since)
            del self._waiting[oldest]
            self.dropped += 1
        self._waiting[call.counter] = _Waiting(call, self._tick(), since)
        return "queued"

    def standing_of(self, call: Call) -> Standing:
        state, seq = self._states.get(call.counter, (None, 0))
        waiting = self._waiting.get(call.counter)
        received = waiting.seq if waiting is not None and waiting.call == call else self._seq
        return standing(call, state, seq > received)

    def next(self, now: datetime) -> Call | None:
        """The call to announce now (still waiting in the book until `announced`), after
        dropping the ones no longer current or too old; None if none is ready."""
        ready: list[_Waiting] = []
        for counter, waiting in list(self._waiting.items()):
            verdict = self.standing_of(waiting.call)
            if verdict == "gone" or waiting.call.age_s(now) > self.max_age_s:
                del self._waiting[counter]
                self.dropped += 1
            elif verdict == "current":
                ready.append(waiting)
        if not ready:
            return None
        return min(ready, key=lambda w: (w.since, w.seq)).call

    def announced(self, call: Call) -> None:
        """`call` is being announced: it, and every earlier call at its counter, is done."""
        waiting = self._waiting.get(call.counter)
        if waiting is not None and not later(waiting.call, call):
            del self._waiting[call.counter]
        self.last[call.counter] = call

    def still_current(self, call: Call) -> bool:
        """Checked once more right before the sound starts."""
        return self.standing_of(call) == "current"

    def ready(self, now: datetime) -> bool:
        """Is there a call to announce now? (Does not drop anything.)"""
        return any(
            self.standing_of(w.call) == "current" and w.call.age_s(now) <= self.max_age_s
            for w in self._waiting.values()
        )

    def waiting(self) -> int:
        return len(self._waiting)

    def journal(self, now: datetime) -> dict[str, Call]:
        """What a restart must not repeat: per counter the newest call announced, while it
        is young enough that it could still be offered again."""
        return {c: call for c, call in self.last.items() if call.age_s(now) <= self.max_age_s}


def journal_payload(entries: Mapping[str, Call]) -> dict[str, object]:
    """The journal file's JSON: `{"announced": [call, ...]}`, one call per counter."""
    return {"announced": [call.to_payload() for call in entries.values()]}


def read_journal(payload: Mapping[str, object]) -> dict[str, Call]:
    """The journal file's JSON back; a bad entry is left out."""
    found = payload.get("announced")
    entries: dict[str, Call] = {}
    for item in found if isinstance(found, list) else []:
        try:
            call = Call.from_payload(item)
        except WireError:  # a damaged entry only costs a repeat
            continue
        entries[call.counter] = call
    return entries


def in_call_order(calls: Iterable[Call]) -> list[Call]:
    """Oldest first (`state/calls` is newest first): offered in turn, each counter keeps
    its newest."""
    return sorted(calls, key=lambda c: (c.called_at, c.recall))
