"""Officers at counters: the queue's sign-in rules, the PIN lockout, the config, the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from common.accounts import pin_hash, pin_matches
from common.config import ConfigError, Table
from nodes.hub import views
from nodes.hub.events import (
    CounterCommand,
    ExpireOpenTickets,
    IssueTicket,
    OfficerSignedIn,
    OfficerSignedOut,
    TicketCalled,
    from_row,
    to_row,
)
from nodes.hub.office import read_office
from nodes.hub.officers import PinGuard
from nodes.hub.queue import Queue, Rejected
from tests.harness import OFFICER_PINS, ROOT
from tests.hub.support import MORNING, Driver, office


def sign_in(drive: Driver, counter: str, officer: str) -> list[Any]:
    return drive(CounterCommand(counter, "sign_in", officer=officer))


def test_calls_carry_the_officer_signed_in() -> None:
    drive = Driver()
    assert sign_in(drive, "1", "1") == [OfficerSignedIn(MORNING, MORNING.date(), "1", "1")]
    drive(IssueTicket("A", False, "kiosk-1"))
    (call,) = drive(CounterCommand("1", "call_next"))
    assert isinstance(call, TicketCalled) and call.officer == "1"
    (recall,) = drive(CounterCommand("1", "recall"))
    assert isinstance(recall, TicketCalled) and recall.officer == "1"
    data = views.counter_data(drive.queue, "1", MORNING)
    assert (data["officer"], data["officer_name"]) == ("1", "Siti Aminah")
    assert views.call_event(drive.queue, call)["officer"] == "1"
    # The row keeps the officer; a call without one is stored as before.
    assert to_row(call).data["officer"] == "1" and from_row(*to_row(call)) == call
    drive(CounterCommand("1", "sign_out"))
    drive(IssueTicket("A", False, "kiosk-1"))
    _, later = drive(CounterCommand("1", "call_next"))
    assert isinstance(later, TicketCalled) and later.officer is None
    assert "officer" not in to_row(later).data and from_row(*to_row(later)) == later


def test_an_officer_is_at_one_counter_and_a_counter_has_one_officer() -> None:
    drive = Driver()
    sign_in(drive, "1", "1")
    day = MORNING.date()
    # Siti moves to Loket 2: she leaves Loket 1 first.
    assert sign_in(drive, "2", "1") == [
        OfficerSignedOut(MORNING, day, "1", "1"),
        OfficerSignedIn(MORNING, day, "2", "1"),
    ]
    # Budi takes Loket 2: Siti is signed out of it.
    assert sign_in(drive, "2", "2") == [
        OfficerSignedOut(MORNING, day, "2", "1"),
        OfficerSignedIn(MORNING, day, "2", "2"),
    ]
    assert sign_in(drive, "2", "2") == []  # already there
    with pytest.raises(Rejected) as refused:
        drive(CounterCommand("1", "sign_out"))
    assert (refused.value.code, refused.value.message) == (
        "invalid_state",
        "Tidak ada petugas yang masuk di Loket 1.",
    )
    with pytest.raises(Rejected) as unknown:
        sign_in(drive, "1", "9")
    assert unknown.value.code == "wrong_pin"


def test_a_sign_in_ends_with_its_day() -> None:
    drive = Driver()
    sign_in(drive, "1", "1")
    drive.clock.advance(days=1)
    tomorrow = drive.clock.now
    assert views.counter_data(drive.queue, "1", tomorrow)["officer"] is None
    assert drive(ExpireOpenTickets()) == [OfficerSignedOut(tomorrow, tomorrow.date(), "1", "1")]
    assert drive(ExpireOpenTickets()) == []
    # A queue rebuilt from the log is the same.
    replayed = Queue(office())
    for event in drive.log:
        replayed.apply(from_row(*to_row(event)))
    assert replayed.snapshot() == drive.queue.snapshot()


def test_wrong_pins_lock_the_code_and_the_counter() -> None:
    guard = PinGuard(office(), attempts=3, lock=timedelta(minutes=5))
    now = MORNING
    guard.check("1", "1", "1234", now)  # right
    for left in (2, 1):
        with pytest.raises(Rejected) as wrong:
            guard.check("1", "1", "0000", now)
        assert (wrong.value.code, wrong.value.message) == (
            "wrong_pin",
            f"PIN salah. Sisa {left} kali coba.",
        )
    with pytest.raises(Rejected) as locked:
        guard.check("1", "1", "0000", now)
    assert (locked.value.code, locked.value.message) == (
        "pin_locked",
        "PIN salah 3x. Dikunci 5 menit.",
    )
    # The right PIN is refused while locked: at this counter, and for this code elsewhere.
    for counter, officer, pin in (("1", "2", "5678"), ("2", "1", "1234")):
        with pytest.raises(Rejected) as still:
            guard.check(counter, officer, pin, now + timedelta(minutes=4))
        assert still.value.message == "PIN dikunci. Coba lagi 1 menit lagi."
    guard.check("2", "2", "5678", now)  # another code at another counter: not locked
    guard.check("1", "1", "1234", now + timedelta(minutes=5))  # the lock is over
    # A right PIN clears the count: three more wrong ones are needed to lock again.
    for _ in range(2):
        with pytest.raises(Rejected, match="wrong_pin"):
            guard.check("1", "1", "0000", now + timedelta(minutes=6))


def test_an_unknown_code_is_told_like_a_wrong_pin() -> None:
    guard = PinGuard(office())
    with pytest.raises(Rejected) as refused:
        guard.check("1", "77", "1234", MORNING)
    assert refused.value.code == "wrong_pin"


def test_pin_hashes_check_the_pin() -> None:
    hashed = pin_hash("2468")
    assert pin_matches("2468", hashed) and not pin_matches("2469", hashed)
    assert not pin_matches("2468", None) and not pin_matches("2468", "2468")
    assert pin_hash("2468") != hashed  # salted


def root(officers: list[dict[str, Any]]) -> Table:
    data = {
        "services": [{"id": "A", "name": "Kartu Keluarga"}],
        "counters": [{"id": "1", "services": ["A"]}],
        "officers": officers,
    }
    return Table(data, "hub.toml")


def test_officers_are_read_from_the_hub_file() -> None:
    hashed = pin_hash("1234")
    (officer,) = read_office(
        root([{"id": "7", "name": "Siti", "nip": "19800101 200501 1 001", "pin_hash": hashed}])
    ).officers
    assert (officer.id, officer.name, officer.pin_hash) == ("7", "Siti", hashed)
    assert "1234" not in repr(officer) and hashed not in repr(officer)


@pytest.mark.parametrize(
    ("officer", "problem"),
    [
        ({"id": "S1", "name": "Siti"}, "officers[0].id: must be a code of 1-8 digits"),
        ({"id": "7", "name": "Siti"}, "officers[0].pin_hash: is required but missing"),
        ({"id": "7", "name": "Siti", "pin_hash": "1234"}, "must be a PIN hash from"),
        ({"id": "7", "name": "Siti", "pin_hash": "HASH", "nip": "123"}, "NIP of 18 digits"),
    ],
)
def test_a_wrong_officer_entry_stops_the_hub(officer: dict[str, Any], problem: str) -> None:
    if officer.get("pin_hash") == "HASH":
        officer = {**officer, "pin_hash": pin_hash("1234")}
    with pytest.raises(ConfigError, match=re.escape(problem)):
        read_office(root([officer]))
    hashed = pin_hash("1234")
    twice = [
        {"id": "7", "name": "A", "pin_hash": hashed},
        {"id": "7", "name": "B", "pin_hash": hashed},
    ]
    with pytest.raises(ConfigError, match="duplicate officer id '7'"):
        read_office(root(twice))


def test_the_cli_prints_a_hash_of_the_pin_and_refuses_a_non_pin() -> None:
    run = [sys.executable, "-m", "nodes.cli", "officer-pin"]
    done = subprocess.run(run, input="2468\n", capture_output=True, text=True, cwd=ROOT, check=True)
    line = done.stdout.strip()
    assert line.startswith('pin_hash = "pbkdf2-sha256$') and "2468" not in line
    assert pin_matches("2468", line.split('"')[1])
    bad = subprocess.run(run, input="12\n", capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "4 to 8 digits" in bad.stderr
    assert OFFICER_PINS  # the test office's PINs are the ones the other tests type
