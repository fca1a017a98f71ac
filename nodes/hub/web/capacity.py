"""How many connections the web serves at once, so that it never runs out of file descriptors.

Each open connection is a descriptor. A live page (server-sent events) keeps its connection
for as long as the phone shows it; past the process's `RLIMIT_NOFILE`, `accept()` fails,
nothing is served (not even `/healthz`), and Python's event loop logs every failed accept.
So the budget is planned from the file limit, with descriptors kept back:

    file limit   1024 (systemd's default)        4096 (antrian-web.service)
    reserved      128 (files, broker, SQLite)     512
    connections   896 (uvicorn's limit)          3584
    live pages    784 (room for pages + /healthz) 2000 (LIVE_DEFAULT_MAX: memory)

A live page past its cap is answered 503 with Retry-After and a closed connection; the
page's script then polls the JSON twin instead. `RepeatFilter` keeps the messages that a
flood would repeat (accept errors, uvicorn's "Exceeded concurrency limit.") to one line a
minute with a count.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

#: Descriptors kept back from connections, at least: stdio, the listening socket, the
#: broker, SQLite (database, -wal, -shm), the event loop, modules imported late, logs.
RESERVED_FDS: Final = 64
#: Live pages by default at most (about 50 MB for 1,100 measured in bench/web_live.py).
LIVE_DEFAULT_MAX: Final = 2000
#: What a process started without a limit we can read is assumed to have (systemd's soft).
ASSUMED_FD_LIMIT: Final = 1024
#: A refused live page is told to come back after this many seconds.
RETRY_AFTER_S: Final = 30
SUMMARY_S: Final = 60.0


@dataclass(frozen=True)
class Capacity:
    fd_limit: int
    connections: int  # open HTTP connections at most (uvicorn answers 503 beyond)
    live: int  # live pages at most (we answer 503 beyond)
    clamped: bool  # the configured `max_live` did not fit the file limit


def plan(fd_limit: int, max_live: int | None) -> Capacity:
    """The connection budget for a file limit; `max_live` (config) is kept if it fits."""
    connections = max(8, fd_limit - max(RESERVED_FDS, fd_limit // 8))
    ceiling = max(1, connections - max(8, connections // 8))
    if max_live is None:
        return Capacity(fd_limit, connections, min(LIVE_DEFAULT_MAX, ceiling), clamped=False)
    return Capacity(fd_limit, connections, min(max_live, ceiling), clamped=max_live > ceiling)


def fd_limit() -> int:
    """This process's soft RLIMIT_NOFILE (the one that makes accept() fail)."""
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return ASSUMED_FD_LIMIT
    return ASSUMED_FD_LIMIT if soft == resource.RLIM_INFINITY else int(soft)


class LiveGate:
    """Counts the live pages open now; used from the event loop only."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open = 0

    def enter(self) -> bool:
        if self.open >= self.cap:
            return False
        self.open += 1
        return True

    def leave(self) -> None:
        self.open -= 1


class Throttle:
    """At most one report per `every` seconds; the events in between are counted. Pure."""

    def __init__(self, every: float = SUMMARY_S) -> None:
        self.every = every
        self._last: float | None = None
        self._count = 0

    def note(self, now: float) -> int | None:
        """Count one event; the number to report (this one included) if a line is due."""
        self._count += 1
        if self._last is not None and now - self._last < self.every:
            return None
        self._last = now
        count, self._count = self._count, 0
        return count


class RepeatFilter(logging.Filter):
    """Lets a message that starts with one of `prefixes` through once a minute, counted.

    For messages logged by code that is not ours, once per event: asyncio's
    "socket.accept() out of system resource" (with a traceback, up to the listen backlog
    per loop tick) and uvicorn's "Exceeded concurrency limit.".
    """

    def __init__(
        self, prefixes: tuple[str, ...], clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.clock = clock
        self._throttles = {prefix: Throttle() for prefix in prefixes}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        prefix = next((p for p in self.prefixes if message.startswith(p)), None)
        if prefix is None:
            return True
        count = self._throttles[prefix].note(self.clock())
        if count is None:
            return False
        # one line, no traceback: the technician needs the count, not 2,000 stack traces
        first = message.splitlines()[0]
        again = "at most one line a minute" if count == 1 else f"{count} times since the last line"
        record.msg = f"{first} ({again})"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True
