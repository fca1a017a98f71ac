"""`antrian firstboot`: on every boot, turn `/boot/firmware/antrian.toml` into a node.

Run by antrian-firstboot.service as root before the network and the role's daemon:

1. read and validate the boot file, filling secrets scrubbed on an earlier boot from the
   data directory (`/var/lib/antrian/boot/secrets.toml`);
2. check each daemon's config with that daemon's own reader, so a mistake is reported
   now, naming the boot file's key, then write them to `/run/antrian/{role}.toml`; on the
   hub also mosquitto's password file and ACL under `/run/antrian/broker/`, and the
   `[region]` TLS files the card carries under `/run/antrian/region/`;
3. move the secrets off the FAT partition (any laptop can read it) into the data directory;
4. set the hostname (`antrian-{node}`) and the Wi-Fi (a NetworkManager keyfile under /run).

Each role's unit starts only if its config exists (`ConditionPathExists=`), so nothing is
enabled or written under /etc: a read-only (overlay) root works. An invalid file is shown
on the HDMI console and blinks the activity LED, and no role starts: we never guess one.

`--root` puts every path under a folder, for image builds and tests; `--check FILE`
validates a boot file on a laptop before it goes onto a card.
"""

from __future__ import annotations

import argparse
import grp
import logging
import os
import shutil
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w

from common.accounts import acl_text, passwd_text
from common.config import ConfigError, Table
from common.files import write_atomic
from common.log import setup_logging
from nodes.setup import bootfile
from nodes.setup.bootfile import BootFile, BootFileError

log = logging.getLogger("antrian.firstboot")

LEDS = ("ACT", "led0")  # the activity LED: Pi 4/5 on bookworm, and older kernels


class SetupError(Exception):
    """This Pi cannot become a node; the message is for the technician."""


@dataclass(frozen=True)
class Paths:
    root: Path
    boot_file: Path

    @classmethod
    def under(cls, root: Path, boot_file: Path | None = None) -> Paths:
        return cls(root, boot_file or root / "boot/firmware/antrian.toml")

    @property
    def run(self) -> Path:
        return self.root / "run/antrian"

    @property
    def store(self) -> Path:
        return self.root / "var/lib/antrian/boot"

    @property
    def network(self) -> Path:
        return self.root / "run/NetworkManager/system-connections"

    @property
    def hostname(self) -> Path:
        return self.root / "proc/sys/kernel/hostname"

    @property
    def console(self) -> Path:
        return self.root / "dev/tty1"

    @property
    def issue(self) -> Path:
        # agetty shows /run/issue.d/*.issue above the HDMI login prompt, after every clear.
        return self.root / "run/issue.d/antrian.issue"

    @property
    def wifi_issue(self) -> Path:
        """The Wi-Fi watcher's note: its own file, so that a Wi-Fi connecting never takes
        down the boot file's fault."""
        return self.root / "run/issue.d/antrian-wifi.issue"

    @property
    def leds(self) -> Path:
        return self.root / "sys/class/leds"

    @property
    def live(self) -> bool:
        """Really this machine (ownership, nmcli) rather than a folder being prepared."""
        return self.root == Path("/")


# --- reading ---------------------------------------------------------------------------


