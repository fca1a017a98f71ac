"""Per-officer figures from the log's sign-ins and the tickets they served. Pure.

Definitions (docs/reports.md, for the head of office):

- Signed in: from `officer_signed_in` to that officer's `officer_signed_out` at the same
  counter. A sign-in still open at the end of its day lasts until that counter's last
  event of the day (the hub signs everyone out when the next day starts), never longer.
- Served: tickets finished whose call (the one the finish ended) carried the officer; the
  service duration is that call to the finish, as for the counters.
- Busy: those service durations, counted only inside the officer's signed-in time.
- Idle: signed-in time minus busy time (signed in, nobody being served).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from nodes.hub.events import OfficerSignedIn, OfficerSignedOut
from nodes.hub.reports.figures import (
    OfficeInfo,
    OfficerFigures,
    Span,
    _CounterDay,
    _ordered,
    _overlap,
    duration_stats,
)


def officer_figures(
    office: OfficeInfo,
    events: Iterable[OfficerSignedIn | OfficerSignedOut],
    served: Iterable[tuple[str, date, float, float]],
    counters: Mapping[tuple[date, str], _CounterDay],
) -> tuple[OfficerFigures, ...]:
    """One row per officer who signed in or served in the period, in config order."""
    spans: dict[str, list[Span]] = defaultdict(list)
    open_since: dict[tuple[date, str, str], float] = {}  # (day, counter, officer) -> start
    for event in events:
        key = (event.day, event.counter, event.officer)
        at = event.at.timestamp()
        if isinstance(event, OfficerSignedIn):
            open_since.setdefault(key, at)
        elif key in open_since:
            spans[event.officer].append((open_since.pop(key), at))
    for (day, counter, officer), start in open_since.items():
        timeline = counters.get((day, counter))
        end = timeline.last_event if timeline and timeline.last_event else start
        spans[officer].append((start, max(start, end)))
    durations: dict[str, list[float]] = defaultdict(list)
    busy: dict[str, float] = defaultdict(float)
    for officer, _, called, finished in served:
        durations[officer].append(finished - called)
        busy[officer] += _overlap((called, finished), spans.get(officer, ()))
    rows = []
    for officer, name in _ordered(office.officers, set(spans) | set(durations)):
        signed_in = sum(stop - start for start, stop in spans.get(officer, ()))
        rows.append(
            OfficerFigures(
                officer=officer,
                name=name,
                served=len(durations.get(officer, ())),
                duration=duration_stats(durations.get(officer, ())),
                signed_in_s=signed_in,
                busy_s=busy.get(officer, 0.0),
                idle_s=max(0.0, signed_in - busy.get(officer, 0.0)),
            )
        )
    return tuple(rows)
