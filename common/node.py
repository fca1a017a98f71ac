"""The one process shell of every daemon (`antrian hub|kiosk|counter|display|web`).

As in mopidy, the shell owns the process and a node brings its config reader and `build`:
1. `--config FILE` is read; a `ConfigError` is one line on stderr
   (`antrian ROLE: configuration error: FILE: KEY: PROBLEM`) and exit 2, before any
   hardware is touched. Then logging at the file's level; SIGTERM/SIGINT ask for a stop.
2. `build(config, shell)` makes the parts, hands each one's stop to `shell.on_stop` and
   takes its broker link from `shell.link()`. A part that cannot be set up: `SetupError`,
   exit 1 (a `ConfigError` from a part, e.g. a database path: exit 2).
3. The link connects after `build`, so every subscription is in place when the retained
   state arrives (up to CONNECT_WAIT_S; then it keeps trying while the node serves);
   READY=1, and the watchdog pings while `healthy()`.
4. `serve` runs until `stopping` is set; then, whatever happened, STOPPING=1 and every
   stop in the reverse order of building (the link's goodbye, `online: false`, in turn).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from common.config import ConfigError, NodeIdentity
from common.log import setup_logging
from common.mqtt import BrokerLink
from common.systemd import Watchdog, notify, notify_ready
from common.wire import Topics

log = logging.getLogger("antrian.node")

#: How long the link may take to connect before the node serves anyway (and says so).
CONNECT_WAIT_S = 5.0


class SetupError(Exception):
    """A part of the node could not be set up (a missing device, a busy pin): exit 1."""


class NodeConfig(Protocol):
    @property
    def identity(self) -> NodeIdentity: ...


C = TypeVar("C", bound=NodeConfig)


@dataclass(frozen=True)
class Running:
    """What `build` hands back: the main loop (None: wait for a signal), the watchdog's
    health, and READY's STATUS= text (None when `serve` calls `Shell.ready` itself)."""

    serve: Callable[[threading.Event], None] | None = None
    healthy: Callable[[], bool] = lambda: True
    status: str | None = ""


class Shell:
    """What `build` gets: the node's identity, its broker link and its teardown."""

    def __init__(self, role: str, file: str, identity: NodeIdentity) -> None:
        self.role, self.file, self.identity = role, file, identity
        self.stopping = threading.Event()
        self._link: BrokerLink | None = None
        self._wakes: list[Callable[[], object]] = []
        self.teardown = contextlib.ExitStack()

    def link(self, **options: Any) -> BrokerLink:
        """The node's broker link; the shell starts it after `build` and stops it in turn."""
        who = self.identity
        topics = Topics(who.office_id)
        self._link = BrokerLink(who.broker, topics, who.node_id, self.role, **options)
        self.on_stop(self._link.stop)
        return self._link

    def on_stop(self, stop: Callable[[], object]) -> None:
        """Call `stop` at teardown, before everything handed over earlier."""
        self.teardown.callback(self._quietly, stop)

    def on_signal(self, wake: Callable[[], object]) -> None:
        """Call `wake` when a stop is asked for (now if it was, during `build`)."""
        self._wakes.append(wake)
        if self.stopping.is_set():
            wake()

    def stop(self, *_signal: object) -> None:
        self.stopping.set()
        for wake in self._wakes:
            wake()

    ready = staticmethod(notify_ready)

    def _quietly(self, stop: Callable[[], object]) -> None:
        try:  # one part failing to stop must not keep the others (or the goodbye) running
            stop()
        except Exception:
            log.exception("stopping %s failed", getattr(stop, "__qualname__", stop))

    def start_link(self) -> None:
        if self._link is not None and not self._link.start(wait=CONNECT_WAIT_S):
            broker = self.identity.broker
            log.warning("broker %s:%s not reachable yet; retrying", broker.host, broker.port)


def run(
    role: str,
    argv: list[str] | argparse.Namespace | None,
    read_config: Callable[[str], C],
    build: Callable[[C, Shell], Running],
    *,
    description: str | None = None,
) -> int:
    """Run one node from its command line to its exit code (see the module docstring)."""
    args = argv
    if not isinstance(args, argparse.Namespace):
        parser = argparse.ArgumentParser(prog=f"antrian {role}", description=description)
        parser.add_argument("--config", required=True, help=f"the {role} node's TOML file")
        args = parser.parse_args(argv)
    try:
        config = read_config(str(args.config))
    except ConfigError as exc:
        return config_error(role, exc)
    setup_logging(config.identity.log_level)
    shell = Shell(role, str(args.config), config.identity)
    signal.signal(signal.SIGTERM, shell.stop)
    signal.signal(signal.SIGINT, shell.stop)
    with shell.teardown:
        shell.on_stop(lambda: log.info("%s %s stopped", role, config.identity.node_id))
        try:
            running = build(config, shell)
            watchdog = Watchdog(running.healthy)
            shell.on_stop(watchdog.stop)
            shell.on_stop(lambda: notify("STOPPING=1"))  # first of all: systemd knows at once
            shell.start_link()
            if running.status is not None:
                shell.ready(running.status)
            watchdog.start()
            (running.serve or threading.Event.wait)(shell.stopping)
        except ConfigError as exc:  # e.g. a database path that cannot be one
            return config_error(role, exc)
        except SetupError as exc:
            log.error("cannot set up the %s: %s", role, exc)
            return 1
        log.info("stopping")
    return 0


def config_error(role: str, exc: ConfigError) -> int:
    """One line on stderr (journald shows it), never a traceback; exit code 2."""
    print(f"antrian {role}: configuration error: {exc}", file=sys.stderr, flush=True)
    return 2
