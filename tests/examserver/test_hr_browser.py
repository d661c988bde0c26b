"""The HR walk in a real headless Chromium: the HR officer opens a new hire's profile, reads the gaps
with their uncertainty, saves the development plan, looks at the cohort heat map, builds a training
plan within a budget and downloads it as CSV."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from examserver import create_app
from examserver.config import TestingConfig
from examserver.demo import seed_accounts
from examserver.extensions import db
from itembank import services as itembank
from tests.examserver.hr_workforce import build_world


@pytest.fixture(scope="module")
def hr_server(tmp_path_factory):
    """The app on a free port with the demo accounts and the small test workforce."""
    folder = tmp_path_factory.mktemp("hr-live")
    config = type("LiveHRConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.db'}"})
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_accounts(app.config["DEMO_PASSWORD"])
        root = itembank.create_competency(db.session, code="SKD", name="Seleksi Kompetensi Dasar")
        taxonomy = {
            code: itembank.create_competency(db.session, code=code, name=name, parent_id=root.id)
            for code, name in (("SKD.TWK", "Wawasan Kebangsaan"), ("SKD.TKP", "Karakteristik Pribadi"))
        }
        world = build_world(db.session, taxonomy)
        new_hire = world.new_hire.full_name
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "new_hire": new_hire}
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_hr_officer_goes_from_a_new_hire_to_a_downloaded_budget_plan(hr_server, browser, tmp_path):
    url = hr_server["url"]
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(url + "/masuk")
    page.get_by_label("Email").fill("hr@demo.id")
    page.get_by_label("Kata sandi").fill("demo12345")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/sdm/")

    page.get_by_role("link", name="Pegawai", exact=True).click()
    page.get_by_role("link", name=hr_server["new_hire"]).click()
    gaps = page.locator("#kesenjangan")
    twk = gaps.get_by_role("row").filter(has_text="SKD.TWK")
    tkp = gaps.get_by_role("row").filter(has_text="SKD.TKP")
    assert "ya" in twk.inner_text() and "-1,09 … 0,09" in twk.inner_text()
    assert "belum pasti" in tkp.inner_text()
    plan = page.locator("#rencana")
    items = plan.get_by_role("listitem")
    assert items.count() == 2 and "Program ORIENT" in items.nth(0).inner_text()
    page.get_by_role("button", name="Simpan sebagai rencana pengembangan").click()
    expect(page.get_by_text("Rencana pengembangan disimpan.")).to_be_visible()

    page.get_by_role("link", name="Beranda").click()
    page.get_by_role("link", name="Peta kesenjangan kohort").click()
    page.get_by_label("Kelompokkan per").select_option("region")
    page.get_by_role("button", name="Tampilkan").click()
    image = page.locator("figure img")
    image.wait_for()
    page.wait_for_function("document.querySelector('figure img').complete")
    assert page.evaluate("document.querySelector('figure img').naturalWidth") > 300
    expect(page.get_by_role("cell", name="Papua")).to_be_visible()

    page.get_by_role("link", name="Rencana pelatihan dalam anggaran").first.click()
    page.get_by_label("Judul rencana").fill("Rencana triwulan I")
    page.get_by_label("Anggaran (Rp)").fill("4500000")
    page.get_by_role("button", name="Susun rencana").click()
    expect(page.get_by_role("heading", name="Rencana triwulan I")).to_be_visible()
    assert "Rp\u00a04.500.000" in page.locator("dl.facts").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh CSV").click()
    saved = tmp_path / "plan.csv"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert text.startswith("Kode program,Program,Moda") and hr_server["new_hire"] in text
    assert problems == []
