"""Translated texts of selection: refusals, statuses, stages and document states."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

STAGE_LABELS = {
    "administrative": _l("Seleksi administrasi"), "basic": _l("Seleksi kompetensi dasar (SKD)"),
    "field": _l("Seleksi kompetensi bidang (SKB)"), "final": _l("Hasil akhir"),
}  # fmt: skip
APPLICATION_LABELS = {
    "draft": _l("draf (belum dikirim)"), "submitted": _l("dikirim, menunggu verifikasi"),
    "accepted": _l("memenuhi syarat"), "rejected": _l("tidak memenuhi syarat"),
}  # fmt: skip
DOCUMENT_LABELS = {"pending": _l("belum diperiksa"), "accepted": _l("diterima"), "rejected": _l("ditolak")}
APPEAL_LABELS = {"open": _l("menunggu keputusan"), "upheld": _l("diterima"), "rejected": _l("ditolak")}
RESULT_LABELS = {
    "ADMIN_FAILED": _l("tidak memenuhi syarat administrasi"), "ABSENT": _l("tidak hadir"),
    "BELOW_THRESHOLD": _l("di bawah nilai ambang batas"), "NOT_SHORTLISTED": _l("tidak masuk 3x formasi"),
    "SHORTLISTED": _l("lulus ke SKB"), "NOT_SELECTED": _l("tidak lulus"), "SELECTED": _l("lulus"),
    "SELECTED_BY_FILLING": _l("lulus (optimalisasi formasi)"), "INVALIDATED": _l("gugur: hasil ujian dibatalkan"),
}  # fmt: skip
CATEGORY_LABELS = {
    "general": _l("umum"), "cum_laude": _l("lulusan cum laude"), "disability": _l("penyandang disabilitas"),
    "papua": _l("putra/putri Papua"),
}  # fmt: skip


def category_label(name: str) -> str:
    """The translated label of an applicant category; unknown (configured) ones as written."""
    return str(CATEGORY_LABELS.get(name, name))


def selection_message(code: str, **params) -> str:
    """The person-facing text of a selection refusal ``code``."""
    messages = {
        "window_reversed": _("Tanggal tutup pendaftaran harus setelah tanggal buka."),
        "appeal_days_range": _("Masa sanggah harus 0 sampai 30 hari."),
        "interviewers_range": _("Jumlah pewawancara harus 2 sampai 10."),
        "rules_invalid": _("Aturan seleksi tidak sah: %(detail)s", detail=params.get("detail", "")),
        "rules_json": _("Aturan seleksi harus berupa JSON yang sah."),
        "code_taken": _("Kode ini sudah dipakai."),
        "stage_unknown": _("Tahap tidak dikenal."),
        "stage_dates_reversed": _("Tanggal selesai tahap harus sama atau setelah tanggal mulai."),
        "category_unknown": _("Pilih paling sedikit satu kategori pelamar yang ada di aturan periode."),
        "document_type_unknown": _("Jenis dokumen tidak dikenal untuk formasi ini."),
        "quota_invalid": _("Kuota harus paling sedikit 1."),
        "profile_invalid": _("Profil kompetensi harus JSON berisi nama kompetensi dan level 1-5."),
        "period_closed": _("Pendaftaran periode ini sedang tidak dibuka."),
        "position_unknown": _("Formasi tidak ditemukan di periode ini."),
        "category_not_open": _("Formasi ini tidak dibuka untuk kategori pelamar tersebut."),
        "education_score_range": _("IPK harus antara 0 dan 4."),
        "birth_date_invalid": _("Tanggal lahir tidak sah."),
        "already_submitted": _("Lamaran sudah dikirim dan tidak dapat diubah lagi."),
        "remove_documents_first": _("Dokumen yang sudah diunggah tidak diminta formasi baru; hubungi panitia."),
        "upload_name_unsafe": _("Nama berkas tidak diterima. Gunakan nama sederhana tanpa garis miring atau '..'."),
        "upload_format_not_allowed": _(
            "Format berkas tidak diterima. Format yang boleh: %(formats)s.", formats=params.get("formats", "")
        ),
        "upload_empty": _("Berkas kosong."),
        "upload_too_large": _(
            "Berkas terlalu besar. Batas untuk dokumen ini %(limit)d KB.", limit=params.get("limit", 0)
        ),
        "upload_content_mismatch": _(
            "Isi berkas bukan %(claimed)s seperti namanya. Unggah dokumen asli, bukan berkas yang diganti namanya.",
            claimed=params.get("claimed", ""),
        ),
        "upload_quota_files": _("Terlalu banyak berkas (paling banyak %(limit)d).", limit=params.get("limit", 0)),
        "upload_quota_bytes": _("Jumlah ukuran berkas Anda melebihi %(limit)d MB.", limit=params.get("limit", 0)),
        "upload_missing": _("Pilih berkas yang akan diunggah."),
        "documents_missing": _("Unggah semua dokumen yang diminta sebelum mengirim lamaran."),
        "nik_invalid": _("NIK harus 16 angka."),
        "relationship_required": _("Sebutkan hubungannya."),
        "conflict_exists": _("Hubungan dengan NIK ini sudah Anda nyatakan."),
        "conflict_of_interest": _("Anda menyatakan hubungan dengan pelamar ini dan tidak boleh menanganinya."),
        "not_awaiting_verification": _("Lamaran ini tidak sedang menunggu verifikasi."),
        "checklist_incomplete": _("Centang semua butir daftar periksa sebelum menerima dokumen."),
        "reason_required": _("Tuliskan alasannya (minimal 10 karakter)."),
        "documents_unchecked": _("Periksa semua dokumen terlebih dahulu."),
        "nothing_to_appeal": _("Tidak ada keputusan yang dapat disanggah."),
        "appeal_exists": _("Sanggahan sudah diajukan."),
        "appeal_window_closed": _("Masa sanggah sudah berakhir."),
        "appeal_too_short": _("Tuliskan sanggahan Anda minimal 20 karakter."),
        "appeal_closed": _("Sanggahan ini sudah diputus."),
        "appeal_needs_someone_else": _(
            "Sanggahan harus diputus oleh anggota panitia yang tidak memverifikasi lamaran ini."
        ),
        "component_unknown": _("Komponen nilai tidak dikenal."),
        "not_accepted": _("Nilai hanya untuk pelamar yang memenuhi syarat administrasi."),
        "score_range": _("Nilai harus antara 0 dan %(maximum)s.", maximum=params.get("maximum", "")),
        "rubric_incomplete": _("Isi semua aspek rubrik dengan level 1-5."),
        "interview_exists": _("Anda sudah mengisi rubrik ini untuk pelamar ini."),
        "announcement_empty": _("Belum ada hasil untuk diumumkan."),
        "correction_mismatch": _("Koreksi harus mengganti pengumuman tahap yang sama di periode ini."),
        "already_replaced": _("Pengumuman itu sudah dikoreksi; koreksi pengumuman terbaru."),
        "correction_reason_required": _("Tuliskan alasan koreksi (minimal 10 karakter)."),
        "ranking_failed": _("Peringkat tidak dapat dihitung: %(detail)s", detail=params.get("detail", "")),
        "sessions_under_review": _(
            "Belum dapat diumumkan: %(n)d sesi ujian di balik daftar ini sedang ditinjau (pembatalan menunggu "
            "konfirmasi orang kedua). Tunggu keputusan pengawas.",
            n=params.get("n", 0),
        ),
    }
    return messages.get(code) or _("Terjadi kesalahan (%(code)s).", code=code)
