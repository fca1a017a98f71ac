"""Whether this Pi's Wi-Fi from the boot file works: a pure verdict on what NetworkManager
reports, one look (a `Sample`) at a time.

NetworkManager says why a connection failed only for an instant (the device passes
through `failed` and is `disconnected` again at once), so a watcher that looks every few
seconds cannot rely on catching the reason. What it does see reliably: whether the
network's name is in the scan list, and how far each attempt got before the device fell
back to `disconnected`. An attempt that ends during the association (the supplicant's
4-way handshake, `config`) or asks for new secrets (`need-auth`) while the network is in
range is a rejected password; a network absent from the scan list is not found.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

# NetworkManager's device states (NMDeviceState, the number nmcli prints first).
DISCONNECTED = 30
PREPARE = 40
CONFIG = 50
NEED_AUTH = 60
IP_CONFIG = 70
ACTIVATED = 100
FAILED = 120
# The reason (NMDeviceStateReason) NetworkManager gives when the handshake failed with
# the stored key and it asked for a new one that no one had: no-secrets. Not the
# supplicant-* reasons: an access point switched off ends a connection with those too.
AUTH_REASONS = frozenset({7})
#: How long a network may stay out of the scan list before it counts as not found
#: (NetworkManager scans every few seconds while disconnected; a Pi's first scans after
#: power-up take longer).
NOT_FOUND_AFTER_S = 60.0


class Verdict(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    WRONG_PASSWORD = "wrong password"
    NOT_FOUND = "not found"


@dataclass(frozen=True)
class Sample:
    """One look at the Wi-Fi device: its state and reason codes, and whether the
    network's name is in the scan list."""

    state: int
    reason: int
    visible: bool


@dataclass(frozen=True)
class Memory:
    """What earlier samples showed, as far as the verdict needs it."""

    since: float  # the watcher's start, or the last time the network was in range
    furthest: int = 0  # the furthest state of the attempt under way (0: none)
    rejected: bool = False  # a password was refused since the last connection


def start(now: float) -> Memory:
    return Memory(since=now)


def step(
    memory: Memory, sample: Sample, now: float, not_found_after: float = NOT_FOUND_AFTER_S
) -> tuple[Memory, Verdict]:
    """The memory after `sample`, taken at `now` (seconds, monotonic), and the verdict."""
    since = now if sample.visible else memory.since
    if sample.state == ACTIVATED:
        return Memory(since=since), Verdict.CONNECTED
    rejected = (
        memory.rejected
        or sample.reason in AUTH_REASONS
        or sample.state == NEED_AUTH
        # an attempt that fell back during the handshake, with the network in range
        or (
            sample.state in (DISCONNECTED, FAILED)
            and memory.furthest in (CONFIG, NEED_AUTH)
            and sample.visible
        )
    )
    trying = PREPARE <= sample.state < ACTIVATED
    furthest = max(memory.furthest, sample.state) if trying else 0
    memory = replace(memory, since=since, furthest=furthest, rejected=rejected)
    if now - since >= not_found_after:
        return memory, Verdict.NOT_FOUND  # what is true now, even after a refused password
    if rejected:
        return memory, Verdict.WRONG_PASSWORD
    return memory, Verdict.CONNECTING


def problem(verdict: Verdict, ssid: str) -> str | None:
    """The technician's text for a verdict (Indonesian, then English); None: no fault."""
    if verdict is Verdict.WRONG_PASSWORD:
        return (
            f'Kata sandi Wi-Fi untuk jaringan "{ssid}" salah.\n'
            f'The Wi-Fi password for "{ssid}" is wrong.\n\n'
            "Perbaiki password di bagian [wifi] antrian.toml pada partisi boot kartu SD,\n"
            "lalu nyalakan ulang Pi. / Fix the password in antrian.toml's [wifi] on the\n"
            "SD card's boot partition, then restart the Pi."
        )
    if verdict is Verdict.NOT_FOUND:
        return (
            f'Jaringan Wi-Fi "{ssid}" tidak ditemukan.\n'
            f'The Wi-Fi network "{ssid}" was not found.\n\n'
            "Periksa nama jaringan (ssid) di antrian.toml dan apakah access point menyala.\n"
            "Check the network name (ssid) in antrian.toml and that the access point is on."
        )
    return None


def field_code(text: str) -> int:
    """The number nmcli prints before its words ("30 (disconnected)" -> 30)."""
    head = text.strip().split(" ", 1)[0]
    return int(head) if head.isdigit() else 0
