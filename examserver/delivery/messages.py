"""Translated texts of delivery: refusals (shown to candidates: plain, calm, actionable) and verdict labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Refusal code -> message (registered in ``examserver.errors``).
MESSAGES = {
    "delivery.role_not_allowed": _l("Peran Anda tidak boleh melakukan ini."),
    "delivery.window_empty": _l("Waktu selesai harus setelah waktu mulai."),
    "delivery.adaptive_parameters_missing": _l(
        "Penyajian adaptif perlu parameter butir yang berlaku untuk semua butir operasional; butir %(item)s di "
        "bagian %(section)s belum punya."
    ),
    "delivery.adaptive_bank_invalid": _l("Bank butir tidak dapat memenuhi cetak biru adaptif ini."),
    "delivery.adaptive_answer_first": _l(
        "Jawab soal nomor %(position)s dahulu; soal berikutnya dipilih dari jawaban Anda."
    ),
    "delivery.adaptive_locked": _l(
        "Jawaban soal nomor %(position)s tidak dapat diubah lagi: soal berikutnya sudah dipilih dari jawaban itu."
    ),
    "delivery.no_published_form": _l("Cetak biru ini belum punya naskah yang diterbitkan."),
    "delivery.pool_too_small": _l("Butir siap pakai untuk bagian %(section)s tidak cukup."),
    "delivery.client_id_invalid": _l("Perangkat tidak dikenali. Muat ulang halaman."),
    "delivery.session_ended": _l("Ujian ini sudah berakhir."),
    "delivery.not_started": _l("Ujian belum dimulai."),
    "delivery.other_device": _l(
        "Ujian ini sedang berlangsung di perangkat lain. Minta izin pengawas untuk pindah perangkat."
    ),
    "delivery.not_open_yet": _l("Ujian belum dibuka. Periksa jadwal Anda."),
    "delivery.window_closed": _l("Waktu untuk memulai ujian ini sudah lewat."),
    "delivery.pin_wrong": _l("PIN mulai salah. Tanyakan PIN kepada pengawas."),
    "delivery.pin_locked": _l(
        "Terlalu banyak PIN salah. Coba lagi setelah %(minutes)s menit; pengawas sudah diberi tahu."
    ),
    "delivery.awaiting_authorisation": _l("Menunggu izin pengawas untuk memulai. Halaman akan mencoba lagi."),
    "delivery.saves_count": _l("Jumlah jawaban dalam satu kiriman tidak valid."),
    "delivery.position_unknown": _l("Nomor soal tidak ada dalam ujian ini."),
    "delivery.seq_invalid": _l("Nomor urut simpan tidak valid."),
    "delivery.response_invalid": _l("Jawaban untuk soal nomor %(position)s tidak valid."),
    "delivery.paused": _l("Ujian sedang dihentikan sementara oleh pengawas. Waktu Anda tidak berjalan."),
    "delivery.time_up": _l("Waktu ujian sudah habis. Jawaban yang tersimpan sebelum batas waktu sudah dinilai."),
    "delivery.credit_positive": _l("Tambahan waktu harus positif."),
    "delivery.body_invalid": _l("Permintaan tidak valid."),
    "delivery.not_found": _l("Tidak ditemukan."),
    "delivery.duplicate": _l("Kode jadwal sudah dipakai."),
}
