"""A small world of two candidates, two proctors and a committee member for the attack tests.

Candidate A and candidate B each sit a running exam (separate schedules), each applied in one
selection period with a document uploaded; B's session has a proctor decision and B's appeal
against it. Proctor ``watcher`` watches A's schedule only; ``stranger`` watches nothing. A named
complaint with evidence about the period was concluded substantiated by an inspector, who
proposed a warning to the committee member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from examserver import access
from examserver.accounts.models import User
from examserver.delivery.models import ExamSession
from examserver.oversight import services as oversight
from examserver.oversight.models import Complaint, Evidence, Sanction
from examserver.selection import services as selection
from examserver.selection.models import Application, ApplicationDocument, SelectionPeriod
from examserver.selection.rules import default_rules_json
from itembank.database import utcnow
from proctoring import services as proctoring
from proctoring.models import Appeal, ProctorDecision, ScheduleProctor
from tests.conftest import PASSWORD, login
from tests.examserver.player_client import Player

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')


def signed_in(app, user: User) -> FlaskClient:
    """A new test client signed in as ``user``."""
    client = app.test_client()
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def token_of(client: FlaskClient, path: str = "/akun") -> str:
    """A valid CSRF token of ``client``'s session (from the account page's forms)."""
    match = TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def routes(app, method: str | None = None):
    """Every (rule, method) of the app but static, HEAD and OPTIONS, in a stable order."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for verb in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method is None or verb == method:
                yield rule, verb


def audience(app, rule: Rule) -> list[str | None]:
    return list(access.audience(app, rule.endpoint))


def build(rule: Rule, values: dict[str, object], *, strict: bool = False) -> str:
    """The URL of ``rule`` with ``values``.

    An argument without a value gets a sample of its type (so a route added later is still walked;
    its id then names nothing, which an allowed role sees as 404). ``strict`` instead fails naming
    the argument: the object-level tests must be told whose object a new kind of id names.
    """
    missing = set(rule.arguments) - set(values)
    assert not (strict and missing), f"{rule.rule}: add a value for {sorted(missing)} to the security tests"
    samples = {name: 1 if type(rule._converters[name]).__name__ == "IntegerConverter" else "contoh" for name in missing}
    return rule.build({**samples, **{name: values[name] for name in rule.arguments if name in values}})[1]


def send(client: FlaskClient, url: str, method: str, token: str | None = None, **kwargs):
    """A request as the app's own pages send it: JSON to /api/, a form elsewhere."""
    headers = {"X-CSRFToken": token} if token and url.startswith("/api/") else {}
    if method in STATE_CHANGING:
        if url.startswith("/api/"):
            kwargs.setdefault("json", {"client_id": "perangkat-penyerang-01", "saves": []})
        else:
            data = {"csrf_token": token} if token else {}
            kwargs.setdefault("data", data)
    return client.open(url, method=method, headers=headers, **kwargs)


@dataclass
class World:
    a: User
    b: User
    exam_a: ExamSession
    exam_b: ExamSession
    schedule_code_b: str
    watcher: User
    stranger: User
    member: User
    decision_b: ProctorDecision
    appeal_b: Appeal
    period: SelectionPeriod
    application_a: Application
    application_b: Application
    document_a: ApplicationDocument
    document_b: ApplicationDocument
    complaint: Complaint
    evidence_id: int
    sanction: Sanction


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "SELECTION_UPLOAD_DIR", str(folder))
    monkeypatch.setitem(app.config, "OVERSIGHT_UPLOAD_DIR", str(tmp_path / "evidence"))
    return folder


