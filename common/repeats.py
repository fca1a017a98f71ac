"""A warning that an attacker or a broken node can repeat once per message.

Logged at most once per interval for each key (usually the node's id), with the number of
repeats held back since the last line: a flood of bad messages costs the journal one line
a minute per node, not one per message, and the technician still sees who and how often.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

#: Keys remembered at most; beyond this the oldest are forgotten (their counts are lost).
MAX_KEYS = 1000


class RepeatedWarning:
    """`warn(key, text)`: the first time at once, then at most once per `interval_s`."""

    def __init__(
        self,
        log: logging.Logger,
        interval_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.interval_s = interval_s
        self.clock = clock
        self._last: dict[str, tuple[float, int]] = {}  # key -> (last logged, held back since)

    def warn(self, key: str, text: str) -> bool:
        """Log `text` unless `key` was logged less than an interval ago; True if logged."""
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last[0] < self.interval_s:
            self._last[key] = (last[0], last[1] + 1)
            return False
        if last is not None and last[1]:
            text = f"{text} ({last[1]} more like it in the last {now - last[0]:.0f} s)"
        self.log.warning(text)
        self._last.pop(key, None)
        self._last[key] = (now, 0)
        while len(self._last) > MAX_KEYS:
            del self._last[next(iter(self._last))]
        return True
