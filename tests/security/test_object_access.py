"""Object-level access: a user allowed on a route still reaches only their own objects.

The routes are found by walking ``app.url_map`` and the access declarations, so a new route with
an id in its URL is attacked here as soon as it is registered; a new kind of URL argument fails
the test until it is given a value below.
"""

from __future__ import annotations

from sqlalchemy import func, select

from examserver.delivery.models import Answer, ExamSession, SessionItem
from examserver.selection.models import Application, ApplicationDocument
from proctoring.models import IntegrityEvent
from tests.examserver.player_client import DEVICE
from tests.security.conftest import build, routes, send, signed_in, token_of

#: URL arguments that name something a candidate owns.
OWNED = {"session_id", "application_id", "document_id"}


def fingerprint(db_session, world) -> tuple:
    """What an attacker would want to change about B: answers, events, documents, application."""
    db_session.expire_all()
    answers = db_session.scalars(
        select(Answer.client_seq).join(SessionItem).where(SessionItem.session_id == world.exam_b.id)
    ).all()
    events = db_session.scalar(
        select(func.count(IntegrityEvent.id)).where(IntegrityEvent.session_id == world.exam_b.id)
    )
    documents = db_session.scalars(
        select(ApplicationDocument.sha256).where(ApplicationDocument.application_id == world.application_b.id)
    ).all()
    application = db_session.get(Application, world.application_b.id)
    exam = db_session.get(ExamSession, world.exam_b.id)
    return sorted(answers), events, sorted(documents), application.status, exam.status, exam.deadline_at


def test_candidate_a_never_reaches_candidate_bs_objects(app, db_session, world):
    """Every candidate route with an object id in its URL, given B's objects, answers 404 or 403."""
    client = signed_in(app, world.a)
    token = token_of(client)
    others = {
        "session_id": world.exam_b.id,
        "position": 1,
        "asset_id": 1,
        "application_id": world.application_b.id,
        "document_id": world.document_b.id,
        "code": world.period.code,
    }
    before = fingerprint(db_session, world)
    attacked = 0
    for rule, method in routes(app):
        if not _allows(app, rule, "candidate") or not OWNED & set(rule.arguments):
            continue
        url = build(rule, others, strict=True)
        response = send(client, url, method, token)
        assert response.status_code in (403, 404), (method, url, response.status_code)
        body = response.get_data(as_text=True)
        assert world.b.full_name not in body and world.application_b.registration_number not in body
        attacked += 1
    assert attacked >= 15
    # Mixed ids: A's own application with B's document.
    url = f"/seleksi/lamaran/{world.application_a.id}/dokumen/{world.document_b.id}"
    assert client.get(url).status_code == 404
    assert fingerprint(db_session, world) == before


def _allows(app, rule, role) -> bool:
    from examserver import access

    return role in access.audience(app, rule.endpoint)


def test_candidate_pages_list_only_their_own_things(app, world):
    client = signed_in(app, world.a)
    for path in ("/peserta/", "/seleksi/saya", "/akun"):
        body = client.get(path).get_data(as_text=True)
        assert world.exam_b.registration_number not in body, path
        assert world.application_b.registration_number not in body, path
        assert world.b.email not in body, path
    state = client.get(f"/api/sesi/{world.exam_a.id}/status").get_json()
    assert state["session_id"] == world.exam_a.id


def test_integrity_events_are_never_shown_to_candidates(app, db_session, world):
    """B's own pages and API carry no integrity-event record of B's session (only proctor messages)."""
    client = signed_in(app, world.b)
    kinds = set(db_session.scalars(select(IntegrityEvent.kind).where(IntegrityEvent.session_id == world.exam_b.id)))
    assert kinds  # the start and the device were logged
    state = client.get(f"/api/sesi/{world.exam_b.id}/status").get_data(as_text=True)
    for kind in kinds - {"message"}:
        assert f'"{kind}"' not in state, kind
    assert "ip" not in client.get(f"/api/sesi/{world.exam_b.id}/status").get_json()


def test_a_proctor_not_assigned_to_a_schedule_sees_none_of_it(app, db_session, world):
    """Every proctor route with an id, given B's schedule/session/decision/appeal, answers 404 or 403
    to a proctor who does not watch that schedule."""
    client = signed_in(app, world.stranger)
    token = token_of(client)
    others = {
        "schedule_id": world.exam_b.schedule_id,
        "session_id": world.exam_b.id,
        "decision_id": world.decision_b.id,
        "appeal_id": world.appeal_b.id,
    }
    before = fingerprint(db_session, world)
    attacked = 0
    for rule, method in routes(app):
        if not _allows(app, rule, "proctor") or _allows(app, rule, None) or not rule.arguments:
            continue
        url = build(rule, others, strict=True)
        response = send(client, url, method, token)
        assert response.status_code in (403, 404), (method, url, response.status_code)
        attacked += 1
    assert attacked >= 8
    for path in ("/pengawas/", "/pengawas/sanggah"):
        body = client.get(path).get_data(as_text=True)
        assert world.schedule_code_b not in body and world.exam_b.registration_number not in body, path
        assert "Saya keberatan" not in body
    assert fingerprint(db_session, world) == before


