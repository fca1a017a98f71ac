"""The CI image's boot test (run by image/boot-test.sh): boot under qemu, drive the serial
console, take tickets over the forwarded MQTT port, kill the hub, take another.

Only the standard library and the host's mosquitto_rr: it runs before any venv exists.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

PROMPT = "ANTRIAN-TEST# "
OFFICE = "kantor"
KIOSK = "kiosk-1"
# ro: the root stays read-only (its fstab says ro too). quiet: the console is a shell.
CMDLINE = "root=LABEL=rootfs ro rootwait console=ttyAMA0 quiet systemd.show_status=0"


class Console:
    """The guest's serial console (root logged in by the CI image's getty drop-in)."""

    def __init__(self, path: Path, log: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(100):
            try:
                self.sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(0.1)
        else:
            raise RuntimeError(f"qemu's console socket {path} never appeared")
        self.sock.settimeout(1.0)
        self.buffer = ""
        self.log = log.open("w", encoding="utf-8", errors="replace")

    def read_until(self, pattern: str, timeout: float) -> str:
        """Everything up to and including the first match of `pattern` (a regex)."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.buffer)
            if match:
                text = self.buffer[: match.end()]
                self.buffer = self.buffer[match.end() :]
                return text
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {pattern!r} on the console within {timeout:.0f} s")
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                raise RuntimeError("the console closed (qemu ended)")
            text = chunk.decode("utf-8", errors="replace")
            self.log.write(text)
            self.log.flush()
            self.buffer += text

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\n")

    def run(self, command: str, timeout: float = 120) -> tuple[int, str]:
        """Run a shell command in the guest: (exit status, output)."""
        marker = f"__rc{time.monotonic_ns()}__"
        self.send(f"{command}; echo {marker}$?")
        text = self.read_until(rf"{marker}(\d+)\r?\n", timeout)
        status = int(re.search(rf"{marker}(\d+)", text).group(1))  # type: ignore[union-attr]
        # The terminal does not echo (stty -echo at login): the text is the output.
        body = text[: text.rfind(marker)]
        self.read_until(re.escape(PROMPT), 30)
        return status, body.replace("\r", "").strip()


def ticket(port: int, password: str, transaction: str) -> dict[str, object]:
    base = f"antrian/{OFFICE}/node/{KIOSK}"
    result = subprocess.run(
        [
            "mosquitto_rr", "-h", "127.0.0.1", "-p", str(port), "-u", KIOSK, "-P", password,
            "-V", "mqttv5", "-q", "1", "-W", "60",
            "-t", f"{base}/request/ticket", "-e", f"{base}/response/ticket",
            "-m", json.dumps({"service": "A", "transaction": transaction}),
        ],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"mosquitto_rr failed ({result.returncode}): {result.stderr.strip()}")
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def value(console: Console, command: str) -> str:
    """The last line of a command's output (console noise may come before it)."""
    _, text = console.run(command)
    lines = text.splitlines()
    return lines[-1].strip() if lines else ""


