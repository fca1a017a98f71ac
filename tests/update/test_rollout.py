"""The office rollout: the pure rule, then the hub's `antrian update-office` and each
node's `antrian update-agent` (simulated installer: the hardware edge) through a real
mosquitto with the office's ACL and a real hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.config import BrokerConfig
from common.mqtt import BrokerLink
from common.payloads import UpdateState
from common.wire import Topics, WireError
from nodes.hub.acl import main as acl_main
from nodes.hub.web.live import LiveModel
from nodes.hub.web.views import dashboard_view
from nodes.update.rollout import Command, Rollout, Seen
from nodes.update.rollout import main as update_office
from tests.harness import ROOT, Collector, HubProcess, Mosquitto, write_hub_config

T = Topics("kantor")
NODE_PASSWORD = "rahasia-node"
HUB_AUTH = 'username = "hub"\npassword = "rahasia-hub"'


def plan(*nodes: str, timeout: float = 600.0) -> Rollout:
    return Rollout("r1", "0.2.0", "http://hub/b.raucb", nodes, timeout)


def agent(state: str, version: str, rollout: str = "r1", online: bool = True) -> Seen:
    return Seen(online=online, agent_state=state, agent_version=version, agent_rollout=rollout)


# --- the rule -------------------------------------------------------------------------------


def test_one_node_at_a_time_in_order() -> None:
    rollout, sent = plan("kiosk-1", "kiosk-2").step({}, now=0.0)
    assert sent == [Command("kiosk-1")]
    # kiosk-1 installing, rebooting, back on the old version for a moment: kiosk-2 waits.
    for seen in (agent("installing", "0.1.0"), agent("rebooting", "0.1.0", online=False),
                 Seen(online=True, agent_state="idle", agent_version="0.1.0")):  # fmt: skip
        rollout, sent = rollout.step({"kiosk-1": seen}, now=10.0)
        assert sent == [] and rollout.current == "kiosk-1"
    rollout, sent = rollout.step({"kiosk-1": agent("idle", "0.2.0")}, now=20.0)
    assert sent == [Command("kiosk-2")]
    assert rollout.state_of("kiosk-1") == "updated" and rollout.state_of("kiosk-2") == "updating"
    done, sent = rollout.step(
        {"kiosk-1": agent("idle", "0.2.0"), "kiosk-2": agent("idle", "0.2.0")}, now=30.0
    )
    assert sent == [] and done.result == "done"
    assert done.payload()["nodes"] == [
        {"node": "kiosk-1", "state": "updated", "detail": None},
        {"node": "kiosk-2", "state": "updated", "detail": None},
    ]


def test_a_node_already_on_the_version_is_skipped() -> None:
    seen = {"kiosk-1": Seen(online=True, agent_state="idle", agent_version="0.2.0")}
    rollout, sent = plan("kiosk-1", "kiosk-2").step(seen, now=0.0)
    assert sent == [Command("kiosk-2")]
    assert rollout.state_of("kiosk-1") == "skipped"


@pytest.mark.parametrize("state", ["rolled_back", "failed"])
def test_a_node_that_rolled_back_or_refused_stops_the_rollout(state: str) -> None:
    rollout, _ = plan("kiosk-1", "kiosk-2").step({}, now=0.0)
    seen = {"kiosk-1": Seen(True, state, "0.1.0", "r1", "slot B marked bad")}
    stopped, sent = rollout.step(seen, now=50.0)
    assert sent == [] and stopped.result == "stopped"
    assert stopped.reason == f"kiosk-1: {state} (slot B marked bad)"
    assert stopped.state_of("kiosk-2") == "waiting"
    assert stopped.step(seen, now=60.0) == (stopped, [])


def test_a_report_of_an_earlier_rollout_is_not_this_ones_outcome() -> None:
    rollout, _ = plan("kiosk-1").step({}, now=0.0)
    still, sent = rollout.step({"kiosk-1": agent("rolled_back", "0.1.0", rollout="r0")}, 5.0)
    assert still.result == "running" and sent == []


def test_a_node_that_does_not_come_back_stops_the_rollout() -> None:
    rollout, _ = plan("kiosk-1", "kiosk-2", timeout=300).step({}, now=0.0)
    offline = {"kiosk-1": agent("rebooting", "0.1.0", online=False)}
    assert rollout.step(offline, now=300.0)[0].result == "running"
    stopped, sent = rollout.step(offline, now=300.5)
    assert sent == [] and stopped.result == "stopped"
    assert stopped.reason == "kiosk-1: not back online on 0.2.0 after 300 s"


# --- through the broker -----------------------------------------------------------------------


def login(broker: Mosquitto, node: str, password: str = NODE_PASSWORD) -> BrokerLink:
    link = BrokerLink(BrokerConfig(port=broker.port, username=node, password=password), T,
                      node, "kiosk")  # fmt: skip
    assert link.start(wait=5), f"{node} could not log in"
    return link


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Mosquitto, Path]]:
    acl_dir = tmp_path / "acl"
    draft = write_hub_config(tmp_path / "draft.toml", 1, tmp_path / "x.db",
                             broker_extra=HUB_AUTH,
                             node_password=f'password = "{NODE_PASSWORD}"')  # fmt: skip
    assert acl_main(["--config", str(draft), "--out", str(acl_dir)]) == 0
    broker = Mosquitto(tmp_path / "mosquitto", auth=(
        "allow_anonymous false\n"
        f"password_file {acl_dir / 'mosquitto.passwd'}\n"
        f"acl_file {acl_dir / 'mosquitto.acl'}"))  # fmt: skip
    broker.start()
    hub = HubProcess(broker, tmp_path / "hub", broker_extra=HUB_AUTH,
                     node_password=f'password = "{NODE_PASSWORD}"')  # fmt: skip
    hub._probe = login(broker, "display-1")
    hub.start(wait=False)
    hub.wait_online(timeout=60)  # the hub only shares the broker here: no hurry
    yield broker, hub.config_path
    hub.stop()
    broker.stop()


class Pi:
    """One node: its role daemon's status (a link that stays online) and its update agent
    (`antrian update-agent --installer simulated`) in a subprocess."""

    def __init__(self, broker: Mosquitto, node: str, folder: Path) -> None:
        run_dir, self.state = folder / "run", folder / "state"
        run_dir.mkdir(parents=True)
        (run_dir / "kiosk.toml").write_text(
            f'[office]\nid = "kantor"\n\n[node]\nid = "{node}"\n\n[broker]\nport = {broker.port}\n'
            f'username = "{node}"\npassword = "{NODE_PASSWORD}"\n'
        )
        self.daemon = login(broker, node)
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.log = (folder / "agent.log").open("wb")
        self.agent = subprocess.Popen(
            [sys.executable, "-m", "nodes.cli", "update-agent", "--installer", "simulated",
             "--run-dir", str(run_dir), "--state-dir", str(self.state)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
        )  # fmt: skip

    def stop(self) -> None:
        self.agent.terminate()
        self.agent.wait(10)
        self.log.close()
        self.daemon.stop()


@pytest.fixture
def pis(office: tuple[Mosquitto, Path], tmp_path: Path) -> Iterator[dict[str, Pi]]:
    broker, _ = office
    pis = {n: Pi(broker, n, tmp_path / n) for n in ("kiosk-1", "kiosk-2")}
    hub_view = hub_link(broker)
    agents = Collector(hub_view, T.node_updates)
    for node in pis:  # each agent up and reporting before anything is asked of it
        agents.wait(lambda ps: any(p["state"] == "idle" for p in ps), T.node_update(node), 15)
    hub_view.stop()
    yield pis
    for pi in pis.values():
        pi.stop()


def hub_link(broker: Mosquitto) -> BrokerLink:
    link = BrokerLink(BrokerConfig(port=broker.port, username="hub", password="rahasia-hub"), T,
                      "hub", "hub", client_id="test-hub-view", announce=False)  # fmt: skip
    assert link.start(wait=5)
    return link


def bundle(folder: Path, version: str, boots: bool) -> Path:
    path = folder / f"antrian-{version}.raucb"
    path.write_text(json.dumps({"version": version, "boots": boots}))
    return path


def office_update(config: Path, bundle_file: Path, version: str) -> int:
    return update_office(["--config", str(config), "--bundle", str(bundle_file),
                          "--version", version, "--nodes", "kiosk-1,kiosk-2",
                          "--url-host", "127.0.0.1", "--listen", "127.0.0.1", "--port", "0",
                          "--timeout", "60"])  # fmt: skip


def test_the_hub_updates_every_node_in_turn(
    office: tuple[Mosquitto, Path], pis: dict[str, Pi], tmp_path: Path
) -> None:
    broker, config = office
    view = hub_link(broker)
    seen = Collector(view, T.node_updates, T.state_update)
    assert office_update(config, bundle(tmp_path, "0.2.0", boots=True), "0.2.0") == 0
    final = seen.wait(lambda ps: ps and ps[-1]["state"] == "done", T.state_update, 30)
    assert final
    reports = seen.payloads(T.node_update("kiosk-1"))
    states = [p["state"] for p in reports]
    # (the agent refreshes its retained report on every connect: "idle" may come twice)
    installing = states.index("installing")
    assert states[installing:].index("rebooting") > 0
    assert reports[-1]["state"] == "idle" and reports[-1]["version"] == "0.2.0"
    assert reports[installing - 1]["version"] == "0.1.0"
    assert seen.latest(T.node_update("kiosk-2"))["version"] == "0.2.0"  # type: ignore[index]
    # One at a time: kiosk-2 started installing only after kiosk-1 was back on 0.2.0.
    order = [(m.topic.split("/")[3], json.loads(m.payload)) for m in seen.messages
             if m.topic.endswith("/update") and "/node/" in m.topic]  # fmt: skip
    k1_back = next(i for i, (n, p) in enumerate(order)
                   if n == "kiosk-1" and p["version"] == "0.2.0")  # fmt: skip
    k2_installing = next(i for i, (n, p) in enumerate(order)
                         if n == "kiosk-2" and p["state"] == "installing")  # fmt: skip
    assert k1_back < k2_installing
    view.stop()


def test_a_node_that_rolls_back_stops_the_rollout(
    office: tuple[Mosquitto, Path], pis: dict[str, Pi], tmp_path: Path
) -> None:
    broker, config = office
    view = hub_link(broker)
    seen = Collector(view, T.node_updates, T.state_update)
    assert office_update(config, bundle(tmp_path, "0.2.0", boots=False), "0.2.0") == 1
    # (the hub's last word reaches this client after every report the hub acted on)
    seen.wait(lambda ps: ps and ps[-1]["state"] == "stopped", T.state_update)
    final = seen.latest(T.state_update)
    assert final is not None
    assert final["reason"].startswith("kiosk-1: rolled_back")
    assert [n["state"] for n in final["nodes"]] == ["failed", "waiting"]
    assert seen.latest(T.node_update("kiosk-1"))["version"] == "0.1.0"  # type: ignore[index]
    # kiosk-2 was never asked: its agent still reports only its start (idle, no rollout).
    reports = seen.payloads(T.node_update("kiosk-2"))
    assert {(p["state"], p["rollout"], p["version"]) for p in reports} == {("idle", None, "0.1.0")}
    view.stop()


def test_only_the_hubs_account_can_command_an_update(
    office: tuple[Mosquitto, Path], pis: dict[str, Pi]
) -> None:
    broker, _ = office
    view = hub_link(broker)
    seen = Collector(view, T.node_updates)
    for node in pis:  # each agent's retained report arrived
        seen.wait(lambda ps: ps, T.node_update(node))
    # kiosk-1 (its account) tries to make kiosk-2 and itself install a bundle.
    kiosk = login(broker, "kiosk-1")
    forged = json.dumps({"rollout": "x", "version": "6.6.6", "bundle": "http://evil/b.raucb"})
    for node in pis:
        kiosk._client.publish(T.command(node, "update"), forged, qos=1).wait_for_publish(5)
    # Then a marker on the same paths from the hub's account, which the agents refuse
    # themselves (not an http URL) and report: the forged commands, sent first, did nothing.
    marker = {"rollout": "marker", "version": "0.2.0", "bundle": "file:///etc/passwd"}
    for node in pis:
        view.publish(T.command(node, "update"), marker)
    for node in pis:
        reports = seen.wait(lambda ps: ps[-1]["rollout"] == "marker" and ps, T.node_update(node))
        assert [p["state"] for p in reports] == ["idle", "failed"]
        assert reports[-1]["detail"].startswith("not an http(s) URL")
    kiosk.stop()
    view.stop()


# --- on the dashboard -------------------------------------------------------------------------


def test_the_dashboard_shows_a_stopped_rollout_and_why() -> None:
    rollout, _ = plan("kiosk-1", "kiosk-2").step({}, now=0.0)
    seen = {"kiosk-1": Seen(True, "rolled_back", "0.1.0", "r1", "antrian-kiosk not active")}
    stopped, _ = rollout.step(seen, now=90.0)
    model = LiveModel()
    model.apply_update(UpdateState.from_payload(json.loads(json.dumps(stopped.payload()))))
    update = dashboard_view(model, datetime(2026, 12, 2, 9, 0, tzinfo=UTC), "id")["update"]
    assert update["state"] == "stopped"
    assert update["summary"] == (
        "Pembaruan ke versi 0.2.0 berhenti! kiosk-1: rolled_back (antrian-kiosk not active)"
        " Hubungi teknisi."
    )
    assert [(n["id"], n["state"]) for n in update["nodes"]] == [
        ("kiosk-1", "Gagal"),
        ("kiosk-2", "Menunggu"),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"rollout": "r", "version": "1", "state": "exploded", "nodes": []},
        {"rollout": "r", "version": "1", "state": "done", "nodes": [{"node": "k", "state": "?"}]},
        {"rollout": 5, "version": "1", "state": "done", "nodes": []},
    ],
)
def test_a_malformed_update_state_is_refused(payload: dict[str, object]) -> None:
    with pytest.raises(WireError):
        UpdateState.from_payload(payload)
