"""`antrian provision --config hub.toml --out DIR`: everything the cards of one office need.

From the hub's config (the office: services, counters, nodes) it writes

    DIR/credentials.toml           every password, for the office's records (0600)
    DIR/broker/passwd, acl         the broker's accounts and ACL (the hub's card carries them)
    DIR/boot/<node>/antrian.toml   one ready boot-partition file per Pi

Each node gets its own strong broker password and may publish only under its own
`node/{id}/` topics. Running it again keeps every password already in credentials.toml,
so adding a kiosk later does not lock out the cards already in the office.

A `[web]` table in the provisioning file (not read by the hub itself) is carried to the
web front end on the hub Pi; its secret key and an `admin` dashboard account are made here.
The files a `[region]` table names (TLS, password) are read here and their text carried on
the hub's card: the Pi has no copy of them.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from secrets import token_urlsafe
from typing import Any

import tomli_w

from common.accounts import acl_text, mosquitto_hash, new_password, passwd_text
from common.config import ConfigError, Table
from common.files import write_atomic
from nodes.hub.daemon import load_config
from nodes.setup import bootfile
from nodes.setup.firstboot import SetupError, check

# The kiosk's standard wiring (docs/provisioning.md): service buttons in the order of the
# office's [[services]], each (button pin, lamp pin), BCM numbers; and the priority button.
# Avoids GPIO 2/3 (I2C) and 14/15 (serial console).
KIOSK_BUTTONS = ((17, 27), (22, 23), (24, 25), (5, 6), (13, 19), (26, 21))
KIOSK_PRIORITY = (16, 20)
WEB_PORT = 8080


class ProvisionError(Exception):
    pass


def load_office(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the hub config, the [web] table) from the provisioning file, validated by the hub."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProvisionError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProvisionError(f"{path}: is not valid TOML: {exc}") from None
    web = data.pop("web", {})
    region = carried_region(data["region"], path) if "region" in data else None
    try:
        load_config(Table(data, path))  # the hub's own reader: the same rules
    except ConfigError as exc:
        raise ProvisionError(f"{path}: {exc.key}: {exc.problem}") from None
    if region is not None:
        data["region"] = region
    return data, web


def carried_region(region: Any, path: Path) -> Any:
    """The office's [region] for the hub's card: the files it names are on this laptop,
    not on the Pi, so the card carries their text instead (`ca_pem`, `cert_pem`, `key_pem`,
    and `password` for `password_file`); the Pi's first boot writes them back as files
    (bootfile.region_files) and moves the key and the password off the card."""
    if not isinstance(region, dict):
        return region  # the hub's reader says what is wrong with it
    table = Table(region, path, "region")
    carried = dict(region)
    pairs = [(key, pem) for pem, key, _ in bootfile.REGION_PEMS] + [("password_file", "password")]
    for key, into in pairs:
        if key not in region:
            continue
        try:
            file = table.filepath(key)
        except ConfigError as exc:
            raise ProvisionError(f"{path}: {exc.key}: {exc.problem}") from None
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else "not text"
            raise ProvisionError(f"{path}: region.{key}: cannot read {file} ({reason})") from None
        del carried[key]
        carried[into] = text.strip() if into == "password" else text
    return carried


def read_credentials(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProvisionError(f"{path}: is not valid TOML: {exc}") from None


def plan_credentials(
    office: dict[str, Any], web: dict[str, Any], old: dict[str, Any]
) -> dict[str, Any]:
    """Every password: kept from `old`, else from the config, else new."""
    hub_id = hub_node(office)
    known = old.get("broker", {})
    broker: dict[str, str] = {}
    for node in [{"id": hub_id}, *office.get("nodes", [])]:
        node_id = node["id"]
        broker[node_id] = node.get("password") or known.get(node_id) or new_password()
    credentials: dict[str, Any] = {"broker": broker}
    if web_node(office) is not None:
        old_web = old.get("web", {})
        users = dict(old_web.get("users", {}))
        if not web.get("users"):
            users.setdefault("admin", new_password())
        credentials["web"] = {
            "secret_key": web.get("secret_key") or old_web.get("secret_key") or token_urlsafe(32),
            "users": users,
        }
    return credentials


def hub_node(office: dict[str, Any]) -> str:
    return str(office.get("node", {}).get("id", "hub"))


def web_node(office: dict[str, Any]) -> str | None:
    ids = [n["id"] for n in office.get("nodes", []) if n.get("role") == "web"]
    if len(ids) > 1:
        raise ProvisionError(
            f"[[nodes]]: {len(ids)} web nodes ({', '.join(ids)}); the web front end runs on "
            "the hub Pi, so list exactly one"
        )
    return ids[0] if ids else None


def assignment(**values: Any) -> str:
    return tomli_w.dumps(values)


def node_file(
    office: dict[str, Any],
    node: dict[str, Any],
    password: str,
    hub_address: str,
    wifi: dict[str, str] | None,
    base_url: str,
) -> str:
    role, node_id = node["role"], node["id"]
    office_table = office.get("office", {})
    top: dict[str, Any] = {"role": role, "node": node_id, "hub": hub_address, "password": password}
    warnings = []
    if role == "counter":
        counters = node.get("counters", [])
        if not counters:
            raise ProvisionError(f"[[nodes]] {node_id}: a counter node needs counters = [...]")
        top["counter"] = counters[0]
        if len(counters) > 1:
            warnings.append(
                f"# This node may command {', '.join(counters)}; it drives {counters[0]}."
            )
    tables: dict[str, Any] = {
        "office": {k: office_table[k] for k in ("id", "timezone") if k in office_table}
    }
    if role == "kiosk":
        tables.update(kiosk_tables(office, base_url))
    if role == "display":
        tables["screen"] = {"running_text": running_text(office_table)}
    lines = [
        f"# Antrian boot file for {node_id} ({role}) of {office_table.get('name', 'the office')}.",
        "# Copy it as antrian.toml onto this Pi's SD card boot partition, then power on.",
        "# The password moves off the card at the first boot. Reference: docs/provisioning.md",
        *warnings,
        "",
        assignment(**top),
        wifi_text(wifi),
        tomli_w.dumps(tables),
    ]
    return "\n".join(lines)


def running_text(office_table: dict[str, Any]) -> str:
    """The display's scrolling line at the bottom, for the office to edit on the card."""
    name = office_table.get("name")
    welcome = f"Selamat datang di {name}." if name else "Selamat datang."
    return (
        f"{welcome} Ambil nomor antrian di kios, lalu tunggu sampai nomor Anda dipanggil. "
        "Layanan ini tidak dipungut biaya."
    )


