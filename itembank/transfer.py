"""Bulk import of items, shared by the CSV and QTI formats.

A file is first read into ``ItemDraft`` values (``itembank.csv_format``, ``itembank.qti``), then
``validate_drafts`` checks every draft against the item types and the bank without writing, and
``import_drafts`` writes all of them or none: one bad row rejects the whole file, and every bad row
is reported (issue 5: "an import validates everything first and writes nothing if any row is
wrong"). Errors are ``RowError`` values whose ``code`` the web layer translates; ``message`` is a
plain-English fallback for logs and the CLI.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from itembank.database import utcnow
from itembank.item_types import ITEM_TYPES, Answer, ItemValidationError
from itembank.models import ITEM_STATUSES, CalibrationRun, Competency, Item, ItemEvent, ItemParameter
from itembank.refusal import Refusal
from itembank.services import WRITER_ROLES, Actor, create_item, next_item_code

#: Statuses an imported item may arrive in (moving banks keeps an item's place in the workflow).
IMPORT_STATUSES = ITEM_STATUSES
MAX_ROWS = 20_000
#: Item codes become QTI identifiers and file names in packages, so they stay simple.
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
#: Parameter ranges on the logistic metric (D = 1): P(θ) = c + (1 - c) / (1 + exp(-a (θ - b))).
MAX_ABS_B = 6.0

MESSAGES: dict[str, str] = {
    # reading files
    "file_empty": "The file is empty or has only a header row.",
    "file_too_large": "The file is too large.",
    "too_many_rows": "The file has too many items.",
    "encoding": "The file is not valid UTF-8 text (save it as 'CSV UTF-8').",
    "header_missing_column": "The header row lacks a required column.",
    "header_unknown_column": "The header row has a column this format does not know.",
    "header_duplicate_column": "The header row names a column twice.",
    "column_count": "The row does not have as many cells as the header.",
    "csv_malformed": "The row cannot be read as CSV (check the quotes).",
    "not_a_number": "The value is not a number.",
    "not_a_boolean": "The value must be yes or no (1/0, true/false, ya/tidak).",
    "zip_malformed": "The file is not a valid ZIP or XML file.",
    "zip_unsafe_name": "The package contains a file name that points outside the package.",
    "zip_encrypted": "The package contains an encrypted file.",
    "zip_too_many_files": "The package contains too many files.",
    "manifest_missing_file": "The manifest lists a file the package does not contain.",
    "no_items": "The package contains no QTI 3.0 assessment items.",
    "xml_malformed": "The XML is not well-formed.",
    "xml_doctype": "The XML contains a DOCTYPE or ENTITY declaration, which is not allowed.",
    "xml_encoding": "The XML must be encoded as UTF-8.",
    "xml_too_deep": "The XML is nested too deeply.",
    "not_qti3_item": "The file is not a QTI 3.0 assessment item (qti-assessment-item).",
    "interaction_unsupported": "The item uses an interaction this bank does not support.",
    "interaction_count": "The item must contain exactly one interaction.",
    "tolerance_unsupported": "Only a symmetric, absolute tolerance is supported for numeric answers.",
    "identifier_missing": "The item has no identifier.",
    # drafts
    "type_unknown": "Unknown item type.",
    "competency_missing": "No competency is given.",
    "competency_unknown": "No competency has this code.",
    "competency_not_leaf": "The competency has sub-competencies; items belong to a leaf.",
    "code_invalid": "The item code may only contain letters, digits, '.', '_' and '-' (at most 40).",
    "code_taken": "An item with this code already exists in the bank.",
    "code_duplicate": "The same item code appears earlier in the file.",
    "status_unknown": "Unknown status.",
    "needs_parameters": "An operational item needs IRT parameters (a and b).",
    "parameters_incomplete": "Give both a and b, or neither.",
    "a_range": "Discrimination a must be greater than 0.",
    "b_range": "Difficulty b must be between -6 and 6.",
    "c_range": "Guessing c must be at least 0 and less than 1.",
    "c_not_applicable": "Weighted-option items have no guessing parameter c.",
    # item content (codes of itembank.item_types)
    "stem_empty": "The stem is empty.",
    "stem_too_long": "The stem is too long.",
    "option_count": "The number of options is not allowed for this item type.",
    "option_empty": "An option is empty.",
    "option_too_long": "An option is too long.",
    "option_duplicate": "Two options have the same text.",
    "answer_not_an_option": "The answer is not one of the options.",
    "answer_missing": "The answer is missing.",
    "answer_all_options": "Not every option may be correct.",
    "answer_not_a_number": "The answer is not a number.",
    "tolerance_negative": "The tolerance may not be negative.",
    "weights_missing": "Every option needs a weight.",
    "weight_not_integer": "Weights must be whole numbers.",
    "weight_range": "Weights must be between 0 and 5.",
    "weights_all_equal": "The weights may not all be the same.",
}


#: An empty HTML comment. ``itembank.content.sanitise`` escapes text without tags as plain text;
#: appending this makes it read the text as HTML instead, and nh3 then drops the comment.
HTML_MARK = "<!---->"


def as_html(fragment: str) -> str:
    """``fragment`` (HTML) in a form that ``sanitise`` reads as HTML even when it has no tags."""
    return fragment if "<" in fragment else fragment + HTML_MARK


def message(code: str) -> str:
    """The plain-English text of an error code."""
    return MESSAGES.get(code, code.replace("_", " ").capitalize() + ".")


@dataclass(frozen=True)
class ItemDraft:
    """One item read from a file, not yet checked against the bank.

    ``row`` and ``source`` say where it came from (CSV line number counting the header, or the
    1-based position and file name in a QTI package); they do not take part in equality.
    An empty ``code`` means "generate one".
    """

    code: str
    competency_code: str
    type_key: str
    stem: str
    options: tuple[str, ...]
    answer: Answer
    shuffle: bool
    status: str = "draft"
    a: float | None = None
    b: float | None = None
    c: float | None = None
    row: int = field(default=0, compare=False)
    source: str = field(default="", compare=False)


@dataclass(frozen=True)
class RowError:
    """A problem with one row (CSV line, counting the header as 1) or item (1-based position in a
    package; ``source`` then names the file). Row 0 means the file as a whole."""

    row: int
    field: str
    code: str
    message: str
    source: str = ""


def row_error(row: int, field_name: str, code: str, source: str = "", detail: str = "") -> RowError:
    """A RowError with the standard message for ``code`` (plus ``detail`` if given)."""
    text = message(code) + (f" {detail}" if detail else "")
    return RowError(row, field_name, code, text, source)


class ImportRejected(ValueError):
    """The import wrote nothing because of these errors (sorted by row)."""

    def __init__(self, errors: Sequence[RowError]):
        super().__init__(f"{len(errors)} error(s) in the import")
        self.errors = sorted(errors, key=lambda e: (e.row, e.source))


@dataclass(frozen=True)
class ImportResult:
    """What an import created: the items in file order and the run holding their parameters."""

    items: tuple[Item, ...]
    calibration_run: CalibrationRun | None


def _position(draft: ItemDraft, index: int) -> int:
    return draft.row or index + 1


_T = TypeVar("_T")


def _normal_code(code: str | None) -> str:
    return (code or "").strip().upper()


def _chunks(values: list[_T], size: int = 500) -> Iterable[list[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _competencies(session: Session, codes: set[str]) -> tuple[dict[str, Competency], set[int]]:
    """The competencies with these codes, and which of them have children."""
    found: dict[str, Competency] = {}
    for chunk in _chunks(sorted(codes)):
        for competency in session.scalars(select(Competency).where(Competency.code.in_(chunk))):
            found[competency.code] = competency
    ids = [competency.id for competency in found.values()]
    parents: set[int] = set()
    for id_chunk in _chunks(ids):
        parents.update(
            session.scalars(select(Competency.parent_id).where(Competency.parent_id.in_(id_chunk)).distinct())
        )
    return found, parents


def _existing_codes(session: Session, codes: set[str]) -> set[str]:
    taken: set[str] = set()
    for chunk in _chunks(sorted(codes)):
        taken.update(session.scalars(select(Item.code).where(Item.code.in_(chunk))))
    return taken


def _parameter_errors(draft: ItemDraft, row: int) -> list[RowError]:
    src = draft.source
    errors = []
    if (draft.a is None) != (draft.b is None) or (draft.c is not None and draft.a is None):
        errors.append(row_error(row, "a" if draft.a is None else "b", "parameters_incomplete", src))
        return errors
    if draft.a is not None and not (math.isfinite(draft.a) and draft.a > 0):
        errors.append(row_error(row, "a", "a_range", src))
    if draft.b is not None and not (math.isfinite(draft.b) and abs(draft.b) <= MAX_ABS_B):
        errors.append(row_error(row, "b", "b_range", src))
    if draft.c is not None:
        if draft.type_key == "weighted_options" and draft.c != 0:
            errors.append(row_error(row, "c", "c_not_applicable", src))
        elif not (math.isfinite(draft.c) and 0 <= draft.c < 1):
            errors.append(row_error(row, "c", "c_range", src))
    if draft.status == "operational" and draft.a is None:
        errors.append(row_error(row, "status", "needs_parameters", src))
    return errors


def validate_drafts(session: Session, drafts: Sequence[ItemDraft]) -> list[RowError]:
    """Every problem that would stop ``drafts`` from being imported, without writing anything.

    Checks: the item type is known; the competency exists and is a leaf; the content passes the
    type's ``clean``; a given code is well-formed and unique in the file and in the bank (an empty
    code is generated at import); the status is an import status; parameters are all-or-none for
    a/b and within range (a > 0, |b| <= 6, 0 <= c < 1). Errors are sorted by row.
    """
    if len(drafts) > MAX_ROWS:
        return [row_error(0, "file", "too_many_rows")]
    competency_codes = {_normal_code(d.competency_code) for d in drafts} - {""}
    competencies, parents = _competencies(session, competency_codes)
    item_codes = {_normal_code(d.code) for d in drafts} - {""}
    taken = _existing_codes(session, item_codes)
    seen: dict[str, int] = {}
    errors: list[RowError] = []
    for index, draft in enumerate(drafts):
        row, src = _position(draft, index), draft.source
        kind = ITEM_TYPES.get(draft.type_key)
        if kind is None:
            errors.append(row_error(row, "type", "type_unknown", src, f"({draft.type_key!r})"))
        else:
            try:
                kind.clean(draft.stem, list(draft.options), dict(draft.answer or {}))
            except ItemValidationError as error:
                errors.append(row_error(row, error.field or "content", error.code, src))
        competency_code = _normal_code(draft.competency_code)
        if not competency_code:
            errors.append(row_error(row, "competency", "competency_missing", src))
        elif competency_code not in competencies:
            errors.append(row_error(row, "competency", "competency_unknown", src, f"({competency_code})"))
        elif competencies[competency_code].id in parents:
            errors.append(row_error(row, "competency", "competency_not_leaf", src, f"({competency_code})"))
        code = _normal_code(draft.code)
        if code:
            if not CODE_PATTERN.match(code):
                errors.append(row_error(row, "code", "code_invalid", src))
            elif code in taken:
                errors.append(row_error(row, "code", "code_taken", src, f"({code})"))
            elif code in seen:
                errors.append(row_error(row, "code", "code_duplicate", src, f"({code}, row {seen[code]})"))
            seen.setdefault(code, row)
        if draft.status not in IMPORT_STATUSES:
            errors.append(row_error(row, "status", "status_unknown", src, f"({draft.status!r})"))
        errors.extend(_parameter_errors(draft, row))
    return sorted(errors, key=lambda e: (e.row, e.source))


def _assign_codes(session: Session, drafts: Sequence[ItemDraft], competencies: dict[str, Competency]) -> list[str]:
    """Final codes in draft order: given codes as they are, missing ones generated per competency
    prefix (``next_item_code``), skipping codes used anywhere in the file."""
    used = {_normal_code(d.code) for d in drafts} - {""}
    next_number: dict[str, int] = {}
    codes = []
    for draft in drafts:
        code = _normal_code(draft.code)
        if not code:
            suggestion = next_item_code(session, competencies[_normal_code(draft.competency_code)])
            prefix, _, number = suggestion.rpartition("-")
            candidate = max(int(number), next_number.get(prefix, 0))
            while f"{prefix}-{candidate:03d}" in used:
                candidate += 1
            code = f"{prefix}-{candidate:03d}"
            next_number[prefix] = candidate + 1
            used.add(code)
        codes.append(code)
    return codes


def irt_model(draft: ItemDraft) -> str | None:
    """The IRT model of an imported draft's parameters: GPCM for weighted options, 3PL when a
    positive c is given, else 2PL; None without parameters."""
    if draft.a is None:
        return None
    if draft.type_key == "weighted_options":
        return "gpcm"
    return "3pl" if draft.c else "2pl"


def import_drafts(
    session: Session,
    actor: Actor,
    drafts: Sequence[ItemDraft],
    *,
    note: str | None,
    prior_errors: Sequence[RowError] = (),
) -> ImportResult:
    """Create every draft as an item, or none.

    ``prior_errors`` are the errors met while reading the file (``parse_csv``/``parse_package``):
    any of them, or any error of ``validate_drafts``, raises ``ImportRejected`` before anything is
    written. Items are created through ``itembank.services.create_item`` with the draft's status;
    drafts with parameters get an ItemParameter (current) in one published CalibrationRun with
    source "import". Adds and flushes; the caller commits.
    """
    if actor.role not in WRITER_ROLES:
        raise Refusal("item.role_not_allowed")
    errors = list(prior_errors) + validate_drafts(session, drafts)
    if not drafts and not errors:
        errors.append(row_error(1, "file", "file_empty"))
    if errors:
        raise ImportRejected(errors)
    competencies, _ = _competencies(session, {_normal_code(d.competency_code) for d in drafts})
    codes = _assign_codes(session, drafts, competencies)
    items: list[Item] = []
    parameters: list[tuple[Item, ItemDraft, str]] = []
    for draft, code in zip(drafts, codes, strict=True):
        item = create_item(
            session,
            actor,
            competency_id=competencies[_normal_code(draft.competency_code)].id,
            type_key=draft.type_key,
            stem=draft.stem,
            options=list(draft.options),
            answer=dict(draft.answer),
            shuffle=draft.shuffle,
            code=code,
            note=note,
            status=draft.status,
        )
        session.add(
            ItemEvent(
                item=item,
                actor_id=actor.id,
                action="imported",
                to_status=draft.status,
                version_number=1,
                comment=note,
            )
        )
        items.append(item)
        model = irt_model(draft)
        if model:
            parameters.append((item, draft, model))
    run = None
    if parameters:
        models = {model for _, _, model in parameters}
        now = utcnow()
        run = CalibrationRun(
            created_by_id=actor.id,
            status="published",
            source="import",
            model=models.pop() if len(models) == 1 else "mixed",
            n_items=len(parameters),
            summary={"imported": True},
            note=note,
            published_at=now,
            published_by_id=actor.id,
        )
        session.add(run)
        for item, draft, model in parameters:
            session.add(
                ItemParameter(
                    item=item,
                    run=run,
                    version_number=1,
                    model=model,
                    a=draft.a,
                    b=draft.b,
                    c=draft.c if model == "3pl" else None,
                    thresholds=[],
                    is_current=True,
                )
            )
    session.flush()
    return ImportResult(items=tuple(items), calibration_run=run)
