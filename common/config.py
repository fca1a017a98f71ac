"""TOML configuration shared by every node, validated at start.

Every error names the file, the key and what is wrong, because the person reading it is a
technician with an SD card and a text editor, not the author of the code:

    /boot/firmware/antrian.toml: broker.port: must be an integer from 1 to 65535, not "abc"

A node reads its own tables through `Table`, which remembers which keys were read so that
`Table.finish()` can reject misspelled ones ("servises") instead of silently ignoring them.
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.wire import ID_PATTERN

_MISSING: Any = object()


class ConfigError(Exception):
    """A configuration problem, phrased for the technician."""

    def __init__(self, file: str | Path, key: str, problem: str) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.file}: {key}: {problem}" if key else f"{self.file}: {problem}")


def setting(default: Any, **bounds: Any) -> Any:
    """A dataclass field read by `Table.fields`: its default, and `min`, `max`, `choices`
    or `nonempty` as the getters take them."""
    return dataclasses.field(default=default, metadata=bounds)


_GETTERS = {"int": "int", "float": "float", "bool": "bool", "str": "str", "Path": "filepath"}


class Table:
    """One TOML table, with typed getters whose errors carry the file and dotted key."""

    def __init__(
        self, data: dict[builtins.str, Any], file: builtins.str | Path, path: builtins.str = ""
    ) -> None:
        self.data = data
        self.file = str(file)
        self.path = path
        self._read: set[builtins.str] = set()

    def key(self, name: builtins.str) -> builtins.str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: builtins.str, problem: builtins.str) -> ConfigError:
        return ConfigError(self.file, self.key(name), problem)

    def __contains__(self, name: builtins.str) -> builtins.bool:
        return name in self.data

    def _get(self, name: builtins.str, default: Any) -> Any:
        self._read.add(name)
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            raise self.error(name, "is required but missing")
        return default

    def str(
        self, name: builtins.str, default: Any = _MISSING, *, nonempty: builtins.bool = True
    ) -> Any:
        value = self._get(name, default)
        if value is default and name not in self.data:
            return value
        if not isinstance(value, str):
            raise self.error(name, f"must be a string, not {value!r}")
        if nonempty and not value.strip():
            raise self.error(name, "must not be empty")
        return value

    def id(self, name: builtins.str, default: Any = _MISSING) -> Any:
        value = self.str(name, default)
        if value is default and name not in self.data:
            return value
        if not ID_PATTERN.match(value):
            raise self.error(name, f"must be 1-32 letters, digits, '_' or '-', not {value!r}")
        return value

    def int(
        self,
        name: builtins.str,
        default: Any = _MISSING,
        *,
        min: builtins.int | None = None,
        max: builtins.int | None = None,
    ) -> Any:
        value = self._get(name, default)
        if value is default and name not in self.data:
            return value
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(name, f"must be an integer, not {value!r}")
        if (min is not None and value < min) or (max is not None and value > max):
            bounds = f"from {min} to {max}" if max is not None else f"at least {min}"
            raise self.error(name, f"must be an integer {bounds}, not {value!r}")
        return value

    def float(
        self, name: builtins.str, default: Any = _MISSING, *, min: builtins.float | None = None
    ) -> Any:
        value = self._get(name, default)
        if value is default and name not in self.data:
            return value
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.error(name, f"must be a number, not {value!r}")
        if min is not None and value < min:
            raise self.error(name, f"must be at least {min}, not {value!r}")
        return float(value)

    def bool(self, name: builtins.str, default: Any = _MISSING) -> Any:
        value = self._get(name, default)
        if value is default and name not in self.data:
            return value
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, not {value!r}")
        return value

    def choice(
        self, name: builtins.str, options: Iterable[builtins.str], default: Any = _MISSING
    ) -> Any:
        options = tuple(options)
        value = self.str(name, default)
        if value not in options and not (value is default and name not in self.data):
            raise self.error(name, f"must be one of {', '.join(options)}, not {value!r}")
        return value

    def filepath(self, name: builtins.str, default: Any = _MISSING) -> Any:
        """A file or folder: `~` expanded, and a relative path taken from the folder of the
        config file, not from wherever the daemon or `antrian report` was started."""
        value = self.str(name, default)
        if value is default and name not in self.data:
            return value
        return self.resolve(value)

    def resolve(self, value: builtins.str | Path) -> Path:
        """`value` as a path relative to this config file's folder (see `filepath`)."""
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        return Path(os.path.normpath(Path(self.file).parent / path))

    def str_list(
        self, name: builtins.str, default: Any = _MISSING, *, ids: builtins.bool = False
    ) -> Any:
        value = self._get(name, default)
        if value is default and name not in self.data:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(name, f"must be a list of strings, not {value!r}")
        if ids:
            for item in value:
                if not ID_PATTERN.match(item):
                    raise self.error(name, f"{item!r} is not a valid id")
        return list(value)

    def table(self, name: builtins.str, *, required: builtins.bool = False) -> Table:
        value = self._get(name, _MISSING if required else {})
        if not isinstance(value, dict):
            raise self.error(name, "must be a table ([" + self.key(name) + "])")
        return Table(value, self.file, self.key(name))

    def tables(self, name: builtins.str, *, required: builtins.bool = False) -> list[Table]:
        """An array of tables (`[[name]]`)."""
        value = self._get(name, _MISSING if required else [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(name, "must be an array of tables ([[" + self.key(name) + "]])")
        if required and not value:
            raise self.error(name, "needs at least one entry")
        return [Table(v, self.file, f"{self.key(name)}[{i}]") for i, v in enumerate(value)]

    def check_writable(self, name: builtins.str, folder: Path) -> None:
        """Prove that `folder` (or, if it does not exist yet, the folder it would be created
        in) takes a file, so that a read-only card or a wrong path stops the start with file
        and key instead of failing later. Leaves nothing behind."""
        existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())
        if not existing.is_dir():
            raise self.error(name, f"folder {folder} cannot be created: {existing} is a file")
        try:
            with tempfile.TemporaryFile(dir=existing):
                pass
        except OSError as exc:
            raise self.error(name, f"folder {folder} cannot be written ({exc.strerror})") from None

    def fields(self, cls: type[Any], **given: Any) -> Any:
        """A dataclass read from this table, one key per field (name, type, default, and
        `setting()` bounds); `given` fields are not read."""
        values = {n: v for n, v in given.items() if n in cls.__dataclass_fields__}
        for f in dataclasses.fields(cls):
            kind = builtins.str(f.type).removesuffix(" | None")
            if f.name in values:
                continue
            if "choices" in f.metadata:
                values[f.name] = self.choice(f.name, f.metadata["choices"], f.default)
            elif kind in _GETTERS:
                values[f.name] = getattr(self, _GETTERS[kind])(f.name, f.default, **f.metadata)
            else:
                raise TypeError(f"{cls.__name__}.{f.name}: no reader for {f.type}")
        return cls(**values)

    def ignore(self, *names: builtins.str) -> None:
        """Mark keys as read that another part of the program validates."""
        self._read.update(names)

    def finish(self) -> None:
        """Reject keys nobody read: almost always a typo that would otherwise be silent."""
        unknown = sorted(set(self.data) - self._read)
        if unknown:
            raise self.error(unknown[0], "unknown key (misspelled?)")


#: What Windows Notepad puts before UTF-8 text; TOML does not allow it, we skip it.
UTF8_BOM = b"\xef\xbb\xbf"


def load(path: str | Path) -> Table:
    """Read a TOML file into the root `Table`, with errors phrased for a technician."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except IsADirectoryError:
        raise ConfigError(path, "", "is a folder, not a configuration file") from None
    except PermissionError:
        raise ConfigError(path, "", "cannot be read (permission denied)") from None
    except OSError as exc:
        raise ConfigError(path, "", f"cannot be read ({exc.strerror})") from None
    raw = raw.removeprefix(UTF8_BOM)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            path,
            "",
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line});"
            " save it as UTF-8 (in Notepad: Save As, Encoding: UTF-8)",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"is not valid TOML: {exc}") from None
    return Table(data, path)


def root(source: str | Path | Table) -> Table:
    """A config's root table, from its file or from data (`Table(data, name)`)."""
    return source if isinstance(source, Table) else load(source)


@dataclass(frozen=True)
class BrokerConfig:
    host: str = "127.0.0.1"
    port: int = setting(1883, min=1, max=65535)
    username: str | None = None
    password: str | None = setting(None, nonempty=False)
    keepalive: int = setting(15, min=5, max=600)


@dataclass(frozen=True)
class NodeIdentity:
    """What every node's file shares: `[office]`, `[node]`, `[broker]`, `[log]`."""

    office_id: str
    node_id: str
    broker: BrokerConfig
    log_level: str = "INFO"
    office_name: str = ""
    timezone: str = "Asia/Jakarta"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def read_broker(root: Table) -> BrokerConfig:
    broker = root.table("broker")
    config: BrokerConfig = broker.fields(BrokerConfig)
    if (config.username is None) != (config.password is None):
        raise broker.error("password", "username and password must be given together")
    broker.finish()
    return config


def read_timezone(table: Table, name: str = "timezone") -> str:
    value: str = table.str(name, "Asia/Jakarta")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise table.error(name, f"unknown time zone {value!r} (e.g. Asia/Jakarta)") from None
    return value


def read_identity(root: Table, *, node_id_default: Any = _MISSING) -> NodeIdentity:
    """Read the tables every node has. Other tables are left for the node to read."""
    office = root.table("office")
    office_id = office.id("id", "kantor")
    office_name = office.str("name", "")
    timezone = read_timezone(office)
    office.ignore("address", "logo", "language", "base_url")
    node = root.table("node", required=node_id_default is _MISSING)
    node_id = node.id("id", node_id_default)
    node.ignore(*node.data)  # the node's own keys are validated by the node
    log = root.table("log")
    level = log.choice("level", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO")
    log.finish()
    return NodeIdentity(office_id, node_id, read_broker(root), level, office_name, timezone)
