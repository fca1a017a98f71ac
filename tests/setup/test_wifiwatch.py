"""`antrian wifi-watch` end to end: firstboot's profile from a card with [wifi], the
watcher as a process, and nmcli (the OS edge) a script answering from files this test
writes, as NetworkManager would over the minutes after power-up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodes.setup import firstboot
from tests.harness import wait_for

REPO = Path(__file__).resolve().parents[2]
SSID = "Kantor Camat"
FAKE_NMCLI = """#!/bin/sh
# nmcli as antrian wifi-watch calls it, answering from the files in $FAKE_NM.
echo "$FAKE_WHO|$*" >> "$FAKE_NM/calls"
case "$*" in
    "-t -f DEVICE,TYPE device") cat "$FAKE_NM/devices" ;;
    "-t -f GENERAL.STATE,GENERAL.REASON device show wlan0")
        grep -q "^wlan0:" "$FAKE_NM/devices" || { echo "Error: no wlan0" >&2; exit 10; }
        cat "$FAKE_NM/device" ;;
    "-t -f SSID device wifi list ifname wlan0 --rescan no") cat "$FAKE_NM/ssids" ;;
    *) echo "fake nmcli: unexpected arguments: $*" >&2; exit 2 ;;
esac
"""


class Network:
    """What NetworkManager shows: written whole, so nmcli never reads half a file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()
        self.put("devices", "eth0:ethernet\nwlan0:wifi\n")
        self.set(30, 0, visible=False)

    def put(self, name: str, text: str) -> None:
        fresh = self.folder / f".{name}"
        fresh.write_text(text)
        fresh.replace(self.folder / name)

    def set(self, state: int, reason: int, visible: bool) -> None:
        self.put("ssids", f"Warung\\:Kopi\n{SSID}\n" if visible else "Warung\\:Kopi\n")
        self.put("device", f"GENERAL.STATE:{state} (x)\nGENERAL.REASON:{reason} (y)\n")

    def calls(self, who: str = "pi") -> list[str]:
        """The nmcli calls of the watcher of the Pi in folder `who`."""
        calls = self.folder / "calls"
        lines = calls.read_text().splitlines() if calls.exists() else []
        return [line.split("|", 1)[1] for line in lines if line.startswith(f"{who}|")]

    def looks(self, who: str = "pi") -> int:
        return sum("device show wlan0" in call for call in self.calls(who))

    def seen(self, looks: int = 2) -> None:
        """Wait until the watcher has looked `looks` more times: it saw what was set."""
        target = self.looks() + looks
        wait_for(lambda: self.looks() >= target, timeout=20)  # the Pi under test


def make_pi(root: Path) -> Path:
    """A Pi's root: the boot partition's folder and the activity LED."""
    (root / "boot/firmware").mkdir(parents=True)
    led = root / "sys/class/leds/ACT"
    led.mkdir(parents=True)
    (led / "trigger").write_text("none [mmc0] timer heartbeat")
    return root


@pytest.fixture
def pi(tmp_path: Path, cards: Path) -> Path:
    return make_pi(tmp_path / "pi")


def insert_card(root: Path, cards: Path, node: str, wifi: str) -> None:
    card = root / "boot/firmware/antrian.toml"
    shutil.copy(cards / node / "antrian.toml", card)
    card.write_text(card.read_text() + wifi)
    assert firstboot.main(["--root", str(root)]) == 0


@pytest.fixture
def network(tmp_path: Path) -> Network:
    return Network(tmp_path / "nm")


