"""`antrian hub`: the queue's only source of truth, on the wire.

A request's path: MQTT message → `Hub.on_request` → authorise the sender by the node id in
its topic → decode → (already answered? send the same answer) → `Queue.handle` (pure:
events or a rejection) → `Queue.apply` → `Store.commit` (events + the answer, one SQLite
transaction, fsync'd) → only then the response, the retained state that changed, and the
events. If the commit fails the in-memory queue is rebuilt from the database, so memory
never runs ahead of what survives a power cut.

Requests are handled one at a time in paho's network thread; the once-a-second tick (day
rollover, opening hours, the daily report) takes the same lock.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from common import config
from common.log import setup_logging
from common.mqtt import BrokerLink, Message
from common.systemd import Watchdog, notify, notify_ready
from common.wire import (
    AdminRequest,
    CounterRequest,
    Request,
    TicketRequest,
    Topics,
    WireError,
    decode_request,
    error_response,
    ok_response,
    transaction_of,
)
from nodes.hub import views
from nodes.hub.office import Office, read_office
from nodes.hub.queue import (
    CancelTicket,
    CounterCommand,
    ExpireOpenTickets,
    IssueTicket,
    Queue,
    Rejected,
    SetServiceAccepting,
    TicketCalled,
)
from nodes.hub.store import Store

log = logging.getLogger("antrian.hub")

Clock = Callable[[], datetime]


class HubSettings:
    """The `[hub]` table."""

    def __init__(self, root: config.Table) -> None:
        hub = root.table("hub", required=True)
        self.database = Path(hub.str("database"))
        self.archive_dir: Path | None = (
            Path(hub.str("archive_dir")) if "archive_dir" in hub else None
        )
        report_time = hub.str("report_time", "17:00")
        try:
            hours, minutes = (int(part) for part in report_time.split(":"))
            self.report_time = clock_time(hours, minutes)
        except ValueError:
            raise hub.error("report_time", f"must be HH:MM, not {report_time!r}") from None
        self.calls_kept = hub.int("recent_calls", 10, min=10, max=50)
        hub.finish()


class Hub:
    """The hub's logic between the wire and the store. Needs a started `BrokerLink`."""

    def __init__(
        self, office: Office, store: Store, link: BrokerLink, clock: Clock, calls_kept: int = 10
    ) -> None:
        self.office = office
        self.store = store
        self.link = link
        self.topics = link.topics
        self.clock = clock
        self.calls_kept = calls_kept
        self.lock = threading.Lock()
        self.queue: Queue = store.load(office, clock())
        self._published: dict[str, dict[str, Any]] = {}
        self.last_progress = time.monotonic()

    # --- requests -------------------------------------------------------------------------

    def on_request(self, message: Message) -> None:
        try:
            node, verb = self.topics.parse_request(message.topic)
        except WireError as exc:
            log.warning("ignoring message on %s: %s", message.topic, exc)
            return
        response_topic = message.response_topic or self.topics.response(node, verb)
        response, events = self._answer(node, verb, message.payload)
        props = None
        if message.correlation_data is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.CorrelationData = message.correlation_data
        self.link.publish(response_topic, response, properties=props)
        if events:
            self._publish_consequences(events)

    def _answer(self, node: str, verb: str, raw: bytes) -> tuple[dict[str, Any], list[Any]]:
        """The response for one request and the events it committed."""
        transaction: str | None = None
        with self.lock:
            self.last_progress = time.monotonic()
            try:
                request = decode_request(verb, raw)
                transaction = request.transaction
                if transaction is not None:
                    earlier = self.store.lookup(node, transaction)
                    if earlier is not None:
                        log.info("repeated request %s from %s answered again", transaction, node)
                        return earlier, []
                self._authorise(node, request)
                now = self.clock()
                command = self._command(node, request)
                events = self.queue.handle(command, now)
                for event in events:
                    self.queue.apply(event)
                response = ok_response(transaction, self._data(request, events, now))
                try:
                    self.store.commit(
                        events, node=node, transaction=transaction, verb=verb, response=response
                    )
                except Exception:
                    log.exception("commit failed; rebuilding the queue from the database")
                    self.queue = self.store.load(self.office, self.clock())
                    return error_response(transaction, "internal_error"), []
                return response, events
            except WireError as exc:
                log.info("bad %s request from %s: %s", verb, node, exc)
                response = error_response(transaction or transaction_of(raw), exc.code, exc.message)
            except Rejected as exc:
                log.info("%s request from %s rejected: %s", verb, node, exc.code)
                response = error_response(transaction, exc.code, exc.message)
            except Exception:
                # The daemon never dies of input: answer, log, and keep serving.
                log.exception("unexpected failure handling %s request from %s", verb, node)
                response = error_response(transaction, "internal_error")
            if transaction is not None and response["error"]["code"] != "internal_error":
                try:
                    self.store.record_response(node, transaction, verb, response)
                except Exception:
                    log.exception("could not record the answer to %s", transaction)
            return response, []

    def _authorise(self, node: str, request: Request) -> None:
        spec = self.office.node(node)
        if spec is None:
            raise WireError("forbidden", "Perangkat ini belum terdaftar di hub.")
        if isinstance(request, TicketRequest):
            if spec.role not in ("kiosk", "web"):
                raise WireError("forbidden", "Perangkat ini tidak boleh mengambil nomor antrian.")
            if request.online and spec.role != "web":
                raise WireError("forbidden", "Hanya layanan daring yang boleh memakai 'online'.")
            if request.action == "cancel":
                ticket = self.queue.ticket(request.ticket_id or "")
                if ticket is not None and ticket.node != node:
                    raise WireError("forbidden", "Nomor ini diambil dari perangkat lain.")
        elif isinstance(request, CounterRequest):
            if self.office.counter(request.counter) is None:
                raise WireError("unknown_counter")
            if spec.role != "counter" or request.counter not in spec.counters:
                raise WireError(
                    "forbidden", f"Perangkat ini tidak mengendalikan loket {request.counter}."
                )
        elif spec.role != "web":
            raise WireError("forbidden", "Hanya dasbor kantor yang boleh mengubah layanan.")

    def _command(self, node: str, request: Request) -> Any:
        if isinstance(request, TicketRequest):
            if request.action == "cancel":
                return CancelTicket(request.ticket_id or "", request.reason or "", node)
            return IssueTicket(request.service, request.priority, node, online=request.online)
        if isinstance(request, CounterRequest):
            return CounterCommand(
                request.counter, request.action, ticket=request.ticket, service=request.service
            )
        assert isinstance(request, AdminRequest)
        return SetServiceAccepting(request.service, request.accepting)

    def _data(self, request: Request, events: list[Any], now: datetime) -> dict[str, Any]:
        if isinstance(request, TicketRequest):
            ticket_id = request.ticket_id if request.action == "cancel" else events[0].ticket_id
            return views.ticket_data(self.queue, ticket_id or "", now)
        if isinstance(request, CounterRequest):
            return views.counter_data(self.queue, request.counter)
        state = views.queue_state(self.queue, now)
        return {"service": request.service, **state[request.service]}

    # --- publishing ---------------------------------------------------------------------

    def _publish_consequences(self, events: list[Any]) -> None:
        with self.lock:
            for event in events:
                payload = views.ticket_event(self.queue, event)
                if payload is not None:
                    self.link.publish(self.topics.event_ticket, payload)
                if isinstance(event, TicketCalled):
                    self.link.publish(self.topics.event_call, views.call_event(self.queue, event))
            self._publish_state_locked(force=False)

    def publish_state(self, force: bool = False) -> None:
        """Publish every retained topic whose content changed (all of them if `force`)."""
        with self.lock:
            self._publish_state_locked(force)

    def _publish_state_locked(self, force: bool) -> None:
        now = self.clock()
        retained: dict[str, dict[str, Any]] = {
            self.topics.config: views.office_config(self.office),
            self.topics.state_queue: views.queue_state(self.queue, now),
            self.topics.state_calls: views.recent_calls(self.queue, self.calls_kept),
        }
        for counter in self.office.counters:
            retained[self.topics.state_counter(counter.id)] = views.counter_data(
                self.queue, counter.id
            )
        for topic, payload in retained.items():
            if force or self._published.get(topic) != payload:
                self.link.publish(topic, payload, retain=True)
                self._published[topic] = payload

    # --- time ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: expire yesterday's open tickets; follow opening hours."""
        with self.lock:
            self.last_progress = time.monotonic()
            now = self.clock()
            events = self.queue.handle(ExpireOpenTickets(), now)
            if events:
                for event in events:
                    self.queue.apply(event)
                try:
                    self.store.commit(events)
                except Exception:
                    log.exception("commit of day rollover failed; rebuilding from the database")
                    self.queue = self.store.load(self.office, self.clock())
                    return
                log.info("day rollover: %d open tickets expired", len(events))
        if events:
            self._publish_consequences(events)
        else:
            self.publish_state()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antrian hub", description="Run the hub daemon.")
    parser.add_argument("--config", required=True, help="the hub's TOML file")
    return parser


