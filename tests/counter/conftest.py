"""Counter fixtures: a counter desk wired to real parts (mock pins: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from common.config import BrokerConfig
from common.mqtt import BrokerLink
from common.wire import Topics
from nodes.counter.daemon import subscribe
from nodes.counter.flow import CounterDesk
from nodes.counter.indicator import TerminalIndicator
from tests.counter.screen import Screen
from tests.harness import OFFICE, Mosquitto
from tests.local_broker import LocalBroker, LocalLink

Broker = Mosquitto | BrokerConfig | LocalBroker


class Desk:
    """A counter node in the test process: its link (to mosquitto, or to an in-process
    `LocalBroker`) + CounterDesk + terminal indicator."""

    def __init__(self, broker: Broker, node: str, counter: str, **options: object):
        self.topics = Topics(OFFICE)
        self.link: BrokerLink | LocalLink
        if isinstance(broker, LocalBroker):
            self.link = LocalLink(broker, self.topics, node, role="counter")
        else:
            config = broker.config if isinstance(broker, Mosquitto) else broker
            self.link = BrokerLink(config, self.topics, node, role="counter")
        self.screen = Screen()
        self.desk = CounterDesk(
            self.link,
            counter,
            TerminalIndicator(self.screen),
            **options,  # type: ignore[arg-type]
        )
        subscribe(self.link, self.topics, self.desk)
        self.desk.start()

    def connect(self) -> Desk:
        if not self.link.start(wait=10):
            raise RuntimeError("counter desk could not connect")
        return self

    def stop(self) -> None:
        self.desk.stop()
        self.link.stop()


@pytest.fixture
def make_desk() -> Iterator[Callable[..., Desk]]:
    """Build desks (`make_desk(broker, "loket-1", "1")`); all are stopped afterwards."""
    desks: list[Desk] = []

    def make(broker: Broker, node: str, counter: str, **options: object) -> Desk:
        desk = Desk(broker, node, counter, **options)
        desks.append(desk)
        return desk

    yield make
    for desk in desks:
        desk.stop()
