"""`antrian region --config region.toml`: the regional service, in the house's node shell.

Wiring only: config -> schema -> intake (regional broker -> PostgreSQL, ack) + summaries
+ the dashboard on uvicorn, until a signal.
"""

from __future__ import annotations

import logging

import psycopg
import uvicorn

from common import node
from common.node import Running, SetupError, Shell
from nodes.hub.web.serving import running
from nodes.region import store
from nodes.region.config import RegionConfig, load
from nodes.region.intake import Intake
from nodes.region.summary import Summarizer
from nodes.region.web import RegionState, create_app

log = logging.getLogger(__name__)


def build(config: RegionConfig, shell: Shell) -> Running:
    try:
        store.create_schema(config.database_url)
    except store.SchemaMismatch as exc:
        raise SetupError(str(exc)) from None
    except psycopg.Error as exc:
        raise SetupError(f"cannot open the region database: {exc}".strip()) from None
    reader = store.Reader(config.database_url)
    shell.on_stop(reader.close)
    names = {o.id: o.name for o in config.offices}
    intake = Intake(config.broker, config.database_url, instance=config.instance)
    summaries = Summarizer(config.database_url, reader, names, config.timezone, intake.busy)
    intake.on_stored = summaries.wake
    summaries.start()
    shell.on_stop(summaries.stop)
    shell.on_stop(intake.stop)
    if not intake.start(wait=node.CONNECT_WAIT_S):
        log.warning(
            "regional broker %s:%s not reachable yet; retrying",
            config.broker.host,
            config.broker.port,
        )
    if not config.web.users:
        log.warning("no [[web.users]] in %s: nobody can sign in to the dashboard", shell.file)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(RegionState(config, reader)),
            host=config.web.host,
            port=config.web.port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
            timeout_graceful_shutdown=2,
        )
    )
    shell.on_signal(lambda: setattr(server, "should_exit", True))

    def listening(port: int) -> None:
        log.info("region %s: dashboard on http://%s:%d", config.name, config.web.host, port)
        shell.ready("serving")

    def failed() -> None:
        raise SetupError(
            f"cannot serve the dashboard on {config.web.host}:{config.web.port}"
            " (the port is taken, or the address is not this machine's)"
        )

    return running(server, listening, failed)


def main(argv: list[str] | None = None) -> int:
    return node.run("region", argv, load, build, description="Run the regional service.")
