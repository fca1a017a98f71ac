"""The report as JSON: the whole model (`figures.Report`), for scripts and other systems.

Every figure the other formats print is here as a plain number in the unit of its field
name (seconds in `*_s`, shares 0..1), dates and times as ISO 8601. `skm` holds the SKM
survey (reports/skm.py): the office's `respondents`, `nrr` per element, `ikm`, `grade` at
its top level, then the same per service, counter, month, semester and year.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any

from nodes.hub.reports.figures import Report


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def report_model(report: Report) -> dict[str, Any]:
    """The report as plain data (what `render_json` writes)."""
    model = {f.name: getattr(report, f.name) for f in fields(report) if f.name != "skm"}
    data = {
        key: asdict(value) if hasattr(value, "__dataclass_fields__") else value
        for key, value in model.items()
    }
    for key in ("services", "counters", "hours", "days", "officers"):
        data[key] = [asdict(item) for item in model[key]]
    if not report.office.show_officers:  # per-officer figures: the head of office's report only
        data["officers"] = []
    data["skm"] = report.skm.to_json()
    return data


def render_json(report: Report) -> bytes:
    text = json.dumps(report_model(report), ensure_ascii=False, indent=1, default=_plain)
    return (text + "\n").encode("utf-8")
