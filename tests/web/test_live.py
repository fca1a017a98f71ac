"""The live model, fed the payloads the hub publishes and the events its log holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from common.payloads import (
    Call,
    Calls,
    Counter,
    CounterState,
    CounterTicket,
    NodeStatus,
    OfficeConfig,
    QueueState,
    Service,
    ServiceQueue,
)
from nodes.hub.events import Logged, from_row
from nodes.hub.queue import number_of
from nodes.hub.web.live import LiveModel
from nodes.hub.web.views import dashboard_view

TZ = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 11, 28, 8, 0, tzinfo=TZ)
CONFIG = OfficeConfig(
    "kantor",
    "Kantor Kecamatan Contoh",
    "hub",
    (Service("A", "Kartu Keluarga", "A"), Service("B", "KTP Elektronik", "B")),
    (Counter("1", "Loket 1", ("A", "B")),),
)


def queue(**waiting: tuple[int, float | None, bool]) -> QueueState:
    """`state/queue` with (waiting, estimated_wait_s, open) per service."""
    return QueueState(
        tuple(ServiceQueue(s, s, s, w, None, None, e, o) for s, (w, e, o) in waiting.items())
    )


def call(number: str, minute: int) -> Call:
    at = T0 + timedelta(minutes=minute)
    return Call(f"20261128-{number}", number, number[0], "1", "Loket 1", 0, at)


class Log:
    """The hub's event log as the web reads it: typed events, numbered in log order."""

    def __init__(self) -> None:
        self.rows: list[Logged] = []

    def add(
        self,
        minute: int,
        kind: str,
        ticket: str,
        service: str,
        counter: str | None = None,
        **data: object,
    ) -> None:
        at = (T0 + timedelta(minutes=minute)).isoformat()
        defaults: dict[str, object] = {}
        if kind == "ticket_called":
            defaults = {"number": number_of(ticket), "recall": 0}
        elif kind == "ticket_cancelled":
            defaults = {"node": "web-1"}
        event = from_row(kind, at, "2026-11-28", ticket, service, counter, {**defaults, **data})
        self.rows.append(Logged(len(self.rows) + 1, event))

    def issue(self, minute: int, number: str, priority: bool = False) -> str:
        ticket = f"20261128-{number}"
        self.add(minute, "ticket_issued", ticket, number[0], number=number,
                 seq=int(number[2:]), priority=priority, node="kiosk-1")  # fmt: skip
        return ticket


def model_with(log: Log) -> LiveModel:
    model = LiveModel()
    model.apply_config(CONFIG)
    model.start_day("2026-11-28")
    model.apply_events(log.rows)
    return model


def test_config_queue_and_calls_make_the_board() -> None:
    model = LiveModel()
    model.apply_config(CONFIG)
    model.apply_queue(
        QueueState(
            (
                ServiceQueue("A", "Kartu Keluarga", "A", 4, "A-004", "A-002", 600, True),
                ServiceQueue("B", "KTP Elektronik", "B", 0, None, None, None, False),
            )
        )
    )
    model.apply_calls(Calls((call("A-002", 10),)))
    board = model.board()
    assert board["office"] == "Kantor Kecamatan Contoh"
    assert [(s["id"], s["waiting"], s["last_called"], s["open"]) for s in board["services"]] == [
        ("A", 4, "A-002", True),
        ("B", 0, None, False),
    ]
    assert board["calls"][0]["counter_name"] == "Loket 1"
    assert board["calls"][0]["called_at"] == "2026-11-28T08:10:00+07:00"
    assert model.service_open("A") and not model.service_open("B")


def test_a_call_event_shows_at_once_and_only_once() -> None:
    model = LiveModel()
    model.apply_config(CONFIG)
    model.apply_call_event(call("A-003", 3))
    model.apply_call_event(call("A-003", 3))  # QoS 1 may deliver twice
    assert [c["number"] for c in model.board()["calls"]] == ["A-003"]


def test_every_change_moves_the_version() -> None:
    model = LiveModel()
    versions = [model.version]
    model.apply_config(CONFIG)
    versions.append(model.version)
    model.apply_queue(queue(A=(1, None, True)))
    versions.append(model.version)
    ticket = CounterTicket("20261128-A-001", "A-001", "A", "called", T0)
    model.apply_counter(CounterState("1", "Loket 1", "open", ticket, 3))
    versions.append(model.version)
    assert versions == sorted(set(versions))
    assert model.counter_states["1"].number == "A-001"


