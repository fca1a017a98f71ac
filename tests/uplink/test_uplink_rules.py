"""The uplink's pure parts and its files: `[region]` in the hub's config, the window, the
batches, the ack, and what `antrian provision-region` writes (the regional broker's
accounts are proven by a real mosquitto in test_uplink.py)."""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import pytest

from common.config import ConfigError, Table
from nodes.hub import daemon
from nodes.hub.eventlog import EventLog
from nodes.hub.uplink import (
    BATCH_BYTES,
    BATCH_EVENTS,
    RESEND_AFTER_S,
    WINDOW,
    RegionSettings,
    Window,
    batches,
    decode_ack,
    decode_rewound_ack,
    read_region,
)
from nodes.setup import bootfile
from nodes.setup.provision_region import main as provision_region
from tests.harness import write_hub_config
from tests.uplink.certs import make_certs, openssl


def region(**values: Any) -> RegionSettings:
    root = Table({"region": values}, "hub.toml")
    settings = read_region(root)
    assert settings is not None
    return settings


def test_without_region_there_is_no_uplink() -> None:
    assert read_region(Table({}, "hub.toml")) is None


def test_region_defaults() -> None:
    settings = region(host="region.example.id", username="kec-a", password="rahasia")
    assert (settings.port, settings.office, settings.base, settings.tls) == (
        1883, "kec-a", "antrian-region", False,
    )  # fmt: skip
    assert settings.topic("events") == "antrian-region/office/kec-a/events"


def test_region_with_tls_files_defaults_to_8883(tmp_path: Path) -> None:
    certs = make_certs(tmp_path / "certs")
    table = Table(
        {"region": {"host": "r", "username": "kec-a", "password": "p",
                    "ca_file": "certs/ca.crt"}},
        tmp_path / "hub.toml",  # the file is found next to the config
    )  # fmt: skip
    with_tls = read_region(table)
    assert with_tls is not None and (with_tls.port, with_tls.tls) == (8883, True)
    assert with_tls.ca_file == certs.ca


def test_tls_with_the_systems_cas_and_no_files() -> None:
    settings = region(host="mqtt.kab.go.id", username="kec-a", password="p", tls=True)
    assert (settings.tls, settings.port, settings.ca_file) == (True, 8883, None)


def test_tls_files_without_tls_are_refused(tmp_path: Path) -> None:
    make_certs(tmp_path / "certs")
    values = {"host": "r", "username": "kec-a", "password": "p", "tls": False,
              "ca_file": "certs/ca.crt"}  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        read_region(Table({"region": values}, tmp_path / "hub.toml"))
    assert caught.value.key == "region.tls" and "must be true" in caught.value.problem


@pytest.mark.parametrize(
    ("files", "key"),
    [
        ({"ca_file": "certs/server.csr"}, "region.ca_file"),
        ({"ca_file": "certs/ca.crt", "cert_file": "certs/server.crt",
          "key_file": "certs/ca.key"}, "region.cert_file"),
    ],
)  # fmt: skip
def test_tls_files_that_do_not_load_name_their_key(
    tmp_path: Path, files: dict[str, str], key: str
) -> None:
    make_certs(tmp_path / "certs")
    values = {"host": "r", "username": "kec-a", "password": "p", **files}
    with pytest.raises(ConfigError) as caught:
        read_region(Table({"region": values}, tmp_path / "hub.toml"))
    assert caught.value.key == key


def test_a_key_with_a_passphrase_is_refused_without_a_prompt(tmp_path: Path) -> None:
    """OpenSSL would otherwise ask for the passphrase on the terminal: the hub would hang
    at its start (or, as a service, fail with a misleading error about the certificate)."""
    certs = make_certs(tmp_path / "certs")
    openssl("pkey", "-in", "server.key", "-aes256", "-passout", "pass:rahasia",
            "-out", "locked.key", cwd=certs.ca.parent)  # fmt: skip
    values = {"host": "r", "username": "kec-a", "password": "p", "ca_file": "certs/ca.crt",
              "cert_file": "certs/server.crt", "key_file": "certs/locked.key"}  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        read_region(Table({"region": values}, tmp_path / "hub.toml"))
    assert caught.value.key == "region.key_file"
    assert "passphrase" in caught.value.problem


def test_region_password_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "uplink.secret").write_text("rahasia-dari-berkas\n")
    values = {"host": "r", "username": "kec-a", "password_file": "uplink.secret"}
    table = Table({"region": values}, tmp_path / "hub.toml")
    settings = read_region(table)
    assert settings is not None and settings.password == "rahasia-dari-berkas"


