"""The report's tables, one model for every format.

Each renderer draws the same `Table`s, so the HTML page, the workbook, the PDF and the CSV
always carry the same figures. Cells hold raw numbers in the unit the column names
(minutes, hours, percent); formatting for a reader happens in the renderer (`cell_text`),
the XLSX keeps the numbers as numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from common.bahasa import Lang, hour_range
from nodes.hub.reports.figures import DurationStats, Report, ServiceFigures, WaitStats
from nodes.hub.reports.labels import number, text

Kind = Literal["text", "int", "minutes", "hours", "percent", "date", "score", "weight"]
Cell = str | int | float | date | None


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind


@dataclass(frozen=True)
class Table:
    key: str  # stable id: sheet names, CSV sections, HTML ids
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


DECIMALS: Final[dict[str, int]] = {
    "minutes": 1,
    "hours": 1,
    "percent": 1,
    "score": 2,  # an NRR or the IKM, as the SKM regulation prints them
    "weight": 3,  # a weighted NRR
}


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def target_text(report: Report, lang: Lang) -> str:
    """The waiting-time target in minutes as printed: "15", or "7,5" when not whole."""
    minutes_target = report.target_wait_s / 60
    whole = minutes_target.is_integer()
    return number(int(minutes_target) if whole else minutes_target, lang)


def cell_text(value: Cell, kind: Kind, lang: Lang = "id") -> str:
    """A cell as printed in HTML and PDF tables."""
    if value is None:
        return "-"
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y") if lang == "id" else value.isoformat()
    if isinstance(value, str):
        return value
    if kind == "int":
        return number(int(value), lang)
    return number(float(value), lang, DECIMALS.get(kind, 1))


def _wait_cells(wait: WaitStats) -> tuple[Cell, ...]:
    return (
        minutes(wait.average_s),
        minutes(wait.median_s),
        minutes(wait.p90_s),
        minutes(wait.max_s),
        percent(wait.within_target_share),
    )


def _duration_cells(duration: DurationStats) -> tuple[Cell, ...]:
    return (minutes(duration.average_s), minutes(duration.median_s))


def _service_name(service: ServiceFigures, lang: Lang) -> str:
    if not service.service:
        return text("all_services", lang)
    key = service.service
    return f"{key} – {service.name}" if service.name != key else key


def report_tables(report: Report, lang: Lang = "id") -> list[Table]:
    """The tables of a report in reading order; per-day tables only for a range."""
    columns = _Columns(report, lang)
    tables = [_services(report, columns), _service_times(report, columns)]
    if report.has_standards or any(s.service_standard_s for s in report.services):
        tables.append(_standards(report, columns))
    if (
        report.total.priority_wait.count
    ):  # a day without priority tickets has nothing to set side by side
        tables.append(_priority(report, columns))
    tables += [_counters(report, columns)]
    if report.office.show_officers:  # the head of office's report only
        tables.append(_officers(report, columns))
    tables += [_hours(report, columns)]
    if not report.single_day:
        tables += [_days(report, columns), _heat_map(report, columns)]
    from nodes.hub.reports.skm_tables import skm_tables  # it builds on this module

    return tables + skm_tables(report, lang)


class _Columns:
    """Titles and columns in the report's language: columns from (catalogue key, kind)."""

    def __init__(self, report: Report, lang: Lang) -> None:
        self.lang = lang
        self.target = target_text(report, lang)
        #: With a service's own standard, "within" is within each service's standard.
        self.within = "within_standard" if report.has_standards else "within_target"

    def __call__(self, *specs: Spec) -> tuple[Column, ...]:
        return tuple(Column(self.title(key), kind) for key, kind in specs)

    def title(self, key: str) -> str:
        if key == "within_target":
            key = self.within
        return text(key, self.lang, target=self.target)


Spec = tuple[str, Kind]  # a column: its catalogue key and kind
_WAIT: Final[tuple[Spec, ...]] = (
    ("wait_avg", "minutes"), ("wait_median", "minutes"), ("wait_p90", "minutes"),
    ("wait_max", "minutes"), ("within_target", "percent"),
)  # fmt: skip
_DURATION: Final[tuple[Spec, ...]] = (("duration_avg", "minutes"), ("duration_median", "minutes"))
_COUNTS: Final = ("issued", "served", "no_show", "cancelled", "expired", "transferred")


