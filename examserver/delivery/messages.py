"""Translated messages for delivery error codes (shown to candidates: plain, calm, actionable)."""

from __future__ import annotations

from flask_babel import gettext as _


def delivery_message(code: str, **params) -> str:
    """The candidate-facing text of a delivery error ``code``."""
    messages = {
        "role_not_allowed": lambda: _("Peran Anda tidak boleh melakukan ini."),
        "window_empty": lambda: _("Waktu selesai harus setelah waktu mulai."),
        "adaptive_parameters_missing": lambda: _(
            "Penyajian adaptif perlu parameter butir yang berlaku untuk semua butir operasional; "
            "butir %(item)s di bagian %(section)s belum punya.",
            item=params.get("item", ""),
            section=params.get("section", ""),
        ),
        "adaptive_bank_invalid": lambda: _("Bank butir tidak dapat memenuhi cetak biru adaptif ini."),
        "adaptive_answer_first": lambda: _(
            "Jawab soal nomor %(position)s dahulu; soal berikutnya dipilih dari jawaban Anda.",
            position=params.get("position", ""),
        ),
        "adaptive_locked": lambda: _(
            "Jawaban soal nomor %(position)s tidak dapat diubah lagi: soal berikutnya sudah dipilih dari jawaban itu.",
            position=params.get("position", ""),
        ),
        "no_published_form": lambda: _("Cetak biru ini belum punya naskah yang diterbitkan."),
        "pool_too_small": lambda: _(
            "Butir siap pakai untuk bagian %(section)s tidak cukup.", section=params.get("section", "")
        ),
        "client_id_invalid": lambda: _("Perangkat tidak dikenali. Muat ulang halaman."),
        "session_ended": lambda: _("Ujian ini sudah berakhir."),
        "not_started": lambda: _("Ujian belum dimulai."),
        "other_device": lambda: _(
            "Ujian ini sedang berlangsung di perangkat lain. Minta izin pengawas untuk pindah perangkat."
        ),
        "not_open_yet": lambda: _("Ujian belum dibuka. Periksa jadwal Anda."),
        "window_closed": lambda: _("Waktu untuk memulai ujian ini sudah lewat."),
        "pin_wrong": lambda: _("PIN mulai salah. Tanyakan PIN kepada pengawas."),
        "pin_locked": lambda: _(
            "Terlalu banyak PIN salah. Coba lagi setelah %(minutes)s menit; pengawas sudah diberi tahu.",
            minutes=params.get("minutes", ""),
        ),
        "awaiting_authorisation": lambda: _("Menunggu izin pengawas untuk memulai. Halaman akan mencoba lagi."),
        "saves_count": lambda: _("Jumlah jawaban dalam satu kiriman tidak valid."),
        "position_unknown": lambda: _("Nomor soal tidak ada dalam ujian ini."),
        "seq_invalid": lambda: _("Nomor urut simpan tidak valid."),
        "response_invalid": lambda: _(
            "Jawaban untuk soal nomor %(position)s tidak valid.", position=params.get("position", "")
        ),
        "paused": lambda: _("Ujian sedang dihentikan sementara oleh pengawas. Waktu Anda tidak berjalan."),
        "time_up": lambda: _("Waktu ujian sudah habis. Jawaban yang tersimpan sebelum batas waktu sudah dinilai."),
        "credit_positive": lambda: _("Tambahan waktu harus positif."),
        "body_invalid": lambda: _("Permintaan tidak valid."),
        "not_found": lambda: _("Tidak ditemukan."),
    }
    message = messages.get(code)
    return message() if message else _("Terjadi kesalahan (%(code)s).", code=code)


def verdict_labels() -> dict:
    """Labels of the verdict codes of :mod:`scoring.verdict`, per section and per result."""
    return {
        "section_verdict_labels": {
            "met": _("Memenuhi"),
            "not_met": _("Tidak memenuhi"),
            "none": _("tidak ada ambang"),
        },
        "result_verdict_labels": {
            "pass": _("LULUS ambang batas"),
            "fail": _("TIDAK LULUS ambang batas"),
            "none": _("tidak ada ambang kelulusan"),
        },
    }
