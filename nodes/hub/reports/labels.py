"""The report's words in Indonesian (default) and English: one small catalogue.

Every renderer takes its headings, column names and phrases from `text(key, lang)` so the
four formats always say the same thing. Missing keys raise KeyError in tests rather than
printing a raw key to the head of office.
"""

from __future__ import annotations

from typing import Final

from common.bahasa import LANGS, Lang

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "report_title": {"id": "Laporan Pelayanan Antrian", "en": "Queue Service Report"},
    "daily": {"id": "Laporan harian", "en": "Daily report"},
    "range": {"id": "Laporan periode", "en": "Period report"},
    "generated": {"id": "Dibuat", "en": "Generated"},
    "page": {"id": "Halaman", "en": "Page"},
    "summary": {"id": "Ringkasan", "en": "Summary"},
    "per_service": {"id": "Per layanan", "en": "Per service"},
    "per_service_times": {"id": "Per layanan – waktu", "en": "Per service – times"},
    "per_counter": {"id": "Per loket", "en": "Per counter"},
    "per_hour": {"id": "Per jam", "en": "Per hour"},
    "per_day": {"id": "Per hari", "en": "Per day"},
    "heat_map": {"id": "Peta kepadatan (tiket per jam)", "en": "Heat map (tickets per hour)"},
    "no_tickets": {"id": "Belum ada tiket pada periode ini.", "en": "No tickets in this period."},
    "all_services": {"id": "Semua layanan", "en": "All services"},
    # column names
    "service": {"id": "Layanan", "en": "Service"},
    "counter": {"id": "Loket", "en": "Counter"},
    "hour": {"id": "Jam", "en": "Hour"},
    "day": {"id": "Tanggal", "en": "Date"},
    "issued": {"id": "Tiket diambil", "en": "Tickets issued"},
    "served": {"id": "Dilayani", "en": "Served"},
    "no_show": {"id": "Tidak hadir", "en": "No-show"},
    "cancelled": {"id": "Dibatalkan", "en": "Cancelled"},
    "expired": {"id": "Kedaluwarsa", "en": "Expired"},
    "transferred": {"id": "Dialihkan", "en": "Transferred"},
    "transferred_in": {"id": "Alihan masuk", "en": "Transferred in"},
    "open_tickets": {"id": "Masih berjalan", "en": "Still open"},
    "wait_avg": {"id": "Rata-rata tunggu (menit)", "en": "Average wait (min)"},
    "wait_median": {"id": "Median tunggu (menit)", "en": "Median wait (min)"},
    "wait_p90": {"id": "P90 tunggu (menit)", "en": "P90 wait (min)"},
    "wait_max": {"id": "Tunggu terlama (menit)", "en": "Longest wait (min)"},
    "over_target": {"id": "Tunggu > {target} menit (%)", "en": "Waited > {target} min (%)"},
    "duration_avg": {"id": "Rata-rata layanan (menit)", "en": "Average service (min)"},
    "duration_median": {"id": "Median layanan (menit)", "en": "Median service (min)"},
    "time_open": {"id": "Waktu buka (jam)", "en": "Time open (h)"},
    "time_paused": {"id": "Waktu istirahat (jam)", "en": "Time paused (h)"},
    "busy": {"id": "Waktu melayani (jam)", "en": "Time serving (h)"},
    "utilisation": {"id": "Utilisasi (%)", "en": "Utilisation (%)"},
    "peak_hour": {"id": "Jam tersibuk", "en": "Busiest hour"},
    "peak_tickets": {"id": "Tiket jam tersibuk", "en": "Tickets in busiest hour"},
    # phrases
    "peak_phrase": {
        "id": "Jam tersibuk: {hours}, {count} tiket",
        "en": "Busiest hour: {hours}, {count} tickets",
    },
    "peak_none": {"id": "Jam tersibuk: - (belum ada tiket)", "en": "Busiest hour: - (no tickets)"},
    "headline": {
        "id": "{issued} tiket diambil, {served} dilayani; rata-rata tunggu {wait} menit.",
        "en": "{issued} tickets issued, {served} served; average wait {wait} min.",
    },
    # chart titles
    "chart_hour_tickets": {"id": "Tiket per jam", "en": "Tickets per hour"},
    "chart_hour_wait": {
        "id": "Rata-rata tunggu per jam (menit)",
        "en": "Average wait per hour (min)",
    },
    "chart_counter_duration": {
        "id": "Rata-rata durasi layanan per loket (menit)",
        "en": "Average service duration per counter (min)",
    },
    "chart_day_tickets": {"id": "Tiket per hari", "en": "Tickets per day"},
    "notes": {
        "id": (
            "Waktu tunggu: dari tiket diambil sampai panggilan pertama. Durasi layanan: dari "
            "panggilan sampai selesai. Utilisasi: waktu melayani dibagi waktu buka "
            "(di luar istirahat). P90: 9 dari 10 warga menunggu paling lama selama ini."
        ),
        "en": (
            "Waiting time: from ticket issue to first call. Service duration: from call to "
            "finish. Utilisation: time serving divided by time open (breaks excluded). "
            "P90: 9 in 10 citizens waited at most this long."
        ),
    },
}


def text(key: str, lang: Lang = "id", **values: object) -> str:
    """The catalogue entry `key` in `lang`, with `{placeholders}` filled from `values`."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (id or en)")
    entry = CATALOGUE[key][lang]
    return entry.format(**values) if values else entry


# --- numbers as a reader sees them ----------------------------------------------------------
# Indonesian writes a decimal comma and a thousands dot (1.234,5); English the other way.


def number(value: float | int | None, lang: Lang = "id", decimals: int = 1) -> str:
    """A figure for a printed table: 1234.5 -> "1.234,5" (id) or "1,234.5" (en); None -> "-"."""
    if value is None:
        return "-"
    text_en = f"{value:,.{decimals}f}" if isinstance(value, float) else f"{value:,d}"
    if lang == "en":
        return text_en
    return text_en.replace(",", "\0").replace(".", ",").replace("\0", ".")
