"""The office rollout: the pure rule, then the hub's `antrian update-office` and each
node's `antrian update-agent` (simulated installer: the hardware edge) through a real
mosquitto with the office's ACL and a real hub."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.config import BrokerConfig, load
from common.mqtt import BrokerLink
from common.payloads import UpdateState
from common.wire import Topics, WireError
from nodes.hub.acl import main as acl_main
from nodes.hub.web.live import LiveModel
from nodes.hub.web.views import dashboard_view
from nodes.update.rollout import (
    HANDED_OVER,
    RESEND_S,
    Command,
    Rollout,
    Seen,
    finish_on_hub,
    office_nodes,
    rollout_order,
)
from nodes.update.rollout import main as update_office
from tests.harness import ROOT, Collector, HubProcess, Mosquitto, wait_for, write_hub_config

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


def test_a_command_its_agent_did_not_answer_is_sent_again() -> None:
    # Found in qemu: the hub's agent was still starting when update-office commanded it, the
    # command (not retained) was lost, and the rollout waited for its 20-minute timeout.
    rollout, sent = plan("kiosk-1").step({}, now=0.0)
    assert sent == [Command("kiosk-1")]
    silent = {"kiosk-1": Seen(online=True, agent_state="idle", agent_version="0.1.0")}
    rollout, sent = rollout.step(silent, now=RESEND_S - 1)
    assert sent == []
    rollout, sent = rollout.step(silent, now=RESEND_S)
    assert sent == [Command("kiosk-1")] and rollout.state_of("kiosk-1") == "updating"
    rollout, sent = rollout.step(silent, now=RESEND_S + 1)
    assert sent == []  # once per RESEND_S, not on every step
    # An answer for an earlier rollout is no answer; one for this rollout stops the resending.
    earlier = {"kiosk-1": agent("idle", "0.1.0", rollout="r0")}
    assert rollout.step(earlier, now=2 * RESEND_S)[1] == [Command("kiosk-1")]
    answered = {"kiosk-1": agent("installing", "0.1.0")}
    rollout, sent = rollout.step(answered, now=2 * RESEND_S)
    assert sent == [] and rollout.step(answered, now=9 * RESEND_S)[1] == []


def test_a_node_that_does_not_come_back_stops_the_rollout() -> None:
    rollout, _ = plan("kiosk-1", "kiosk-2", timeout=300).step({}, now=0.0)
    offline = {"kiosk-1": agent("rebooting", "0.1.0", online=False)}
    assert rollout.step(offline, now=300.0)[0].result == "running"
    stopped, sent = rollout.step(offline, now=300.5)
    assert sent == [] and stopped.result == "stopped"
    assert stopped.reason == "kiosk-1: not back online on 0.2.0 after 300 s"


def test_the_hub_comes_last_or_not_at_all() -> None:
    listed = ["hub", "kiosk-1", "loket-1", "kiosk-1"]
    assert rollout_order(listed, "hub") == ("kiosk-1", "loket-1", "hub")
    assert rollout_order(listed, "hub", skip_hub=True) == ("kiosk-1", "loket-1")


def test_by_default_every_node_but_the_web_ones_then_the_hub(tmp_path: Path) -> None:
    config = write_hub_config(tmp_path / "hub.toml", 1, tmp_path / "x.db")
    listed = office_nodes(load(config))
    assert rollout_order(listed, "hub") == (
        "kiosk-1", "kiosk-2", "loket-1", "loket-2", "loket-3", "display-1", "hub",
    )  # fmt: skip


def hub_commanded() -> Rollout:
    """kiosk-1 done, the hub just commanded: what update-office leaves before dying."""
    rollout = Rollout("r1", "0.2.0", "http://hub/b.raucb", ("kiosk-1", "hub"), 600.0, hub="hub")
    rollout, _ = rollout.step({}, now=0.0)
    rollout, sent = rollout.step({"kiosk-1": agent("idle", "0.2.0")}, now=10.0)
    assert sent == [Command("hub")]
    return rollout


def test_the_hub_is_handed_its_own_rollout_when_it_reboots() -> None:
    rollout = hub_commanded()
    # Said before the command leaves: the hub's agent writes the outcome.
    assert rollout.payload()["nodes"][1] == {"node": "hub", "state": "updating",
                                             "detail": HANDED_OVER}  # fmt: skip
    installing, _ = rollout.step({"hub": agent("installing", "0.1.0")}, now=20.0)
    assert not installing.handed_over
    rebooting, sent = rollout.step({"hub": agent("rebooting", "0.1.0")}, now=30.0)
    assert sent == [] and rebooting.handed_over and rebooting.result == "running"
    assert rebooting.payload() == rollout.payload()  # nothing new to publish, nothing to race


@pytest.mark.parametrize(
    ("back", "state", "reason"),
    [
        (agent("idle", "0.2.0"), "done", None),
        (agent("rolled_back", "0.1.0"), "stopped", "hub: rolled_back"),
        (agent("idle", "0.1.0"), "stopped", "hub: restarted on 0.1.0, not on 0.2.0"),
    ],
)
def test_the_hubs_agent_finishes_the_rollout_after_its_restart(
    back: Seen, state: str, reason: str | None
) -> None:
    left = json.loads(json.dumps(hub_commanded().payload()))
    final = finish_on_hub(left, "hub", back)
    assert final is not None
    assert (final["state"], final["current"], final["reason"]) == (state, None, reason)
    assert final["nodes"][0] == {"node": "kiosk-1", "state": "updated", "detail": None}
    assert final["nodes"][1]["state"] == ("updated" if state == "done" else "failed")


def test_the_hubs_agent_leaves_other_rollouts_alone() -> None:
    left = hub_commanded().payload()
    assert finish_on_hub(left, "hub", agent("idle", "0.2.0", rollout="r0")) is None
    assert finish_on_hub({**left, "current": "kiosk-1"}, "hub", agent("idle", "0.2.0")) is None
    assert finish_on_hub({**left, "state": "done"}, "hub", agent("idle", "0.2.0")) is None
    assert finish_on_hub({"state": "exploded"}, "hub", agent("idle", "0.2.0")) is None


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
    (`antrian update-agent --installer simulated`) in a subprocess. The hub's Pi has no
    such link: the real hub process reports its status."""

    def __init__(
        self, broker: Mosquitto, node: str, folder: Path, role: str = "kiosk",
        password: str = NODE_PASSWORD,
    ) -> None:  # fmt: skip
        run_dir, self.state = folder / "run", folder / "state"
        run_dir.mkdir(parents=True)
        (run_dir / f"{role}.toml").write_text(
            f'[office]\nid = "kantor"\n\n[node]\nid = "{node}"\n\n[broker]\nport = {broker.port}\n'
            f'username = "{node}"\npassword = "{password}"\n'
        )
        self.daemon = login(broker, node) if role != "hub" else None
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.log_path = folder / "agent.log"
        self.log = self.log_path.open("wb")
        self.agent = subprocess.Popen(
            [sys.executable, "-m", "nodes.cli", "update-agent", "--installer", "simulated",
             "--run-dir", str(run_dir), "--state-dir", str(self.state)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
        )  # fmt: skip

    @property
    def downloads(self) -> list[Path]:
        return sorted((self.state / "download").glob("*"))

    def stop(self) -> None:
        self.agent.terminate()
        self.agent.wait(10)
        self.log.close()
        if self.daemon is not None:
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


def hub_link(broker: Mosquitto, client_id: str = "test-hub-view") -> BrokerLink:
    link = BrokerLink(BrokerConfig(port=broker.port, username="hub", password="rahasia-hub"), T,
                      "hub", "hub", client_id=client_id, announce=False)  # fmt: skip
    assert link.start(wait=5)
    return link


def bundle(folder: Path, version: str, boots: bool) -> Path:
    path = folder / f"antrian-{version}.raucb"
    path.write_text(json.dumps({"version": version, "boots": boots}))
    return path


def office_update(
    config: Path, bundle_file: Path, version: str, nodes: str = "kiosk-1,kiosk-2",
    *extra: str,
) -> int:  # fmt: skip
    return update_office(["--config", str(config), "--bundle", str(bundle_file),
                          "--version", version, "--nodes", nodes,
                          "--url-host", "127.0.0.1", "--listen", "127.0.0.1", "--port", "0",
                          "--timeout", "60", *extra])  # fmt: skip


def test_the_hub_updates_every_node_in_turn(
    office: tuple[Mosquitto, Path], pis: dict[str, Pi], tmp_path: Path
) -> None:
    broker, config = office
    view = hub_link(broker)
    seen = Collector(view, T.node_updates, T.state_update)
    the_bundle = bundle(tmp_path, "0.2.0", boots=True)
    assert office_update(config, the_bundle, "0.2.0", "kiosk-1,kiosk-2", "--skip-hub") == 0
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
    the_bundle = bundle(tmp_path, "0.2.0", boots=False)
    assert office_update(config, the_bundle, "0.2.0", "kiosk-1,kiosk-2", "--skip-hub") == 1
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


def hub_pi(broker: Mosquitto, folder: Path) -> Pi:
    """The hub's own Pi: the real hub process (the fixture's) and its update agent."""
    return Pi(broker, "hub", folder, role="hub", password="rahasia-hub")


def retained_update_state(broker: Mosquitto) -> dict[str, object]:
    """What a dashboard that connects now is told (a fresh subscriber)."""
    fresh = hub_link(broker, client_id="test-fresh-view")
    try:
        return Collector(fresh, T.state_update).wait(lambda ps: ps, T.state_update)[-1]
    finally:
        fresh.stop()


def test_the_hub_updates_itself_last(
    office: tuple[Mosquitto, Path], pis: dict[str, Pi], tmp_path: Path
) -> None:
    broker, config = office
    hub = hub_pi(broker, tmp_path / "hub-pi")
    view = hub_link(broker)
    seen = Collector(view, T.node_updates, T.state_update)
    seen.wait(lambda ps: any(p["state"] == "idle" for p in ps), T.node_update("hub"), 15)
    the_bundle = bundle(tmp_path, "0.2.0", boots=True)
    # Named first, updated last; done, or handed over to the hub's agent as it reboots.
    assert office_update(config, the_bundle, "0.2.0", "hub,kiosk-1,kiosk-2") == 0
    seen.wait(lambda ps: ps[-1]["state"] != "running", T.state_update, 30)
    final = retained_update_state(broker)
    assert (final["state"], final["current"], final["reason"]) == ("done", None, None)
    assert final["nodes"] == [{"node": n, "state": "updated", "detail": None}
                              for n in ("kiosk-1", "kiosk-2", "hub")]  # fmt: skip
    back = seen.wait(lambda ps: ps[-1]["version"] == "0.2.0" and ps[-1], T.node_update("hub"))
    assert (back["state"], back["slot"]) == ("idle", "B")
    order = [(m.topic.split("/")[3], json.loads(m.payload)) for m in seen.messages
             if m.topic.endswith("/update") and "/node/" in m.topic]  # fmt: skip
    k2_back = next(i for i, (n, p) in enumerate(order)
                   if n == "kiosk-2" and p["version"] == "0.2.0")  # fmt: skip
    hub_installing = next(i for i, (n, p) in enumerate(order)
                          if n == "hub" and p["state"] == "installing")  # fmt: skip
    assert k2_back < hub_installing
    # Every Pi downloaded the bundle to its data partition and deleted it after.
    assert [pi.downloads for pi in (*pis.values(), hub)] == [[], [], []]
    view.stop()
    hub.stop()


@pytest.mark.parametrize(
    ("booted", "state", "reason"),
    [
        ({"version": "0.2.0", "slot": "B", "last": "good"}, "done", None),
        ({"version": "0.1.0", "slot": "A", "last": "rolled_back"}, "stopped", "hub: rolled_back"),
    ],
)
def test_the_hubs_agent_finishes_the_rollout_its_reboot_cut_short(
    office: tuple[Mosquitto, Path],
    tmp_path: Path,
    booted: dict[str, str],
    state: str,
    reason: str | None,
) -> None:
    broker, _ = office
    view = hub_link(broker)
    seen = Collector(view, T.state_update)
    # What `antrian update-office` left on the broker when the hub's reboot ended it...
    view.publish(T.state_update, hub_commanded().payload(), retain=True)
    seen.wait(lambda ps: ps and ps[-1]["state"] == "running", T.state_update)
    # ... and on the hub's data partition: this rollout's id, the slot it booted.
    notes = tmp_path / "hub-pi" / "state"
    notes.mkdir(parents=True)
    (notes / "rollout").write_text("r1\n")
    (notes / "booted.json").write_text(json.dumps(booted))
    hub = hub_pi(broker, tmp_path / "hub-pi")
    seen.wait(lambda ps: ps[-1]["state"] != "running", T.state_update, 15)
    final = retained_update_state(broker)
    assert (final["state"], final["current"], final["reason"]) == (state, None, reason)
    assert final["nodes"][-1]["state"] == ("updated" if state == "done" else "failed")  # type: ignore[index]
    view.stop()
    hub.stop()


def test_a_bundle_too_big_for_the_data_partition_fails_and_leaves_no_file(
    office: tuple[Mosquitto, Path], pis: dict[str, Pi], tmp_path: Path
) -> None:
    broker, config = office
    huge = tmp_path / "antrian-9.9.9.raucb"
    with huge.open("wb") as sparse:  # larger than the whole disk: it can never fit
        sparse.truncate(shutil.disk_usage(tmp_path).total + 2**30)
    view = hub_link(broker)
    seen = Collector(view, T.node_updates, T.state_update)
    assert office_update(config, huge, "9.9.9", "kiosk-1,kiosk-2", "--skip-hub") == 1
    final = seen.wait(lambda ps: ps and ps[-1]["state"] == "stopped" and ps[-1], T.state_update)
    assert final["reason"].startswith("kiosk-1: failed (not enough space for the bundle: ")
    report = seen.latest(T.node_update("kiosk-1"))
    assert report is not None and report["state"] == "failed" and report["version"] == "0.1.0"
    assert pis["kiosk-1"].downloads == []
    wait_for(lambda: b"not enough space" in pis["kiosk-1"].log_path.read_bytes())
    view.stop()


def test_a_leftover_download_is_removed_when_the_agent_starts(
    office: tuple[Mosquitto, Path], tmp_path: Path
) -> None:
    broker, _ = office
    leftover = tmp_path / "kiosk-1" / "state" / "download" / "bundle.raucb"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a bundle, cut short by a power cut")
    view = hub_link(broker)
    seen = Collector(view, T.node_updates)
    pi = Pi(broker, "kiosk-1", tmp_path / "kiosk-1")
    seen.wait(lambda ps: ps and ps[-1]["state"] == "idle", T.node_update("kiosk-1"), 15)
    assert pi.downloads == []
    view.stop()
    pi.stop()


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
