"""Cells of CSV and Excel exports that a spreadsheet shows as text and never runs as a formula.

Spreadsheet programs treat a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV/formula injection, OWASP); a candidate's name such as
``=HYPERLINK("http://...")`` would otherwise become a live link or worse in the committee's copy
of a published list. Such text gets a leading apostrophe, which spreadsheets hide.
"""

from __future__ import annotations

from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value):
    """``value`` unchanged unless it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def sheet_value(value):
    """A value of an export row as an Excel cell holds it: a number rounded for the CSV
    (:class:`~decimal.Decimal`, see ``numbers.rounded_decimal``) as a number, text made inert."""
    return float(value) if isinstance(value, Decimal) else inert_cell(value)


def decimals_format(places: int) -> str:
    """The Excel number format showing ``places`` decimals, in the notation of the reader's own
    spreadsheet (76,96 in Indonesian)."""
    return "0." + "0" * places if places else "0"


def number_formats(sheet, formats: dict[int, str], first_row: int = 2) -> None:
    """Give the cells of each column (1-based) from ``first_row`` down the Excel number format of
    ``formats``."""
    for column, number_format in formats.items():
        for (cell,) in sheet.iter_rows(min_row=first_row, min_col=column, max_col=column):
            cell.number_format = number_format
