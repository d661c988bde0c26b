"""Translated texts of proctoring: error messages and the reasons behind flags (labels: ``examserver.labels``)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from examserver.labels import LABELS
from examserver.numbers import format_number
from examserver.wib import format_moment
from proctoring.flags import Flag

#: Refusal code -> message (registered in ``examserver.errors``).
MESSAGES = {
    "proctoring.category_unknown": _l("Pilih kategori alasan."),
    "proctoring.reason_required": _l("Tuliskan alasannya (minimal 10 karakter)."),
    "proctoring.decision_unknown": _l("Keputusan tidak dikenal."),
    "proctoring.not_an_invalidation": _l("Hanya pembatalan yang perlu dikonfirmasi."),
    "proctoring.already_confirmed": _l("Pembatalan ini sudah dikonfirmasi."),
    "proctoring.second_person_required": _l("Pembatalan harus dikonfirmasi oleh pengawas atau admin lain."),
    "proctoring.appeal_too_short": _l("Tuliskan sanggahan Anda minimal 20 karakter."),
    "proctoring.appeal_exists": _l("Sanggahan atas keputusan ini sudah diajukan."),
    "proctoring.appeal_needs_someone_else": _l("Sanggahan harus diputus oleh orang yang tidak membuat keputusan itu."),
    "proctoring.appeal_closed": _l("Sanggahan ini sudah diputus."),
    "proctoring.not_waiting": _l("Peserta tidak sedang menunggu izin mulai."),
    "proctoring.not_running": _l("Ujian peserta ini tidak sedang berlangsung."),
    "proctoring.not_paused": _l("Ujian peserta ini tidak sedang dijeda."),
    "proctoring.extension_invalid": _l("Tambahan waktu harus 1 sampai 7.200 detik."),
    "proctoring.message_invalid": _l("Pesan harus diisi, paling banyak 300 karakter."),
    "proctoring.event_kind_unknown": _l("Jenis kejadian tidak dikenal."),
    "proctoring.action_unknown": _l("Tindakan tidak dikenal."),
}


def standing_note(standing, *, public: bool = False) -> str:
    """One line on a session's standing for rankings, exports and announcements ('' when plainly valid).

    ``public`` leaves out the proctors' own words and keeps the date and category.
    """
    if standing is None:
        return ""
    when = format_moment(standing.since)
    if not standing.counts:
        category = reason_category_label(standing.decision.category)
        if public:
            text = _("hasil ujian dibatalkan sejak %(when)s (%(category)s)", when=when, category=category)
        else:
            text = _(
                "hasil ujian dibatalkan sejak %(when)s (%(category)s): %(reason)s",
                when=when,
                category=category,
                reason=standing.decision.reason,
            )
        if standing.state == "appeal_pending":
            text += "; " + _("sanggahan sedang diperiksa")
        return text
    if standing.state == "under_review":
        return _("hasil ujian sedang ditinjau sejak %(when)s (pembatalan belum dikonfirmasi)", when=when)
    if standing.state == "restored":
        return _("hasil ujian dipulihkan pada %(when)s setelah sanggahan diterima", when=when)
    return ""


def reason_category_label(code: str) -> str:
    """The translated label of a reason category such as ``examinee.collusion``."""
    top, _dot, sub = (code or "").partition(".")
    tops, subs = LABELS["reason_category"], LABELS["reason_subcategory"]
    if top not in tops or sub not in subs:
        return code
    return f"{tops[top]}: {subs[sub]}"


def copying_direction_text(facts: dict) -> str:
    """Who answered the matching items first and whom the evidence names the copier
    (proctoring.copying_direction)."""
    numbers = {
        "copier": facts["copier_label"], "source": facts["source_label"], "omega": facts["omega_copier_label"],
        "later": facts["later"], "matches": facts["matches"],
    }  # fmt: skip
    if facts.get("basis") == "timing":
        order = _("%(copier)s menjawab %(later)d dari %(matches)d jawaban yang sama sesudah %(source)s", **numbers)
    else:
        order = _(
            "urutan waktu tidak menentukan (%(copier)s menjawab %(later)d dari %(matches)d jawaban yang sama "
            "sesudah %(source)s)",
            **numbers,
        )
    return (
        order
        + "; "
        + _("ω terbesar bila %(omega)s penyalinnya", **numbers)
        + "; "
        + _("bukti menunjuk %(copier)s sebagai penyalin jawaban %(source)s", **numbers)
    )


#: The smallest p-value written out; one below it is "p < 0,001", as reports of statistics write it
#: (a number like 1.4e-13 is Python's notation, which no reader of the page uses).
SMALLEST_P = 0.001


def p_value_text(p: float) -> str:
    """A p-value in the reader's notation: "p = 0,012", or "p < 0,001" for a smaller one."""
    if p < SMALLEST_P:
        return "p < " + format_number(SMALLEST_P, "probability")
    return "p = " + format_number(p, "probability")


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return _("%(m)d mnt %(s)d dtk", m=minutes, s=rest) if minutes else _("%(s)d dtk", s=rest)


#: Flags whose facts are a count of events: the reason of each, ``%(n)d`` the count.
COUNTED_FLAG_TEXT = {
    "clipboard": _l("menyalin atau menempel %(n)d kali"),
    "shortcut": _l("mencoba pintasan terlarang %(n)d kali"),
    "fullscreen": _l("keluar dari layar penuh %(n)d kali"),
    "fast_answers": _l("%(n)d jawaban diberikan kurang dari 3 detik setelah jawaban sebelumnya"),
    "second_session": _l("masuk dari peramban lain %(n)d kali selama ujian"),
    "other_device": _l("mencoba membuka ujian di perangkat lain %(n)d kali"),
}


def flag_text(flag: Flag) -> str:
    """The plain reason behind a flag, with its numbers."""
    facts = flag.facts
    if flag.code == "focus_loss":
        return _(
            "meninggalkan jendela ujian %(n)d kali, %(t)s seluruhnya", n=facts["count"], t=_duration(facts["seconds"])
        )
    if flag.code in COUNTED_FLAG_TEXT:
        return COUNTED_FLAG_TEXT[flag.code] % {"n": facts["count"]}
    if flag.code == "copying":
        text = _(
            "jawaban sama dengan peserta %(other)s jauh melampaui kebetulan, %(p)s",
            other=facts.get("partner_label", facts["partner"]),
            p=p_value_text(facts["p_value"]),
        )
        return text + ("; " + copying_direction_text(facts) if "role" in facts else "")
    if flag.code == "person_fit":
        return _("pola jawaban tidak wajar untuk kemampuannya (lz* = %(z)s)", z=format_number(facts["lz_star"], "z"))
    return flag.code
