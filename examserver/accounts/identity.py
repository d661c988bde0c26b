"""Checks of Indonesian identity data typed by candidates: NIK and mobile numbers."""

from __future__ import annotations

import re
from datetime import date

_NIK = re.compile(r"^\d{16}$")
_PHONE = re.compile(r"^(?:\+62|62|0)8\d{7,11}$")


def nik_problem(nik: str) -> str | None:
    """Why ``nik`` is not a plausible NIK, or None.

    A NIK (Nomor Induk Kependudukan, UU 24/2013 on population administration) has 16 digits:
    province (2), regency (2), district (2), date of birth DDMMYY with 40 added to the day for
    women (6), and a serial number (4) that is never 0000.
    """
    if not _NIK.match(nik or ""):
        return "nik_format"
    if nik[:2] < "11" or nik[2:4] == "00" or nik[4:6] == "00":
        return "nik_region"
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    for century in (1900, 2000):
        try:
            date(century + year, month, day)
            break
        except ValueError:
            continue
    else:
        return "nik_birth_date"
    if nik[12:] == "0000":
        return "nik_serial"
    return None


def nik_sex(nik: str | None) -> str | None:
    """``"L"`` (laki-laki) or ``"P"`` (perempuan) from a plausible NIK (day of birth + 40 for women)."""
    if not nik or nik_problem(nik) is not None:
        return None
    return "P" if int(nik[6:8]) > 40 else "L"


def normalise_phone(phone: str) -> str | None:
    """An Indonesian mobile number in +62 form, or None if it is not one."""
    digits = re.sub(r"[\s().-]", "", phone or "")
    if not _PHONE.match(digits):
        return None
    if digits.startswith("+62"):
        return digits
    if digits.startswith("62"):
        return "+" + digits
    return "+62" + digits[1:]
