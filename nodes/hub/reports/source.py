"""Where report figures come from: the hub's event log, read through `nodes.hub.eventlog`
(read-only: a report can never change the queue's history)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from common.payloads import Service
from nodes.hub.eventlog import EventLog
from nodes.hub.office import Office, ServiceSpec
from nodes.hub.reports.figures import (
    DEFAULT_TARGET_WAIT_S,
    UNUSED_KINDS,
    OfficeInfo,
    Report,
    compute,
)


def office_info(office: Office | OfficeInfo) -> OfficeInfo:
    """The names a report needs, from the hub's office model."""
    if isinstance(office, OfficeInfo):
        return office
    return OfficeInfo(
        name=office.name or office.id,
        services=tuple((s.id, s.name) for s in office.services),
        counters=tuple((c.id, c.name) for c in office.counters),
        office_id=office.id,
        timezone=office.timezone,
        address=office.address,
        head_title=office.head_title,
        head_name=office.head_name,
        head_nip=office.head_nip,
        standards=standards_of(office.services),
        officers=tuple((o.id, o.name) for o in office.officers),
    )


def standards_of(
    services: Iterable[ServiceSpec | Service],
) -> tuple[tuple[str, float | None, float | None], ...]:
    """The published standards in seconds, of the services (hub's or `config`'s) with one."""
    return tuple(
        (
            s.id,
            None if s.standard_wait_minutes is None else 60.0 * s.standard_wait_minutes,
            None if s.standard_service_minutes is None else 60.0 * s.standard_service_minutes,
        )
        for s in services
        if s.standard_wait_minutes is not None or s.standard_service_minutes is not None
    )


def build_report(
    db_path: str | Path,
    office: Office | OfficeInfo,
    first_day: date,
    last_day: date | None = None,
    target_wait_s: float = DEFAULT_TARGET_WAIT_S,
) -> Report:
    """The figures of first_day..last_day (one day by default) from the hub's database;
    FileNotFoundError without one, sqlite3.Error (`SchemaMismatch` among them) when it
    cannot be read."""
    last_day = last_day or first_day
    logged = EventLog(db_path).days(first_day, last_day, skip=UNUSED_KINDS)
    events = (entry.event for entry in logged)
    return compute(events, office_info(office), first_day, last_day, target_wait_s)
