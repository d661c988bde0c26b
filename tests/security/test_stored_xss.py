"""Stored XSS: hostile text typed into every free-text field comes back inert on every page.

Each field gets its own marker inside a payload with a script element, an ``onerror`` handler and
a ``javascript:`` link. Then every GET route is walked as anonymous, the candidate, the proctor,
the committee member and an admin: no HTML or XML response may contain the live markup, and each
marker must have been shown somewhere (escaped), so the walk really reached the field.
"""

from __future__ import annotations

import re

from examserver.accounts.models import User
from examserver.selection import services as selection
from examserver.selection.models import Application, Position, SelectionPeriod
from itembank.content import sanitise
from itembank.database import utcnow
from proctoring.models import ScheduleProctor
from tests.conftest import login
from tests.examserver.player_client import Player
from tests.security.conftest import PDF, build, routes, signed_in, token_of
from tests.security.test_route_matrix import assert_no_inline_code, object_ids

LIVE = [
    re.compile(r"<script>alert", re.IGNORECASE),
    re.compile(r"<img[^>]*onerror", re.IGNORECASE),
    re.compile(r"<a[^>]*href=\"?javascript:", re.IGNORECASE),
]


def payload(marker: str) -> str:
    script = f'<script>alert("{marker}")</script>'
    return f'{script}<img src=x onerror=alert("{marker}")><a href="javascript:alert(1)">{marker}</a>'


MARKUP = ("text/html", "application/atom+xml", "application/xml", "text/xml", "image/svg+xml")
FIELDS = [
    "ITEMSTEM", "ITEMOPTION", "PROCTORMSG", "PROCTORCOMMENT", "DECISIONREASON", "EXAMAPPEAL", "USERNAME",
    "PERIODTITLE", "PERIODDESC", "POSITIONTITLE", "POSITIONEDU", "DOCREASON", "SELECTIONAPPEAL", "CONFLICT",
    "FEEDBACK", "CONSULTQUESTION", "COMMENTTEXT", "COMMENTAUTHOR", "APPROVEDTEXT",
]  # fmt: skip


def test_sanitiser_keeps_no_active_content():
    for hostile in (
        payload("X"),
        '<svg><script>alert(1)</script></svg><iframe src="javascript:alert(1)"></iframe>',
        '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p><math><mi xlink:href="javascript:1">',
        '<table><td background="javascript:alert(1)">x</td></table><form action="/keluar"><button>x</button></form>',
        "<scr<script>ipt>alert(1)</script>",
    ):
        clean = sanitise(hostile)
        for pattern in (*LIVE, re.compile(r"javascript:|on\w+=|<(svg|iframe|form|math|style|img|a)\b", re.I)):
            assert not pattern.search(clean), (hostile, clean)


