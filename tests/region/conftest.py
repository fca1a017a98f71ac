"""Fixtures of the region's tests: one real PostgreSQL per session (a fresh database per
test), a central mosquitto with the contract's accounts and ACL per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nodes.region import store
from tests.harness import Mosquitto
from tests.region.postgres import PostgreSQL
from tests.region.support import central_broker


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgreSQL]:
    server = PostgreSQL()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def database(postgres: PostgreSQL) -> str:
    """The URL of a fresh database with the region's schema."""
    url = postgres.new_database()
    store.create_schema(url)
    return url


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Mosquitto]:
    server = central_broker(tmp_path / "central")
    server.start()
    try:
        yield server
    finally:
        server.stop()
