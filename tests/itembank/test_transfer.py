"""Checking and importing drafts: everything is checked first, and one bad row writes nothing."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from itembank.models import CalibrationRun, Item, ItemEvent, ItemParameter, ItemVersion
from itembank.refusal import Refusal
from itembank.services import Actor, create_item
from itembank.transfer import (
    ImportRejected,
    ItemDraft,
    RowError,
    import_drafts,
    validate_drafts,
)

GOOD = {
    "single_choice": ItemDraft(
        code="",
        competency_code="SKD.TWK.NAS",
        type_key="single_choice",
        stem="Lambang negara Indonesia adalah ...",
        options=("Garuda Pancasila", "Bendera", "Lagu kebangsaan"),
        answer={"correct": "A"},
        shuffle=True,
    ),
    "weighted_options": ItemDraft(
        code="TKP-900",
        competency_code="skd.tkp.pel",
        type_key="weighted_options",
        stem="Warga datang saat kantor hampir tutup. Sikap Anda ...",
        options=("Melayani", "Menolak", "Menyuruh besok", "Memanggil rekan"),
        answer={"weights": {"A": 5, "B": 1, "C": 2, "D": 4}},
        shuffle=True,
        status="pilot",
        a=1.1,
        b=0.2,
    ),
    "multiple_response": ItemDraft(
        code="TWK-900",
        competency_code="SKD.TWK.PILAR",
        type_key="multiple_response",
        stem="Pilih pilar kebangsaan:",
        options=("Pancasila", "UUD 1945", "Kopi", "NKRI"),
        answer={"correct": ["A", "B", "D"]},
        shuffle=False,
        status="approved",
        a=0.8,
        b=-1.5,
        c=0.0,
    ),
    "true_false": ItemDraft(
        code="",
        competency_code="SKD.TWK.NAS",
        type_key="true_false",
        stem="Sumpah Pemuda diikrarkan pada 1928.",
        options=("Benar", "Salah"),
        answer={"correct": "A"},
        shuffle=True,
    ),
    "numeric": ItemDraft(
        code="",
        competency_code="SKD.TWK.NAS",
        type_key="numeric",
        stem="Berapa jumlah sila Pancasila?",
        options=(),
        answer={"value": "5", "tolerance": 0},
        shuffle=False,
        status="operational",
        a=1.4,
        b=-0.3,
        c=0.2,
    ),
}


@pytest.fixture
def writer(make_user):
    user = make_user("item_writer")
    return Actor(user.id, "item_writer")


def counts(db_session) -> dict[str, int]:
    return {
        model.__name__: db_session.scalar(select(func.count()).select_from(model))
        for model in (Item, ItemVersion, ItemEvent, ItemParameter, CalibrationRun)
    }


def draft(base: str = "single_choice", **changes) -> ItemDraft:
    return dataclasses.replace(GOOD[base], **changes)


def codes_of(errors: list[RowError]) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.code) for e in errors]


def test_good_drafts_have_no_errors(db_session, taxonomy):
    assert validate_drafts(db_session, list(GOOD.values())) == []


def test_every_problem_is_reported_with_its_row(db_session, taxonomy, make_item):
    make_item(code="TWK-555")
    drafts = [
        draft(competency_code="SKD.XXX"),
        draft(competency_code="SKD.TWK"),
        draft(competency_code=" "),
        draft(type_key="essay"),
        draft(stem="   "),
        draft(options=("Sama", "sama")),
        draft(answer={"correct": "Z"}),
        draft(code="TWK-555"),
        draft(code="DUP-1"),
        draft(code="dup-1"),
        draft(code="BAD CODE"),
        draft(status="published"),
        draft(a=1.0),
        draft(a=0.0, b=0.0),
        draft(a=1.0, b=7.5, c=1.0),
        draft("weighted_options", c=0.2),
        draft("numeric", a=None, b=None, c=None),
    ]
    errors = validate_drafts(db_session, drafts)
    assert codes_of(errors) == [
        (1, "competency", "competency_unknown"),
        (2, "competency", "competency_not_leaf"),
        (3, "competency", "competency_missing"),
        (4, "type", "type_unknown"),
        (5, "stem", "stem_empty"),
        (6, "options", "option_duplicate"),
        (7, "answer", "answer_not_an_option"),
        (8, "code", "code_taken"),
        (10, "code", "code_duplicate"),
        (11, "code", "code_invalid"),
        (12, "status", "status_unknown"),
        (13, "b", "parameters_incomplete"),
        (14, "a", "a_range"),
        (15, "b", "b_range"),
        (15, "c", "c_range"),
        (16, "c", "c_not_applicable"),
        (17, "status", "needs_parameters"),
    ]
    assert all(e.message and not e.message.startswith(e.code) for e in errors)
    assert "row 9" in errors[8].message


def test_rows_come_from_the_drafts_when_known(db_session, taxonomy):
    errors = validate_drafts(db_session, [draft(row=7, source="items/x.xml", type_key="essay")])
    assert errors == [RowError(7, "type", "type_unknown", errors[0].message, "items/x.xml")]


def test_import_creates_items_events_and_parameters(db_session, taxonomy, writer):
    result = import_drafts(db_session, writer, list(GOOD.values()), note="impor awal")
    db_session.commit()
    items = result.items
    assert [item.item_type for item in items] == list(GOOD)
    assert [item.status for item in items] == ["draft", "pilot", "approved", "draft", "operational"]
    assert items[0].code == "TWK-001" and items[3].code == "TWK-002" and items[4].code == "TWK-003"
    assert items[1].code == "TKP-900"
    assert items[2].shuffle_options is False and items[0].shuffle_options is True
    assert items[4].current_version.answer == {"value": 5.0, "tolerance": 0.0}
    assert [event.action for event in items[1].events] == ["created", "imported"]
    assert items[1].events[1].comment == "impor awal"

    run = result.calibration_run
    assert run.source == "import" and run.status == "published" and run.published_at is not None
    assert run.model == "mixed" and run.n_items == 3
    models = {p.item.item_type: (p.model, p.a, p.b, p.c, p.is_current) for p in run.parameters}
    assert models == {
        "weighted_options": ("gpcm", 1.1, 0.2, None, True),
        "multiple_response": ("2pl", 0.8, -1.5, None, True),
        "numeric": ("3pl", 1.4, -0.3, 0.2, True),
    }
    assert items[1].current_parameter.thresholds == []
    assert items[0].current_parameter is None


def test_generated_codes_skip_codes_given_later_in_the_file(db_session, taxonomy, writer):
    drafts = [draft(), draft(code="TWK-001"), draft(stem="Soal lain", code="")]
    items = import_drafts(db_session, writer, drafts, note=None).items
    assert [item.code for item in items] == ["TWK-002", "TWK-001", "TWK-003"]


def test_one_bad_row_writes_nothing_and_names_the_row(db_session, taxonomy, writer):
    before = counts(db_session)
    drafts = [*GOOD.values(), draft(row=9, answer={"correct": "F"})]
    with pytest.raises(ImportRejected) as rejected:
        import_drafts(db_session, writer, drafts, note="gagal")
    assert codes_of(rejected.value.errors) == [(9, "answer", "answer_not_an_option")]
    assert counts(db_session) == before


def test_errors_met_while_reading_reject_the_import(db_session, taxonomy, writer):
    before = counts(db_session)
    unreadable = RowError(4, "a", "not_a_number", "The value is not a number.")
    with pytest.raises(ImportRejected) as rejected:
        import_drafts(db_session, writer, [GOOD["single_choice"]], note=None, prior_errors=[unreadable])
    assert rejected.value.errors == [unreadable]
    assert counts(db_session) == before


def test_an_empty_import_is_refused(db_session, taxonomy, writer):
    with pytest.raises(ImportRejected) as rejected:
        import_drafts(db_session, writer, [], note=None)
    assert codes_of(rejected.value.errors) == [(1, "file", "file_empty")]


def test_only_writers_import(db_session, taxonomy, make_user):
    reviewer = make_user("reviewer")
    before = counts(db_session)
    with pytest.raises(Refusal):
        import_drafts(db_session, Actor(reviewer.id, "reviewer"), [GOOD["single_choice"]], note=None)
    assert counts(db_session) == before


def test_codes_in_the_bank_made_after_validation_still_conflict(db_session, taxonomy, writer):
    create_item(
        db_session,
        writer,
        competency_id=taxonomy["SKD.TWK.NAS"].id,
        type_key="true_false",
        stem="Pernyataan",
        options=["Benar", "Salah"],
        answer={"correct": "B"},
        code="TWK-900",
    )
    with pytest.raises(ImportRejected) as rejected:
        import_drafts(db_session, writer, [GOOD["multiple_response"]], note=None)
    assert codes_of(rejected.value.errors) == [(1, "code", "code_taken")]
