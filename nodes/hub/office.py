"""The office model: services, counters and registered nodes, read from the hub's TOML.

The hub's file is the one place where an office is described. `read_office` validates it
completely at start, so a typo in a counter's service list stops the hub with a message
naming the file and key instead of showing up as a counter that never calls anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from common.accounts import is_pin_hash
from common.config import Table, read_timezone
from common.payloads import MAX_AGENCY
from common.wire import OFFICER_PATTERN

ROLES = ("kiosk", "counter", "display", "web", "hub")
_PREFIX = re.compile(r"^[A-Za-z0-9]{1,8}$")
_SHORT_PREFIX = re.compile(r"^[A-Za-z0-9]{1,3}$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    name: str
    prefix: str
    daily_quota: int | None = None
    opens: time | None = None
    #: Cut-off for NEW tickets; tickets already waiting are still served after it.
    closes: time | None = None
    online_quota: int | None = None
    #: The expected minutes per citizen, for the wait estimate until the day has its own.
    service_minutes: float = 5.0
    #: The published service standard (PermenPAN-RB 15/2014): the target waiting time and
    #: the target completion (service) time, in minutes; None when the office set none.
    standard_wait_minutes: float | None = None
    standard_service_minutes: float | None = None
    #: The agency giving the service in an office of several (a Mal Pelayanan Publik):
    #: the touch kiosk groups its tiles under it. None: the office's own.
    agency: str | None = None


PriorityPolicyName = Literal["strict", "ratio"]


@dataclass(frozen=True)
class PriorityPolicy:
    """Who goes first between the priority line (UU 25/2009 Pasal 29) and the ordinary one.

    `strict`: every priority ticket before any ordinary one. `ratio`: a counter calls one
    priority ticket per `ratio` ordinary ones while both wait, and an ordinary ticket that
    has waited `ordinary_max_wait` goes before any priority ticket (docs/queue-rules.md).
    """

    name: PriorityPolicyName = "strict"
    ratio: int = 2
    ordinary_max_wait: timedelta = timedelta(minutes=60)


@dataclass(frozen=True)
class CounterSpec:
    id: str
    name: str
    #: In order of preference: when no priority ticket waits, `call_next` takes the first
    #: service in this list that has someone waiting.
    services: tuple[str, ...]


@dataclass(frozen=True)
class OfficerSpec:
    """An officer who signs in at a counter with `id` (a code of digits) and a PIN."""

    id: str
    name: str
    nip: str = ""
    #: `antrian officer-pin` makes it (common.accounts.pin_hash); never the PIN itself.
    pin_hash: str = field(default="", repr=False)


@dataclass(frozen=True)
class NodeSpec:
    id: str
    role: str  # one of ROLES
    counters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Office:
    id: str
    name: str
    timezone: str
    services: tuple[ServiceSpec, ...]
    counters: tuple[CounterSpec, ...]
    nodes: tuple[NodeSpec, ...]
    address: str = ""
    #: The signature block of the reports: "Mengetahui, {head_title}", name, NIP.
    head_title: str = ""
    head_name: str = ""
    head_nip: str = ""
    #: How many recent service durations the wait estimate averages.
    recent_window: int = 10
    priority: PriorityPolicy = PriorityPolicy()
    officers: tuple[OfficerSpec, ...] = ()
    _services: dict[str, ServiceSpec] = field(init=False, repr=False, compare=False)
    _counters: dict[str, CounterSpec] = field(init=False, repr=False, compare=False)
    _nodes: dict[str, NodeSpec] = field(init=False, repr=False, compare=False)
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen, so the lookup tables are set once here rather than rebuilt per call.
        object.__setattr__(self, "_services", {s.id: s for s in self.services})
        object.__setattr__(self, "_counters", {c.id: c for c in self.counters})
        object.__setattr__(self, "_nodes", {n.id: n for n in self.nodes})
        object.__setattr__(self, "_tz", ZoneInfo(self.timezone))

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def service(self, service_id: str) -> ServiceSpec | None:
        return self._services.get(service_id)

    def counter(self, counter_id: str) -> CounterSpec | None:
        return self._counters.get(counter_id)

    def node(self, node_id: str) -> NodeSpec | None:
        return self._nodes.get(node_id)

    def officer(self, officer_id: str) -> OfficerSpec | None:
        return next((o for o in self.officers if o.id == officer_id), None)


def _hhmm(table: Table, name: str) -> time | None:
    value = table.str(name, None)
    if value is None:
        return None
    match = _HHMM.match(value)
    if not match:
        raise table.error(name, f'must be a time "HH:MM" such as "08:00", not {value!r}')
    return time(int(match.group(1)), int(match.group(2)))


def _read_service(table: Table) -> ServiceSpec:
    service_id: str = table.id("id")
    name: str = table.str("name")
    if "prefix" in table:
        prefix: str = table.str("prefix")
        if not _PREFIX.match(prefix):
            raise table.error("prefix", f"must be 1-8 letters or digits, not {prefix!r}")
    elif _SHORT_PREFIX.match(service_id):
        table.ignore("prefix")
        prefix = service_id
    else:
        raise table.error(
            "prefix",
            f"is required because the id {service_id!r} is not 1-3 letters or digits "
            '(the ticket number starts with it, e.g. prefix = "A")',
        )
    opens = _hhmm(table, "opens")
    closes = _hhmm(table, "closes")
    if opens is not None and closes is not None and closes <= opens:
        raise table.error("closes", f"must be after opens ({opens:%H:%M}), not {closes:%H:%M}")
    service_minutes: float = table.float("service_minutes", 5.0, min=0.5)
    if service_minutes > 240:
        raise table.error("service_minutes", f"must be at most 240, not {service_minutes:g}")
    standards = [_standard(table, key) for key in ("standard_wait_minutes",
                                                     "standard_service_minutes")]  # fmt: skip
    spec = ServiceSpec(
        id=service_id,
        name=name,
        prefix=prefix,
        daily_quota=table.int("daily_quota", None, min=1),
        opens=opens,
        closes=closes,
        online_quota=table.int("online_quota", None, min=0),
        service_minutes=service_minutes,
        standard_wait_minutes=standards[0],
        standard_service_minutes=standards[1],
        agency=_agency(table),
    )
    table.finish()
    return spec


def _agency(table: Table) -> str | None:
    agency: str | None = table.str("agency", None)
    if agency is not None and len(agency) > MAX_AGENCY:
        raise table.error("agency", f"must be at most {MAX_AGENCY} characters")
    return agency


def _standard(table: Table, name: str) -> float | None:
    """A published standard in minutes: 1-600, whole or not."""
    value: float | None = table.float(name, None, min=1)
    if value is not None and value > 600:
        raise table.error(name, f"must be at most 600 minutes, not {value:g}")
    return value


def _read_counter(table: Table, services: dict[str, ServiceSpec]) -> CounterSpec:
    counter_id: str = table.id("id")
    name: str = table.str("name", f"Loket {counter_id}")
    served: list[str] = table.str_list("services", ids=True)
    if not served:
        raise table.error("services", "must list at least one service")
    for service_id in served:
        if service_id not in services:
            known = ", ".join(services)
            raise table.error("services", f"unknown service {service_id!r} (known: {known})")
    if len(set(served)) != len(served):
        raise table.error("services", "lists a service twice")
    table.finish()
    return CounterSpec(id=counter_id, name=name, services=tuple(served))


def _read_node(table: Table, counters: dict[str, CounterSpec]) -> NodeSpec:
    node_id: str = table.id("id")
    role: str = table.choice("role", ROLES)
    assigned: list[str] = table.str_list("counters", [], ids=True)
    for counter_id in assigned:
        if counter_id not in counters:
            known = ", ".join(counters)
            raise table.error("counters", f"unknown counter {counter_id!r} (known: {known})")
    if role == "counter" and not assigned:
        raise table.error("counters", "a counter node must list the counter(s) it commands")
    if role != "counter" and assigned:
        raise table.error("counters", f"only counter nodes have counters, not a {role} node")
    # Credentials and labels for the broker ACL are read by the daemon, not here.
    table.ignore("password", "username", "name")
    table.finish()
    return NodeSpec(id=node_id, role=role, counters=tuple(assigned))


def _read_officer(table: Table) -> OfficerSpec:
    officer_id: str = table.str("id")
    if not OFFICER_PATTERN.match(officer_id):
        raise table.error(
            "id", f"must be a code of 1-8 digits (typed on the keypad), not {officer_id!r}"
        )
    name: str = table.str("name")
    pin_hash: str = table.str("pin_hash")
    if not is_pin_hash(pin_hash):
        raise table.error("pin_hash", "must be a PIN hash from `antrian officer-pin`, not a PIN")
    nip: str = table.str("nip", "")
    _check_nip(table, "nip", nip)
    table.finish()
    return OfficerSpec(officer_id, name, nip, pin_hash)


def _unique(tables: list[Table], ids: list[str], what: str, key: str = "id") -> None:
    seen: dict[str, str] = {}
    for table, value in zip(tables, ids, strict=True):
        if value in seen:
            raise table.error(key, f"duplicate {what} {value!r} (also in {seen[value]})")
        seen[value] = table.path


def _check_nip(table: Table, key: str, value: str) -> None:
    """A civil servant's NIP: 18 digits, often written in groups ("19800101 200501 1 001")."""
    if value and not (value.replace(" ", "").isdigit() and len(value.replace(" ", "")) == 18):
        raise table.error(key, f"must be an NIP of 18 digits (spaces allowed), not {value!r}")


