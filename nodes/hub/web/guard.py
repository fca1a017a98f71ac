"""Abuse limits of the online queue and the sign-in page. Pure: times are passed in.

- `RateLimit`: at most N attempts per key (a client address) in any 60-second window.
- `SignInGuard`: after `attempts` failed sign-ins a name, and separately an address, is
  locked for `lock_s` seconds, even for the right password, so guessing stays slow.
- `holder_digest`: a phone number or NIK is never kept as given; only a keyed hash of it
  (salted with the server's secret and the day) to enforce one active ticket per person.
- `OnlineHolds`: one active online ticket per browser and per phone/NIK, checked and
  reserved in one step, so parallel posts cannot all pass the check before any records.
- CSRF tokens: one random token per session, compared in constant time.

Every table here is bounded (`MAX_KEYS`), so a flood of new addresses costs memory only
up to a limit: the oldest keys are dropped first.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Final

MAX_KEYS: Final = 10_000
WINDOW_S: Final = 60.0


def _remember(table: OrderedDict[str, deque[float]], key: str) -> deque[float]:
    hits = table.get(key)
    if hits is None:
        hits = table[key] = deque()
        while len(table) > MAX_KEYS:
            table.popitem(last=False)
    else:
        table.move_to_end(key)
    return hits


class RateLimit:
    """A sliding one-minute window per key."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        """Count one attempt at `now` (seconds, monotonic); False if over the limit."""
        hits = _remember(self._hits, key)
        while hits and hits[0] <= now - WINDOW_S:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        return True


class SignInGuard:
    """Locks a user name or a client address after too many failed sign-ins."""

    def __init__(self, attempts: int, lock_s: float) -> None:
        self.attempts = attempts
        self.lock_s = lock_s
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = _remember(self._failures, key)
        while hits and hits[0] <= now - self.lock_s:
            hits.popleft()
        return hits

    def locked(self, keys: tuple[str, ...], now: float) -> bool:
        return any(len(self._recent(k, now)) >= self.attempts for k in keys)

    def failed(self, keys: tuple[str, ...], now: float) -> None:
        for key in keys:
            self._recent(key, now).append(now)

    def succeeded(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            self._failures.pop(key, None)


# --- who holds a ticket (optional phone number / NIK) ------------------------------------

_PHONE: Final = re.compile(r"^(?:\+?62|0)(8[0-9]{7,11})$")
_NIK: Final = re.compile(r"^[0-9]{16}$")


def normalise_phone(text: str) -> str | None:
    """An Indonesian mobile number as 628..., or None if it is not one.

    Accepts the ways people write it: 0812-3456-7890, +62 812 3456 7890, 62812...
    """
    digits = re.sub(r"[\s.()-]", "", text)
    match = _PHONE.match(digits)
    return f"62{match.group(1)}" if match else None


def normalise_nik(text: str) -> str | None:
    """A NIK (16 digits, spaces allowed), or None."""
    digits = re.sub(r"\s", "", text)
    return digits if _NIK.match(digits) else None


def holder_digest(secret: str, day: str, kind: str, value: str) -> str:
    """A keyed hash of a normalised phone number or NIK; the value itself is never stored.

    Keyed with the server's secret and the day, so the digests of one day cannot be
    compared with another day's or recomputed by someone without the secret.
    """
    message = f"{day}|{kind}|{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- one online ticket at a time --------------------------------------------------------

#: What a key holds while its request is at the hub (a ticket id is never empty).
PENDING: Final = ""


class OnlineHolds:
    """Which ticket each key (a browser, a phone/NIK digest) holds, or PENDING.

    `claim` looks at every key and reserves them all under one lock: of N requests for the
    same key that arrive together, exactly one gets through, whatever the threads or the
    event loop do in between. The winner then `settle`s with its ticket, or `release`s when
    the hub refused (or anything failed), so a refusal never costs the citizen their turn.
    A held ticket stops counting once `still_held(ticket)` says so (served, cancelled...).
    Bounded like the other tables; `start_day` forgets the previous day's holds.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: OrderedDict[str, str] = OrderedDict()
        self._day = ""

    def start_day(self, day: str) -> None:
        with self._lock:
            if day != self._day:
                self._held.clear()
                self._day = day

    def claim(
        self, keys: Sequence[str], still_held: Callable[[str], bool]
    ) -> tuple[str, str] | None:
        """Reserve every key, or none: None on success, else (the key taken, what it holds)."""
        with self._lock:
            for key in keys:
                ticket = self._held.get(key)
                if ticket is not None and (ticket == PENDING or still_held(ticket)):
                    return key, ticket
            for key in keys:
                self._held[key] = PENDING
                self._held.move_to_end(key)
            while len(self._held) > MAX_KEYS:
                self._held.popitem(last=False)
            return None

    def settle(self, keys: Sequence[str], ticket_id: str) -> None:
        with self._lock:
            for key in keys:
                self._held[key] = ticket_id

    def release(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                if self._held.get(key) == PENDING:
                    del self._held[key]

    def held_keys(self) -> list[str]:
        with self._lock:
            return list(self._held)


# --- CSRF ----------------------------------------------------------------------------------


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(expected: object, given: object) -> bool:
    """True only if both are non-empty strings and equal (constant-time)."""
    if not isinstance(expected, str) or not isinstance(given, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
