"""The web pages' words: Indonesian first, English beside it. Keys are English snake_case.

One table for both languages (`common.bahasa.catalogue`), so a page never shows a key.
"""

from __future__ import annotations

from typing import Final

from common.bahasa import LANGS, Lang, catalogue
from common.wire import ERROR_MESSAGES

LANG_COOKIE: Final = "bahasa"

_TEXT: Final[dict[str, str | tuple[str, str]]] = {  # (Indonesian, English)
    "title": ("Antrian", "Queue"),
    "board": ("Papan Antrian", "Queue Board"),
    "take": ("Ambil Nomor Antrian", "Take a Queue Number"),
    "dashboard": ("Dasbor", "Dashboard"),
    "service": ("Layanan", "Service"),
    "waiting": ("Menunggu", "Waiting"),
    "last_called": ("Terakhir dipanggil", "Last called"),
    "estimate": ("Perkiraan waktu tunggu", "Estimated wait"),
    "closed": ("Tutup", "Closed"),
    "open": ("Buka", "Open"),
    "recent_calls": ("Panggilan terakhir", "Recent calls"),
    "counter": ("Loket", "Counter"),
    "no_calls": ("Belum ada panggilan.", "No calls yet."),
    "choose_service": ("Pilih layanan", "Choose a service"),
    "take_button": ("Ambil nomor", "Take a number"),
    "phone": ("Nomor HP", "Mobile number"),
    "nik": ("NIK (16 digit)", "NIK (16 digits)"),
    "phone_hint": (
        "Nomor ini tidak kami simpan dalam bentuk aslinya; hanya dipakai agar setiap orang "
        "mengambil satu nomor antrian per hari.",
        "We do not keep this number as it is; it only makes sure each person takes one queue "
        "number a day.",
    ),
    "your_ticket": ("Nomor antrian Anda", "Your queue number"),
    "ahead": ("Antrian di depan Anda", "Tickets ahead of you"),
    "state_waiting": ("Menunggu", "Waiting"),
    "state_called": ("Dipanggil! Silakan menuju", "Called! Please go to"),
    "state_serving": ("Sedang dilayani di", "Being served at"),
    "state_done": ("Selesai dilayani. Terima kasih.", "Served. Thank you."),
    "state_skipped": (
        "Dilewati (tidak hadir saat dipanggil).",
        "Skipped (not present when called).",
    ),
    "state_cancelled": ("Dibatalkan.", "Cancelled."),
    "state_expired": (
        "Tidak berlaku lagi (hari layanan sudah berakhir).",
        "Expired (the service day has ended).",
    ),
    "near": (
        "Giliran Anda sudah dekat! Mohon bersiap di ruang tunggu.",
        "Your turn is near! Please be ready in the waiting room.",
    ),
    "cancel": ("Batalkan antrian", "Cancel my ticket"),
    "cancel_confirm": ("Yakin ingin membatalkan nomor antrian ini?", "Cancel this number?"),
    "notify": ("Beri tahu saya saat giliran saya sudah dekat", "Notify me when my turn is near"),
    "soon": ("sebentar lagi", "any moment"),
    "keep_page": (
        "Simpan alamat halaman ini atau pindai kode QR untuk memantau antrian Anda.",
        "Keep this page or scan the QR code to follow the queue.",
    ),
    "live_off": (
        "Pembaruan otomatis terputus; data di halaman ini diperbarui berkala.",
        "Live updates lost; this page is refreshed periodically.",
    ),
    "not_found": ("Nomor antrian tidak ditemukan.", "Ticket not found."),
    "sign_in": ("Masuk", "Sign in"),
    "sign_out": ("Keluar", "Sign out"),
    "user": ("Nama pengguna", "User name"),
    "password": ("Kata sandi", "Password"),
    "bad_sign_in": ("Nama pengguna atau kata sandi salah.", "Wrong user name or password."),
    "locked": (
        "Terlalu banyak percobaan gagal. Silakan coba lagi nanti.",
        "Too many failed attempts. Please try again later.",
    ),
    "nodes": ("Perangkat", "Devices"),
    "node": ("Perangkat", "Device"),
    "role": ("Jenis", "Type"),
    "online": ("Daring", "Online"),
    "offline": ("Luring", "Offline"),
    "last_seen": ("Terakhir aktif", "Last active"),
    "version": ("Versi", "Version"),
    "health": ("Kondisi", "Health"),
    "update": ("Pembaruan perangkat lunak", "Software update"),
    "update_running": (
        "Sedang berjalan: versi {version}, satu perangkat demi satu.",
        "Running: version {version}, one device at a time.",
    ),
    "update_done": (
        "Selesai: semua perangkat memakai versi {version}.",
        "Done: every device runs version {version}.",
    ),
    "update_stopped": (
        "Pembaruan ke versi {version} berhenti! {reason} Hubungi teknisi.",
        "The update to version {version} stopped! {reason} Call the technician.",
    ),
    "upd_waiting": ("Menunggu", "Waiting"),
    "upd_updating": ("Sedang diperbarui", "Updating"),
    "upd_updated": ("Diperbarui", "Updated"),
    "upd_skipped": ("Sudah versi ini", "Already on it"),
    "upd_failed": ("Gagal", "Failed"),
    "counters": ("Loket", "Counters"),
    "status": "Status",
    "current": ("Nomor yang dilayani", "Number being served"),
    "queues": ("Antrian per layanan", "Queues per service"),
    "longest_wait": ("Waktu tunggu terlama", "Longest wait"),
    "standard": ("Standar pelayanan", "Service standard"),
    "over_standard": ("Melewati standar {minutes} menit", "Past the {minutes}-minute standard"),
    "reports": ("Laporan", "Reports"),
    "day": ("Tanggal", "Date"),
    "show": ("Tampilkan", "Show"),
    "accepting": ("Nomor baru", "New numbers"),
    "close_service": ("Tutup layanan", "Close service"),
    "open_service": ("Buka layanan", "Open service"),
    "err_csrf": (
        "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman, lalu coba lagi.",
        "This form expired or is not valid. Please reload the page and try again.",
    ),
    "err_rate": (
        "Terlalu banyak permintaan dari perangkat Anda. Silakan tunggu satu menit.",
        "Too many requests from your device. Please wait a minute.",
    ),
    "err_active": ("Anda sudah memiliki antrian aktif.", "You already have an active ticket."),
    "err_holder_active": (
        "Nomor HP/NIK ini sudah memiliki antrian aktif hari ini.",
        "This mobile number/NIK already has an active ticket today.",
    ),
    "err_pending": (
        "Permintaan nomor antrian Anda sedang diproses. Tunggu sebentar, lalu muat ulang halaman.",
        "Your ticket request is being processed. Please wait a moment, then reload the page.",
    ),
    "err_phone": (
        "Nomor HP tidak valid. Contoh: 0812 3456 7890.",
        "Not a valid mobile number. Example: 0812 3456 7890.",
    ),
    "err_nik": ("NIK harus terdiri dari 16 digit angka.", "A NIK has 16 digits."),
    "err_service": ("Layanan tidak dikenal.", "Unknown service."),
    "err_cancel": (
        "Antrian ini tidak dapat dibatalkan dari perangkat ini.",
        "This ticket cannot be cancelled from this device.",
    ),
    "err_forbidden": ("Silakan masuk terlebih dahulu.", "Please sign in first."),
    "err_role": (
        "Akun Anda tidak memiliki hak untuk tindakan ini.",
        "Your account may not do this.",
    ),
    "back": ("Kembali", "Back"),
    "language": ("English", "Bahasa Indonesia"),
    "counter_open": ("Buka", "Open"),
    "next_up": ("Berikutnya", "Next up"),
    "printer_ok": ("Printer: baik", "Printer: OK"),
    "printer_paper_low": ("Printer: kertas hampir habis", "Printer: paper low"),
    "printer_paper_out": ("Printer: kertas habis!", "Printer: out of paper!"),
    "printer_offline": ("Printer: tidak terhubung!", "Printer: not connected!"),
    "store_ok": ("Penyimpanan: baik", "Storage: OK"),
    "store_disk_full": (
        "Penyimpanan penuh! Nomor antrian baru ditolak; hubungi teknisi.",
        "Storage full! New tickets are refused; call the technician.",
    ),
    "disk_ok": ("Kartu: baik", "Card: OK"),
    "disk_low": (
        "Kartu hampir penuh! Hubungi teknisi sebelum nomor antrian ditolak.",
        "Card almost full! Call the technician before tickets are refused.",
    ),
    "backup_no_stick": ("Cadangan: flashdisk tidak terpasang!", "Backup: no USB stick!"),
    "backup_failed": ("Cadangan gagal! Hubungi teknisi.", "Backup failed! Call the technician."),
    "err_day": ("Tanggal tidak valid (contoh: 2026-11-28).", "Not a valid date (e.g. 2026-11-28)."),
    "reports_no_data": (
        "Data antrian belum tersedia, sehingga laporan belum dapat dibuat.",
        "No queue data yet, so no report can be made.",
    ),
    "download": ("Unduh", "Download"),
    "history": ("Riwayat", "History"),
    "h_issued": ("Nomor diambil", "Number taken"),
    "h_transferred": ("Dipindahkan ke layanan lain", "Moved to another service"),
    "h_called": ("Dipanggil", "Called"),
    "h_serving": ("Mulai dilayani", "Service started"),
    "h_done": ("Selesai", "Done"),
    "h_skipped": ("Dilewati", "Skipped"),
    "h_cancelled": ("Dibatalkan", "Cancelled"),
    "h_expired": ("Tidak berlaku lagi", "Expired"),
    "counter_paused": ("Istirahat", "Paused"),
    "counter_closed": ("Tutup", "Closed"),
    "seen_now": ("Sekarang", "Now"),
    "role_hub": ("Server antrian", "Queue server"),
    "role_kiosk": ("Anjungan tiket", "Ticket kiosk"),
    "role_counter": ("Panel loket", "Counter panel"),
    "role_display": ("Layar panggilan", "Call display"),
    "role_web": ("Situs web", "Web site"),
    "detail_counter": ("Loket", "Counter"),
    "detail_keypad": ("Tombol", "Keypad"),
    "detail_voice": ("Suara", "Voice"),
    "detail_output": ("Keluaran suara", "Sound output"),
    "backup_ok": ("Cadangan: baik", "Backup: OK"),
    "detail_backup_at": ("Cadangan terakhir", "Last backup"),
    "detail_backup_bytes": ("Ukuran cadangan (bita)", "Backup size (bytes)"),
    "detail_disk_free_mb": ("Ruang kosong kartu (MB)", "Free space on the card (MB)"),
    "detail_disk_written_mb": (
        "Data ditulis ke kartu sejak menyala (MB)",
        "Written to the card since power-on (MB)",
    ),
    "uplink_connected": ("Kirim ke wilayah: terhubung", "Regional uplink: connected"),
    "uplink_down": (
        "Kirim ke wilayah: terputus (kantor tetap berjalan)",
        "Regional uplink: down (the office works on)",
    ),
    "detail_uplink_acked": (
        "Data terakhir diterima wilayah (nomor urut)",
        "Last event stored by the region (seq)",
    ),
    "detail_uplink_waiting": (
        "Data menunggu dikirim ke wilayah",
        "Events waiting to go to the region",
    ),
    "value_ok": ("baik", "OK"),
    "value_off": ("mati", "off"),
    "value_file": ("berkas (uji coba)", "file (testing)"),
    "value_speaker": ("pengeras suara", "speaker"),
    "keypad_ok": ("Tombol: baik", "Keypad: OK"),
    "keypad_searching": ("Tombol: belum ditemukan", "Keypad: not found yet"),
    "keypad_lost": ("Tombol: terputus!", "Keypad: disconnected!"),
    "voice_ok_true": ("Suara: berfungsi", "Voice: working"),
    "voice_ok_false": ("Suara: gagal diputar!", "Voice: failed to play!"),
    "voice_off": ("Suara: dimatikan", "Voice: switched off"),
    "err_title": ("Maaf, permintaan tidak dapat diproses", "Sorry, this could not be done"),
    "page_missing_title": ("Halaman tidak ditemukan", "Page not found"),
    "page_missing": (
        "Halaman yang Anda cari tidak ada. Periksa kembali alamatnya.",
        "The page you are looking for does not exist. Please check the address.",
    ),
    "method_not_allowed": (
        "Halaman ini tidak dapat dibuka dengan cara tersebut.",
        "This page cannot be opened that way.",
    ),
    "err_choose_service": (
        "Pilih salah satu layanan terlebih dahulu.",
        "Please choose a service first.",
    ),
    "err_phone_missing": (
        "Isi nomor HP Anda terlebih dahulu.",
        "Please fill in your mobile number first.",
    ),
    "err_nik_missing": ("Isi NIK Anda terlebih dahulu.", "Please fill in your NIK first."),
    "err_sign_in_missing": (
        "Isi nama pengguna dan kata sandi.",
        "Please fill in the user name and the password.",
    ),
    "confirm_close_title": ("Tutup layanan {name}?", "Close the service {name}?"),
    "confirm_close": (
        "Anjungan tiket dan situs web tidak akan memberikan nomor antrian baru untuk layanan ini. "
        "Nomor yang sudah diambil tetap dilayani.",
        "The kiosk and the web site will give no new numbers for this service. Numbers already "
        "taken are still served.",
    ),
    "confirm_open_title": ("Buka layanan {name}?", "Open the service {name}?"),
    "confirm_open": (
        "Anjungan tiket dan situs web akan kembali memberikan nomor antrian baru untuk layanan "
        "ini.",
        "The kiosk and the web site will give new numbers for this service again.",
    ),
    "confirm_close_button": ("Ya, tutup layanan", "Yes, close the service"),
    "confirm_open_button": ("Ya, buka layanan", "Yes, open the service"),
    "cancel_action": ("Batal", "Cancel"),
    "done_closed": (
        "Pukul {time}: layanan {name} ditutup untuk nomor antrian baru.",
        "At {time}: the service {name} was closed for new numbers.",
    ),
    "done_opened": (
        "Pukul {time}: layanan {name} dibuka kembali untuk nomor antrian baru.",
        "At {time}: the service {name} was opened again for new numbers.",
    ),
}
TEXT: Final = catalogue(_TEXT)

