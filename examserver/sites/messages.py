"""Translated texts of the test sites: refusals of the export, the import, the release and the upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Refusal code -> message (registered in ``examserver.errors``). The ``sites.<code>`` of a
#: :class:`examserver.sites.sealing.SealError` is its code with this prefix.
MESSAGES = {
    "sites.schedule_unknown": _l("Tidak ada jadwal ujian berkode %(code)s."),
    "sites.site_unknown": _l("Tidak ada lokasi ujian berkode %(code)s. Daftarkan dahulu dengan flask site add."),
    "sites.site_exists": _l("Lokasi ujian berkode %(code)s sudah terdaftar."),
    "sites.site_code_invalid": _l(
        "Kode lokasi hanya boleh berisi huruf, angka dan tanda hubung (2 sampai 40 karakter)."
    ),
    "sites.schedule_closed": _l("Jadwal %(code)s sudah ditutup; paketnya tidak dapat dibuat lagi."),
    "sites.no_published_form": _l("Cetak biru jadwal %(schedule)s belum punya naskah yang diterbitkan."),
    "sites.candidates_unknown": _l("%(count)s nomor peserta tidak ada di jadwal ini: %(numbers)s."),
    "sites.no_candidates": _l("Tidak ada peserta jadwal %(schedule)s yang dapat ditempatkan di lokasi ini."),
    "sites.candidates_elsewhere": _l("%(count)s peserta sudah ditempatkan di lokasi lain: %(numbers)s."),
    "sites.candidates_started": _l("%(count)s peserta sudah memulai ujian di pusat: %(numbers)s."),
    "sites.no_proctor": _l("Sebutkan paling sedikit satu pengawas untuk lokasi ini."),
    "sites.not_proctors": _l("Bukan akun pengawas: %(emails)s."),
    "sites.export_incomplete": _l(
        "Paket tidak dibuat: %(count)s rujukan ke data yang tidak ikut dalam paket (%(references)s)."
    ),
    # On the site: the import and the release (examserver.sites.install).
    "sites.clock_behind": _l(
        "Jam server lokasi %(minutes)s menit di belakang jam pusat. Setel jamnya dahulu, lalu ulangi."
    ),
    "sites.other_package": _l("Server ini sudah memegang paket lain (%(package)s)."),
    "sites.database_not_empty": _l(
        "Basis data server lokasi harus kosong sebelum paket pertama diimpor (hanya flask db upgrade)."
    ),
    "sites.package_table_unknown": _l("Paket berisi data yang tidak dikenal server ini (%(table)s)."),
    "sites.package_columns_unknown": _l(
        "Paket dibuat oleh versi pusat yang lebih baru (%(table)s.%(column)s). Perbarui server lokasi."
    ),
    "sites.no_package": _l("Server ini belum memegang paket ujian."),
    "sites.no_link": _l("Pusat tidak dapat dihubungi (%(reason)s). Ujian tetap berjalan; kirim hasil lewat berkas."),
    "sites.centre_refused": _l("Pusat menolak permintaan lokasi (HTTP %(http_status)s): %(message)s"),
    "sites.clock_off": _l(
        "Jam server lokasi berselisih %(minutes)s menit dengan jam pusat. Setel jamnya, lalu buka paket."
    ),
    "sites.report_stale": _l("Laporan lokasi terlalu lama atau jamnya salah (%(minutes)s menit)."),
    "sites.site_secret_wrong": _l(
        "Kode kunci lokasi salah. Salin kode baris Kunci lokasi dari lembar PIN kepala pengawas."
    ),
    "sites.sealed": _l("Soal masih tersegel: kepala pengawas belum membuka paket dengan kode dari pusat."),
    "sites.results_package_unknown": _l(
        "Berkas hasil ini menyebut paket yang tidak dikenal pusat, atau tanda tangannya tidak sah."
    ),
    # The package and results files (examserver.sites.sealing.SealError codes).
    "sites.not_a_package": _l("Berkas ini bukan paket ujian yang dapat dibaca."),
    "sites.format_unknown": _l("Jenis berkas ini tidak dikenal."),
    "sites.signature_invalid": _l(
        "Tanda tangan berkas tidak sah: isinya diubah atau tidak dibuat oleh pusat. Tidak ada yang diimpor."
    ),
    "sites.package_expired": _l("Paket ini sudah kedaluwarsa."),
    "sites.package_not_yet_valid": _l("Paket ini belum berlaku."),
    "sites.wrong_site": _l("Paket ini untuk lokasi %(found)s, bukan %(expected)s."),
    "sites.code_malformed": _l("Kode pembuka harus 20 huruf dan angka, misalnya ABCDE-12345-FGHJK-67890."),
    "sites.code_wrong": _l("Kode pembuka salah. Periksa kembali kode yang diumumkan pusat."),
    "sites.content_altered": _l("Isi soal dalam paket rusak atau diubah. Minta paket baru kepada pusat."),
    "sites.too_large": _l("Berkas terlalu besar."),
    # Registering a site (examserver.sites.services).
    "sites.site_name_missing": _l("Isi nama lokasi."),
}
