"""The office rollout: the hub pushes one signed bundle to every node, one node at a time.

The pure rule (`Rollout.step`) takes what the broker showed of each node and a clock:

1. the next node is sent `command/{node}/update` (bundle URL, version, rollout id), and
   sent it again every `RESEND_S` seconds until its update agent reports on this rollout:
   a command is neither retained nor queued, so an agent that was (re)starting when it
   left (the node just booted, or its agent was restarted) never saw it;
2. it is done when its status says `online: true` and its update agent reports the new
   `version`, `state: idle`, for this rollout;
3. the rollout stops, and says why, when the node's agent reports `failed` (the install
   was refused: a bad signature, no space) or `rolled_back` (the new slot failed its health
   check and the node booted the old one), or when the node has not come back within
   `timeout` seconds; the nodes after it keep their version.

A node already on the version is skipped. The shell (`antrian update-office`) serves the
bundle over HTTP from the hub, runs the rule on every report and each second, and
publishes the progress retained on `state/update` for the dashboard.

The hub is a Pi of the office too, and comes last (`rollout_order`): this process runs
on it and dies with its reboot. The state published with the hub's command says so
beforehand (`HANDED_OVER`); when the hub's agent reports `rebooting`, this process ends
(the retained `state/update` still says `running`, the hub `updating`), and the hub's
agent, back after the reboot, writes the last word with the same rule (`finish_on_hub`):
`done`, or `stopped` when the hub rolled back.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from common.config import ConfigError, Table, load, read_identity
from common.log import setup_logging
from common.mqtt import BrokerLink, Message
from common.payloads import UpdateState
from common.wire import Topics, WireError, decode_object

log = logging.getLogger("antrian.update")

NodeState = Literal["waiting", "updating", "updated", "failed", "skipped"]

#: How long one node gets from the command to being back online on the new version: a
#: bundle download, the write of a root slot and a reboot on a Pi 4 take a few minutes.
DEFAULT_TIMEOUT_S = 1200.0

#: How long a commanded node's agent may stay silent on this rollout before the command is
#: sent again (it answers "installing" at once, before the download).
RESEND_S = 30.0

#: The hub's entry from its command on: this process does not survive the hub's reboot, so
#: the retained state says beforehand who writes the outcome.
HANDED_OVER = "installs and restarts; its update agent finishes this rollout when it is back"


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
    hub: str | None = None  # the node this rollout runs on (last): its reboot ends it here
    index: int = 0
    started: float = 0.0  # when the current node was commanded
    sent: float = 0.0  # when its command last left
    states: dict[str, NodeState] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    result: Literal["running", "done", "stopped"] = "running"
    reason: str = ""
    handed_over: bool = False  # the hub is rebooting: its own agent writes the outcome

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
                said = HANDED_OVER if node == rollout.hub else ""
                return replace(
                    rollout._mark(node, "updating", said, started=now), sent=now
                ), commands
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
            if node == rollout.hub and ours and view.agent_state == "rebooting":
                # The retained state already says so (HANDED_OVER): nothing more to publish.
                return replace(rollout, handed_over=True), commands
            if now - rollout.started > rollout.timeout:
                why = f"{node}: not back online on {rollout.version} after {rollout.timeout:.0f} s"
                return rollout._mark(node, "failed", why)._stop(why), commands
            if not ours and now - rollout.sent >= RESEND_S:
                # Not answered: its agent was not listening when the command left.
                commands.append(Command(node))
                return replace(rollout, sent=now), commands
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

    @classmethod
    def from_state(cls, state: UpdateState, hub: str) -> Rollout:
        """The rollout a retained `state/update` describes, as the rule left it."""
        nodes = tuple(n.node for n in state.nodes)
        done = sum(n.state in ("updated", "skipped") for n in state.nodes)
        return cls(
            rollout=state.rollout,
            version=state.version,
            bundle="",
            nodes=nodes,
            hub=hub,
            index=done,
            states={n.node: n.state for n in state.nodes},  # type: ignore[misc]
            details={n.node: n.detail or "" for n in state.nodes},
            result=state.state,  # type: ignore[arg-type]
            reason=state.reason or "",
        )

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


def office_nodes(root: Table) -> list[str]:
    """The hub's `[[nodes]]` in order, but web nodes: they run on the hub's Pi, whose
    update agent answers as the hub."""
    return [str(t.data["id"]) for t in root.tables("nodes")
            if t.data.get("id") and t.data.get("role") != "web"]  # fmt: skip


def rollout_order(listed: Sequence[str], hub: str, skip_hub: bool = False) -> tuple[str, ...]:
    """The order of a rollout: the listed nodes as given, the hub last (it runs the
    rollout, and its reboot stops the office's service for a moment), or not at all."""
    nodes = tuple(dict.fromkeys(n for n in listed if n and n != hub))
    return nodes if skip_hub else (*nodes, hub)


def finish_on_hub(retained: Mapping[str, Any], hub: str, seen: Seen) -> dict[str, Any] | None:
    """The last `state/update` of a rollout handed over to the hub's agent, from what that
    agent reports after the hub's restart (`seen`); None if it is not that rollout's
    turn. The agent starts after the health check, so the hub's node is online when it
    reports `idle` on the new version (or the new slot was rejected: `rolled_back`)."""
    try:
        state = UpdateState.from_payload(retained)
    except WireError:
        return None
    if state.state != "running" or state.current != hub or seen.agent_rollout != state.rollout:
        return None
    after, _ = Rollout.from_state(state, hub).step({hub: seen}, now=0.0)
    if after.result == "running":  # back, but neither on the new version nor rolled back
        why = f"{hub}: restarted on {seen.agent_version}, not on {state.version}"
        after = after._mark(hub, "failed", why)._stop(why)
    return after.payload()


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
        # The state first: who is being updated (and, for the hub, who finishes the
        # rollout) is on the broker before the command leaves.
        if self.rollout.payload() != before.payload():
            self.link.publish(self.topics.state_update, self.rollout.payload(), retain=True)
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

    def run(self, stop: threading.Event | None = None) -> Rollout:
        # A moment for the retained statuses to arrive before the first decision.
        self.changed.wait(2.0)
        self.link.publish(self.topics.state_update, self.rollout.payload(), retain=True)
        while (
            self.rollout.result == "running"
            and not self.rollout.handed_over
            and not (stop and stop.is_set())
        ):
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
                        "[[nodes]] of the hub's config but web nodes, which run on the hub's "
                        "Pi); the hub itself comes last")  # fmt: skip
    parser.add_argument("--skip-hub", action="store_true",
                        help="leave the hub out (its restart stops the office's queue for a "
                        "minute or two: update it later, e.g. after closing time)")  # fmt: skip
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
    listed = [n for n in args.nodes.split(",") if n] if args.nodes else office_nodes(root)
    nodes = rollout_order(listed, who.node_id, args.skip_hub)
    if not args.bundle.is_file():
        print(f"antrian update-office: no bundle at {args.bundle}")
        return 2
    server = BundleServer(args.bundle, args.listen, args.port)
    server.start()
    url = f"http://{args.url_host}:{server.port}/{server.name}"
    link = BrokerLink(who.broker, Topics(who.office_id), who.node_id, "hub",
                      client_id=f"antrian-{who.node_id}-update-office", announce=False)  # fmt: skip
    plan = Rollout(uuid.uuid4().hex[:12], args.version, url, nodes, args.timeout,
                   hub=who.node_id)  # fmt: skip
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
    if done.result == "running" and done.handed_over:
        print(f"rollout handed over: the hub is restarting on {done.version}; its update agent "
              f"finishes the rollout (state/update) when it is back")  # fmt: skip
        return 0
    print(f"rollout {done.result}" + (f": {done.reason}" if done.reason else ""))
    return 0 if done.result == "done" else 1