@pytest.fixture
def world(app, db_session, make_user, exam_factory, uploads) -> World:
    a, exam_a = exam_factory()
    b, exam_b = exam_factory()
    for candidate, exam in ((a, exam_a), (b, exam_b)):
        player = Player(signed_in(app, candidate), exam.id)
        assert player.start().status_code == 200
        assert player.save({"position": 1, "seq": 1, "response": "1"}).status_code == 200
    for user, nik in ((a, "3171014501980001"), (b, "3171014501980002")):
        user.nik = db_session.get(User, user.id).nik = nik  # the request ended the session that loaded it
    watcher, stranger, member = make_user("proctor"), make_user("proctor"), make_user("committee")
    db_session.add(ScheduleProctor(schedule_id=exam_a.schedule_id, proctor_id=watcher.id))
    with app.app_context():
        decision = proctoring.decide(
            db_session, exam_b.id, decision="warning", category="other.other", reason="Peringatan untuk uji keamanan",
            actor_id=watcher.id,
        )  # fmt: skip
        db_session.flush()
        appeal = proctoring.file_appeal(
            db_session, decision, text="Saya keberatan dengan peringatan ini, mohon ditinjau."
        )
        now = utcnow()
        period = selection.save_period(
            db_session, None, actor_id=member.id, code="SECPER", title="Seleksi uji keamanan", agency="Instansi",
            description="", applications_open_at=now - timedelta(days=1), applications_close_at=now + timedelta(days=1),
            appeal_days=3, schedule_id=None, rules=default_rules_json(),
            stages={"administrative": (now + timedelta(days=1), now + timedelta(days=3))},
        )  # fmt: skip
        position = selection.save_position(
            db_session, period, None, code="ANALIS", agency="Instansi", title="Analis", unit="Biro", location="Jakarta",
            quota=1, education="S-1", categories=["general"], required_documents=["ktp", "ijazah"],
            competency_profile={"integritas": 3},
        )  # fmt: skip
        applications, documents = [], []
        for candidate in (a, b):
            application = selection.apply(
                db_session, period, position, candidate, category="general", education_score=3.5,
                birth_date=now.date().replace(year=1998),
            )  # fmt: skip
            documents.append(selection.upload_document(db_session, application, "ktp", "ktp.png", PNG, uploads))
            applications.append(application)
        inspector = make_user("inspector")
        complaint, evidence_id, sanction = _complaint(
            db_session, period, member, inspector, uploads.parent / "evidence"
        )
        db_session.commit()
    return World(
        a=a, b=b, exam_a=exam_a, exam_b=exam_b, schedule_code_b=exam_b.schedule.code, watcher=watcher,
        stranger=stranger, member=member, decision_b=decision, appeal_b=appeal, period=period,
        application_a=applications[0],
        application_b=applications[1], document_a=documents[0], document_b=documents[1], complaint=complaint,
        evidence_id=evidence_id, sanction=sanction,
    )  # fmt: skip


#: The reporter's name in the world's complaint: no page but the inspectorate's may show it.
REPORTER = "Pelapor Rahasia Keamanan"


def _complaint(db_session, period, member, inspector, folder) -> tuple[Complaint, int, Sanction]:
    filed = oversight.file_complaint(
        db_session, period, category="bribery", subject_kind="committee", upload_dir=folder,
        description="Anggota panitia meminta uang agar dokumen pelamar diterima pada verifikasi.",
        reporter_name=REPORTER, files=[oversight.EvidenceFile("bukti.pdf", PDF)],
    )  # fmt: skip
    case = filed.complaint
    for status in ("assessed", "investigating"):
        oversight.advance(db_session, case, status, reason="Langkah pemeriksaan uji keamanan.", actor_id=inspector.id)
    oversight.advance(
        db_session, case, "concluded", reason="Terbukti dalam uji keamanan.", actor_id=inspector.id,
        outcome="substantiated", public_conclusion="Pengaduan terbukti; sanksi diusulkan.",
    )  # fmt: skip
    terms = oversight.SanctionTerms(kind="warning", person_email=member.email, reason="Teguran untuk uji keamanan.")
    sanction = oversight.propose_sanction(db_session, case, terms, actor_id=inspector.id, today=utcnow().date())
    evidence_id = db_session.scalar(select(Evidence.id).where(Evidence.complaint_id == case.id))
    return case, evidence_id, sanction