def test_hostile_text_in_every_field_is_rendered_inert(app, db_session, make_user, make_item, exam_factory, world):
    staff = make_user("admin")
    # Items: stem and option through the item bank service (the path of the form and the imports).
    item = make_item(stem=payload("ITEMSTEM"), options=[payload("ITEMOPTION"), "B", "C", "D"])
    # A candidate C whose sitting the watcher proctors: messages, comments, a decision, an appeal.
    candidate, exam = exam_factory()
    db_session.get(User, candidate.id).full_name = "Nama " + payload("USERNAME")[:150]
    db_session.add(ScheduleProctor(schedule_id=exam.schedule_id, proctor_id=world.watcher.id))
    db_session.commit()
    candidate_client = signed_in(app, candidate)
    player = Player(candidate_client, exam.id)
    assert player.start().status_code == 200
    watcher = signed_in(app, world.watcher)
    token = token_of(watcher)
    for action, extra in (
        ("message", {"message": payload("PROCTORMSG")}),
        ("terminate", {"comment": "Dihentikan " + payload("PROCTORCOMMENT"), "understood": "y"}),
    ):
        response = watcher.post(
            f"/pengawas/sesi/{exam.id}/tindakan",
            data={"csrf_token": token, "action": action, "category": "other.other", **extra},
        )
        assert response.status_code == 303
    response = watcher.post(
        f"/pengawas/sesi/{exam.id}/keputusan",
        data={
            "csrf_token": token,
            "decision": "warning",
            "category": "other.other",
            "reason": payload("DECISIONREASON"),
        },
    )
    assert response.status_code == 303
    appeal = candidate_client.post(
        f"/ujian/{exam.id}/sanggah", data={"csrf_token": token_of(candidate_client), "text": payload("EXAMAPPEAL")}
    )
    assert appeal.status_code == 303
    # Selection: period and position texts, a rejection reason, the applicant's appeal, a declaration.
    with app.app_context():
        period = db_session.get(SelectionPeriod, world.period.id)
        period.title, period.description = payload("PERIODTITLE"), payload("PERIODDESC")
        position = db_session.get(Position, world.application_a.position_id)
        position.title, position.education = payload("POSITIONTITLE")[:190], payload("POSITIONEDU")
        application = db_session.get(Application, world.application_a.id)
        selection.upload_document(db_session, application, "ijazah", "ijazah.pdf", PDF, _uploads(app))
        selection.submit(db_session, application)
        for document in application.documents:
            selection.check_document(
                db_session, document, staff.id, accepted=False, checklist=[], reason=payload("DOCREASON")
            )
        selection.decide_application(db_session, application, staff.id, now=utcnow())
        selection.file_appeal(db_session, application, payload("SELECTIONAPPEAL"))
        selection.declare_conflict(db_session, world.member, "3171014501980009", payload("CONFLICT"))
        db_session.commit()
    consultation_id = _public_texts(db_session, world, staff)

    ids = object_ids(db_session, world)
    seen: set[str] = set()
    walkers = [
        (None, {}),
        (world.a, {}),
        (candidate, {"session_id": exam.id}),
        (world.watcher, {"session_id": exam.id, "schedule_id": exam.schedule_id}),
        (world.member, {"schedule_id": exam.schedule_id}),
        (staff, {"session_id": exam.id, "schedule_id": exam.schedule_id, "item_id": item.id, "user_id": candidate.id,
                 "consultation_id": consultation_id}),
    ]  # fmt: skip
    from examserver import access

    for user, overrides in walkers:
        client = app.test_client()
        if user is not None:
            login(client, user.email)
        role = None if user is None else user.role
        for rule, _method in routes(app, "GET"):
            if role not in access.audience(app, rule.endpoint):
                continue
            url = build(rule, {**ids, **overrides})
            response = client.get(url)
            if response.status_code != 200:
                continue
            if response.mimetype in MARKUP:
                body = response.get_data(as_text=True)
                for pattern in LIVE:
                    assert not pattern.search(body), (role, url, pattern.pattern)
                if response.mimetype == "text/html":
                    assert_no_inline_code(body, url)
            elif response.mimetype in ("application/json", "text/csv"):
                body = response.get_data(as_text=True)  # data, never rendered as markup by the browser
            else:
                continue
            seen |= {marker for marker in FIELDS if marker in body}
        # The player reads the proctor's message from JSON into textContent; JSON is never HTML.
    state = candidate_client.get(f"/api/sesi/{exam.id}/status")
    assert state.mimetype == "application/json" and "PROCTORMSG" in state.get_data(as_text=True)
    assert seen == set(FIELDS), set(FIELDS) - seen


def _public_texts(db_session, world, staff) -> int:
    """Community feedback and consultation comments from the public (HR pages), pending and approved."""
    from datetime import date, timedelta

    from examserver.hr.models import CommunityFeedback, ConsultationComment, EvaluationPeriod, PublicConsultation

    period = EvaluationPeriod(
        code="EVAL-XSS",
        title="Evaluasi",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        created_by_id=staff.id,
    )
    now = utcnow()
    consultation = PublicConsultation(
        period_id=world.period.id, question=payload("CONSULTQUESTION"), opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1), created_by_id=staff.id,
    )  # fmt: skip
    db_session.add_all([period, consultation])
    db_session.flush()
    db_session.add_all([
        CommunityFeedback(period_id=period.id, unit="Biro", rating=1, comment=payload("FEEDBACK"), sender_hash="0"),
        ConsultationComment(consultation_id=consultation.id, topic="thresholds", text=payload("COMMENTTEXT"),
                            author=payload("COMMENTAUTHOR")[:120], sender_hash="0"),
        ConsultationComment(consultation_id=consultation.id, topic="weights", text=payload("APPROVEDTEXT"),
                            sender_hash="0", status="approved", moderated_by_id=staff.id, moderated_at=now),
    ])  # fmt: skip
    db_session.commit()
    return consultation.id


def _uploads(app):
    from pathlib import Path

    return Path(app.config["SELECTION_UPLOAD_DIR"])
