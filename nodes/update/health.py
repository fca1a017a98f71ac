"""`antrian update-check`: after an A/B update, keep the new root slot only if the node
comes up on it.

RAUC writes an update into the other root slot and makes it GRUB's first choice
(image/ab/grub.cfg). GRUB boots a slot once on trial (`<slot>_TRY=1`); only
`rauc status mark-good` clears that, and a slot tried and never marked good is skipped on
the next boot. RAUC's own `rauc-mark-good.service` would mark every boot good at once;
this check (antrian-update-check.service) replaces it:

- a boot right after an install (RAUC's post-install handler, image/ab/post-install,
  left the new slot's name in `trial`): the role's units must be active and each of this
  Pi's nodes must report `online: true` in its retained status within `--timeout`
  seconds. Then the slot is marked good; otherwise it is marked bad and the Pi reboots,
  and GRUB boots the old slot with no hand on the device;
- a trial slot that never reached this check (a kernel panic, a hang): GRUB already
  fell back; the check notes it and keeps the running slot;
- any other boot: the running slot is marked good at once (a hub that is down must not
  make a kiosk throw away a root that worked yesterday).

The outcome of the last trial is kept in `last-update.json` beside `trial` (the update
agent reports it to the hub).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from common.config import ConfigError, NodeIdentity, load, read_identity
from common.log import setup_logging
from common.mqtt import BrokerLink, Message
from common.wire import Topics, WireError, decode_object

log = logging.getLogger("antrian.update")

STATE_DIR = Path("/var/lib/antrian/rauc")
RUN_DIR = Path("/run/antrian")
#: Long enough for a Pi 4 to start its role and reach the hub's broker after boot.
DEFAULT_TIMEOUT_S = 120.0


class Boot(Enum):
    NORMAL = "normal"  # no install since the last check
    TRIAL = "trial"  # the first boot of a freshly installed slot
    FELL_BACK = "fell_back"  # the trial slot never got here: GRUB booted the old one


def classify(booted: str | None, trial: str | None) -> Boot:
    """What kind of boot this is, from the running slot and the slot left on trial."""
    if trial is None:
        return Boot.NORMAL
    return Boot.TRIAL if trial == booted else Boot.FELL_BACK


def booted_slot(cmdline: str) -> str | None:
    """RAUC's bootname of the running slot: GRUB passes `rauc.slot=A|B` to the kernel."""
    for word in cmdline.split():
        if word.startswith("rauc.slot="):
            return word.split("=", 1)[1] or None
    return None


class Slots(Protocol):
    """The hardware edge: RAUC's slot marks and the reboot."""

    def mark(self, good: bool) -> None: ...
    def reboot(self) -> None: ...


class Rauc:
    def mark(self, good: bool) -> None:
        subprocess.run(["rauc", "status", "mark-good" if good else "mark-bad"], check=True)

    def reboot(self) -> None:
        subprocess.run(["systemctl", "reboot"], check=True)


def units_active(units: Sequence[str]) -> bool:
    result = subprocess.run(["systemctl", "is-active", "--quiet", *units], check=False)
    return result.returncode == 0


@dataclass(frozen=True)
class Node:
    """One daemon this Pi runs: its unit and the node id it reports status as."""

    unit: str
    identity: NodeIdentity


def nodes_of(run_dir: Path) -> list[Node]:
    """Every role firstboot set up on this boot (`/run/antrian/{role}.toml`)."""
    nodes = []
    for path in sorted(run_dir.glob("*.toml")):
        try:
            nodes.append(Node(f"antrian-{path.stem}.service", read_identity(load(path))))
        except ConfigError as exc:
            log.error("cannot read %s: %s", path, exc)
    return nodes


