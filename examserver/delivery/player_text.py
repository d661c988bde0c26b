"""The player page's words, translated once per locale in each process.

Every candidate of a room loads the player page at the start, and it has 37 strings: looked up one
by one through Flask-Babel and Jinja's gettext they were about half of rendering it. They are the
same for every candidate who reads the same language, so each process translates them once per
locale (and per catalogue: a test's app may load other ones) and the page reads them from here.
"""

from __future__ import annotations

from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

#: The page's own labels (``delivery/player.html`` reads them as ``text.<name>``).
LABELS = {
    "title": _l("Ujian ASN"),
    "clock": _l("Sisa waktu"),
    "connecting": _l("Menghubungkan..."),
    "loading": _l("Memuat soal..."),
    "moves": _l("Pindah soal"),
    "previous": _l("Sebelumnya"),
    "flag": _l("Ragu-ragu"),
    "next": _l("Berikutnya"),
    "overview": _l("Daftar soal"),
    "display": _l("Tampilan"),
    "smaller": _l("Perkecil huruf"),
    "larger": _l("Perbesar huruf"),
    "contrast": _l("Kontras tinggi"),
    "finish": _l("Selesai"),
    "final": _l("Setelah selesai, jawaban tidak dapat diubah lagi."),
    "yes": _l("Ya, selesai"),
    "back": _l("Kembali ke soal"),
    "noscript": _l("Ujian memerlukan JavaScript. Aktifkan JavaScript di peramban Anda."),
}

#: What ``static/js/player.js`` says, from the page's ``#player-text`` JSON ({n}-style fields are
#: filled in by the player).
MESSAGES = {
    "saved": _l("Tersimpan"),
    "waiting": _l("Menunggu sinkron ({n})"),
    "offline": _l("Luring"),
    "answered": _l("{a} dari {n} dijawab"),
    "flagged": _l("{f} ragu-ragu"),
    "time_up": _l("Waktu habis. Jawaban Anda sedang dinilai."),
    "finish_summary": _l("Anda menjawab {a} dari {n} soal. {u} belum dijawab."),
    "numeric_label": _l("Jawaban (angka)"),
    "question": _l("Soal {p} dari {n}"),
    "nav_answered": _l("Soal {p}, sudah dijawab"),
    "nav_unanswered": _l("Soal {p}, belum dijawab"),
    "nav_flagged": _l("ragu-ragu"),
    "retry": _l("Koneksi terputus. Jawaban tetap tersimpan di perangkat dan akan dikirim otomatis."),
    "paused": _l("Ujian dihentikan sementara oleh pengawas. Waktu Anda tidak berjalan."),
    "other_device": _l(
        "Ujian ini dibuka di perangkat lain. Minta pengawas mengizinkan pindah ke perangkat ini; "
        "setelah diizinkan, halaman ini melanjutkan ujian dengan sendirinya."
    ),
    "device_allowed": _l("Pengawas mengizinkan perangkat ini. Ujian dilanjutkan di sini…"),
    "from_proctor": _l("Pesan pengawas: {text}"),
    "next_needs_server": _l(
        "Soal berikutnya perlu koneksi; jawaban Anda sudah tersimpan di perangkat dan akan dikirim."
    ),
    "error": _l("Terjadi kesalahan. Muat ulang halaman; jawaban Anda aman."),
}

_translated: dict[tuple[str, int], tuple[dict[str, str], Markup]] = {}


def player_text() -> tuple[dict[str, str], Markup]:
    """The labels, and the messages as the page's JSON (safe inside ``<script>``), in the request's
    language: translated at the first page of each language, then kept."""
    key = (str(get_locale()), id(get_translations()))  # a catalogue lives as long as the process
    kept = _translated.get(key)
    if kept is None:
        labels = {name: str(text) for name, text in LABELS.items()}
        messages = htmlsafe_json_dumps({name: str(text) for name, text in MESSAGES.items()})
        kept = _translated[key] = (labels, messages)
    return kept
