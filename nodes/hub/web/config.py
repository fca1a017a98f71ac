"""The web node's configuration: `[office]` `[node]` `[broker]` `[web]` `[[web.users]]` `[hub]`.

[web]
host = "0.0.0.0"
port = 8080
secret_key = "a long random string"      # signs session cookies and CSRF tokens
base_url = "http://antrian.local:8080"   # what QR codes point at
online_requires = "none"                 # "none" | "phone" | "nik"
rate_limit_per_minute = 6                # ticket requests per client address
near_alert_ahead = 3                     # "giliran Anda sudah dekat" at this many ahead
secure_cookies = false                   # true behind HTTPS
max_live = 2000                          # live pages at once; default from the file limit
[[web.users]]
name = "camat"
role = "admin"                           # "head" | "admin" | "supervisor"
password_hash = "$argon2id$..."          # antrian web --hash-password
[hub]
database = "/var/lib/antrian/antrian.db" # opened read-only
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common import config
from common.config import NodeIdentity, setting

OnlineRequires = Literal["none", "phone", "nik"]
Role = Literal["head", "admin", "supervisor"]
#: `head` (the head of office): what `admin` may, and the per-officer report; `admin`:
#: open and close services; `supervisor`: sees everything else.
ROLES: tuple[Role, ...] = ("head", "admin", "supervisor")
ADMIN_ROLES: tuple[Role, ...] = ("head", "admin")
MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str


@dataclass(frozen=True)
class WebConfig:
    identity: NodeIdentity
    database: Path
    host: str = "127.0.0.1"
    port: int = setting(8080, min=1, max=65535)
    secret_key: str = "x" * MIN_SECRET_LENGTH
    base_url: str = "http://127.0.0.1:8080"
    online_requires: OnlineRequires = setting("none", choices=("none", "phone", "nik"))
    rate_limit_per_minute: int = setting(6, min=1, max=10_000)
    near_alert_ahead: int = setting(3, min=0, max=100)
    secure_cookies: bool = False
    #: Failed sign-ins before a name or address is locked, and for how long.
    sign_in_attempts: int = setting(10, min=1, max=1000)
    sign_in_lock_s: int = setting(900, min=1)
    #: Live pages (server-sent events) open at once; None: planned from the file limit.
    max_live: int | None = setting(None, min=1, max=100_000)
    users: tuple[User, ...] = field(default_factory=tuple)

    def user(self, name: str) -> User | None:
        return next((u for u in self.users if u.name == name), None)


def load(source: str | Path | config.Table) -> WebConfig:
    """Read and validate the web node's file; `ConfigError` names file, key and problem."""
    root = config.root(source)
    identity = config.read_identity(root)
    web = root.table("web", required=True)
    secret = web.str("secret_key")
    if len(secret) < MIN_SECRET_LENGTH:
        raise web.error("secret_key", f"must be at least {MIN_SECRET_LENGTH} characters")
    port = web.int("port", 8080, min=1, max=65535)
    host = web.str("host", "127.0.0.1")
    base_url = web.str("base_url", f"http://{host}:{port}").rstrip("/")
    hub = root.table("hub", required=True)
    users: list[User] = []
    for table in web.tables("users"):
        name = table.id("name")
        role = table.choice("role", ROLES, "supervisor")
        password_hash = table.str("password_hash")
        if not password_hash.startswith("$argon2"):
            raise table.error(
                "password_hash", "must be an argon2 hash (antrian web --hash-password)"
            )
        table.finish()
        if any(u.name == name for u in users):
            raise table.error("name", f"user {name!r} appears twice")
        users.append(User(name, role, password_hash))
    given = {"host": host, "port": port, "secret_key": secret, "base_url": base_url}
    database = hub.filepath("database")
    result: WebConfig = web.fields(
        WebConfig, identity=identity, database=database, users=tuple(users), **given
    )
    web.finish()
    hub.finish()
    root.ignore("office", "node", "broker", "log")
    root.finish()
    return result
