"""The one process shell of every daemon: `antrian hub|kiosk|counter|display|web --config FILE`.

Like mopidy's, the shell owns the process and a node brings only its config reader and
its `build`. In order:

1. `--config FILE` is read by the node's reader. A mistake (`ConfigError`) is one line
   on stderr, `antrian ROLE: configuration error: FILE: KEY: PROBLEM`, and exit code 2,
   before any hardware is touched.
2. Logging is set up at the file's `[log] level`; SIGTERM and SIGINT ask for an orderly
   stop (`Shell.stop`).
3. `build(config, shell)` makes the node's parts. Each part it starts it hands to
   `shell.on_stop`; its broker link (status and Last Will named after the role) comes
   from `shell.link()`. A part that cannot be set up raises `SetupError`: exit 1.
4. The link connects, after `build`, so every subscription is in place when the retained
   state arrives. READY=1 goes to systemd, and the watchdog pings while `healthy()`.
5. The node's `serve` runs until `stopping` is set (by default it just waits for it).
6. Whatever happened, STOPPING=1, then every part's stop in the reverse order of building;
   the link says goodbye (retained `online: false`) when its turn comes.
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
from types import FrameType
from typing import Any, Protocol, TypeVar

from common.config import ConfigError, NodeIdentity
from common.log import setup_logging
from common.mqtt import BrokerLink
from common.systemd import Watchdog, notify, notify_ready
from common.wire import Topics

log = logging.getLogger("antrian.node")

#: A link not connected this long after start is worth a line in the journal.
CONNECT_WARNING_S = 5.0


class SetupError(Exception):
    """A part of the node could not be set up (a missing device, a busy pin): exit 1."""


class NodeConfig(Protocol):
    @property
    def identity(self) -> NodeIdentity: ...


C = TypeVar("C", bound=NodeConfig)


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Running:
    """What a node's `build` hands back to the shell."""

    #: The main loop; returns once `stopping` is set. None: wait for a signal.
    serve: Callable[[threading.Event], None] | None = None
    #: The watchdog pings systemd only while this says so.
    healthy: Callable[[], bool] = _always
    #: READY's STATUS= text, sent before `serve`; None when `serve` calls `Shell.ready`.
    status: str | None = ""


class Shell:
    """What `build` gets: the node's identity, its broker link and its teardown."""

    def __init__(self, role: str, file: str, identity: NodeIdentity) -> None:
        self.role = role
        self.file = file
        self.identity = identity
        self.stopping = threading.Event()
        self.links: list[BrokerLink] = []
        self._wakes: list[Callable[[], object]] = []
        self._teardown = contextlib.ExitStack()

    def link(self, **options: Any) -> BrokerLink:
        """The node's broker link; the shell starts it after `build` and stops it in turn."""
        identity = self.identity
        link = BrokerLink(
            identity.broker, Topics(identity.office_id), identity.node_id, self.role, **options
        )
        self.links.append(link)
        self.on_stop(link.stop)
        return link

    def on_stop(self, stop: Callable[[], object]) -> None:
        """Call `stop` at teardown, before everything handed over earlier."""
        self._teardown.callback(self._quietly, stop)

    def on_signal(self, wake: Callable[[], object]) -> None:
        """Call `wake` (from the signal handler) when a stop is asked for, or now if it
        already was (a signal during `build`)."""
        self._wakes.append(wake)
        if self.stopping.is_set():
            wake()

    def stop(self) -> None:
        self.stopping.set()
        for wake in self._wakes:
            wake()

    def ready(self, status: str) -> None:
        notify_ready(status)

    def _quietly(self, stop: Callable[[], object]) -> None:
        # One part failing to stop must not keep the others (or the goodbye) from stopping.
        try:
            stop()
        except Exception:
            log.exception("stopping %s failed", getattr(stop, "__qualname__", stop))

    def _start_links(self) -> None:
        for link in self.links:
            link.start(wait=None)
        if self.links:
            timer = threading.Timer(CONNECT_WARNING_S, self._warn_unconnected)
            timer.daemon = True
            timer.start()
            self.on_stop(timer.cancel)

    def _warn_unconnected(self) -> None:
        if not all(link.connected for link in self.links) and not self.stopping.is_set():
            broker = self.identity.broker
            log.warning("broker %s:%s not reachable yet; retrying", broker.host, broker.port)


def parser(role: str, description: str | None) -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(prog=f"antrian {role}", description=description)
    result.add_argument("--config", required=True, help=f"the {role} node's TOML file")
    return result


def config_error(role: str, exc: ConfigError) -> int:
    """One line on stderr (journald shows it), never a traceback; exit code 2."""
    print(f"antrian {role}: configuration error: {exc}", file=sys.stderr, flush=True)
    return 2


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
        args = parser(role, description).parse_args(argv)
    file = str(args.config)
    try:
        config = read_config(file)
    except ConfigError as exc:
        return config_error(role, exc)
    setup_logging(config.identity.log_level)
    shell = Shell(role, file, config.identity)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        shell.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with shell._teardown:
        shell.on_stop(lambda: log.info("%s %s stopped", role, config.identity.node_id))
        try:
            running = build(config, shell)
        except ConfigError as exc:
            return config_error(role, exc)
        except SetupError as exc:
            log.error("cannot set up the %s: %s", role, exc)
            return 1
        watchdog = Watchdog(running.healthy)
        shell.on_stop(watchdog.stop)
        shell.on_stop(lambda: notify("STOPPING=1"))  # first of all: systemd knows at once
        shell._start_links()
        if running.status is not None:
            shell.ready(running.status)
        watchdog.start()
        try:
            (running.serve or _wait)(shell.stopping)
        except SetupError as exc:
            log.error("cannot start the %s: %s", role, exc)
            return 1
        log.info("stopping")
    return 0


def _wait(stopping: threading.Event) -> None:
    stopping.wait()
