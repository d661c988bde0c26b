"""Translated messages for the item bank's error codes."""

from __future__ import annotations

from flask_babel import gettext as _


def error_message(code: str, **params) -> str:
    """The person-facing text for an item-bank error ``code``."""
    messages = {
        "stem_empty": lambda: _("Pokok soal wajib diisi."),
        "stem_too_long": lambda: _("Pokok soal terlalu panjang."),
        "option_count": lambda: _(
            "Jumlah opsi harus %(min)s sampai %(max)s.", min=params.get("min"), max=params.get("max")
        ),
        "option_empty": lambda: _("Opsi di tengah tidak boleh kosong."),
        "option_too_long": lambda: _("Opsi terlalu panjang."),
        "option_duplicate": lambda: _("Dua opsi tidak boleh sama."),
        "answer_not_an_option": lambda: _("Kunci jawaban harus salah satu opsi yang terisi."),
        "answer_missing": lambda: _("Pilih minimal satu jawaban benar."),
        "answer_all_options": lambda: _("Tidak semua opsi boleh benar."),
        "weights_missing": lambda: _("Setiap opsi harus diberi bobot."),
        "weight_not_integer": lambda: _("Bobot harus bilangan bulat."),
        "weight_range": lambda: _("Bobot harus 0 sampai %(max)s.", max=params.get("max", 5)),
        "weights_all_equal": lambda: _("Bobot opsi tidak boleh sama semua."),
        "answer_not_a_number": lambda: _("Jawaban dan toleransi harus berupa angka."),
        "tolerance_negative": lambda: _("Toleransi tidak boleh negatif."),
        "type_unknown": lambda: _("Tipe soal tidak dikenal."),
        "competency_unknown": lambda: _("Kompetensi tidak ditemukan."),
        "competency_not_leaf": lambda: _("Pilih kompetensi paling rinci (yang tidak punya turunan)."),
        "competency_incomplete": lambda: _("Kode dan nama kompetensi wajib diisi."),
        "parent_has_items": lambda: _("Kompetensi induk ini sudah dipakai butir soal, jadi tidak bisa diberi turunan."),
        "code_taken": lambda: _("Kode sudah dipakai."),
        "role_not_allowed": lambda: _("Peran Anda tidak boleh melakukan ini."),
        "not_the_author": lambda: _("Hanya penulis butir ini (atau admin) yang boleh melakukan ini."),
        "four_eyes": lambda: _("Penelaah tidak boleh menyetujui butir yang ikut ditulisnya (prinsip empat mata)."),
        "needs_parameters": lambda: _("Butir harus punya parameter IRT yang dipublikasikan sebelum operasional."),
        "comment_required": lambda: _("Tuliskan alasannya."),
        "transition_not_allowed": lambda: _("Perubahan status ini tidak diizinkan."),
        "only_drafts_change": lambda: _("Hanya butir berstatus draf yang dapat diubah."),
        "nothing_changed": lambda: _("Tidak ada perubahan isi yang disimpan."),
        "image_empty": lambda: _("Berkas gambar kosong."),
        "image_too_large": lambda: _("Gambar lebih dari 300 KB."),
        "image_type": lambda: _("Gambar harus berformat PNG atau JPEG."),
        "image_corrupt": lambda: _("Berkas gambar rusak."),
        "image_dimensions": lambda: _("Ukuran gambar paling besar 2000 x 2000 piksel."),
    }
    message = messages.get(code)
    return message() if message else _("Isian tidak valid (%(code)s).", code=code)


def field_label(field: str) -> str:
    """A person-facing name for a field named in an error."""
    if field.startswith("option_"):
        return _("Opsi %(letter)s", letter=field[-1])
    if field.startswith("weight_"):
        return _("Bobot %(letter)s", letter=field[-1])
    return {
        "stem": _("Pokok soal"),
        "options": _("Opsi"),
        "answer": _("Kunci jawaban"),
        "competency": _("Kompetensi"),
        "code": _("Kode"),
        "item_type": _("Tipe"),
        "parent": _("Induk"),
        "name": _("Nama"),
    }.get(field, field)