@pytest.fixture
def start(tmp_path: Path, network: Network) -> Iterator[object]:
    processes: list[subprocess.Popen[str]] = []
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nmcli").write_text(FAKE_NMCLI)
    (bin_dir / "nmcli").chmod(0o755)

    def run(
        root: Path, not_found_after: float = 600, connected_interval: float = 0.05
    ) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "FAKE_NM": str(network.folder),
            "FAKE_WHO": root.name,
            "PYTHONPATH": str(REPO),
        }
        with watcher_log(root).open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "nodes.cli", "wifi-watch", "--root", str(root),
                 "--interval", "0.05", "--connected-interval", str(connected_interval),
                 "--not-found-after", str(not_found_after)],
                env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        processes.append(process)
        return process

    yield run
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def watcher_log(root: Path) -> Path:
    """What the watcher of the Pi at `root` printed (its log lines)."""
    return root.parent / f"{root.name}-wifi-watch.log"


def printed(root: Path) -> str:
    return watcher_log(root).read_text()


def issue(root: Path) -> str:
    path = root / "run/issue.d/antrian-wifi.issue"
    return path.read_text() if path.exists() else ""


def led(root: Path, name: str) -> str:
    return (root / "sys/class/leds/ACT" / name).read_text()


WIFI = f'\n[wifi]\nssid = "{SSID}"\npassword = "sandi-yang-salah"\n'


def test_a_wrong_password_is_shown_and_cleared_when_it_connects(
    pi: Path, cards: Path, network: Network, start: object
) -> None:
    insert_card(pi, cards, "kiosk-1", WIFI)
    process = start(pi)  # type: ignore[operator]
    network.set(50, 0, visible=True)  # the supplicant's handshake...
    network.seen()
    network.set(30, 0, visible=True)  # ... fell back: the key was refused
    wait_for(lambda: "salah" in issue(pi), timeout=20)
    assert f'Kata sandi Wi-Fi untuk jaringan "{SSID}" salah' in issue(pi)
    screen = (pi / "dev/tty1").read_text()
    assert f'The Wi-Fi password for "{SSID}" is wrong' in screen
    assert screen.startswith("\033[2J\033[H")
    # the slow blink: not the boot file's fast one
    assert (led(pi, "trigger"), led(pi, "delay_on"), led(pi, "delay_off")) == (
        "timer", "1000", "1000",
    )  # fmt: skip
    network.set(40, 0, visible=True)  # NetworkManager tries again: still the same fault
    network.seen(5)
    # The access point's password is changed to the card's: it connects.
    network.set(100, 0, visible=True)
    wait_for(lambda: "connected" in printed(pi), timeout=20)  # logged once it is handled
    assert not (pi / "run/issue.d/antrian-wifi.issue").exists()
    assert led(pi, "trigger") == "mmc0"
    assert "Wi-Fi connected" in (pi / "dev/tty1").read_text()
    process.terminate()
    process.wait(timeout=10)
    output = printed(pi)
    # one line per change of verdict, however many looks
    assert output.count("wrong password") == 1, output
    assert output.count("connected") == 1, output
    assert network.looks() >= 7  # many looks, two lines


def test_a_network_out_of_range_is_not_found_until_it_comes_back(
    pi: Path, cards: Path, network: Network, start: object
) -> None:
    insert_card(pi, cards, "loket-1", WIFI)
    start(pi, not_found_after=0.5)  # type: ignore[operator]
    wait_for(lambda: "tidak ditemukan" in issue(pi), timeout=20)
    assert f'The Wi-Fi network "{SSID}" was not found' in (pi / "dev/tty1").read_text()
    assert led(pi, "trigger") == "timer"
    network.set(100, 0, visible=True)  # the access point is switched on later
    wait_for(lambda: not (pi / "run/issue.d/antrian-wifi.issue").exists(), timeout=20)
    assert led(pi, "trigger") == "mmc0"


