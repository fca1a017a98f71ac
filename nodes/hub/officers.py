"""Officers' sign-in at a counter: the PIN check and its lockout. Pure; the clock comes in.

An officer signs in with their code and PIN on the counter's keypad (`sign_in`). The hub
checks the PIN here before the queue records the sign-in. A wrong PIN is refused with
`wrong_pin`; after `ATTEMPTS` wrong PINs in a row for one officer code, or at one counter
(someone trying codes one after another), further tries of that code or at that counter
are refused with `pin_locked` for `LOCK` — even with the right PIN, so guessing gains
nothing — and the lock is logged once. A right PIN clears the officer's and the counter's
count. The counts live in memory: a restarted hub starts them afresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from common.accounts import pin_matches
from nodes.hub.office import Office
from nodes.hub.queue import Rejected

log = logging.getLogger("antrian.hub")

#: Wrong PINs in a row, per officer code and per counter, before the lock.
ATTEMPTS: Final = 5
LOCK: Final = timedelta(minutes=5)


@dataclass
class _Tries:
    wrong: int = 0
    locked_until: datetime | None = None


@dataclass
class PinGuard:
    """The wrong-PIN counts of officer codes and counters."""

    office: Office
    attempts: int = ATTEMPTS
    lock: timedelta = LOCK
    _tries: dict[tuple[str, str], _Tries] = field(default_factory=dict)

    def check(self, counter: str, officer: str, pin: str, now: datetime) -> None:
        """Return if `pin` is `officer`'s; raise `Rejected` (`wrong_pin` or `pin_locked`)."""
        keys = (("officer", officer), ("counter", counter))
        locked = [until for key in keys if (until := self._locked_until(key, now)) is not None]
        if locked:
            minutes = max(1, round((max(locked) - now).total_seconds() / 60 + 0.49))
            raise Rejected("pin_locked", f"PIN dikunci. Coba lagi {minutes} menit lagi.")
        spec = self.office.officer(officer)
        if pin_matches(pin, spec.pin_hash if spec else None):
            for key in keys:
                self._tries.pop(key, None)
            return
        left = self.attempts
        for key in keys:
            tries = self._tries.setdefault(key, _Tries())
            tries.wrong += 1
            left = min(left, self.attempts - tries.wrong)
            if tries.wrong >= self.attempts:
                tries.wrong = 0
                tries.locked_until = now + self.lock
                log.warning(
                    "%d wrong PINs in a row for %s %s: sign-in there locked for %d minutes",
                    self.attempts, key[0], key[1], self.lock.total_seconds() // 60,
                )  # fmt: skip
        if left <= 0:
            minutes = int(self.lock.total_seconds() // 60)
            raise Rejected("pin_locked", f"PIN salah {self.attempts}x. Dikunci {minutes} menit.")
        raise Rejected("wrong_pin", f"PIN salah. Sisa {left} kali coba.")

    def _locked_until(self, key: tuple[str, str], now: datetime) -> datetime | None:
        tries = self._tries.get(key)
        if tries is None or tries.locked_until is None:
            return None
        if now >= tries.locked_until:
            tries.locked_until = None
            return None
        return tries.locked_until