@pytest.mark.parametrize(
    ("values", "key", "problem"),
    [
        ({"username": "a", "password": "p"}, "region.host", "required"),
        ({"host": "r", "password": "p"}, "region.username", "required"),
        ({"host": "r", "username": "a"}, "region.password", "required"),
        ({"host": "r", "username": "a", "password": "p", "port": "x"}, "region.port", "integer"),
        ({"host": "r", "username": "a", "password": "p", "office": "b"}, "region.office",
         "username"),
        ({"host": "r", "username": "a", "password": "p", "password_file": "f"},
         "region.password_file", "not both"),
        ({"host": "r", "username": "a", "password": "p", "base": "x/#"}, "region.base", "prefix"),
        ({"host": "r", "username": "a", "password": "p", "cert_file": "c"}, "region.cert_file",
         "not a file"),
        ({"host": "r", "username": "a", "password": "p", "hots": "r"}, "region.hots", "unknown"),
        ({"host": "r", "username": "a b", "password": "p"}, "region.username", "letters"),
    ],
)  # fmt: skip
def test_a_bad_region_names_its_key(values: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_region(Table({"region": values}, "hub.toml"))
    assert caught.value.key == key and problem in caught.value.problem


def test_the_hub_exits_2_on_a_bad_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_hub_config(tmp_path / "hub.toml", 1883, tmp_path / "antrian.db",
                            limits='[region]\nhost = "r"\nusername = "kec-a"\n')  # fmt: skip
    assert daemon.main(["--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("region.password: is required but missing") and "\n" not in err


def test_the_window_holds_eight_batches_and_follows_acks() -> None:
    window = Window()
    assert not window.room  # nothing is sent before the region's ack is known
    window.ack(100, now=0.0)
    assert (window.acked, window.after, window.cursor) == (100, 100, 100)
    for last in range(200, 200 + 100 * WINDOW, 100):
        assert window.room
        window.sent(last, last, now=1.0)
    assert not window.room
    assert not window.ack(50, now=2.0)  # an older ack (crossed on the way) changes nothing
    assert window.ack(300, now=2.0) and len(window.in_flight) == WINDOW - 2 and window.room
    assert not window.stalled(2.0 + RESEND_AFTER_S - 0.1)
    assert window.stalled(2.0 + RESEND_AFTER_S)
    window.restart(window.acked or 0, now=40.0)
    assert (window.after, window.cursor, list(window.in_flight)) == (300, 300, [])


def test_an_ack_beyond_what_was_sent_moves_the_window_on() -> None:
    window = Window()
    window.ack(0, now=0.0)
    window.sent(500, 500, now=0.0)
    window.ack(9000, now=1.0)  # stored before this connection (an earlier life of the hub)
    assert (window.after, window.cursor, list(window.in_flight)) == (9000, 9000, [])


def test_rows_left_out_move_the_cursor_not_the_after() -> None:
    window = Window()
    window.ack(10, now=0.0)
    window.sent(None, 12, now=0.0)
    assert (window.after, window.cursor, window.room) == (10, 12, True)


def event(seq: int, text: str = "") -> dict[str, Any]:
    return {"seq": seq, "at": "2026-11-27T08:00:00+07:00", "day": "2026-11-27",
            "kind": "ticket_issued", "ticket_id": None, "service": "A", "counter": None,
            "data": {"note": text}}  # fmt: skip


def test_batches_chain_their_after_and_keep_within_the_limits() -> None:
    events = [event(seq) for seq in range(11, 11 + BATCH_EVENTS * 2 + 1)]
    out = batches(10, events)
    decoded = [json.loads(payload) for _, payload in out]
    assert [len(b["events"]) for b in decoded] == [BATCH_EVENTS, BATCH_EVENTS, 1]
    assert [b["after"] for b in decoded] == [10, 10 + BATCH_EVENTS, 10 + 2 * BATCH_EVENTS]
    assert [last for last, _ in out] == [b["events"][-1]["seq"] for b in decoded]
    assert decoded[0]["v"] == 1 and decoded[0]["events"][0] == events[0]
    big = [event(seq, "x" * 100_000) for seq in range(1, 21)]
    sizes = [len(payload) for _, payload in batches(0, big)]
    assert len(sizes) > 1 and max(sizes) <= BATCH_BYTES + 1000


@pytest.mark.parametrize(
    "payload",
    [b"", b"not json", b"[1]", b'{"seq": 3}', b'{"v": 2, "seq": 3}', b'{"v": 1, "seq": "3"}',
     b'{"v": 1, "seq": -1}', b'{"v": 1, "seq": true}', b"[" * 100_000],
)  # fmt: skip
def test_a_malformed_ack_is_refused(payload: bytes) -> None:
    with pytest.raises(ValueError):
        decode_ack(payload)


def test_a_good_ack() -> None:
    assert decode_ack(b'{"v": 1, "seq": 42}') == 42


def test_an_ack_answering_a_rewind_says_which() -> None:
    assert decode_rewound_ack(b'{"v": 1, "seq": 42}') == (42, None)
    assert decode_rewound_ack(b'{"v": 1, "seq": 30, "rewound": 35}') == (30, 35)
    assert decode_ack(b'{"v": 1, "seq": 30, "rewound": 35}') == 30
    for bad in (b'{"v": 1, "seq": 3, "rewound": "3"}', b'{"v": 1, "seq": 3, "rewound": -1}',
                b'{"v": 1, "seq": 3, "rewound": true}', b'{"v": 1, "rewound": 3}'):  # fmt: skip
        with pytest.raises(ValueError):
            decode_rewound_ack(bad)


REGION = """\
[region]
name = "Kabupaten Contoh"

[broker]
host = "127.0.0.1"
base = "kab-contoh"

[[offices]]
id = "kec-a"
name = "Kecamatan A"

[[offices]]
id = "kec-b"
name = "Kecamatan B"
account = "kecamatan-b"
"""


def test_provision_region_writes_accounts_acl_and_each_office_region(tmp_path: Path) -> None:
    config = tmp_path / "region.toml"
    config.write_text(REGION)
    out = tmp_path / "out"
    args = ["--config", str(config), "--out", str(out), "--broker-address", "region.id:8883"]
    assert provision_region(args) == 0
    passwords = tomllib.loads((out / "credentials.toml").read_text())["accounts"]
    assert sorted(passwords) == ["kec-a", "kecamatan-b", "region"]
    users = [line.split(":")[0] for line in (out / "broker/passwd").read_text().splitlines()]
    assert users == ["kec-a", "kecamatan-b", "region"]
    acl = (out / "broker/acl").read_text()
    assert "user region\ntopic read kab-contoh/office/+/events\n" in acl
    assert "pattern write kab-contoh/office/%u/events\n" in acl
    assert "pattern read kab-contoh/office/%u/ack\n" in acl
    assert "topic write kab-contoh/office/+/ack\n" in acl
    assert "topic read kab-contoh/office/+/rewind\n" in acl  # after `antrian restore`
    assert "pattern write kab-contoh/office/%u/rewind\n" in acl
    # Each office's [region], as the hub itself reads it.
    text = (out / "offices/kecamatan-b.toml").read_text()
    settings = read_region(Table(tomllib.loads(text), "hub.toml"))
    assert settings is not None
    assert (settings.host, settings.port, settings.username, settings.base) == (
        "region.id", 8883, "kecamatan-b", "kab-contoh",
    )  # fmt: skip
    assert settings.password == passwords["kecamatan-b"]
    # Again (an office added): the passwords already handed out stay.
    config.write_text(REGION + '\n[[offices]]\nid = "kec-c"\n')
    assert provision_region(args) == 0
    again = tomllib.loads((out / "credentials.toml").read_text())["accounts"]
    assert {k: again[k] for k in passwords} == passwords and "kec-c" in again


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('\n[[offices]]\nid = "kec-c"\naccount = "kec-a"\n', "used twice"),
        ('\n[[offices]]\nid = "region"\n', "used twice"),
        ('\n[[offices]]\nid = "a b"\n', "offices[2].id"),
    ],
)
def test_provision_region_refuses_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, problem: str
) -> None:
    config = tmp_path / "region.toml"
    config.write_text(REGION + extra)
    args = ["--config", str(config), "--out", str(tmp_path / "out"), "--broker-address", "r"]
    assert provision_region(args) == 2
    assert problem in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_boot_card_gives_up_the_region_password_at_first_boot() -> None:
    text = (
        'role = "hub"\npassword = "rahasia-panjang-hub"\n\n'
        '[region]\nhost = "region.id"\nusername = "kec-a"\npassword = "rahasia-wilayah"\n'
    )
    assert bootfile.secrets_of(tomllib.loads(text))["region.password"] == "rahasia-wilayah"
    scrubbed = bootfile.scrub(text, "moved off the card")
    assert "rahasia-wilayah" not in scrubbed and 'host = "region.id"' in scrubbed