def load_config(path: str) -> tuple[config.NodeIdentity, Office, HubSettings]:
    root = config.load(path)
    identity = config.read_identity(root, node_id_default="hub")
    office = read_office(root)
    settings = HubSettings(root)
    root.finish()
    return identity, office, settings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        identity, office, settings = load_config(args.config)
    except config.ConfigError as exc:
        setup_logging()
        log.error("configuration error: %s", exc)
        return 2
    setup_logging(identity.log_level)
    settings.database.parent.mkdir(parents=True, exist_ok=True)
    store = Store(settings.database)
    topics = Topics(office.id)
    link = BrokerLink(
        identity.broker,
        topics,
        identity.node_id,
        role="hub",
        client_id=f"antrian-hub-{office.id}",
        persistent_session=True,
        status={"pid": os.getpid(), "office": office.id},
    )

    def clock() -> datetime:
        return datetime.now(office.tz)

    hub = Hub(office, store, link, clock, calls_kept=settings.calls_kept)
    log.info(
        "office %s: %d services, %d counters, %d nodes; database %s",
        office.id,
        len(office.services),
        len(office.counters),
        len(office.nodes),
        settings.database,
    )
    link.subscribe(topics.requests, hub.on_request)
    link.on_connection(lambda up: hub.publish_state(force=True) if up else None)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    link.start(wait=None)
    notify_ready("serving")
    watchdog = Watchdog(lambda: time.monotonic() - hub.last_progress < 30)
    watchdog.start()
    try:
        while not stop.wait(1.0):
            try:
                hub.tick()
            except Exception:
                log.exception("tick failed")
    finally:
        notify("STOPPING=1")
        watchdog.stop()
        link.stop()
        store.close()
        log.info("hub stopped")
    return 0