def test_once_connected_each_look_is_one_nmcli_and_an_unplugged_dongle_is_noticed(
    pi: Path, cards: Path, network: Network, start: object
) -> None:
    """Every nmcli is a process start on a Pi, for as long as it runs: once connected the
    watcher asks for the device's state alone (no device list, no scan list); a Wi-Fi
    dongle pulled out is still seen (the device is looked up again)."""
    insert_card(pi, cards, "display-1", WIFI)
    network.set(100, 0, visible=True)
    start(pi, not_found_after=0.5)  # type: ignore[operator]
    network.seen(5)
    connected = network.calls()
    assert connected.count("-t -f DEVICE,TYPE device") == 1, connected
    assert not any("wifi list" in call for call in connected), connected
    # The dongle is pulled out: no Wi-Fi device at all, so no network in range.
    network.put("devices", "eth0:ethernet\n")
    wait_for(lambda: "tidak ditemukan" in issue(pi), timeout=20)
    assert led(pi, "trigger") == "timer"
    # Plugged in again, it joins: the fault goes.
    network.put("devices", "eth0:ethernet\nwlan0:wifi\n")
    wait_for(lambda: not (pi / "run/issue.d/antrian-wifi.issue").exists(), timeout=20)
    assert led(pi, "trigger") == "mmc0"


def test_while_connected_it_looks_less_often(
    pi: Path, cards: Path, network: Network, start: object
) -> None:
    insert_card(pi, cards, "display-1", WIFI)
    network.set(40, 0, visible=True)  # joining
    start(pi, connected_interval=3600)  # type: ignore[operator]
    network.seen(3)  # every 0.05 s while not connected
    network.set(100, 0, visible=True)
    wait_for(lambda: "connected" in printed(pi), timeout=20)  # the next look: in an hour
    seen = network.looks()
    # Proof that time passed for the watcher: a second one, looking every 0.05 s at the
    # same NetworkManager, looks twenty times meanwhile.
    other = make_pi(pi.parent / "other")
    insert_card(other, cards, "display-1", WIFI)
    start(other)  # type: ignore[operator]
    wait_for(lambda: network.looks("other") >= 20, timeout=20)
    assert network.looks() == seen
    assert issue(pi) == "" and led(pi, "trigger") == "none [mmc0] timer heartbeat"


def test_a_wifi_connecting_leaves_the_boot_files_fault_standing(
    pi: Path, cards: Path, network: Network, start: object
) -> None:
    """The Wi-Fi's note has its own file: firstboot, run again on a broken boot file while
    the watcher runs, keeps its note, its fast blink and the console when the Wi-Fi joins."""
    insert_card(pi, cards, "kiosk-1", WIFI)
    network.set(50, 0, visible=True)
    start(pi)  # type: ignore[operator]
    network.seen()
    network.set(30, 0, visible=True)  # the key was refused
    wait_for(lambda: "salah" in issue(pi), timeout=20)
    # The technician edits the boot file and breaks it; firstboot is run again.
    card = pi / "boot/firmware/antrian.toml"
    card.write_text(card.read_text().replace("[office]", "[ofice]"))
    assert firstboot.main(["--root", str(pi)]) == 1
    boot_fault = (pi / "run/issue.d/antrian.issue").read_text()
    assert "not set up" in boot_fault
    assert (led(pi, "delay_on"), led(pi, "delay_off")) == ("200", "200")
    network.set(100, 0, visible=True)  # the Wi-Fi joins meanwhile
    wait_for(lambda: "connected" in printed(pi), timeout=20)  # logged once it is handled
    assert issue(pi) == ""
    assert (pi / "run/issue.d/antrian.issue").read_text() == boot_fault
    assert led(pi, "trigger") == "timer"
    assert (led(pi, "delay_on"), led(pi, "delay_off")) == ("200", "200")
    assert (pi / "dev/tty1").read_text().endswith(boot_fault)


def test_a_wired_node_is_left_alone(pi: Path, cards: Path, network: Network, start: object) -> None:
    insert_card(pi, cards, "kiosk-1", "")
    process = start(pi, not_found_after=0)  # type: ignore[operator]
    process.wait(timeout=30)
    output = printed(pi)
    assert process.returncode == 0
    assert "no Wi-Fi in the boot file" in output
    assert network.looks() == 0
    assert not (pi / "dev/tty1").exists() and not issue(pi)
    assert led(pi, "trigger") == "none [mmc0] timer heartbeat"
