"""The hub's requests arrive in one broker session per registered node.

The broker keeps one queue per session, and once a session's queue is full it drops
whatever arrives next, from anyone. With one session for every node's requests, a node
that floods fills the queue all nodes share, and a kiosk's request waits behind the
flood or is dropped. With one session per node, a flood fills its sender's queue only:
the other nodes' requests reach the hub at once, however fast the flooder sends, and the
broker drops nothing but the flooder's own excess. The flood guard (guard.py) then keeps
the flooder's session cheap to drain.

Each session is persistent, like the hub's main one, so requests sent while the hub
restarts are still delivered (each within its own expiry). The main session keeps the
wildcard subscription for ids not in `[[nodes]]` (answered `forbidden`); it ignores the
registered nodes' requests, which come through their own sessions.
"""

from __future__ import annotations

import time

from common.mqtt import BrokerLink, Handler, Message
from nodes.hub.guard import sender
from nodes.hub.office import Office


def open_intakes(
    main: BrokerLink, client_id: str, office: Office, handler: Handler, wait: float = 5.0
) -> list[BrokerLink]:
    """Start one session per registered node beside the hub's `main` one (whose client id
    is `client_id`), each handing its requests to `handler`.

    Waits up to `wait` seconds for them to connect, so that the hub announces itself
    online (on `main`, started afterwards) only once every node's requests reach it; a
    broker still booting delays the hub by that much, and the sessions keep trying."""
    intakes = []
    for node in office.nodes:
        intake = BrokerLink(
            main.broker,
            main.topics,
            main.node_id,
            role=main.role,
            client_id=f"{client_id}-in-{node.id}",
            persistent_session=True,
            announce=False,
        )
        intake.subscribe(main.topics.request(node.id, "+"), handler)
        intake.start(wait=None)
        intakes.append(intake)
    deadline = time.monotonic() + wait
    for intake in intakes:
        intake.wait_connected(max(0.0, deadline - time.monotonic()))
    return intakes


def unregistered_only(office: Office, handler: Handler) -> Handler:
    """`handler` for requests from ids not in `[[nodes]]`; the rest have their sessions."""
    registered = frozenset(node.id for node in office.nodes)

    def handle(message: Message) -> None:
        if sender(message.topic) not in registered:
            handler(message)

    return handle
