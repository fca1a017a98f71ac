"""`region.toml`: the region, its broker, its database, its web and its offices.

[region]
name = "Kabupaten Contoh"
timezone = "Asia/Jakarta"            # the days of the dashboard
[broker]
host = "mqtt.region.example"
port = 8883
username = "region"
password = "..."
base = "antrian-region"              # the contract's topic base B
tls = true                           # with ca_file (and certfile/keyfile for client certs)
ca_file = "/etc/antrian/region-ca.pem"
[database]
url = "postgresql://antrian@/antrian_region"
[web]
host = "0.0.0.0"
port = 8090
secret_key = "a long random string"  # signs session cookies and CSRF tokens
[[web.users]]                        # as the office web's (antrian web --hash-password)
name = "bupati"
password_hash = "$argon2id$..."
[[offices]]
id = "kec-a"                          # the region id: the topic's OFFICE
name = "Kecamatan A"
account = "kec-a"                     # its username on the regional broker (= id by default)
[log]
level = "INFO"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common import config
from common.config import BrokerConfig, ConfigError, NodeIdentity, Table
from nodes.hub.web.config import MIN_SECRET_LENGTH, User

DEFAULT_BASE = "antrian-region"


@dataclass(frozen=True)
class RegionBroker:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    base: str = DEFAULT_BASE
    keepalive: int = 30
    tls: bool = False
    ca_file: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None


@dataclass(frozen=True)
class OfficeEntry:
    id: str
    name: str
    account: str


@dataclass(frozen=True)
class RegionWeb:
    host: str = "127.0.0.1"
    port: int = 8090
    secret_key: str = "x" * MIN_SECRET_LENGTH
    secure_cookies: bool = False
    sign_in_attempts: int = 10
    sign_in_lock_s: int = 900
    users: tuple[User, ...] = ()

    def user(self, name: str) -> User | None:
        return next((u for u in self.users if u.name == name), None)


@dataclass(frozen=True)
class RegionConfig:
    name: str
    broker: RegionBroker
    database_url: str
    web: RegionWeb
    offices: tuple[OfficeEntry, ...] = ()
    timezone: str = "Asia/Jakarta"
    log_level: str = "INFO"
    instance: str = "region"
    identity: NodeIdentity = field(init=False)

    def __post_init__(self) -> None:
        # What the house's node shell needs (log level, the name in its lines).
        broker = BrokerConfig(self.broker.host, self.broker.port)
        identity = NodeIdentity(
            office_id="region",
            node_id=self.instance,
            broker=broker,
            log_level=self.log_level,
            office_name=self.name,
            timezone=self.timezone,
        )
        object.__setattr__(self, "identity", identity)

    def office(self, office_id: str) -> OfficeEntry | None:
        return next((o for o in self.offices if o.id == office_id), None)


def _broker(root: Table) -> RegionBroker:
    table = root.table("broker", required=True)
    username = table.str("username", None)
    password = table.str("password", None, nonempty=False)
    if (username is None) != (password is None):
        raise table.error("password", "username and password must be given together")
    base = table.str("base", DEFAULT_BASE)
    if any(c in base for c in "+#") or base.startswith("/") or base.endswith("/"):
        raise table.error("base", f"must be a plain topic prefix, not {base!r}")
    tls = table.bool("tls", False)
    files = {name: table.filepath(name, None) for name in ("ca_file", "certfile", "keyfile")}
    for name, path in files.items():
        if path is not None and not path.is_file():
            raise table.error(name, f"no such file: {path}")
    if (files["certfile"] is None) != (files["keyfile"] is None):
        raise table.error("keyfile", "certfile and keyfile must be given together")
    if not tls and any(files.values()):
        raise table.error("tls", "TLS files are given but tls is not true")
    broker = RegionBroker(
        host=table.str("host", "127.0.0.1"),
        port=table.int("port", 8883 if tls else 1883, min=1, max=65535),
        username=username,
        password=password,
        base=base,
        keepalive=table.int("keepalive", 30, min=5, max=600),
        tls=tls,
        **files,
    )
    table.finish()
    return broker


def _web(root: Table) -> RegionWeb:
    table = root.table("web")
    secret = table.str("secret_key", None)
    if secret is None or len(secret) < MIN_SECRET_LENGTH:
        raise table.error("secret_key", f"must be at least {MIN_SECRET_LENGTH} characters")
    users: list[User] = []
    for entry in table.tables("users"):
        name = entry.id("name")
        password_hash = entry.str("password_hash")
        if not password_hash.startswith("$argon2"):
            raise entry.error(
                "password_hash", "must be an argon2 hash (antrian web --hash-password)"
            )
        entry.ignore("role")  # every regional user sees every office; no actions to guard
        entry.finish()
        if any(u.name == name for u in users):
            raise entry.error("name", f"user {name!r} appears twice")
        users.append(User(name, "supervisor", password_hash))
    web = RegionWeb(
        host=table.str("host", "127.0.0.1"),
        port=table.int("port", 8090, min=0, max=65535),  # 0: any free port (tests)
        secret_key=secret,
        secure_cookies=table.bool("secure_cookies", False),
        sign_in_attempts=table.int("sign_in_attempts", 10, min=1, max=1000),
        sign_in_lock_s=table.int("sign_in_lock_s", 900, min=1),
        users=tuple(users),
    )
    table.finish()
    return web


def _offices(root: Table) -> tuple[OfficeEntry, ...]:
    offices: list[OfficeEntry] = []
    for table in root.tables("offices"):
        office_id = table.id("id")
        entry = OfficeEntry(office_id, table.str("name", office_id), table.id("account", office_id))
        table.finish()
        if entry.account != entry.id:
            # The contract: the topic's OFFICE is the account's username (the ACL's %u).
            raise table.error("account", f"must equal id {office_id!r} (the topic is the account)")
        if any(o.id == office_id for o in offices):
            raise table.error("id", f"office {office_id!r} appears twice")
        offices.append(entry)
    return tuple(offices)


def load(source: str | Path | Table) -> RegionConfig:
    """Read and check region.toml; `ConfigError` names the file, the key and the problem."""
    root = config.root(source)
    region = root.table("region", required=True)
    name = region.str("name")
    timezone = config.read_timezone(region)
    instance = region.id("instance", "region")
    region.finish()
    database = root.table("database", required=True)
    url = database.str("url")
    if not url.startswith(("postgresql://", "postgres://")) and "=" not in url:
        raise database.error("url", f"must be a PostgreSQL URL (postgresql://...), not {url!r}")
    database.finish()
    log = root.table("log")
    level = log.choice("level", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO")
    log.finish()
    result = RegionConfig(
        name=name,
        broker=_broker(root),
        database_url=url,
        web=_web(root),
        offices=_offices(root),
        timezone=timezone,
        log_level=level,
        instance=instance,
    )
    root.finish()
    return result


__all__ = ["ConfigError", "OfficeEntry", "RegionBroker", "RegionConfig", "RegionWeb", "load"]