def _services(report: Report, columns: _Columns) -> Table:
    counts = (*_COUNTS, "transferred_in", "open_tickets")
    return Table(
        "services",
        columns.title("per_service"),
        columns(("service", "text"), *((key, "int") for key in counts)),
        tuple(
            (_service_name(s, columns.lang), s.issued, s.served, s.no_show, s.cancelled,
             s.expired, s.transferred_out, s.transferred_in, s.still_open)
            for s in [*report.services, report.total]
        ),
    )  # fmt: skip


def _service_times(report: Report, columns: _Columns) -> Table:
    return Table(
        "service_times",
        columns.title("per_service_times"),
        columns(("service", "text"), *_WAIT, *_DURATION),
        tuple(
            (_service_name(s, columns.lang), *_wait_cells(s.wait), *_duration_cells(s.duration))
            for s in [*report.services, report.total]
        ),
    )


def _standards(report: Report, columns: _Columns) -> Table:
    """Each service's published standard and the share of its citizens within it."""
    return Table(
        "standards",
        columns.title("per_service_standards"),
        columns(("service", "text"), ("standard_wait", "minutes"), ("within_standard", "percent"),
                ("standard_service", "minutes"), ("within_service_standard", "percent")),
        tuple(
            (_service_name(s, columns.lang), minutes(s.wait_standard_s),
             percent(s.wait.within_target_share), minutes(s.service_standard_s),
             percent(s.within_service_standard))
            for s in report.services
        ),
    )  # fmt: skip


def _priority(report: Report, columns: _Columns) -> Table:
    """Priority and ordinary waits side by side, per service and in total."""
    return Table(
        "priority",
        columns.title("per_priority"),
        columns(("service", "text"), ("priority_called", "int"), ("priority_wait_avg", "minutes"),
                ("priority_wait_max", "minutes"), ("ordinary_called", "int"),
                ("ordinary_wait_avg", "minutes"), ("ordinary_wait_max", "minutes")),
        tuple(
            (_service_name(s, columns.lang), s.priority_wait.count,
             minutes(s.priority_wait.average_s), minutes(s.priority_wait.max_s),
             s.ordinary_wait.count, minutes(s.ordinary_wait.average_s),
             minutes(s.ordinary_wait.max_s))
            for s in [*report.services, report.total]
        ),
    )  # fmt: skip


def _counters(report: Report, columns: _Columns) -> Table:
    return Table(
        "counters",
        columns.title("per_counter"),
        columns(("counter", "text"), ("served", "int"), *_DURATION, ("time_open", "hours"),
                ("time_paused", "hours"), ("busy", "hours"), ("utilisation", "percent")),
        tuple(
            (c.name, c.served, *_duration_cells(c.duration), hours(c.open_s), hours(c.paused_s),
             hours(c.busy_s), percent(c.utilisation))
            for c in report.counters
        ),
    )  # fmt: skip


def _officers(report: Report, columns: _Columns) -> Table:
    return Table(
        "officers",
        columns.title("per_officer"),
        columns(("officer", "text"), ("served", "int"), *_DURATION, ("signed_in", "hours"),
                ("busy", "hours"), ("idle", "hours")),
        tuple(
            (o.name, o.served, *_duration_cells(o.duration), hours(o.signed_in_s),
             hours(o.busy_s), hours(o.idle_s))
            for o in report.officers
        ),
    )  # fmt: skip


def _hours(report: Report, columns: _Columns) -> Table:
    return Table(
        "hours",
        columns.title("per_hour"),
        columns(("hour", "text"), ("issued", "int"), ("served", "int"), ("wait_avg", "minutes")),
        tuple(
            (hour_range(h.hour, columns.lang), h.issued, h.served, minutes(h.average_wait_s))
            for h in report.hours
        ),
    )


def _days(report: Report, columns: _Columns) -> Table:
    lang = columns.lang
    return Table(
        "days",
        columns.title("per_day"),
        columns(("day", "date"), *((key, "int") for key in _COUNTS), ("wait_avg", "minutes"),
                ("wait_p90", "minutes"), ("within_target", "percent"), ("peak_hour", "text")),
        tuple(
            (d.day, d.issued, d.served, d.no_show, d.cancelled, d.expired, d.transferred,
             minutes(d.wait.average_s), minutes(d.wait.p90_s), percent(d.wait.within_target_share),
             hour_range(d.peak.hour, lang) if d.peak else None)
            for d in report.days
        ),
    )  # fmt: skip


def _heat_map(report: Report, columns: _Columns) -> Table:
    heat = report.heat
    return Table(
        "heat_map",
        columns.title("heat_map"),
        (Column(columns.title("day"), "date"), *(Column(f"{h:02d}", "int") for h in heat.hours)),
        tuple((day, *counts) for day, counts in zip(heat.days, heat.issued, strict=True)),
    )
