"""The regional pages' words, on top of the office web's (`nodes.hub.web.i18n`):
Indonesian first, English second; a missing English entry falls back to the Indonesian."""

from __future__ import annotations

from typing import Final

from common.bahasa import Lang
from nodes.hub.web import i18n

TEXT: Final[dict[str, dict[str, str]]] = {
    "id": {
        "region": "Dasbor Wilayah",
        "offices": "Kantor",
        "office_state": "Keadaan kantor saat ini",
        "counters_open": "Loket buka",
        "devices_offline": "Perangkat luring",
        "last_heard": "Terakhir terdengar",
        "not_heard": "Belum terdengar",
        "comparison": "Perbandingan antarkantor",
        "period": "Periode",
        "from": "Dari",
        "to": "Sampai",
        "served_per_day": "Dilayani per hari",
        "average_wait": "Rata-rata waktu tunggu",
        "within_standard": "Tunggu sesuai standar",
        "skm": "IKM (SKM)",
        "respondents": "Responden",
        "office_open": "Kantor buka",
        "yes": "Ya",
        "no": "Tidak",
        "report_period": "Laporan kantor",
        "stored_up_to": "Tersimpan sampai urutan",
        "unknown_office": "Kantor tidak dikenal.",
        "bad_day": "Tanggal tidak sah (format TTTT-BB-HH).",
        "long_period": "Periode laporan paling lama 366 hari.",
    },
    "en": {
        "region": "Regional Dashboard",
        "offices": "Offices",
        "office_state": "Offices now",
        "counters_open": "Counters open",
        "devices_offline": "Devices offline",
        "last_heard": "Last heard",
        "not_heard": "Not heard yet",
        "comparison": "Offices compared",
        "period": "Period",
        "from": "From",
        "to": "To",
        "served_per_day": "Served per day",
        "average_wait": "Average wait",
        "within_standard": "Waits within standard",
        "skm": "IKM (SKM)",
        "respondents": "Respondents",
        "office_open": "Office open",
        "yes": "Yes",
        "no": "No",
        "report_period": "Office report",
        "stored_up_to": "Stored up to seq",
        "unknown_office": "Unknown office.",
        "bad_day": "Not a valid date (YYYY-MM-DD).",
        "long_period": "A report covers at most 366 days.",
    },
}


def words(lang: Lang) -> dict[str, str]:
    own = TEXT["id"] if lang == "id" else {**TEXT["id"], **TEXT[lang]}
    return {**i18n.words(lang), **own}