#: English for the hub's error codes (the hub's own message is Indonesian).
HUB_ERRORS_EN: Final = {
    "quota_exhausted": "Today's quota for this service is used up.",
    "service_closed": "This service is closed now.",
    "unknown_service": "Unknown service.",
    "timeout": "The queue server did not answer. Please try again.",
    "forbidden": "This device may not do that.",
    "disk_full": "The queue server's storage is full. Please tell the staff.",
    "invalid_state": "This cannot be done now.",
    "unknown_ticket": "Ticket not found.",
    "rate_limited": "Too many requests right now. Wait a moment, then try again.",
}


def pick(query: str | None, cookie: str | None) -> Lang:
    """The page language: `?lang=` wins, then the cookie, then Indonesian."""
    for candidate in (query, cookie):
        if candidate in LANGS:
            return candidate  # type: ignore[return-value]
    return "id"


def words(lang: Lang) -> dict[str, str]:
    return TEXT[lang]


def hub_error(lang: Lang, code: str | None, message: str | None) -> str:
    """A hub error as the citizen reads it: the hub's Indonesian text, or our English."""
    if lang == "en" and code in HUB_ERRORS_EN:
        return HUB_ERRORS_EN[code]
    return message or ERROR_MESSAGES.get(code or "", ERROR_MESSAGES["internal_error"])
