"""Checks of identity data typed by people: NIK, mobile numbers and email addresses."""

from __future__ import annotations

import re
from datetime import date

_NIK = re.compile(r"^\d{16}$")
_PHONE = re.compile(r"^(?:\+62|62|0)8\d{7,11}$")
#: The local part (RFC 5322 dot-atom: no leading, trailing or double dot) and a domain of labels of
#: letters, digits and inner hyphens (RFC 1035), at least two of them, the last all letters or an
#: IDN "xn--" label: "siti@contoh" is refused, as it is in mail forms that check the domain.
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)


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


def is_email(address: str) -> bool:
    """Whether ``address`` (trimmed and lower-cased, as accounts store it) is a deliverable-looking
    email address: a local part, "@", and a domain with a dot (RFC 5321 limits the lengths)."""
    address = address or ""
    return len(address) <= 254 and len(address.partition("@")[0]) <= 64 and _EMAIL.match(address) is not None
