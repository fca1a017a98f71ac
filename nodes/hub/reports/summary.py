"""Page 1 of every report: how the office did against its standard, then the key figures.

The head of office opens a report to learn one thing first: were citizens called within
the target (`[hub] target_wait_minutes`)? `Verdict` answers it with a mark (met, missed or
nothing to judge), `key_figures` lists the few numbers behind it, each with its unit kind
so the workbook keeps it a number and the HTML page and the PDF print it the Indonesian way.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.bahasa import Lang, hour_range
from nodes.hub.reports.figures import TARGET_GOAL, Report
from nodes.hub.reports.labels import number, text
from nodes.hub.reports.tables import Cell, Kind, minutes, percent, target_text


@dataclass(frozen=True)
class Verdict:
    """The day (or period) against the standard; `met` is None when nobody was called."""

    met: bool | None
    sentence: str


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: Cell
    kind: Kind
    #: "✔ …"/"✘ …" where the figure is judged against the standard, else "".
    remark: str = ""
    good: bool | None = None


def _whole(value: float) -> tuple[float | int, Kind]:
    return (int(value), "int") if value.is_integer() else (value, "minutes")


def verdict(report: Report, lang: Lang = "id") -> Verdict:
    share = report.total.wait.within_target_share
    target = target_text(report, lang)
    goal = number(round(TARGET_GOAL * 100), lang)
    if share is None:
        return Verdict(None, text("verdict_none", lang))
    met = share >= TARGET_GOAL
    # Services with their own standard are each held to it (figures.py): say so.
    standards = "_standards" if report.has_standards else ""
    sentence = text(
        ("verdict_met" if met else "verdict_missed") + standards,
        lang,
        share=number(share * 100, lang),
        target=target,
        goal=goal,
    )
    return Verdict(met, sentence)


def key_figures(report: Report, lang: Lang = "id") -> list[KeyFigure]:
    """The summary table: the share within target first, then what explains it."""
    total = report.total
    wait = total.wait
    target = target_text(report, lang)
    judged = verdict(report, lang).met
    average_ok = None if wait.average_s is None else wait.average_s <= report.target_wait_s
    within = "within_standard" if report.has_standards else "within_target"
    figures = [
        KeyFigure(
            text(within, lang, target=target),
            percent(wait.within_target_share),
            "percent",
            "" if judged is None else text("met" if judged else "missed", lang),
            judged,
        ),
        KeyFigure(text("target_goal", lang), round(TARGET_GOAL * 100), "int"),
        KeyFigure(text("target_wait", lang), *_whole(report.target_wait_s / 60)),
        KeyFigure(
            text("wait_avg", lang),
            minutes(wait.average_s),
            "minutes",
            "" if average_ok is None else text("in_target" if average_ok else "over_target", lang),
            average_ok,
        ),
        KeyFigure(text("wait_p90", lang), minutes(wait.p90_s), "minutes"),
        KeyFigure(text("wait_max", lang), minutes(wait.max_s), "minutes"),
        KeyFigure(text("issued", lang), total.issued, "int"),
        KeyFigure(text("called", lang), wait.count, "int"),
        KeyFigure(text("served", lang), total.served, "int"),
        KeyFigure(text("no_show", lang), total.no_show, "int"),
        KeyFigure(text("duration_avg", lang), minutes(total.duration.average_s), "minutes"),
    ]
    if report.peak is not None:
        figures.append(
            KeyFigure(text("peak_hour", lang), hour_range(report.peak.hour, lang), "text")
        )
        figures.append(KeyFigure(text("peak_tickets", lang), report.peak.issued, "int"))
    return figures


@dataclass(frozen=True)
class Signature:
    """The block at the end: "Mengetahui," the head's title, room to sign, name, NIP."""

    lines_above: tuple[str, ...]
    name: str
    nip: str


def signature(report: Report, lang: Lang = "id") -> Signature:
    office = report.office
    title = office.head_title or text("head_default", lang)
    name = office.head_name or "(" + "." * 40 + ")"
    nip = f"{text('nip', lang)} {office.head_nip or '.' * 24}"
    return Signature((text("acknowledged", lang), title), name, nip)