def wait_active(console: Console, units: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status, text = console.run(f"systemctl is-active {units}")
        if status == 0:
            return
        if time.monotonic() > deadline:
            _, detail = console.run(
                f"systemctl --no-pager status {units} | tail -n 40; journalctl -b --no-pager "
                "-u antrian-firstboot -u mosquitto -u antrian-hub | tail -n 60"
            )
            raise TimeoutError(f"{units} not active after {timeout:.0f} s: {text}\n{detail}")
        time.sleep(3)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", type=Path, required=True)
    parser.add_argument("--kernel", type=Path, required=True)
    parser.add_argument("--initrd", type=Path, required=True)
    parser.add_argument("--credentials", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--boot-timeout", type=float, default=900)
    args = parser.parse_args()
    password = tomllib.loads(args.credentials.read_text())["broker"][KIOSK]
    port = free_port()
    timings: list[tuple[str, float]] = []
    problems: list[str] = []  # checks that fail without stopping the ones after them
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        timings.append((name, now - mark))
        print(f"boot-test: {name}: {now - mark:.1f} s", flush=True)
        mark = now

    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "console"
        qemu = subprocess.Popen(
            [
                "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72",
                "-smp", str(min(4, os.cpu_count() or 1)), "-m", "2048",
                "-kernel", str(args.kernel), "-initrd", str(args.initrd),
                "-append", CMDLINE,
                "-drive", f"file={args.image},format=raw,if=virtio,snapshot=on",
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
            console.read_until(r"root@[^\n]*[#$] ", args.boot_timeout)
            # Split in quotes, so the echo of this line does not look like the prompt.
            half = len(PROMPT) // 2
            console.send(
                f"export PS1='{PROMPT[:half]}''{PROMPT[half:]}' TERM=dumb; stty -echo cols 200"
            )
            console.read_until(re.escape(PROMPT), 60)
            phase("boot to root shell")

            wait_active(console, "antrian-firstboot mosquitto antrian-hub", args.boot_timeout)
            phase("mosquitto and antrian-hub active")
            _, mounts = console.run("findmnt -no OPTIONS /; findmnt -no SOURCE /var/lib/antrian")
            print(f"boot-test: / options and data source: {mounts.split()}", flush=True)
            if not mounts.startswith("ro"):
                raise AssertionError(f"the root is not read-only: {mounts}")
            _, failed = console.run("systemctl --failed --no-legend --plain | cat")
            print(f"boot-test: failed units: {failed or 'none'}", flush=True)
            for line in failed.splitlines():
                unit = line.split()[0]
                _, journal = console.run(f"journalctl -b --no-pager -o cat -n 8 -u {unit}")
                print(f"boot-test: {unit}:\n  " + journal.replace("\n", "\n  "), flush=True)
            _, facts = console.run(
                "hostname; ls /run/antrian; stat -c '%U:%G %a %n' /var/lib/antrian/*; "
                "systemctl is-active NetworkManager avahi-daemon; "
                "journalctl -b --no-pager -o cat -p warning -u NetworkManager | tail -n 5"
            )
            print(
                "boot-test: hostname, /run/antrian, data dirs, network:\n  "
                + facts.replace("\n", "\n  ")
            )

            # The nodes find the hub as antrian-hub.local: firstboot names it antrian-{node}.
            hostname = value(console, "cat /proc/sys/kernel/hostname")
            if hostname != "antrian-hub":
                problems.append(f"the hub's hostname is {hostname!r}, not 'antrian-hub'")
                print(f"boot-test: FAIL: {problems[-1]}", flush=True)

            first = ticket(port, password, "boot-test-1")
            if first.get("status") != "ok":
                raise AssertionError(f"ticket request refused: {first}")
            number = first["data"]["number"]  # type: ignore[index]
            print(f"boot-test: ticket {number}", flush=True)
            phase("first ticket answered")

            before = value(console, "systemctl show -p MainPID --value antrian-hub")
            console.run("systemctl kill -s KILL antrian-hub.service")
            deadline = time.monotonic() + 300
            while True:
                pid = value(console, "systemctl show -p MainPID --value antrian-hub")
                status, _ = console.run("systemctl is-active antrian-hub")
                if status == 0 and pid not in ("0", before):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("antrian-hub did not come back after SIGKILL")
                time.sleep(2)
            restarts = value(console, "systemctl show -p NRestarts --value antrian-hub")
            print(f"boot-test: hub restarted (pid {before} -> {pid}, NRestarts={restarts})")
            phase("hub back after SIGKILL")

            second = ticket(port, password, "boot-test-2")
            if second.get("status") != "ok":
                raise AssertionError(f"ticket request refused after the restart: {second}")
            again = second["data"]["number"]  # type: ignore[index]
            print(f"boot-test: ticket {again}", flush=True)
            if not (isinstance(number, str) and isinstance(again, str)):
                raise AssertionError(f"numbers are not strings: {number!r}, {again!r}")
            if int(again.rsplit("-", 1)[1]) != int(number.rsplit("-", 1)[1]) + 1:
                raise AssertionError(f"expected the number after {number}, got {again}")
            phase("next ticket answered")
            console.send("systemctl poweroff")
            qemu.wait(timeout=180)
            phase("power off")
        finally:
            if qemu.poll() is None:
                qemu.kill()
                qemu.wait()
    summary = ", ".join(f"{n} {s:.0f} s" for n, s in timings)
    if problems:
        print(f"boot-test: FAIL ({'; '.join(problems)})  {summary}")
        return 1
    print(f"boot-test: PASS  {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