class OnlineWatch:
    """Waits for each node's retained status to say `online: true` (a second connection
    with the node's own account that announces nothing)."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.pending = {n.identity.node_id for n in nodes}
        self.lock = threading.Lock()
        self.all_online = threading.Event()
        self.links = []
        for node in nodes:
            who = node.identity
            topics = Topics(who.office_id)
            link = BrokerLink(
                who.broker,
                topics,
                who.node_id,
                "update-check",
                client_id=f"antrian-{who.node_id}-update-check",
                announce=False,
            )
            link.subscribe(topics.node_status(who.node_id), self._status(who.node_id))
            self.links.append(link)
        if not self.pending:
            self.all_online.set()

    def _status(self, node_id: str) -> Callable[[Message], None]:
        def handle(message: Message) -> None:
            try:
                online = decode_object(message.payload).get("online") is True
            except WireError:
                return
            with self.lock:
                if online:
                    self.pending.discard(node_id)
                if not self.pending:
                    self.all_online.set()

        return handle

    def start(self) -> None:
        for link in self.links:
            link.start(wait=None)

    def stop(self) -> None:
        for link in self.links:
            link.stop()


def wait_healthy(
    nodes: Sequence[Node],
    timeout: float,
    active: Callable[[Sequence[str]], bool] = units_active,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[bool, str]:
    """(healthy, why not): the units active and every node online within `timeout`."""
    if not nodes:
        return False, "no role configured (no /run/antrian/*.toml: is the boot file valid?)"
    units = [n.unit for n in nodes]
    deadline = clock() + timeout
    watch = OnlineWatch(nodes)
    watch.start()
    try:
        while True:
            up = active(units)
            if up and watch.all_online.is_set():
                return True, ""
            left = deadline - clock()
            if left <= 0:
                if not up:
                    return False, f"{' '.join(units)} not active after {timeout:.0f} s"
                offline = ", ".join(sorted(watch.pending))
                return False, f"node {offline} not online after {timeout:.0f} s"
            if watch.all_online.is_set():
                time.sleep(min(1.0, left))  # systemd has no event to wait on: ask each second
            else:
                watch.all_online.wait(min(1.0, left))
    finally:
        watch.stop()


@dataclass(frozen=True)
class Check:
    state_dir: Path = STATE_DIR
    run_dir: Path = RUN_DIR
    cmdline: Path = Path("/proc/cmdline")
    timeout: float = DEFAULT_TIMEOUT_S

    @property
    def trial_file(self) -> Path:
        return self.state_dir / "trial"

    @property
    def outcome_file(self) -> Path:
        return self.state_dir / "last-update.json"

    def record(self, slot: str | None, result: str, detail: str, seconds: float) -> None:
        text = json.dumps(
            {"slot": slot, "result": result, "detail": detail, "seconds": round(seconds, 1)}
        )
        self.outcome_file.write_text(text + "\n")


def run(
    check: Check,
    slots: Slots,
    active: Callable[[Sequence[str]], bool] = units_active,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    start = clock()
    booted = booted_slot(check.cmdline.read_text())
    trial = check.trial_file.read_text().strip() if check.trial_file.exists() else ""
    kind = classify(booted, trial or None)
    if kind is Boot.NORMAL:
        slots.mark(good=True)
        log.info("slot %s marked good (no update on trial)", booted)
        return 0
    if kind is Boot.FELL_BACK:
        detail = f"slot {trial} never came up; GRUB booted slot {booted} again"
        log.error("update rolled back: %s", detail)
        check.record(trial, "rolled_back", detail, 0.0)
        check.trial_file.unlink()
        slots.mark(good=True)
        return 0
    log.info("slot %s is on trial: waiting up to %.0f s for its node(s)", booted, check.timeout)
    healthy, why = wait_healthy(nodes_of(check.run_dir), check.timeout, active, clock)
    seconds = clock() - start
    if healthy:
        slots.mark(good=True)
        check.record(booted, "good", "", seconds)
        check.trial_file.unlink()
        log.info("update kept: slot %s marked good after %.1f s", booted, seconds)
        return 0
    # Marked bad first, the trial cleared second: a crash in between reboots into GRUB's
    # fallback anyway (the slot stays on trial), and the next check records it.
    slots.mark(good=False)
    check.record(booted, "rolled_back", why, seconds)
    check.trial_file.unlink()
    log.error("update rejected: %s; slot %s marked bad, rebooting into the old slot", why, booted)
    slots.reboot()
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antrian update-check", description=__doc__)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help="seconds the new slot's node(s) get to come online")  # fmt: skip
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR)
    parser.add_argument("--run-dir", type=Path, default=RUN_DIR)
    args = parser.parse_args(argv)
    setup_logging("INFO")
    check = Check(state_dir=args.state_dir, run_dir=args.run_dir, timeout=args.timeout)
    return run(check, Rauc())
