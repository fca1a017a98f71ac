"""The hub's flood guard: `fairness.Admission` on the wire, before any request is handled.

It runs in paho's network thread as each request arrives and costs a split of the topic
and a token bucket, so the hub drains its broker session as fast as a flooder can fill it
and the broker never has to drop another node's request. The housekeeping thread calls
`report` once a second; refusals reach the log as one line when a node starts flooding
and one summary per node per minute, never one line per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from common.mqtt import Message
from nodes.hub.fairness import Admission, Verdict

log = logging.getLogger("antrian.hub")


def sender(topic: str) -> str:
    """The node id of `{base}/node/{node}/request/{verb}` ({base} is two levels), else ""."""
    parts = topic.split("/")
    return parts[3] if len(parts) == 6 else ""


class FloodGuard:
    def __init__(
        self,
        admission: Admission,
        answer: Callable[[Message], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`answer(message)` sends the `rate_limited` answer to a refused request."""
        self.admission = admission
        self.answer = answer
        self.clock = clock
        self._lock = threading.Lock()  # the network thread admits, the housekeeper reports

    def admit(self, message: Message) -> bool:
        """True if the request is within its sender's share and should be handled."""
        node = sender(message.topic)
        with self._lock:
            verdict, starts = self.admission.admit(node, self.clock())
        if verdict is Verdict.ADMIT:
            return True
        if starts:
            limit = self.admission.limit_of(node)
            log.warning(
                "node %s sends more than its share (%g requests/s, burst %d): refusing the "
                "excess with rate_limited, then silently; a summary follows every minute",
                node or "(unregistered)",
                limit.rate,
                limit.burst,
            )
        if verdict is Verdict.ANSWER:
            self.answer(message)
        return False

    def report(self) -> None:
        """Log one summary per flooding node whose minute has ended."""
        now = self.clock()
        with self._lock:
            ended = self.admission.report(now)
        for refusals in ended:
            log.warning(
                "node %s (%s): %d requests refused in the last %.0f s "
                "(%d answered rate_limited, %d dropped unanswered)",
                refusals.node,
                refusals.role,
                refusals.total,
                now - refusals.since,
                refusals.answered,
                refusals.dropped,
            )
