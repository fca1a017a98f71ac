"""antrian update-check: a slot on trial is kept only when its node comes up (a real
broker and the node's real retained status); the hardware edge (RAUC's marks, the
reboot, systemd's unit states) is a recording stand-in."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from common.mqtt import BrokerLink
from common.wire import Topics
from nodes.update.health import Boot, Check, booted_slot, classify, run
from tests.harness import Mosquitto, client

T = Topics("kantor")


class Slots:
    """RAUC and the reboot, as seen from the check: what it asked for."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def mark(self, good: bool) -> None:
        self.calls.append("mark-good" if good else "mark-bad")

    def reboot(self) -> None:
        self.calls.append("reboot")


def units(active: bool) -> tuple[list[Sequence[str]], Callable[[Sequence[str]], bool]]:
    asked: list[Sequence[str]] = []

    def is_active(names: Sequence[str]) -> bool:
        asked.append(list(names))
        return active

    return asked, is_active


@pytest.fixture
def node_dirs(tmp_path: Path, broker: Mosquitto) -> Iterator[Check]:
    run_dir, state = tmp_path / "run", tmp_path / "state"
    run_dir.mkdir()
    state.mkdir()
    (run_dir / "kiosk.toml").write_text(
        f'[office]\nid = "kantor"\n\n[node]\nid = "kiosk-1"\n\n'
        f'[broker]\nhost = "127.0.0.1"\nport = {broker.port}\n'
    )
    (tmp_path / "cmdline").write_text("root=PARTUUID=x ro rauc.slot=B quiet\n")
    yield Check(state_dir=state, run_dir=run_dir, cmdline=tmp_path / "cmdline", timeout=2.0)


def test_what_kind_of_boot() -> None:
    assert classify("A", None) is Boot.NORMAL
    assert classify("B", "B") is Boot.TRIAL
    assert classify("A", "B") is Boot.FELL_BACK
    assert booted_slot("console=ttyAMA0 rauc.slot=B ro") == "B"
    assert booted_slot("console=ttyAMA0 ro") is None


def test_trial_slot_kept_when_its_node_is_online(node_dirs: Check, broker: Mosquitto) -> None:
    node = client(broker, "kiosk-1", "kiosk")  # announces `online: true`, retained
    try:
        (node_dirs.state_dir / "trial").write_text("B\n")
        slots = Slots()
        asked, is_active = units(True)
        # A long deadline: the check returns as soon as the node's status is seen.
        assert run(replace(node_dirs, timeout=60.0), slots, is_active) == 0
    finally:
        node.stop()
    assert slots.calls == ["mark-good"]
    assert asked[-1] == ["antrian-kiosk.service"]
    assert not (node_dirs.state_dir / "trial").exists()
    outcome = json.loads(node_dirs.outcome_file.read_text())
    assert outcome["slot"] == "B" and outcome["result"] == "good"


def test_trial_slot_rejected_when_the_unit_never_becomes_active(
    node_dirs: Check, broker: Mosquitto
) -> None:
    node = client(broker, "kiosk-1", "kiosk")
    try:
        (node_dirs.state_dir / "trial").write_text("B\n")
        slots = Slots()
        _, is_active = units(False)
        assert run(node_dirs, slots, is_active) == 1
    finally:
        node.stop()
    assert slots.calls == ["mark-bad", "reboot"]
    outcome = json.loads(node_dirs.outcome_file.read_text())
    assert outcome["result"] == "rolled_back"
    assert "antrian-kiosk.service not active" in outcome["detail"]
    assert not (node_dirs.state_dir / "trial").exists()


def test_trial_slot_rejected_when_the_node_stays_offline(
    node_dirs: Check, broker: Mosquitto
) -> None:
    # The node's last word on the broker: its Last Will, `online: false`, retained. The
    # check reads it (proving delivery) and still waits for `online: true` in vain.
    other = BrokerLink(broker.config, T, "hub", "hub", announce=False)
    assert other.start(wait=5)
    other.publish(T.node_status("kiosk-1"), {"online": False, "role": "kiosk"}, retain=True)
    other.stop()
    (node_dirs.state_dir / "trial").write_text("B\n")
    slots = Slots()
    _, is_active = units(True)
    assert run(node_dirs, slots, is_active) == 1
    assert slots.calls == ["mark-bad", "reboot"]
    outcome = json.loads(node_dirs.outcome_file.read_text())
    assert outcome["detail"] == "node kiosk-1 not online after 2 s"


def test_a_boot_without_an_update_is_marked_good_at_once(node_dirs: Check) -> None:
    slots = Slots()
    asked, is_active = units(False)  # e.g. the hub is down: the root is not to blame
    assert run(node_dirs, slots, is_active) == 0
    assert slots.calls == ["mark-good"]
    assert asked == []
    assert not node_dirs.outcome_file.exists()


def test_a_trial_slot_that_never_came_up_is_recorded_after_grubs_fallback(
    node_dirs: Check,
) -> None:
    node_dirs.cmdline.write_text("ro rauc.slot=A\n")  # GRUB skipped B, tried and not good
    (node_dirs.state_dir / "trial").write_text("B\n")
    slots = Slots()
    assert run(node_dirs, slots) == 0
    assert slots.calls == ["mark-good"]
    outcome = json.loads(node_dirs.outcome_file.read_text())
    assert outcome["slot"] == "B" and outcome["result"] == "rolled_back"
    assert not (node_dirs.state_dir / "trial").exists()
