"""Fixtures shared by the setup tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodes.setup.provision import provision
from tests.harness import write_hub_config


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Boot files for the test office, as `antrian provision` writes them."""
    folder = tmp_path_factory.mktemp("provision")
    office = write_hub_config(folder / "office.toml", 1883, folder / "unused.db")
    provision(office, folder / "out", "antrian-hub.local", None)
    return folder / "out/boot"
