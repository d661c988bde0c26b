"""Calibration runs through the pages: upload or sessions -> draft -> review -> publish (four-eyes).

Responses are simulated from known 2PL parameters: ten operational anchors with bank parameters
and five pilot items without; fixed-parameter calibration must recover the pilot items on the
bank scale, publishing must keep the old versions, and bad files must change nothing.
"""

from __future__ import annotations

import io
import sqlite3

import numpy as np
import pytest
from sqlalchemy import func, select

from examserver import create_app
from examserver.config import TestingConfig
from examserver.delivery.models import ExamSchedule
from examserver.demo.finished import CODE
from examserver.extensions import db
from itembank.database import utcnow
from itembank.models import CalibrationRun, Item, ItemParameter
from tests.conftest import csrf_token, login

ANCHOR_B = np.linspace(-1.5, 1.5, 10)
PILOT_B = np.array([-1.0, -0.4, 0.0, 0.6, 1.2])
PILOT_A = np.array([0.8, 1.2, 1.0, 1.4, 0.9])


@pytest.fixture
def bank(db_session, make_user, make_item):
    """Ten operational anchors (a = 1, b spread) with a published run, and five pilot items."""
    admin = make_user("admin")
    run = CalibrationRun(
        created_by_id=admin.id, source="import", model="2pl", status="published", published_at=utcnow()
    )
    db_session.add(run)
    anchors, pilots = [], []
    for n, b in enumerate(ANCHOR_B):
        item = make_item(stem=f"Jangkar {n}")
        db_session.get(Item, item.id).status = "operational"
        db_session.add(
            ItemParameter(item_id=item.id, run=run, version_number=1, is_current=True, model="2pl", a=1.0, b=b)
        )
        anchors.append(item.code)
    for n in range(len(PILOT_B)):
        item = make_item(stem=f"Uji coba {n}")
        db_session.get(Item, item.id).status = "pilot"
        pilots.append(item.code)
    db_session.commit()
    return {"anchors": anchors, "pilots": pilots, "old_run": run.id}


