"""The hub's real logic on an in-process broker: `Hub`, its `Queue` and a SQLite `Store`,
wired to a `LocalLink` exactly as `antrian hub` wires them to the broker. Only the wire
edge is in-process; nothing of the hub is scripted."""

from __future__ import annotations

import threading
from pathlib import Path

from common.wire import Topics
from nodes.hub.daemon import Hub
from nodes.hub.store import Store
from tests.harness import OFFICE
from tests.hub.support import Clock, office
from tests.local_broker import LocalBroker, LocalLink

TOPICS = Topics(OFFICE)


class LocalHub:
    def __init__(self, broker: LocalBroker, database: Path, clock: Clock) -> None:
        self.link = LocalLink(broker, TOPICS, "hub", "hub")
        self.store = Store(database)
        self.hub = Hub(office(), self.store, self.link, lambda: clock.now)
        self.link.subscribe(TOPICS.requests, self.hub.submit)
        self.link.on_connection(lambda up: self.hub.republish() if up else None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.hub.serve, args=(self._stop,), daemon=True)

    def start(self) -> LocalHub:
        self.link.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        """As `antrian hub` stops: its status says offline, the retained state stays."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.link.stop()
        self.store.close()
