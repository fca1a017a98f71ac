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

Kind = Literal["text", "int", "minutes", "hours", "percent", "date"]
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


DECIMALS: Final[dict[str, int]] = {"minutes": 1, "hours": 1, "percent": 1}


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def percent(share: float | None) -> float | None:
    return None if share is None else share * 100


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
        percent(wait.over_target_share),
    )


def _duration_cells(duration: DurationStats) -> tuple[Cell, ...]:
    return (minutes(duration.average_s), minutes(duration.median_s))


def _service_name(service: ServiceFigures, lang: Lang) -> str:
    if not service.service:
        return text("all_services", lang)
    return (
        f"{service.service} – {service.name}"
        if service.name != service.service
        else service.service
    )


def report_tables(report: Report, lang: Lang = "id") -> list[Table]:
    """The tables of a report in reading order; per-day tables only for a range."""

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    minutes_target = report.target_wait_s / 60
    target = number(int(minutes_target) if minutes_target.is_integer() else minutes_target, lang)
    service_rows = [*report.services, report.total]
    tables = [
        Table(
            "services",
            t("per_service"),
            tuple(
                Column(t(key), "text" if key == "service" else "int")
                for key in (
                    "service",
                    "issued",
                    "served",
                    "no_show",
                    "cancelled",
                    "expired",
                    "transferred",
                    "transferred_in",
                    "open_tickets",
                )
            ),
            tuple(
                (
                    _service_name(s, lang),
                    s.issued,
                    s.served,
                    s.no_show,
                    s.cancelled,
                    s.expired,
                    s.transferred_out,
                    s.transferred_in,
                    s.still_open,
                )
                for s in service_rows
            ),
        ),
        Table(
            "service_times",
            t("per_service_times"),
            (
                Column(t("service"), "text"),
                Column(t("wait_avg"), "minutes"),
                Column(t("wait_median"), "minutes"),
                Column(t("wait_p90"), "minutes"),
                Column(t("wait_max"), "minutes"),
                Column(t("over_target", target=target), "percent"),
                Column(t("duration_avg"), "minutes"),
                Column(t("duration_median"), "minutes"),
            ),
            tuple(
                (_service_name(s, lang), *_wait_cells(s.wait), *_duration_cells(s.duration))
                for s in service_rows
            ),
        ),
        Table(
            "counters",
            t("per_counter"),
            (
                Column(t("counter"), "text"),
                Column(t("served"), "int"),
                Column(t("duration_avg"), "minutes"),
                Column(t("duration_median"), "minutes"),
                Column(t("time_open"), "hours"),
                Column(t("time_paused"), "hours"),
                Column(t("busy"), "hours"),
                Column(t("utilisation"), "percent"),
            ),
            tuple(
                (
                    c.name,
                    c.served,
                    *_duration_cells(c.duration),
                    hours(c.open_s),
                    hours(c.paused_s),
                    hours(c.busy_s),
                    percent(c.utilisation),
                )
                for c in report.counters
            ),
        ),
        Table(
            "hours",
            t("per_hour"),
            (
                Column(t("hour"), "text"),
                Column(t("issued"), "int"),
                Column(t("served"), "int"),
                Column(t("wait_avg"), "minutes"),
            ),
            tuple(
                (hour_range(h.hour, lang), h.issued, h.served, minutes(h.average_wait_s))
                for h in report.hours
            ),
        ),
    ]
    if report.single_day:
        return tables
    tables.append(
        Table(
            "days",
            t("per_day"),
            (
                Column(t("day"), "date"),
                Column(t("issued"), "int"),
                Column(t("served"), "int"),
                Column(t("no_show"), "int"),
                Column(t("cancelled"), "int"),
                Column(t("expired"), "int"),
                Column(t("transferred"), "int"),
                Column(t("wait_avg"), "minutes"),
                Column(t("wait_p90"), "minutes"),
                Column(t("over_target", target=target), "percent"),
                Column(t("peak_hour"), "text"),
            ),
            tuple(
                (
                    d.day,
                    d.issued,
                    d.served,
                    d.no_show,
                    d.cancelled,
                    d.expired,
                    d.transferred,
                    minutes(d.wait.average_s),
                    minutes(d.wait.p90_s),
                    percent(d.wait.over_target_share),
                    hour_range(d.peak.hour, lang) if d.peak else None,
                )
                for d in report.days
            ),
        )
    )
    heat = report.heat
    tables.append(
        Table(
            "heat_map",
            t("heat_map"),
            (Column(t("day"), "date"), *(Column(f"{h:02d}", "int") for h in heat.hours)),
            tuple((day, *counts) for day, counts in zip(heat.days, heat.issued, strict=True)),
        )
    )
    return tables
