"""Each node's share of the hub (nodes/hub/fairness.py), with a clock that only moves when
told; the flood guard's log (nodes/hub/guard.py); and `[hub.limits]` in the hub's file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from common.config import ConfigError
from common.mqtt import Message
from nodes.hub.daemon import load_config
from nodes.hub.fairness import (
    ANSWERS,
    DEFAULT_LIMITS,
    REPORT_EVERY_S,
    UNREGISTERED,
    Admission,
    Limit,
    TokenBucket,
    Verdict,
)
from nodes.hub.guard import FloodGuard
from tests.harness import write_hub_config

ROLES = {"kiosk-1": "kiosk", "kiosk-2": "kiosk", "web-1": "web", "loket-1": "counter"}


def admitted(admission: Admission, node: str, count: int, now: float) -> int:
    return sum(admission.admit(node, now).verdict is Verdict.ADMIT for _ in range(count))


def test_a_bucket_gives_its_burst_at_once_then_its_rate() -> None:
    bucket = TokenBucket(Limit(rate=2.0, burst=5), now=100.0)
    assert [bucket.take(100.0) for _ in range(6)] == [True] * 5 + [False]
    assert not bucket.take(100.4)  # 0.8 of a token
    assert bucket.take(100.5)
    assert not bucket.take(100.5)
    # A long quiet spell refills the burst, never more.
    assert sum(bucket.take(1000.0) for _ in range(10)) == 5


def test_a_clock_going_backwards_gives_no_tokens() -> None:
    bucket = TokenBucket(Limit(rate=1.0, burst=1), now=50.0)
    assert bucket.take(50.0)
    assert not bucket.take(10.0)
    assert not bucket.take(50.5)
    assert bucket.take(51.0)


def test_one_node_flooding_leaves_every_other_node_its_whole_share() -> None:
    admission = Admission(ROLES, {})
    kiosk = DEFAULT_LIMITS["kiosk"]
    assert admitted(admission, "kiosk-2", 10_000, now=0.0) == kiosk.burst
    assert admitted(admission, "kiosk-1", kiosk.burst, now=0.0) == kiosk.burst
    assert admitted(admission, "web-1", 10_000, now=0.0) == DEFAULT_LIMITS["web"].burst
    # Ten seconds later each has earned rate x 10 again, whatever the flood did meanwhile.
    assert admitted(admission, "kiosk-2", 10_000, now=10.0) == int(kiosk.rate * 10)
    assert admitted(admission, "kiosk-1", 10_000, now=10.0) == int(kiosk.rate * 10)


def test_refusals_are_answered_up_to_a_second_threshold_then_dropped() -> None:
    admission = Admission(ROLES, {"kiosk": Limit(rate=1.0, burst=1)})
    assert admission.admit("kiosk-2", 0.0) == (Verdict.ADMIT, False)
    verdicts = [admission.admit("kiosk-2", 0.0) for _ in range(1000)]
    assert verdicts[0] == (Verdict.ANSWER, True)  # the flood starts: said once
    assert [v.verdict for v in verdicts].count(Verdict.ANSWER) == ANSWERS.burst
    assert [v.verdict for v in verdicts].count(Verdict.DROP) == 1000 - ANSWERS.burst
    assert not any(v.flood_starts for v in verdicts[1:])


def test_made_up_node_ids_share_one_small_bucket() -> None:
    admission = Admission(ROLES, {})
    total = sum(admitted(admission, f"nobody-{n}", 10, now=0.0) for n in range(100))
    assert total == UNREGISTERED.burst
    assert admitted(admission, "kiosk-1", 1, now=0.0) == 1


def test_refusals_are_summarised_once_a_minute_per_node() -> None:
    admission = Admission(ROLES, {"kiosk": Limit(rate=1.0, burst=1)})
    for node in ("kiosk-1", "kiosk-2"):
        admitted(admission, node, 501, now=0.0)
    assert admission.report(REPORT_EVERY_S - 0.1) == []
    first = admission.report(REPORT_EVERY_S)
    assert sorted((r.node, r.role, r.total) for r in first) == [
        ("kiosk-1", "kiosk", 500),
        ("kiosk-2", "kiosk", 500),
    ]
    assert admission.report(REPORT_EVERY_S + 1) == []  # said once, not every call
    # kiosk-2 keeps flooding: its next minute is counted, and no new start is announced.
    assert admitted(admission, "kiosk-2", 3, now=REPORT_EVERY_S + 30) == 1
    assert not admission.admit("kiosk-2", REPORT_EVERY_S + 30).flood_starts
    second = admission.report(2 * REPORT_EVERY_S)
    assert [(r.node, r.total) for r in second] == [("kiosk-2", 3)]
    # A quiet minute ends the flood; the next refusal is a new flood, announced again.
    assert admission.report(3 * REPORT_EVERY_S) == []
    later = 3 * REPORT_EVERY_S
    assert admission.admit("kiosk-2", later) == (Verdict.ADMIT, False)
    assert admission.admit("kiosk-2", later) == (Verdict.ANSWER, True)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_guard_logs_a_flood_in_two_lines_and_answers_only_the_first_refusals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    answered: list[Message] = []
    guard = FloodGuard(Admission(ROLES, {}), answered.append, clock)
    topic = "antrian/kantor/node/kiosk-2/request/ticket"
    with caplog.at_level(logging.INFO, logger="antrian.hub"):
        let_through = sum(guard.admit(Message(topic, b"{}")) for _ in range(5000))
        clock.now = REPORT_EVERY_S
        guard.report()
        guard.report()
    assert let_through == DEFAULT_LIMITS["kiosk"].burst
    assert len(answered) == ANSWERS.burst and answered[0].topic == topic
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "kiosk-2 sends more than its share" in lines[0]
    refused = 5000 - let_through
    assert f"kiosk-2 (kiosk): {refused} requests refused in the last 60 s" in lines[1]
    assert f"({ANSWERS.burst} answered rate_limited, {refused - ANSWERS.burst} dropped" in lines[1]


def test_limits_per_role_are_read_from_the_hub_file(tmp_path: Path) -> None:
    limits = "[hub.limits.kiosk]\nrate = 0.5\nburst = 3\n[hub.limits.web]\nburst = 500"
    path = write_hub_config(tmp_path / "hub.toml", 1883, tmp_path / "db", limits=limits)
    _, _, settings = load_config(str(path))
    assert settings.limits == {
        "kiosk": Limit(rate=0.5, burst=3),
        "web": Limit(rate=DEFAULT_LIMITS["web"].rate, burst=500),
    }
    path = write_hub_config(tmp_path / "hub.toml", 1883, tmp_path / "db", limits="")
    assert load_config(str(path))[2].limits == {}


@pytest.mark.parametrize(
    ("hub_extra", "limits", "message"),
    [
        ("", "[hub.limits.kiosk]\nrate = 0", "hub.limits.kiosk.rate: must be at least 0.01, not 0"),
        ("", '[hub.limits.kiosk]\nburst = "9"', "hub.limits.kiosk.burst: must be an integer"),
        ("", "[hub.limits.kiosk]\nburts = 10", "hub.limits.kiosk.burts: unknown key"),
        ("", "[hub.limits.printer]\nrate = 1", "hub.limits.printer: unknown role (one of kiosk,"),
        ("limits = 5", "", "hub.limits: must be a table"),
    ],
)
def test_a_wrong_limit_names_file_key_and_problem(
    tmp_path: Path, hub_extra: str, limits: str, message: str
) -> None:
    path = write_hub_config(
        tmp_path / "hub.toml", 1883, tmp_path / "db", hub_extra=hub_extra, limits=limits
    )
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    assert str(caught.value).startswith(f"{path}: {message}"), caught.value