def test_position_follows_the_queue_order_priority_first() -> None:
    log = Log()
    a1 = log.issue(0, "A-001")
    a2 = log.issue(1, "A-002")
    a3 = log.issue(2, "A-003")
    b1 = log.issue(3, "B-001")
    model = model_with(log)
    assert [model.ahead_of(t) for t in (a1, a2, a3, b1)] == [0, 1, 2, 0]
    log.issue(4, "A-004", priority=True)
    log.add(5, "ticket_called", a1, "A", "1")
    model.apply_events(log.rows)
    # A-001 is called (no position); the priority ticket goes before.
    assert model.ahead_of(a1) is None
    assert [model.ahead_of(t) for t in (a2, a3)] == [1, 2]
    assert model.next_numbers("A") == ["A-004", "A-002", "A-003"]
    assert model.next_numbers("A", limit=1) == ["A-004"]
    assert model.ticket(a1)["state"] == "called"  # type: ignore[index]
    assert model.ticket(a1)["counter_name"] == "Loket 1"  # type: ignore[index]


def test_transfer_keeps_the_original_place_cancel_leaves_the_line() -> None:
    log = Log()
    b1 = log.issue(0, "B-001")
    a1 = log.issue(1, "A-001")
    b2 = log.issue(2, "B-002")
    log.add(3, "ticket_called", a1, "A", "1")
    log.add(4, "ticket_transferred", a1, "B", "1", from_service="A")
    log.add(5, "ticket_cancelled", b1, "B", reason="online")
    model = model_with(log)
    # A-001 was issued before B-002, so after its transfer to B it is first in B's line.
    assert model.ahead_of(a1) == 0
    assert model.ahead_of(b2) == 1
    assert model.ticket(b1)["state"] == "cancelled"  # type: ignore[index]
    steps = [step for _, step in model.ticket(a1)["history"]]  # type: ignore[index]
    assert steps == ["issued", "called", "transferred"]
    assert not model.is_active(b1) and model.is_active(b2)


def test_events_are_folded_once_and_another_day_starts_empty() -> None:
    log = Log()
    a1 = log.issue(0, "A-001")
    model = model_with(log)
    version = model.version
    model.apply_events(log.rows)  # the same rows again: nothing changes
    assert model.version == version
    model.start_day("2026-11-29")
    assert model.ticket(a1) is None and model.last_seq == 0


def test_estimate_scales_with_the_tickets_ahead() -> None:
    log = Log()
    tickets = [log.issue(i, f"A-00{i + 1}") for i in range(3)]
    model = model_with(log)
    # The hub says a ticket taken now (3 ahead) waits 400 s: 100 s per place.
    model.apply_queue(queue(A=(3, 400, True)))
    assert [model.estimated_wait_for(t) for t in tickets] == [100.0, 200.0, 300.0]


def test_longest_wait_is_the_oldest_waiting_ticket() -> None:
    log = Log()
    a1 = log.issue(0, "A-001")
    log.issue(5, "A-002")
    model = model_with(log)
    assert model.longest_wait_s("A", T0 + timedelta(minutes=12)) == 12 * 60
    log.add(13, "ticket_called", a1, "A", "1")
    model.apply_events(log.rows)
    assert model.longest_wait_s("A", T0 + timedelta(minutes=12)) == 7 * 60
    assert model.longest_wait_s("B", T0) is None


def test_node_health_keeps_role_and_version_when_the_will_arrives() -> None:
    model = LiveModel()
    model.apply_node_status(
        "kiosk-1", NodeStatus(True, "kiosk", "0.1.0", {"printer": "paper_low"}), T0
    )
    model.apply_node_status("kiosk-1", NodeStatus(False, "kiosk"), T0 + timedelta(minutes=1))
    health = model.nodes["kiosk-1"]
    assert (health.online, health.role, health.version) == (False, "kiosk", "0.1.0")
    assert health.last_seen == T0 + timedelta(minutes=1)
    assert health.details == {"printer": "paper_low"}  # the last known paper state


def test_malformed_log_rows_change_nothing() -> None:
    model = LiveModel()
    model.apply_config(CONFIG)
    model.start_day("2026-11-28")
    log = Log()
    log.add(1, "ticket_called", "20261128-A-009", "A", "1")  # never issued: nothing to move
    model.apply_events(log.rows)
    assert model.tickets == {} and model.last_seq == 1


def test_dashboard_shows_the_hub_storage_full_in_words_and_as_a_warning() -> None:
    model = LiveModel()
    model.apply_config(CONFIG)
    status = {"online": True, "role": "hub", "version": "0.1.0", "pid": 7, "store": "ok"}
    model.apply_node_status("hub", NodeStatus.from_payload(status), T0)
    (hub,) = dashboard_view(model, T0, "id")["nodes"]
    assert (hub["details"], hub["warn"]) == ("Penyimpanan: baik", False)
    model.apply_node_status("hub", NodeStatus.from_payload({**status, "store": "disk_full"}), T0)
    (hub,) = dashboard_view(model, T0, "id")["nodes"]
    assert hub["details"].startswith("Penyimpanan penuh!") and hub["warn"] is True
    (hub,) = dashboard_view(model, T0, "en")["nodes"]
    assert hub["details"].startswith("Storage full!")
