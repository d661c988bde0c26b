"""Translated texts of the HR pages: refusals, plan reasons and nine-box reasons (labels: ``examserver.labels``)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from examserver.labels import LABELS, label
from examserver.numbers import format_number

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


def score_label(key: str) -> str:
    """A selection score key as a reader knows it (SKD sections keep their code, e.g. SKD.TWK)."""
    text = LABELS["selection_score"].get(key)
    return str(text) if text is not None else key


def competency_name(competency) -> str:
    """A competency's name in the reader's language: its English name on English pages where it has one."""
    language = str(get_locale() or "id").split("_")[0]
    return competency.name_en if language == "en" and competency.name_en else competency.name


def plan_reason(item, programme, names: dict[str, str]) -> str:
    """Why a programme is in a development plan, in the reader's language; ``names`` gives each
    competency code's name (:func:`competency_name`)."""
    if item.reason_code == "orientation":
        if item.expected_gap_closed > 0:
            return _(
                "Orientasi wajib bagi setiap pegawai baru; juga menutup %(gap)s logit kesenjangan.",
                gap=format_number(item.expected_gap_closed, "logit"),
            )
        return _("Orientasi wajib bagi setiap pegawai baru.")
    return _(
        "Menutup perkiraan %(gap)s logit kesenjangan pada %(competencies)s (%(per_hour)s per jam, "
        "%(hours)s jam, %(mode)s).",
        gap=format_number(item.expected_gap_closed, "logit"),
        competencies=", ".join(names.get(code, code) for code in item.competencies),
        per_hour=format_number(item.expected_gap_closed / programme.hours, "gain_rate"),
        hours=format_number(programme.hours, "hours"),
        mode=label("training_mode", programme.mode),
    )


def nine_box_reason(perf: float, perf_level: int, pot: float, pot_level: int, recommendation: str) -> str:
    """Why an employee sits in a box, with the recommendation."""
    return _(
        "Kinerja %(perf)s (%(perf_level)s) dan potensi kompetensi %(pot)s (%(pot_level)s): %(advice)s.",
        perf=format_number(perf, "rating"),
        perf_level=label("nine_box_level", perf_level),
        pot=format_number(pot, "theta"),
        pot_level=label("nine_box_level", pot_level),
        advice=label("development_recommendation", recommendation),
    )
