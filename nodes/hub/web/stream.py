"""Wakes every live page (server-sent events) when the office changes.

One shared future per change, not one queue per client: 200 phones cost 200 waiting
coroutines and nothing else, and a slow phone never holds up the others (each client
reads the newest model version when it wakes; intermediate versions are skipped, which is
what a live view wants).
"""

from __future__ import annotations

import asyncio
import contextlib


class Broadcaster:
    """`wake()` from any thread; `wait()` in the event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: asyncio.Future[None] | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def wake(self) -> None:
        """Thread-safe: wake every waiting page soon."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        waiter, self._next = self._next, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, timeout: float) -> bool:
        """True when woken, False after `timeout` seconds without a change."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._next), timeout)
        except TimeoutError:
            return False
        return True
