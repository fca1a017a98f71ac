"""Abuse limits of the online queue and the sign-in page. Pure: times are passed in.

- `RateLimit`: at most N attempts per key (a client address) in any 60-second window.
- `SignInGuard`: after `attempts` failed sign-ins a name, and separately an address, is
  locked for `lock_s` seconds, even for the right password, so guessing stays slow.
- `holder_digest`: a phone number or NIK is never kept as given; only a keyed hash of it
  (salted with the server's secret and the day) to enforce one active ticket per person.
- CSRF tokens: one random token per session, compared in constant time.

Every table here is bounded (`MAX_KEYS`), so a flood of new addresses costs memory only
up to a limit: the oldest keys are dropped first.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import OrderedDict, deque
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


# --- CSRF ----------------------------------------------------------------------------------


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(expected: object, given: object) -> bool:
    """True only if both are non-empty strings and equal (constant-time)."""
    if not isinstance(expected, str) or not isinstance(given, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
