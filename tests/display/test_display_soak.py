"""A slice of an office day at high speed, with faults: the waiting room hears every call
that stays current, in time, never a stale one, never one twice (tests/display/soak.py).

Real mosquitto, the real hub, the real display daemon as a process with espeak-ng's voice
written to WAV files at real speed (so the voice falls behind: three counters pressing
about once a second each). The display is killed (SIGKILL) and restarted, the broker is
restarted (its retained messages lost: the hub republishes them).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.display.soak import Office, callings, drive, judge, settle, spoken
from tests.harness import wait_for

#: A call current this long must have been announced within it: three counters' turns of
#: ~5 s each, plus a display restart or a broker reconnect.
BOUND_S = 40.0
#: The time the hub's state takes to reach the display (published up to 50 ms after the
#: change, then delivered); an announcement starting within it is not counted stale.
SLACK_S = 1.5


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    running = Office(tmp_path)
    try:
        yield running
    finally:
        running.close()


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_an_office_slice_every_current_call_announced_none_stale_none_twice(
    office: Office,
) -> None:
    office.display_start()
    wait_for(lambda: (office.display_dir / "shots" / "latest.png").exists(), timeout=30)
    rng = random.Random(14)
    calm = time.monotonic() + 50

    def display_down() -> None:
        office.display_kill()

    def broker_restart() -> None:
        office.broker.restart()

    drive(
        office,
        90,
        rng,
        # A rush hour, then calmer: calls that stay current long enough to be judged late.
        pause=lambda: rng.uniform(0.1, 0.6) if time.monotonic() < calm else rng.uniform(2, 5),
        faults=[(30, display_down), (34, office.display_start), (60, broker_restart)],
    )
    end = settle(office, BOUND_S)
    office.display_stop()

    calls = callings(office.events(), {})
    heard = spoken(office.log)
    verdict = judge(calls, heard, end, BOUND_S, SLACK_S)
    print(verdict.summary())
    assert verdict.callings > 40 and verdict.spoken > 10  # a busy slice, really heard
    assert verdict.late == []
    assert verdict.stale == []
    assert verdict.twice == []
    # The voice was behind: calls were dropped rather than spoken late.
    assert verdict.spoken < verdict.callings
