"""Provisioning output on a real mosquitto and a real hub: each node can do its job with
the password on its card, and nothing else."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from common.config import BrokerConfig
from common.mqtt import BrokerLink, RequestTimeout
from common.wire import Topics
from nodes.setup import firstboot
from nodes.setup.bootfile import parse_text, role_configs
from nodes.setup.provision import main as provision_main
from tests.harness import Collector, HubProcess, Mosquitto, wait_for, write_hub_config

T = Topics("kantor")


def card_password(out: Path, node: str, key: str = "password") -> str:
    data = tomllib.loads((out / "boot" / node / "antrian.toml").read_text())
    return str(data[key])


def login(broker: Mosquitto, node: str, password: str, role: str = "test") -> BrokerLink:
    link = BrokerLink(
        BrokerConfig(port=broker.port, username=node, password=password), T, node, role
    )
    assert link.start(wait=5), f"{node} could not log in"
    return link


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Path, Mosquitto, HubProcess]]:
    """Provision the test office, boot the hub's card, run its broker and hub for real."""
    plan = write_hub_config(tmp_path / "office.toml", 1883, tmp_path / "unused.db")
    out = tmp_path / "out"
    assert (
        provision_main(["--config", str(plan), "--out", str(out), "--hub-address", "127.0.0.1"])
        == 0
    )
    root = tmp_path / "hub-pi"
    (root / "boot/firmware").mkdir(parents=True)
    shutil.copy(out / "boot/hub/antrian.toml", root / "boot/firmware/antrian.toml")
    assert firstboot.main(["--root", str(root)]) == 0
    broker_files = root / "run/antrian/broker"
    broker = Mosquitto(
        tmp_path / "mosquitto",
        auth=(
            "allow_anonymous false\n"
            f"password_file {broker_files / 'passwd'}\n"
            f"acl_file {broker_files / 'acl'}"
        ),
    )
    broker.start()
    # The hub runs the config firstboot wrote, moved only to this test's port and folder.
    config = tomllib.loads((root / "run/antrian/hub.toml").read_text())
    config["broker"]["port"] = broker.port
    config["hub"]["database"] = str(tmp_path / "hub/antrian.db")
    config["hub"]["archive_dir"] = str(tmp_path / "hub/reports")
    hub = HubProcess(broker, tmp_path / "hub")
    hub.config_path.write_text(tomli_w.dumps(config))
    hub._probe = login(broker, "display-1", card_password(out, "display-1"))
    hub.start()
    yield out, broker, hub
    hub.stop()
    broker.stop()


def test_every_node_does_its_job_with_the_password_on_its_card(
    office: tuple[Path, Mosquitto, HubProcess],
) -> None:
    out, broker, _ = office
    kiosk = login(broker, "kiosk-1", card_password(out, "kiosk-1"), "kiosk")
    loket = login(broker, "loket-1", card_password(out, "loket-1"), "counter")
    display = login(broker, "display-1", card_password(out, "display-1"), "display")
    web = login(broker, "web-1", card_password(out, "hub", "web_password"), "web")
    seen = Collector(display, f"{T.base}/event/#", f"{T.base}/state/#")
    assert kiosk.request("ticket", {"service": "A"}).data["number"] == "A-001"
    assert web.request("ticket", {"service": "B", "online": True}).data["number"] == "B-001"
    called = loket.request("counter", {"counter": "1", "action": "call_next"})
    assert called.ok and called.data["ticket"]["number"] == "A-001"
    seen.wait(lambda calls: any(c.get("number") == "A-001" for c in calls), T.event_call)
    # The boot files agree with what the broker accepted.
    assert parse_text((out / "boot/kiosk-1/antrian.toml").read_text()).hub_host == "127.0.0.1"
    for link in (kiosk, loket, display, web):
        link.stop()


