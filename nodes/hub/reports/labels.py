"""The report's words in Indonesian (default) and English: one small catalogue.

Every renderer takes its headings, column names and phrases from `text(key, lang)` so the
four formats always say the same thing. Missing keys raise KeyError in tests rather than
printing a raw key to the head of office.
"""

from __future__ import annotations

from typing import Final

from common.bahasa import LANGS, Lang, catalogue

_LABELS: Final[dict[str, str | tuple[str, str]]] = {  # (Indonesian, English)
    "report_title": ("Laporan Pelayanan Antrian", "Queue Service Report"),
    "daily": ("Laporan harian", "Daily report"),
    "range": ("Laporan periode", "Period report"),
    "generated": ("Dibuat", "Generated"),
    "page": ("Halaman", "Page"),
    "summary": ("Ringkasan", "Summary"),
    "per_service": ("Per layanan", "Per service"),
    "per_service_times": ("Per layanan – waktu", "Per service – times"),
    "per_counter": ("Per loket", "Per counter"),
    "per_hour": ("Per jam", "Per hour"),
    "per_day": ("Per hari", "Per day"),
    "heat_map": ("Peta kepadatan (tiket per jam)", "Heat map (tickets per hour)"),
    "no_tickets": ("Belum ada tiket pada periode ini.", "No tickets in this period."),
    "all_services": ("Semua layanan", "All services"),
    # column names
    "service": ("Layanan", "Service"),
    "counter": ("Loket", "Counter"),
    "hour": ("Jam", "Hour"),
    "day": ("Tanggal", "Date"),
    "issued": ("Tiket diambil", "Tickets issued"),
    "served": ("Selesai dilayani", "Served"),
    "no_show": ("Tidak hadir", "No-show"),
    "cancelled": ("Dibatalkan", "Cancelled"),
    "expired": ("Hangus", "Expired"),
    "transferred": ("Dipindah ke layanan lain", "Moved to another service"),
    "transferred_in": ("Pindahan dari layanan lain", "Moved from another service"),
    "open_tickets": ("Belum selesai", "Still open"),
    "wait_avg": ("Rata-rata tunggu (menit)", "Average wait (min)"),
    "wait_median": ("Tunggu separuh warga (menit)", "Median wait (min)"),
    "wait_p90": ("Tunggu 9 dari 10 warga (menit)", "Wait of 9 in 10 (min)"),
    "wait_max": ("Tunggu terlama (menit)", "Longest wait (min)"),
    "within_target": ("Dipanggil dalam {target} menit (%)", "Called within {target} min (%)"),
    "within_standard": ("Dipanggil dalam standar (%)", "Called within the standard (%)"),
    "per_service_standards": ("Standar pelayanan", "Service standards"),
    "standard_wait": ("Standar waktu tunggu (menit)", "Waiting standard (min)"),
    "standard_service": ("Standar waktu penyelesaian (menit)", "Completion standard (min)"),
    "within_service_standard": ("Selesai dalam standar (%)", "Served within the standard (%)"),
    "per_officer": ("Per petugas", "Per officer"),
    "officer": ("Petugas", "Officer"),
    "signed_in": ("Waktu bertugas (jam)", "Time signed in (h)"),
    "idle": ("Bertugas tanpa melayani (jam)", "Signed in, not serving (h)"),
    "per_priority": ("Prioritas dan biasa", "Priority and ordinary"),
    "priority_called": ("Prioritas dipanggil", "Priority called"),
    "priority_wait_avg": ("Prioritas: rata-rata tunggu (menit)", "Priority: average wait (min)"),
    "priority_wait_max": ("Prioritas: tunggu terlama (menit)", "Priority: longest wait (min)"),
    "ordinary_called": ("Biasa dipanggil", "Ordinary called"),
    "ordinary_wait_avg": ("Biasa: rata-rata tunggu (menit)", "Ordinary: average wait (min)"),
    "ordinary_wait_max": ("Biasa: tunggu terlama (menit)", "Ordinary: longest wait (min)"),
    "duration_avg": ("Rata-rata lama layanan (menit)", "Average service (min)"),
    "duration_median": ("Lama layanan separuh warga (menit)", "Median service (min)"),
    "time_open": ("Jam buka (jam)", "Time open (h)"),
    "time_paused": ("Istirahat (jam)", "Time paused (h)"),
    "busy": ("Waktu melayani (jam)", "Time serving (h)"),
    "utilisation": ("Waktu melayani dari jam buka (%)", "Share of open time serving (%)"),
    "peak_hour": ("Jam tersibuk", "Busiest hour"),
    "peak_tickets": ("Tiket pada jam tersibuk", "Tickets in busiest hour"),
    # the summary on page 1: how the day went against the service standard
    "standard_heading": ("Dibandingkan dengan standar pelayanan", "Against the service standard"),
    "verdict_met": (
        "✔ MEMENUHI STANDAR: {share} % warga dipanggil dalam {target} menit (standar: sedikitnya "
        "{goal} %).",
        "✔ STANDARD MET: {share} % of citizens were called within {target} min (standard: at "
        "least {goal} %).",
    ),
    "verdict_met_standards": (
        "✔ MEMENUHI STANDAR: {share} % warga dipanggil dalam standar waktu tunggu layanannya "
        "(standar: sedikitnya {goal} %).",
        "✔ STANDARD MET: {share} % of citizens were called within their service's waiting "
        "standard (standard: at least {goal} %).",
    ),
    "verdict_missed_standards": (
        "✘ BELUM MEMENUHI STANDAR: hanya {share} % warga dipanggil dalam standar waktu tunggu "
        "layanannya (standar: sedikitnya {goal} %).",
        "✘ STANDARD NOT MET: only {share} % of citizens were called within their service's "
        "waiting standard (standard: at least {goal} %).",
    ),
    "verdict_missed": (
        "✘ BELUM MEMENUHI STANDAR: hanya {share} % warga dipanggil dalam {target} menit (standar: "
        "sedikitnya {goal} %).",
        "✘ STANDARD NOT MET: only {share} % of citizens were called within {target} min "
        "(standard: at least {goal} %).",
    ),
    "verdict_none": (
        "Belum ada warga yang dipanggil, jadi belum dapat dibandingkan dengan standar.",
        "Nobody was called yet, so there is nothing to compare with the standard.",
    ),
    "measure": ("Ukuran", "Measure"),
    "value": ("Nilai", "Value"),
    "remark": ("Keterangan", "Remark"),
    "target_wait": ("Target waktu tunggu (menit)", "Waiting-time target (min)"),
    "target_goal": ("Standar: dipanggil dalam target (%)", "Standard: called within target (%)"),
    "called": ("Warga yang dipanggil", "Citizens called"),
    "met": ("✔ memenuhi standar", "✔ standard met"),
    "missed": ("✘ belum memenuhi standar", "✘ standard not met"),
    "over_target": ("✘ melebihi target", "✘ over the target"),
    "in_target": ("✔ dalam target", "✔ within the target"),
    # letterhead and signature
    "acknowledged": ("Mengetahui,", "Acknowledged by,"),
    "head_default": ("Kepala Kantor", "Head of office"),
    "nip": "NIP",
    # phrases
    "peak_phrase": (
        "Jam tersibuk: {hours}, {count} tiket",
        "Busiest hour: {hours}, {count} tickets",
    ),
    "peak_none": ("Jam tersibuk: - (belum ada tiket)", "Busiest hour: - (no tickets)"),
    "headline": (
        "{issued} tiket diambil, {served} selesai dilayani; rata-rata tunggu {wait} menit.",
        "{issued} tickets issued, {served} served; average wait {wait} min.",
    ),
    # chart titles
    "chart_hour_tickets": ("Tiket per jam", "Tickets per hour"),
    "chart_hour_wait": ("Rata-rata tunggu per jam (menit)", "Average wait per hour (min)"),
    "chart_counter_duration": (
        "Rata-rata durasi layanan per loket (menit)",
        "Average service duration per counter (min)",
    ),
    "chart_day_tickets": ("Tiket per hari", "Tickets per day"),
    "notes": (
        "Waktu tunggu: sejak tiket diambil sampai nomor dipanggil pertama kali. Lama layanan: "
        "sejak dipanggil sampai selesai. Tunggu separuh warga (median): separuh warga menunggu "
        "paling lama selama itu. Tunggu 9 dari 10 warga: 9 dari 10 warga menunggu paling lama "
        "selama itu. Waktu melayani dari jam buka: waktu petugas melayani dibagi jam buka loket "
        "(tanpa istirahat). Hangus: tiket yang belum selesai ketika hari berakhir.",
        "Waiting time: from ticket issue to first call. Service duration: from call to finish. "
        "Median: half of the citizens waited at most this long. Wait of 9 in 10: 9 in 10 citizens "
        "waited at most this long. Share of open time serving: time serving divided by time open "
        "(breaks excluded). Expired: still open when the day ended.",
    ),
}
#: The words by language: CATALOGUE["en"]["daily"] is "Daily report".
CATALOGUE: Final = catalogue(_LABELS)


def text(key: str, lang: Lang = "id", **values: object) -> str:
    """The catalogue entry `key` in `lang`, with `{placeholders}` filled from `values`."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (id or en)")
    entry = CATALOGUE[lang][key]
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
