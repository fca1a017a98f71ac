"""`antrian provision-region --config region.toml --out DIR`: the regional broker's accounts
and ACL, and each office's uplink account.

From region.toml (`[broker]` username and base, `[[offices]]` id, name, account) it writes

    DIR/credentials.toml            every password, for the region's records (0600)
    DIR/broker/passwd, acl          the regional broker's accounts and ACL (mosquitto)
    DIR/offices/<account>.toml      each office's `[region]` table, with its password

Each office's account is its region id (the ACL's %u): it may write only under
`{base}/office/{account}/`. The `[region]` file goes into that office's hub.toml (the file
`antrian provision` reads), and from there onto the hub's boot card, whose first boot moves
the password off the card. Running it again keeps every password already in
credentials.toml, so adding an office does not cut off the ones already sending.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from common.accounts import mosquitto_hash, new_password, passwd_text, region_acl_text
from common.files import write_atomic
from common.wire import ID_PATTERN
from nodes.hub.uplink import DEFAULT_BASE

REGION_USER = "region"


class ProvisionError(Exception):
    pass


def read_region(path: Path) -> tuple[str, str, list[dict[str, str]]]:
    """(base, the region service's account, the offices) from region.toml. Only what
    provisioning needs is read here; `antrian region` validates the whole file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProvisionError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProvisionError(f"{path}: is not valid TOML: {exc}") from None
    broker = data.get("broker", {})
    base = broker.get("base", DEFAULT_BASE)
    user = broker.get("username", REGION_USER)
    if not isinstance(base, str) or not base or any(c in base for c in "+#"):
        raise ProvisionError(f"{path}: broker.base: must be a topic prefix, not {base!r}")
    if not isinstance(user, str) or not ID_PATTERN.match(user):
        raise ProvisionError(f"{path}: broker.username: must be an id, not {user!r}")
    offices = []
    for index, entry in enumerate(data.get("offices", [])):
        where = f"{path}: offices[{index}]"
        office_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(office_id, str) or not ID_PATTERN.match(office_id):
            raise ProvisionError(f"{where}.id: must be 1-32 letters, digits, '_' or '-'")
        account = entry.get("account", office_id)
        if not isinstance(account, str) or not ID_PATTERN.match(account):
            raise ProvisionError(f"{where}.account: must be 1-32 letters, digits, '_' or '-'")
        offices.append({"id": office_id, "name": str(entry.get("name", "")), "account": account})
    if not offices:
        raise ProvisionError(f"{path}: offices: needs at least one [[offices]] entry")
    accounts = [o["account"] for o in offices]
    for name in {a for a in accounts if accounts.count(a) > 1 or a == user}:
        raise ProvisionError(f"{path}: offices: the account {name!r} is used twice")
    return base, user, offices


def address(text: str, default_port: int) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    if not colon:
        return text, default_port
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ProvisionError(f"--broker-address: {port!r} is not a port")
    return host, int(port)


def provision(config: Path, out: Path, broker_address: str) -> list[tuple[str, Path]]:
    """Write every file; [(office account, its [region] file)]."""
    base, region_user, offices = read_region(config)
    host, port = address(broker_address, 1883)
    credentials_path = out / "credentials.toml"
    old: dict[str, Any] = {}
    if credentials_path.exists():
        try:
            old = tomllib.loads(credentials_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ProvisionError(f"{credentials_path}: is not valid TOML: {exc}") from None
    known = old.get("accounts", {})
    passwords = {user: known.get(user) or new_password() for user in [region_user]}
    passwords.update({o["account"]: known.get(o["account"]) or new_password() for o in offices})
    header = (
        "# Every password of the region's broker, from `antrian provision-region`. Keep it\n"
        "# safe: provisioning again reuses them, so offices already sending keep working.\n\n"
    )
    write_atomic(credentials_path, header + tomli_w.dumps({"accounts": passwords}), mode=0o600)
    hashes = {user: mosquitto_hash(password) for user, password in passwords.items()}
    write_atomic(out / "broker/passwd", passwd_text(hashes), mode=0o600)
    write_atomic(out / "broker/acl", region_acl_text(base, region_user), mode=0o644)
    written = []
    for office in offices:
        account = office["account"]
        table: dict[str, Any] = {"host": host, "port": port, "username": account}
        table["password"] = passwords[account]
        if base != DEFAULT_BASE:
            table["base"] = base
        text = (
            f"# The uplink of {office['name'] or office['id']} to the region, from"
            " `antrian provision-region`.\n# Paste it into this office's hub.toml, then run"
            " `antrian provision` for the office again.\n# For TLS add tls = true or"
            " ca_file (and the broker's TLS port), and cert_file and key_file for a client\n"
            "# certificate: files on the laptop, which `antrian provision` carries onto the"
            " hub's card.\n# See docs/config.md and docs/provisioning.md.\n\n"
            + tomli_w.dumps({"region": table})
        )
        path = out / "offices" / f"{account}.toml"
        write_atomic(path, text, mode=0o600)
        written.append((account, path))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antrian provision-region",
        description="Write the regional broker's accounts and ACL and each office's [region].",
    )
    parser.add_argument("--config", required=True, type=Path, help="the region's region.toml")
    parser.add_argument("--out", required=True, type=Path, help="folder for the results")
    parser.add_argument(
        "--broker-address",
        required=True,
        help="how the offices reach the regional broker: HOST or HOST:PORT (default 1883)",
    )
    args = parser.parse_args(argv)
    try:
        written = provision(args.config, args.out, args.broker_address)
    except ProvisionError as exc:
        print(f"antrian provision-region: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out / 'credentials.toml'} (keep it safe) and {args.out / 'broker'}/")
    for account, path in written:
        print(f"  {account:<32} {path}")
    return 0