#: The `[hub]` keys `read_office` reads (the daemon's `HubSettings` leaves them to it).
PRIORITY_KEYS = ("priority_policy", "priority_ratio", "ordinary_max_wait_minutes")


def _read_priority(hub: Table) -> PriorityPolicy:
    name: PriorityPolicyName = hub.choice("priority_policy", ("strict", "ratio"), "strict")
    ratio: int = hub.int("priority_ratio", 2, min=1, max=20)
    bound: int = hub.int("ordinary_max_wait_minutes", 60, min=1, max=600)
    return PriorityPolicy(name, ratio, timedelta(minutes=bound))


def read_office(root: Table) -> Office:
    """The office described by the hub's file: `[office]`, `[[services]]`, `[[counters]]`,
    `[[nodes]]`. Raises `common.config.ConfigError` naming the file and key.

    Does not call `root.finish()`: the hub's file has other tables ([hub], [broker], [log])
    that the daemon reads.
    """
    office = root.table("office")
    office_id: str = office.id("id", "kantor")
    name: str = office.str("name", "")
    timezone = read_timezone(office)
    address: str = office.str("address", "", nonempty=False)
    head_title: str = office.str("head_title", "")
    head_name: str = office.str("head_name", "")
    head_nip: str = office.str("head_nip", "")
    _check_nip(office, "head_nip", head_nip)

    service_tables = root.tables("services", required=True)
    services = [_read_service(t) for t in service_tables]
    _unique(service_tables, [s.id for s in services], "service id")
    _unique(service_tables, [s.prefix for s in services], "service prefix", "prefix")
    by_id = {s.id: s for s in services}

    counter_tables = root.tables("counters", required=True)
    counters = [_read_counter(t, by_id) for t in counter_tables]
    _unique(counter_tables, [c.id for c in counters], "counter id")

    priority = _read_priority(root.table("hub"))

    officer_tables = root.tables("officers")
    officers = [_read_officer(t) for t in officer_tables]
    _unique(officer_tables, [o.id for o in officers], "officer id")

    node_tables = root.tables("nodes")
    nodes = [_read_node(t, {c.id: c for c in counters}) for t in node_tables]
    _unique(node_tables, [n.id for n in nodes], "node id")

    return Office(
        id=office_id,
        name=name,
        timezone=timezone,
        services=tuple(services),
        counters=tuple(counters),
        nodes=tuple(nodes),
        address=address,
        head_title=head_title,
        head_name=head_name,
        head_nip=head_nip,
        priority=priority,
        officers=tuple(officers),
    )
