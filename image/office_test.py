"""The virtual Pi office (run by image/office-test.sh): the CI image booted in qemu once per
role, each VM's boot partition holding that role's `antrian provision` file, the hardware
reached through the guest kernel's own interfaces.

The hub runs in its own VM for the whole test; the kiosk, the counter and the display then
boot in turn beside it (two TCG VMs at a time is what two cores hold). The VMs share an
Ethernet segment (qemu's socket netdev: the hub listens, the node connects) on which the
node finds the hub as `antrian-hub.local` over mDNS. The host watches the hub's broker
through a port forwarded on the hub's second NIC (qemu user networking).

Only the standard library and the host's mosquitto clients: like boot_test.py.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boot_test import CMDLINE, PROMPT, Console, free_port

OFFICE = "kantor"
BASE = f"antrian/{OFFICE}"
LAN = "192.168.77"
CPU = "cortex-a72"
MEMORY = "1024"  # MiB
#: The kiosk's wiring on qemu's PL061 (/dev/gpiochip0, 8 lines). Line 3 is the one line
#: qemu can drive from outside: its "power button" (the monitor's system_powerdown pulses
#: it high for 100 ms), so service A's button is there and the buttons pull down.
KIOSK_WIRING = """
[input]
type = "gpio"
chip = 0
pull = "down"

[input.buttons.A]
pin = 3
led = 4

[input.buttons.B]
pin = 5
led = 6

[input.priority]
pin = 1
led = 2

[printer]
type = "serial"
device = "/dev/ttyUSB0"
baudrate = 19200
read_status = false
"""
LAMPS = {"A": 4, "B": 6, "priority": 2}
#: The counter's HD44780 has no I2C bus in the VM (no i2c-stub in Debian's kernel).
COUNTER_WIRING = """
[indicator]
type = "terminal"
"""
#: A USB numpad for the counter, made in the guest with uinput: it reads key names, one
#: per line, from a FIFO and types them.
NUMPAD = r"""
import os, sys, evdev
from evdev import ecodes as e
keys = [e.ecodes[f"KEY_KP{k}"] for k in "0123456789"] + [e.KEY_KPENTER, e.KEY_KPMINUS,
    e.KEY_KPPLUS, e.KEY_KPASTERISK, e.KEY_KPSLASH, e.KEY_KPDOT, e.KEY_NUMLOCK, e.KEY_BACKSPACE]
pad = evdev.UInput({e.EV_KEY: keys}, name="virtual numpad", vendor=0x1234, product=0x5678)
print("numpad", pad.device.path, flush=True)
while True:
    with open(sys.argv[1]) as fifo:
        for line in fifo:
            code = e.ecodes[line.strip()]
            pad.write(e.EV_KEY, code, 1); pad.syn(); pad.write(e.EV_KEY, code, 0); pad.syn()
"""
#: The touch kiosk's card: the provisioned file up to its `[input]` (GPIO buttons), then
#: what a technician writes for a touch panel and a serial printer.
TOUCH_WIRING = """
[input]
type = "touch"

[screen]
type = "fullscreen"

[printer]
type = "serial"
device = "/dev/ttyUSB0"
baudrate = 19200
read_status = false
"""
#: A multitouch touchscreen (type B protocol, as the Pi's 7" panel's driver reports), made
#: in the guest with uinput at the screen's size: `tap X Y` lines on a FIFO are one finger
#: down and, 100 ms later, up.
TOUCHSCREEN = r"""
import sys, time, evdev
from evdev import AbsInfo, ecodes as e
width, height = int(sys.argv[2]), int(sys.argv[3])
x_info = AbsInfo(0, 0, width - 1, 0, 0, 0)
y_info = AbsInfo(0, 0, height - 1, 0, 0, 0)
panel = evdev.UInput(
    {e.EV_KEY: [e.BTN_TOUCH], e.EV_ABS: [
        (e.ABS_X, x_info), (e.ABS_Y, y_info), (e.ABS_MT_SLOT, AbsInfo(0, 0, 9, 0, 0, 0)),
        (e.ABS_MT_TRACKING_ID, AbsInfo(0, 0, 65535, 0, 0, 0)),
        (e.ABS_MT_POSITION_X, x_info), (e.ABS_MT_POSITION_Y, y_info)]},
    name="virtual touchscreen", vendor=0x1234, product=0x5679, input_props=[e.INPUT_PROP_DIRECT],
)
print("touchscreen", panel.device.path, flush=True)
finger = 0
while True:
    with open(sys.argv[1]) as fifo:
        for line in fifo:
            _, x, y = line.split()
            finger += 1
            for code, value in ((e.ABS_MT_SLOT, 0), (e.ABS_MT_TRACKING_ID, finger),
                                (e.ABS_MT_POSITION_X, int(x)), (e.ABS_MT_POSITION_Y, int(y)),
                                (e.ABS_X, int(x)), (e.ABS_Y, int(y))):
                panel.write(e.EV_ABS, code, value)
            panel.write(e.EV_KEY, e.BTN_TOUCH, 1); panel.syn()
            time.sleep(0.1)
            panel.write(e.EV_ABS, e.ABS_MT_TRACKING_ID, -1)
            panel.write(e.EV_KEY, e.BTN_TOUCH, 0); panel.syn()
            print("tapped", x, y, flush=True)
"""
#: Where the service tiles are, from the kiosk's own pure layout code on the host (the
#: repository's .venv) for the same services and screen size: {service: [x, y, w, h]}.
TILE_PROBE = """
import json, sys
import pygame
from common.legibility import capital_height, min_letter_px
from nodes.kiosk.layout import Geometry, ServiceChoice
from nodes.kiosk.tiles import services_screen
from nodes.kiosk.touch import open_font
width, height, services = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
pygame.font.init()
def measure(text, size):
    font = open_font(size)
    return font.size(text)[0], capital_height(font)
cap = capital_height(open_font(100)) / 100  # the touch kiosk's defaults: 7", 0.5 m
g = Geometry(width, height, min_letter_px(7.0, 0.5, width, height), cap)
screen = services_screen([ServiceChoice(s["id"], s["name"], s["id"]) for s in services], g, measure)
print(json.dumps({t.key: [t.rect.x, t.rect.y, t.rect.w, t.rect.h]
                  for t in screen.tiles if t.kind == "service"}))
