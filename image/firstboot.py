#!/usr/bin/env python3
"""First boot of an Antrian SD card: turn the technician's boot-partition file into a node.

The technician flashes one image for every role, then edits one file on the FAT boot
partition (readable from any laptop): `antrian.toml`. It is the node's own config with one
extra top-level key, `role`. On every boot this script:

1. reads `/boot/firmware/antrian.toml` (validates `role` and `[node] id`),
2. installs it as `/etc/antrian/{role}.toml` (without the `role` line),
3. sets the hostname to `antrian-{node id}` (so the dashboard and `ssh` agree),
4. enables exactly one `antrian-{role}.service` (and mosquitto plus its ACL on the hub).

It runs before the node's unit (antrian-firstboot.service), is idempotent, and logs in
English for the technician. Standard library only: it runs before anything else is sure.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROLES = ("hub", "kiosk", "counter", "display", "web")
ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ROLE_LINE = re.compile(r"^\s*role\s*=.*$", re.MULTILINE)


class SetupError(Exception):
    pass


def read_boot_file(path: Path) -> tuple[str, str, str]:
    """(role, node id, the config text without the role line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SetupError(f"{path}: not found; copy antrian.example.toml and set role") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SetupError(f"{path}: not valid TOML: {exc}") from None
    role = data.get("role")
    if role not in ROLES:
        raise SetupError(f"{path}: role: must be one of {', '.join(ROLES)}, not {role!r}")
    node = data.get("node", {}).get("id", "hub" if role == "hub" else None)
    if not isinstance(node, str) or not ID.match(node):
        raise SetupError(f"{path}: node.id: must be 1-32 letters, digits, '_' or '-'")
    # `role` must be the first key (before any [table]) for TOML to read it as top-level.
    return role, node, ROLE_LINE.sub(f"# role = {role!r} (set on the boot partition)", text, 1)


def enable(root: Path, unit: str) -> None:
    """`systemctl enable`, done by hand so it also works on an image being built."""
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / unit
    if not link.is_symlink():
        link.symlink_to(f"/etc/systemd/system/{unit}")


def disable(root: Path, unit: str) -> None:
    link = root / "etc/systemd/system/multi-user.target.wants" / unit
    if link.is_symlink():
        link.unlink()


def setup(boot_file: Path, root: Path, *, run_commands: bool) -> str:
    role, node, text = read_boot_file(boot_file)
    etc = root / "etc/antrian"
    etc.mkdir(parents=True, exist_ok=True)
    target = etc / f"{role}.toml"
    target.write_text(text, encoding="utf-8")
    target.chmod(0o640)
    (root / "etc/hostname").write_text(f"antrian-{node}\n")
    for other in ROLES:
        (enable if other == role else disable)(root, f"antrian-{other}.service")
    if role == "hub":
        enable(root, "mosquitto.service")
        if run_commands:
            subprocess.run(
                [
                    "/opt/antrian/venv/bin/antrian",
                    "acl",
                    "--config",
                    str(target),
                    "--out",
                    str(etc),
                ],
                check=True,
            )
    if run_commands:
        subprocess.run(["hostname", f"antrian-{node}"], check=False)
        subprocess.run(["systemctl", "daemon-reload"], check=False)
    return f"node {node}: role {role}, config {target}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Set up this Pi's role from the boot file.")
    parser.add_argument("--boot-file", type=Path, default=Path("/boot/firmware/antrian.toml"))
    parser.add_argument("--root", type=Path, default=Path("/"), help="for image builds/tests")
    parser.add_argument("--no-commands", action="store_true", help="only write files")
    args = parser.parse_args(argv)
    try:
        print(setup(args.boot_file, args.root, run_commands=not args.no_commands))
    except SetupError as exc:
        print(f"antrian-firstboot: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
