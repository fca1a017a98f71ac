"""Fixtures with real parts: a private mosquitto per test, a real hub process."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from tests.harness import HubProcess, Mosquitto

# No screen and no sound card here (or in CI): SDL's dummy drivers, set before pygame loads.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A daemon's `main()` run in-process sets up logging for the whole process (a handler
    on the stream pytest captured for that test, which is closed afterwards): undo it, or
    every later log line of every test fails with "I/O operation on closed file"."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    server = Mosquitto(tmp_path / "mosquitto")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hub(broker: Mosquitto, tmp_path: Path) -> Iterator[HubProcess]:
    process = HubProcess(broker, tmp_path / "hub")
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def pins() -> Iterator[MockFactory]:
    """Every gpiozero device built during the test uses mock pins, driven as the world
    would (`pins.pin(17).drive_low()` is a press); reset afterwards."""
    previous = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    try:
        yield factory
    finally:
        factory.reset()
        Device.pin_factory = previous
