"""The label registry: every code the models and services allow has a label, labels translate, and a
missing label is visible."""

from __future__ import annotations

import logging
import re

import pytest
from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import CheckConstraint

from examserver.accounts.roles import ROLES
from examserver.delivery.models import SESSION_STATUSES
from examserver.hr.models import (
    COHORT_GROUPINGS,
    CONSULTATION_TOPICS,
    MODERATION_STATUSES,
    PLAN_STATUSES,
    PROGRAMME_MODES,
    SUCCESS_STATUSES,
)
from examserver.labels import LABELS, choices, label
from examserver.oversight.models import CASE_STATUSES, CATEGORIES, OUTCOMES, SANCTION_KINDS, SUBJECT_KINDS
from examserver.selection.announcements import ADMINISTRATIVE_RESULTS
from examserver.selection.announcements import COLUMNS as ANNOUNCEMENT_COLUMNS
from examserver.selection.models import APPEAL_STATUSES, APPLICATION_STATUSES, DOCUMENT_STATUSES, STAGE_KINDS
from examserver.selection.qualifications import education_level
from examserver.sites.results import PROBLEM_CODES
from itembank import calibration
from itembank.models import (
    CALIBRATION_SOURCES,
    DELIVERY_MODES,
    IRT_MODELS,
    ITEM_ACTIONS,
    ITEM_STATUSES,
    ITEM_TYPES,
    CalibrationRun,
)
from itembank.services import TRANSITIONS
from proctoring.models import DECISIONS, Appeal
from proctoring.services import BROWSER_KINDS, PROCTOR_KINDS, REASON_CATEGORIES, SERVER_KINDS
from proctoring.standing import State
from scoring.selection.result import Status
from scoring.selection.rules import COMPONENT_KINDS, NATIONAL_THRESHOLDS
from scoring.training_needs import BOX_CODES
from scoring.verdict import RESULT_VERDICTS, SECTION_VERDICTS


def check_values(model, column: str = "status") -> set[str]:
    """The codes a model's ``<column> IN (...)`` check constraint allows."""
    for constraint in model.__table__.constraints:
        text = str(constraint.sqltext) if isinstance(constraint, CheckConstraint) else ""
        if text.startswith(f"{column} IN ("):
            return set(re.findall(r"'([^']*)'", text))
    raise AssertionError(f"{model.__name__} has no check constraint on {column}")


ALLOWED = {
    "role": set(ROLES),
    "item_type": set(ITEM_TYPES),
    "item_status": set(ITEM_STATUSES),
    "delivery_mode": set(DELIVERY_MODES),
    "calibration_mode": set(calibration.MODES),
    "calibration_run_status": check_values(CalibrationRun),
    "item_action": set(ITEM_ACTIONS),
    "calibration_source": set(CALIBRATION_SOURCES),
    "irt_model": set(IRT_MODELS) | {"mixed"},
    "calibration_flag": {"drift", "misfit", "large_change", "low_discrimination", "dif", "new"},
    "session_status": set(SESSION_STATUSES),
    "section_verdict": set(SECTION_VERDICTS),
    "result_verdict": set(RESULT_VERDICTS),
    "session_event": set(BROWSER_KINDS | SERVER_KINDS | PROCTOR_KINDS),
    "site_problem": set(PROBLEM_CODES),
    "proctor_decision": set(DECISIONS),
    "proctor_appeal_status": check_values(Appeal),
    "session_standing": {state.value for state in State},
    "reason_category": set(REASON_CATEGORIES),
    "reason_subcategory": {sub for subs in REASON_CATEGORIES.values() for sub in subs},
    "selection_stage": set(STAGE_KINDS),
    "application_status": set(APPLICATION_STATUSES),
    "document_status": set(DOCUMENT_STATUSES),
    "selection_appeal_status": set(APPEAL_STATUSES),
    "selection_result": {status.name for status in Status},
    "administrative_result": set(ADMINISTRATIVE_RESULTS.values()),
    "announcement_column": set(ANNOUNCEMENT_COLUMNS),
    "field_component_kind": set(COMPONENT_KINDS),
    "applicant_category": {rule.category for rule in NATIONAL_THRESHOLDS},
    "education_level": {education_level(text) for text in ("SMA", "D-III", "D-IV", "S-1", "S-2", "S-3", "")},
    "complaint_category": set(CATEGORIES),
    "complaint_subject": set(SUBJECT_KINDS),
    "complaint_status": set(CASE_STATUSES),
    "complaint_step": set(CASE_STATUSES),
    "complaint_outcome": set(OUTCOMES) | {"open"},
    "sanction_kind": set(SANCTION_KINDS),
    "success_profile_status": set(SUCCESS_STATUSES),
    "training_mode": set(PROGRAMME_MODES),
    "moderation_status": set(MODERATION_STATUSES),
    "development_plan_status": set(PLAN_STATUSES),
    "employee_grouping": set(COHORT_GROUPINGS),
    "consultation_topic": set(CONSULTATION_TOPICS),
    "nine_box_level": {0, 1, 2},
    "nine_box": set(BOX_CODES.values()) | {"insufficient_data"},
    "development_recommendation": {"further_education", "coaching", "develop_in_role", "insufficient_data"},
    "selection_score": {"SKD", "SKB", "final"},
}


