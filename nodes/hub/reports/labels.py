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
    "served": {"id": "Selesai dilayani", "en": "Served"},
    "no_show": {"id": "Tidak hadir", "en": "No-show"},
    "cancelled": {"id": "Dibatalkan", "en": "Cancelled"},
    "expired": {"id": "Hangus", "en": "Expired"},
    "transferred": {"id": "Dipindah ke layanan lain", "en": "Moved to another service"},
    "transferred_in": {"id": "Pindahan dari layanan lain", "en": "Moved from another service"},
    "open_tickets": {"id": "Belum selesai", "en": "Still open"},
    "wait_avg": {"id": "Rata-rata tunggu (menit)", "en": "Average wait (min)"},
    "wait_median": {"id": "Tunggu separuh warga (menit)", "en": "Median wait (min)"},
    "wait_p90": {"id": "Tunggu 9 dari 10 warga (menit)", "en": "Wait of 9 in 10 (min)"},
    "wait_max": {"id": "Tunggu terlama (menit)", "en": "Longest wait (min)"},
    "within_target": {
        "id": "Dipanggil dalam {target} menit (%)",
        "en": "Called within {target} min (%)",
    },
    "within_standard": {
        "id": "Dipanggil dalam standar (%)",
        "en": "Called within the standard (%)",
    },
    "per_service_standards": {"id": "Standar pelayanan", "en": "Service standards"},
    "standard_wait": {"id": "Standar waktu tunggu (menit)", "en": "Waiting standard (min)"},
    "standard_service": {
        "id": "Standar waktu penyelesaian (menit)",
        "en": "Completion standard (min)",
    },
    "within_service_standard": {
        "id": "Selesai dalam standar (%)",
        "en": "Served within the standard (%)",
    },
    "per_officer": {"id": "Per petugas", "en": "Per officer"},
    "officer": {"id": "Petugas", "en": "Officer"},
    "signed_in": {"id": "Waktu bertugas (jam)", "en": "Time signed in (h)"},
    "idle": {"id": "Bertugas tanpa melayani (jam)", "en": "Signed in, not serving (h)"},
    "per_priority": {"id": "Prioritas dan biasa", "en": "Priority and ordinary"},
    "priority_called": {"id": "Prioritas dipanggil", "en": "Priority called"},
    "priority_wait_avg": {
        "id": "Prioritas: rata-rata tunggu (menit)",
        "en": "Priority: average wait (min)",
    },
    "priority_wait_max": {
        "id": "Prioritas: tunggu terlama (menit)",
        "en": "Priority: longest wait (min)",
    },
    "ordinary_called": {"id": "Biasa dipanggil", "en": "Ordinary called"},
    "ordinary_wait_avg": {
        "id": "Biasa: rata-rata tunggu (menit)",
        "en": "Ordinary: average wait (min)",
    },
    "ordinary_wait_max": {
        "id": "Biasa: tunggu terlama (menit)",
        "en": "Ordinary: longest wait (min)",
    },
    "duration_avg": {"id": "Rata-rata lama layanan (menit)", "en": "Average service (min)"},
    "duration_median": {"id": "Lama layanan separuh warga (menit)", "en": "Median service (min)"},
    "time_open": {"id": "Jam buka (jam)", "en": "Time open (h)"},
    "time_paused": {"id": "Istirahat (jam)", "en": "Time paused (h)"},
    "busy": {"id": "Waktu melayani (jam)", "en": "Time serving (h)"},
    "utilisation": {
        "id": "Waktu melayani dari jam buka (%)",
        "en": "Share of open time serving (%)",
    },
    "peak_hour": {"id": "Jam tersibuk", "en": "Busiest hour"},
    "peak_tickets": {"id": "Tiket pada jam tersibuk", "en": "Tickets in busiest hour"},
    # the summary on page 1: how the day went against the service standard
    "standard_heading": {
        "id": "Dibandingkan dengan standar pelayanan",
        "en": "Against the service standard",
    },
    "verdict_met": {
        "id": "✔ MEMENUHI STANDAR: {share} % warga dipanggil dalam {target} menit "
        "(standar: sedikitnya {goal} %).",
        "en": "✔ STANDARD MET: {share} % of citizens were called within {target} min "
        "(standard: at least {goal} %).",
    },
    "verdict_met_standards": {
        "id": "✔ MEMENUHI STANDAR: {share} % warga dipanggil dalam standar waktu tunggu "
        "layanannya (standar: sedikitnya {goal} %).",
        "en": "✔ STANDARD MET: {share} % of citizens were called within their service's "
        "waiting standard (standard: at least {goal} %).",
    },
    "verdict_missed_standards": {
        "id": "✘ BELUM MEMENUHI STANDAR: hanya {share} % warga dipanggil dalam standar "
        "waktu tunggu layanannya (standar: sedikitnya {goal} %).",
        "en": "✘ STANDARD NOT MET: only {share} % of citizens were called within their "
        "service's waiting standard (standard: at least {goal} %).",
    },
    "verdict_missed": {
        "id": "✘ BELUM MEMENUHI STANDAR: hanya {share} % warga dipanggil dalam {target} menit "
        "(standar: sedikitnya {goal} %).",
        "en": "✘ STANDARD NOT MET: only {share} % of citizens were called within {target} min "
        "(standard: at least {goal} %).",
    },
    "verdict_none": {
        "id": "Belum ada warga yang dipanggil, jadi belum dapat dibandingkan dengan standar.",
        "en": "Nobody was called yet, so there is nothing to compare with the standard.",
    },
    "measure": {"id": "Ukuran", "en": "Measure"},
    "value": {"id": "Nilai", "en": "Value"},
    "remark": {"id": "Keterangan", "en": "Remark"},
    "target_wait": {"id": "Target waktu tunggu (menit)", "en": "Waiting-time target (min)"},
    "target_goal": {
        "id": "Standar: dipanggil dalam target (%)",
        "en": "Standard: called within target (%)",
    },
    "called": {"id": "Warga yang dipanggil", "en": "Citizens called"},
    "met": {"id": "✔ memenuhi standar", "en": "✔ standard met"},
    "missed": {"id": "✘ belum memenuhi standar", "en": "✘ standard not met"},
    "over_target": {"id": "✘ melebihi target", "en": "✘ over the target"},
    "in_target": {"id": "✔ dalam target", "en": "✔ within the target"},
    # letterhead and signature
    "acknowledged": {"id": "Mengetahui,", "en": "Acknowledged by,"},
    "head_default": {"id": "Kepala Kantor", "en": "Head of office"},
    "nip": {"id": "NIP", "en": "NIP"},
    # phrases
    "peak_phrase": {
        "id": "Jam tersibuk: {hours}, {count} tiket",
        "en": "Busiest hour: {hours}, {count} tickets",
    },
    "peak_none": {"id": "Jam tersibuk: - (belum ada tiket)", "en": "Busiest hour: - (no tickets)"},
    "headline": {
        "id": "{issued} tiket diambil, {served} selesai dilayani; rata-rata tunggu {wait} menit.",
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
            "Waktu tunggu: sejak tiket diambil sampai nomor dipanggil pertama kali. Lama "
            "layanan: sejak dipanggil sampai selesai. Tunggu separuh warga (median): separuh "
            "warga menunggu paling lama selama itu. Tunggu 9 dari 10 warga: 9 dari 10 warga "
            "menunggu paling lama selama itu. Waktu melayani dari jam buka: waktu petugas "
            "melayani dibagi jam buka loket (tanpa istirahat). Hangus: tiket yang belum "
            "selesai ketika hari berakhir."
        ),
        "en": (
            "Waiting time: from ticket issue to first call. Service duration: from call to "
            "finish. Median: half of the citizens waited at most this long. Wait of 9 in 10: "
            "9 in 10 citizens waited at most this long. Share of open time serving: time "
            "serving divided by time open (breaks excluded). Expired: still open when the "
            "day ended."
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
