"""The office rollout: the hub pushes one signed bundle to every node, one node at a time.

The pure rule (`Rollout.step`) takes what the broker showed of each node and a clock:

1. the next node is sent `command/{node}/update` (bundle URL, version, rollout id);
2. it is done when its status says `online: true` and its update agent reports the new
   `version`, `state: idle`, for this rollout;
3. the rollout stops, and says why, when the node's agent reports `failed` (the install
   was refused: a bad signature, no space) or `rolled_back` (the new slot failed its health
   check and the node booted the old one), or when the node has not come back within
   `timeout` seconds; the nodes after it keep their version.

A node already on the version is skipped. The shell (`antrian update-office`) serves the
bundle over HTTP from the hub, runs the rule on every report and each second, and
publishes the progress retained on `state/update` for the dashboard.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from common.config import ConfigError, load, read_identity
from common.log import setup_logging
from common.mqtt import BrokerLink, Message
from common.wire import Topics, WireError, decode_object

log = logging.getLogger("antrian.update")

NodeState = Literal["waiting", "updating", "updated", "failed", "skipped"]

#: How long one node gets from the command to being back online on the new version: a
#: bundle download, the write of a root slot and a reboot on a Pi 4 take a few minutes.
DEFAULT_TIMEOUT_S = 1200.0


@dataclass(frozen=True)
class Seen:
    """What the broker last showed of one node."""

    online: bool = False
    agent_state: str | None = None  # its update agent's `state`
    agent_version: str | None = None
    agent_rollout: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Command:
    node: str


@dataclass(frozen=True)
class Rollout:
    rollout: str
    version: str
    bundle: str
    nodes: tuple[str, ...]
    timeout: float = DEFAULT_TIMEOUT_S
    index: int = 0
    started: float = 0.0  # when the current node was commanded
    states: dict[str, NodeState] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    result: Literal["running", "done", "stopped"] = "running"
    reason: str = ""

    @property
    def current(self) -> str | None:
        return self.nodes[self.index] if self.index < len(self.nodes) else None

    def state_of(self, node: str) -> NodeState:
        return self.states.get(node, "waiting")

    def step(self, seen: dict[str, Seen], now: float) -> tuple[Rollout, list[Command]]:
        """The rollout after what was seen at `now`, and the commands to send."""
        rollout: Rollout = self
        commands: list[Command] = []
        while rollout.result == "running":
            node = rollout.current
            if node is None:
                return replace(rollout, result="done"), commands
            view = seen.get(node, Seen())
            state = rollout.state_of(node)
            if state == "waiting":
                if view.online and view.agent_version == rollout.version:
                    rollout = rollout._mark(node, "skipped", "already on this version")
                    continue
                commands.append(Command(node))
                return rollout._mark(node, "updating", "", started=now), commands
            ours = view.agent_rollout == rollout.rollout
            if ours and view.agent_state in ("failed", "rolled_back"):
                why = f"{node}: {view.agent_state}" + (f" ({view.detail})" if view.detail else "")
                return rollout._mark(node, "failed", why)._stop(why), commands
            if (
                view.online
                and ours
                and view.agent_state == "idle"
                and view.agent_version == rollout.version
            ):
                rollout = rollout._mark(node, "updated", "")
                continue
            if now - rollout.started > rollout.timeout:
                why = f"{node}: not back online on {rollout.version} after {rollout.timeout:.0f} s"
                return rollout._mark(node, "failed", why)._stop(why), commands
            return rollout, commands
        return rollout, commands

    def _mark(
        self, node: str, state: NodeState, detail: str, started: float | None = None
    ) -> Rollout:
        states = {**self.states, node: state}
        details = {**self.details, node: detail}
        index = self.index + (state in ("updated", "skipped"))
        return replace(
            self,
            states=states,
            details=details,
            index=index,
            started=self.started if started is None else started,
        )

    def _stop(self, reason: str) -> Rollout:
        return replace(self, result="stopped", reason=reason)

    def payload(self) -> dict[str, Any]:
        """`state/update` (docs/mqtt-api.md)."""
        return {
            "rollout": self.rollout,
            "version": self.version,
            "state": self.result,
            "current": self.current if self.result == "running" else None,
            "reason": self.reason or None,
            "nodes": [
                {"node": n, "state": self.state_of(n), "detail": self.details.get(n) or None}
                for n in self.nodes
            ],
        }


def read_seen(seen: Seen, message: Message, topics: Topics) -> Seen:
    """Fold one status or update report into what is known of its node."""
    try:
        payload = decode_object(message.payload) if message.payload else {}
    except WireError:
        return seen
    if message.topic.endswith("/status"):
        return replace(seen, online=payload.get("online") is True)
    text = {k: v if isinstance(v, str) else None for k, v in payload.items()}
    return replace(
        seen,
        agent_state=text.get("state"),
        agent_version=text.get("version"),
        agent_rollout=text.get("rollout"),
        detail=text.get("detail") or "",
    )


class BundleServer:
    """The hub serves the one bundle file over HTTP on the office network, and nothing
    else, while the rollout runs."""

    def __init__(self, bundle: Path, host: str, port: int) -> None:
        folder, name = bundle.parent, bundle.name

        class OneFile(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.lstrip("/") != name:
                    self.send_error(404)
                    return
                super().do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                log.info("bundle server: %s", format % args)

        handler = functools.partial(OneFile, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer((host, port), handler)
        self.port = self.server.server_address[1]
        self.name = name
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Runner:
    """Runs one `Rollout` against the broker (the hub's account)."""

    def __init__(self, link: BrokerLink, rollout: Rollout, clock: Callable[[], float]) -> None:
        self.link, self.rollout, self.clock = link, rollout, clock
        self.topics = link.topics
        self.seen: dict[str, Seen] = {}
        self.lock = threading.Lock()
        self.changed = threading.Event()
        link.subscribe(self.topics.node_statuses, self._on_report)
        link.subscribe(self.topics.node_updates, self._on_report)

    def _on_report(self, message: Message) -> None:
        node = message.topic[len(self.topics.base) + len("/node/") :].split("/")[0]
        if node in self.rollout.nodes:
            with self.lock:
                self.seen[node] = read_seen(self.seen.get(node, Seen()), message, self.topics)
            self.changed.set()

    def step(self) -> None:
        with self.lock:
            before = self.rollout
            self.rollout, commands = before.step(dict(self.seen), self.clock())
        for command in commands:
            log.info("update %s: node %s, bundle %s", self.rollout.version, command.node,
                     self.rollout.bundle)  # fmt: skip
            self.link.publish(
                self.topics.command(command.node, "update"),
                {
                    "rollout": self.rollout.rollout,
                    "version": self.rollout.version,
                    "bundle": self.rollout.bundle,
                },
            )
        if self.rollout != before or commands:
            self.link.publish(self.topics.state_update, self.rollout.payload(), retain=True)

    def run(self, stop: threading.Event | None = None) -> Rollout:
        # A moment for the retained statuses to arrive before the first decision.
        self.changed.wait(2.0)
        self.link.publish(self.topics.state_update, self.rollout.payload(), retain=True)
        while self.rollout.result == "running" and not (stop and stop.is_set()):
            self.changed.clear()
            self.step()
            self.changed.wait(1.0)
        self.step()
        return self.rollout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antrian update-office", description=__doc__)
    parser.add_argument("--config", required=True, help="the hub's TOML (its broker account)")
    parser.add_argument("--bundle", type=Path, required=True, help="the signed .raucb file")
    parser.add_argument("--version", required=True, help="the version inside the bundle")
    parser.add_argument("--nodes", help="comma-separated node ids, in order (default: all "
                        "[[nodes]] of the hub's config)")  # fmt: skip
    parser.add_argument("--url-host", default="antrian-hub.local",
                        help="the hub's name the nodes download from")  # fmt: skip
    parser.add_argument("--listen", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    args = parser.parse_args(argv)
    setup_logging("INFO")
    try:
        root = load(args.config)
        who = read_identity(root)
    except ConfigError as exc:
        print(f"antrian update-office: configuration error: {exc}")
        return 2
    if args.nodes:
        nodes = tuple(n for n in args.nodes.split(",") if n)
    else:
        nodes = tuple(str(n.get("id")) for n in root.data.get("nodes", []) if n.get("id"))
    if not args.bundle.is_file():
        print(f"antrian update-office: no bundle at {args.bundle}")
        return 2
    server = BundleServer(args.bundle, args.listen, args.port)
    server.start()
    url = f"http://{args.url_host}:{server.port}/{server.name}"
    link = BrokerLink(who.broker, Topics(who.office_id), who.node_id, "hub",
                      client_id=f"antrian-{who.node_id}-update-office", announce=False)  # fmt: skip
    plan = Rollout(uuid.uuid4().hex[:12], args.version, url, nodes, args.timeout)
    runner = Runner(link, plan, time.monotonic)
    try:
        if not link.start(wait=10):
            print(f"antrian update-office: broker {who.broker.host}:{who.broker.port} unreachable")
            return 1
        log.info("rollout %s: %s to %s", plan.rollout, args.version, ", ".join(nodes) or "none")
        done = runner.run()
    finally:
        link.stop()
        server.stop()
    for node in done.nodes:
        print(f"{node}: {done.state_of(node)} {done.details.get(node, '')}".rstrip())
    print(f"rollout {done.result}" + (f": {done.reason}" if done.reason else ""))
    return 0 if done.result == "done" else 1
