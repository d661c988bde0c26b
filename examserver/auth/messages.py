"""Translated texts of accounts: refusals of account, registration and recovery operations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Refusal code -> message (registered in ``examserver.errors``).
MESSAGES = {
    "account.disable_self": _l("Anda tidak dapat menonaktifkan akun Anda sendiri."),
    "account.not_a_candidate": _l("Kode pemulihan hanya untuk akun peserta."),
    "account.nik_format": _l("NIK harus 16 angka."),
    "account.nik_region": _l("Kode wilayah pada NIK tidak valid."),
    "account.nik_birth_date": _l("Tanggal lahir pada NIK tidak valid."),
    "account.nik_serial": _l("Nomor urut pada NIK tidak valid."),
    "account.phone_format": _l("Nomor ponsel tidak valid. Contoh: 0812 3456 7890."),
    "account.name_missing": _l("Nama wajib diisi."),
    "account.email_taken": _l("Email sudah dipakai akun lain."),
    "account.invalid_email": _l("Email tidak valid."),
    "account.password_too_short": _l("Kata sandi minimal 8 karakter."),
    "account.reset_code_invalid": _l("Email atau kode pemulihan salah, atau kode sudah kedaluwarsa."),
    "account.reset_code_unconfirmed": _l(
        "Kode pemulihan ini belum dikonfirmasi oleh anggota panitia kedua, jadi belum dapat dipakai. Kata "
        "sandi tidak diubah; coba lagi setelah panitia mengabarkan kode sudah berlaku."
    ),
    "account.reset_reason_required": _l("Tuliskan alasan penerbitan kode, minimal 10 karakter."),
    "account.reset_not_pending": _l("Permintaan kode ini sudah dikonfirmasi, diganti, atau kedaluwarsa."),
    "account.reset_self_confirmation": _l(
        "Kode pemulihan harus dikonfirmasi oleh anggota panitia lain, bukan oleh yang memintanya."
    ),
    "account.unknown_role": _l("Peran tidak dikenal."),
}
