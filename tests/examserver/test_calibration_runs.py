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


def test_a_calibration_on_demo_responses_is_guarded_and_excluded_items_keep_their_parameters(demo_copy):
    """Sixty answer sheets cannot identify 3PL parameters of a hundred items: the information matrix
    is singular, every estimate is flagged, and excluded items keep their bank versions."""
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
    with app.app_context():
        run = db.session.get(CalibrationRun, run_id)
        info = run.summary["information"]
        assert info["rank"] < info["size"]  # fewer persons than free parameters
        current_before = {p.item_id: p.item.current_parameter.id for p in run.parameters}
    admin = app.test_client()
    login(admin, "admin@demo.id", password)
    page = admin.get(f"/bank-soal/kalibrasi/{run_id}").get_data(as_text=True)
    assert "Stocking-Lord" in page and "hampir singular" in page
    assert "Terbitkan parameter" not in page  # no publish link while items are flagged
    refused = admin.post(
        f"/bank-soal/kalibrasi/{run_id}/terbitkan",
        data={"csrf_token": csrf_token(admin, "/bank-soal/")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Belum dapat diterbitkan" in refused
    admin.post(
        f"/bank-soal/kalibrasi/{run_id}/keluarkan",
        data={"all_flagged": "1", "reason": "SE tidak wajar", "csrf_token": csrf_token(admin, "/bank-soal/")},
    )
    admin.post(f"/bank-soal/kalibrasi/{run_id}/terbitkan", data={"csrf_token": csrf_token(admin, "/bank-soal/")})
    with app.app_context():
        run = db.session.get(CalibrationRun, run_id)
        assert run.status == "published"
        assert all(p.excluded_reason == "SE tidak wajar" and not p.is_current for p in run.parameters)
        for row in run.parameters:
            assert row.item.current_parameter.id == current_before[row.item_id]
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


def test_a_flagged_estimate_blocks_publishing_until_excluded_with_a_reason(
    client, db_session, make_user, make_item, bank
):
    """A pilot item answered wrongly by only 5 of 2000 (Linacre's minimum is 10 per category) is
    flagged; publishing is refused and changes nothing until a reviewer excludes it with a reason,
    then the other pilots are published and the excluded item stays without parameters."""
    reviewer, admin = make_user("reviewer"), make_user("admin")
    sparse = make_item(stem="Hampir semua benar")
    db_session.get(Item, sparse.id).status = "pilot"
    db_session.commit()
    codes = bank["anchors"] + bank["pilots"]
    lines = simulated_csv(codes).splitlines()
    lines[0] += f",{sparse.code}"
    for i in range(1, len(lines)):
        lines[i] += ",0" if i <= 5 else ",1"
    login(client, reviewer.email)
    response = upload(client, "\n".join(lines) + "\n")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    run_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    run = db_session.get(CalibrationRun, run_id)
    rows = {p.item.code: p for p in run.parameters}
    assert rows[sparse.code].statistics["categories"] == [5, 1995]
    client.post("/keluar", data={"csrf_token": csrf_token(client, "/akun")})
    login(client, admin.email)
    page = client.get(f"/bank-soal/kalibrasi/{run_id}").get_data(as_text=True)
    assert "kategori 0 hanya dipilih 5 kali (minimal 10)" in page
    assert page.index(sparse.code) < min(page.index(code) for code in bank["pilots"])  # flagged first
    assert "Kondisi matriks informasi" in page and "Terbitkan parameter" not in page
    refused = client.post(
        f"/bank-soal/kalibrasi/{run_id}/terbitkan",
        data={"csrf_token": csrf_token(client, "/bank-soal/")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"Belum dapat diterbitkan: 1 butir punya estimasi yang tidak wajar ({sparse.code})" in refused
    confirm = client.get(f"/bank-soal/kalibrasi/{run_id}/terbitkan", follow_redirects=True).get_data(as_text=True)
    assert "Belum dapat diterbitkan" in confirm and "Ya, terbitkan" not in confirm
    db_session.expire_all()
    assert db_session.get(CalibrationRun, run_id).status == "draft"
    assert not any(p.is_current for p in db_session.get(CalibrationRun, run_id).parameters)

    # The reason is mandatory.
    sparse_row = rows[sparse.code].id
    no_reason = client.post(
        f"/bank-soal/kalibrasi/{run_id}/keluarkan",
        data={"parameter_ids": [str(sparse_row)], "reason": " ", "csrf_token": csrf_token(client, "/bank-soal/")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Tulis alasan mengeluarkan butir." in no_reason
    db_session.expire_all()
    assert db_session.get(ItemParameter, sparse_row).excluded_at is None
    client.post(
        f"/bank-soal/kalibrasi/{run_id}/keluarkan",
        data={
            "parameter_ids": [str(sparse_row)],
            "reason": "hanya 5 jawaban salah",
            "csrf_token": csrf_token(client, "/bank-soal/"),
        },
    )
    page = client.get(f"/bank-soal/kalibrasi/{run_id}").get_data(as_text=True)
    assert "hanya 5 jawaban salah" in page and "dikeluarkan" in page
    assert f'href="/bank-soal/kalibrasi/{run_id}/terbitkan"' in page  # the publish link is back
    confirm = client.get(f"/bank-soal/kalibrasi/{run_id}/terbitkan").get_data(as_text=True)
    assert "5 butir mendapat parameter baru" in confirm and "1 butir dikeluarkan" in confirm
    assert "tidak menghitung ulang skor" in confirm
    published = client.post(
        f"/bank-soal/kalibrasi/{run_id}/terbitkan",
        data={"csrf_token": csrf_token(client, f"/bank-soal/kalibrasi/{run_id}/terbitkan")},
        follow_redirects=True,
    )
    assert "Parameter baru berlaku untuk 5 butir" in published.get_data(as_text=True)
    db_session.expire_all()
    excluded = db_session.get(ItemParameter, sparse_row)
    assert excluded.excluded_reason == "hanya 5 jawaban salah" and excluded.excluded_by_id == admin.id
    assert not excluded.is_current and db_session.get(Item, sparse.id).current_parameter is None
    for code in bank["pilots"]:
        assert db_session.scalar(select(Item).where(Item.code == code)).current_parameter.run_id == run_id


def test_the_item_page_rounds_standard_errors_and_marks_implausible_ones(client, db_session, make_user, make_item):
    admin = make_user("admin")
    item = make_item(stem="SE tidak wajar")
    run = CalibrationRun(
        created_by_id=admin.id, source="import", model="2pl", status="published", published_at=utcnow()
    )
    db_session.add(run)
    db_session.add(
        ItemParameter(
            item_id=item.id, run=run, version_number=1, is_current=True, model="2pl",
            a=1.2345678, b=0.4321, se_a=0.0876543, se_b=24746161.777,
        )
    )  # fmt: skip
    db_session.commit()
    login(client, admin.email)
    page = client.get(f"/bank-soal/butir/{item.id}").get_data(as_text=True)
    assert "24746161" not in page
    assert "(SE 0,088)" in page  # three decimals, as the page writes a and b
    b_line = page[page.index("<dt>b</dt>") :][:400]
    assert "SE 2,47E7" in b_line and "tidak wajar" in b_line
    a_line = page[page.index("<dt>a</dt>") : page.index("<dt>b</dt>")]
    assert "tidak wajar" not in a_line
