"""Running a Starlette app on uvicorn inside the node shell: one piece for the office web and
the regional dashboard (nodes/region), which had each written it.

The shell's watchdog asks `healthy()`: healthy while the event loop keeps beating, since a
wedged loop serves nobody. READY is said only once uvicorn listens (`listening`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import uvicorn

from common.node import Running


def running(
    server: uvicorn.Server,
    listening: Callable[[int], None],
    failed: Callable[[], None] | None = None,
) -> Running:
    """`server` run until it stops. `listening(port)` when it listens (the bound port: `[web]
    port 0` picks any); `failed()`, which raises, when it could not listen (without it,
    uvicorn's own exit says why)."""
    heartbeat = [time.monotonic()]

    async def serve() -> None:
        async def beat() -> None:
            while True:
                heartbeat[0] = time.monotonic()
                await asyncio.sleep(1.0)

        beating = asyncio.create_task(beat())
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            sockets = [sock for listener in server.servers for sock in listener.sockets]
            listening(sockets[0].getsockname()[1] if sockets else server.config.port)
        elif failed is not None:
            beating.cancel()
            with contextlib.suppress(BaseException):  # uvicorn said why (SystemExit after it)
                await task
            failed()
        await task
        beating.cancel()

    return Running(
        lambda _stopping: asyncio.run(serve()),
        healthy=lambda: time.monotonic() - heartbeat[0] < 30,
        status=None,  # READY once uvicorn listens
    )
