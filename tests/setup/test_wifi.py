"""The Wi-Fi verdict: NetworkManager's states, reasons and scan list in, a fault out."""

from __future__ import annotations

import pytest

from nodes.setup import wifi
from nodes.setup.wifi import (
    ACTIVATED,
    CONFIG,
    DISCONNECTED,
    IP_CONFIG,
    NEED_AUTH,
    PREPARE,
    Sample,
    Verdict,
)

V = True  # the network is in the scan list
X = False


def run(samples: list[tuple[float, int, int, bool]]) -> list[Verdict]:
    """Verdicts for (seconds since start, state, reason, visible) looks."""
    memory = wifi.start(0.0)
    verdicts = []
    for at, state, reason, visible in samples:
        memory, verdict = wifi.step(memory, Sample(state, reason, visible), at)
        verdicts.append(verdict)
    return verdicts


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        # connects: nothing to show
        ([(1, PREPARE, 0, V), (3, CONFIG, 0, V), (5, ACTIVATED, 0, V)], Verdict.CONNECTED),
        # still trying, network in range: no fault yet
        ([(1, PREPARE, 0, V), (3, CONFIG, 0, V)], Verdict.CONNECTING),
        # the handshake failed and NetworkManager asked for a new key: wrong password
        ([(1, CONFIG, 0, V), (3, NEED_AUTH, 0, V)], Verdict.WRONG_PASSWORD),
        # the failure's reason caught: no-secrets
        ([(1, CONFIG, 0, V), (3, DISCONNECTED, 7, V)], Verdict.WRONG_PASSWORD),
        # the failure itself missed: the attempt fell back from the handshake, in range
        ([(1, CONFIG, 0, V), (3, DISCONNECTED, 0, V)], Verdict.WRONG_PASSWORD),
        # ... and it stays wrong while the device tries again
        ([(1, CONFIG, 0, V), (3, DISCONNECTED, 0, V), (5, PREPARE, 0, V)], Verdict.WRONG_PASSWORD),
        # an attempt that got the key accepted and failed at DHCP is not the password
        ([(1, CONFIG, 0, V), (3, IP_CONFIG, 0, V), (5, DISCONNECTED, 0, V)], Verdict.CONNECTING),
        # an access point switched off mid-connection (supplicant-disconnect) is not either
        ([(1, ACTIVATED, 0, V), (3, DISCONNECTED, 8, V)], Verdict.CONNECTING),
        # never in range for a minute: not found
        ([(1, DISCONNECTED, 0, X), (59, DISCONNECTED, 0, X)], Verdict.CONNECTING),
        ([(1, DISCONNECTED, 0, X), (60, DISCONNECTED, 0, X)], Verdict.NOT_FOUND),
        # no Wi-Fi device at all (state 0) looks the same to the technician
        ([(1, 0, 0, X), (61, 0, 0, X)], Verdict.NOT_FOUND),
        # in range at 30 s: the minute counts from then
        ([(30, DISCONNECTED, 0, V), (60, DISCONNECTED, 0, X)], Verdict.CONNECTING),
        ([(30, DISCONNECTED, 0, V), (90, DISCONNECTED, 0, X)], Verdict.NOT_FOUND),
        # a wrong password, then the access point is gone for a minute: not found now
        (
            [(1, NEED_AUTH, 0, V), (2, DISCONNECTED, 0, X), (62, DISCONNECTED, 0, X)],
            Verdict.NOT_FOUND,
        ),
        # ... and back in range: the password is still the one it refused
        (
            [(1, NEED_AUTH, 0, V), (62, DISCONNECTED, 0, X), (63, DISCONNECTED, 0, V)],
            Verdict.WRONG_PASSWORD,
        ),
        # a refused password, then the password fixed (or the AP's changed): connected
        ([(1, NEED_AUTH, 0, V), (9, ACTIVATED, 0, V)], Verdict.CONNECTED),
        # not found, then the access point comes back and takes the key
        (
            [(1, DISCONNECTED, 0, X), (70, DISCONNECTED, 0, X), (80, ACTIVATED, 0, V)],
            Verdict.CONNECTED,
        ),
    ],
)
def test_verdict(samples: list[tuple[float, int, int, bool]], expected: Verdict) -> None:
    assert run(samples)[-1] is expected


def test_a_connection_forgets_an_old_refusal() -> None:
    verdicts = run([(1, NEED_AUTH, 0, V), (5, ACTIVATED, 0, V), (9, DISCONNECTED, 0, V)])
    assert verdicts == [Verdict.WRONG_PASSWORD, Verdict.CONNECTED, Verdict.CONNECTING]


def test_texts_name_the_network_in_both_languages() -> None:
    wrong = wifi.problem(Verdict.WRONG_PASSWORD, "Kantor Camat")
    assert wrong is not None
    assert 'Kata sandi Wi-Fi untuk jaringan "Kantor Camat" salah' in wrong
    assert 'The Wi-Fi password for "Kantor Camat" is wrong' in wrong
    missing = wifi.problem(Verdict.NOT_FOUND, "Kantor Camat")
    assert missing is not None
    assert 'Jaringan Wi-Fi "Kantor Camat" tidak ditemukan' in missing
    assert 'The Wi-Fi network "Kantor Camat" was not found' in missing
    assert wifi.problem(Verdict.CONNECTED, "x") is None
    assert wifi.problem(Verdict.CONNECTING, "x") is None


@pytest.mark.parametrize(
    ("text", "code"), [("30 (disconnected)", 30), ("100 (connected)", 100), ("", 0), ("--", 0)]
)
def test_nmcli_codes(text: str, code: int) -> None:
    assert wifi.field_code(text) == code
