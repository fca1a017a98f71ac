"""Reading the office from the hub's TOML: the harness's file, and each mistake a
technician can make, named by file and key."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from common import config
from common.config import ConfigError
from nodes.hub.office import NodeSpec, read_office
from tests.harness import write_hub_config
from tests.hub.support import office


def load(tmp_path: Path, text: str) -> config.Table:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    return config.load(path)


def test_the_test_office_file_reads_as_the_test_office(tmp_path: Path) -> None:
    path = write_hub_config(tmp_path / "hub.toml", 1883, tmp_path / "db", node_password="")
    root = config.load(path)
    assert read_office(root) == office()
    assert read_office(root).service("A").prefix == "A"  # type: ignore[union-attr]


def test_hours_quota_and_prefix(tmp_path: Path) -> None:
    root = load(
        tmp_path,
        """
[office]
name = "Kantor"
[[services]]
id = "kk"
name = "Kartu Keluarga"
prefix = "KK"
daily_quota = 300
online_quota = 50
service_minutes = 12
opens = "07:30"
closes = "14:00"
[[services]]
id = "pindah"
name = "Surat Pindah"
prefix = "P"
[[counters]]
id = "1"
services = ["pindah", "kk"]
""",
    )
    result = read_office(root)
    kk = result.service("kk")
    assert kk is not None
    assert (kk.prefix, kk.daily_quota, kk.online_quota) == ("KK", 300, 50)
    assert (kk.opens, kk.closes) == (time(7, 30), time(14, 0))
    assert (kk.service_minutes, result.service("pindah").service_minutes) == (12.0, 5.0)  # type: ignore[union-attr]
    assert result.counter("1").name == "Loket 1"  # type: ignore[union-attr]
    assert result.counter("1").services == ("pindah", "kk")  # type: ignore[union-attr]
    assert (result.id, result.timezone, result.nodes) == ("kantor", "Asia/Jakarta", ())


SERVICE = '[[services]]\nid = "A"\nname = "Kartu Keluarga"\n'
COUNTER = '[[counters]]\nid = "1"\nservices = ["A"]\n'


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (COUNTER, "services", "is required but missing"),
        (SERVICE + '[[counters]]\nid = "1"\nservices = ["A", "Z"]\n', "counters[0].services",
         "unknown service 'Z' (known: A)"),
        (SERVICE + SERVICE + COUNTER, "services[1].id",
         "duplicate service id 'A' (also in services[0])"),
        (SERVICE + '[[services]]\nid = "B"\nname = "KTP"\nprefix = "A"\n' + COUNTER,
         "services[1].prefix", "duplicate service prefix 'A' (also in services[0])"),
        ('[[services]]\nid = "akta"\nname = "Akta"\n' + COUNTER, "services[0].prefix",
         "is required because the id 'akta' is not 1-3 letters or digits"),
        (SERVICE + 'opens = "8:00"\n' + COUNTER, "services[0].opens",
         'must be a time "HH:MM"'),
        (SERVICE + 'opens = "12:00"\ncloses = "08:00"\n' + COUNTER, "services[0].closes",
         "must be after opens (12:00)"),
        (SERVICE + "daily_quota = 0\n" + COUNTER, "services[0].daily_quota",
         "must be an integer at least 1"),
        (SERVICE + 'qouta = 5\n' + COUNTER, "services[0].qouta", "unknown key"),
        (SERVICE + "service_minutes = 0\n" + COUNTER, "services[0].service_minutes",
         "must be at least 0.5"),
        (SERVICE + "service_minutes = 600\n" + COUNTER, "services[0].service_minutes",
         "must be at most 240"),
        (SERVICE + COUNTER + COUNTER, "counters[1].id", "duplicate counter id '1'"),
        (SERVICE + COUNTER + '[[nodes]]\nid = "loket-1"\nrole = "counter"\n',
         "nodes[0].counters", "a counter node must list"),
        (SERVICE + COUNTER + '[[nodes]]\nid = "l"\nrole = "counter"\ncounters = ["7"]\n',
         "nodes[0].counters", "unknown counter '7'"),
        (SERVICE + COUNTER + '[[nodes]]\nid = "k"\nrole = "printer"\n', "nodes[0].role",
         "must be one of"),
        (SERVICE + COUNTER + '[[nodes]]\nid = "k"\nrole = "kiosk"\n' * 2, "nodes[1].id",
         "duplicate node id 'k'"),
        ('[office]\ntimezone = "Mars/Olympus"\n' + SERVICE + COUNTER, "office.timezone",
         "unknown time zone"),
    ],
)  # fmt: skip
def test_mistakes_are_named_by_file_and_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as info:
        read_office(load(tmp_path, text))
    assert info.value.file == str(tmp_path / "hub.toml")
    assert info.value.key == key
    assert info.value.problem.startswith(problem)


def test_does_not_finish_the_root_table(tmp_path: Path) -> None:
    root = load(tmp_path, '[hub]\ndatabase = "x.db"\n' + SERVICE + COUNTER)
    read_office(root)
    assert root.table("hub").str("database") == "x.db"


def test_nodes_with_their_counters_and_broker_passwords(tmp_path: Path) -> None:
    root = load(
        tmp_path,
        SERVICE
        + COUNTER
        + '[[nodes]]\nid = "loket-1"\nrole = "counter"\ncounters = ["1"]\npassword = "s3cret"\n'
        + '[[nodes]]\nid = "tv"\nrole = "display"\n',
    )
    result = read_office(root)
    assert result.node("loket-1") == NodeSpec("loket-1", "counter", ("1",))
    assert result.node("tv") == NodeSpec("tv", "display")
    assert result.node("kiosk-9") is None


SIGNED = """
[office]
name = "Kantor"
head_title = "Camat Contoh"
head_name = "Drs. Budi Santoso"
head_nip = {nip}
[[services]]
id = "A"
name = "Kartu Keluarga"
[[counters]]
id = "1"
name = "Loket 1"
services = ["A"]
"""


def test_the_signature_block_comes_from_the_office_table(tmp_path: Path) -> None:
    office_read = read_office(load(tmp_path, SIGNED.format(nip='"19700101 199503 1 001"')))
    assert (office_read.head_title, office_read.head_name, office_read.head_nip) == (
        "Camat Contoh", "Drs. Budi Santoso", "19700101 199503 1 001",
    )  # fmt: skip


@pytest.mark.parametrize("nip", ['"1970010119950310"', '"19700101-199503-1-001"', "197001011"])
def test_a_wrong_nip_is_refused_with_its_key(tmp_path: Path, nip: str) -> None:
    with pytest.raises(ConfigError, match=r"office\.head_nip: must be"):
        read_office(load(tmp_path, SIGNED.format(nip=nip)))
