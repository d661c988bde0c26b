"""The acceptance walk of issue 9: an HR officer opens a new hire's profile, sees the gaps with their
uncertainty and a development plan, opens the cohort heat map, builds a training plan within a
budget and exports it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from examserver.hr.models import DevelopmentPlan, TrainingPlan, TrainingPlanAssignment, TrainingProgramme
from tests.conftest import csrf_token
from tests.examserver.hr_workforce import build_world

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def world(app, db_session, taxonomy):
    return build_world(db_session, taxonomy)


def _row(html: str, code: str) -> str:
    """The table row of one competency on the profile page, tags stripped."""
    match = re.search(rf'<tr>\s*<td>[^<]*<span class="small">{re.escape(code)}</span>.*?</tr>', html, re.S)
    assert match, code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_hr_officer_walks_from_a_new_hire_to_an_exported_budget_plan(client, db_session, login_as, world):
    login_as("hr_officer")
    ani = world.new_hire

    # The employee list links to the new hire, marked new, with one credible gap.
    listing = client.get("/sdm/pegawai").get_data(as_text=True)
    assert f'href="/sdm/pegawai/{ani.id}"' in listing and "Ani Wulandari" in listing

    # Profile: θ with SE and its 95% range; TWK is a credible gap (z = 3.3), TKP is not (z = 0.5).
    page = client.get(f"/sdm/pegawai/{ani.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    twk, tkp = _row(html, "SKD.TWK"), _row(html, "SKD.TKP")
    assert "-0,50 0,30 -1,09 … 0,09 0,50 +1,00 100% ya" in twk
    assert "0,30 0,40 -0,48 … 1,08 0,50 +0,20 69% belum pasti" in tkp
    # Plan: orientation first (new hire), then the TWK programme; nothing for the uncertain TKP gap.
    plan_section = html[html.index('id="rencana"') :]
    assert plan_section.index("Program ORIENT") < plan_section.index("Program TWK-1")
    assert "Program TKP-1" not in plan_section
    assert "Orientasi wajib bagi setiap pegawai baru." in plan_section
    assert "Menutup perkiraan 0,60 logit kesenjangan pada Wawasan Kebangsaan (" in plan_section

    # Saving the plan stores it in that order.
    response = client.post(
        f"/sdm/pegawai/{ani.id}/rencana", data={"csrf_token": csrf_token(client, f"/sdm/pegawai/{ani.id}")}
    )
    assert response.status_code == 303
    saved = db_session.scalar(select(DevelopmentPlan).where(DevelopmentPlan.employee_id == ani.id))
    assert [(i.rank, i.programme.code, i.reason_code) for i in saved.items] == [
        (1, "ORIENT", "orientation"),
        (2, "TWK-1", "closes_gap"),
    ]
    assert saved.credible_gap_before == pytest.approx(1.0) and saved.credible_gap_after == pytest.approx(0.4)

    # Cohort heat map by unit, then by region: a server-drawn PNG and the same numbers as a table.
    cohort = client.get("/sdm/kohort?per=unit").get_data(as_text=True)
    assert "/sdm/kohort/peta.png?per=unit" in cohort and "Biro Umum" in cohort and "Dinas Layanan" in cohort
    image = client.get("/sdm/kohort/peta.png?per=region&ukuran=gap")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(PNG)
    assert len(image.data) > 5_000
    # Biro Umum: Ani and Bayu have credible TWK gaps (2 of 3), Citra a credible TKP gap (1 of 3).
    biro = re.search(r"<tr><td>Biro Umum</td>.*?</tr>", cohort, re.S).group(0)
    assert re.findall(r"(\d+)%", biro) == ["33", "67"]  # SKD.TKP, SKD.TWK (columns ordered by code)

    # A budget plan: orientation for the two new hires is forced; 4.5 million is enough for that and one run.
    token = csrf_token(client, "/sdm/rencana-pelatihan")
    response = client.post(
        "/sdm/rencana-pelatihan",
        data={
            "csrf_token": token,
            "title": "Rencana uji",
            "budget": "4.500.000",
            "grouping": "all",
            "orientation": "y",
        },
    )
    assert response.status_code == 303
    plan = db_session.scalar(select(TrainingPlan).where(TrainingPlan.title == "Rencana uji"))
    assert plan.total_cost <= plan.budget == 4_500_000 and plan.is_optimal
    lines = {line.programme.code: (line.runs, line.participants, line.cost) for line in plan.lines}
    assert lines["ORIENT"] == (1, 2, 3_000_000)
    # 1.5 million left buys one run of one programme: TWK-1 closes 0.6 + 0.6 (Ani, Bayu) = 1.2 logits,
    # TKP-1 closes 0.6 + 0.6 (Citra, Dedi) = 1.2 as well; either way exactly one gap programme.
    assert len(lines) == 2 and plan.total_gap_closed == pytest.approx(1.2)
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rp\u00a04.500.000" in detail and "Rp\u00a0" + f"{plan.total_cost:,.0f}".replace(",", ".") in detail

    # Export: CSV (one line per participant) and XLSX (summary and participants).
    exported = client.get(f"/sdm/rencana-pelatihan/{plan.id}.csv")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Kode program", "Program", "Moda", "Angkatan"]
    assignments = db_session.scalar(
        select(func.count()).select_from(TrainingPlanAssignment).where(TrainingPlanAssignment.plan_id == plan.id)
    )
    assert len(rows) - 1 == assignments == 4
    assert {r[8] for r in rows[1:] if r[0] == "ORIENT"} == {"Ani Wulandari", "Euis"}
    workbook = load_workbook(io.BytesIO(client.get(f"/sdm/rencana-pelatihan/{plan.id}.xlsx").data))
    assert workbook.sheetnames == ["ringkasan", "peserta"]
    assert workbook["ringkasan"]["B2"].value == 4_500_000
    assert workbook["peserta"].max_row == assignments + 1


def test_a_budget_below_the_forced_orientation_is_refused_and_nothing_is_saved(client, db_session, login_as, world):
    login_as("hr_officer")
    token = csrf_token(client, "/sdm/rencana-pelatihan")
    response = client.post(
        "/sdm/rencana-pelatihan",
        data={
            "csrf_token": token,
            "title": "Terlalu kecil",
            "budget": "1000000",
            "grouping": "all",
            "orientation": "y",
        },
    )
    assert response.status_code == 200
    assert "orientasi wajib saja sudah melebihi anggaran" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(TrainingPlan)) == 0


def test_a_plan_for_one_unit_only_trains_that_unit(client, db_session, login_as, world):
    login_as("hr_officer")
    token = csrf_token(client, "/sdm/rencana-pelatihan")
    response = client.post(
        "/sdm/rencana-pelatihan",
        data={"csrf_token": token, "title": "Dinas", "budget": "10000000", "grouping": "unit",
              "group_value": "Dinas Layanan", "orientation": "y"},
    )  # fmt: skip
    assert response.status_code == 303
    plan = db_session.scalar(select(TrainingPlan).where(TrainingPlan.title == "Dinas"))
    assert {a.employee.unit for a in plan.assignments} == {"Dinas Layanan"}
    # Dedi's TKP gap (1.2 at SE 0.25) is credible: he goes to TKP-1; Euis (new hire) to orientation.
    assert {(a.employee.full_name, a.programme.code) for a in plan.assignments} == {
        ("Dedi", "TKP-1"),
        ("Euis", "ORIENT"),
    }


def test_the_catalogue_is_editable_by_hr(client, db_session, login_as, world, taxonomy):
    login_as("hr_officer")
    twk = taxonomy["SKD.TWK"]
    token = csrf_token(client, "/sdm/katalog/baru")
    data = {
        "csrf_token": token, "code": "BELA-1", "name": "Bela negara", "mode": "online", "hours": "7,5",
        "capacity": "100", "cost_per_run": "0", "cost_per_participant": "50.000", "is_active": "y",
        f"effect-{twk.id}": "0,4",
    }  # fmt: skip
    assert client.post("/sdm/katalog/baru", data=data).status_code == 303
    page = client.get("/sdm/katalog").get_data(as_text=True)
    assert "BELA-1" in page and 'Wawasan Kebangsaan <span class="small">SKD.TWK</span>&nbsp;+0,40' in page
    bela = db_session.scalar(select(TrainingProgramme).where(TrainingProgramme.code == "BELA-1"))
    assert (bela.hours, bela.cost_per_participant) == (7.5, 50_000)  # typed the Indonesian way
    # A duplicate code and a programme building nothing are refused.
    data["csrf_token"] = csrf_token(client, "/sdm/katalog/baru")
    assert "Kode itu sudah dipakai." in client.post("/sdm/katalog/baru", data=data).get_data(as_text=True)
    data.update(code="KOSONG", **{f"effect-{twk.id}": ""})
    assert "efek lebih dari 0" in client.post("/sdm/katalog/baru", data=data).get_data(as_text=True)
    # Editing: a new orientation programme replaces the old one.
    programme = world.programmes["TKP-1"]
    edit = f"/sdm/katalog/{programme.id}"
    data = {
        "csrf_token": csrf_token(client, edit), "code": "TKP-1", "name": "Pelayanan", "mode": "classroom",
        "hours": "16", "capacity": "20", "cost_per_run": "1000000", "cost_per_participant": "100000",
        "is_active": "y", "is_orientation": "y", f"effect-{taxonomy['SKD.TKP'].id}": "0.6",
    }  # fmt: skip
    assert client.post(edit, data=data).status_code == 303
    orientation = db_session.scalars(select(TrainingProgramme.code).where(TrainingProgramme.is_orientation)).all()
    assert orientation == ["TKP-1"]


def _plan(client, db_session) -> TrainingPlan:
    token = csrf_token(client, "/sdm/rencana-pelatihan")
    data = {
        "csrf_token": token,
        "title": "Rencana ekspor",
        "budget": "4.500.000",
        "grouping": "all",
        "orientation": "y",
    }
    assert client.post("/sdm/rencana-pelatihan", data=data).status_code == 303
    return db_session.scalar(select(TrainingPlan).where(TrainingPlan.title == "Rencana ekspor"))


def test_the_training_plan_exports_write_numbers_no_spreadsheet_misreads(client, db_session, login_as, world):
    """Rupiah as whole numbers and gaps with the page's two decimals in the CSV (a spreadsheet set to
    Indonesian read "3000000.0" as ten times the cost); real numbers with Excel formats in the XLSX."""
    from examserver.hr.cohort_views import GAP_FORMAT, RUPIAH_FORMAT

    login_as("hr_officer")
    plan = _plan(client, db_session)
    rows = list(csv.reader(io.StringIO(client.get(f"/sdm/rencana-pelatihan/{plan.id}.csv").get_data(as_text=True))))
    header, body = rows[0], rows[1:]
    assert header[4:7] == ["Peserta pelatihan", "Biaya", "Kesenjangan tertutup"]
    costs, gaps = {r[0]: r[5] for r in body}, {r[0]: r[6] for r in body}
    assert costs["ORIENT"] == "3000000" and all(re.fullmatch(r"\d+", cost) for cost in costs.values())
    # Gaps as the page shows them (two decimals, the point of the app's exports), never "1.2" or "0.0".
    assert gaps["ORIENT"] == "0.00" and all(re.fullmatch(r"\d+\.\d\d", gap) for gap in gaps.values())

    book = load_workbook(io.BytesIO(client.get(f"/sdm/rencana-pelatihan/{plan.id}.xlsx").data))
    summary, sheet = book["ringkasan"], book["peserta"]
    assert (summary["B2"].value, summary["B2"].number_format) == (4_500_000, RUPIAH_FORMAT)
    assert summary["B3"].number_format == RUPIAH_FORMAT and summary["B4"].number_format == GAP_FORMAT
    for cost, gap in sheet.iter_rows(min_row=2, min_col=6, max_col=7):
        assert isinstance(cost.value, int) and cost.number_format == RUPIAH_FORMAT
        assert isinstance(gap.value, int | float) and gap.number_format == GAP_FORMAT

    # The participants of a training are "Participants" in English, not the exam's "Candidate".
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = list(csv.reader(io.StringIO(client.get(f"/sdm/rencana-pelatihan/{plan.id}.csv").get_data(as_text=True))))
    assert english[0][4] == "Participants"
    page = client.get(f"/sdm/rencana-pelatihan/{plan.id}").get_data(as_text=True)
    assert ">Participants</th>" in page and "Candidate" not in page


def test_the_heat_map_names_its_competencies(client, db_session, login_as, world, taxonomy, monkeypatch):
    """Columns headed by the competency's name in the reader's language with its code beside it,
    on the page and in the chart (they read "SKD.TWK" alone)."""
    from examserver.hr import charts  # the view imports its chart from here when it draws

    taxonomy["SKD.TWK"].name_en = "National Insight"
    db_session.commit()
    drawn = {}
    monkeypatch.setattr(charts, "heatmap_png", lambda values, rows, columns, **kw: drawn.update(c=columns) or b"")
    login_as("hr_officer")
    page = client.get("/sdm/kohort?per=unit").get_data(as_text=True)
    assert 'Wawasan Kebangsaan<br><span class="small">SKD.TWK</span></th>' in page
    assert 'Karakteristik Pribadi<br><span class="small">SKD.TKP</span></th>' in page
    assert ">SKD.TWK</th>" not in page
    client.get("/sdm/kohort/peta.png?per=unit")
    assert drawn["c"] == ["Karakteristik\nPribadi\n(SKD.TKP)", "Wawasan\nKebangsaan\n(SKD.TWK)"]
    with client.session_transaction() as session:
        session["lang"] = "en"
    page = client.get("/sdm/kohort?per=unit").get_data(as_text=True)
    assert 'National Insight<br><span class="small">SKD.TWK</span></th>' in page
    client.get("/sdm/kohort/peta.png?per=region")
    assert drawn["c"][1] == "National Insight\n(SKD.TWK)"


def test_the_catalogue_profiles_and_an_employee_name_competencies_in_the_readers_language(
    client, db_session, login_as, world, taxonomy
):
    """The catalogue's effects, the position profiles' requirements and an employee's gaps name each
    competency in the page's language, its code small beside it (the catalogue and the profiles read
    "SKD.TWK +0,60" and "SKD.TWK ≥ 0,50"; the employee's page Indonesian names in English)."""
    taxonomy["SKD.TWK"].name_en = "National Insight"
    db_session.commit()
    login_as("hr_officer")
    twk = '<span class="small">SKD.TWK</span>'
    pages = {
        "catalogue": "/sdm/katalog",
        "profiles": "/sdm/profil-jabatan",
        "employee": f"/sdm/pegawai/{world.new_hire.id}",
    }
    for name, url in pages.items():
        page = client.get(url).get_data(as_text=True)
        assert f"Wawasan Kebangsaan {twk}" in page, name
        assert not re.search(r">\s*SKD\.TWK [+≥]", page), name
    assert f"Wawasan Kebangsaan {twk}&nbsp;≥&nbsp;0,50" in client.get(pages["profiles"]).get_data(as_text=True)
    with client.session_transaction() as session:
        session["lang"] = "en"
    for name, url in pages.items():
        page = client.get(url).get_data(as_text=True)
        assert f"National Insight {twk}" in page and "Wawasan Kebangsaan" not in page, name
        # A competency without an English name keeps its one name.
        assert 'Karakteristik Pribadi <span class="small">SKD.TKP</span>' in page, name