"""
REPO = Path(__file__).resolve().parent.parent


#: The counter's ACT LED, made as on a Pi: the device tree's gpio-leds on a GPIO line (here
#: PL061 line 7: qemu's power button is line 3, the kiosk's wiring lines 3-6). Its normal
#: trigger is disk activity, as the Pi's is the SD card's (mmc0).
ACT_LINE = 7
ACT_LED = """
\tleds {{
\t\tcompatible = "gpio-leds";

\t\tact {{
\t\t\tlabel = "ACT";
\t\t\tgpios = <{phandle} {line} 0>;
\t\t\tlinux,default-trigger = "disk-activity";
\t\t}};
\t}};
"""

#: The counter's card also has Wi-Fi, with a password the office's access point refuses.
WIFI_SSID = "Kantor-Wifi"
WIFI = f"""
[wifi]
ssid = "{WIFI_SSID}"
password = "sandi-yang-salah"
"""


def log(text: str) -> None:
    print(f"office-test: {text}", flush=True)


@dataclass
class Message:
    at: float
    topic: str
    payload: dict[str, Any]


@dataclass
class Watcher:
    """mosquitto_sub on the hub's broker as the hub's account: statuses and events, each
    stamped with the host's monotonic time when it arrived."""

    port: int
    password: str
    messages: list[Message] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.port), "-u", "hub",
                "-P", self.password, "-V", "mqttv5", "-v", "-q", "1",
                "-t", f"{BASE}/node/+/status", "-t", f"{BASE}/event/#",
            ],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            topic, _, text = line.rstrip("\n").partition(" ")
            try:
                payload = json.loads(text)
            except json.JSONDecodeError:
                payload = {"raw": text}
            with self.cond:
                self.messages.append(Message(time.monotonic(), topic, payload))
                self.cond.notify_all()

    def wait(self, match: Callable[[Message], bool], after: float, timeout: float) -> Message:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for message in self.messages:
                    if message.at >= after and match(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no matching message on the hub's broker")
                self.cond.wait(left)

    def online(self, node: str, after: float, timeout: float) -> Message:
        topic = f"{BASE}/node/{node}/status"
        return self.wait(
            lambda m: m.topic == topic and m.payload.get("online") is True, after, timeout
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait()


class Vm:
    """One qemu-system-aarch64 -M virt (TCG) guest: serial console and monitor on unix
    sockets, the image with snapshot=on (the copy on disk is never changed)."""

    def __init__(
        self, name: str, image: Path, args: argparse.Namespace, tmp: Path, *,
        smp: int, extra: list[str], append: str = "",
    ) -> None:  # fmt: skip
        self.name = name
        self.console_path = tmp / f"{name}.console"
        self.monitor_path = tmp / f"{name}.monitor"
        command = [
            "qemu-system-aarch64", "-M", "virt", "-cpu", CPU, "-smp", str(smp),
            "-m", MEMORY, "-kernel", str(args.kernel), "-initrd", str(args.initrd),
            "-append", f"{CMDLINE} {append}".strip(),
            "-drive", f"file={image},format=raw,if=virtio,snapshot=on",
            "-device", "virtio-rng-pci",
            "-chardev", f"socket,id=con0,path={self.console_path},server=on,wait=off",
            "-serial", "chardev:con0", "-display", "none",
            "-monitor", f"unix:{self.monitor_path},server=on,wait=off",
            *extra,
        ]  # fmt: skip
        self.powered_on = time.monotonic()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        self.console = Console(self.console_path, args.out / f"{name}-console.log")
        self.shell_at = 0.0

    def shell(self, timeout: float) -> float:
        """Wait for the root shell; seconds from power-on."""
        self.console.read_until(r"root@[^\n]*[#$] ", timeout)
        half = len(PROMPT) // 2
        self.console.send(
            f"export PS1='{PROMPT[:half]}''{PROMPT[half:]}' TERM=dumb; stty -echo cols 200"
        )
        self.console.read_until(re.escape(PROMPT), 60)
        self.shell_at = time.monotonic()
        return self.shell_at - self.powered_on

    def data_partition(self) -> bool:
        """Whether /var/lib/antrian is mounted; if not (its device came after fstab's 90 s
        `x-systemd.device-timeout`, and antrian-firstboot failed on the read-only root),
        mount it and run firstboot and the role again, so the rest can still be tested.
        (firstboot itself gives avahi the node's name when it runs again.)"""
        if self.console.run("findmnt -n /var/lib/antrian >/dev/null")[0] == 0:
            return True
        status, text = self.console.run(
            "systemctl start var-lib-antrian.mount && systemctl restart antrian-firstboot "
            "&& systemctl start --no-block multi-user.target",
            timeout=600,
        )
        if status != 0:
            journal = self.journal("antrian-firstboot", 30)
            raise RuntimeError(f"{self.name}: firstboot failed again: {text}\n{journal}")
        return False

    def run(self, command: str, timeout: float = 120) -> str:
        status, text = self.console.run(command, timeout)
        if status != 0:
            raise RuntimeError(f"{self.name}: `{command}` failed ({status}): {text}")
        return text

    def monitor(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(self.monitor_path))
            sock.settimeout(30)
            text = b""
            while not text.endswith(b"(qemu) "):
                text += sock.recv(4096)
            sock.sendall(command.encode() + b"\n")
            text = b""
            while not text.endswith(b"(qemu) "):
                text += sock.recv(4096)
            return text.decode(errors="replace")

    def lan_up(self, host: int, mac: str) -> None:
        """The office LAN's address, as its router's DHCP would give it (in memory only:
        the root is read-only)."""
        # The image has no iproute2: the interface is found by its MAC in sysfs.
        found = self.run(f"grep -lx {mac} /sys/class/net/*/address").splitlines()[-1]
        name = found.split("/")[-2]
        self.run(
            f"nmcli con add type ethernet ifname {name} con-name lan "
            f"ipv4.method manual ipv4.addresses {LAN}.{host}/24 ipv6.method link-local "
            "save no >/dev/null && nmcli con up lan >/dev/null"
        )

    def rss_mb(self, unit: str) -> float:
        pid = self.run(f"systemctl show -p MainPID --value {unit}").splitlines()[-1]
        kb = self.run(f"awk '/^VmRSS/ {{print $2}}' /proc/{pid}/status").splitlines()[-1]
        return int(kb) / 1024

    def journal(self, unit: str, lines: int = 40) -> str:
        _, text = self.console.run(f"journalctl -b --no-pager -o cat -n {lines} -u {unit}")
        return text

    def stop(self) -> None:
        if self.process.poll() is None:
            self.console.send("systemctl poweroff")
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def put_boot_file(image: Path, offset: int, text: str, tmp: Path) -> None:
    """Copy antrian.toml onto the image's FAT boot partition, as onto a card."""
    source = tmp / "antrian.toml"
    source.write_text(text)
    subprocess.run(
        ["mcopy", "-o", "-i", f"{image}@@{offset}", str(source), "::antrian.toml"], check=True
    )


def ppm_facts(data: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct colours of a binary PPM (qemu's screendump)."""
    fields = data.split(maxsplit=4)  # b"P6", width, height, maxval, pixels
    assert fields[0] == b"P6", fields[0]
    width, height = int(fields[1]), int(fields[2])
    pixels = data[-width * height * 3 :]
    colours = {pixels[i : i + 3] for i in range(0, len(pixels), 3)}
    return width, height, len(colours)


def ppm_box(data: bytes, left: float, right: float, top: float, bottom: float) -> bytes:
    """The pixels of a binary PPM inside a box given as fractions of its width and height."""
    _, width_text, height_text = data.split(maxsplit=3)[:3]
    width, height = int(width_text), int(height_text)
    pixels = data[-width * height * 3 :]
    x0, x1 = int(width * left) * 3, int(width * right) * 3
    return b"".join(
        pixels[y * width * 3 + x0 : y * width * 3 + x1]
        for y in range(int(height * top), int(height * bottom))
    )


def ppm_pixel(data: bytes, x: int, y: int) -> tuple[int, int, int]:
    """The colour of one pixel of a binary PPM."""
    width, height, _ = (int(f) for f in data.split(maxsplit=4)[1:4])
    at = len(data) - width * height * 3 + (y * width + x) * 3
    return data[at], data[at + 1], data[at + 2]


def tickets(data: bytes) -> int:
    """How many tickets a printer's bytes hold: each starts with ESC @ and ends with a cut."""
    return len(re.findall(rb"\x1b@.*?\x1dV", data, re.DOTALL))


def gpio_levels(vm: Vm) -> dict[int, str]:
    """The PL061's requested output lines as the kernel sees them (gpiolib's debugfs):
    line number to "hi" or "lo"; a line no one holds is absent."""
    text = vm.run("cat /sys/kernel/debug/gpio")
    # "gpiochip0: GPIOs 504-511, parent: amba/9030000.pl061, ..." then one row per
    # requested line: " gpio-508 (                    |lg                  ) out hi"
    base = int(re.search(r"GPIOs (\d+)-\d+, parent: \S+\.pl061", text).group(1))  # type: ignore[union-attr]
    return {
        int(m.group(1)) - base: m.group(2)
        for m in re.finditer(r"gpio-(\d+)\s+\(.*\)\s+out\s+(hi|lo)", text)
    }


def act_trigger(vm: Vm) -> str:
    """The ACT LED's chosen trigger (the kernel lists them all, the chosen one in [])."""
    text = vm.run("cat /sys/class/leds/ACT/trigger")
    found = re.search(r"\[([^\]]+)\]", text)
    return found.group(1) if found else ""


def lamps(vm: Vm) -> dict[str, str]:
    """The lamp lines: "hi", "lo", or "free" when no one holds the line."""
    held = gpio_levels(vm)
    return {name: held.get(line, "free") for name, line in LAMPS.items()}


def act_led_dtb(tmp: Path, smp: int) -> Path:
    """qemu's own device tree for a node's VM, with the Pi's ACT LED added: a gpio-leds
    node on PL061 line ACT_LINE, as the Pi's tree has it on its GPIO. The tree is dumped
    with the VM's machine, CPU, CPU count and memory (PCI devices are probed by the kernel,
    not described in it); qemu still fills in /chosen (command line, initrd) at boot."""
    dumped = tmp / "virt.dtb"
    subprocess.run(
        ["qemu-system-aarch64", "-M", f"virt,dumpdtb={dumped}", "-cpu", CPU, "-smp", str(smp),
         "-m", MEMORY, "-display", "none"],
        check=True, capture_output=True,
    )  # fmt: skip
    source = subprocess.run(
        ["dtc", "-q", "-I", "dtb", "-O", "dts", str(dumped)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    found = re.search(r"pl061@[0-9a-f]+ \{[^}]*?phandle = <(0x[0-9a-f]+)>;", source)
    if found is None:
        raise RuntimeError("qemu's device tree has no PL061 with a phandle")
    end = source.rindex("};")  # the root node's end
    source = source[:end] + ACT_LED.format(phandle=found.group(1), line=ACT_LINE) + source[end:]
    (tmp / "virt-act.dts").write_text(source)
    compiled = tmp / "virt-act.dtb"
    subprocess.run(
        ["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(compiled), str(tmp / "virt-act.dts")],
        check=True, capture_output=True,
    )  # fmt: skip
    return compiled


class Office:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.figures: dict[str, str] = {}
        self.problems: list[str] = []
        credentials = tomllib.loads((args.provision / "credentials.toml").read_text())
        self.passwords: dict[str, str] = credentials["broker"]
        self.port = free_port()
        self.lan_port = free_port()
        self.watcher = Watcher(self.port, self.passwords["hub"])
        self.hub: Vm | None = None

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)
            log(f"FAIL: {problem}")

    def data_partition(self, vm: Vm) -> None:
        self.check(
            vm.data_partition(),
            f"{vm.name}: /var/lib/antrian was not mounted at boot (the data partition came "
            "after its 90 s device timeout, so antrian-firstboot failed); mounted by hand",
        )

    def power_up(self, vm: Vm, node: str) -> None:
        """What every Pi must do on an undisturbed boot: avahi announces firstboot's name
        (not the image's `antrian`), and the system clock shows the office's zone."""
        try:
            self._power_up(vm, node)
        except (RuntimeError, IndexError) as exc:
            self.check(False, f"{node}: power-up checks: {exc}")

    def _power_up(self, vm: Vm, node: str) -> None:
        fqdn = vm.run(
            "busctl call org.freedesktop.Avahi / org.freedesktop.Avahi.Server GetHostNameFqdn"
        ).splitlines()[-1]
        self.check(fqdn == f's "antrian-{node}.local"', f"{node}: avahi announces {fqdn}")
        stamp = vm.run("journalctl -b -n 1 --no-pager -o short-iso").splitlines()[-1]
        zone = vm.run("date +%Z").splitlines()[-1]
        # timedated accepts only a direct link into /usr/share/zoneinfo: expected "n/a"
        timedated = vm.run('echo "[$(timedatectl show -p Timezone --value)]"').splitlines()[-1]
        log(f"{node}: avahi {fqdn}; journal {stamp[:30]}; zone {zone}; timedatectl {timedated}")
        self.figures[f"{node}: journalctl timestamp, date +%Z, timedatectl Timezone"] = (
            f"{stamp.split()[0]}, {zone}, {timedated}"
        )
        self.check("+0700" in stamp.split()[0], f"{node}: journalctl shows {stamp.split()[0]}")
        self.check(zone == "WIB", f"{node}: the system zone is {zone}")

    def boot_file(self, node: str) -> str:
        return (self.args.provision / "boot" / node / "antrian.toml").read_text()

    def start_hub(self) -> None:
        put_boot_file(self.args.hub_image, self.args.offset, self.boot_file("hub"), self.tmp)
        hub = Vm(
            "hub", self.args.hub_image, self.args, self.tmp, smp=1,
            extra=[
                "-netdev", f"socket,id=lan,listen=127.0.0.1:{self.lan_port}",
                "-device", "virtio-net-pci,netdev=lan,mac=52:54:00:77:00:01",
                "-netdev", f"user,id=wan,hostfwd=tcp:127.0.0.1:{self.port}-:1883",
                "-device", "virtio-net-pci,netdev=wan,mac=52:54:00:78:00:01",
            ],
        )  # fmt: skip
        self.hub = hub
        log(f"hub: root shell {hub.shell(self.args.boot_timeout):.0f} s after power-on")
        self.data_partition(hub)
        self.power_up(hub, "hub")
        hub.lan_up(1, "52:54:00:77:00:01")
        deadline = time.monotonic() + self.args.boot_timeout
        while hub.console.run("systemctl is-active -q mosquitto antrian-hub")[0] != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the hub never started:\n{hub.journal('antrian-hub')}")
            time.sleep(2)
        self.watcher.start()
        online = self.watcher.online("hub", 0, 120)
        self.figures["hub: power-on to online"] = f"{online.at - hub.powered_on:.0f} s"
        self.figures["hub: RSS"] = f"{hub.rss_mb('antrian-hub'):.0f} MB"
        log(f"hub online {online.at - hub.powered_on:.0f} s after power-on")

    def node_vm(self, node: str, text: str, host: int, extra: list[str], append: str = "") -> Vm:
        put_boot_file(self.args.node_image, self.args.offset, text, self.tmp)
        mac = f"52:54:00:77:00:{host:02x}"
        vm = Vm(
            node, self.args.node_image, self.args, self.tmp, smp=2, append=append,
            extra=[
                "-netdev", f"socket,id=lan,connect=127.0.0.1:{self.lan_port}",
                "-device", f"virtio-net-pci,netdev=lan,mac={mac}",
                *extra,
            ],
        )  # fmt: skip
        log(f"{node}: root shell {vm.shell(self.args.boot_timeout):.0f} s after power-on")
        self.data_partition(vm)
        self.power_up(vm, node)
        vm.lan_up(host, mac)
        return vm

    def wait_online(self, vm: Vm, node: str, unit: str, timeout: float = 0) -> None:
        try:
            online = self.watcher.online(node, vm.powered_on, timeout or self.args.boot_timeout)
        except TimeoutError:
            raise TimeoutError(f"{node} never came online:\n{vm.journal(unit)}") from None
        took = online.at - vm.powered_on
        self.figures[f"{node}: power-on to online"] = f"{took:.0f} s"
        log(f"{node} online {took:.0f} s after power-on")

    # --- kiosk ----------------------------------------------------------------------------

    def kiosk(self) -> None:
        text = self.boot_file("kiosk-1")
        text = text[: text.index("[input]")] + KIOSK_WIRING
        printer = self.args.out / "kiosk-printer.bin"
        printer.unlink(missing_ok=True)
        vm = self.node_vm(
            "kiosk-1", text, 10,
            extra=[
                "-device", "qemu-xhci",
                "-chardev", f"file,id=prn,path={printer}",
                "-device", "usb-serial,chardev=prn",
            ],
            # qemu wires its power button to PL061 line 3; the kernel's gpio-keys would
            # take the line, and here it is service A's button.
            append="modprobe.blacklist=gpio_keys",
        )  # fmt: skip
        try:
            self.wait_online(vm, "kiosk-1", "antrian-kiosk")
            self.figures["kiosk-1: RSS"] = f"{vm.rss_mb('antrian-kiosk'):.0f} MB"
            before = lamps(vm)
            log(f"kiosk lamps when online: {before}")
            self.check(before["A"] == "hi", f"lamp A not lit on the kernel's line: {before}")
            self.press_kiosk(vm, printer, "first press")
            zone = vm.run(
                "tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value antrian-kiosk)"
                "/environ | grep ^TZ="
            ).splitlines()[-1]
            self.check(zone == "TZ=Asia/Jakarta", f"the kiosk's TZ is {zone!r}")
            if self.args.hub_absent_s > 0:
                self.hub_absent(vm, printer)
        finally:
            vm.stop()

    def press_kiosk(self, vm: Vm, printer: Path, label: str) -> None:
        size = printer.stat().st_size if printer.exists() else 0
        pressed = time.monotonic()
        vm.monitor("system_powerdown")  # PL061 line 3 high for 100 ms: a press of A
        issued = self.watcher.wait(
            lambda m: m.topic == f"{BASE}/event/ticket" and m.payload.get("event") == "issued",
            pressed, 60,
        )  # fmt: skip
        number = str(issued.payload.get("number"))
        deadline = time.monotonic() + 60
        data = b""
        while time.monotonic() < deadline:
            data = printer.read_bytes()[size:] if printer.exists() else b""
            if b"\x1dV" in data:  # GS V: the cut, the ticket's last command
                break
            time.sleep(0.05)
        took = time.monotonic() - pressed
        log(f"{label}: ticket {number}, {len(data)} bytes in {took:.2f} s")
        self.figures[f"kiosk-1: press to ticket bytes ({label})"] = f"{took:.2f} s"
        self.check(data.startswith(b"\x1b@"), "the ticket does not start with ESC @")
        self.check(b"\x1dV" in data, "the ticket has no cut (GS V)")
        self.check(number.encode() in data, f"the ticket's bytes lack its number {number}")
        # The time printed on the ticket is the office's (Asia/Jakarta, UTC+7).
        wib = time.strftime("%H:%M", time.gmtime(time.time() + 7 * 3600))
        self.check(
            wib.encode() in data or wib.replace(":", ".").encode() in data,
            f"the ticket does not show the local time {wib} WIB",
        )
        (self.args.out / f"kiosk-ticket-{number}.bin").write_bytes(data)

    def hub_absent(self, vm: Vm, printer: Path) -> None:
        """The broker gone, the kiosk powered up again: it keeps trying with its lamps
        off, then works once the hub is back."""
        assert self.hub is not None
        self.hub.run("systemctl stop antrian-hub mosquitto")
        vm.console.send("systemctl reboot")
        vm.powered_on = time.monotonic()
        vm.shell(self.args.boot_timeout)
        self.data_partition(vm)
        vm.lan_up(10, "52:54:00:77:00:0a")
        time.sleep(self.args.hub_absent_s)  # the hub's absence itself is what is tested
        off = lamps(vm)
        active = vm.console.run("systemctl is-active -q antrian-kiosk")[0] == 0
        journal = vm.journal("antrian-kiosk", 15)
        log(f"hub absent {self.args.hub_absent_s:.0f} s: kiosk active={active}, lamps {off}")
        log("kiosk journal:\n  " + journal.replace("\n", "\n  "))
        self.check(active, "the kiosk did not keep running without its hub")
        self.check("hi" not in off.values(), f"lamps lit without a hub: {off}")
        self.watcher.stop()
        back = time.monotonic()
        self.hub.run("systemctl start mosquitto antrian-hub")
        self.watcher = Watcher(self.port, self.passwords["hub"])
        self.watcher.start()
        online = self.watcher.online("kiosk-1", back, 300)
        self.figures["kiosk-1: hub back to kiosk online"] = f"{online.at - back:.0f} s"
        # A press counts only once lamp A is lit: the kiosk hears the hub's own retained
        # status after its connection, and a press before that is refused (lamp off).
        deadline = time.monotonic() + 120
        while lamps(vm)["A"] != "hi":
            if time.monotonic() > deadline:
                raise TimeoutError(f"lamp A never lit after the hub came back: {lamps(vm)}")
            time.sleep(1)
        self.figures["kiosk-1: hub back to lamp A lit"] = f"{time.monotonic() - back:.0f} s"
        self.press_kiosk(vm, printer, "after the hub came back")

    # --- touch kiosk ----------------------------------------------------------------------

    def touch(self) -> None:
        node = "kiosk-touch"
        text = self.boot_file(node)
        text = text[: text.index("[input]")] + TOUCH_WIRING
        printer = self.args.out / "touch-printer.bin"
        printer.unlink(missing_ok=True)
        vm = self.node_vm(
            node, text, 40,
            extra=[
                "-device", "virtio-gpu-pci", "-device", "qemu-xhci",
                "-chardev", f"file,id=prn,path={printer}", "-device", "usb-serial,chardev=prn",
            ],
        )  # fmt: skip
        try:
            vm.run("test -e /dev/dri/card0")
            self.wait_online(vm, node, "antrian-kiosk")
            self.figures[f"{node}: RSS"] = f"{vm.rss_mb('antrian-kiosk'):.0f} MB"
            pid = vm.run("systemctl show -p MainPID --value antrian-kiosk").splitlines()[-1]
            held = vm.run(f"ls -l /proc/{pid}/fd | grep -c /dev/dri/card0 || true")
            self.check(held.splitlines()[-1] != "0", "the kiosk does not hold /dev/dri/card0")
            idle = self.screen(vm, "touch-idle")
            width, height, colours = ppm_facts(idle)
            log(f"{node}: screen dump {width}x{height}, {colours} colours")
            self.check(colours >= 16, f"the kiosk's screen shows {colours} colours")
            x, y, w, h = self.tile_rect("A", width, height)
            tile, corner = (x + w // 2, y + h // 2), (x + 12, y + 12)  # the corner: no text
            self.panel(vm, width, height)
            # The idle screen: a touch anywhere shows the services.
            vm.run(f"echo 'tap {width // 2} {height // 2}' > /run/touchscreen")
            deadline = time.monotonic() + 60
            while True:
                services = self.screen(vm, "touch-services")
                if ppm_pixel(services, *corner) == (255, 255, 255) and services != idle:
                    break  # tile A's white where the layout puts it
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no service tile at {tile}: {self.diagnose(vm)}")
                time.sleep(1)
            colours = ppm_facts(services)[2]
            log(f"{node}: services screen, {colours} colours; tapping A at {tile}")
            self.check(colours >= 16, f"the services screen shows {colours} colours")
            tapped = time.monotonic()
            vm.run(f"echo 'tap {tile[0]} {tile[1]}' > /run/touchscreen")
            issued = self.watcher.wait(
                lambda m: m.topic == f"{BASE}/event/ticket" and m.payload.get("event") == "issued",
                tapped, 60,
            )  # fmt: skip
            number = str(issued.payload.get("number"))
            data = b""
            while b"\x1dV" not in data and time.monotonic() < tapped + 60:
                data = printer.read_bytes() if printer.exists() else b""
                time.sleep(0.05)
            took = time.monotonic() - tapped
            log(f"{node}: tap gave ticket {number}, {len(data)} bytes in {took:.2f} s")
            self.figures[f"{node}: tap to ticket bytes"] = f"{took:.2f} s"
            self.figures[f"{node}: tap to `issued` event"] = f"{issued.at - tapped:.2f} s"
            self.check(data.startswith(b"\x1b@"), "the ticket does not start with ESC @")
            # GS V and its one or two parameter bytes are the last command
            self.check(data.rfind(b"\x1dV") >= len(data) - 4, "the ticket does not end with a cut")
            self.check(
                (issued.payload.get("service"), issued.payload.get("node")) == ("A", node),
                f"issued: {issued.payload}",
            )
            self.check(number.encode() in data, f"the ticket's bytes lack its number {number}")
            # Only one: the kiosk is done with the tap once its "issued" screen gives way
            # (`issued_s`, 8 s) to the services again, tile A white where it was.
            shown = self.screen(vm, "touch-issued")
            deadline = time.monotonic() + 60
            while True:
                after = self.screen(vm, "touch-after")
                if after != shown and ppm_pixel(after, *corner) == (255, 255, 255):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("the issued screen never gave way")
                time.sleep(1)
            data = printer.read_bytes()
            count = sum(
                1 for m in self.watcher.messages
                if m.at >= tapped and m.topic == f"{BASE}/event/ticket"
                and m.payload.get("event") == "issued"
            )  # fmt: skip
            taps = vm.run(
                "journalctl -b --no-pager -o cat -u antrian-kiosk | grep -c 'tap on' || true"
            )
            taps = taps.splitlines()[-1]
            log(f"{node}: {count} issued event(s), {tickets(data)} ticket(s), {taps} tap(s) logged")
            self.check(count == 1, f"one tap gave {count} issued events")
            self.check(tickets(data) == 1, f"one tap printed {tickets(data)} tickets")
            (self.args.out / f"touch-ticket-{number}.bin").write_bytes(data)
        finally:
            vm.stop()

    def tile_rect(self, service: str, width: int, height: int) -> tuple[int, int, int, int]:
        office = tomllib.loads((REPO / "image/ci/office.toml").read_text())
        services = [{"id": s["id"], "name": s["name"]} for s in office["services"]]
        found = subprocess.run(
            [str(REPO / ".venv/bin/python"), "-c", TILE_PROBE, str(width), str(height),
             json.dumps(services)],
            cwd=REPO, check=True, capture_output=True, text=True,
            env={"SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"},
        )  # fmt: skip
        x, y, w, h = json.loads(found.stdout.splitlines()[-1])[service]
        return x, y, w, h

    def panel(self, vm: Vm, width: int, height: int) -> None:
        """The uinput touchscreen, then the kiosk started again: a Pi's panel is there
        when its kiosk starts."""
        vm.run("modprobe uinput && mkfifo /run/touchscreen")
        encoded = TOUCHSCREEN.encode().hex()
        vm.run(f"python3 -c \"open('/run/touchscreen.py','wb').write(bytes.fromhex('{encoded}'))\"")
        vm.run(
            "(nohup /opt/antrian/venv/bin/python /run/touchscreen.py /run/touchscreen "
            f"{width} {height} >/run/touchscreen.log 2>&1 &)"
        )
        deadline = time.monotonic() + 60
        while "touchscreen /dev/input/" not in vm.run("cat /run/touchscreen.log"):
            if time.monotonic() > deadline:
                raise TimeoutError(vm.run("cat /run/touchscreen.log"))
            time.sleep(1)
        vm.run("udevadm settle")
        # udev's input_id must call it a touchscreen: SDL asks udev what a device is
        found = vm.run("udevadm info --export-db | grep -c ID_INPUT_TOUCHSCREEN=1 || true")
        self.check(found.splitlines()[-1] != "0", "udev sees no touchscreen")
        restarted = time.monotonic()
        vm.run("systemctl restart antrian-kiosk")
        online = self.watcher.online("kiosk-touch", restarted, 300)
        log(f"kiosk-touch: restarted with its panel, online in {online.at - restarted:.0f} s")
        # SDL opened the panel: the daemon holds its event device
        device = vm.run("cat /run/touchscreen.log").split("touchscreen ")[-1].split()[0]
        deadline = time.monotonic() + 60
        while not self.holds(vm, device):
            if time.monotonic() > deadline:
                self.check(False, f"the kiosk does not hold its panel {device}")
                log(vm.run(f"ls -l /dev/input; udevadm info -q property -n {device}"))
                break
            time.sleep(1)

    def diagnose(self, vm: Vm) -> str:
        """What the panel's taps became: the kiosk's journal, the events an evdev reader
        sees, and the SDL events a bare pygame on kmsdrm gets (the kiosk stopped)."""
        device = vm.run("cat /run/touchscreen.log").split("touchscreen ")[-1].split()[0]
        py = "/opt/antrian/venv/bin/python"
        text = vm.journal("antrian-kiosk", 15)
        text += vm.run(
            f"(timeout 6 {py} -c \"import evdev; d=evdev.InputDevice('{device}'); "
            '[print(e) for e in d.read_loop()]" > /run/evdev.txt 2>&1 &); sleep 2; '
            "echo 'tap 100 100' > /run/touchscreen; sleep 5; cat /run/evdev.txt",
            timeout=60,
        )
        vm.run("systemctl stop antrian-kiosk")
        probe = (
            "import pygame,time; pygame.display.init(); "
            "s=pygame.display.set_mode((0,0),pygame.FULLSCREEN); print(s.get_size()); "
            "t=time.time()\nwhile time.time()<t+8:\n [print(e) for e in pygame.event.get()]; "
            "time.sleep(0.02)"
        )
        encoded = probe.encode().hex()
        vm.run(f"python3 -c \"open('/run/probe.py','wb').write(bytes.fromhex('{encoded}'))\"")
        text += vm.run(
            "(SDL_VIDEODRIVER=kmsdrm SDL_FRAMEBUFFER_ACCELERATION=opengles2 "
            f"timeout 20 {py} /run/probe.py > /run/probe.txt 2>&1 &); sleep 6; "
            "echo 'tap 100 100' > /run/touchscreen; sleep 6; cat /run/probe.txt",
            timeout=60,
        )
        return text

    def holds(self, vm: Vm, device: str) -> bool:
        pid = vm.run("systemctl show -p MainPID --value antrian-kiosk").splitlines()[-1]
        held = vm.run(f"ls -l /proc/{pid}/fd | grep -c '{device}$' || true")
        return held.splitlines()[-1] != "0"

    # --- counter --------------------------------------------------------------------------

    def counter(self) -> None:
        text = self.boot_file("loket-1") + COUNTER_WIRING + WIFI
        # mac80211_hwsim's two radios: wlan0 the Pi's, wlan1 the office's access point.
        # No ledtrig_timer here: the image loads it (systemd/modules-load.d); see docs/image.md.
        vm = self.node_vm(
            "loket-1", text, 20,
            extra=["-dtb", str(act_led_dtb(self.tmp, 2))],
            append="modules_load=mac80211_hwsim",
        )  # fmt: skip
        try:
            vm.run("modprobe uinput")
            vm.run("mkfifo /run/numpad")
            script = self.tmp / "numpad.py"
            script.write_text(NUMPAD)
            # The script goes over the console in hex: the VM shares no folder with the host.
            encoded = script.read_bytes().hex()
            vm.run(f"python3 -c \"open('/run/numpad.py','wb').write(bytes.fromhex('{encoded}'))\"")
            vm.run(
                "(nohup /opt/antrian/venv/bin/python /run/numpad.py /run/numpad "
                ">/run/numpad.log 2>&1 &)"
            )
            self.wait_online(vm, "loket-1", "antrian-counter")
            deadline = time.monotonic() + 60
            while "USB keypad: " not in vm.journal("antrian-counter"):
                if time.monotonic() > deadline:
                    raise TimeoutError("the counter never found the uinput numpad")
                time.sleep(1)
            self.figures["loket-1: RSS"] = f"{vm.rss_mb('antrian-counter'):.0f} MB"
            self.take_ticket()  # someone waiting, whether or not the kiosk ran before
            pressed = time.monotonic()
            vm.run("echo KEY_KPENTER > /run/numpad")
            called = self.watcher.wait(
                lambda m: m.topic == f"{BASE}/event/ticket" and m.payload.get("event") == "called",
                pressed, 60,
            )  # fmt: skip
            took = called.at - pressed
            self.figures["loket-1: Enter to `called` event"] = f"{took:.2f} s"
            log(f"counter: Enter called {called.payload.get('number')} in {took:.2f} s")
            self.check(str(called.payload.get("counter")) == "1", f"called at {called.payload}")
            self.wifi(vm)
        finally:
            vm.stop()

    def wifi(self, vm: Vm) -> None:
        """The card's Wi-Fi password is wrong: the office's access point (NetworkManager's
        AP mode on hwsim's second radio, in memory) refuses it, and the Pi says so on the
        console and above the login prompt. Then the access point takes the card's
        password, and the fault goes. The ACT LED (gpio-leds on PL061 line ACT_LINE) blinks
        slowly on the kernel's timer while the fault shows, and has its normal trigger back
        after."""
        normal = act_trigger(vm)
        log(f"ACT LED before the fault: trigger {normal}, lines {gpio_levels(vm)}")
        self.check(normal == "disk-activity", f"the ACT LED's trigger is {normal!r}")
        vm.run(
            f"nmcli con add type wifi ifname wlan1 con-name ap ssid {WIFI_SSID} "
            "802-11-wireless.mode ap 802-11-wireless.band bg wifi-sec.key-mgmt wpa-psk "
            "wifi-sec.psk sandi-yang-benar ipv4.method manual ipv4.addresses 10.77.0.1/24 "
            "ipv6.method shared save no >/dev/null && nmcli con up ap >/dev/null"
        )
        up = time.monotonic()
        issue = "cat /run/issue.d/antrian-wifi.issue 2>/dev/null || true"
        while "salah" not in vm.run(issue):
            if time.monotonic() > up + 300:
                self.check(False, f"no Wi-Fi fault shown:\n{vm.journal('antrian-wifi-watch')}")
                log(vm.run("nmcli -t device; journalctl -b --no-pager -o cat -u NetworkManager "
                           "| grep -E 'wlan0|antrian-wifi' | tail -40"))  # fmt: skip
                return
            time.sleep(2)
        shown = time.monotonic()
        self.figures["loket-1: power-on to the wrong-password fault"] = (
            f"{shown - vm.powered_on:.0f} s (access point up to fault: {shown - up:.0f} s)"
        )
        screen = vm.run("cat /dev/vcs1 2>/dev/null | tr -s ' ' || true")
        self.check(
            f'jaringan "{WIFI_SSID}" salah' in screen,
            f"the HDMI console (tty1) does not show the fault: {screen[-300:]!r}",
        )
        journal = vm.journal("antrian-wifi-watch")
        log("wifi-watch journal:\n  " + journal.replace("\n", "\n  "))
        self.check(journal.count("wrong password") == 1, "not one log line for the fault")
        self.act_blinks(vm)
        # The access point now takes the card's password (as if the card had been right).
        vm.run(
            "nmcli con modify --temporary ap wifi-sec.psk sandi-yang-salah "
            "&& nmcli con up ap >/dev/null"
        )
        fixed = time.monotonic()
        while vm.console.run("test -e /run/issue.d/antrian-wifi.issue")[0] == 0:
            if time.monotonic() > fixed + 400:
                self.check(False, "the Wi-Fi fault did not clear once the password matched")
                log(vm.run("nmcli -t device; journalctl -b --no-pager -o cat -u NetworkManager "
                           "| grep -E 'wlan0|antrian-wifi' | tail -30"))  # fmt: skip
                return
            time.sleep(2)
        self.figures["loket-1: access point fixed to the fault cleared"] = (
            f"{time.monotonic() - fixed:.0f} s"
        )
        after = act_trigger(vm)
        log(f"ACT LED after the fault: trigger {after}")
        self.check(after == normal, f"the ACT LED's trigger after the fault is {after!r}")

    def act_blinks(self, vm: Vm) -> None:
        """The fault's slow blink: the timer trigger with its delays, and the GPIO line
        itself seen at both levels."""
        trigger = act_trigger(vm)
        delays = vm.run("cat /sys/class/leds/ACT/delay_on /sys/class/leds/ACT/delay_off").split()
        log(f"ACT LED in the fault: trigger {trigger}, delay_on/off {delays[-2:]} ms")
        self.check(trigger == "timer", f"the ACT LED's trigger in the fault is {trigger!r}")
        self.check(delays[-2:] == ["1000", "1000"], f"the ACT LED's delays are {delays[-2:]}")
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while not {"hi", "lo"} <= set(seen) and time.monotonic() < deadline:
            seen.append(gpio_levels(vm).get(ACT_LINE, "free"))
        self.check({"hi", "lo"} <= set(seen), f"the ACT line did not toggle: {seen}")
        self.figures["loket-1: ACT LED in the Wi-Fi fault"] = (
            f"trigger timer, {delays[-2]}/{delays[-1]} ms; PL061 line {ACT_LINE} read "
            f"{len(seen)} times: {' '.join(seen)}"
        )

    # --- display --------------------------------------------------------------------------

    def display(self) -> None:
        vm = self.node_vm(
            "display-1", self.boot_file("display-1"), 30,
            extra=["-device", "virtio-gpu-pci"],
            append="modules_load=snd_aloop",
        )  # fmt: skip
        try:
            vm.run("test -e /dev/dri/card0 && aplay -l | grep -q Loopback")
            # from the shell: a display that works is online within a minute (no fallback:
            # a screen that cannot start on kmsdrm fails the test)
            self.wait_online(vm, "display-1", "antrian-display", vm.shell_at - vm.powered_on + 120)
            self.figures["display-1: RSS"] = f"{vm.rss_mb('antrian-display'):.0f} MB"
            pid = vm.run("systemctl show -p MainPID --value antrian-display").splitlines()[-1]
            held = vm.run(f"ls -l /proc/{pid}/fd | grep -c /dev/dri/card0 || true")
            self.check(
                held.splitlines()[-1] != "0", "the display daemon does not hold /dev/dri/card0"
            )
            started = vm.run(
                "journalctl -b --no-pager -o cat -u antrian-display | grep 'screen fullscreen at'"
            )
            log(f"display: {started.splitlines()[-1]}")
            idle = self.screen(vm, "idle")
            width, height, colours = ppm_facts(idle)
            log(f"display: screen dump {width}x{height}, {colours} colours")
            # A blank or one-colour frame is not the waiting room: its text is anti-aliased.
            self.check(colours >= 16, f"the screen shows {colours} colours: not the waiting room")
            # plughw: the display's SDL holds the loopback at its own rate and channels; the
            # plug layer converts. The image has no procps: the PID is kept for `kill -0`.
            vm.run(
                "(nohup arecord -q -D plughw:Loopback,1 -f S16_LE -r 22050 -c 1 -d 25 "
                "/run/voice.wav >/run/arecord.log 2>&1 & echo $! >/run/arecord.pid)"
            )
            called_at = time.monotonic()
            self.call_next()
            called = self.watcher.wait(
                lambda m: m.topic == f"{BASE}/event/ticket" and m.payload.get("event") == "called",
                called_at, 60,
            )  # fmt: skip
            log(f"display: called {called.payload.get('number')}")
            # The clock, the ticker and the waiting counts change by themselves: the call
            # must change the "NOMOR ANTRIAN" panel (the top left box at 1280x800, which
            # holds "Silakan menunggu ..." until a number is called).
            box = (0.01, 0.55, 0.09, 0.61)
            deadline = time.monotonic() + 90
            while ppm_box(self.screen(vm, "called"), *box) == ppm_box(idle, *box):
                if time.monotonic() > deadline:
                    self.check(False, "the number panel did not change when a number was called")
                    break
                time.sleep(1)
            self.figures["display-1: call to the number panel changed (screen dumps, host)"] = (
                f"{time.monotonic() - called_at:.1f} s"
            )
            vm.run(
                "while kill -0 $(cat /run/arecord.pid) 2>/dev/null; do sleep 1; done; "
                "cat /run/arecord.log",
                timeout=90,
            )
            level = vm.run(
                '/opt/antrian/venv/bin/python -c "import wave,audioop;'
                "w=wave.open('/run/voice.wav');d=w.readframes(w.getnframes());"
                "print(len(d)/2/w.getframerate(), audioop.rms(d,2), "
                'sum(1 for i in range(0,len(d)-4410,4410) if audioop.rms(d[i:i+4410],2)>300)/10)"'
            ).splitlines()[-1]
            seconds, rms, loud = (float(x) for x in level.split())
            log(f"display: recorded {seconds:.1f} s, RMS {rms:.0f}, {loud:.1f} s above RMS 300")
            self.figures["display-1: voice on the ALSA loopback"] = (
                f"{loud:.1f} s of sound (RMS above 300) in a {seconds:.0f} s recording"
            )
            self.check(loud >= 1.0, f"no voice on the ALSA loopback (RMS {rms:.0f})")
        finally:
            vm.stop()

    def screen(self, vm: Vm, name: str) -> bytes:
        """The screen as qemu's virtio-gpu shows it (PPM)."""
        shot = self.args.out / f"display-{name}.ppm"
        vm.monitor(f"screendump {shot}")
        return shot.read_bytes()

    def call_next(self) -> None:
        """A ticket for A (as kiosk-1) and a call at counter 1 (as loket-1)."""
        self.take_ticket()
        self.request("loket-1", "counter", {"action": "call_next", "counter": "1",
                                            "transaction": f"c{time.time_ns()}"})  # fmt: skip

    def take_ticket(self) -> None:
        """A ticket for A, as kiosk-1 (the counter's test must not depend on the kiosk's)."""
        self.request("kiosk-1", "ticket", {"service": "A", "transaction": f"t{time.time_ns()}"})

    def request(self, node: str, kind: str, payload: dict[str, Any]) -> None:
        subprocess.run(
            [
                "mosquitto_rr", "-h", "127.0.0.1", "-p", str(self.port), "-u", node,
                "-P", self.passwords[node], "-V", "mqttv5", "-q", "1", "-W", "30",
                "-t", f"{BASE}/node/{node}/request/{kind}",
                "-e", f"{BASE}/node/{node}/response/{kind}", "-m", json.dumps(payload),
            ],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hub-image", type=Path, required=True)
    parser.add_argument("--node-image", type=Path, required=True)
    parser.add_argument("--offset", type=int, required=True, help="boot partition, bytes")
    parser.add_argument("--kernel", type=Path, required=True)
    parser.add_argument("--initrd", type=Path, required=True)
    parser.add_argument("--provision", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--roles", default="kiosk,counter,display")
    parser.add_argument("--boot-timeout", type=float, default=900)
    parser.add_argument("--hub-absent-s", type=float, default=120)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        office = Office(args, Path(tmp))
        try:
            office.start_hub()
            for role in args.roles.split(","):
                try:
                    getattr(office, role)()
                except Exception as exc:  # one role's failure must not hide the others'
                    office.check(False, f"{role}: {type(exc).__name__}: {exc}")
        finally:
            office.watcher.stop()
            if office.hub is not None:
                office.hub.stop()
    log(f"whole run {time.monotonic() - started:.0f} s")
    for name, figure in office.figures.items():
        log(f"figure: {name}: {figure}")
    if office.problems:
        log("FAIL: " + "; ".join(office.problems))
        return 1
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
