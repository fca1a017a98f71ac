"""Adapter registries: which piece of hardware a `type = "..."` key names.

Each hardware kind keeps one `Registry` in its own module; each adapter is one config
dataclass registered there (as python-escpos keeps one class per printer connection).
Its fields are its TOML keys, read by `Table.fields` (a classmethod `read` where that is
not enough); `open()` builds the adapter; an optional `check(table)` rejects what the
chosen adapter cannot do without. A new adapter is one class and one `register` line.
Every adapter's keys are read whatever the type, so a mistake in any is reported and
switching `type` is a one-word edit; only the chosen one is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from common.config import Table

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Adapter(Protocol[T_co]):
    def open(self) -> T_co: ...


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
            name: cls.read(table) if hasattr(cls, "read") else table.fields(cls, **given)
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
