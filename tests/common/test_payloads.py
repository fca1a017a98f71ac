"""The state and event payloads of the contract: encode, decode strictly, refuse the rest."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from common.payloads import (
    Call,
    Calls,
    Counter,
    CounterState,
    CounterTicket,
    NodeStatus,
    OfficeConfig,
    PayloadGate,
    QueueState,
    Scalar,
    Service,
    ServiceQueue,
    TicketEvent,
)
from common.wire import WireError, encode

WIB = timezone(timedelta(hours=7))
AT = datetime(2026, 11, 28, 8, 20, 11, tzinfo=WIB)

CONFIG = OfficeConfig(
    "kantor",
    "Kantor Kecamatan Contoh",
    "hub",
    (Service("A", "Kartu Keluarga", "A"), Service("B", "KTP Elektronik", "KT")),
    (Counter("1", "Loket 1", ("A", "B")), Counter("2", "Loket 2", ())),
)
QUEUE = QueueState(
    (
        ServiceQueue("A", "Kartu Keluarga", "A", 3, "A-005", "A-002", 600, True),
        ServiceQueue("B", "KTP Elektronik", "KT", 0, None, None, None, False),
    )
)
TICKET = CounterTicket("20261128-A-001", "A-001", "A", "called", AT)
COUNTER = CounterState("1", "Loket 1", "open", TICKET, 2)
CALL = Call("20261128-A-001", "A-001", "A", "1", "Loket 1", 1, AT)
ISSUED_EXTRA: dict[str, Scalar] = {"priority": True, "node": "kiosk-1", "online": False}
ISSUED = TicketEvent("issued", "20261128-A-001", "A-001", "A", None, AT, ISSUED_EXTRA)
CANCELLED = TicketEvent(
    "cancelled", "20261128-A-001", "A-001", "A", None, AT, {"reason": None, "node": "kiosk-1"}
)
STATUS = NodeStatus(True, "kiosk", "0.1.0", {"printer": "paper_low", "pid": 12})

#: Every payload class with one value of it, and the decoder a node uses.
EXAMPLES: list[tuple[Any, Callable[[Mapping[str, Any]], Any]]] = [
    (CONFIG, OfficeConfig.from_payload),
    (QUEUE, QueueState.from_payload),
    (COUNTER, CounterState.from_payload),
    (CounterState("2", "Loket 2", "paused"), CounterState.from_payload),
    (Calls((CALL, CALL)), Calls.from_payload),
    (Calls(()), Calls.from_payload),
    (CALL, Call.from_payload),
    (ISSUED, TicketEvent.from_payload),
    (CANCELLED, TicketEvent.from_payload),
    (TicketEvent("finished", "20261128-A-001", "A-001", "A", "1", AT), TicketEvent.from_payload),
    (STATUS, NodeStatus.from_payload),
    (NodeStatus(False, "hub"), NodeStatus.from_payload),
]


@pytest.mark.parametrize(("value", "read"), EXAMPLES)
def test_every_payload_round_trips_through_its_json(value: Any, read: Callable[..., Any]) -> None:
    payload = value.to_payload()
    assert read(json.loads(encode(payload))) == value
    assert read(payload).to_payload() == payload


def test_the_shapes_are_those_of_the_docs() -> None:
    assert CONFIG.to_payload()["office"] == {"id": "kantor", "name": "Kantor Kecamatan Contoh"}
    assert list(QUEUE.to_payload()) == ["A", "B"]  # keyed by service id, nothing else
    assert COUNTER.to_payload()["ticket"]["called_at"] == "2026-11-28T08:20:11+07:00"
    assert list(ISSUED.to_payload())[6:] == ["priority", "node", "online"]
    assert NodeStatus(False, "hub").to_payload() == {"online": False, "role": "hub"}


def without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


def changed(payload: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**payload, **fields}


CONFIG_P = CONFIG.to_payload()
ENTRY_P = QUEUE.to_payload()["A"]
COUNTER_P = COUNTER.to_payload()
CALL_P = CALL.to_payload()
ISSUED_P = ISSUED.to_payload()


@pytest.mark.parametrize(
    ("read", "payload"),
    [
        # config
        (OfficeConfig.from_payload, without(CONFIG_P, "hub")),
        (OfficeConfig.from_payload, changed(CONFIG_P, hub="hub/x")),
        (OfficeConfig.from_payload, changed(CONFIG_P, office={"id": "kantor"})),
        (OfficeConfig.from_payload, changed(CONFIG_P, services={"A": {"name": "KK"}})),
        (OfficeConfig.from_payload, changed(CONFIG_P, services=[{"id": "A", "name": "KK"}])),
        (OfficeConfig.from_payload, changed(CONFIG_P, services=["A"])),
        (OfficeConfig.from_payload, changed(CONFIG_P, counters=[{"id": "1", "name": "L"}])),
        (
            OfficeConfig.from_payload,
            changed(CONFIG_P, counters=[{"id": "1", "name": "L", "services": [1]}]),
        ),
        # state/queue: one shape only, every field
        (QueueState.from_payload, {"services": [changed(ENTRY_P, id="A")]}),
        (QueueState.from_payload, {"A": "nonsense"}),
        (QueueState.from_payload, {"../x": ENTRY_P}),
        (QueueState.from_payload, {"A": without(ENTRY_P, "open")}),
        (QueueState.from_payload, {"A": without(ENTRY_P, "last_called")}),
        (QueueState.from_payload, {"A": changed(ENTRY_P, waiting="many")}),
        (QueueState.from_payload, {"A": changed(ENTRY_P, waiting=-1)}),
        (QueueState.from_payload, {"A": changed(ENTRY_P, waiting=True)}),
        (QueueState.from_payload, {"A": changed(ENTRY_P, open="yes")}),
        (QueueState.from_payload, {"A": changed(ENTRY_P, estimated_wait_s="soon")}),
        (QueueState.from_payload, {"A": changed(ENTRY_P, last_issued="A12")}),
        # state/counter
        (CounterState.from_payload, changed(COUNTER_P, status="asleep")),
        (CounterState.from_payload, changed(COUNTER_P, ticket="A-001")),
        (CounterState.from_payload, without(COUNTER_P, "ticket")),
        (CounterState.from_payload, without(COUNTER_P, "name")),
        (CounterState.from_payload, changed(COUNTER_P, waiting=None)),
        (CounterState.from_payload, changed(COUNTER_P, ticket={"number": "A-001"})),
        (
            CounterState.from_payload,
            changed(COUNTER_P, ticket=changed(TICKET.to_payload(), state="done")),
        ),
        # calls
        (Call.from_payload, without(CALL_P, "called_at")),
        (Call.from_payload, changed(CALL_P, called_at="08:20")),
        (Call.from_payload, changed(CALL_P, called_at="2026-11-28T08:20:11")),  # no offset
        (Call.from_payload, changed(CALL_P, number=12)),
        (Call.from_payload, changed(CALL_P, recall=-1)),
        (Call.from_payload, without(CALL_P, "counter_name")),
        (Calls.from_payload, {"calls": "A-001"}),
        (Calls.from_payload, {"calls": [CALL_P, {"number": "A-002"}]}),
        (Calls.from_payload, {}),
        # event/ticket
        (TicketEvent.from_payload, changed(ISSUED_P, event="teleported")),
        (TicketEvent.from_payload, without(ISSUED_P, "node")),
        (TicketEvent.from_payload, changed(ISSUED_P, priority="yes")),
        (TicketEvent.from_payload, changed(ISSUED_P, at=None)),
        # node status
        (NodeStatus.from_payload, {"role": "kiosk"}),
        (NodeStatus.from_payload, {"online": "yes", "role": "kiosk"}),
        (NodeStatus.from_payload, {"online": True}),
        (NodeStatus.from_payload, {"online": True, "role": "kiosk", "version": 1}),
        (NodeStatus.from_payload, {"online": True, "role": "kiosk", "printer": {"paper": 1}}),
    ],
)
def test_a_payload_that_breaks_the_contract_is_refused(
    read: Callable[[Mapping[str, Any]], object], payload: dict[str, Any]
) -> None:
    with pytest.raises(WireError) as info:
        read(payload)
    assert info.value.code == "bad_request"


def test_the_gate_refuses_logs_once_a_minute_per_topic_and_counts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = PayloadGate(logging.getLogger("test.gate"))
    good = encode(QUEUE.to_payload())
    with caplog.at_level(logging.WARNING, logger="test.gate"):
        assert gate.decode("q", good, QueueState.from_payload) == QUEUE
        for raw in (b"\xff", b"[1]", b'{"A": 5}', b'{"A": 5}'):
            assert gate.decode("q", raw, QueueState.from_payload) is None
        assert gate.decode("c", b"{}", OfficeConfig.from_payload) is None
        assert gate.decode("c", b"", OfficeConfig.from_payload) is None  # cleared: no refusal
    assert gate.refused == 5
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "refused a payload on q",
        "refused a payload on c",
    ]
