"""The committee's at-risk page on the demo: the flag, outreach targets, exports, the chart, the
forecast against what happened, and a refresh as applications come in."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from examserver.accounts import services as accounts
from examserver.demo.selection import PERIOD
from examserver.extensions import db
from examserver.selection import services
from examserver.selection.models import Position, SelectionPeriod
from examserver.selection.risk import at_risk
from tests.conftest import demo_client


def _period_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(SelectionPeriod.id).where(SelectionPeriod.code == PERIOD))


def _csv_rows(client, period_id: int) -> dict[str, dict[str, str]]:
    response = client.get(f"/seleksi/panitia/periode/{period_id}/formasi-rawan.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="formasi-rawan-CPNS-DEMO-2026.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return {row["Formasi"]: row for row in rows}


def test_the_demo_flags_the_position_nobody_applied_to_with_outreach_targets(demo_app):
    period_id = _period_id(demo_app)
    client = demo_client(demo_app, "panitia@demo.id")
    page = client.get(f"/seleksi/panitia/periode/{period_id}/formasi-rawan").get_data(as_text=True)
    assert "Statistisi Ahli Pertama" in page and "di bawah 1 finalis per kursi" in page
    assert page.count('class="flagged"') == 1
    assert "Sasaran sosialisasi" in page and "S-1 Statistik" in page
    assert "<svg" in page and 'viewBox="0 0 360 ' in page and "<script" not in page.split("<main", 1)[1]
    # Indonesian number formatting: a decimal comma in the expected pass rate and per-seat figures.
    table = page.split('id="at-risk"', 1)[1].split("</table>", 1)[0]
    assert re.search(r"\d,\d%", table) and re.search(r">\d+,\d\d <", table) and not re.search(r"\d\.\d\d", table)
    rows = _csv_rows(client, period_id)
    assert rows["STATISTISI"]["Ditandai"] == "ya" and rows["STATISTISI"]["Pelamar"] == "0"
    assert {rows[c]["Ditandai"] for c in ("ANALIS-KEU", "ANALIS-SDM", "PRANATA-KOMP")} == {"tidak"}
    assert rows["STATISTISI"]["Jenjang"] == "Sarjana (S-1)"  # a label, not the code S1
    regions = rows["STATISTISI"]["Sasaran wilayah"]
    assert any(name in regions for name in ("DKI Jakarta", "Jawa Barat", "Sulawesi Selatan", "Papua"))
    assert rows["ANALIS-KEU"]["Sasaran wilayah"] == ""  # targets only for flagged positions
    # The SKD result is announced: the actual number who passed stands beside the forecast.
    for code, row in rows.items():
        assert int(row["Batas bawah"]) <= int(row["Lulus sebenarnya"]) <= int(row["Batas atas"]), code
        assert row["Dalam interval"] == "ya"


def test_the_xlsx_export_has_the_same_rows(demo_app):
    period_id = _period_id(demo_app)
    client = demo_client(demo_app, "panitia@demo.id")
    expected = _csv_rows(client, period_id)
    response = client.get(f"/seleksi/panitia/periode/{period_id}/formasi-rawan.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.values)
    header, body = values[0], values[1:]
    assert list(header) == list(next(iter(expected.values())).keys())
    assert {row[0]: str(row[header.index("Ditandai")]) for row in body} == {
        code: row["Ditandai"] for code, row in expected.items()
    }


def test_candidates_and_the_public_cannot_read_the_analysis(demo_app):
    period_id = _period_id(demo_app)
    for suffix in ("", ".csv", ".xlsx"):
        url = f"/seleksi/panitia/periode/{period_id}/formasi-rawan{suffix}"
        assert demo_client(demo_app, "kandidat1@demo.id").get(url).status_code == 403
        anonymous = demo_app.test_client().get(url)
        assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/masuk")


def test_the_forecast_follows_the_applications_as_they_come_in(own_demo):
    app = own_demo("risk-refresh")
    with app.test_request_context():
        period = db.session.scalar(select(SelectionPeriod).where(SelectionPeriod.code == PERIOD))
        position = db.session.scalar(select(Position).where(Position.code == "STATISTISI"))
        before = next(r for r in at_risk(db.session, period).rows if r.position.id == position.id)
        assert before.flagged and before.expected == 0
        moment = period.applications_open_at + timedelta(days=1)
        for n in range(4):
            user = accounts.create_user(
                db.session, email=f"statistik{n}@contoh.id", full_name=f"Pelamar {n}", role="candidate",
                password="rahasia-panjang-123",
            )  # fmt: skip
            application = services.apply(
                db.session, period, position, user, category="general", education_score=3.4,
                birth_date=date(1998, 1, 1 + n), now=moment,
            )  # fmt: skip
            application.status, application.submitted_at = "submitted", moment  # awaiting verification
            db.session.flush()
            rows = {r.position.code: r for r in at_risk(db.session, period).rows}
            assert rows["STATISTISI"].applicants == n + 1 and rows["STATISTISI"].pending == n + 1
        after = rows["STATISTISI"]
        # Four applicants at the S-1 pass rate of the earlier sitting for two seats: no longer flagged.
        assert after.expected == pytest.approx(rows["ANALIS-KEU"].pass_rate * 4) and not after.flagged
        assert after.lower <= after.expected <= after.upper
        db.session.rollback()


def test_the_education_level_is_read_from_the_qualification_as_committees_write_it():
    from examserver.selection.qualifications import education_level, qualification

    cases = {
        "S-1 Akuntansi, IPK minimal 3,00": "S1",
        "S1 Informatika": "S1",
        "D-III Administrasi Perkantoran": "D3",
        "D-IV Keperawatan": "D4",
        "S-2 Kebijakan Publik": "S2",
        "SMA/SMK sederajat": "SMA",
        "Sarjana Terapan Statistik": "D4",
        "Pengalaman kerja 2 tahun": "unknown",
    }
    assert {text: education_level(text) for text in cases} == cases
    assert qualification("S-1 Akuntansi, IPK minimal 3,00") == "S-1 Akuntansi"
