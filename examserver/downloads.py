"""Files a page hands over to be saved rather than shown: CSV and Excel exports, signatures, keys.

Every download names its file in ``Content-Disposition: attachment`` (RFC 6266) with a quoted
file name. Exports a person opens in a spreadsheet pass every cell through
:func:`examserver.spreadsheet.inert_cell`, so no exported text can run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from flask import Response, make_response

from examserver.spreadsheet import inert_cell

if TYPE_CHECKING:
    from openpyxl import Workbook

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(body: bytes | str, filename: str, content_type: str) -> Response:
    """A response the browser saves as ``filename``."""
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_attachment(rows: Iterable[Sequence[Any]], filename: str, *, for_excel: bool = True) -> Response:
    """``rows`` (the header first) as a CSV file with inert cells.

    ``for_excel``: UTF-8 with a byte-order mark and CRLF line ends (RFC 4180), which Excel needs to
    read accents; otherwise plain UTF-8 with LF line ends, for scripts that read the export.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if for_excel else "\n")
    writer.writerows([inert_cell(value) for value in row] for row in rows)
    return attachment(buffer.getvalue().encode("utf-8-sig" if for_excel else "utf-8"), filename, CSV)


def xlsx_attachment(book: Workbook, filename: str) -> Response:
    """An openpyxl workbook as an ``.xlsx`` file."""
    buffer = io.BytesIO()
    book.save(buffer)
    return attachment(buffer.getvalue(), filename, XLSX)
