"""`antrian acl`: mosquitto's password file and ACL (common/accounts.py), from the hub's config.

Passwords come from `[[nodes]] password = "..."` in the hub's file (and the hub's own from
`[broker] username/password`); a node without a password gets no account.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from common import config
from common.accounts import acl_text, mosquitto_hash, passwd_text
from common.files import write_atomic
from nodes.hub.office import read_office

log = logging.getLogger("antrian.acl")


def node_passwords(root: config.Table) -> dict[str, str]:
    """node id -> password, for the nodes that have one."""
    nodes = [(t.data.get("id"), t.data.get("password")) for t in root.tables("nodes")]
    return {n: p for n, p in nodes if isinstance(n, str) and isinstance(p, str) and p}


def write_files(config_path: str, out: Path) -> tuple[Path, Path]:
    root = config.load(config_path)
    identity = config.read_identity(root, node_id_default="hub")
    office = read_office(root)
    hub_user = identity.broker.username or identity.node_id
    passwords = node_passwords(root)
    if identity.broker.password:
        passwords[hub_user] = identity.broker.password
    out.mkdir(parents=True, exist_ok=True)
    acl_path = out / "mosquitto.acl"
    acl_path.write_text(acl_text(office.id, hub_user))
    passwd_path = out / "mosquitto.passwd"
    accounts = {user: mosquitto_hash(password) for user, password in passwords.items()}
    write_atomic(passwd_path, passwd_text(accounts), mode=0o600)
    return passwd_path, acl_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antrian acl", description="Write mosquitto's password file and ACL."
    )
    parser.add_argument("--config", required=True, help="the hub's TOML file")
    parser.add_argument("--out", required=True, type=Path, help="folder for the two files")
    args = parser.parse_args(argv)
    try:
        passwd, acl = write_files(args.config, args.out)
    except config.ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {passwd} and {acl}")
    return 0
