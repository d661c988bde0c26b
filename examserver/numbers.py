"""Numbers as people type and read them, in the reader's locale, both ways.

Python reads and writes only its own notation ("3.45", "250000000.0"), which an Indonesian reader
takes for three thousand four hundred and fifty, and which refuses the "3,45" they type. Babel's
locale data parses what is typed and formats what is shown, as the style guide asks of numbers.

In templates (registered once in the app factory)::

    {{ row.final_score|number("score") }}   {# 76,96 in Indonesian, 76.96 in English #}
    {{ plan.budget|rupiah }}                {# Rp 250.000.000 #}

A missing value (None or NaN) is shown as a dash, so templates need no ``if x is not none`` guard.
Machine-readable exports (the signed announcement's CSV, the API's JSON) keep plain numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

from babel.numbers import NumberFormatError, get_currency_symbol, parse_decimal
from flask_babel import format_decimal, format_percent, get_locale

#: What a typed number may hold: a sign, then digits and the marks locales group and separate them
#: with (Decimal alone would also take "nan", "inf", "1e3" and "1_0").
TYPED = re.compile(r"[+-]?\d[\d.,'\u00a0\u202f]*")
#: The plain notation accepted when the locale's is not: digits with an optional decimal point.
PLAIN = re.compile(r"[+-]?\d+(?:\.\d+)?")
#: A decimal as exports write it (a point, no grouping): "76.965" in a signed announcement's CSV.
EXPORTED = re.compile(r"-?\d+\.\d+")
#: Decimals of the scores a signed announcement's CSV writes (its ``"announced"`` precision).
ANNOUNCED_DECIMALS = 3
#: The currency of every amount on the platform.
CURRENCY = "IDR"
#: The rupiah sign people type before an amount, whatever the page's language.
RUPIAH_SIGN = "Rp"

#: The pattern of each quantity people read: how many decimals it is worth showing.
PRECISION = {
    "score": "#,##0.00",  # selection scores (SKD, SKB, final, IPK): two decimals tell candidates apart
    "threshold": "#,##0.##",  # pass marks as set (65, 166, 37,5)
    "points": "#,##0.0",  # exam points, raw or on the reporting scale (weighted options give halves)
    "theta": "#,##0.00",  # ability θ on the logit scale
    "se": "#,##0.00",  # standard error of θ or of a mean
    "logit": "#,##0.00",  # gaps and levels on the θ scale
    "change": "+#,##0.00;-#,##0.00",  # a difference or gain on the θ scale, with its sign
    "parameter": "#,##0.00",  # item parameters a, b, c at a glance (lists, calibration tables)
    "parameter_exact": "#,##0.000",  # item parameters and their SEs as calibrated (the item page)
    "statistic": "#,##0.000",  # correlations and their confidence bounds
    "probability": "#,##0.0##",  # p-values and significance levels: 0,05 or 0,012
    "z": "#,##0.00",  # critical values of a test statistic
    "gain_rate": "#,##0.000",  # logits of gap closed per training hour
    "hours": "#,##0.#",  # training hours (a half-day is 3,5)
    "weight": "#,##0.##",  # relative weights of competencies and targets (1, 2, 0,5)
    "ratio": "#,##0.00",  # impact ratios, applicants per seat
    "rating": "#,##0.0",  # performance ratings, evaluation scores, risk scores
    "fit": "#,##0.0",  # log-likelihood, AIC, BIC
    "seconds": "#,##0.0",  # durations of integrity events
    "minutes": "#,##0.0",  # time left in an exam, as the proctor's live room counts it down
    "count": "#,##0",  # people, items, seats, kilobytes
}
#: Shares (0 to 1) shown as percentages: whole ("percent": weights, probabilities) or to a tenth
#: where a tenth matters ("share": pass rates, item exposure).
PERCENT = {"percent": "#,##0%", "share": "#,##0.0%"}
#: What stands where there is no number.
MISSING = "–"
#: Quantities too large for digits (the condition number of an information matrix, 6.42e+18 in
#: Python's notation) are written as a power of ten, with the locale's decimal mark: 6,42 × 10¹⁸.
MAGNITUDE = "magnitude"
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def parse_number(raw: str) -> float:
    """A typed number: in the reader's locale first ("3,45" or "1.234,5" in Indonesian), else in
    the plain notation a browser's autofill or a script sends ("3.45"). Raises ``ValueError``,
    also for what could be read two ways ("3,4,5", "1.2.3,4").

    Where the two readings differ the locale's wins: "1.234" is one thousand two hundred and
    thirty-four to an Indonesian reader."""
    raw = raw.strip()
    if TYPED.fullmatch(raw) is None:
        raise ValueError(raw)
    try:
        return float(parse_decimal(raw, locale=get_locale(), strict=True))
    except NumberFormatError:
        if PLAIN.fullmatch(raw) is None:
            raise ValueError(raw) from None
        return float(raw)


def parse_whole(raw: str) -> int:
    """A typed whole number ("1.200" in Indonesian); a fraction ("3,5") raises ``ValueError``."""
    value = parse_number(raw)
    if not value.is_integer():
        raise ValueError(raw)
    return int(value)


def parse_rupiah(raw: str) -> int:
    """A typed amount in whole rupiah: "250.000.000", "Rp 250.000.000" or "Rp250.000.000,00" in
    Indonesian (the locale's own sign, "IDR" in English, is taken too). Raises ``ValueError``."""
    amount = raw.strip()
    for sign in dict.fromkeys((RUPIAH_SIGN, CURRENCY, get_currency_symbol(CURRENCY, get_locale()))):
        if amount[: len(sign)].casefold() == sign.casefold():
            amount = amount[len(sign) :].strip()
            break
    return parse_whole(amount)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value, quantity: str) -> str:
    """``value`` in the reader's locale with the precision of ``quantity`` (a key of
    :data:`PRECISION`, of :data:`PERCENT` for a share from 0 to 1, or :data:`MAGNITUDE`); a dash
    when there is none."""
    if _missing(value):
        return MISSING
    if quantity in PERCENT:
        return format_percent(value, PERCENT[quantity])
    if quantity == MAGNITUDE:
        return _power_of_ten(value)
    return format_decimal(value, PRECISION[quantity])


