"""region.toml: a bad file stops the start with one line naming file and key (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from common.config import ConfigError
from nodes.region import config
from tests.harness import ROOT
from tests.region.support import REGION_TOML

GOOD = REGION_TOML.format(
    instance="region",
    broker_port=1883,
    password="x",
    url="postgresql://u@h/db",
    web_port=8090,
    user="bupati",
    hash="$argon2id$v=19$m=19456,t=2,p=1$abc$def",
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "region.toml"
    path.write_text(text)
    return path


def test_a_good_file_is_read(tmp_path: Path) -> None:
    read = config.load(write(tmp_path, GOOD))
    assert read.name == "Kabupaten Contoh" and read.broker.base == "antrian-region"
    assert [o.id for o in read.offices] == ["kec-a", "kec-b", "kec-c"]
    assert read.office("kec-b") is not None and read.office("kec-b").name == "Kecamatan B"  # type: ignore[union-attr]
    assert read.web.user("bupati") is not None and read.database_url == "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            ('secret_key = "a-test-secret-of-enough-length"', 'secret_key = "short"'),
            "web.secret_key",
        ),
        (('url = "postgresql://u@h/db"', 'url = "mysql://u@h/db"'), "database.url"),
        (('name = "Kecamatan A"', 'name = "Kecamatan A"\naccount = "kec-b"'), "offices[0].account"),
        (('id = "kec-c"', 'id = "kec-a"'), "offices[2].id"),
        (
            ('password = "x"', 'password = "x"\nca_file = "missing.pem"\ntls = true'),
            "broker.ca_file",
        ),
        (('password = "x"', 'password = "x"\nbase = "a/+/b"'), "broker.base"),
        (('password = "x"', 'password = "x"\nkeepalve = 30'), "broker.keepalve"),
    ],
)
def test_a_bad_file_names_its_key(tmp_path: Path, change: tuple[str, str], key: str) -> None:
    assert change[0] in GOOD
    with pytest.raises(ConfigError) as caught:
        config.load(write(tmp_path, GOOD.replace(*change, 1)))
    assert caught.value.key == key, caught.value


def test_antrian_region_says_it_in_one_line_and_exits_2(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GOOD.replace('secret_key = "a-test-secret-of-enough-length"', 'secret_key = "short"'),
    )
    done = subprocess.run(
        [sys.executable, "-m", "nodes.cli", "region", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"antrian region: configuration error: {path}: web.secret_key:"
        " must be at least 16 characters"
    ]