def test_the_assigned_proctor_sees_their_schedule_and_not_the_other(app, world):
    client = signed_in(app, world.watcher)
    assert client.get(f"/pengawas/jadwal/{world.exam_a.schedule_id}").status_code == 200
    assert client.get(f"/pengawas/sesi/{world.exam_a.id}").status_code == 200
    assert client.get(f"/pengawas/jadwal/{world.exam_b.schedule_id}").status_code == 404
    assert client.get(f"/pengawas/sesi/{world.exam_b.id}").status_code == 404


def test_a_committee_member_with_a_declared_relationship_reaches_none_of_that_application(app, db_session, world):
    """Every committee route with an application id refuses a member related to the applicant."""
    from examserver.selection import services

    with app.app_context():
        services.declare_conflict(db_session, world.member, world.b.nik, "Adik kandung")
        db_session.commit()
    client = signed_in(app, world.member)
    token = token_of(client)
    others = {
        "application_id": world.application_b.id,
        "document_id": world.document_b.id,
        "rubric": "interview",
    }
    before = fingerprint(db_session, world)
    attacked = 0
    for rule, method in routes(app):
        if not _allows(app, rule, "committee") or "application_id" not in rule.arguments:
            continue
        url = build(rule, others, strict=True)
        response = send(client, url, method, token)
        assert response.status_code == 403, (method, url, response.status_code)
        attacked += 1
    assert attacked >= 6
    assert client.get(f"/seleksi/panitia/lamaran/{world.application_a.id}").status_code == 200
    assert fingerprint(db_session, world) == before


def test_a_session_serves_only_the_images_of_its_own_items(app, db_session, world, make_item):
    """An image of an item outside A's session is 404 through A's session; one inside is served."""
    from itembank.models import ItemAsset, ItemVersionAsset

    other = make_item(stem="Soal bergambar yang tidak ada di sesi A")
    own_version = db_session.get(ExamSession, world.exam_a.id).items[0].version_id
    assets = {}
    for name, digest, version_id in (("other", "e", other.current_version.id), ("own", "f", own_version)):
        asset = ItemAsset(
            sha256=digest * 64, content_type="image/png", size=8, width=1, height=1, data=b"\x89PNG\r\n\x1a\n",
            uploaded_by_id=world.member.id,
        )  # fmt: skip
        db_session.add(asset)
        db_session.flush()
        db_session.add(ItemVersionAsset(version_id=version_id, asset_id=asset.id))
        assets[name] = asset.id
    db_session.commit()
    client = signed_in(app, world.a)
    client.set_cookie("ujian_perangkat", DEVICE)  # the browser holding A's exam (others get 409)
    assert client.get(f"/api/sesi/{world.exam_a.id}/aset/{assets['other']}").status_code == 404
    assert client.get(f"/api/sesi/{world.exam_b.id}/aset/{assets['own']}").status_code == 404
    own = client.get(f"/api/sesi/{world.exam_a.id}/aset/{assets['own']}")
    assert own.status_code == 200 and own.headers["Content-Type"] == "image/png"


def test_reporters_identities_and_evidence_reach_inspectors_only(app, db_session, make_user, world):
    """Every GET page, for the public and every role but the inspectorate, with the ids of the world's
    complaint and evidence: the reporter's name and the evidence file never appear."""
    from examserver.accounts.roles import ROLES
    from tests.security.conftest import PDF, REPORTER
    from tests.security.test_route_matrix import object_ids

    ids = object_ids(db_session, world)
    users = {"candidate": world.a, "proctor": world.watcher, "committee": world.member}
    walked = 0
    for role in [None, *(r for r in ROLES if r != "inspector")]:
        client = app.test_client() if role is None else signed_in(app, users.get(role) or make_user(role))
        for rule, _method in routes(app, "GET"):
            if rule.endpoint in {"auth.logout", "auth.logout_everywhere"}:
                continue
            body = client.get(build(rule, ids)).data
            assert REPORTER.encode() not in body and PDF not in body, (role, rule.rule)
            walked += 1
    assert walked > 100
    inspector = signed_in(app, make_user("inspector"))
    assert REPORTER.encode() in inspector.get(f"/inspektorat/kasus/{world.complaint.id}").data
    assert inspector.get(f"/inspektorat/kasus/{world.complaint.id}/bukti/{world.evidence_id}").data == PDF
