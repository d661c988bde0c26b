"""Translated texts of selection: refusals and applicant categories (labels: ``examserver.labels``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from examserver.labels import LABELS

UNKNOWN_REGION = _l("wilayah tidak diketahui")


def category_label(name: str) -> str:
    """The translated label of an applicant category; unknown (configured) ones as written."""
    text = LABELS["applicant_category"].get(name)
    return str(text) if text is not None else name


#: Refusal code -> message (registered in ``examserver.errors``).
MESSAGES = {
    "selection.window_reversed": _l("Tanggal tutup pendaftaran harus setelah tanggal buka."),
    "selection.appeal_days_range": _l("Masa sanggah harus 0 sampai 30 hari."),
    "selection.interviewers_range": _l("Jumlah pewawancara harus 2 sampai 10."),
    "selection.rules_invalid": _l("Aturan seleksi tidak sah: %(detail)s"),
    "selection.rules_json": _l("Aturan seleksi harus berupa JSON yang sah."),
    "selection.code_taken": _l("Kode ini sudah dipakai."),
    "selection.stage_unknown": _l("Tahap tidak dikenal."),
    "selection.stage_dates_reversed": _l("Tanggal selesai tahap harus sama atau setelah tanggal mulai."),
    "selection.category_unknown": _l("Pilih paling sedikit satu kategori pelamar yang ada di aturan periode."),
    "selection.document_type_unknown": _l("Jenis dokumen tidak dikenal untuk formasi ini."),
    "selection.quota_invalid": _l("Kuota harus paling sedikit 1."),
    "selection.profile_invalid": _l("Profil kompetensi harus JSON berisi nama kompetensi dan level 1-5."),
    "selection.period_closed": _l("Pendaftaran periode ini sedang tidak dibuka."),
    "selection.position_unknown": _l("Formasi tidak ditemukan di periode ini."),
    "selection.category_not_open": _l("Formasi ini tidak dibuka untuk kategori pelamar tersebut."),
    "selection.education_score_range": _l("IPK harus antara 0 dan 4."),
    "selection.birth_date_invalid": _l("Tanggal lahir tidak sah."),
    "selection.already_submitted": _l("Lamaran sudah dikirim dan tidak dapat diubah lagi."),
    "selection.candidate_sanctioned": _l(
        "Anda tidak dapat mendaftar pada periode ini: sanksi Inspektorat atas pengaduan %(code)s sedang berlaku."
    ),
    "selection.remove_documents_first": _l("Dokumen yang sudah diunggah tidak diminta formasi baru; hubungi panitia."),
    "selection.upload_name_unsafe": _l(
        "Nama berkas tidak diterima. Gunakan nama sederhana tanpa garis miring atau '..'."
    ),
    "selection.upload_format_not_allowed": _l("Format berkas tidak diterima. Format yang boleh: %(formats)s."),
    "selection.upload_empty": _l("Berkas kosong."),
    "selection.upload_too_large": _l("Berkas terlalu besar. Batas untuk dokumen ini %(limit)d KB."),
    "selection.upload_content_mismatch": _l(
        "Isi berkas bukan %(claimed)s seperti namanya. Unggah dokumen asli, bukan berkas yang diganti namanya."
    ),
    "selection.upload_quota_files": _l("Terlalu banyak berkas (paling banyak %(limit)d)."),
    "selection.upload_quota_bytes": _l("Jumlah ukuran berkas Anda melebihi %(limit)d MB."),
    "selection.upload_missing": _l("Pilih berkas yang akan diunggah."),
    "selection.documents_missing": _l("Unggah semua dokumen yang diminta sebelum mengirim lamaran."),
    "selection.nik_invalid": _l("NIK harus 16 angka."),
    "selection.relationship_required": _l("Sebutkan hubungannya."),
    "selection.conflict_exists": _l("Hubungan dengan NIK ini sudah Anda nyatakan."),
    "selection.conflict_of_interest": _l("Anda menyatakan hubungan dengan pelamar ini dan tidak boleh menanganinya."),
    "selection.not_awaiting_verification": _l("Lamaran ini tidak sedang menunggu verifikasi."),
    "selection.checklist_incomplete": _l("Centang semua butir daftar periksa sebelum menerima dokumen."),
    "selection.reason_required": _l("Tuliskan alasannya (minimal 10 karakter)."),
    "selection.documents_unchecked": _l("Periksa semua dokumen terlebih dahulu."),
    "selection.nothing_to_appeal": _l("Tidak ada keputusan yang dapat disanggah."),
    "selection.appeal_exists": _l("Sanggahan sudah diajukan."),
    "selection.appeal_window_closed": _l("Masa sanggah sudah berakhir."),
    "selection.appeal_too_short": _l("Tuliskan sanggahan Anda minimal 20 karakter."),
    "selection.appeal_closed": _l("Sanggahan ini sudah diputus."),
    "selection.appeal_needs_someone_else": _l(
        "Sanggahan harus diputus oleh anggota panitia yang tidak memverifikasi lamaran ini."
    ),
    "selection.component_unknown": _l("Komponen nilai tidak dikenal."),
    "selection.not_accepted": _l("Nilai hanya untuk pelamar yang memenuhi syarat administrasi."),
    "selection.score_range": _l("Nilai harus antara 0 dan %(maximum)s."),
    "selection.rubric_incomplete": _l("Isi semua aspek rubrik dengan level 1-5."),
    "selection.interview_exists": _l("Anda sudah mengisi rubrik ini untuk pelamar ini."),
    "selection.announcement_empty": _l("Belum ada hasil untuk diumumkan."),
    "selection.correction_mismatch": _l("Koreksi harus mengganti pengumuman tahap yang sama di periode ini."),
    "selection.already_replaced": _l("Pengumuman itu sudah dikoreksi; koreksi pengumuman terbaru."),
    "selection.correction_reason_required": _l("Tuliskan alasan koreksi (minimal 10 karakter)."),
    "selection.ranking_failed": _l("Peringkat tidak dapat dihitung: %(detail)s"),
    "selection.sessions_under_review": _l(
        "Belum dapat diumumkan: %(n)d sesi ujian di balik daftar ini sedang ditinjau (pembatalan menunggu "
        "konfirmasi orang kedua). Tunggu keputusan pengawas."
    ),
}
