"""The boot-partition file, `/boot/firmware/antrian.toml`: one small file makes a Pi a node.

Every card is flashed with the same image; this file says what the Pi is:

    role = "kiosk"                 # hub | kiosk | counter | display
    node = "kiosk-1"               # this node's id in the hub's [[nodes]]
    hub = "antrian-hub.local"      # the hub's address, ":port" optional
    password = "…"                 # this node's broker password (moved off the card at boot)
    counter = "1"                  # counter nodes only

    [wifi]                         # optional; without it the Pi uses Ethernet
    ssid = "Kantor"
    password = "…"

    [office]                       # and any other table of the role's config: it is laid
    id = "kantor"                  # over the image's defaults for the role

The hub's file also carries the whole office ([[services]], [[counters]], [[nodes]]), the
broker's accounts (`[accounts]`, hashed), when the office has a web front end, the
web's broker password (`web_password`) and its `[web]` table, and with a regional uplink
its `[region]`, carrying the text of its TLS files (`ca_pem`, `cert_pem`, `key_pem`), which
the Pi has no copy of (`region_files`).

This module is pure: it parses text and builds the role configs as dictionaries. Files,
/run and the LED are `firstboot.py`'s business.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from common.wire import ID_PATTERN

ROLES = ("hub", "kiosk", "counter", "display")
BROKER_PORT = 1883
# Top-level keys of the boot file that are not tables of the role's config.
BOOT_KEYS = ("role", "node", "hub", "password", "counter", "web_password")
# Tables that only the boot file has: firstboot consumes them.
BOOT_TABLES = ("wifi", "accounts")
# Tables firstboot writes itself, so the boot file may not set them.
DERIVED_TABLES = ("node", "broker")
HOST_PATTERN = re.compile(r"^[A-Za-z0-9.-]{1,253}$")
MIN_PASSWORD = 12
# (table or "" for top level, key): values moved off the FAT partition at boot.
SECRETS = (
    ("", "password"),
    ("", "web_password"),
    ("wifi", "password"),
    ("web", "secret_key"),
    ("region", "password"),  # the office's account on the regional broker
    ("region", "key_pem"),  # the office's TLS client key for the regional broker
)
# A stored secret that comes back only beside this key: a card provisioned again without
# a client certificate must not get the old certificate's key back.
SECRET_PARTNERS = {("region", "key_pem"): "cert_pem"}
#: Where firstboot writes the [region] TLS files carried on the hub's card.
REGION_DIR = Path("/run/antrian/region")
#: (the card's [region] key holding a file's text, the hub's key naming the file, its name):
#: the Pi has no copy of the files the office's plan named, so the card carries them.
REGION_PEMS = (
    ("ca_pem", "ca_file", "ca.pem"),
    ("cert_pem", "cert_file", "cert.pem"),
    ("key_pem", "key_file", "key.pem"),
)


class BootFileError(Exception):
    """What is wrong with the boot file, phrased for the technician holding the SD card."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}" if key else problem)


@dataclass(frozen=True)
class Wifi:
    ssid: str
    password: str  # empty: an open network
    country: str = "ID"


@dataclass(frozen=True)
class BootFile:
    role: str
    node: str
    hub_host: str
    hub_port: int
    password: str
    counter: str | None = None
    wifi: Wifi | None = None
    web_password: str = ""
    accounts: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def hostname(self) -> str:
        return f"antrian-{self.node}"