def simulated_csv(codes: list[str], n: int = 2000, seed: int = 5) -> str:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.3, 1.0, n)  # the new cohort is a little abler than the bank's
    a = np.r_[np.ones(len(ANCHOR_B)), PILOT_A][: len(codes)]
    b = np.r_[ANCHOR_B, PILOT_B][: len(codes)]
    x = (rng.random((n, a.size)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(int)
    lines = ["peserta," + ",".join(codes)] + [f"P{i}," + ",".join(map(str, row)) for i, row in enumerate(x)]
    return "\n".join(lines) + "\n"


def upload(client, text: str, mode: str = "fixed"):
    return client.post(
        "/bank-soal/kalibrasi/baru",
        data={
            "source": "upload",
            "mode": mode,
            "note": "uji",
            "file": (io.BytesIO(text.encode()), "respons.csv"),
            "csrf_token": csrf_token(client, "/bank-soal/kalibrasi/baru"),
        },
        content_type="multipart/form-data",
    )


def test_fixed_calibration_recovers_pilot_items_and_publishing_keeps_old_versions(
    app, client, db_session, make_user, bank
):
    reviewer, admin = make_user("reviewer"), make_user("admin")
    codes = bank["anchors"] + bank["pilots"]
    login(client, reviewer.email)
    response = upload(client, simulated_csv(codes))
    assert response.status_code == 303, response.get_data(as_text=True)
    run_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/bank-soal/kalibrasi/{run_id}").get_data(as_text=True)
    assert "Menunggu telaah" in page and "parameter pertama" in page
    assert "Terbitkan parameter" not in page  # the reviewer who ran it cannot publish
    run = db_session.get(CalibrationRun, run_id)
    assert run.status == "draft" and run.n_persons == 2000 and run.n_anchors == len(ANCHOR_B)
    rows = {p.item.code: p for p in run.parameters}
    # Anchors are held at their bank values; pilot items land on the bank scale (the cohort's
    # higher mean is absorbed by the latent distribution, not by the item difficulties).
    for code in bank["anchors"]:
        assert rows[code].is_anchor and rows[code].a == 1.0
    estimated_b = np.array([rows[code].b for code in bank["pilots"]])
    estimated_a = np.array([rows[code].a for code in bank["pilots"]])
    assert np.max(np.abs(estimated_b - PILOT_B)) < 0.2
    assert np.max(np.abs(estimated_a - PILOT_A)) < 0.25
    assert all(rows[code].se_b is not None and 0 < rows[code].se_b < 0.2 for code in bank["pilots"])
    assert not any(p.is_current for p in run.parameters)  # nothing changes before publishing

    # Four-eyes: the reviewer cannot publish at all; a different admin can.
    client.post("/keluar", data={"csrf_token": csrf_token(client, "/akun")})
    login(client, admin.email)
    published = client.post(
        f"/bank-soal/kalibrasi/{run_id}/terbitkan",
        data={"note": "data uji coba", "csrf_token": csrf_token(client, f"/bank-soal/kalibrasi/{run_id}")},
        follow_redirects=True,
    )
    assert "Parameter baru berlaku untuk 5 butir" in published.get_data(as_text=True)
    db_session.expire_all()
    for code in bank["pilots"]:
        item = db_session.scalar(select(Item).where(Item.code == code))
        assert item.current_parameter.run_id == run_id
    anchor = db_session.scalar(select(Item).where(Item.code == bank["anchors"][0]))
    assert anchor.current_parameter.run_id == bank["old_run"]  # anchors keep their bank version


def test_recalibration_publishes_new_versions_and_keeps_the_old_ones(client, db_session, make_user, bank):
    reviewer, admin = make_user("reviewer"), make_user("admin")
    login(client, reviewer.email)
    response = upload(client, simulated_csv(bank["anchors"], seed=9), mode="recalibrate")
    assert response.status_code == 303
    run_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    run = db_session.get(CalibrationRun, run_id)
    linking = run.summary["linking"]
    assert linking["method"] == "stocking-lord" and linking["anchors"] == len(ANCHOR_B)
    # The free calibration sets the cohort to N(0, 1); linking must bring back its mean of 0.3.
    assert abs(linking["slope"] - 1) < 0.15 and abs(linking["intercept"] - 0.3) < 0.15
    client.post("/keluar", data={"csrf_token": csrf_token(client, "/akun")})
    login(client, admin.email)
    client.post(f"/bank-soal/kalibrasi/{run_id}/terbitkan", data={"csrf_token": csrf_token(client, "/bank-soal/")})
    db_session.expire_all()
    item = db_session.scalar(select(Item).where(Item.code == bank["anchors"][3]))
    versions = sorted(item.parameters, key=lambda p: p.id)
    assert [p.run_id for p in versions] == [bank["old_run"], run_id]
    assert [p.is_current for p in versions] == [False, True]
    assert abs(versions[1].b - ANCHOR_B[3]) < 0.25
    page = client.get(f"/bank-soal/butir/{item.id}").get_data(as_text=True)
    assert "Versi parameter sebelumnya" in page


def test_a_bad_file_lists_every_problem_and_creates_no_run(client, db_session, make_user, bank):
    reviewer = make_user("reviewer")
    login(client, reviewer.email)
    before = db_session.scalar(select(func.count(CalibrationRun.id)))
    codes = bank["anchors"][:3]
    text = "peserta," + ",".join(codes) + ",TIDAK-ADA\n"
    response = upload(client, text + "P1,1,0,1,0\n")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Butir TIDAK-ADA tidak ada di bank soal." in body
    bad_rows = "peserta," + ",".join(codes) + "\nP1,1,0,1\nP2,1,7,1\nP3,1,0\nP4,x,0,1\n"
    body = upload(client, bad_rows).get_data(as_text=True)
    assert "Respons 7 untuk butir" in body and "Baris ini berisi 2 sel, seharusnya 3." in body
    assert "Respons x untuk butir" in body
    assert "3 kesalahan" in body
    assert db_session.scalar(select(func.count(CalibrationRun.id))) == before


def test_too_little_data_and_nothing_to_estimate_are_refused(client, db_session, make_user, bank):
    reviewer = make_user("reviewer")
    login(client, reviewer.email)
    small = simulated_csv(bank["anchors"] + bank["pilots"], n=12)
    assert "Data terlalu sedikit: 12 peserta" in upload(client, small).get_data(as_text=True)
    only_anchors = simulated_csv(bank["anchors"], n=500)
    # In fixed mode, data with only anchors leaves nothing to estimate.
    assert "tidak ada yang diestimasi" in upload(client, only_anchors).get_data(as_text=True)
    assert db_session.scalar(select(func.count(CalibrationRun.id)).where(CalibrationRun.status == "draft")) == 0


@pytest.mark.parametrize("role", ["candidate", "proctor", "item_writer", "committee"])
def test_other_roles_cannot_reach_calibration_pages(client, make_user, role):
    login(client, make_user(role).email)
    assert client.get("/bank-soal/kalibrasi").status_code == 403
    assert client.get("/bank-soal/kalibrasi/baru").status_code == 403


@pytest.fixture
def demo_copy(demo_app, tmp_path):
    """A private copy of the seeded demo database (the shared demo app stays untouched)."""
    source = demo_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    target = tmp_path / "demo-copy.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    config = type("DemoCopy", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}"})
    app = create_app(config)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_calibration_on_demo_responses_publishes_new_versions_keeping_the_old(demo_copy):
    app = demo_copy
    with app.app_context():
        schedule_id = db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == CODE))
        before = db.session.scalar(select(func.count(ItemParameter.id)))
    password = app.config["DEMO_PASSWORD"]
    reviewer = app.test_client()
    login(reviewer, "reviewer@demo.id", password)
    response = reviewer.post(
        "/bank-soal/kalibrasi/baru",
        data={
            "source": "sessions",
            "schedules": [str(schedule_id)],
            "mode": "recalibrate",
            "csrf_token": csrf_token(reviewer, "/bank-soal/kalibrasi/baru"),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    run_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    admin = app.test_client()
    login(admin, "admin@demo.id", password)
    page = admin.get(f"/bank-soal/kalibrasi/{run_id}").get_data(as_text=True)
    assert "Terbitkan parameter" in page and "Stocking-Lord" in page
    admin.post(f"/bank-soal/kalibrasi/{run_id}/terbitkan", data={"csrf_token": csrf_token(admin, "/bank-soal/")})
    with app.app_context():
        run = db.session.get(CalibrationRun, run_id)
        assert run.status == "published"
        new_rows = [p for p in run.parameters if not p.is_anchor]
        assert len(new_rows) >= 90 and all(p.is_current for p in new_rows)
        for row in new_rows[:10]:
            older = [p for p in row.item.parameters if p.id != row.id]
            assert older and not any(p.is_current for p in older)
        assert db.session.scalar(select(func.count(ItemParameter.id))) == before + len(run.parameters)


def test_a_group_column_gives_mantel_haenszel_dif_flags(client, db_session, make_user, bank):
    """An item planted 0.8 logits harder for the focal group is classed B or C and flagged."""
    reviewer = make_user("reviewer")
    codes = bank["anchors"] + bank["pilots"]
    rng = np.random.default_rng(21)
    n = 3000
    group = np.where(rng.random(n) < 0.5, "kota", "terpencil")
    theta = rng.normal(0.0, 1.0, n) - 0.3 * (group == "terpencil")
    a = np.r_[np.ones(len(ANCHOR_B)), PILOT_A]
    b = np.tile(np.r_[ANCHOR_B, PILOT_B], (n, 1))
    planted = len(ANCHOR_B) + 2
    b[group == "terpencil", planted] += 0.8
    x = (rng.random((n, a.size)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(int)
    text = "peserta,kelompok," + ",".join(codes) + "\n"
    text += "".join(f"P{i},{group[i]}," + ",".join(map(str, row)) + "\n" for i, row in enumerate(x))
    login(client, reviewer.email)
    response = upload(client, text)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    run_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    run = db_session.get(CalibrationRun, run_id)
    assert run.summary["dif"]["grouping"] == "kelompok"
    stats = {p.item.code: p.statistics for p in run.parameters}
    assert stats[codes[planted]]["dif"]["ets"] in ("B", "C")
    assert stats[codes[planted]]["dif"]["favours"] in ("kota", "terpencil")
    others = [stats[c]["dif"]["ets"] for i, c in enumerate(codes) if i != planted]
    assert sum(e == "A" for e in others) >= len(others) - 1
    page = client.get(f"/bank-soal/kalibrasi/{run_id}").get_data(as_text=True)
    assert "DIF (kelas ETS B/C)" in page
