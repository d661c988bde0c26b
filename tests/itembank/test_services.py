"""Item bank rules: versions, the four-eyes workflow, confidentiality logs, search, taxonomy."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from itembank import services
from itembank.database import utcnow
from itembank.item_types import ItemValidationError
from itembank.models import (
    CalibrationRun,
    ImmutableRowError,
    ItemAccess,
    ItemEvent,
    ItemParameter,
    ItemVersion,
)
from itembank.refusal import Refusal
from itembank.services import Actor


def actor(user):
    return Actor(user.id, user.role)


def test_create_makes_version_one_and_a_created_event(make_item, db_session):
    item = make_item()
    assert item.code == "TWK-001"
    assert item.status == "draft"
    assert [v.number for v in item.versions] == [1]
    assert [e.action for e in item.events] == ["created"]


def test_every_edit_is_a_new_immutable_version(app, make_item, db_session, make_user):
    item = make_item()
    from examserver.accounts.models import User

    writer = actor(db_session.get(User, item.author_id))
    version = services.edit_item(
        db_session,
        writer,
        item,
        stem="Pokok soal yang sudah diperbaiki",
        options=["A1", "B1", "C1"],
        answer={"correct": "C"},
        shuffle=False,
        note="perbaikan",
    )
    db_session.commit()
    assert version.number == 2
    first = db_session.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id, ItemVersion.number == 1))
    assert first.answer == {"correct": "A"}
    first.stem = "diubah diam-diam"
    with pytest.raises(ImmutableRowError):
        db_session.flush()
    db_session.rollback()


def test_saving_identical_content_is_refused(app, make_item, db_session):
    from examserver.accounts.models import User

    item = make_item()
    writer = actor(db_session.get(User, item.author_id))
    v = item.current_version
    with pytest.raises(Refusal, match="item.nothing_changed"):
        services.edit_item(db_session, writer, item, stem=v.stem, options=v.options, answer=v.answer, shuffle=True)


def test_only_the_author_edits_a_draft(app, make_item, make_user, db_session):
    item = make_item()
    other = make_user("item_writer")
    with pytest.raises(Refusal, match="item.not_the_author"):
        services.edit_item(
            db_session,
            actor(other),
            item,
            stem="x y",
            options=["a", "b"],
            answer={"correct": "A"},
            shuffle=True,
        )


def test_four_eyes_the_author_cannot_approve(app, make_item, make_user, db_session):
    from examserver.accounts.models import User

    item = make_item()
    author = db_session.get(User, item.author_id)
    services.transition(db_session, actor(author), item, "in_review")
    # An admin who wrote the item is still its author.
    admin_author = make_user("admin")
    admin_item = make_item(author=admin_author)
    services.transition(db_session, actor(admin_author), admin_item, "in_review")
    with pytest.raises(Refusal, match="item.four_eyes"):
        services.transition(db_session, actor(admin_author), admin_item, "approved")
    with pytest.raises(Refusal, match="item.role_not_allowed"):
        services.transition(db_session, actor(author), item, "approved")
    reviewer = make_user("reviewer")
    event = services.transition(db_session, actor(reviewer), item, "approved", "Bahasa jelas, kunci benar.")
    assert (event.from_status, event.to_status, event.actor_id) == ("in_review", "approved", reviewer.id)
    assert item.status == "approved"


def test_a_reviewer_who_edited_a_version_cannot_approve(app, make_item, make_user, db_session):
    admin = make_user("admin")
    item = make_item()
    services.edit_item(
        db_session,
        actor(admin),
        item,
        stem="Diperbaiki admin",
        options=["x", "y"],
        answer={"correct": "B"},
        shuffle=True,
    )
    services.transition(db_session, actor(admin), item, "in_review")
    with pytest.raises(Refusal, match="item.four_eyes"):
        services.transition(db_session, actor(admin), item, "approved")


def test_returning_and_retiring_need_a_reason(make_item, make_user, db_session):
    from examserver.accounts.models import User

    item = make_item()
    services.transition(db_session, actor(db_session.get(User, item.author_id)), item, "in_review")
    reviewer = make_user("reviewer")
    with pytest.raises(Refusal, match="item.comment_required"):
        services.transition(db_session, actor(reviewer), item, "draft", "  ")
    services.transition(db_session, actor(reviewer), item, "draft", "Kunci ganda, perbaiki opsi C.")
    assert item.events[-1].action == "returned"
    with pytest.raises(Refusal, match="item.comment_required"):
        services.transition(db_session, actor(reviewer), item, "retired")


def test_operational_needs_published_parameters(make_item, make_user, db_session):
    from examserver.accounts.models import User

    item = make_item()
    services.transition(db_session, actor(db_session.get(User, item.author_id)), item, "in_review")
    reviewer = make_user("reviewer")
    services.transition(db_session, actor(reviewer), item, "approved")
    with pytest.raises(Refusal, match="item.needs_parameters"):
        services.transition(db_session, actor(reviewer), item, "operational")
    run = CalibrationRun(
        created_by_id=reviewer.id, source="import", model="2pl", status="published", published_at=utcnow()
    )
    db_session.add(run)
    db_session.add(ItemParameter(item=item, run=run, version_number=1, model="2pl", a=1.1, b=0.2, is_current=True))
    db_session.flush()
    services.transition(db_session, actor(reviewer), item, "operational")
    assert item.status == "operational"


def test_unknown_transitions_are_refused(make_item, make_user, db_session):
    item = make_item()
    with pytest.raises(Refusal, match="item.transition_not_allowed"):
        services.transition(db_session, actor(make_user("admin")), item, "operational")


def test_views_of_operational_items_are_logged(make_item, make_user, db_session):
    item = make_item()
    viewer = make_user("reviewer")
    assert services.record_view(db_session, actor(viewer), item) is False
    item.status = "operational"
    assert services.record_view(db_session, Actor(viewer.id, viewer.role, "10.1.2.3"), item) is True
    row = db_session.scalar(select(ItemAccess).where(ItemAccess.item_id == item.id))
    assert (row.user_id, row.kind, row.ip_address) == (viewer.id, "view", "10.1.2.3")


def test_events_cannot_be_rewritten(make_item, db_session):
    item = make_item()
    event = db_session.scalar(select(ItemEvent).where(ItemEvent.item_id == item.id))
    db_session.delete(event)
    with pytest.raises(ImmutableRowError):
        db_session.flush()
    db_session.rollback()


@pytest.mark.parametrize(
    ("type_key", "options", "answer", "code"),
    [
        ("single_choice", ["a", "b"], {"correct": "C"}, "answer_not_an_option"),
        ("single_choice", ["satu"], {"correct": "A"}, "option_count"),
        ("single_choice", ["sama", "Sama"], {"correct": "A"}, "option_duplicate"),
        ("single_choice", ["a", "", "c"], {"correct": "A"}, "option_empty"),
        ("weighted_options", ["a", "b"], {"weights": {"A": 6, "B": 1}}, "weight_range"),
        ("weighted_options", ["a", "b"], {"weights": {"A": 3, "B": 3}}, "weights_all_equal"),
        ("weighted_options", ["a", "b"], {"weights": {"A": 3}}, "weights_missing"),
        ("multiple_response", ["a", "b"], {"correct": ["A", "B"]}, "answer_all_options"),
        ("numeric", [], {"value": "dua belas"}, "answer_not_a_number"),
        ("numeric", [], {"value": 3, "tolerance": -1}, "tolerance_negative"),
    ],
)
def test_bad_content_is_refused_and_nothing_is_written(
    app, make_user, taxonomy, db_session, type_key, options, answer, code
):
    from itembank.models import Item

    writer = make_user("item_writer")
    before = db_session.scalar(select(func.count(Item.id)))
    with pytest.raises(ItemValidationError) as raised:
        services.create_item(
            db_session,
            actor(writer),
            competency_id=taxonomy["SKD.TWK.NAS"].id,
            type_key=type_key,
            stem="Pertanyaan",
            options=options,
            answer=answer,
        )
    assert raised.value.code == code
    assert db_session.scalar(select(func.count(Item.id))) == before


def test_items_attach_to_leaves_only(app, make_user, taxonomy, db_session):
    with pytest.raises(ItemValidationError, match="competency_not_leaf"):
        services.create_item(
            db_session,
            actor(make_user("item_writer")),
            competency_id=taxonomy["SKD.TWK"].id,
            type_key="true_false",
            stem="Pernyataan",
            options=["Benar", "Salah"],
            answer={"correct": "A"},
        )


def test_a_used_leaf_cannot_become_a_parent(make_item, taxonomy, db_session):
    make_item()
    with pytest.raises(ItemValidationError, match="parent_has_items"):
        services.create_competency(db_session, code="SKD.TWK.NAS.X", name="Sub", parent_id=taxonomy["SKD.TWK.NAS"].id)


def test_stem_html_is_sanitised(make_item):
    item = make_item(stem='<p onclick="x()">Soal <script>alert(1)</script><img src=x onerror=y><b>tebal</b></p>')
    assert item.current_version.stem == "<p>Soal <b>tebal</b></p>"


def test_search_filters(make_item, make_user, taxonomy, db_session):
    writer = make_user("item_writer")
    a = make_item(author=writer, stem="Lambang negara Garuda Pancasila")
    b = make_item("weighted_options", competency_id=taxonomy["SKD.TKP.PEL"].id, stem="Warga datang mengeluh")
    make_item("true_false", stem="Pernyataan lain")

    def codes(**criteria):
        return {i.code for i in db_session.scalars(services.search_items(db_session, services.ItemFilter(**criteria)))}

    assert codes(text="garuda") == {a.code}
    assert codes(competency_id=taxonomy["SKD.TKP"].id) == {b.code}
    assert codes(type_key="weighted_options") == {b.code}
    assert codes(author_id=writer.id) == {a.code}
    assert a.code in codes(competency_id=taxonomy["SKD"].id)


def test_version_diff_marks_changes(app, make_item, db_session):
    from examserver.accounts.models import User

    item = make_item(stem="Ibu kota negara adalah")
    services.edit_item(
        db_session,
        actor(db_session.get(User, item.author_id)),
        item,
        stem="Ibu kota provinsi adalah",
        options=["Jakarta", "Bandung", "Surabaya", "Medan"],
        answer={"correct": "B"},
        shuffle=True,
    )
    changes = dict((name, ops) for name, state, ops in services.version_diff(item.versions[0], item.versions[1]))
    assert ("delete", "negara") in changes["stem"] and ("insert", "provinsi") in changes["stem"]
    assert changes["answer"] == [("delete", "A"), ("insert", "B")]


@pytest.mark.parametrize(
    "text",
    [
        "a & b",
        "Harga < 5 dan > 2",
        "baris satu\nbaris dua",
        "<p>Sudah <b>HTML</b></p>",
        "\u00a0spasi\u00a0",
        "&amp;",
    ],
)
def test_sanitise_is_idempotent(text):
    """An edit form posts the stored HTML back: a second pass must change nothing."""
    from itembank.content import sanitise

    once = sanitise(text)
    assert sanitise(once) == once


def test_plain_text_is_escaped_once():
    from itembank.content import sanitise

    assert sanitise("a & b") == "a &amp; b"
    assert sanitise("a < b") == "a &lt; b"


def test_numeric_keys_are_described_without_losing_digits():
    from itembank.item_types import item_type

    kind = item_type("numeric")
    for value in (1234567.891, 0.0001, 12.5, 3.0, 1e-7):
        answer = kind.clean_answer({"value": value, "tolerance": 0}, 0)
        assert kind.parse_answer_text(kind.describe_answer(answer), 0) == answer