def test_the_item_actions_are_those_the_services_write():
    assert {rule.action for rule in TRANSITIONS.values()} | {"created", "edited", "imported", "parameters"} == set(
        ITEM_ACTIONS
    )


def test_every_registry_entry_is_checked_against_what_the_code_allows():
    assert set(ALLOWED) == set(LABELS)


@pytest.mark.parametrize("kind", sorted(ALLOWED))
def test_every_allowed_code_has_a_label(kind):
    missing = ALLOWED[kind] - set(LABELS[kind])
    assert not missing, f"{kind}: no label for {sorted(missing, key=str)}"


#: Labels that read the same in both languages (names, abbreviations, loanwords).
SAME_IN_ENGLISH = {
    "Administrator", "Diploma III", "Diploma IV", "internet", "server", "SKD total", "DIF (kelas ETS B/C)",
    "Rasch", "1PL", "2PL", "3PL", "GRM", "GPCM", "Status",
}  # fmt: skip


def _texts(app, locale: str) -> dict[tuple[str, object], str]:
    with app.test_request_context(), force_locale(locale):
        return {(kind, code): str(text) for kind, labels in LABELS.items() for code, text in labels.items()}


def test_labels_translate_to_english(app):
    indonesian, english = _texts(app, "id"), _texts(app, "en")
    assert english["item_status", "operational"] == "Operational"
    untranslated = [key for key, text in indonesian.items() if english[key] == text and text not in SAME_IN_ENGLISH]
    assert not untranslated, untranslated
    with app.test_request_context(), force_locale("en"):
        assert label("role", "candidate") == english["role", "candidate"] != indonesian["role", "candidate"]
        assert str(dict(choices("delivery_mode"))["adaptive"]) == english["delivery_mode", "adaptive"]


def test_choices_keep_the_registry_order():
    assert [code for code, _text in choices("item_status")] == list(ITEM_STATUSES)
    assert [code for code, _text in choices("role")] == list(ROLES)


def test_an_unknown_code_is_returned_as_it_is_and_logged_once(app, caplog):
    with app.test_request_context(), caplog.at_level(logging.WARNING, logger="examserver.labels"):
        assert label("item_status", "no_such_status") == "no_such_status"
        assert label("item_status", "no_such_status") == "no_such_status"
        assert label("item_status", None) == ""
    warnings = [r for r in caplog.records if "no_such_status" in r.getMessage()]
    assert len(warnings) == 1


def test_an_unknown_kind_is_an_error():
    with pytest.raises(KeyError):
        label("no_such_kind", "draft")


def test_templates_read_labels_through_one_filter(app):
    with app.test_request_context(), force_locale("id"):
        html = render_template_string(
            '{{ "draft"|label("item_status") }}|'
            "{% for code, text in labels.complaint_status.items() %}{{ code }},{% endfor %}"
        )
    assert html == "Draf|received,assessed,investigating,concluded,"


def test_a_literal_code_is_labelled_in_each_readers_language(app):
    # Jinja folds a filter of literals into the compiled template, which every app of the process
    # shares: the summary of a consultation kept the first reader's Indonesian headings in English.
    source = '{{ "approved"|label("moderation_status") }}'
    with app.test_request_context():
        template = app.jinja_env.from_string(source)
        with force_locale("id"):
            indonesian = template.render()
        with force_locale("en"):
            english = template.render()
    assert (indonesian, english) == ("disetujui", "approved")


def test_one_indonesian_word_reads_right_in_english_wherever_it_is_used(app):
    """ "diterima" labels an accepted document, an accepted success profile and an upheld appeal:
    one catalogue entry, so its English must fit them all (it read "upheld" beside documents)."""
    english = _texts(app, "en")
    for kind, code in [
        ("document_status", "accepted"),
        ("success_profile_status", "accepted"),
        ("selection_appeal_status", "upheld"),
        ("proctor_appeal_status", "upheld"),
    ]:
        assert english[kind, code] == "accepted", (kind, code)


def test_every_filter_of_the_readers_language_follows_the_reader_over_a_literal(app):
    # The same folding would write a literal number, amount or time in its first reader's notation.
    source = '{{ 0.5|number("score") }} {{ 1500|rupiah }} {{ 2.5|decimals(3) }}'
    with app.test_request_context():
        template = app.jinja_env.from_string(source)
        with force_locale("id"):
            indonesian = template.render()
        with force_locale("en"):
            english = template.render()
    assert indonesian == "0,50 Rp\xa01.500 2,500" and english == "0.50 Rp\xa01,500 2.500"