def test_a_node_is_refused_everything_else(office: tuple[Path, Mosquitto, HubProcess]) -> None:
    out, broker, _ = office
    display = login(broker, "display-1", card_password(out, "display-1"))
    seen = Collector(display, f"{T.base}/state/#", f"{T.base}/event/#")
    # The kiosk's password is not loket-1's, and the wrong password or none gets nothing.
    for user, password in (
        ("loket-1", card_password(out, "kiosk-1")),
        ("kiosk-1", "salah-salah-salah"),
        ("", ""),
    ):
        config = BrokerConfig(port=broker.port, username=user or None, password=password or None)
        intruder = BrokerLink(config, T, user or "anon", "test")
        assert not intruder.start(wait=1.5), user
        intruder.stop()
    # Logged in as kiosk-1 but speaking for loket-1: the broker drops it, no call is made.
    kiosk = login(broker, "kiosk-1", card_password(out, "kiosk-1"))
    forged = BrokerLink(
        BrokerConfig(port=broker.port, username="kiosk-1", password=card_password(out, "kiosk-1")),
        T,
        "loket-1",
        "counter",
    )
    assert forged.start(wait=5)
    assert kiosk.request("ticket", {"service": "A"}).data["number"] == "A-001"
    with pytest.raises(RequestTimeout):
        forged.request("counter", {"counter": "1", "action": "call_next"}, timeout=1.5)
    # Nor may a node publish the hub's state or events.
    kiosk.publish(T.event_call, {"number": "Z-999"})
    kiosk.publish(T.state_queue, {"A": {"waiting": 999}}, retain=True)
    assert kiosk.request("ticket", {"service": "A"}).data["number"] == "A-002"
    wait_for(lambda: (seen.latest(T.state_queue) or {}).get("A", {}).get("waiting") == 2)
    assert all(p.get("number") != "Z-999" for p in seen.payloads(T.event_call))
    assert all(p.get("A", {}).get("waiting") != 999 for p in seen.payloads(T.state_queue))
    for link in (display, kiosk, forged):
        link.stop()


def test_provisioning_again_keeps_the_cards_in_use(tmp_path: Path) -> None:
    plan = write_hub_config(tmp_path / "office.toml", 1883, tmp_path / "unused.db")
    out = tmp_path / "out"
    assert provision_main(["--config", str(plan), "--out", str(out)]) == 0
    before = tomllib.loads((out / "credentials.toml").read_text())
    # The office buys a third kiosk.
    plan.write_text(plan.read_text() + '\n[[nodes]]\nid = "kiosk-3"\nrole = "kiosk"\n')
    assert provision_main(["--config", str(plan), "--out", str(out)]) == 0
    after = tomllib.loads((out / "credentials.toml").read_text())
    assert {k: v for k, v in after["broker"].items() if k != "kiosk-3"} == before["broker"]
    assert after["web"] == before["web"]
    assert len(after["broker"]["kiosk-3"]) >= 24
    assert (out / "boot/kiosk-3/antrian.toml").exists()
    assert (out / "credentials.toml").stat().st_mode & 0o077 == 0


def test_a_wrong_office_file_is_refused_with_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_hub_config(tmp_path / "office.toml", 1883, tmp_path / "unused.db")
    plan.write_text(plan.read_text() + '\n[[nodes]]\nid = "web-2"\nrole = "web"\n')
    assert provision_main(["--config", str(plan), "--out", str(tmp_path / "out")]) == 2
    assert "2 web nodes" in capsys.readouterr().err
    plan.write_text(plan.read_text().replace('role = "kiosk"', 'role = "kios"', 1))
    assert provision_main(["--config", str(plan), "--out", str(tmp_path / "out")]) == 2
    assert "nodes[0].role" in capsys.readouterr().err


def test_provision_says_who_signs_in_and_gives_the_display_a_running_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_hub_config(tmp_path / "office.toml", 1883, tmp_path / "unused.db")
    out = tmp_path / "out"
    assert (
        provision_main(["--config", str(plan), "--out", str(out), "--hub-address", "10.0.0.2"]) == 0
    )
    said = capsys.readouterr().out
    credentials = tomllib.loads((out / "credentials.toml").read_text())
    assert list(credentials["web"]["users"]) == ["admin"]
    assert (
        f"dashboard: http://10.0.0.2:8080/dasbor, sign in as admin; the password is in "
        f"{out / 'credentials.toml'} [web.users]" in said
    )
    # The display's config, as firstboot makes it from the card, scrolls a welcome.
    card = parse_text((out / "boot/display-1/antrian.toml").read_text())
    screen = role_configs(card)["display"]["screen"]
    assert screen["running_text"].startswith("Selamat datang di Kantor Kecamatan Contoh.")
