"""Translated texts of the item bank: refusals of items, blueprints, assembly and calibration, and field names."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: Refusal code -> message (registered in ``examserver.errors``); ``item.*`` codes are also the bare
#: codes of item validation, images and import rows, ``calibration.*`` those of response-file lines.
MESSAGES = {
    "item.stem_empty": _l("Pokok soal wajib diisi."),
    "item.stem_too_long": _l("Pokok soal terlalu panjang."),
    "item.option_count": _l("Jumlah opsi harus %(min)s sampai %(max)s."),
    "item.option_empty": _l("Opsi di tengah tidak boleh kosong."),
    "item.option_too_long": _l("Opsi terlalu panjang."),
    "item.option_duplicate": _l("Dua opsi tidak boleh sama."),
    "item.answer_not_an_option": _l("Kunci jawaban harus salah satu opsi yang terisi."),
    "item.answer_missing": _l("Pilih minimal satu jawaban benar."),
    "item.answer_all_options": _l("Tidak semua opsi boleh benar."),
    "item.weights_missing": _l("Setiap opsi harus diberi bobot."),
    "item.weight_not_integer": _l("Bobot harus bilangan bulat."),
    "item.weight_range": _l("Bobot harus 0 sampai %(max)s."),
    "item.weights_all_equal": _l("Bobot opsi tidak boleh sama semua."),
    "item.answer_not_a_number": _l("Jawaban dan toleransi harus berupa angka."),
    "item.tolerance_negative": _l("Toleransi tidak boleh negatif."),
    "item.type_unknown": _l("Tipe soal tidak dikenal."),
    "item.competency_unknown": _l("Kompetensi tidak ditemukan."),
    "item.competency_not_leaf": _l("Pilih kompetensi paling rinci (yang tidak punya turunan)."),
    "item.competency_incomplete": _l("Kode dan nama kompetensi wajib diisi."),
    "item.parent_has_items": _l("Kompetensi induk ini sudah dipakai butir soal, jadi tidak bisa diberi turunan."),
    "item.code_taken": _l("Kode sudah dipakai."),
    "item.role_not_allowed": _l("Peran Anda tidak boleh melakukan ini."),
    "item.not_the_author": _l("Hanya penulis butir ini (atau admin) yang boleh melakukan ini."),
    "item.four_eyes": _l("Penelaah tidak boleh menyetujui butir yang ikut ditulisnya (prinsip empat mata)."),
    "item.needs_parameters": _l("Butir harus punya parameter IRT yang dipublikasikan sebelum operasional."),
    "item.comment_required": _l("Tuliskan alasannya."),
    "item.transition_not_allowed": _l("Perubahan status ini tidak diizinkan."),
    "item.only_drafts_change": _l("Hanya butir berstatus draf yang dapat diubah."),
    "item.nothing_changed": _l("Tidak ada perubahan isi yang disimpan."),
    "item.image_empty": _l("Berkas gambar kosong."),
    "item.image_too_large": _l("Gambar lebih dari 300 KB."),
    "item.image_type": _l("Gambar harus berformat PNG atau JPEG."),
    "item.image_corrupt": _l("Berkas gambar rusak."),
    "item.image_dimensions": _l("Ukuran gambar paling besar 2000 x 2000 piksel."),
    "item.blueprint_incomplete": _l("Kode dan nama cetak biru wajib diisi."),
    "item.delivery_mode_unknown": _l("Cara penyajian tidak dikenal."),
    "item.time_limit_range": _l("Waktu harus 1 sampai 600 menit."),
    "item.sections_missing": _l("Isi minimal satu bagian."),
    "item.sections_overlap": _l("Kompetensi bagian ini tumpang tindih dengan bagian lain."),
    "item.item_count_range": _l("Jumlah butir per bagian harus 1 sampai 500."),
    "item.scoring_rule_unknown": _l("Aturan skor tidak dikenal."),
    "item.threshold_negative": _l("Nilai ambang tidak boleh negatif."),
    "item.scaled_threshold_adaptive_only": _l("Ambang pada skala pelaporan hanya untuk cetak biru adaptif."),
    "item.threshold_both": _l("Isi ambang mentah atau ambang skala pelaporan, bukan keduanya."),
    "item.scaled_threshold_range": _l("Ambang skala pelaporan harus di dalam rentang skala."),
    "item.scale_order": _l("Batas bawah skala harus lebih kecil dari batas atas."),
    "item.scale_sd": _l("Simpangan baku skala harus positif."),
    "item.scale_incomplete": _l("Lengkapi skala pelaporan."),
    "item.scale_kind": _l("Jenis skala tidak dikenal."),
    "item.pool_too_small": _l(
        "Butir operasional berparameter di bagian %(section)s tidak cukup: perlu %(needed)s, ada %(available)s."
    ),
    "item.infeasible": _l("Naskah tidak dapat disusun dalam batas waktu; kurangi jumlah naskah."),
    "item.bad_request": _l("Permintaan penyusunan tidak valid."),
    "item.form_not_draft": _l("Naskah ini sudah diterbitkan."),
    "calibration.role_not_allowed": _l("Peran Anda tidak boleh melakukan ini."),
    "calibration.mode_unknown": _l("Pilih cara kalibrasi yang tersedia."),
    "calibration.too_few_persons": _l("Data terlalu sedikit: %(n)s peserta, paling sedikit %(min)s."),
    "calibration.nothing_to_estimate": _l(
        "Semua butir dalam data sudah operasional dan menjadi jangkar, jadi tidak ada yang diestimasi. Pilih "
        "kalibrasi ulang dengan penyetaraan."
    ),
    "calibration.too_few_anchors": _l(
        "Penyetaraan butuh paling sedikit %(min)s butir jangkar operasional; data ini hanya punya %(n)s."
    ),
    "calibration.calibration_failed": _l("Kalibrasi gagal: %(detail)s"),
    "calibration.run_not_draft": _l("Kalibrasi ini sudah diputuskan."),
    "calibration.four_eyes_run": _l("Kalibrasi harus diterbitkan oleh admin lain, bukan yang menjalankannya."),
    "calibration.flagged_items": _l(
        "Belum dapat diterbitkan: %(n)s butir punya estimasi yang tidak wajar (%(codes)s). Keluarkan butir itu "
        "dengan alasan, atau jalankan kalibrasi baru."
    ),
    "calibration.exclusion_reason_missing": _l("Tulis alasan mengeluarkan butir."),
    "calibration.nothing_selected": _l("Pilih butir yang diestimasi dan belum dikeluarkan."),
    "calibration.content_changed": _l("Isi butir %(code)s berubah sejak kalibrasi; jalankan kalibrasi baru."),
    "calibration.responses_empty": _l("Berkas tidak berisi baris respons."),
    "calibration.column_unnamed": _l("Ada kolom tanpa kode butir."),
    "calibration.column_duplicate": _l("Kolom butir %(code)s muncul dua kali."),
    "calibration.item_unknown": _l("Butir %(code)s tidak ada di bank soal."),
    "calibration.row_width": _l("Baris ini berisi %(n)s sel, seharusnya %(expected)s."),
    "calibration.category_range": _l("Respons %(value)s untuk butir %(code)s harus bilangan bulat 0 sampai %(max)s."),
}


def error_message(code: str, **params) -> str:
    """The text of a bare item-bank code (item validation, image, import row): ``item.<code>``."""
    from examserver.errors import refusal_message

    if f"item.{code}" not in MESSAGES:
        return _("Isian tidak valid (%(code)s).", code=code)
    return refusal_message(f"item.{code}", **params)


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