def kiosk_tables(office: dict[str, Any], base_url: str) -> dict[str, Any]:
    services = [s["id"] for s in office.get("services", [])]
    buttons = {
        service: {"pin": pin, "led": led}
        for service, (pin, led) in zip(services, KIOSK_BUTTONS, strict=False)
    }
    pin, led = KIOSK_PRIORITY
    return {
        "kiosk": {"base_url": base_url},
        "input": {"type": "gpio", "buttons": buttons, "priority": {"pin": pin, "led": led}},
    }


def wifi_text(wifi: dict[str, str] | None) -> str:
    if wifi:
        return tomli_w.dumps({"wifi": wifi})
    return (
        "# Wi-Fi instead of Ethernet: uncomment and fill in.\n"
        '# [wifi]\n# ssid = "Kantor"\n# password = "..."\n# country = "ID"\n'
    )


def hub_file(
    office: dict[str, Any],
    web: dict[str, Any],
    credentials: dict[str, Any],
    accounts: dict[str, str],
    wifi: dict[str, str] | None,
    base_url: str,
) -> str:
    from nodes.hub.web.accounts import hash_password

    hub_id = hub_node(office)
    broker = credentials["broker"]
    top: dict[str, Any] = {"role": "hub", "node": hub_id, "password": broker[hub_id]}
    tables: dict[str, Any] = {}
    for key, value in office.items():
        if key in ("node", "broker"):
            continue  # firstboot writes them for the Pi
        if key == "hub":
            # The machine's paths are the image's (the data partition), not this laptop's.
            value = {k: v for k, v in value.items() if k not in ("database", "archive_dir")}
        if key == "nodes":
            value = [{k: v for k, v in n.items() if k != "password"} for n in value]
        tables[key] = value
    tables["accounts"] = accounts
    web_id = web_node(office)
    if web_id is not None:
        top["web_password"] = broker[web_id]
        settings = dict(web)
        settings.setdefault("base_url", base_url)
        settings["secret_key"] = credentials["web"]["secret_key"]
        if not settings.get("users"):
            settings["users"] = [
                {"name": name, "role": "admin", "password_hash": hash_password(pw)}
                for name, pw in credentials["web"]["users"].items()
            ]
        tables["web"] = settings
    lines = [
        f"# Antrian boot file for the hub of {office.get('office', {}).get('name', 'the office')}.",
        "# Copy it as antrian.toml onto the hub Pi's SD card boot partition, then power on.",
        "# Generated by `antrian provision`: change the office in hub.toml and run it again.",
        "",
        assignment(**top),
        wifi_text(wifi),
        tables_text(tables),
    ]
    return "\n".join(lines)


