"""The A/B update test (run by image/update-test.sh): boot the A/B CI image under qemu with
UEFI and GRUB, then over the serial console install three RAUC bundles from a second disk
(the "USB stick") and watch what the Pi does by itself:

1. a bundle signed by a key outside the keyring is refused;
2. a bundle whose hub unit fails is booted once (slot B), marked bad by
   antrian-update-check, and the Pi boots slot A again with no command from the test;
3. the good bundle comes the way an office sends it: `antrian update-office` on the hub
   serves it over HTTP and commands the hub's own update agent, which downloads it into
   /var/lib/antrian/rauc/download/, has RAUC install that file, deletes it and reboots;
   slot B is booted, marked good, the hub reports the new version in its retained status
   and its agent finishes the rollout (`state/update` `done`). The host follows the
   reports over the forwarded MQTT port as the hub's account.

Only the standard library and the host's mosquitto clients, like image/boot_test.py, whose
console driver it uses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boot_test import KIOSK, OFFICE, PROMPT, Console, free_port, ticket, value, wait_active

AUTOLOGIN = r"root@[^\n]*[#$] "
#: The unit's --timeout (systemd/system/antrian-update-check.service) plus slack.
CHECK_WAIT_S = 400.0


def login(console: Console, timeout: float) -> None:
    """Wait for the autologin shell of the next boot and make it scriptable."""
    console.read_until(AUTOLOGIN, timeout)
    half = len(PROMPT) // 2
    console.send(f"export PS1='{PROMPT[:half]}''{PROMPT[half:]}' TERM=dumb; stty -echo cols 200")
    console.read_until(re.escape(PROMPT), 60)


def booted_slot(console: Console) -> str:
    cmdline = value(console, "cat /proc/cmdline")
    match = re.search(r"rauc\.slot=(\w+)", cmdline)
    return match.group(1) if match else f"? ({cmdline})"


def wait_check_done(console: Console, timeout: float) -> str:
    """antrian-update-check's result once it has run on this boot (a oneshot: inactive
    again, with a start time)."""
    deadline = time.monotonic() + timeout
    while True:
        unit = "antrian-update-check"
        started = value(
            console, f"systemctl show -p ExecMainStartTimestampMonotonic --value {unit}"
        )
        active = value(console, f"systemctl is-active {unit} || true")
        result = value(console, f"systemctl show -p Result --value {unit}")
        state = f"{active} {result}"
        if started not in ("", "0") and active in ("inactive", "failed"):
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"antrian-update-check still {state} after {timeout:.0f} s")
        time.sleep(3)


def rauc_slots(console: Console) -> tuple[str, dict[str, str]]:
    """(booted slot, {bootname: boot_status}) from `rauc status`'s JSON."""
    status = json.loads(value(console, "rauc status --output-format=json 2>/dev/null"))
    slots = {}
    for entry in status["slots"]:
        for slot in entry.values():
            slots[slot["bootname"]] = slot.get("boot_status", "?")
    return status["booted"], slots


def install(console: Console, bundle: str) -> tuple[int, str]:
    """`rauc install` in the guest: (its exit status, the last lines it printed)."""
    return console.run(f"rauc install {bundle} 2>&1 | tail -n 5; (exit ${{PIPESTATUS[0]}})", 1800)