def read_boot_file(path: Path) -> tuple[str, dict[str, Any]]:
    """(text, parsed data) of a boot file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SetupError(
            f"{path} is missing: copy this node's antrian.toml from "
            "`antrian provision` onto the boot partition"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SetupError(f"{path} cannot be read: {exc}") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SetupError(f"{path} is not valid TOML: {exc}") from None


def read_boot(paths: Paths) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(text, parsed data, stored secrets) of the boot file."""
    text, data = read_boot_file(paths.boot_file)
    stored_file = paths.store / "secrets.toml"
    stored: dict[str, Any] = {}
    if stored_file.exists():
        try:
            stored = tomllib.loads(stored_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            log.warning("ignoring unreadable %s: %s", stored_file, exc)
    return text, data, stored


def daemon_reader(name: str) -> Callable[[Table], object]:
    """The daemon's own config reader, so firstboot validates exactly what the daemon will
    read. Imported for this role only: a kiosk's boot does not load the hub or pygame."""
    reader: Callable[[Table], object]
    if name == "hub":
        from nodes.hub.daemon import load_config as reader
    elif name == "web":
        from nodes.hub.web.config import load as reader
    elif name == "kiosk":
        from nodes.kiosk.daemon import read_config as reader
    elif name == "counter":
        from nodes.counter.daemon import read_config as reader
    else:
        from nodes.display.settings import read_config as reader
    return reader


def check_configs(configs: dict[str, dict[str, Any]], boot_name: str) -> dict[str, str]:
    """Each config's file text, validated (as read back) by its daemon's own reader."""
    texts = {}
    for name, config in configs.items():
        texts[name] = config_text(config)
        try:
            daemon_reader(name)(Table(tomllib.loads(texts[name]), f"{name}.toml"))
        except ConfigError as exc:
            where = exc.key if name != "web" or exc.key.startswith("web") else f"(web) {exc.key}"
            raise SetupError(f"{boot_name}: {where}: {exc.problem}") from None
    return texts


def config_text(config: dict[str, Any]) -> str:
    header = (
        "# Written by `antrian firstboot` at boot from /boot/firmware/antrian.toml and the\n"
        "# image's defaults. Edit the boot file, not this one: it is made anew every boot.\n\n"
    )
    return header + tomli_w.dumps(config)


# --- writing ---------------------------------------------------------------------------


def give_group(path: Path, group: str, mode: int) -> None:
    """chgrp on the real machine; a folder being prepared has no such group to give."""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        log.warning("group %s does not exist; %s stays root's", group, path)
        return
    os.chown(path, 0, gid)
    path.chmod(mode)


def install(paths: Paths, boot: BootFile, configs: dict[str, dict[str, Any]]) -> None:
    # The hub's reader loads the region's TLS files, so they go first (in /run: a failure
    # below takes them away again, see `unconfigure`); every config is valid before any
    # config is written.
    paths.run.mkdir(mode=0o750, parents=True, exist_ok=True)
    install_region_files(paths, boot)
    texts = check_configs(configs, paths.boot_file.name)
    for old in paths.run.glob("*.toml"):
        if old.stem not in configs:
            old.unlink()  # a role changed since the last boot (or within this one)
    for name, text in texts.items():
        target = paths.run / f"{name}.toml"
        write_atomic(target, text)
        if paths.live:
            give_group(target, "antrian", 0o640)
    if paths.live:
        give_group(paths.run, "antrian", 0o750)
    if boot.role == "hub":
        install_broker_files(paths, boot, configs["hub"])
    write_environment(paths, configs)


def write_environment(paths: Paths, configs: dict[str, dict[str, Any]]) -> None:
    """The daemons' time zone from `[office] timezone`: the root file system is read-only,
    so /etc/localtime stays UTC and each role unit reads `TZ` from this file instead
    (`EnvironmentFile=-/run/antrian/environment`); logs then carry the office's time."""
    zones = sorted(
        {c["office"]["timezone"] for c in configs.values() if "timezone" in c.get("office", {})}
    )
    zone = zones[0] if zones else "Asia/Jakarta"  # one office, one zone
    target = paths.run / "environment"
    write_atomic(target, f"TZ={zone}\n", mode=0o644)
    set_localtime(paths, zone)


def set_localtime(paths: Paths, zone: str) -> None:
    """The system's zone, for journalctl and everything not started with our `TZ`: the
    image's /etc/localtime is a link to /run/antrian/localtime, which points into
    /usr/share/zoneinfo (UTC if this system lacks the zone)."""
    zoneinfo = Path("/usr/share/zoneinfo")
    if not (paths.root / zoneinfo.relative_to("/") / zone).is_file():
        log.warning("time zone %s is not in %s; the system clock shows UTC", zone, zoneinfo)
        zone = "UTC"
    link = paths.run / "localtime"
    fresh = paths.run / ".localtime.new"
    fresh.unlink(missing_ok=True)
    fresh.symlink_to(zoneinfo / zone)
    fresh.replace(link)


def install_region_files(paths: Paths, boot: BootFile) -> None:
    """The TLS files of the hub's [region], carried on the card (bootfile.region_files)."""
    folder = paths.run / "region"
    region = boot.overrides.get("region") if boot.role == "hub" else None
    files = bootfile.region_files(region, folder)[1] if region is not None else []
    shutil.rmtree(folder, ignore_errors=True)  # none left from an earlier card
    if not files:
        return
    folder.mkdir(mode=0o750)
    for file in files:
        write_atomic(file.path, file.text, mode=file.mode)
        if paths.live and file.group_mode is not None:
            give_group(file.path, "antrian", file.group_mode)
    if paths.live:
        give_group(folder, "antrian", 0o750)


def install_broker_files(paths: Paths, boot: BootFile, hub: dict[str, Any]) -> None:
    node_ids = [n.get("id") for n in hub.get("nodes", []) if isinstance(n, dict)]
    users = {boot.node, *[n for n in node_ids if isinstance(n, str)]}
    missing = sorted(users - set(boot.accounts))
    if boot.node in missing:
        raise SetupError(
            f"{paths.boot_file.name}: [accounts]: has no entry for the hub ({boot.node})"
        )
    if missing:
        log.warning("no broker account for %s: they cannot log in", ", ".join(missing))
    folder = paths.run / "broker"
    folder.mkdir(mode=0o750, exist_ok=True)
    office_id = hub.get("office", {}).get("id", "kantor")
    write_atomic(folder / "passwd", passwd_text(boot.accounts))
    write_atomic(folder / "acl", acl_text(office_id, boot.node))
    if paths.live:
        for path, mode in ((folder, 0o750), (folder / "passwd", 0o640), (folder / "acl", 0o640)):
            give_group(path, "mosquitto", mode)


def keep_secrets(paths: Paths, text: str, data: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Store the secrets in the data directory, then scrub them from the FAT file.
    Returns True if the boot file was rewritten."""
    on_card = bootfile.secrets_of(data)
    secrets = {**stored, **on_card} if stored.get("node") == on_card["node"] else on_card
    paths.store.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.store.chmod(0o700)
    write_atomic(paths.store / "secrets.toml", tomli_w.dumps(secrets), mode=0o600)
    if len(on_card) == 1:  # only the node id: nothing left on the card
        return False
    note = f"moved to {'/' / paths.store.relative_to(paths.root)}/secrets.toml on {date.today()}"
    scrubbed = bootfile.scrub(text, note)
    try:
        left = tomllib.loads(scrubbed)
    except tomllib.TOMLDecodeError:
        left = {}
    if len(bootfile.secrets_of(left)) != 1 or not left:
        # An unusual layout (a multi-line string, say): better a secret left on the card
        # than a boot file this script broke.
        log.warning("could not remove the secrets from %s; they stay there", paths.boot_file)
        return False
    write_atomic(paths.boot_file, scrubbed, mode=0o644)
    return True


def set_network(paths: Paths, boot: BootFile) -> None:
    keyfile = paths.network / "antrian-wifi.nmconnection"
    if boot.wifi is None:
        keyfile.unlink(missing_ok=True)
        return
    wifi = boot.wifi
    lines = [
        "[connection]",
        "id=antrian-wifi",
        f"uuid={uuid.uuid5(uuid.NAMESPACE_DNS, 'antrian-wifi.' + wifi.ssid)}",
        "type=wifi",
        "autoconnect=true",
        "",
        "[wifi]",
        "mode=infrastructure",
        f"ssid={wifi.ssid}",
        "",
    ]
    if wifi.password:
        lines += ["[wifi-security]", "key-mgmt=wpa-psk", f"psk={wifi.password}", ""]
    lines += ["[ipv4]", "method=auto", "", "[ipv6]", "method=auto", ""]
    # NetworkManager ignores keyfiles that others could read.
    write_atomic(keyfile, "\n".join(lines), mode=0o600)
    if paths.live:
        command(["iw", "reg", "set", wifi.country])
        command(["nmcli", "connection", "reload"])


def command(argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        log.info("%s is not installed; skipped: %s", argv[0], " ".join(argv))
        return
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        log.warning("%s timed out", " ".join(argv))
        return
    if result.returncode:
        log.warning("%s failed: %s", " ".join(argv), result.stderr.strip())


def set_hostname(paths: Paths, boot: BootFile) -> None:
    try:
        old = paths.hostname.read_text().strip() if paths.hostname.exists() else ""
        paths.hostname.parent.mkdir(parents=True, exist_ok=True)
        paths.hostname.write_text(boot.hostname + "\n")
    except OSError as exc:
        log.warning("cannot set the hostname to %s: %s", boot.hostname, exc)
        return
    # At boot avahi starts after this unit and announces the new name itself. When
    # firstboot runs again later (`systemctl restart antrian-firstboot` after fixing the
    # boot file or mounting the data partition), avahi is already announcing the old one.
    if paths.live and old != boot.hostname and Path("/run/avahi-daemon/pid").exists():
        command(
            ["busctl", "call", "org.freedesktop.Avahi", "/", "org.freedesktop.Avahi.Server",
             "SetHostName", "s", boot.hostname]
        )  # fmt: skip


# --- the fault signal ------------------------------------------------------------------


#: The activity LED's blink (ms on, ms off) for an invalid boot file: fast. The Wi-Fi
#: watcher's faults blink slowly (nodes/setup/wifiwatch.py), so the two can be told apart.
SETUP_BLINK = (200, 200)


def setup_screen(problem: str) -> str:
    return (
        "\n=== ANTRIAN: this Pi is not set up / Pi ini belum diatur ===\n\n"
        f"{problem}\n\n"
        "Fix antrian.toml on the SD card's boot partition, then restart the Pi.\n"
        "Perbaiki antrian.toml di partisi boot kartu SD, lalu nyalakan ulang Pi.\n\n"
    )


def show_fault(
    paths: Paths, text: str, blink: tuple[int, int] = SETUP_BLINK, issue: Path | None = None
) -> None:
    """Tell whoever looks at this Pi: the LED, the HDMI console, the login prompt (written
    last and whole: a getty, or a test, that sees it sees all of it). `issue`: the login
    prompt's note, firstboot's own by default; another fault's (the Wi-Fi's) leaves the LED
    to the boot file's fault while that one stands."""
    issue = issue or paths.issue
    folder = activity_led(paths) if issue == paths.issue or not paths.issue.exists() else None
    if folder is not None:
        try:
            (folder / "trigger").write_text("timer")  # the kernel blinks it from now on
            (folder / "delay_on").write_text(str(blink[0]))
            (folder / "delay_off").write_text(str(blink[1]))
        except OSError as exc:
            log.warning("cannot blink %s: %s", folder.name, exc)
    write_console(paths, text)
    try:
        write_atomic(issue, text, mode=0o644)
    except OSError as exc:
        log.warning("cannot write %s: %s", issue, exc)


def write_console(paths: Paths, text: str) -> None:
    try:
        paths.console.parent.mkdir(parents=True, exist_ok=True)
        with paths.console.open("w", encoding="utf-8") as out:
            out.write("\033[2J\033[H" + text)  # a clear screen first
    except OSError as exc:
        log.warning("cannot write %s: %s", paths.console, exc)


def activity_led(paths: Paths) -> Path | None:
    for led in LEDS:
        folder = paths.leds / led
        if (folder / "trigger").exists():
            return folder
    return None


def led_trigger(paths: Paths) -> str | None:
    """The activity LED's trigger now (the kernel lists them all, the chosen one in [])."""
    folder = activity_led(paths)
    if folder is None:
        return None
    try:
        text = (folder / "trigger").read_text().strip()
    except OSError:
        return None
    chosen = [word[1:-1] for word in text.split() if word.startswith("[")]
    return chosen[0] if chosen else text


def clear_fault(
    paths: Paths, trigger: str | None = None, note: str = "", issue: Path | None = None
) -> None:
    """Take the fault down: with `trigger`, the LED goes back to it; with `note`, the
    console says what changed; the login prompt's note (`issue`, firstboot's own by
    default) goes last. Another fault's clearing leaves the boot file's fault as it is."""
    issue = issue or paths.issue
    if issue != paths.issue and paths.issue.exists():
        issue.unlink(missing_ok=True)
        try:
            write_console(paths, paths.issue.read_text())  # the fault that still stands
        except OSError as exc:
            log.warning("cannot read %s: %s", paths.issue, exc)
        return
    folder = activity_led(paths)
    if trigger and folder is not None:
        try:
            (folder / "trigger").write_text(trigger)
        except OSError as exc:
            log.warning("cannot reset %s: %s", folder.name, exc)
    if note:
        write_console(paths, f"\n=== ANTRIAN ===\n\n{note}\n\n")
    issue.unlink(missing_ok=True)


def unconfigure(paths: Paths) -> None:
    """After a failure nothing may look configured: each role unit starts on its file."""
    for config in paths.run.glob("*.toml"):
        config.unlink(missing_ok=True)
    shutil.rmtree(paths.run / "region", ignore_errors=True)


# --- the command -----------------------------------------------------------------------


def plan(
    data: dict[str, Any],
    stored: dict[str, Any],
    boot_file: Path,
    region_dir: Path = bootfile.REGION_DIR,
) -> tuple[BootFile, dict[str, dict[str, Any]]]:
    """The validated boot file and the configs it gives, errors naming the file."""
    try:
        boot = bootfile.parse(data, stored)
        return boot, bootfile.role_configs(boot, region_dir)
    except BootFileError as exc:
        raise SetupError(f"{boot_file.name}: {exc}") from None


def setup(paths: Paths) -> str:
    text, data, stored = read_boot(paths)
    boot, configs = plan(data, stored, paths.boot_file, paths.run / "region")
    install(paths, boot, configs)
    scrubbed = keep_secrets(paths, text, data, stored)
    set_network(paths, boot)
    set_hostname(paths, boot)
    clear_fault(paths)
    daemons = " and ".join(f"antrian-{name}" for name in configs)
    moved = "; secrets moved off the boot partition" if scrubbed else ""
    return f"node {boot.node} ({boot.role}): {daemons} configured in {paths.run}{moved}"


def check(boot_file: Path) -> str:
    """Validate a boot file on a laptop: the same checks, nothing written."""
    _, data = read_boot_file(boot_file)
    boot, configs = plan(data, {}, boot_file)
    check_configs(without_region_files(configs), boot_file.name)
    return f"{boot_file}: a valid {boot.role} ({boot.node}); it runs {', '.join(configs)}"


def without_region_files(configs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The configs as a laptop can check them: the region's TLS files exist only once the
    Pi wrote them (bootfile.region_files checked their text); the rest of [region] is
    checked by the hub's reader, with TLS on as the files would make it."""
    region = configs.get("hub", {}).get("region")
    if not isinstance(region, dict):
        return configs
    written = {key for _, key, _ in bootfile.REGION_PEMS}
    kept = {
        k: v
        for k, v in region.items()
        if not (k in written and Path(str(v)).parent == bootfile.REGION_DIR)
    }
    if len(kept) == len(region):
        return configs
    kept.setdefault("tls", True)
    return {**configs, "hub": {**configs["hub"], "region": kept}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antrian firstboot",
        description="Set this Pi up as the node its boot-partition file describes.",
    )
    parser.add_argument("--root", type=Path, default=Path("/"), help="a folder to act on")
    parser.add_argument("--boot-file", type=Path, help="default: ROOT/boot/firmware/antrian.toml")
    parser.add_argument("--check", type=Path, metavar="FILE", help="only validate FILE")
    args = parser.parse_args(argv)
    setup_logging("INFO")
    if args.check:
        try:
            print(check(args.check))
        except SetupError as exc:
            print(f"antrian firstboot: {exc}", file=sys.stderr)
            return 1
        return 0
    paths = Paths.under(args.root, args.boot_file)
    try:
        log.info("%s", setup(paths))
        return 0
    except SetupError as exc:
        problem = str(exc)
    except OSError as exc:
        # A disk problem, not the technician's file: still say so on the screen.
        problem = f"cannot write {exc.filename or 'a file'}: {exc.strerror or exc}"
        if str(exc.filename or "").startswith(str(paths.root / "var/lib/antrian")):
            problem += " (is the data partition, label antrian-data, mounted?)"
    log.error("%s", problem)
    unconfigure(paths)
    show_fault(paths, setup_screen(problem))
    return 1