def tables_text(tables: dict[str, Any]) -> str:
    """Like tomli_w.dumps, but [[services]], [[counters]] and [[nodes]] stay in the block form
    of hub.toml (tomli_w inlines short ones), which a technician reads and edits more easily."""
    chunks = []
    for key, value in tables.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            chunks += [f"[[{key}]]\n" + tomli_w.dumps(entry) for entry in value]
        else:
            chunks.append(tomli_w.dumps({key: value}))
    return "\n".join(chunks)


def public_url(web: dict[str, Any], hub_address: str) -> str:
    """What the tickets' QR codes open: the web's own `base_url` when the office set one
    (a public name, HTTPS), else the hub by the name the nodes use, on the web's port."""
    configured = web.get("base_url")
    if isinstance(configured, str) and configured:
        return configured
    port = web.get("port", WEB_PORT)
    return f"http://{hub_address.partition(':')[0]}:{port}"


def provision(
    config: Path, out: Path, hub_address: str, wifi: dict[str, str] | None
) -> list[tuple[str, str, Path]]:
    office, web = load_office(config)
    credentials_path = out / "credentials.toml"
    credentials = plan_credentials(office, web, read_credentials(credentials_path))
    web_id = web_node(office)
    base_url = public_url(web, hub_address) if web_id else ""
    header = (
        "# Every password of this office's Antrian, from `antrian provision`. Keep it safe and\n"
        "# offline: provisioning again reuses them, so the cards already in use keep working.\n\n"
    )
    write_atomic(credentials_path, header + tomli_w.dumps(credentials), mode=0o600)
    broker = credentials["broker"]
    hub_id = hub_node(office)
    office_id = office.get("office", {}).get("id", "kantor")
    accounts = {user: mosquitto_hash(pw) for user, pw in broker.items()}
    write_atomic(out / "broker/passwd", passwd_text(accounts), mode=0o600)
    write_atomic(out / "broker/acl", acl_text(office_id, hub_id), mode=0o644)
    written = []
    hub_path = out / "boot" / hub_id / "antrian.toml"
    write_atomic(hub_path, hub_file(office, web, credentials, accounts, wifi, base_url), mode=0o600)
    written.append((hub_id, "hub" + (f" + web ({web_id})" if web_id else ""), hub_path))
    for node in office.get("nodes", []):
        if node["role"] == "web":
            continue
        path = out / "boot" / node["id"] / "antrian.toml"
        text = node_file(office, node, broker[node["id"]], hub_address, wifi, base_url)
        write_atomic(path, text, mode=0o600)
        written.append((node["id"], node["role"], path))
    for _, _, path in written:
        check(path)  # what we hand the technician must pass the Pi's own checks
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antrian provision",
        description="Write broker accounts and one boot-partition file per node.",
    )
    parser.add_argument("--config", required=True, type=Path, help="the hub's TOML file")
    parser.add_argument("--out", required=True, type=Path, help="folder for the results")
    parser.add_argument(
        "--hub-address",
        default="antrian-hub.local",
        help="how the nodes reach the hub (default: antrian-hub.local, by mDNS)",
    )
    parser.add_argument("--wifi-ssid", help="join this Wi-Fi network on every node")
    parser.add_argument("--wifi-password", default="", help="its WPA2 password")
    parser.add_argument("--wifi-country", default="ID", help="regulatory country (default ID)")
    args = parser.parse_args(argv)
    wifi = None
    if args.wifi_ssid:
        wifi = {
            "ssid": args.wifi_ssid,
            "password": args.wifi_password,
            "country": args.wifi_country,
        }
    try:
        written = provision(args.config, args.out, args.hub_address, wifi)
    except (ProvisionError, SetupError, bootfile.BootFileError) as exc:
        print(f"antrian provision: {exc}", file=sys.stderr)
        return 2
    credentials = args.out / "credentials.toml"
    print(f"wrote {credentials} (keep it safe) and {args.out / 'broker'}/")
    for node_id, role, path in written:
        print(f"  {node_id:<12} {role:<22} {path}")
    users = tomllib.loads(credentials.read_text(encoding="utf-8")).get("web", {}).get("users", {})
    if users:
        address = args.hub_address.partition(":")[0]
        print(
            f"dashboard: http://{address}:{WEB_PORT}/dasbor, sign in as "
            f"{' or '.join(sorted(users))}; the password is in {credentials} [web.users]"
        )
    elif any(role.startswith("hub + web") for _, role, _ in written):
        print("dashboard: the users and passwords of [web] users in the office file")
    print("the display's running text is in its card, [screen] running_text: edit it there")
    region = tomllib.loads(written[0][2].read_text(encoding="utf-8")).get("region")
    if region is not None:
        carried = [pem for pem, _, _ in bootfile.REGION_PEMS if pem in region]
        print(
            f"region: the hub's card carries [region] ({', '.join([*carried, 'password'])}); "
            "its first boot moves the key and password off the card"
        )
    return 0
