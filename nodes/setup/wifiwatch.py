"""`antrian wifi-watch`: tell the technician when the boot file's Wi-Fi does not connect.

Run by antrian-wifi-watch.service on a node whose boot file has [wifi] (firstboot wrote
the NetworkManager profile). Every few seconds, and every half minute once connected, it
asks NetworkManager (nmcli, the OS edge) how the Wi-Fi device is doing and, while not
connected, whether the network is in range; `nodes.setup.wifi` decides. A wrong password
or a network not found is shown as firstboot shows an invalid boot file (HDMI console,
login prompt, activity LED, but blinking slowly); a connection takes it down again, also
when the access point comes back later. One log line per change.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import subprocess
import time
from pathlib import Path

from common.log import setup_logging
from nodes.setup import wifi
from nodes.setup.firstboot import Paths, clear_fault, led_trigger, show_fault

log = logging.getLogger("antrian.wifi-watch")

PROFILE = "antrian-wifi.nmconnection"
#: Slow blink (ms on, ms off): a Wi-Fi fault, not the boot file's fast one.
WIFI_BLINK = (1000, 1000)


def nmcli(*args: str) -> list[str] | None:
    """nmcli's terse lines, unescaped; None if it failed (NetworkManager not up yet)."""
    try:
        result = subprocess.run(
            ["nmcli", "-t", *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode:
        return None
    return [line for line in result.stdout.splitlines() if line]


def unescape(field: str) -> str:
    return re.sub(r"\\(.)", r"\1", field)


def wifi_device() -> str | None:
    lines = nmcli("-f", "DEVICE,TYPE", "device") or []
    names = [line.rsplit(":", 1)[0] for line in lines if line.endswith(":wifi")]
    return sorted(names)[0] if names else None


class Eyes:
    """Looks at the Wi-Fi through nmcli, as seldom as it can: each call is a process start
    and a D-Bus round trip on a Pi's small CPU, for as long as the Pi runs. The device is
    found once, and again only when it is gone (a USB dongle pulled out); the scan list is
    read only while not connected."""

    def __init__(self, ssid: str) -> None:
        self.ssid = ssid
        self.device: str | None = None

    def look(self) -> wifi.Sample | None:
        """The Wi-Fi device as NetworkManager sees it; no device is a network not in
        range; None if nmcli could not answer."""
        device = self.device
        fields = state_fields(device) if device is not None else None
        if device is None or fields is None:  # not known yet, or gone: look it up
            device = self.device = wifi_device()
            if device is None:
                return wifi.Sample(state=0, reason=0, visible=False)
            fields = state_fields(device)
            if fields is None:
                return None
        values = dict(line.split(":", 1) for line in fields if ":" in line)
        state = wifi.field_code(values.get("GENERAL.STATE", ""))
        reason = wifi.field_code(values.get("GENERAL.REASON", ""))
        if state == wifi.ACTIVATED:
            return wifi.Sample(state=state, reason=reason, visible=True)  # joined: in range
        seen = nmcli("-f", "SSID", "device", "wifi", "list", "ifname", device, "--rescan", "no")
        if seen is None:
            return None
        visible = self.ssid in {unescape(line) for line in seen}
        return wifi.Sample(state=state, reason=reason, visible=visible)


def state_fields(device: str) -> list[str] | None:
    return nmcli("-f", "GENERAL.STATE,GENERAL.REASON", "device", "show", device)


def profile_ssid(paths: Paths) -> str | None:
    """The network firstboot configured (its keyfile), None without [wifi]."""
    try:
        text = (paths.network / PROFILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    found = re.search(r"^ssid=(.*)$", text, re.MULTILINE)
    return found.group(1) if found else None


def screen(problem: str) -> str:
    return f"\n=== ANTRIAN: Wi-Fi ===\n\n{problem}\n\n"


def watch(
    paths: Paths, ssid: str, interval: float, connected_interval: float, not_found_after: float
) -> None:
    """Look every `interval` seconds, and every `connected_interval` once connected."""
    eyes = Eyes(ssid)
    memory = wifi.start(time.monotonic())
    trigger = led_trigger(paths)
    shown = wifi.Verdict.CONNECTING
    log.info("watching the Wi-Fi network %r", ssid)
    while True:
        sample = eyes.look()
        if sample is not None:
            memory, verdict = wifi.step(memory, sample, time.monotonic(), not_found_after)
            if verdict is not shown:
                report(paths, ssid, shown, verdict, trigger)
                shown = verdict
        time.sleep(connected_interval if shown is wifi.Verdict.CONNECTED else interval)


def report(
    paths: Paths, ssid: str, old: wifi.Verdict, new: wifi.Verdict, trigger: str | None
) -> None:
    problem = wifi.problem(new, ssid)
    if problem is not None:
        log.warning("Wi-Fi %r: %s; shown on the console and the LED", ssid, new.value)
        show_fault(paths, screen(problem), WIFI_BLINK, issue=paths.wifi_issue)
        return
    if wifi.problem(old, ssid) is not None:
        note = (
            f'Wi-Fi "{ssid}" tersambung. / Wi-Fi connected.'
            if new is wifi.Verdict.CONNECTED
            else ""
        )
        clear_fault(paths, trigger, note, issue=paths.wifi_issue)
    log.info("Wi-Fi %r: %s", ssid, new.value)  # after the fault is down: the log tells it all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antrian wifi-watch",
        description="Show on the console and the LED when the boot file's Wi-Fi fails.",
    )
    parser.add_argument("--root", type=Path, default=Path("/"), help="a folder to act on")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between looks")
    parser.add_argument(
        "--connected-interval",
        type=float,
        default=30.0,
        help="seconds between looks while connected (losing the network is seen this late)",
    )
    parser.add_argument(
        "--not-found-after",
        type=float,
        default=wifi.NOT_FOUND_AFTER_S,
        help="seconds out of range before the network counts as not found",
    )
    args = parser.parse_args(argv)
    setup_logging("INFO")
    paths = Paths.under(args.root)
    ssid = profile_ssid(paths)
    if ssid is None:
        log.info("no Wi-Fi in the boot file: nothing to watch")
        return 0
    if shutil.which("nmcli") is None:
        log.error("nmcli is not installed: cannot watch the Wi-Fi")
        return 1
    watch(paths, ssid, args.interval, args.connected_interval, args.not_found_after)
    return 0
