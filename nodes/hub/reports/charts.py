"""The report's charts as inline SVG text, built by hand: bars and a heat map.

Hand-built because the charts are simple, the Pi has no internet for a charting library's
scripts, and one SVG string serves both the HTML page (inline) and the PDF (fpdf2 draws
SVG). Only elements fpdf2 understands are used: rect, line, text, no CSS, no scripts.
Every chart is an `<svg class="chart" id="chart-...">` with a `<title>` for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from common.bahasa import DAY_NAMES, Lang
from nodes.hub.reports.figures import HeatMap, Report
from nodes.hub.reports.labels import number, text
from nodes.hub.reports.tables import minutes

BLUE: Final = "#1f5f8b"
AMBER: Final = "#e39b17"
RED: Final = "#b03a2e"
GREEN: Final = "#2e7d4f"
INK: Final = "#222222"
GRID: Final = "#d0d0d0"


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float | None, ...]
    color: str


def nice_step(top: float, steps: int = 4) -> float:
    """A round grid step (1, 2 or 5 times a power of ten) so ~`steps` lines cover `top`."""
    if top <= 0:
        return 1.0
    raw = top / steps
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _text(
    x: float,
    y: float,
    body: str,
    *,
    size: float = 11,
    anchor: str = "middle",
    font: str = "sans-serif",
    weight: str = "normal",
    fill: str = INK,
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family={quoteattr(font)} font-size="{size}" '
        f'font-weight="{weight}" text-anchor="{anchor}" fill="{fill}">{escape(body)}</text>'
    )


def _open(key: str, title: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-{key}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def bar_chart(
    key: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    lang: Lang = "id",
    decimals: int = 0,
    width: int = 640,
    height: int = 240,
    font: str = "sans-serif",
) -> str:
    """Vertical bars, one group per category, one bar per series, values printed on top."""
    left, right, top, bottom = 46.0, 10.0, 50.0, 30.0
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = _open(key, title, width, height)
    parts.append(_text(left, 16, title, size=13, anchor="start", font=font, weight="bold"))
    if len(series) > 1:  # a legend only where there is something to tell apart
        x = left
        for s in series:
            parts.append(f'<rect x="{x:.1f}" y="24" width="10" height="10" fill="{s.color}"/>')
            parts.append(_text(x + 14, 33, s.label, size=10, anchor="start", font=font))
            x += 24 + 6.5 * len(s.label)
    peak = max((v for s in series for v in s.values if v is not None), default=0.0)
    step = nice_step(peak)
    scale_top = max(step, math.ceil(peak / step) * step)
    ticks = round(scale_top / step)
    for i in range(ticks + 1):
        y = top + plot_h - plot_h * i / ticks
        parts.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{width - right:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
        )
        # As many decimals as the step needs: a 0.02 step must not print "0,0" twice.
        places = max(0, -math.floor(math.log10(step))) if step < 1 else 0
        label = number(step * i if step < 1 else round(step * i), lang, places)
        parts.append(_text(left - 4, y + 3.5, label, size=9, anchor="end", font=font))
    if categories:
        group_w = plot_w / len(categories)
        bar_w = group_w * 0.8 / max(1, len(series))
        show_values = group_w >= 22
        for i, category in enumerate(categories):
            x0 = left + group_w * i + group_w * 0.1
            for j, s in enumerate(series):
                value = s.values[i] if i < len(s.values) else None
                if value is None:
                    continue
                h = plot_h * value / scale_top
                x = x0 + bar_w * j
                y = top + plot_h - h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{s.color}"/>'
                )
                if show_values and value:
                    label = (
                        number(value, lang, decimals) if decimals else number(round(value), lang)
                    )
                    parts.append(_text(x + bar_w / 2, y - 2, label, size=8, font=font))
            parts.append(
                _text(left + group_w * (i + 0.5), height - bottom + 13, category, size=9, font=font)
            )
    parts.append(
        f'<line x1="{left:.1f}" y1="{top + plot_h:.1f}" x2="{width - right:.1f}" '
        f'y2="{top + plot_h:.1f}" stroke="{INK}" stroke-width="0.8"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _shade(share: float) -> str:
    """White (nothing) to BLUE (the busiest cell)."""
    mix = max(0.0, min(1.0, share))
    white, blue = (0xFF, 0xFF, 0xFF), (0x1F, 0x5F, 0x8B)
    return "#" + "".join(
        f"{round(w + (b - w) * mix):02x}" for w, b in zip(white, blue, strict=True)
    )


def _day_label(day: date, lang: Lang) -> str:
    return f"{DAY_NAMES[lang][day.weekday()][:3]} {day.day:02d}-{day.month:02d}"


def heat_map_chart(
    heat: HeatMap, *, title: str, lang: Lang = "id", width: int = 640, font: str = "sans-serif"
) -> str:
    """Days down, hours across, each cell shaded by tickets issued and labelled with them."""
    left, top, right = 84.0, 46.0, 10.0
    columns = max(1, len(heat.hours))
    cell_w = (width - left - right) / columns
    cell_h = 18.0
    height = int(top + cell_h * len(heat.days) + 10)
    parts = _open("heat-map", title, width, height)
    parts.append(_text(left, 16, title, size=13, anchor="start", font=font, weight="bold"))
    most = heat.maximum or 1
    for j, hour in enumerate(heat.hours):
        parts.append(_text(left + cell_w * (j + 0.5), top - 6, f"{hour:02d}", size=9, font=font))
    for i, (day, counts) in enumerate(zip(heat.days, heat.issued, strict=True)):
        y = top + cell_h * i
        parts.append(
            _text(left - 6, y + 12.5, _day_label(day, lang), size=9, anchor="end", font=font)
        )
        for j, count in enumerate(counts):
            x = left + cell_w * j
            share = count / most
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_w:.1f}" height="{cell_h:.1f}" '
                f'fill="{_shade(share)}" stroke="#ffffff" stroke-width="1"/>'
            )
            if count and cell_w >= 18:
                ink = "#ffffff" if share > 0.55 else INK
                parts.append(
                    _text(x + cell_w / 2, y + 12.5, str(count), size=8, font=font, fill=ink)
                )
    parts.append("</svg>")
    return "\n".join(parts)


def report_charts(report: Report, lang: Lang = "id", *, font: str = "sans-serif") -> list[str]:
    """The charts of a report, as SVG strings, in reading order (none for an empty period)."""
    if report.total.issued == 0:
        return []

    def bars(key: str, categories: Sequence[str], *series: Series, decimals: int = 0) -> str:
        title = text(f"chart_{key.replace('-', '_')}", lang)
        return bar_chart(key, title, categories, series, lang=lang, decimals=decimals, font=font)

    def series(label: str, values: Iterable[float | None], color: str) -> Series:
        return Series(text(label, lang), tuple(values), color)

    hours = [f"{h.hour:02d}" for h in report.hours]
    charts = [
        bars(
            "hour-tickets",
            hours,
            series("issued", (float(h.issued) for h in report.hours), BLUE),
            series("served", (float(h.served) for h in report.hours), AMBER),
        ),
        bars(
            "hour-wait",
            hours,
            series("wait_avg", (minutes(h.average_wait_s) for h in report.hours), RED),
            decimals=1,
        ),
        bars(
            "counter-duration",
            [c.name for c in report.counters],
            series("duration_avg", (minutes(c.duration.average_s) for c in report.counters), GREEN),
            decimals=1,
        ),
    ]
    if not report.single_day:
        charts.append(
            bars(
                "day-tickets",
                [f"{d.day.day:02d}" for d in report.days],
                series("issued", (float(d.issued) for d in report.days), BLUE),
                series("served", (float(d.served) for d in report.days), AMBER),
            )
        )
        charts.append(
            heat_map_chart(report.heat, title=text("heat_map", lang), lang=lang, font=font)
        )
    return charts
