"""Provinces, the one list of regions: an Indonesian NIK's province (its first two digits, Kemendagri
codes) for adverse-impact groups, and the province a position's location stands for, so HR's region
filter lists "DKI Jakarta" once, never beside "Jakarta"."""

from __future__ import annotations

from examserver.accounts.identity import nik_problem

PROVINCES = {
    "11": "Aceh", "12": "Sumatera Utara", "13": "Sumatera Barat", "14": "Riau", "15": "Jambi",
    "16": "Sumatera Selatan", "17": "Bengkulu", "18": "Lampung", "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau", "31": "DKI Jakarta", "32": "Jawa Barat", "33": "Jawa Tengah",
    "34": "DI Yogyakarta", "35": "Jawa Timur", "36": "Banten", "51": "Bali", "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur", "61": "Kalimantan Barat", "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan", "64": "Kalimantan Timur", "65": "Kalimantan Utara", "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah", "73": "Sulawesi Selatan", "74": "Sulawesi Tenggara", "75": "Gorontalo",
    "76": "Sulawesi Barat", "81": "Maluku", "82": "Maluku Utara", "91": "Papua", "92": "Papua Barat",
    "93": "Papua Selatan", "94": "Papua Tengah", "95": "Papua Pegunungan", "96": "Papua Barat Daya",
}  # fmt: skip


def province_of(nik: str | None) -> str | None:
    """The province named by a plausible NIK, or None."""
    if not nik or nik_problem(nik) is not None:
        return None
    return PROVINCES.get(nik[:2])


#: Words a province's official name puts before its common one ("DKI Jakarta", "DI Yogyakarta").
_SPECIAL_STATUS = ("DKI ", "DI ")


def province_named(place: str) -> str:
    """The province as :data:`PROVINCES` spells it for a place people write (``Jakarta``,
    ``dki jakarta``), or the place as written when it names no province (a city, a unit)."""
    wanted = place.strip().casefold()
    for name in PROVINCES.values():
        common = next((name[len(p) :] for p in _SPECIAL_STATUS if name.startswith(p)), name)
        if wanted in (name.casefold(), common.casefold()):
            return name
    return place.strip()
