"""SQL statements per request on the candidate's hot path (issue 16): each request through the test
client on the demo's DEMO-SKD sitting (a fixed form of 15 items), counted with SQLAlchemy's
``before_cursor_execute`` (an executemany is one), against a budget of what the lean path needs.

A test fails when a change adds a statement to one of these requests: a save is what every
candidate sends every minute, so one more statement there is one more per candidate per minute.
SQLite opens each transaction with its own ``BEGIN IMMEDIATE`` statement (counted here).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from examserver.delivery.models import Answer, ExamSession, SessionItem
from examserver.extensions import db
from proctoring.models import LogEntry
from tests.conftest import demo_client
from tests.examserver.player_browser import session_id
from tests.examserver.player_client import Player

#: Statements per request on SQLite: its BEGIN IMMEDIATE (1), the login session with its user (1),
#: and what the request itself needs (PostgreSQL sends no BEGIN; its chain lock rides on the save's UPDATE).
BUDGET = {
    "ping": 2,
    "save_1": 6,  # + the session row (UPDATE ... RETURNING), the items with answers, chain head,
    #               latest checkpoint and newest message (one SELECT), the upsert, the chain insert
    "save_10": 6,  # the same statements for a batch of ten
    "status": 4,  # + the session with its items and answers, the proctor's messages
    "one_item": 3,  # + the session with the item and its answer (item versions are kept in process)
    "all_items": 3,  # + the session with every item and answer
    "start": 10,  # + the common resume's UPDATE (it matches no row: not started yet),
    #              the session locked with its schedule, blueprint and sections, its forms, the form's
    #              entries (one statement; a random form reads every section's pool in one), the draw in
    #              one insert, the start written (with the chain's lock on PostgreSQL), the chain's head
    #              with the previous start and whether a proctor wrote, the start event and its chain
    #              entry; the reply is built from the draw (no answers yet), not read back
    "resume": 6,  # + the session seen on its device within its deadline (UPDATE ... RETURNING, with the
    #              chain's lock on PostgreSQL; the session is not loaded), the chain's head with the
    #              previous start, the resume event and its chain entry, the reply's session rows before
    #              the commit (the proctor's messages only when there are some)
    "live_room": 8,  # + the schedule, the proctor's account and assignment, the room's sessions with
    #                 their names, grouped events, grouped progress (the same for 20 candidates or 2,000)
    "schedule_page": 12,  # + the schedule with its blueprint, its sessions, their results, the proctors,
    #                      the assignments, the names, grouped progress, decisions and appeals
    "submit": 14,  # + the session locked, its schedule with blueprint and sections (one statement),
    #               the end (UPDATE ... RETURNING, which takes the chain's lock on PostgreSQL), the
    #               answer sheet (the session's items with their item type, version key, current
    #               parameters and answer: one statement), the result, the chain's tail, the end
    #               events, the platform head with the sitting's receipts, the entries of both chains
    #               (one insert), the checkpoint, the receipt, the sitting's root (the reply is
    #               built before the commit, so nothing is read again after it).
    #               PostgreSQL sends no BEGIN, and one statement for the platform and sitting locks.
    "expiry": 12,  # not a request: the sweeper's pass over one overdue session, BEGIN, the overdue
    #               sessions with their schedules, blueprints and sections (one statement), then the
    #               submit's statements from the end to the sitting's root
}


@pytest.fixture(scope="module")
def app(own_demo):
    return own_demo("statement-budget")


@contextmanager
def counted(app):
    """Count the statements sent to the database inside the block: ``with counted(app) as n: ...; n[0]``."""
    seen = [0]

    def count(conn, cursor, statement, *args, **kwargs):
        seen[0] += 1
        if os.environ.get("SHOW_SQL"):  # SHOW_SQL=1 pytest -s ...: which statements a request sends
            print("SQL:", " ".join(statement.split())[:160])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture(scope="module")
def player(app):
    """Candidate 17 with the DEMO-SKD session started, every item read once (as the player does) and
    every item answered once in one batch (the first save checkpoints the new chain; the next ones until 50 entries
    or two minutes later do not, see ``integrity.CHECKPOINT_EVERY_ENTRIES``)."""
    client = demo_client(app, "kandidat17@demo.id")
    player = Player(client, session_id(app, 17))
    assert player.start().status_code == 200
    assert client.get(f"/api/sesi/{player.exam_id}/butir").status_code == 200
    first = [{"position": position, "seq": 1, "response": "1"} for position in range(1, 16)]
    assert player.save(*first).status_code == 200
    return player


def saved(app, exam_id: int) -> dict[int, tuple[int, object]]:
    """What the server holds per position: (sequence, response in option letters)."""
    with app.app_context():
        rows = db.session.execute(
            select(SessionItem.position, Answer.client_seq, Answer.response)
            .join(Answer, Answer.session_item_id == SessionItem.id)
            .where(SessionItem.session_id == exam_id)
        )
        return {position: (seq, response) for position, seq, response in rows}


def chain_length(app, exam_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(LogEntry.id)).where(LogEntry.chain_id == exam_id))


def test_ping_reads_only_the_sign_in(app, player):
    with counted(app) as n:
        assert player.client.get("/ujian/ping").status_code == 200
    assert n[0] <= BUDGET["ping"], n[0]


def test_a_save_of_one_answer_stays_within_its_budget_and_is_stored(app, player):
    before = chain_length(app, player.exam_id)
    with counted(app) as n:
        response = player.save({"position": 3, "seq": 2, "response": "2"})
    assert response.status_code == 200
    assert response.get_json()["saved"] == [{"position": 3, "seq": 2, "applied": True}]
    assert n[0] <= BUDGET["save_1"], n[0]
    seq, response = saved(app, player.exam_id)[3]
    assert seq == 2 and response in "ABCDE"  # stored as the option letter shown second
    assert chain_length(app, player.exam_id) == before + 1


def test_a_batch_of_ten_saves_costs_what_one_does(app, player):
    saves = [{"position": p, "seq": 5, "response": "1"} for p in range(4, 14)]
    before = chain_length(app, player.exam_id)
    with counted(app) as n:
        response = player.save(*saves)
    assert response.status_code == 200
    assert all(ack["applied"] for ack in response.get_json()["saved"])
    assert n[0] <= BUDGET["save_10"], n[0]
    held = saved(app, player.exam_id)
    assert all(held[p][0] == 5 for p in range(4, 14))
    assert chain_length(app, player.exam_id) == before + 10


def test_a_replayed_and_a_stale_save_change_nothing_within_the_budget(app, player):
    assert player.save({"position": 2, "seq": 9, "response": "1"}).status_code == 200
    held = saved(app, player.exam_id)[2]
    before = chain_length(app, player.exam_id)
    with counted(app) as n:
        response = player.save({"position": 2, "seq": 9, "response": "3"}, {"position": 2, "seq": 4, "response": "4"})
    assert response.get_json()["saved"] == [
        {"position": 2, "seq": 9, "applied": False},
        {"position": 2, "seq": 9, "applied": False},
    ]
    assert n[0] <= BUDGET["save_1"], n[0]
    assert saved(app, player.exam_id)[2] == held
    assert chain_length(app, player.exam_id) == before


def test_status_stays_within_its_budget(app, player):
    with counted(app) as n:
        state = player.state()
    assert state["status"] == "in_progress" and state["reached"] == 15
    assert n[0] <= BUDGET["status"], n[0]


def test_one_item_stays_within_its_budget(app, player):
    with counted(app) as n:
        response = player.item(7)
    assert response.status_code == 200 and response.get_json()["position"] == 7
    assert n[0] <= BUDGET["one_item"], n[0]


def test_all_items_stay_within_their_budget(app, player):
    with counted(app) as n:
        response = player.client.get(f"/api/sesi/{player.exam_id}/butir")
    assert response.status_code == 200 and len(response.get_json()["items"]) == 15
    assert n[0] <= BUDGET["all_items"], n[0]


def test_a_start_draws_the_form_within_its_budget(app):
    """A random form's start reads each section's pool in one statement and writes the draw in one
    insert: every section gets its count of distinct items from its own pool, at their current versions."""
    from itembank.blueprints import section_pool
    from itembank.item_types import letters
    from itembank.models import BlueprintSection

    client = demo_client(app, "kandidat19@demo.id")
    other = Player(client, session_id(app, 19))
    with counted(app) as n:
        response = other.start()
    assert response.status_code == 200, response.get_data(as_text=True)
    assert n[0] <= BUDGET["start"], n[0]
    with app.app_context():
        drawn = db.session.scalars(select(SessionItem).where(SessionItem.session_id == other.exam_id)).all()
        assert [si.position for si in sorted(drawn, key=lambda si: si.position)] == list(range(1, len(drawn) + 1))
        assert len({si.item_id for si in drawn}) == len(drawn)
        for section_id in {si.section_id for si in drawn}:
            section = db.session.get(BlueprintSection, section_id)
            pool = {item.id: item.current_version.id for item in section_pool(db.session, section)}
            mine = [si for si in drawn if si.section_id == section_id]
            assert len(mine) == section.item_count
            assert all(pool.get(si.item_id) == si.version_id for si in mine)
            assert all(sorted(si.option_order) == letters(len(si.version.options)) for si in mine)


def test_the_lean_pool_is_the_pool(app):
    """The one-statement pool (:func:`section_pool_entries`, which :func:`section_pool` also reads)
    holds, for every section of the demo, the operational items under the section's competency or one
    below it that have a current parameter, by code, at their newest versions: the rule written out
    here from the ORM objects, item by item."""
    from itembank.blueprints import DELIVERABLE, section_pool, section_pool_entries
    from itembank.models import BlueprintSection, Item
    from itembank.services import descendant_ids

    with app.app_context():
        sections = db.session.scalars(select(BlueprintSection)).all()
        assert sections
        for section in sections:
            subtree = set(descendant_ids(db.session, section.competency_id))
            items = db.session.scalars(select(Item).order_by(Item.code)).all()
            expected = [
                (item.id, max(item.versions, key=lambda v: v.number).id)
                for item in items
                if item.competency_id in subtree
                and item.status in DELIVERABLE
                and any(p.is_current for p in item.parameters)
            ]
            lean = [(entry.item_id, entry.version_id) for entry in section_pool_entries(db.session, section)]
            assert lean == expected, section.title
            assert [(item.id, item.current_version.id) for item in section_pool(db.session, section)] == expected


def test_resume_stays_within_its_budget(app, player):
    with counted(app) as n:
        response = player.start()
    assert response.status_code == 200 and response.get_json()["status"] == "in_progress"
    assert n[0] <= BUDGET["resume"], n[0]


def test_a_submit_reads_the_answer_sheet_in_a_few_statements_and_scores_as_before(app):
    """The submit loads the whole sheet at once (it read four rows per item, one by one); the score
    it stores is the one the scoring function gives on the session read afresh."""
    from examserver.delivery.models import SessionResult
    from examserver.delivery.scoring import read_sheet, score_session

    client = demo_client(app, "kandidat18@demo.id")
    other = Player(client, session_id(app, 18))
    assert other.start().status_code == 200
    answers = [{"position": p, "seq": 1, "response": str(1 + p % 3)} for p in range(1, 16)]
    assert other.save(*answers).status_code == 200
    with counted(app) as n:
        response = other.submit()
    assert response.status_code == 200, response.get_data(as_text=True)
    assert n[0] <= BUDGET["submit"], n[0]
    with app.app_context():
        stored = db.session.get(SessionResult, other.exam_id)
        again = score_session(db.session.get(ExamSession, other.exam_id), read_sheet(db.session, other.exam_id))
        assert (stored.total_raw, stored.sections, stored.passed) == (
            again["total_raw"],
            again["sections"],
            again["passed"],
        )
        assert stored.total_raw > 0


def test_the_sweeper_ends_an_overdue_session_within_its_budget_and_the_log_verifies(app):
    """The sweeper's pass over one session past its deadline and grace: ended at its deadline,
    scored, its outcome chained, checkpointed and sealed in a fixed number of statements (the same
    for 15 items or 110), and the whole log still verifies."""
    from datetime import timedelta

    from examserver.delivery.services import expire_overdue
    from itembank.database import utcnow
    from proctoring import chain
    from proctoring.models import Checkpoint, Receipt

    client = demo_client(app, "kandidat16@demo.id")
    other = Player(client, session_id(app, 16))
    assert other.start().status_code == 200
    answers = [{"position": p, "seq": 1, "response": str(1 + p % 4)} for p in range(1, 16)]
    assert other.save(*answers).status_code == 200
    with app.app_context():
        deadline = utcnow() - timedelta(hours=1)
        db.session.get(ExamSession, other.exam_id).deadline_at = deadline
        db.session.commit()
        checkpoints = db.session.scalar(select(func.count(Checkpoint.id)))
    with app.app_context(), counted(app) as n:
        assert expire_overdue(db.session, now=utcnow()) == 1
        db.session.commit()
    assert n[0] <= BUDGET["expiry"], n[0]
    with app.app_context():
        exam = db.session.get(ExamSession, other.exam_id)
        assert exam.status == "expired" and exam.ended_at == deadline and exam.result is not None
        assert db.session.scalar(select(func.count(Checkpoint.id))) == checkpoints + 1
        last = db.session.scalar(
            select(LogEntry).where(LogEntry.chain_id == other.exam_id).order_by(LogEntry.position.desc()).limit(1)
        )
        receipt = db.session.get(Receipt, other.exam_id)
        assert last.record_type == "checkpoint" and (receipt.chain_size, receipt.final_head) == (
            last.position,
            last.entry_hash,
        )
        assert chain.verify(db.session).ok


def test_the_live_room_and_the_schedule_page_stay_within_their_budgets(app, player):
    """The demo's DEMO-SKD room of 20 candidates: the page, its refresh (every row, then only the rows
    changed since the token) and the committee's schedule page each within a budget that does not
    count candidates, and candidate 17's row shows answered of shown as numbers, as the database holds them."""
    with app.app_context():
        schedule_id = db.session.get(ExamSession, player.exam_id).schedule_id
        shown = db.session.scalar(select(func.count(SessionItem.id)).where(SessionItem.session_id == player.exam_id))
    answered = len(saved(app, player.exam_id))
    assert shown == 15 and answered == 15
    proctor = demo_client(app, "pengawas@demo.id")
    with counted(app) as n:
        page = proctor.get(f"/pengawas/jadwal/{schedule_id}").get_data(as_text=True)
    assert n[0] <= BUDGET["live_room"], n[0]
    assert "built-in method" not in page
    assert f'data-session="{player.exam_id}"' in page and f'data-field="answered">{answered}/{shown}<' in page
    url = f"/pengawas/jadwal/{schedule_id}/langsung.json"
    with counted(app) as n:
        full = proctor.get(url).get_json()
    assert n[0] <= BUDGET["live_room"], n[0]
    assert full["full"] and len(full["rows"]) == 20
    assert player.save({"position": 1, "seq": 50, "response": "2"}).status_code == 200
    with counted(app) as n:
        changed = proctor.get(f"{url}?sejak={full['token']}").get_json()
    assert n[0] <= BUDGET["live_room"], n[0]
    assert not changed["full"] and player.exam_id in [row["id"] for row in changed["rows"]]
    assert len(changed["rows"]) < 20  # the 17 seated candidates who never started have not changed
    committee = demo_client(app, "panitia@demo.id")
    with counted(app) as n:
        schedule_page = committee.get(f"/ujian/jadwal/{schedule_id}")
    assert schedule_page.status_code == 200 and n[0] <= BUDGET["schedule_page"], n[0]
    assert f'<td class="num">{answered} / {shown}</td>' in schedule_page.get_data(as_text=True)
