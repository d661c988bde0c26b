"""Translated texts of the complaint and inspectorate pages: refusals (labels: ``examserver.labels``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Refusal code -> message (registered in ``examserver.errors``).
MESSAGES = {
    "oversight.category_unknown": _l("Pilih kategori dari daftar."),
    "oversight.subject_unknown": _l("Pilih hal yang diadukan dari daftar."),
    "oversight.sitting_required": _l("Pilih jadwal ujian yang diadukan."),
    "oversight.description_too_short": _l("Uraikan kejadiannya paling sedikit %(minimum)d karakter."),
    "oversight.evidence_too_many": _l("Paling banyak %(limit)d berkas bukti."),
    "oversight.evidence_name_unsafe": _l(
        "Nama berkas %(name)s tidak dapat diterima. Pakai nama sederhana, misalnya bukti.pdf."
    ),
    "oversight.evidence_format_not_allowed": _l(
        "Format berkas %(name)s tidak diterima. Format yang boleh: %(formats)s."
    ),
    "oversight.evidence_empty": _l("Berkas %(name)s kosong."),
    "oversight.evidence_too_large": _l("Berkas %(name)s terlalu besar. Batasnya %(limit)d KB."),
    "oversight.evidence_content_mismatch": _l("Isi berkas %(name)s bukan %(claimed)s seperti namanya."),
    "oversight.tracking_invalid": _l("Kode pelacakan atau kode rahasia tidak cocok."),
    "oversight.transition_not_allowed": _l("Langkah itu tidak dapat diambil dari status pengaduan sekarang."),
    "oversight.reason_required": _l("Tuliskan alasannya (paling sedikit 10 karakter)."),
    "oversight.outcome_required": _l("Pilih kesimpulan: terbukti atau tidak terbukti."),
    "oversight.public_conclusion_required": _l(
        "Tuliskan kesimpulan untuk pelapor dan publik (paling sedikit 10 karakter, tanpa nama)."
    ),
    "oversight.session_unknown": _l("Tidak ada sesi ujian dengan nomor peserta itu."),
    "oversight.application_unknown": _l("Tidak ada lamaran dengan nomor pendaftaran itu."),
    "oversight.staff_unknown": _l("Tidak ada panitia atau pengawas dengan surel itu."),
    "oversight.case_not_substantiated": _l("Sanksi hanya dapat diusulkan dari pengaduan yang disimpulkan terbukti."),
    "oversight.sanction_unknown": _l("Pilih jenis sanksi dari daftar."),
    "oversight.person_not_eligible": _l(
        "Sanksi ini tidak dapat dikenakan pada akun itu (sanksi peserta untuk peserta, pencoretan dari "
        "panitia untuk panitia, dari pengawas untuk pengawas)."
    ),
    "oversight.period_required": _l("Pilih periode seleksi yang dibatalkan untuk peserta ini."),
    "oversight.periods_range": _l("Larangan berlaku untuk 1 sampai 10 periode."),
    "oversight.until_required": _l("Isi tanggal terakhir pencoretan (hari ini atau sesudahnya)."),
    "oversight.sanction_confirmed_already": _l("Sanksi ini sudah dikukuhkan."),
    "oversight.second_inspector_required": _l(
        "Sanksi harus dikukuhkan oleh inspektur lain, bukan oleh yang mengusulkannya."
    ),
    "oversight.removed_from_committee": _l(
        "Anda dicoret dari panitia seleksi sampai %(until)s berdasarkan sanksi Inspektorat."
    ),
    "oversight.removed_from_proctors": _l(
        "%(name)s dicoret dari daftar pengawas sampai %(until)s berdasarkan sanksi Inspektorat."
    ),
}
