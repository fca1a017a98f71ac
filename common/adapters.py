"""Adapter registries: which piece of hardware a `type = "..."` key names.

Each hardware kind (printer, buttons, keypad, indicator, panel, voice, sound output) keeps
one `Registry` in its own module, and each adapter adds itself there with its config
reader and its constructor, as python-escpos keeps one class per printer connection. A new
adapter is then one reader, one constructor and one `register` line; nothing else in the
node chooses between adapters.

Every adapter's keys are read whatever the type, so a mistake in any of them is reported
and switching `type` is a one-word edit; only the chosen adapter's `check` (keys it cannot
do without) runs, and only its config is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from common.config import Table

T = TypeVar("T")
C = TypeVar("C")


@dataclass(frozen=True)
class Choice(Generic[T]):
    """The adapter a config file chose: its type name, its own config, its constructor."""

    type: str
    config: Any
    _build: Callable[[Any], T]

    def build(self) -> T:
        return self._build(self.config)


@dataclass(frozen=True)
class _Entry:
    read: Callable[..., Any]
    build: Callable[[Any], Any]
    check: Callable[[Any, Table], None] | None


class Registry(Generic[T]):
    """Adapter type name -> (config reader, constructor) for one hardware kind."""

    def __init__(self, default: str, key: str = "type") -> None:
        self.default = default
        self.key = key
        self._entries: dict[str, _Entry] = {}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def register(
        self,
        name: str,
        read: Callable[..., C],
        build: Callable[[C], T],
        check: Callable[[C, Table], None] | None = None,
    ) -> None:
        """`read(table, *context)` reads the adapter's keys (with defaults); `check` raises
        the table's error for keys the adapter needs once chosen."""
        self._entries[name] = _Entry(read, build, check)

    def read(self, table: Table, *context: Any) -> Choice[T]:
        """The chosen adapter from `table`; "must be one of ..." names file and key. The
        caller reads its own shared keys and calls `table.finish()`."""
        name = table.choice(self.key, self.names, self.default)
        configs = {n: entry.read(table, *context) for n, entry in self._entries.items()}
        entry = self._entries[name]
        if entry.check is not None:
            entry.check(configs[name], table)
        return Choice(name, configs[name], entry.build)

    def read_table(self, root: Table, name: str) -> Choice[T]:
        """`read` of a table that holds nothing but this kind's keys (`[keypad]`)."""
        table = root.table(name)
        choice = self.read(table)
        table.finish()
        return choice
