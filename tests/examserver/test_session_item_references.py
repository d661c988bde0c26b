"""What a session shows stays: session_item has no foreign keys to the item bank (their checks
locked shared rows at every start), so triggers on item, item_version and blueprint_section refuse
what the keys refused. Raw SQL, as a console or a script would send it: the database refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from examserver.delivery.models import SessionItem
from itembank import blueprints
from itembank.models import BlueprintSection
from itembank.services import Actor
from tests.conftest import login
from tests.examserver.player_client import Player


@pytest.fixture
def shown(client, exam_factory, db_session) -> SessionItem:
    """An item a started session shows."""
    candidate, exam = exam_factory()
    login(client, candidate.email)
    assert Player(client, exam.id).start().status_code == 200
    return db_session.scalars(select(SessionItem).where(SessionItem.session_id == exam.id)).first()


#: The refusal of the triggers (item versions are refused by their immutability trigger as well).
REFUSAL = "shown in an exam session|never change and are never deleted|rows are never deleted"


def refused(db_session, statement: str, **parameters) -> None:
    savepoint = db_session.begin_nested()
    with pytest.raises(IntegrityError, match=REFUSAL):
        db_session.execute(text(statement), parameters)
    savepoint.rollback()


@pytest.mark.parametrize(
    ("table", "column"), [("item", "item_id"), ("item_version", "version_id"), ("blueprint_section", "section_id")]
)
def test_a_row_a_session_shows_is_never_deleted(shown, db_session, table, column):
    row_id = getattr(shown, column)
    refused(db_session, f"DELETE FROM {table} WHERE id = :id", id=row_id)
    refused(db_session, f"UPDATE {table} SET id = id + 100000 WHERE id = :id", id=row_id)
    assert db_session.scalar(text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": row_id}) == 1


def test_a_section_of_a_scheduled_blueprint_stays_and_of_an_unscheduled_one_goes(
    shown, db_session, exam_factory, make_user, taxonomy
):
    scheduled = db_session.get(BlueprintSection, shown.section_id)
    other = next(s for s in scheduled.blueprint.sections if s.id != scheduled.id)
    refused(db_session, "DELETE FROM blueprint_section WHERE id = :id", id=other.id)  # no item shown from it here
    admin = make_user("admin")
    draft = blueprints.create_blueprint(
        db_session, Actor(admin.id, "admin"), code="DRAF", name="Draf", time_limit_minutes=10,
        delivery_mode="random", reporting_scale={"kind": "range", "min": 0, "max": 100},
        sections=[blueprints.SectionSpec(taxonomy["SKD.TWK"].id, "TWK", 1, "points_per_correct", 5, None)],
    )  # fmt: skip
    db_session.flush()
    section_id = draft.sections[0].id
    db_session.execute(text("DELETE FROM blueprint_section WHERE id = :id"), {"id": section_id})
    assert db_session.scalar(text("SELECT count(*) FROM blueprint_section WHERE id = :id"), {"id": section_id}) == 0
