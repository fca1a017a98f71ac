"""`antrian web --config FILE`: the web front end as a node of role `web`.

Wiring only: config -> broker link -> live feed + ticket desk -> Starlette app -> uvicorn.
`antrian web --hash-password` prints an argon2 hash for `[[web.users]] password_hash`.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

import uvicorn

from common import node
from common.mqtt import BrokerLink
from common.node import Running, Shell
from common.wire import Topics
from nodes.hub.eventlog import EventLog
from nodes.hub.web import accounts
from nodes.hub.web.app import create_app
from nodes.hub.web.capacity import RepeatFilter, fd_limit, plan
from nodes.hub.web.config import WebConfig, load
from nodes.hub.web.live import LiveModel
from nodes.hub.web.office import OfficeFeed, TicketDesk
from nodes.hub.web.reports import ReportShelf
from nodes.hub.web.serving import running
from nodes.hub.web.site import WebState

log = logging.getLogger(__name__)

#: Messages that code other than ours logs once per event under a flood (capacity.py).
REPEATED = RepeatFilter(("socket.accept() out of system resource", "Exceeded concurrency limit"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antrian web", description="Run the web front end (online queue, dashboard)."
    )
    command = parser.add_mutually_exclusive_group(required=True)
    command.add_argument("--config", help="the web node's TOML file")
    command.add_argument(
        "--hash-password",
        action="store_true",
        help="read a password (twice) and print its hash for [[web.users]] password_hash",
    )
    return parser


def hash_password_prompt() -> int:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Again: "):
            print("the passwords differ", file=sys.stderr)
            return 1
    else:
        first = sys.stdin.readline().rstrip("\n")
    if len(first) < 8:
        print("use at least 8 characters", file=sys.stderr)
        return 1
    print(accounts.hash_password(first))
    return 0


def build(config: WebConfig, link: BrokerLink | None = None) -> tuple[WebState, BrokerLink]:
    """Everything but the HTTP server: the parts a test or a benchmark can also start."""
    identity = config.identity
    if link is None:
        link = BrokerLink(identity.broker, Topics(identity.office_id), identity.node_id, "web")
    feed = OfficeFeed(LiveModel(), link, EventLog(config.database), identity.tz)
    state = WebState(
        config=config,
        feed=feed,
        desk=TicketDesk(link),
        reports=ReportShelf(config.database, identity.office_id, identity.timezone),
        capacity=plan(fd_limit(), config.max_live),
    )
    return state, link


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.hash_password:
        return hash_password_prompt()
    return node.run("web", args, load, serve_web)


def serve_web(config: WebConfig, shell: Shell) -> Running:
    """The web node in the shell: the parts of `build`, then uvicorn until a signal."""
    if not config.users:
        log.warning("no [[web.users]] configured: the dashboard cannot be signed in to")
    state, _ = build(config, shell.link())
    shell.on_stop(state.feed.events.close)
    capacity = state.capacity
    if capacity.clamped:
        log.warning(
            "[web] max_live = %d does not fit the file limit (%d): serving %d live pages at "
            "most; raise LimitNOFILE in antrian-web.service to serve more",
            config.max_live,
            capacity.fd_limit,
            capacity.live,
        )
    log.info(
        "at most %d live pages and %d connections at once (file limit %d)",
        capacity.live,
        capacity.connections,
        capacity.fd_limit,
    )
    state.feed.start()
    shell.on_stop(state.feed.stop)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(state),
            host=config.host,
            port=config.port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,  # the client address is the rate-limit key: never trust headers
            # below the file limit: past it, nothing is served and asyncio logs every accept
            limit_concurrency=capacity.connections,
            timeout_graceful_shutdown=2,
        )
    )
    # After uvicorn.Config, which configures its loggers.
    for name in ("asyncio", "uvicorn.error"):
        logging.getLogger(name).addFilter(REPEATED)
    # uvicorn handles SIGTERM/SIGINT while serving, then re-raises the signal once it has
    # stopped; the shell's handlers make that re-raise harmless, and the link still says
    # goodbye on the broker (retained `online: false` with our role and version).
    shell.on_signal(lambda: setattr(server, "should_exit", True))

    def listening(_port: int) -> None:
        log.info(
            "serving on http://%s:%d (node %s)", config.host, config.port, config.identity.node_id
        )
        shell.ready("serving")

    return running(server, listening)
