"""Translated texts of the HR pages: refusals, labels, plan reasons and nine-box recommendations."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: Refusal code -> message (registered in ``examserver.errors``).
MESSAGES = {
    "hr.code_taken": _l("Kode itu sudah dipakai."),
    "hr.no_effect": _l("Isi paling sedikit satu kompetensi yang dibangun program ini (efek lebih dari 0)."),
    "hr.no_profile": _l("Belum ada profil jabatan untuk formasi ini. (%(detail)s)"),
    "hr.infeasible": _l(
        "Tidak ada rencana yang memenuhi anggaran dan kapasitas: orientasi wajib saja sudah melebihi anggaran."
    ),
    "hr.dates_order": _l("Tanggal selesai harus sesudah tanggal mulai."),
    "hr.no_targets": _l("Isi paling sedikit satu sasaran dengan bobot dan capaiannya."),
    "hr.feedback_closed": _l("Umpan balik untuk periode ini sudah ditutup."),
    "hr.unknown_unit": _l("Pilih unit layanan dari daftar."),
    "hr.already_moderated": _l("Isian ini sudah dimoderasi."),
    "hr.consultation_exists": _l("Periode ini sudah memiliki konsultasi publik."),
    "hr.consultation_closed": _l("Konsultasi publik ini tidak sedang dibuka."),
    "hr.unknown_topic": _l("Pilih kriteria dari daftar."),
    "hr.no_catalogue": _l("Katalog pelatihan masih kosong."),
    "hr.no_employees": _l("Tidak ada pegawai pada pilihan ini."),
    "hr.no_data": _l("Belum ada data kinerja dan kompetensi yang cukup."),
    "hr.success_too_few": _l(
        "Profil sukses memerlukan paling sedikit tiga pegawai jabatan ini yang sudah dinilai kinerjanya "
        "dan diukur kompetensinya (sekarang %(n)d)."
    ),
    "hr.success_decided": _l("Usulan profil ini sudah diterima; buat usulan baru bila perlu."),
    "hr.success_levels_invalid": _l("Level θ harus berupa angka antara -4 dan 4 untuk kompetensi usulan: %(codes)s."),
    "hr.success_levels_empty": _l("Isi level paling sedikit satu kompetensi."),
}
SUCCESS_STATUS_LABELS = {"proposed": _l("usulan"), "accepted": _l("diterima")}
MODE_LABELS = {"online": _l("daring"), "classroom": _l("klasikal")}
STATUS_LABELS = {"pending": _l("menunggu moderasi"), "approved": _l("disetujui"), "rejected": _l("ditolak")}
PLAN_STATUS_LABELS = {"proposed": _l("usulan"), "agreed": _l("disepakati"), "completed": _l("selesai")}
GROUPING_LABELS = {
    "all": _l("semua pegawai"),
    "unit": _l("unit kerja"),
    "region": _l("wilayah"),
    "position": _l("jabatan"),
}
TOPIC_LABELS = {
    "thresholds": _l("Nilai ambang batas"), "weights": _l("Bobot SKD dan SKB"),
    "requirements": _l("Persyaratan jabatan"), "documents": _l("Dokumen yang diminta"), "other": _l("Lainnya"),
}  # fmt: skip
LEVEL_LABELS = {0: _l("rendah"), 1: _l("sedang"), 2: _l("tinggi")}
BOX_NAMES = {
    "underperformer": _l("Kinerja di bawah harapan"), "effective": _l("Efektif"),
    "trusted_professional": _l("Profesional andal"), "inconsistent": _l("Belum konsisten"),
    "core_player": _l("Andalan inti"), "high_performer": _l("Berkinerja tinggi"),
    "enigma": _l("Potensi belum tampak dalam kinerja"), "growth": _l("Siap berkembang"), "star": _l("Bintang"),
    "insufficient_data": _l("Belum dapat dipetakan"),
}  # fmt: skip
RECOMMENDATION_LABELS = {
    "further_education": _l("usulkan pendidikan lanjutan"),
    "coaching": _l("pembinaan (coaching) oleh atasan"),
    "develop_in_role": _l("kembangkan pada jabatan sekarang"),
    "insufficient_data": _l("lengkapi data terlebih dahulu"),
}
SCORE_LABELS = {"SKD": _l("SKD total"), "SKB": _l("SKB (nilai bidang)"), "final": _l("Nilai akhir")}


def score_label(key: str) -> str:
    """A selection score key as a reader knows it (SKD sections keep their code, e.g. SKD.TWK)."""
    label = SCORE_LABELS.get(key)
    return str(label) if label is not None else key


def plan_reason(item, programme) -> str:
    """Why a programme is in a development plan, in the reader's language."""
    if item.reason_code == "orientation":
        if item.expected_gap_closed > 0:
            return _(
                "Orientasi wajib bagi setiap pegawai baru; juga menutup %(gap).2f logit kesenjangan.",
                gap=item.expected_gap_closed,
            )
        return _("Orientasi wajib bagi setiap pegawai baru.")
    return _(
        "Menutup perkiraan %(gap).2f logit kesenjangan pada %(competencies)s (%(per_hour).3f per jam, "
        "%(hours)s jam, %(mode)s).",
        gap=item.expected_gap_closed,
        competencies=", ".join(item.competencies),
        per_hour=item.expected_gap_closed / programme.hours,
        hours=f"{programme.hours:g}",
        mode=MODE_LABELS[programme.mode],
    )


def nine_box_reason(perf: float, perf_level: int, pot: float, pot_level: int, recommendation: str) -> str:
    """Why an employee sits in a box, with the recommendation."""
    return _(
        "Kinerja %(perf).1f (%(perf_level)s) dan potensi kompetensi %(pot).2f (%(pot_level)s): %(advice)s.",
        perf=perf,
        perf_level=LEVEL_LABELS[perf_level],
        pot=pot,
        pot_level=LEVEL_LABELS[pot_level],
        advice=RECOMMENDATION_LABELS[recommendation],
    )
