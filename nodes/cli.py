"""`antrian <command> ...`: one entry point for every role, so an SD card image needs one
program and a systemd unit per role.

Each command lives in its own module and is imported only when chosen: a kiosk never
loads pygame, a display never loads the printer driver.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "hub": ("nodes.hub.daemon", "the hub: queue, store, broker contract"),
    "kiosk": ("nodes.kiosk.daemon", "a kiosk: service buttons and ticket printer"),
    "counter": ("nodes.counter.daemon", "a counter: officer keypad and indicator"),
    "display": ("nodes.display.daemon", "the waiting-room screen and voice"),
    "web": ("nodes.hub.web.daemon", "online queue, status pages, office dashboard"),
    "region": ("nodes.region.daemon", "the regional service: offices' logs, PostgreSQL, dashboard"),
    "report": ("nodes.hub.reports.cli", "daily/range reports: html, xlsx, pdf, csv"),
    "restore": ("nodes.hub.backup", "put a backup of the hub's database back (hub stopped)"),
    "simulate-day": ("nodes.hub.simulate", "fill a database with a realistic day"),
    "officer-pin": ("nodes.hub.officer_pin", "print the hash of an officer's PIN for [[officers]]"),
    "acl": ("nodes.hub.acl", "write mosquitto password and ACL files from the hub config"),
    "provision": ("nodes.setup.provision", "broker accounts and a boot file for every node"),
    "provision-region": (
        "nodes.setup.provision_region",
        "the regional broker's accounts and ACL, each office's [region]",
    ),
    "firstboot": ("nodes.setup.firstboot", "at boot: make this Pi the node its boot file says"),
    "wifi-watch": ("nodes.setup.wifiwatch", "at boot: show a Wi-Fi that does not connect"),
    "update-agent": ("nodes.update.agent", "on each Pi: install the update the hub commands"),
    "update-office": ("nodes.update.rollout", "on the hub: push a bundle to every node in turn"),
    "update-check": ("nodes.update.health", "at boot: keep a new A/B root only if the node is up"),
}


def usage() -> str:
    lines = ["usage: antrian <command> --config FILE [options]", "", "commands:"]
    width = max(map(len, COMMANDS))
    lines += [f"  {name:<{width}} {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        print(f"antrian: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    result: int = module.main(rest)
    return result


if __name__ == "__main__":
    sys.exit(main())