def hub_status(port: int, password: str, want_version: str, timeout: float) -> dict[str, object]:
    """The hub's retained status once it is online with `want_version` (read as kiosk-1)."""
    deadline = time.monotonic() + timeout
    last: dict[str, object] = {}
    while time.monotonic() < deadline:
        result = subprocess.run(
            [
                "mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-u", KIOSK, "-P", password,
                "-t", f"antrian/{OFFICE}/node/hub/status", "-C", "1", "-W", "10",
            ],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        if result.returncode == 0 and result.stdout.strip():
            last = json.loads(result.stdout)
            if last.get("online") is True and last.get("version") == want_version:
                return last
        time.sleep(2)
    raise TimeoutError(f"the hub never reported version {want_version} online: last {last}")


#: Where the update agent downloads a bundle before RAUC installs it (nodes/update/agent.py).
DOWNLOAD = "/var/lib/antrian/rauc/download/bundle.raucb"
Match = Callable[[str, dict[str, Any]], bool]


class Watch:
    """The hub's retained update reports (`node/hub/update`, `state/update`) as the host
    sees them through the forwarded port, in order (read as the hub; mosquitto_sub again
    whenever a reboot of the guest cut it)."""

    TOPICS = (f"antrian/{OFFICE}/node/hub/update", f"antrian/{OFFICE}/state/update")

    def __init__(self, port: int, user: str, password: str) -> None:
        self.command = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-u", user,
                        "-P", password, "-v"]  # fmt: skip
        for topic in self.TOPICS:
            self.command += ["-t", topic]
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.cond = threading.Condition()
        self.stopped = threading.Event()
        self.proc: subprocess.Popen[str] | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            with self.cond:
                if self.stopped.is_set():
                    return
                self.proc = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL, text=True)  # fmt: skip
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                topic, _, payload = line.strip().partition(" ")
                try:
                    data = json.loads(payload)
                except ValueError:
                    continue
                if isinstance(data, dict):
                    with self.cond:
                        self.seen.append((topic, data))
                        self.cond.notify_all()
            self.proc.wait()
            self.stopped.wait(2)

    def find(self, match: Match) -> dict[str, Any] | None:
        with self.cond:
            return next((p for t, p in self.seen if match(t, p)), None)

    def wait(self, match: Match, timeout: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = next((p for t, p in self.seen if match(t, p)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{what}: not seen in {timeout:.0f} s: {self.seen[-4:]}")
                self.cond.wait(left)

    def stop(self) -> None:
        with self.cond:
            self.stopped.set()
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()
        self.thread.join(30)


def office_update(
    console: Console,
    watch: Watch,
    version: str,
    size: int,
    phase: Callable[[str], None],
    check: Callable[[bool, str], None],
    show: Callable[[str, str], None],
) -> str:
    """`antrian update-office` on the hub for the hub alone, followed until the hub's
    update agent reboots: the bundle downloaded, RAUC installing that file, the file
    deleted. Returns the rollout's id."""
    # In the background (a subshell: Console.run appends "; echo ..."), its output on the
    # data partition, where it is read after the reboot.
    console.run(
        "(PYTHONUNBUFFERED=1 nohup /opt/antrian/venv/bin/antrian update-office"
        " --config /run/antrian/hub.toml --bundle /mnt/good.raucb"
        f" --version {version} --nodes hub --url-host 127.0.0.1"
        " > /var/lib/antrian/update-office.log 2>&1 &)"
    )
    commanded = watch.wait(
        lambda t, p: t.endswith("/node/hub/update") and p.get("state") == "installing",
        180, "the hub's agent installing",
    )  # fmt: skip
    rollout = str(commanded["rollout"])
    show("node/hub/update", json.dumps(commanded))
    phase("update-office started, the hub's agent commanded")

    def ours(state: str) -> Match:
        return lambda t, p: (t.endswith("/node/hub/update") and p.get("rollout") == rollout
                             and p.get("state") == state)  # fmt: skip

    downloaded = rauc_seen = False
    deadline = time.monotonic() + 1800
    while True:
        failed = watch.find(ours("failed"))
        check(failed is None, f"the hub's agent failed: {failed}")
        check(time.monotonic() < deadline, "the download and install took over 30 min")
        try:
            _, text = console.run(
                f"stat -c 'file %a %s' {DOWNLOAD} 2>/dev/null || echo 'file none';"
                # (no procps on the image: the command lines from /proc)
                " cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '", 60,
            )  # fmt: skip
        except TimeoutError:
            # The reboot took the shell during a poll: it must have been after the install.
            check(downloaded and watch.find(ours("rebooting")) is not None,
                  "the console stopped answering during the update")  # fmt: skip
            break
        rauc_seen |= f"rauc install {DOWNLOAD}" in text
        stat = re.search(r"^file (\d+) (\d+)$", text, re.M)
        if stat and int(stat.group(2)) == size and not downloaded:
            downloaded = True
            check(stat.group(1) == "600", f"the download's mode is {stat.group(1)}, not 600")
            phase(f"bundle downloaded into {DOWNLOAD} ({size / 1e6:.0f} MB, mode 0600)")
        if stat is None and downloaded:
            check(rauc_seen, f"no `rauc install {DOWNLOAD}` seen while it was on disk")
            phase("installed by RAUC from the download, the download deleted")
            break
        time.sleep(2)
    watch.wait(ours("rebooting"), 120, "the hub's agent rebooting")
    return rollout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", type=Path, required=True)
    parser.add_argument("--firmware", type=Path, required=True)
    parser.add_argument("--stick", type=Path, required=True)
    parser.add_argument("--credentials", type=Path, required=True)
    parser.add_argument("--version", required=True, help="the version good.raucb carries")
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--boot-timeout", type=float, default=900)
    args = parser.parse_args()
    accounts = tomllib.loads(args.credentials.read_text())["broker"]
    password, hub_password = accounts[KIOSK], accounts["hub"]
    port = free_port()
    timings: list[tuple[str, float]] = []
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        timings.append((name, now - mark))
        print(f"update-test: {name}: {now - mark:.1f} s", flush=True)
        mark = now

    def show(title: str, text: str) -> None:
        print(f"update-test: {title}:\n  " + text.replace("\n", "\n  "), flush=True)

    def check(condition: bool, problem: str) -> None:
        if not condition:
            raise AssertionError(problem)

    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "console"
        qemu = subprocess.Popen(
            [
                "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72",
                "-smp", str(min(4, os.cpu_count() or 1)), "-m", "2048",
                "-bios", str(args.firmware),
                "-drive", f"file={args.image},format=raw,if=virtio,snapshot=on",
                "-drive", f"file={args.stick},format=raw,if=virtio,readonly=on",
                "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{port}-:1883",
                "-device", "virtio-net-pci,netdev=net0",
                "-device", "virtio-rng-pci",
                "-chardev", f"socket,id=con0,path={sock},server=on,wait=off",
                "-serial", "chardev:con0", "-display", "none", "-monitor", "none",
            ],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            console = Console(sock, args.log)
            login(console, args.boot_timeout)
            phase("UEFI + GRUB boot to root shell (slot A)")
            check(booted_slot(console) == "A", "the fresh image did not boot slot A")
            wait_active(console, "antrian-firstboot mosquitto antrian-hub", args.boot_timeout)
            state = wait_check_done(console, CHECK_WAIT_S)
            check(state.endswith("success"), f"update-check on the fresh image: {state}")
            _, status = console.run("rauc status --detailed 2>&1 | head -n 40")
            show("rauc status", status)
            phase("hub active, slot A marked good")

            rc, text = console.run("mount -o ro LABEL=bundles /mnt && ls -l /mnt")
            check(rc == 0, f"the stick does not mount: {text}")
            rc, text = install(console, "/mnt/forged.raucb")
            show(f"forged bundle: rauc install exit {rc}", text)
            check(rc != 0, "a bundle signed outside the keyring was installed")
            check(value(console, "cat /var/lib/antrian/rauc/trial 2>/dev/null || echo none")
                  == "none", "the refused bundle left a slot on trial")  # fmt: skip
            phase("forged bundle refused")

            rc, text = install(console, "/mnt/broken.raucb")
            show(f"broken bundle: rauc install exit {rc}", text)
            check(rc == 0, "the broken (but signed) bundle did not install")
            trial = value(console, "cat /var/lib/antrian/rauc/trial")
            check(trial == "B", f"the installed slot is not on trial: {trial!r}")
            phase("broken bundle installed into slot B")
            console.send("systemctl reboot")
            login(console, args.boot_timeout)
            slot = booted_slot(console)
            check(slot == "B", f"after installing the broken bundle the Pi booted {slot}")
            phase("rebooted into slot B (on trial)")
            # No command from here on: the check must mark B bad and reboot into A.
            login(console, args.boot_timeout + CHECK_WAIT_S)
            phase("slot B rejected, Pi rebooted by itself")
            slot = booted_slot(console)
            check(slot == "A", f"after the failed trial the Pi booted {slot}, not A")
            wait_active(console, "mosquitto antrian-hub", args.boot_timeout)
            outcome = value(console, "cat /var/lib/antrian/rauc/last-update.json")
            show("last-update.json", outcome)
            check(json.loads(outcome)["result"] == "rolled_back", "no rollback recorded")
            _, status = console.run("rauc status --detailed 2>&1 | head -n 40")
            show("rauc status", status)
            booted, slots = rauc_slots(console)
            check(booted == "A" and slots.get("B") == "bad", f"RAUC: {booted} {slots}")
            answer = ticket(port, password, "update-test-1")
            check(answer.get("status") == "ok", f"no ticket after the rollback: {answer}")
            phase("slot A running again, ticket answered")

            # The good bundle as an office gets it: `antrian update-office` on the hub
            # serves it (from the stick, as docs/operations.md says when the data partition
            # is short of room) and commands the hub's own update agent, which downloads it,
            # has RAUC install the download and reboots; no command from the test after that.
            # At once after the boot, as a technician would: the hub's update agent may
            # still be starting, and update-office sends its command again until answered.
            console.run("mount -o ro LABEL=bundles /mnt")
            size = int(value(console, "stat -c %s /mnt/good.raucb"))
            watch = Watch(port, "hub", hub_password)
            try:
                rollout = office_update(console, watch, args.version, size, phase, check, show)
                login(console, args.boot_timeout)
                phase("rebooted into the new slot by itself")
                slot = booted_slot(console)
                check(slot == "B", f"after the downloaded update the Pi booted {slot}")
                state = wait_check_done(console, CHECK_WAIT_S)
                outcome = value(console, "cat /var/lib/antrian/rauc/last-update.json")
                show(f"update-check {state}; last-update.json", outcome)
                check(json.loads(outcome)["result"] == "good", "the good update was not kept")
                phase("slot B marked good by the health check")
                status_payload = hub_status(port, password, args.version, 300)
                show("hub status", json.dumps(status_payload))
                final = watch.wait(
                    lambda t, p: t.endswith("/state/update") and p.get("rollout") == rollout
                    and p.get("state") != "running", 300, "the rollout's last state/update",
                )  # fmt: skip
                show("state/update", json.dumps(final))
                check(final.get("state") == "done", f"the rollout ended {final.get('state')}")
                check(final.get("nodes") == [{"node": "hub", "state": "updated", "detail": None}],
                      f"the rollout's nodes: {final.get('nodes')}")  # fmt: skip
                report = watch.wait(
                    lambda t, p: t.endswith("/node/hub/update") and p.get("rollout") == rollout
                    and p.get("state") == "idle", 60, "the hub agent's report after the reboot",
                )  # fmt: skip
                show("node/hub/update", json.dumps(report))
                check(report.get("version") == args.version and report.get("slot") == "B",
                      f"the hub's agent reports {report}")  # fmt: skip
                phase("rollout done: finished by the hub's agent after its reboot")
            finally:
                watch.stop()
            _, text = console.run("cat /var/lib/antrian/update-office.log")
            show("antrian update-office (before the reboot)", text)
            sent = text.count(": node hub, bundle ")  # one line per command sent
            show("update commands sent to the hub's agent", str(sent))
            check(sent >= 1, "update-office's log shows no command sent")
            left = value(console, "ls -A /var/lib/antrian/rauc/download | wc -l")
            check(left == "0", f"{left} file(s) left in /var/lib/antrian/rauc/download")
            _, status = console.run("rauc status --detailed 2>&1 | head -n 40")
            show("rauc status", status)
            booted, slots = rauc_slots(console)
            check(booted == "B" and slots.get("B") == "good", f"RAUC: {booted} {slots}")
            answer = ticket(port, password, "update-test-2")
            check(answer.get("status") == "ok", f"no ticket after the update: {answer}")
            phase("new version reported, ticket answered")
            console.send("systemctl poweroff")
            qemu.wait(timeout=300)
        finally:
            if qemu.poll() is None:
                qemu.kill()
                qemu.wait()
    summary = ", ".join(f"{n} {s:.0f} s" for n, s in timings)
    print(f"update-test: PASS  {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
