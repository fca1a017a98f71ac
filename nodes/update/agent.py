"""`antrian update-agent`: on each Pi, install the update the hub commands, then reboot.

It listens only on its own `command/{node}/update` (the broker's ACL lets only the hub
publish there) and reports on `node/{node}/update`, retained:
`{"state": "idle" | "installing" | "rebooting" | "failed" | "rolled_back", "version",
"slot", "rollout", "detail"}`. `version` is the release running now. After the reboot
the health check (nodes/update/health.py) keeps or rejects the new slot; the agent then
reports `idle` on the new version, or `rolled_back` on the old one, for the same rollout.

Both installers first download the bundle onto the data partition (nodes/update/download.py:
free space checked, size verified, the file deleted afterwards). The installer is the
hardware edge, chosen by `--installer`: `rauc` (`rauc install FILE`, RAUC checks the
signature, then `systemctl reboot`) or `simulated` (for tests and demos: the "bundle" is
a JSON file `{"version", "boots"}`; the "reboot" reconnects the agent on the version the
bundle gave, or on the old one if it does not boot).

The hub's own agent (the Pi whose run dir has `hub.toml`) also finishes a rollout that
was handed over to it: `antrian update-office` runs on the hub and does not survive its
reboot, so after it the agent completes the retained `state/update` (rollout.py
`finish_on_hub`).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from common import __version__
from common.config import ConfigError, NodeIdentity
from common.log import setup_logging
from common.mqtt import BrokerLink, Message
from common.wire import Topics, WireError, decode_object
from nodes.update import download
from nodes.update.health import RUN_DIR, STATE_DIR, booted_slot, nodes_of
from nodes.update.rollout import Seen, finish_on_hub

log = logging.getLogger("antrian.update")

#: A URL the hub serves from: nothing else is fetched or handed to RAUC.
SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class Running:
    version: str
    slot: str | None
    last: str | None  # the last trial's result on this Pi: "good" | "rolled_back" | None


class Installer(Protocol):
    def running(self) -> Running: ...
    def install(self, url: str) -> None: ...
    def reboot(self) -> None: ...


class RaucInstaller:
    """RAUC on the A/B image: the booted slot's bundle version, `rauc install`, reboot."""

    def __init__(self, state_dir: Path = STATE_DIR) -> None:
        self.state_dir = state_dir

    def running(self) -> Running:
        slot = booted_slot(Path("/proc/cmdline").read_text())
        version = __version__
        try:
            text = subprocess.run(
                ["rauc", "status", "--detailed", "--output-format=json"],
                capture_output=True, text=True, check=True, timeout=60,
            ).stdout  # fmt: skip
            for entry in json.loads(text).get("slots", []):
                for info in entry.values():
                    if info.get("bootname") == slot:
                        bundle = (info.get("slot_status") or {}).get("bundle") or {}
                        version = bundle.get("version") or version
        except (subprocess.SubprocessError, OSError, ValueError) as exc:
            log.warning("rauc status unreadable (%s): reporting %s", exc, version)
        return Running(version, slot, last_result(self.state_dir))

    def install(self, url: str) -> None:
        bundle = fetch(url, self.state_dir)
        try:
            result = subprocess.run(["rauc", "install", str(bundle)], capture_output=True,
                                    text=True)  # fmt: skip
        finally:
            bundle.unlink(missing_ok=True)
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            raise InstallError(lines[-1] if lines else f"rauc exited {result.returncode}")

    def reboot(self) -> None:
        subprocess.run(["systemctl", "reboot"], check=True)


def last_result(state_dir: Path) -> str | None:
    try:
        result = json.loads((state_dir / "last-update.json").read_text()).get("result")
    except (OSError, ValueError):
        return None
    return result if isinstance(result, str) else None


class InstallError(Exception):
    """The bundle was not installed; the message says why (for the dashboard)."""


def downloads(state_dir: Path) -> Path:
    return state_dir / "download"


