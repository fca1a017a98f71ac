"""The web front end as one Starlette application: routes, middleware, start and stop.

Pages are rendered on the server (Jinja2) and work without JavaScript; a small local script
upgrades them to live pages with server-sent events (`/live/...`), and falls back to
polling the JSON twins (`/api/...`) where EventSource is missing. Every form carries a
CSRF token bound to the session; every blocking call (MQTT requests, SQLite, argon2) runs
in a worker thread so the event loop only ever waits on sockets.

    public.py     board, online queue, ticket pages, cancel
    dashboard.py  sign-in, dashboard, open/close services, reports
    site.py       shared state, rendering, CSRF, live streams, security headers
    views.py      what the pages show (pure)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from nodes.hub.web import dashboard, public
from nodes.hub.web.site import SESSION_COOKIE, SecurityHeaders, WebState, http_error

HERE = Path(__file__).parent
SESSION_MAX_AGE_S = 12 * 3600


def create_app(state: WebState) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.broadcaster.bind(asyncio.get_running_loop())
        state.feed.listeners.append(state.broadcaster.wake)
        yield
        state.feed.listeners.remove(state.broadcaster.wake)

    app = Starlette(
        routes=[
            *public.ROUTES,
            *dashboard.ROUTES,
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=state.config.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE_S,
                same_site="lax",
                https_only=state.config.secure_cookies,
            ),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.web = state
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    return app
