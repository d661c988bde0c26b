"""Items as CSV, one item per row, for spreadsheets.

Columns: ``code,competency,type,status,shuffle,stem,option_a,...,option_h,answer,a,b,c``. The
stem and options hold the item's sanitised HTML, or its plain text when it has no markup (import
treats text without tags as plain text and escapes it, so writing the HTML of ``a &amp; b`` would
come back as ``a &amp;amp; b``). The answer is in the item type's text form (``B``, ``A,C``,
``A:5;B:3;...``, ``12.5±0.5``); a, b, c are the current IRT parameters (logistic metric, D = 1).

Reading accepts what Excel writes in Indonesia: UTF-8 with or without BOM, comma or semicolon
separators, decimal commas in numbers. Text cells that a spreadsheet would run as a formula
(starting with ``= + - @``, tab or CR; OWASP "CSV injection") are written with a leading
apostrophe, which reading removes again.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable

from itembank.content import sanitise
from itembank.item_types import ITEM_TYPES, Answer, ItemValidationError, format_number, letters, parse_number
from itembank.models import Item
from itembank.transfer import MAX_ROWS, ItemDraft, RowError, as_html, row_error

MAX_BYTES = 5 * 1024 * 1024
OPTION_COLUMNS = [f"option_{letter.lower()}" for letter in letters(8)]
HEADER = ["code", "competency", "type", "status", "shuffle", "stem", *OPTION_COLUMNS, "answer", "a", "b", "c"]
REQUIRED = {"competency", "type", "stem", "answer"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TRUE_WORDS = {"1", "true", "yes", "y", "ya"}
FALSE_WORDS = {"0", "false", "no", "n", "tidak", "t"}


def portable_fragment(fragment: str) -> str:
    """A sanitised fragment as a CSV cell that import turns back into exactly ``fragment``: its
    plain text when that reads back the same (the usual case without tags, and the friendliest
    in a spreadsheet), else the HTML, marked as such if it has no tags (``a\nb`` must not become
    ``a<br>b``)."""
    if "<" in fragment:
        return fragment
    text = html.unescape(fragment)
    return text if sanitise(text) == fragment else as_html(fragment)


def _optional_number(value: float | None) -> str:
    return "" if value is None else format_number(float(value))


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def export_csv(items: Iterable[Item]) -> str:
    """The items' current versions as CSV text (comma-separated, CRLF lines, header first).

    Encode as ``utf-8-sig`` when serving it so that Excel recognises UTF-8.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for item in items:
        version = item.current_version
        options = [_cell(portable_fragment(option)) for option in version.options]
        parameter = item.current_parameter
        writer.writerow(
            [
                item.code,
                item.competency.code,
                item.item_type,
                item.status,
                "1" if item.shuffle_options else "0",
                _cell(portable_fragment(version.stem)),
                *options,
                *[""] * (len(OPTION_COLUMNS) - len(options)),
                _cell(ITEM_TYPES[item.item_type].describe_answer(version.answer)),
                *(_optional_number(getattr(parameter, name, None)) for name in ("a", "b", "c")),
            ]
        )
    return out.getvalue()


def _decode(data: bytes) -> tuple[str | None, RowError | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, row_error(line, "file", "encoding", detail=f"(byte {error.start + 1})")


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _number(value: str, row: int, column: str, errors: list[RowError]) -> float | None:
    if not value.strip():
        return None
    try:
        return parse_number(value)
    except ValueError:
        errors.append(row_error(row, column, "not_a_number", detail=f"({value.strip()[:20]!r})"))
        return None


def _read_header(cells: list[str]) -> tuple[list[str], list[RowError]]:
    names = [cell.strip().lower().lstrip("\ufeff") for cell in cells]
    errors = []
    for name in names:
        if name not in HEADER:
            errors.append(row_error(1, name or "header", "header_unknown_column", detail=f"({name!r})"))
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(row_error(1, name, "header_duplicate_column"))
    for name in sorted(REQUIRED - set(names)):
        errors.append(row_error(1, name, "header_missing_column", detail=f"({name})"))
    return names, errors


def _draft(values: dict[str, str], row: int) -> tuple[ItemDraft | None, list[RowError]]:
    errors: list[RowError] = []
    type_key = values.get("type", "").strip().lower()
    kind = ITEM_TYPES.get(type_key)
    if kind is None:
        errors.append(row_error(row, "type", "type_unknown", detail=f"({type_key!r})"))
    options = [_uncell(values.get(column, "")) for column in OPTION_COLUMNS]
    while options and not options[-1].strip():
        options.pop()  # the columns after an item's last option stay empty
    answer: Answer = {}
    if kind is not None:
        try:
            answer = kind.parse_answer_text(_uncell(values.get("answer", "")).strip(), len(options))
        except ItemValidationError as error:
            errors.append(row_error(row, error.field or "answer", error.code))
    shuffle_text = values.get("shuffle", "").strip().lower()
    shuffle = True
    if shuffle_text in FALSE_WORDS:
        shuffle = False
    elif shuffle_text and shuffle_text not in TRUE_WORDS:
        errors.append(row_error(row, "shuffle", "not_a_boolean"))
    a, b, c = (_number(values.get(name, ""), row, name, errors) for name in ("a", "b", "c"))
    if errors:
        return None, errors
    draft = ItemDraft(
        code=values.get("code", "").strip().upper(),
        competency_code=values.get("competency", "").strip().upper(),
        type_key=type_key,
        stem=_uncell(values.get("stem", "")),
        options=tuple(options),
        answer=answer,
        shuffle=shuffle,
        status=values.get("status", "").strip().lower() or "draft",
        a=a,
        b=b,
        c=c,
        row=row,
    )
    return draft, []


def parse_csv(data: bytes) -> tuple[list[ItemDraft], list[RowError]]:
    """Read CSV bytes into drafts, reporting every unreadable row.

    Rows are numbered as a spreadsheet shows them (the header is row 1; a row whose quoted cell
    spans lines is numbered by its first line); blank rows are skipped. Row 0 is the file as a
    whole. At most 5 MB and 20,000 item rows. Content, competency and codes are checked later by
    ``itembank.transfer.validate_drafts``.
    """
    if len(data) > MAX_BYTES:
        return [], [row_error(0, "file", "file_too_large", detail="(at most 5 MB)")]
    text, error = _decode(data)
    if error is not None:
        return [], [error]
    assert text is not None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    drafts: list[ItemDraft] = []
    errors: list[RowError] = []
    header: list[str] | None = None
    count = 0
    while True:
        row = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(row_error(row, "file", "csv_malformed", detail=f"({exc})"))
            break
        if header is None:
            header, header_errors = _read_header(cells)
            if header_errors:
                return [], header_errors
            continue
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            errors.append(row_error(row, "file", "too_many_rows", detail=f"(at most {MAX_ROWS})"))
            break
        if len(cells) != len(header):
            errors.append(row_error(row, "row", "column_count", detail=f"({len(cells)} instead of {len(header)})"))
            continue
        draft, row_errors = _draft(dict(zip(header, cells, strict=True)), row)
        errors.extend(row_errors)
        if draft is not None:
            drafts.append(draft)
    if not drafts and not errors:
        errors.append(row_error(1, "file", "file_empty"))
    return drafts, errors