def fetch(url: str, state_dir: Path) -> Path:
    """The bundle, on the data partition (never in RAM: RAUC 1.8 would copy a URL there)."""
    try:
        return download.fetch(url, downloads(state_dir))
    except download.DownloadError as exc:
        raise InstallError(str(exc)) from None


class SimulatedInstaller:
    """A Pi without RAUC: the slots are two JSON files in `state_dir`."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.rebooted = threading.Event()

    def _read(self, name: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((self.state_dir / name).read_text())
        except (OSError, ValueError):
            return {}
        return data

    def running(self) -> Running:
        booted = self._read("booted.json")
        return Running(booted.get("version", __version__), booted.get("slot", "A"),
                       booted.get("last"))  # fmt: skip

    def install(self, url: str) -> None:
        path = fetch(url, self.state_dir)  # the same download as for RAUC
        try:
            bundle = json.loads(path.read_text())
        except (OSError, ValueError):
            raise InstallError("not a bundle") from None
        finally:
            path.unlink(missing_ok=True)
        if not isinstance(bundle, dict) or not isinstance(bundle.get("version"), str):
            raise InstallError("not a bundle")
        (self.state_dir / "installed.json").write_text(json.dumps(bundle))

    def reboot(self) -> None:
        booted, bundle = self.running(), self._read("installed.json")
        other = "B" if booted.slot == "A" else "A"
        if bundle.get("boots", True):
            now = {"version": bundle["version"], "slot": other, "last": "good"}
        else:
            now = {"version": booted.version, "slot": booted.slot, "last": "rolled_back"}
        (self.state_dir / "booted.json").write_text(json.dumps(now))
        self.rebooted.set()


class Agent:
    def __init__(
        self,
        identity: NodeIdentity,
        installer: Installer,
        state_dir: Path,
        finishes_rollouts: bool = False,
    ) -> None:
        self.identity, self.installer, self.state_dir = identity, installer, state_dir
        self.finishes_rollouts = finishes_rollouts  # the hub's agent: see finish_on_hub
        self.topics = Topics(identity.office_id)
        self.node = identity.node_id
        self.busy = threading.Lock()
        self.link = BrokerLink(identity.broker, self.topics, self.node, "update-agent",
                               client_id=f"antrian-{self.node}-update-agent",
                               announce=False)  # fmt: skip
        self.link.subscribe(self.topics.command(self.node, "update"), self._on_command)
        # Its own report back from the broker: "rebooting" has left before the reboot does.
        self.echoed: dict[str, threading.Event] = {}
        self.link.subscribe(self.topics.node_update(self.node), self._on_echo)

    @property
    def rollout_file(self) -> Path:
        return self.state_dir / "rollout"

    def report(self, state: str, detail: str = "", rollout: str | None = None) -> None:
        running = self.installer.running()
        if rollout is None and self.rollout_file.exists():
            rollout = self.rollout_file.read_text().strip() or None
        payload = {"state": state, "version": running.version, "slot": running.slot,
                   "rollout": rollout, "detail": detail or None}  # fmt: skip
        self.link.publish(self.topics.node_update(self.node), payload, retain=True)

    def start(self) -> None:
        download.clear(downloads(self.state_dir))
        running = self.installer.running()
        # After the reboot of a rollout: did the health check keep the new slot?
        state = "rolled_back" if running.last == "rolled_back" else "idle"
        rollout = None
        if self.rollout_file.exists():
            rollout = self.rollout_file.read_text().strip() or None
        else:
            state = "idle"
        if self.finishes_rollouts and rollout is not None:
            # Started on the hub as the update-office of this rollout left off: the
            # retained state/update, read once, is finished with what this start says.
            back = Seen(online=True, agent_state=state, agent_version=running.version,
                        agent_rollout=rollout)  # fmt: skip
            finished = threading.Event()

            def finish(message: Message) -> None:
                if not message.retain or finished.is_set():
                    return  # only what the rollout left before this start
                finished.set()
                try:
                    payload = finish_on_hub(decode_object(message.payload), self.node, back)
                except WireError:
                    return
                if payload is not None:
                    log.info("rollout %s finished after the hub's restart: %s%s", rollout,
                             payload["state"],
                             f" ({payload['reason']})" if payload["reason"] else "")  # fmt: skip
                    self.link.publish(self.topics.state_update, payload, retain=True)

            self.link.subscribe(self.topics.state_update, finish)

        def connected(up: bool) -> None:
            if up:  # (again) after the broker was away: the retained report is refreshed
                self.report(state)

        self.link.on_connection(connected)
        self.link.start(wait=10)
        log.info("update agent of %s: running %s (slot %s)", self.node, running.version,
                 running.slot)  # fmt: skip

    def stop(self) -> None:
        self.link.stop()

    def _on_echo(self, message: Message) -> None:
        try:
            report = decode_object(message.payload)
        except WireError:
            return
        event = self.echoed.get(f"{report.get('state')}/{report.get('rollout')}")
        if event is not None:
            event.set()

    def _on_command(self, message: Message) -> None:
        if message.retain:
            return  # only a live command counts, never one left on the broker
        try:
            command = decode_object(message.payload)
        except WireError:
            log.warning("update command not JSON: ignored")
            return
        url, version, rollout = (command.get(k) for k in ("bundle", "version", "rollout"))
        if not all(isinstance(v, str) and v for v in (url, version, rollout)):
            log.warning("update command without bundle/version/rollout: ignored")
            return
        assert isinstance(url, str) and isinstance(rollout, str)
        if not url.startswith(SCHEMES):
            self.report("failed", f"not an http(s) URL: {url[:80]}", rollout)
            return
        if not self.busy.acquire(blocking=False):
            log.warning("update command while installing: ignored")
            return
        threading.Thread(target=self._install, args=(url, rollout), daemon=True).start()

    def _install(self, url: str, rollout: str) -> None:
        try:
            self.rollout_file.write_text(rollout + "\n")
            self.report("installing", "", rollout)
            log.info("installing %s (rollout %s)", url, rollout)
            try:
                self.installer.install(url)
            except InstallError as exc:
                log.error("update from %s refused: %s", url, exc)
                self.report("failed", str(exc), rollout)
                return
            echoed = self.echoed.setdefault(f"rebooting/{rollout}", threading.Event())
            self.report("rebooting", "", rollout)
            if not echoed.wait(10.0):
                log.warning("the broker did not confirm the 'rebooting' report; rebooting")
            log.info("installed; rebooting into the new slot")
            self.installer.reboot()
        finally:
            self.busy.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antrian update-agent", description=__doc__)
    parser.add_argument("--installer", choices=("rauc", "simulated"), default="rauc")
    parser.add_argument("--run-dir", type=Path, default=RUN_DIR,
                        help="where firstboot put this Pi's node config(s)")  # fmt: skip
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR)
    args = parser.parse_args(argv)
    setup_logging("INFO")
    try:
        nodes = nodes_of(args.run_dir)
    except ConfigError as exc:
        print(f"antrian update-agent: {exc}")
        return 2
    if not nodes:
        print(f"antrian update-agent: no node config in {args.run_dir}")
        return 2
    args.state_dir.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    while not stop.is_set():
        installer: Installer
        if args.installer == "rauc":
            installer = RaucInstaller(args.state_dir)
        else:
            installer = SimulatedInstaller(args.state_dir)
        # On the hub (hub.toml sorts before web.toml) the agent is the hub's.
        on_hub = nodes[0].unit == "antrian-hub.service"
        agent = Agent(nodes[0].identity, installer, args.state_dir, finishes_rollouts=on_hub)
        agent.start()
        try:
            if isinstance(installer, SimulatedInstaller):
                installer.rebooted.wait()  # a simulated reboot: connect again, as after boot
            else:
                stop.wait()  # RAUC's reboot ends this process with the rest of the Pi
        except KeyboardInterrupt:
            stop.set()
        finally:
            agent.stop()
    return 0
