"""Which counters have their device online, from the nodes' retained statuses.

A counter whose keypad is unplugged or whose Pi is off serves nobody, whatever its last
status ("open") says: the wait estimate counts only counters that are open AND staffed
(`Queue.estimated_wait_s(..., staffed=...)`). The queue core stays pure: this small model
follows `node/{id}/status` in the hub's shell and hands the queue a set of counter ids.

Only registered counter nodes count ([[nodes]] with `role = "counter"`): the counters a
node may command are the ones it staffs. A counter commanded by two nodes is staffed while
either is online.
"""

from __future__ import annotations

from nodes.hub.office import Office


class CounterDevices:
    def __init__(self, office: Office) -> None:
        self._counters_of = {n.id: n.counters for n in office.nodes if n.role == "counter"}
        self._online: set[str] = set()
        self.staffed: frozenset[str] = frozenset()

    def update(self, node: str, online: bool) -> bool:
        """Record a counter node's status; True when the set of staffed counters changed."""
        if node not in self._counters_of:
            return False
        if online:
            self._online.add(node)
        else:
            self._online.discard(node)
        staffed = frozenset(c for n in self._online for c in self._counters_of[n])
        changed = staffed != self.staffed
        self.staffed = staffed
        return changed
