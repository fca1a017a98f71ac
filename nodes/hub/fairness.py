"""Each node's fair share of the hub: a token bucket per node, limits per role. Pure.

A node may send `burst` requests at once and `rate` per second after that. Requests over
its share are refused before anything is decoded or stored, so a node that floods costs
the hub little and never delays another node's requests:

- the first refusals are answered `rate_limited` (a well-meaning client learns to back
  off and shows the person a message), at most `ANSWERS` per node: burst 10, then 2 a
  second;
- past that second threshold they are dropped unanswered. Answering every one of 10,000
  requests would cost the hub a publish each, and its sender is not listening anyway; a
  dropped request is a timeout to its sender, as if the hub were away.

Refusals are counted per node and summarised once a minute (`report`), never logged one
by one. Every time is a float in seconds from a monotonic clock, passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final, NamedTuple

from common.config import Table


@dataclass(frozen=True)
class Limit:
    rate: float  # requests per second, sustained
    burst: int  # requests at once, after a quiet spell


#: Defaults per role; `[hub.limits.{role}]` changes them (docs/config.md explains each).
DEFAULT_LIMITS: Final[Mapping[str, Limit]] = {
    # A button pressed by hand: one press is a request, and at most four copies of it
    # when the hub is slow (BrokerLink retries every 1.5 s for 5 s). A queue of people
    # pressing one after another stays far below this.
    "kiosk": Limit(rate=2.0, burst=20),
    # An officer's keypad: call, start, finish in quick succession, never tens a second.
    "counter": Limit(rate=2.0, burst=20),
    # The web front end speaks for every phone in the office and for the dashboard: a
    # crowd taking numbers at opening time must not be refused.
    "web": Limit(rate=20.0, burst=200),
    # A display only listens; whatever it sends is refused anyway.
    "display": Limit(rate=0.5, burst=5),
}
#: Ids not registered in `[[nodes]]` (only possible on a broker without the ACL) share one
#: bucket, so that made-up ids cannot add up to more than one small node.
UNREGISTERED: Final = Limit(rate=0.5, burst=5)
UNREGISTERED_KEY: Final = ""
#: How many refusals per node are answered `rate_limited`; the rest are dropped.
ANSWERS: Final = Limit(rate=2.0, burst=10)
#: Refusals are summarised this often (seconds), per node.
REPORT_EVERY_S: Final = 60.0


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; a request takes one."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, limit: Limit, now: float) -> None:
        self.rate = limit.rate
        self.burst = float(limit.burst)
        self.tokens = self.burst
        self.stamp = now

    def take(self, now: float) -> bool:
        """Take a token at `now`; False if there is none."""
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Verdict(Enum):
    ADMIT = "admit"
    ANSWER = "answer"  # refuse with `rate_limited`
    DROP = "drop"  # refuse silently


class Decision(NamedTuple):
    verdict: Verdict
    #: The first refusal after a quiet spell: the moment to tell the technician once.
    flood_starts: bool


@dataclass
class Refusals:
    """One node's refusals since `since`."""

    node: str
    role: str
    since: float
    answered: int = 0
    dropped: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.dropped


class _Share:
    __slots__ = ("answers", "refusals", "requests", "role")

    def __init__(self, role: str, limit: Limit, now: float) -> None:
        self.role = role
        self.requests = TokenBucket(limit, now)
        self.answers = TokenBucket(ANSWERS, now)
        self.refusals: Refusals | None = None


class Admission:
    """Admits each request by its sender's share; counts what it refuses."""

    def __init__(self, roles: Mapping[str, str], limits: Mapping[str, Limit]) -> None:
        """`roles`: node id → role of every registered node; `limits`: role → Limit."""
        self.roles = dict(roles)
        self.limits = {**DEFAULT_LIMITS, **limits}
        self._shares: dict[str, _Share] = {}

    def limit_of(self, node: str) -> Limit:
        role = self.roles.get(node)
        return self.limits.get(role, UNREGISTERED) if role else UNREGISTERED

    def admit(self, node: str, now: float) -> Decision:
        """Decide one request from `node` arriving at `now`."""
        key = node if node in self.roles else UNREGISTERED_KEY
        share = self._shares.get(key)
        if share is None:
            role = self.roles.get(node, "unregistered")
            share = self._shares[key] = _Share(role, self.limit_of(node), now)
        if share.requests.take(now):
            return Decision(Verdict.ADMIT, False)
        refusals = share.refusals
        starts = refusals is None
        if refusals is None:
            refusals = share.refusals = Refusals(key or "(unregistered)", share.role, now)
        if share.answers.take(now):
            refusals.answered += 1
            return Decision(Verdict.ANSWER, starts)
        refusals.dropped += 1
        return Decision(Verdict.DROP, starts)

    def report(self, now: float) -> list[Refusals]:
        """Every node's refusals of a minute that has ended, once each.

        A node still refused goes on being counted from now; one that was quiet for the
        whole minute is forgotten, and its next refusal starts a new flood."""
        ended: list[Refusals] = []
        for share in self._shares.values():
            refusals = share.refusals
            if refusals is None or now - refusals.since < REPORT_EVERY_S:
                continue
            if refusals.total:
                ended.append(refusals)
                share.refusals = Refusals(refusals.node, refusals.role, now)
            else:
                share.refusals = None
        return ended


def read_limits(table: Table) -> dict[str, Limit]:
    """`[hub.limits]`: one table per role, `rate` and `burst`, each defaulting per role."""
    limits: dict[str, Limit] = {}
    for role in table.data:
        if role not in DEFAULT_LIMITS:
            raise table.error(role, f"unknown role (one of {', '.join(DEFAULT_LIMITS)})")
        default = DEFAULT_LIMITS[role]
        entry = table.table(role)
        rate = entry.float("rate", default.rate, min=0.01)
        burst = entry.int("burst", default.burst, min=1, max=100_000)
        entry.finish()
        limits[role] = Limit(rate=rate, burst=burst)
    table.finish()
    return limits
