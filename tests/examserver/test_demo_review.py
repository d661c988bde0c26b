"""The demo's finished sitting, walked as the demo proctor would after the session.

Issue 7's acceptance: after the session the proctor finds the planted copier at the top of the
review queue, with the evidence. The demo (``examserver/demo/finished.py``) plants a copier
(kandidat3 copies kandidat7 on 60% of the items), a wanderer (kandidat5) and a rusher (kandidat9).
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.demo.finished import CODE
from examserver.extensions import db
from examserver.proctor.review import review_queue
from tests.conftest import demo_client


@pytest.fixture(scope="module")
def sitting(demo_app):
    """Registration number per demo email, and the finished schedule's id."""
    with demo_app.app_context():
        schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == CODE))
        rows = db.session.execute(
            select(User.email, ExamSession.registration_number)
            .join(ExamSession, ExamSession.candidate_id == User.id)
            .where(ExamSession.schedule_id == schedule.id)
        ).all()
        return {"schedule_id": schedule.id, "numbers": dict(rows)}


@pytest.fixture(scope="module")
def proctor(demo_app):
    return demo_client(demo_app, "pengawas@demo.id")


@pytest.fixture(scope="module")
def review_page(proctor, sitting) -> str:
    """The finished sitting's review page as the demo proctor gets it (a read: fetched once, as it
    costs seconds, the forensics of sixty answer sheets)."""
    response = proctor.get(f"/pengawas/jadwal/{sitting['schedule_id']}/telaah")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def queue_order(page: str, numbers: dict[str, str]) -> list[str]:
    """Demo emails in the order their registration numbers first appear on the page."""
    found = {email: page.find(number) for email, number in numbers.items() if page.find(number) >= 0}
    return sorted(found, key=found.get)


def test_the_planted_copier_and_source_head_the_review_queue(review_page, sitting):
    page = review_page
    order = queue_order(page, sitting["numbers"])
    assert len(order) == 60
    # The copier (named from the answer order: it saves each copied answer after the source) first.
    assert order[:2] == ["kandidat3@demo.id", "kandidat7@demo.id"]
    # The evidence names the partner, with a p-value far beyond chance, written as a reader writes it
    # ("p < 0,001"; the page once showed Python's "p = 1.4e-13").
    numbers = sitting["numbers"]
    evidence = re.findall(
        r"jawaban sama dengan peserta (\S+) jauh melampaui kebetulan, (p [<=] [0-9,]+)", unescape(page)
    )
    partners = dict(evidence)
    assert partners[numbers["kandidat7@demo.id"]] == partners[numbers["kandidat3@demo.id"]] == "p < 0,001"
    assert "e-" not in page.split("jauh melampaui kebetulan", 1)[1][:20]


def test_the_copying_evidence_is_far_beyond_chance(demo_app, sitting):
    """Bonferroni-adjusted over the 59 possible partners (1.4e-13 on the demo, whose forms a
    node-limited assembly makes the same on every seed however loaded the machine)."""
    with demo_app.app_context():
        schedule = db.session.get(ExamSchedule, sitting["schedule_id"])
        p_values = [
            flag.facts["p_value"] for row in review_queue(db.session, schedule) for flag in row.flags
            if flag.code == "copying"
        ]  # fmt: skip
        db.session.remove()
    assert len(p_values) == 2 and max(p_values) < 1e-6


def test_the_wanderer_and_the_rusher_are_flagged_with_their_evidence(review_page, sitting):
    page = review_page
    order = queue_order(page, sitting["numbers"])
    assert order.index("kandidat5@demo.id") < 6 and order.index("kandidat9@demo.id") < 8
    assert "meninggalkan jendela ujian 8 kali" in page
    assert "menyalin atau menempel 2 kali" in page
    assert re.search(r"\d+ jawaban diberikan kurang dari 3 detik setelah jawaban sebelumnya", page)


def test_honest_candidates_are_not_flagged_for_copying(review_page):
    page = review_page
    # Only the planted pair carries a copying flag among sixty candidates.
    assert page.count("jauh melampaui kebetulan") == 2


def test_the_demo_integrity_log_verifies(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["integrity", "verify"])
    assert result.exit_code == 0, result.output
    assert re.search(r"integrity log OK: \d+ chains", result.output)


def test_person_fit_is_written_in_the_readers_notation(review_page):
    """lz* with a decimal comma on an Indonesian page ("lz* = -2,88"), not Python's "-2.88"."""
    written = re.findall(r"lz\* = (-?[0-9.,]+)\)", review_page)
    assert written and all(re.fullmatch(r"-?\d+,\d\d", z) for z in written), written