def parse(data: dict[str, Any], stored: dict[str, Any] | None = None) -> BootFile:
    """Validate the parsed boot file. `stored` holds the secrets kept from an earlier boot
    (see `secrets_of`); they fill in what was scrubbed from the card, for the same node."""
    data = copy.deepcopy(data)
    if stored and stored.get("node") == node_of(data):
        _fill_secrets(data, stored)
    role = data.get("role")
    if role not in ROLES:
        # Never guess: a kiosk booted as a display is worse than a node that waits.
        raise BootFileError("role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    node = _id(data, "node", "hub" if role == "hub" else None)
    if role == "hub":
        host, port = "127.0.0.1", BROKER_PORT
    else:
        host, port = _address(data.get("hub"))
    password = data.get("password")
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise BootFileError(
            "password",
            f"must be this node's broker password (at least {MIN_PASSWORD} characters, "
            "from `antrian provision`)",
        )
    counter = _id(data, "counter", None) if role == "counter" else None
    if role != "counter" and "counter" in data:
        raise BootFileError("counter", 'is only for role = "counter"')
    for name in DERIVED_TABLES:
        if isinstance(data.get(name), dict):
            raise BootFileError(f"[{name}]", "is set by firstboot from node/hub/password")
    extra = sorted(
        k for k, v in data.items() if k not in BOOT_KEYS and not isinstance(v, dict | list)
    )
    if extra:
        raise BootFileError(extra[0], "unknown key (misspelled?)")
    web_password = data.get("web_password", "")
    if role != "hub" and ("web_password" in data or "accounts" in data):
        raise BootFileError(
            "web_password" if "web_password" in data else "[accounts]", "is only for the hub"
        )
    if not isinstance(web_password, str):
        raise BootFileError("web_password", "must be a string")
    accounts = data.get("accounts", {})
    if not isinstance(accounts, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.startswith("$7$")
        for k, v in accounts.items()
    ):
        raise BootFileError("[accounts]", "must map node ids to mosquitto hashes ($7$...)")
    overrides = {k: v for k, v in data.items() if k not in BOOT_KEYS and k not in BOOT_TABLES}
    return BootFile(
        role=role,
        node=node,
        hub_host=host,
        hub_port=port,
        password=password,
        counter=counter,
        wifi=_wifi(data.get("wifi")),
        web_password=web_password,
        accounts=dict(accounts),
        overrides=overrides,
    )


def parse_text(text: str, stored: dict[str, Any] | None = None) -> BootFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BootFileError("", f"is not valid TOML: {exc}") from None
    return parse(data, stored)


def _id(data: dict[str, Any], key: str, default: str | None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise BootFileError(key, f"must be 1-32 letters, digits, '_' or '-', not {value!r}")
    return value


def _address(value: Any) -> tuple[str, int]:
    if not isinstance(value, str) or not value:
        raise BootFileError("hub", 'must be the hub\'s address, e.g. "antrian-hub.local"')
    host, _, port_text = value.partition(":")
    if not HOST_PATTERN.match(host):
        raise BootFileError("hub", f"is not a host name or IPv4 address: {value!r}")
    if not port_text:
        return host, BROKER_PORT
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise BootFileError("hub", f"port must be 1-65535, not {port_text!r}")
    return host, int(port_text)


def _wifi(value: Any) -> Wifi | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BootFileError("[wifi]", "must be a table")
    unknown = sorted(set(value) - {"ssid", "password", "country"})
    if unknown:
        raise BootFileError(f"wifi.{unknown[0]}", "unknown key (misspelled?)")
    ssid = value.get("ssid")
    password, country = value.get("password", ""), value.get("country", "ID")
    if not isinstance(ssid, str) or not 1 <= len(ssid.encode()) <= 32:
        raise BootFileError("wifi.ssid", "must be the network's name (1-32 bytes)")
    if not isinstance(password, str) or not (password == "" or 8 <= len(password) <= 63):
        raise BootFileError(
            "wifi.password", 'must be 8-63 characters (WPA2), or "" for an open network'
        )
    if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
        raise BootFileError("wifi.country", 'must be a two-letter country code, e.g. "ID"')
    return Wifi(ssid, password, country)


# --- secrets -------------------------------------------------------------------------


def _fill_secrets(data: dict[str, Any], stored: dict[str, Any]) -> None:
    for table, key in SECRETS:
        value = stored.get(f"{table}.{key}" if table else key)
        if not isinstance(value, str):
            continue
        # A table the technician removed (no more Wi-Fi) does not come back.
        target = data.get(table) if table else data
        if not isinstance(target, dict) or key in target:
            continue
        partner = SECRET_PARTNERS.get((table, key))
        if partner is None or partner in target:
            target[key] = value


def node_of(data: dict[str, Any]) -> Any:
    return data.get("node", "hub" if data.get("role") == "hub" else None)


def secrets_of(data: dict[str, Any]) -> dict[str, Any]:
    """The secret values in a parsed boot file, keyed "table.key", with the node id."""
    found: dict[str, Any] = {"node": node_of(data)}
    for table, key in SECRETS:
        source = data.get(table, {}) if table else data
        if isinstance(source, dict) and isinstance(source.get(key), str):
            found[f"{table}.{key}" if table else key] = source[key]
    return found


def scrub(text: str, note: str) -> str:
    """The boot file's text with each secret's line replaced by a comment.

    Line-based on purpose: the technician's comments and layout stay as they were. Only
    single-line `key = "value"` assignments are touched; the caller checks the result."""
    lines = text.splitlines(keepends=True)
    table = ""
    wanted = {(t, k) for t, k in SECRETS}
    out = []
    for line in lines:
        header = re.match(r"^\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?", line)
        if header:
            table = header.group(1)
        assignment = re.match(r"^(\s*)([A-Za-z0-9_-]+)\s*=", line)
        if assignment and (table, assignment.group(2)) in wanted:
            ending = "\n" if line.endswith("\n") else ""
            out.append(f"{assignment.group(1)}# {assignment.group(2)}: {note}{ending}")
            continue
        out.append(line)
    return "".join(out)


# --- the role's configs --------------------------------------------------------------


def defaults(role: str) -> dict[str, Any]:
    text = resources.files("nodes.setup").joinpath(f"defaults/{role}.toml").read_text("utf-8")
    return tomllib.loads(text)


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else (values, arrays of tables) replaces."""
    result = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def role_configs(boot: BootFile, region_dir: Path = REGION_DIR) -> dict[str, dict[str, Any]]:
    """{config name: config} for this Pi: one per daemon it runs ("hub" also runs "web").
    The hub's [region] names its TLS files in `region_dir` (see `region_files`)."""
    overrides = {k: v for k, v in boot.overrides.items() if not (boot.role == "hub" and k == "web")}
    config = merge(defaults(boot.role), overrides)
    if boot.role == "hub" and "region" in config:
        config["region"] = region_files(config["region"], region_dir)[0]
    config["node"] = {"id": boot.node}
    config["broker"] = _broker(boot.hub_host, boot.hub_port, boot.node, boot.password)
    if boot.counter is not None:
        config.setdefault("counter", {})["id"] = boot.counter
    configs = {boot.role: config}
    web_node = _web_node(boot)
    if web_node is not None:
        configs["web"] = _web_config(boot, config, web_node)
    return configs


def _web_node(boot: BootFile) -> str | None:
    if boot.role != "hub" or "web" not in boot.overrides:
        return None
    nodes = boot.overrides.get("nodes", [])
    ids = [n.get("id") for n in nodes if isinstance(n, dict) and n.get("role") == "web"]
    if len(ids) != 1 or not isinstance(ids[0], str):
        raise BootFileError("[web]", 'needs exactly one [[nodes]] entry with role = "web"')
    if len(boot.web_password) < MIN_PASSWORD:
        raise BootFileError(
            "web_password", f"must be the web node's broker password (≥ {MIN_PASSWORD} characters)"
        )
    return ids[0]


def _web_config(boot: BootFile, hub: dict[str, Any], node: str) -> dict[str, Any]:
    office = hub.get("office", {})
    config = merge(defaults("web"), {"web": boot.overrides["web"]})
    config["office"] = {k: office[k] for k in ("id", "name", "timezone") if k in office}
    config["node"] = {"id": node}
    config["broker"] = _broker("127.0.0.1", BROKER_PORT, node, boot.web_password)
    config["hub"] = {"database": hub["hub"]["database"]}
    return config


def _broker(host: str, port: int, user: str, password: str) -> dict[str, Any]:
    return {"host": host, "port": port, "username": user, "password": password}


# --- the region's TLS files ----------------------------------------------------------


@dataclass(frozen=True)
class RegionFile:
    path: Path
    text: str
    mode: int
    group_mode: int | None = None  # on the Pi: this mode, group antrian (the hub's user)


def region_files(region: Any, folder: Path) -> tuple[dict[str, Any], list[RegionFile]]:
    """(the hub's [region] table, the files to write for it) from the card's [region].

    Each PEM the card carries (`ca_pem`, `cert_pem`, `key_pem`) becomes a file in `folder`,
    and the table names it (`ca_file`, ...) as if a technician had copied it there. The
    private key is the hub's alone: 0600, or 0640 to group antrian on the Pi, where the
    hub runs as user antrian. The password stays in the table, like the broker's."""
    if not isinstance(region, dict):
        raise BootFileError("[region]", "must be a table")
    table = dict(region)
    files = []
    for carried, key, name in REGION_PEMS:
        if carried not in table:
            continue
        text = table.pop(carried)
        secret = key == "key_file"
        marker = "PRIVATE KEY-----" if secret else "-----BEGIN CERTIFICATE-----"
        if not isinstance(text, str) or marker not in text:
            raise BootFileError(f"region.{carried}", f"must be PEM text ({marker}...)")
        if key in table:
            raise BootFileError(f"region.{key}", f"give {carried} or {key}, not both")
        table[key] = str(folder / name)
        files.append(
            RegionFile(folder / name, text, 0o600, 0o640) if secret
            else RegionFile(folder / name, text, 0o644)
        )  # fmt: skip
    return table, files
