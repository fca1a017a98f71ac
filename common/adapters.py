"""Adapter registries: which piece of hardware a `type = "..."` key names.

Each hardware kind keeps one `Registry` in its own module, and each adapter is one config
dataclass registered there, as python-escpos keeps one class per printer connection: its
fields are its TOML keys (name, type, default, bounds from `key()`; a classmethod `read`
where that is not enough), `open()` builds the adapter, an optional `check(table)`
rejects what the chosen adapter cannot do without. A new adapter is one class and one
`register` line. Every adapter's keys are read whatever the type, so a mistake in any is
reported and switching `type` is a one-word edit; only the chosen one is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Generic, Protocol, TypeVar

from common.config import Table

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Adapter(Protocol[T_co]):
    def open(self) -> T_co: ...


def key(default: Any, **bounds: Any) -> Any:
    """A field's default and its `min`, `max`, `choices` or `nonempty` (see `Table`)."""
    return field(default=default, metadata=bounds)


_GETTERS = {"int": "int", "float": "float", "bool": "bool", "str": "str", "Path": "local_path"}


def read_fields(cls: type[Any], table: Table, **given: Any) -> Any:
    """A config dataclass from `table`, one key per field; `given` fields are not read."""
    values = {name: value for name, value in given.items() if name in cls.__dataclass_fields__}
    for f in fields(cls):
        kind = str(f.type).removesuffix(" | None")
        if f.name in values:
            continue
        if "choices" in f.metadata:
            values[f.name] = table.choice(f.name, f.metadata["choices"], f.default)
        elif kind in _GETTERS:
            values[f.name] = getattr(table, _GETTERS[kind])(f.name, f.default, **f.metadata)
        else:
            raise TypeError(f"{cls.__name__}.{f.name}: no reader for {f.type}")
    return cls(**values)


@dataclass(frozen=True)
class Choice(Generic[T]):
    """The adapter a config file chose: its type name and its own config."""

    type: str
    config: Any

    def build(self) -> T:
        opened: T = self.config.open()
        return opened


class Registry(Generic[T]):
    """Adapter type name -> its config class, for one hardware kind."""

    def __init__(self, default: str, key: str = "type") -> None:
        self.default = default
        self.key = key
        self._classes: dict[str, type[Adapter[T]]] = {}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._classes)

    def register(self, name: str, config: type[Adapter[T]]) -> None:
        self._classes[name] = config

    def read(self, table: Table, **given: Any) -> Choice[T]:
        """The chosen adapter; "must be one of ..." names file and key. The caller reads
        the table's shared keys and calls `table.finish()`."""
        chosen = table.choice(self.key, self.names, self.default)
        configs = {
            name: cls.read(table) if hasattr(cls, "read") else read_fields(cls, table, **given)
            for name, cls in self._classes.items()
        }
        if hasattr(configs[chosen], "check"):
            configs[chosen].check(table)
        return Choice(chosen, configs[chosen])

    def read_table(self, root: Table, name: str) -> Choice[T]:
        """`read` of a table that holds nothing but this kind's keys (`[keypad]`)."""
        table = root.table(name)
        choice = self.read(table)
        table.finish()
        return choice
