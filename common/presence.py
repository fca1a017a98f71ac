"""Is the hub there? One rule for every node. Pure: fed the messages, keeps no clock.

Only the hub's own retained status, `node/{hub id}/status`, counts. The broker's ACL lets
each node write only under its own `node/{id}/`, so a kiosk or display that publishes
`{"online": false, "role": "hub"}` on its own status topic speaks for itself, not for the
hub: what a status payload says its role is proves nothing.

The hub's id is "hub" (what provisioning names it) until the retained `config`, which
only the hub may publish, says otherwise in its `hub` field; statuses seen before that
are kept, so the order in which retained messages arrive does not matter.
"""

from __future__ import annotations

from common.payloads import NodeStatus, OfficeConfig

DEFAULT_HUB_ID = "hub"
#: Statuses remembered at most (one per node of the office; more means something is wrong).
MAX_NODES = 500


class HubPresence:
    """What the hub's own status says: True, False, or None while not yet seen."""

    def __init__(self, hub_id: str = DEFAULT_HUB_ID) -> None:
        self.hub_id = hub_id
        self._online: dict[str, bool] = {}  # node id -> online, as its own status says

    @property
    def online(self) -> bool | None:
        return self._online.get(self.hub_id)

    def on_config(self, config: OfficeConfig) -> bool:
        """The hub's retained config; True if it names another hub (`online` may change)."""
        if config.hub == self.hub_id:
            return False
        self.hub_id = config.hub
        return True

    def on_status(self, node: str, status: NodeStatus) -> bool:
        """A node's retained status; True if it is the hub's (`online` may change)."""
        if node not in self._online and len(self._online) >= MAX_NODES:
            oldest = next(n for n in self._online if n != self.hub_id)
            del self._online[oldest]
        self._online[node] = status.online
        return node == self.hub_id
