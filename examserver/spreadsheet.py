"""Cells of CSV and Excel exports that a spreadsheet shows as text and never runs as a formula.

Spreadsheet programs treat a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV/formula injection, OWASP); a candidate's name such as
``=HYPERLINK("http://...")`` would otherwise become a live link or worse in the committee's copy
of a published list. Such text gets a leading apostrophe, which spreadsheets hide.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value):
    """``value`` unchanged unless it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