def test_the_dashboard_shows_the_uplink_in_the_hubs_row() -> None:
    from nodes.hub.web import i18n
    from nodes.hub.web.views import needs_attention, node_details

    down = {"uplink": "down", "uplink_acked": 120, "uplink_waiting": 35}
    text = node_details(down, i18n.words("id"))
    assert "Kirim ke wilayah: terputus" in text and "menunggu dikirim ke wilayah: 35" in text
    assert needs_attention(down)
    assert not needs_attention({**down, "uplink": "connected"})


def test_the_log_read_since_a_seq_as_stored_past_undecodable_rows(tmp_path: Path) -> None:
    from tests.hub.test_eventlog import DAY, store_with_hand_day

    path = tmp_path / "antrian.db"
    store_with_hand_day(path, 3).close()
    with sqlite3.connect(path) as db:
        stored = db.execute("SELECT * FROM events WHERE seq = 1").fetchone()
        db.executemany(
            "INSERT INTO events (at, day, kind, ticket_id, service, counter, data)"
            " VALUES ('2026-11-28T09:00:00+07:00', ?, 'counter_status', NULL, NULL, '1', ?)",
            [(DAY, "{"), (DAY, "[1]"), (DAY, '{"status": "open"}')],
        )
    log = EventLog(path)
    rows, cursor = log.since(0, 100)
    assert [r["seq"] for r in rows] == [1, 2, 3, 6] and cursor == 6
    names = ("seq", "at", "day", "kind", "ticket_id", "service", "counter")
    assert rows[0] == {**dict(zip(names, stored, strict=False)), "data": json.loads(stored[7])}
    assert log.since(3, 2) == ([], 5)  # two rows left out, but read past
    assert [r["seq"] for r in log.since(5, 10)[0]] == [6]
    assert log.since(6, 10) == ([], 6)
    assert log.last_seq() == 6
    log.close()
