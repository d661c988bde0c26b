"""Selection in a real headless Chromium at a phone's width: a candidate applies with a document,
the committee verifies it and publishes the signed result, and the public checks the signature."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from examserver import create_app
from examserver.accounts.models import User
from examserver.config import TestingConfig
from examserver.demo import seed_accounts
from examserver.extensions import db
from examserver.selection import services, signing
from examserver.selection.rules import default_rules_json
from itembank.database import utcnow
from tests.examserver.test_browser import PHONE, fits_the_screen

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture(scope="module")
def selection_server(tmp_path_factory):
    """The app on a free port with the demo accounts and one open period (one seat, KTP only)."""
    folder = tmp_path_factory.mktemp("selection-live")
    config = type(
        "LiveSelectionConfig",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.db'}", "SELECTION_UPLOAD_DIR": str(folder / "up")},
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_accounts(app.config["DEMO_PASSWORD"])
        member = db.session.query(User).filter_by(email="panitia@demo.id").one()
        now = utcnow()
        period = services.save_period(
            db.session, None, actor_id=member.id, code="LIVE26", title="Seleksi Uji Langsung", agency="Pemda Uji",
            description="", applications_open_at=now - timedelta(days=1), applications_close_at=now + timedelta(days=1),
            appeal_days=3, schedule_id=None, rules=default_rules_json(),
        )  # fmt: skip
        services.save_position(
            db.session, period, None, code="ARSIPARIS", agency="Pemda Uji", title="Arsiparis Ahli Pertama",
            unit="Dinas Arsip", location="Kota Uji", quota=1, education="S-1 Kearsipan", categories=["general"],
            required_documents=["ktp"], competency_profile={},
        )  # fmt: skip
        db.session.commit()
        period_id = period.id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "period_id": period_id, "app": app, "folder": folder}
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def sign_in(page, url, email):
    page.goto(url + "/masuk")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill("demo12345")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def test_apply_verify_publish_and_verify_the_signature_on_a_phone(selection_server, browser):
    url = selection_server["url"]
    ktp = selection_server["folder"] / "ktp.png"
    ktp.write_bytes(PNG)

    candidate = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    problems: list[str] = []
    candidate.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(candidate, url, "kandidat1@demo.id")
    candidate.get_by_role("link", name="Lihat lowongan").click()
    candidate.get_by_role("link", name="Seleksi Uji Langsung").click()
    candidate.wait_for_url("**/seleksi/LIVE26")
    assert fits_the_screen(candidate)
    candidate.get_by_role("link", name="Lamar sekarang").click()
    candidate.get_by_label("IPK").fill("3.4")
    candidate.get_by_label("Tanggal lahir").fill("1998-05-01")
    candidate.get_by_role("button", name="Simpan").click()
    expect(candidate.get_by_text("Lamaran disimpan sebagai draf")).to_be_visible()
    candidate.get_by_label("Berkas (PDF, JPG atau PNG)").set_input_files(str(ktp))
    candidate.get_by_role("button", name="Unggah").click()
    expect(candidate.get_by_text("Dokumen diunggah.")).to_be_visible()
    candidate.get_by_role("button", name="Kirim lamaran").click()
    expect(candidate.get_by_text("Lamaran terkirim.")).to_be_visible()
    assert fits_the_screen(candidate)

    member = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    member.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(member, url, "panitia@demo.id")
    member.goto(f"{url}/seleksi/panitia/periode/{selection_server['period_id']}")
    assert "Ahmad Fauzi" not in member.content()
    member.get_by_role("link", name="LIVE26-").first.click()
    for item in ("Terbaca jelas", "NIK sama dengan data pendaftaran", "Nama sama dengan data pendaftaran"):
        member.get_by_label(item).check()
    member.get_by_role("button", name="Simpan pemeriksaan").click()
    member.get_by_role("button", name="Tetapkan hasil verifikasi").click()
    expect(member.get_by_text("Hasil verifikasi ditetapkan.")).to_be_visible()
    assert fits_the_screen(member)
    member.goto(f"{url}/seleksi/panitia/periode/{selection_server['period_id']}/umumkan")
    member.get_by_label("Judul pengumuman").fill("Hasil seleksi administrasi")
    member.get_by_label("Saya mengerti", exact=False).check()
    member.get_by_role("button", name="Terbitkan").click()
    expect(member.get_by_text("Pengumuman diterbitkan dan ditandatangani.")).to_be_visible()
    announcement_url = member.url

    public = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    public.goto(announcement_url)
    assert "Ahmad Fauzi" in public.content()  # names only in the published result
    assert fits_the_screen(public)
    files = {}
    for name in ("Unduh CSV", "Unduh tanda tangan", "Unduh kunci publik"):
        href = public.get_by_role("link", name=name).get_attribute("href")
        files[name] = public.request.get(url + href).body()
    assert signing.verify(files["Unduh kunci publik"], files["Unduh CSV"], files["Unduh tanda tangan"])
    changed = files["Unduh CSV"].replace(b"MEMENUHI_SYARAT", b"MEMENUHI_SYARAU")
    assert not signing.verify(files["Unduh kunci publik"], changed, files["Unduh tanda tangan"])
    assert problems == []  # no CSP violations, no script errors