def telling_decimals(values: Iterable[float | None], least: int = 2, most: int = 6) -> int:
    """The fewest decimals, from ``least`` up to ``most``, at which the different values of a column
    still read differently (values equal at ``most`` decimals count as one: the selection ranking
    compares scores rounded to six, ``score_decimals``). A column of ranked scores written with fewer
    would show two candidates ranked apart with the same number. Rounded as Babel writes them (half
    to even on the decimal text), so what is counted is what is shown."""
    distinct = {_decimal(value, most) for value in values if value is not None and not _missing(value)}
    for decimals in range(least, most):
        if len({value.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN) for value in distinct}) == len(distinct):
            return decimals
    return most


def _decimal(value: float, decimals: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN)


def rounded_decimal(value: float | None, decimals: int) -> Decimal | None:
    """``value`` rounded to ``decimals`` as :func:`format_decimals` writes it, for an export that
    writes what the page shows ("76.96", "80.00"); None when there is none."""
    return None if value is None or _missing(value) else _decimal(value, decimals)


def format_decimals(value, decimals: int) -> str:
    """``value`` in the reader's locale with exactly ``decimals`` decimals (see
    :func:`telling_decimals`); a dash when there is none."""
    if _missing(value):
        return MISSING
    return format_decimal(value, "#,##0." + "0" * decimals if decimals else "#,##0")


def _power_of_ten(value: float) -> str:
    """``value`` as "6,42 × 10¹⁸" (three significant digits); below a million, plain digits."""
    if abs(value) < 1e6:
        return format_decimal(value, PRECISION["count"])
    exponent = math.floor(math.log10(abs(value)))
    mantissa = round(value / 10**exponent, 2)
    if abs(mantissa) >= 10:  # 9.996e18 rounds up to 10,00 × 10¹⁸: one more power instead
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{format_decimal(mantissa, '0.00')} × 10{str(exponent).translate(SUPERSCRIPT)}"


def format_rupiah(value) -> str:
    """An amount in whole rupiah, grouped in the reader's locale, always with the sign people write:
    "Rp 250.000.000", "Rp 250,000,000" in English (Babel's English names the currency "IDR", a
    code); a dash when there is none."""
    if _missing(value):
        return MISSING
    return f"{RUPIAH_SIGN}\u00a0{format_decimal(round(value), '#,##0')}"
