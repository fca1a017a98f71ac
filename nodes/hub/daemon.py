"""`antrian hub`: the queue's only source of truth, on the wire.

A request's path: MQTT message → `Hub.submit` → the flood guard (within the sender's
share? `guard.py`, `fairness.py`) → authorise the sender by the node id in
its topic → decode → (already answered? send the same answer) → `Queue.handle` (pure:
events or a rejection) → `Queue.apply` → the commit (events + the answer, one SQLite transaction,
fsync'd) → only then the response, the retained state that changed, and the events. If
the commit fails the in-memory queue is rebuilt from the database, so nothing is answered
or published that did not survive a power cut. While one commit's fsync is in flight, the
requests decided meanwhile wait and are committed together in the next transaction, then
answered in order (group commit, committer.py); a request alone is committed at once.

A full disk is not a crash: the hub stays up, says so once in the log and in its retained
status (`"store": "disk_full"`, which the office dashboard shows), answers what it cannot
write with `disk_full`, and writes again by itself once the housekeeper finds room. Until a
store full at start could be read, no queue state is published (the broker keeps the last).

Each registered node's requests arrive in a broker session of their own (intake.py), so
one node's flood never queues ahead of another's. Requests are handled in that session's
paho network thread as they arrive, decided one at a time under the hub's lock (which
is free during a commit's fsync): handing each over
to another thread cost more CPU than handling it (measured: 2.0 ms against 1.4 ms per
ticket) and a third of the throughput. A housekeeping thread takes
the same lock to publish retained state, at most every STATE_INTERVAL so that a burst costs
one state update per topic rather than one per request, and once a second for the day
rollover, opening hours, pruning old idempotency records and the day's report after
closing time.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, NamedTuple

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from common import config, node
from common.mqtt import Link, Message
from common.node import Running, Shell
from common.payloads import NodeStatus, PayloadGate
from common.repeats import RepeatedWarning
from common.wire import (
    AdminRequest,
    CounterRequest,
    Request,
    SurveyRequest,
    TicketRequest,
    WireError,
    decode_request,
    error_response,
    ok_response,
    transaction_of,
)
from nodes.hub import backup, survey, views
from nodes.hub.committer import Committer, Decided
from nodes.hub.events import (
    CancelTicket,
    CounterCommand,
    ExpireOpenTickets,
    IssueTicket,
    RateTicket,
    SetServiceAccepting,
    TicketCalled,
)
from nodes.hub.failures import FailureStreak
from nodes.hub.fairness import Admission, Limit, read_limits
from nodes.hub.guard import FloodGuard
from nodes.hub.health import disk_health
from nodes.hub.intake import open_intakes, unregistered_only
from nodes.hub.office import PRIORITY_KEYS, Office, read_office
from nodes.hub.officers import PinGuard
from nodes.hub.queue import Queue, Rejected
from nodes.hub.staffing import CounterDevices
from nodes.hub.store import DiskFull, Store, Write
from nodes.hub.uplink import RegionSettings, Uplink, read_region

log = logging.getLogger("antrian.hub")

Clock = Callable[[], datetime]


class HubSettings:
    """The `[hub]` table."""

    def __init__(self, root: config.Table) -> None:
        hub = root.table("hub", required=True)
        self.file = root.file
        self.database: Path = hub.filepath("database")
        self.archive_dir: Path | None = hub.filepath("archive_dir", None)
        report_time = hub.str("report_time", "17:00")
        try:
            hours, minutes = (int(part) for part in report_time.split(":"))
            self.report_time = clock_time(hours, minutes)
        except ValueError:
            raise hub.error("report_time", f"must be HH:MM, not {report_time!r}") from None
        self.target_wait_s = 60.0 * hub.int("target_wait_minutes", 15, min=1, max=600)
        self.calls_kept = hub.int("recent_calls", 10, min=10, max=50)
        self.limits: dict[str, Limit] = read_limits(hub.table("limits"))
        self.backup_dir: Path | None = Path(hub.str("backup_dir")) if "backup_dir" in hub else None
        self.backup_keep = hub.int("backup_keep", 7, min=1, max=365)
        self.backup_mounted = hub.bool("backup_mounted", True)
        self.disk_warn_mb = hub.int("disk_warn_mb", 500, min=0, max=1_000_000)
        hub.ignore(*PRIORITY_KEYS)  # the office's priority policy: read_office reads them
        hub.finish()
        self.region: RegionSettings | None = read_region(root)


#: Retained state is republished at most this often (seconds). A burst of requests then
#: costs one state update per topic instead of one per request; screens lag by at most this.
STATE_INTERVAL = 0.05
#: Free space and the card's write total are published this often (seconds).
DISK_INTERVAL = 60.0
#: Idempotency records are kept this long (the contract promises at least the day).
KEEP_TRANSACTIONS = timedelta(days=2)
#: The uplink's health goes into the hub's retained status at most this often (seconds).
UPLINK_HEALTH_INTERVAL = 5.0


class Hub:
    """The hub's logic between the wire and the store.

    `submit` and `republish` run in paho's network thread, `serve` in the housekeeping
    thread; both hold `lock` while they touch the queue and the store.
    """

    def __init__(
        self,
        office: Office,
        store: Store,
        link: Link,
        clock: Clock,
        settings: HubSettings | None = None,
    ) -> None:
        self.office = office
        self.store = store
        self.link = link
        self.topics = link.topics
        self.clock = clock
        self.calls_kept = settings.calls_kept if settings else 10
        self.archive_dir = settings.archive_dir if settings else None
        self.report_time = settings.report_time if settings else clock_time(17, 0)
        self.target_wait_s = settings.target_wait_s if settings else 900.0
        self.database = settings.database if settings else None
        self.backup_dir = settings.backup_dir if settings else None
        self.backup_keep = settings.backup_keep if settings else 7
        self.backup_mounted = settings.backup_mounted if settings else True
        self.disk_warn_mb = settings.disk_warn_mb if settings else 500
        self._backed_up: date | None = None
        self._disk_checked = 0.0  # monotonic time of the last disk health check
        roles = {node.id: node.role for node in office.nodes}
        self.guard = FloodGuard(Admission(roles, settings.limits if settings else {}), self._refuse)
        # A store full at start could not be read: the queue is unknown, not empty.
        self.queue: Queue = store.load(office, clock()) if store.opened else Queue(office)
        self.queue_known = store.opened
        self._refused = 0  # requests answered `disk_full` since the disk filled
        self._commits = FailureStreak(log, "commit")
        self._rollovers = FailureStreak(log, "commit of day rollover")
        self._reopens = FailureStreak(log, "reopening the database after a full disk")
        self._reported_full = False
        self.lock = threading.Lock()
        self._wake = threading.Event()  # state became due: the housekeeper recomputes its sleep
        self._published: dict[str, dict[str, Any]] = {}
        self._archived: date | None = None
        self._state_due: float | None = None  # monotonic time of the next state publish
        self._pruned: date | None = None
        self._foreign_reply_to = RepeatedWarning(log)
        self._force_state = False  # the next retained publish sends every topic
        self.committer = Committer(
            self.lock,
            store,
            deliver=self._answer,
            committed=self._committed,
            failed=self._commit_failed,
            taken=self._state_after,
            idle=self._committer_idle,
        )
        self.last_progress = time.monotonic()
        self.devices = CounterDevices(office)  # counters whose device is online
        self.pins = PinGuard(office)  # officers' wrong PINs and their lockout
        self.online_nodes: set[str] = set()  # registered nodes whose status says online
        self.uplink: Uplink | None = None  # to the region ([region]), set by `build`
        self._uplink_health_at = 0.0
        self._statuses = PayloadGate(log)
        self._check_disk()
        self._publish_disk_health()
        if self.backup_dir is not None:
            last = backup.latest(self.backup_dir)
            if last is not None:
                self._note_backup(last)

    # --- threads ------------------------------------------------------------------------

    def submit(self, message: Message) -> None:
        """Handle one request (called in paho's network thread), if within its sender's
        share: a refusal takes neither the hub's lock nor the store."""
        if not self.guard.admit(message):
            return
        with self.lock:
            self.last_progress = time.monotonic()
            decided = self.decide(message)
            if decided is None or not self.committer.add(decided):
                return  # nothing to answer, or it waits for the commit in flight
        self.committer.commit_now()

    def handle(self, message: Message) -> None:
        """`submit` without the flood guard."""
        with self.lock:
            decided = self.decide(message)
            if decided is None or not self.committer.add(decided):
                return
        self.committer.commit_now()

    def on_status(self, message: Message) -> None:
        """A node's retained status (paho's thread): a counter device coming or going
        changes the wait estimates, so the queue state is republished soon."""
        node = self.topics.parse_node_status(message.topic)
        if node is None:
            return
        status = self._statuses.decode(message.topic, message.payload, NodeStatus.from_payload)
        if status is None and message.payload:
            return  # not a status: keep what was known
        with self.lock:
            online = status is not None and status.online
            if online:
                self.online_nodes.add(node)
            else:
                self.online_nodes.discard(node)
            if self.devices.update(node, online):
                self._state_due = self._state_due or time.monotonic() + STATE_INTERVAL
                self._wake.set()

    def republish(self) -> None:
        """The broker (re)connected: publish every retained topic again."""
        with self.lock:
            self._force_state = True
            if self.committer.busy:
                self._state_due = time.monotonic()  # published once the commit lands
            else:
                self.publish_state()

    def serve(self, stop: threading.Event) -> None:
        """Publish due state and tick once a second until `stop` is set."""
        next_tick = time.monotonic()
        while not stop.is_set():
            self.last_progress = time.monotonic()
            # While a commit is in flight the queue runs ahead of the database: state is
            # then published by the committer, once the commit lands (`_state_after`).
            due = self._state_due if not self.committer.busy else None
            wake = min(next_tick, due) if due is not None else next_tick
            if self._wake.wait(max(0.0, wake - time.monotonic())):
                self._wake.clear()
                continue
            try:
                with self.lock:
                    now = time.monotonic()
                    due = self._state_due if not self.committer.busy else None
                    if due is not None and now >= due:
                        self.publish_state()
                    if now >= next_tick:
                        next_tick = now + 1.0
                        self.tick()
            except Exception:
                # The daemon never dies of one bad moment; it logs and goes on.
                log.exception("hub housekeeping failed; continuing")

    # --- requests -----------------------------------------------------------------------

    def decide(self, message: Message) -> Decided | None:
        """Decide one request (under the lock): its answer, and what to commit and publish
        before that answer goes out. None for a message that gets no answer."""
        try:
            node, verb = self.topics.parse_request(message.topic)
        except WireError as exc:
            log.warning("ignoring message on %s: %s", message.topic, exc)
            return None
        if message.response_topic is not None and not self.topics.is_own_response(
            node, message.response_topic
        ):
            return Decided(node, verb, message, self._refuse_response_topic(node, verb, message))
        try:
            pending = self.committer.find(node, transaction_of(message.payload))
        except RecursionError:
            pending = None
        if pending is not None:
            log.info("repeated request %s from %s answered after the first", pending.key, node)
            return Decided(node, verb, message, pending.response, original=pending)
        response, events, remember = self._decide(node, verb, message.payload)
        if not remember:
            return Decided(node, verb, message, response)
        write = Write(events, node, response["transaction"], verb, response)
        return Decided(node, verb, message, response, write, self._consequences(events))

    def _answer(self, decided: Decided) -> None:
        """A request's answer and its events, once committed (no lock held)."""
        self._respond(decided.node, decided.verb, decided.message, decided.answer())
        for topic, payload in decided.publications:
            self.link.publish(topic, payload)

    def _committed(self, group: list[Decided]) -> None:
        self._commits.succeeded()
        if self.uplink is not None:
            self.uplink.nudge()  # sets an event: the uplink reads the log in its own thread
        if any(d.publications for d in group) and self._state_due is None:
            self._state_due = time.monotonic() + STATE_INTERVAL

    def _commit_failed(self, failure: BaseException, members: int) -> str:
        """After a failed commit: the queue again as the database has it; the code every
        member of the group is answered with."""
        self._published.clear()  # what was computed for the group never went out
        if isinstance(failure, DiskFull):
            self._refused += members
            self._check_disk()
            self.queue = self.store.load(self.office, self.clock())
            return "disk_full"
        self._commits.failed("the queue is rebuilt from the database", failure)
        self.queue = self.store.load(self.office, self.clock())
        return "internal_error"

    def _state_after(self) -> Callable[[], None] | None:
        """When a group is taken (the queue stands exactly as it will once the group
        commits): the retained state to publish after the commit, if it is due."""
        if self._state_due is None or time.monotonic() < self._state_due:
            return None
        changes = self._retained_changes()
        return lambda: self._publish_retained(changes)

    def _committer_idle(self) -> None:
        if self._state_due is not None:
            self._wake.set()  # the housekeeper publishes what came due meanwhile

    def _decide(self, node: str, verb: str, raw: bytes) -> tuple[dict[str, Any], list[Any], bool]:
        """The answer, the events already applied to the queue, and whether both must be
        committed (False for a repeated request and for our own failures)."""
        transaction: str | None = None
        events: list[Any] = []
        request: Request | None = None
        try:
            request = decode_request(verb, raw)
            transaction = request.transaction
            earlier = self._earlier(node, transaction)
            if earlier is not None:
                return earlier, [], False
            if self.store.disk_full:
                raise DiskFull  # refused before anything is applied: nothing to undo
            self._authorise(node, request)
            now = self.clock()
            if isinstance(request, CounterRequest) and request.action == "sign_in":
                self.pins.check(request.counter, request.officer or "", request.pin or "", now)
            command = self._command(node, request)
            if isinstance(command, RateTicket):
                events = list(survey.rate(self.queue, command, now))
            else:
                events = self.queue.handle(command, now)
            for event in events:
                self.queue.apply(event)
            response = ok_response(transaction, self._data(request, events, now))
        except DiskFull:
            self._refused += 1
            return error_response(transaction, "disk_full"), [], False
        except WireError as exc:
            if request is None:
                # Undecodable, but a repeat of it must still get the first answer, not
                # trip over the record of that answer.
                transaction = transaction_of(raw)
                earlier = self._earlier(node, transaction)
                if earlier is not None:
                    return earlier, [], False
            log.info("bad %s request from %s: %s", verb, node, exc)
            response = error_response(transaction, exc.code, exc.message)
        except Rejected as exc:
            log.info("%s request from %s rejected: %s", verb, node, exc.code)
            response = error_response(transaction, exc.code, exc.message)
        except Exception:
            log.exception("unexpected failure handling %s request from %s", verb, node)
            return error_response(transaction, "internal_error"), [], False  # a retry may work
        # An answer that changed nothing is not remembered while the disk is full: a repeat
        # is decided again, the same way.
        return (
            response,
            events,
            bool(events) or (transaction is not None and not self.store.disk_full),
        )

    def _earlier(self, node: str, transaction: str | None) -> dict[str, Any] | None:
        """The answer already given to this node's `transaction`, if any (and readable)."""
        if transaction is None or not self.store.opened:
            return None
        earlier = self.store.lookup(node, transaction)
        if earlier is not None:
            log.info("repeated request %s from %s answered again", transaction, node)
        return earlier

    def _refuse_response_topic(self, node: str, verb: str, message: Message) -> dict[str, Any]:
        """A Response Topic outside the node's own subtree: the `forbidden` answer for the
        default response topic, and nothing else (no ticket, no idempotency record)."""
        self._foreign_reply_to.warn(
            node,
            f"refused {verb} request from {node}: its Response Topic "
            f"{message.response_topic!r} is not under its own response topics",
        )
        return error_response(
            transaction_of(message.payload),
            "forbidden",
            "Topik jawaban harus berada di bawah topik jawaban perangkat ini sendiri.",
        )

    def _refuse(self, message: Message) -> None:
        """Answer a request over its sender's share with `rate_limited`."""
        try:
            node, verb = self.topics.parse_request(message.topic)
        except WireError:
            return  # not a request topic: nowhere to answer
        try:
            transaction = transaction_of(message.payload)
        except RecursionError:  # JSON nested too deep to read: answer without it
            transaction = None
        response = error_response(transaction, "rate_limited")
        self._respond(node, verb, message, response)

    def _respond(self, node: str, verb: str, message: Message, response: dict[str, Any]) -> None:
        topic = message.response_topic
        if topic is None or not self.topics.is_own_response(node, topic):
            topic = self.topics.response(node, verb)
        props = None
        if message.correlation_data is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.CorrelationData = message.correlation_data
        self.link.publish(topic, response, properties=props)

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
        elif isinstance(request, SurveyRequest):
            self._authorise_survey(spec.role, spec.counters, request)
        elif isinstance(request, CounterRequest):
            if self.office.counter(request.counter) is None:
                raise WireError("unknown_counter")
            if spec.role != "counter" or request.counter not in spec.counters:
                raise WireError(
                    "forbidden", f"Perangkat ini tidak mengendalikan loket {request.counter}."
                )
        elif spec.role != "web":
            raise WireError("forbidden", "Hanya dasbor kantor yang boleh mengubah layanan.")

    def _authorise_survey(
        self, role: str, counters: tuple[str, ...], request: SurveyRequest
    ) -> None:
        """The SKM questionnaire comes from the web node (the ticket's page), the quick
        score from a counter node, and only for a ticket finished at one of its counters."""
        if request.score is None:
            if role != "web":
                raise WireError("forbidden", "Survei lengkap hanya diisi dari halaman antrian.")
            return
        if role != "counter":
            raise WireError("forbidden", "Nilai cepat hanya diberikan dari loket.")
        ticket = self.queue.ticket(request.ticket_id)
        if ticket is not None and ticket.counter not in counters:
            raise WireError("forbidden", "Antrian ini tidak dilayani di loket perangkat ini.")

    def _command(self, node: str, request: Request) -> Any:
        if isinstance(request, TicketRequest):
            if request.action == "cancel":
                return CancelTicket(request.ticket_id or "", request.reason or "", node)
            return IssueTicket(request.service, request.priority, node, online=request.online)
        if isinstance(request, CounterRequest):
            return CounterCommand(
                request.counter,
                request.action,
                ticket=request.ticket,
                service=request.service,
                officer=request.officer,
            )
        if isinstance(request, SurveyRequest):
            return RateTicket(
                request.ticket_id, node, request.answers, request.comment or "", request.score
            )
        assert isinstance(request, AdminRequest)
        return SetServiceAccepting(request.service, request.accepting)

    def _data(self, request: Request, events: list[Any], now: datetime) -> dict[str, Any]:
        if isinstance(request, TicketRequest):
            ticket_id = request.ticket_id if request.action == "cancel" else events[0].ticket_id
            return views.ticket_data(self.queue, ticket_id or "", now, self.devices.staffed)
        if isinstance(request, CounterRequest):
            return views.counter_data(self.queue, request.counter, now)
        if isinstance(request, SurveyRequest):
            return views.survey_data(self.queue, request.ticket_id, events[0].kind)
        state = views.queue_state(self.queue, now, self.devices.staffed)
        return {"service": request.service, **state[request.service]}

    # --- publishing ---------------------------------------------------------------------

    def _consequences(self, events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
        """The ticket and call events to publish for `events` (as the queue stands now)."""
        out: list[tuple[str, dict[str, Any]]] = []
        for event in events:
            payload = views.ticket_event(self.queue, event)
            if payload is not None:
                out.append((self.topics.event_ticket, payload))
            if isinstance(event, TicketCalled):
                out.append((self.topics.event_call, views.call_event(self.queue, event)))
        return out

    def _publish_consequences(self, events: list[Any]) -> None:
        for topic, payload in self._consequences(events):
            self.link.publish(topic, payload)
        if events and self._state_due is None:
            self._state_due = time.monotonic() + STATE_INTERVAL
            self._wake.set()

    def publish_state(self, force: bool = False) -> None:
        """Publish every retained topic whose content changed (all of them if `force`).
        Only while no commit is in flight: the queue is then what the database holds."""
        self._force_state |= force
        self._publish_retained(self._retained_changes())

    def _retained_changes(self) -> list[tuple[str, dict[str, Any]]]:
        """The retained topics to publish (changed, or all if forced), noted as published."""
        self._state_due = None
        force, self._force_state = self._force_state, False
        now = self.clock()
        retained: dict[str, dict[str, Any]] = {
            self.topics.config: views.office_config(self.office, hub=self.link.node_id),
        }
        if self.queue_known:
            retained[self.topics.state_queue] = views.queue_state(
                self.queue, now, self.devices.staffed
            )
            retained[self.topics.state_calls] = views.recent_calls(self.queue, self.calls_kept)
        for counter in self.office.counters if self.queue_known else ():
            retained[self.topics.state_counter(counter.id)] = views.counter_data(
                self.queue, counter.id, now
            )
        changes = []
        for topic, payload in retained.items():
            if force or self._published.get(topic) != payload:
                changes.append((topic, payload))
                self._published[topic] = payload
        return changes

    def _publish_retained(self, changes: list[tuple[str, dict[str, Any]]]) -> None:
        for topic, payload in changes:
            self.link.publish(topic, payload, retain=True)

    # --- time ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: expire yesterday's open tickets, follow opening hours, and once
        a day prune old idempotency records and write the day's report."""
        self.guard.report()
        if self.committer.busy:
            return  # the queue runs ahead of the database until the commit lands: next second
        self._tell_uplink()
        now = self.clock()
        if self.store.disk_full and not self._check_disk():
            self.publish_state()  # what is known stays current (opening hours)
            return  # nothing is written until there is room
        events = self.queue.handle(ExpireOpenTickets(), now)
        if events:
            for event in events:
                self.queue.apply(event)
            try:
                self.store.commit(events)
                self._rollovers.succeeded()
            except DiskFull:
                self._check_disk()
                self.queue = self.store.load(self.office, self.clock())
                return
            except Exception:
                self._rollovers.failed("retried every second; the queue is rebuilt")
                self.queue = self.store.load(self.office, self.clock())
                return
            log.info("day rollover: %d open tickets expired", len(events))
        self._publish_consequences(events)
        self.publish_state()  # opening hours change `open` with the clock alone
        today = self.queue.today(now)
        if self._pruned != today:
            self._pruned = today
            removed = self.store.prune_transactions(now - KEEP_TRANSACTIONS)
            if removed:
                log.info("forgot %d idempotency records older than 2 days", removed)
        after_hours = now.astimezone(self.office.tz).time() >= self.report_time
        if self._archived != today and after_hours:
            self._archived = today
            self._write_archive(today, now)
        if self._backed_up != today and after_hours:
            self._backed_up = today
            self._back_up(now)
        if time.monotonic() - self._disk_checked >= DISK_INTERVAL:
            self._publish_disk_health()

    def _tell_uplink(self) -> None:
        """The region's snapshot when the uplink would send one (at most every 5 s), and
        the uplink's health in the hub's retained status (the dashboard shows it)."""
        uplink = self.uplink
        if uplink is None:
            return
        if self.queue_known and uplink.wants_state():
            registered = {n.id for n in self.office.nodes}
            offline = registered - self.online_nodes
            uplink.offer_state(views.region_state(self.queue, self.clock(), offline))
        if time.monotonic() - self._uplink_health_at >= UPLINK_HEALTH_INTERVAL:
            self._uplink_health_at = time.monotonic()
            self.link.set_status(**uplink.health())

    def _publish_disk_health(self) -> None:
        self._disk_checked = time.monotonic()
        if self.database is not None:
            self.link.set_status(**disk_health(self.database, self.disk_warn_mb).status())

    def _note_backup(self, made: backup.Backup) -> None:
        at = made.at.astimezone(self.office.tz).isoformat(timespec="minutes")
        self.link.set_status(backup="ok", backup_at=at, backup_bytes=made.size)

    def _back_up(self, now: datetime) -> None:
        """The day's backup to the USB stick, in its own thread (SQLite's online backup:
        the hub keeps writing meanwhile)."""
        folder, database = self.backup_dir, self.database
        if folder is None or database is None:
            return
        if not backup.present(folder, mounted=self.backup_mounted):
            log.warning("no backup today: no USB stick mounted at %s", folder)
            self.link.set_status(backup="no_stick")
            return

        def copy() -> None:
            try:
                made = backup.back_up(database, folder, self.backup_keep, now)
            except Exception:
                log.exception("the backup to %s failed", folder)
                self.link.set_status(backup="failed")
                return
            log.info("backup written: %s (%d bytes)", made.path, made.size)
            self._note_backup(made)

        threading.Thread(target=copy, name="backup", daemon=True).start()

    def _check_disk(self) -> bool:
        """Follow the store's full disk: tell the technician (log, retained status) when it
        fills, and once it has room again reopen, reload and say so. True if writable."""
        was_full = self._reported_full
        if self.store.disk_full:
            try:
                self.store.retry()
                self._reopens.succeeded()
            except Exception:
                self._reopens.failed("retried every second")
        full = self.store.disk_full
        if full and not was_full:
            log.error(
                "the disk holding %s is full: tickets and counter actions are refused"
                " (error disk_full) until it has room again; delete old files from it or"
                " give it a larger card. The hub keeps running and resumes by itself.",
                self.store.path,
            )
        elif was_full and not full:
            if not self.queue_known:
                self.queue = self.store.load(self.office, self.clock())
                self.queue_known = True
            log.info(
                "the disk holding %s has room again: accepting requests"
                " (%d were refused while it was full)",
                self.store.path,
                self._refused,
            )
            self._refused = 0
            self.publish_state()
        self._reported_full = full
        self.link.set_status(store="disk_full" if full else "ok")
        return not full

    def _write_archive(self, day: date, now: datetime) -> None:
        """The day's report into the archive folder, in its own thread: the PDF takes a
        second, and requests must not wait for it."""
        if self.archive_dir is None or self.database is None:
            return
        from nodes.hub.reports.render import write_daily_archive

        folder, database = self.archive_dir, self.database

        def write() -> None:
            try:
                paths = write_daily_archive(
                    database,
                    self.office,
                    day,
                    folder,
                    target_wait_s=self.target_wait_s,
                    generated=now,
                )
                log.info("daily report for %s written: %s", day, ", ".join(p.name for p in paths))
            except Exception:
                log.exception("could not write the daily report for %s", day)

        threading.Thread(target=write, name="daily-report", daemon=True).start()


class HubConfig(NamedTuple):
    identity: config.NodeIdentity
    office: Office
    settings: HubSettings


def load_config(source: str | config.Table) -> HubConfig:
    root = config.root(source)
    identity = config.read_identity(root, node_id_default="hub")
    office = read_office(root)
    settings = HubSettings(root)
    root.finish()
    return HubConfig(identity, office, settings)


def open_store(settings: HubSettings) -> Store:
    """The hub's store, or a ConfigError naming `hub.database` when that path cannot be
    one. A full disk is not a configuration error: the store then waits for room."""
    path = settings.database

    def wrong(problem: str) -> config.ConfigError:
        return config.ConfigError(settings.file, "hub.database", problem)

    if path.is_dir():
        raise wrong(f"{path} is a folder; name a file in it, e.g. {path / 'antrian.db'}")
    try:
        return Store(path, wait_for_room=True)
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
            raise wrong(
                f"{path} is not an SQLite database; move it away or name another file"
            ) from None
        raise wrong(f"{path} cannot be opened: {exc}") from None
    except (FileExistsError, NotADirectoryError) as exc:
        raise wrong(f"cannot create the folder {path.parent}: {exc.filename} is a file") from None
    except OSError as exc:
        raise wrong(f"cannot create the folder {path.parent}: {exc.strerror}") from None


def make_archive_dir(settings: HubSettings) -> None:
    folder = settings.archive_dir
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            return  # the store reports the full disk; the report is retried tomorrow
        raise config.ConfigError(
            settings.file, "hub.archive_dir", f"cannot create the folder {folder}: {exc.strerror}"
        ) from None


def build(hub_config: HubConfig, shell: Shell) -> Running:
    _, office, settings = hub_config
    make_archive_dir(settings)
    store = open_store(settings)
    shell.on_stop(store.close)
    client_id = f"antrian-hub-{office.id}"
    link = shell.link(
        client_id=client_id,
        persistent_session=True,
        status={"pid": os.getpid(), "office": office.id},
    )

    def clock() -> datetime:
        return datetime.now(office.tz)

    hub = Hub(office, store, link, clock, settings)
    log.info(
        "office %s: %d services, %d counters, %d nodes; database %s",
        office.id,
        len(office.services),
        len(office.counters),
        len(office.nodes),
        settings.database,
    )
    for intake in open_intakes(link, client_id, office, hub.submit):  # one session per node
        shell.on_stop(intake.stop)
    link.subscribe(link.topics.requests, unregistered_only(office, hub.submit))
    link.subscribe(link.topics.node_statuses, hub.on_status)
    link.on_connection(lambda up: hub.republish() if up else None)
    if settings.region is not None:
        uplink = Uplink(settings.region, settings.database)
        hub.uplink = uplink
        uplink.start()
        shell.on_stop(uplink.stop)  # before the store closes and the office link says goodbye
    return Running(
        hub.serve, healthy=lambda: time.monotonic() - hub.last_progress < 30, status="serving"
    )


def main(argv: list[str] | None = None) -> int:
    return node.run("hub", argv, load_config, build, description="Run the hub daemon.")
