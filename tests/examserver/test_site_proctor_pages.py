"""The head proctor's pages on a site server (issue 17): what the server holds, the release of the
sealed content with the code the centre publishes, and the signed results file to carry back;
only the site's proctors may use them, and on a centre they do not exist."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from examserver.accounts import services as accounts
from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.extensions import db
from examserver.sites import sealing
from examserver.sites.models import SiteState
from examserver.wib import format_moment
from itembank.models import ItemVersion
from tests.conftest import csrf_token, login, served
from tests.examserver.player_client import Player
from tests.examserver.site_servers import PROCTOR, SITE, export_for, holding, site_server
from tests.examserver.test_pages_fit_a_phone import phone_page, problems_of

ROUTES = [("GET", "/lokasi"), ("POST", "/lokasi/buka"), ("GET", "/lokasi/hasil")]


@pytest.fixture(scope="module")
def centre(own_demo, tmp_path_factory):
    """The centre (a demo copy) with a package of DEMO-SKD for three seats at the site."""
    app = own_demo("site-proctor-pages")
    app.exported = export_for(app, tmp_path_factory.mktemp("package") / "paket.json.gz")
    app.code = app.exported.code
    with app.app_context():
        app.site_public_key = app.exported.package.site_public_key_pem.encode("ascii")
    return app


@pytest.fixture
def site(tmp_path, centre):
    """A site server holding the centre's package, still sealed."""
    app = holding(site_server(tmp_path), centre, centre.exported)
    yield app
    with app.app_context():
        db.engine.dispose()


def signed_in(app, email: str, password: str):
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


def head_proctor(site, centre):
    """The site's proctor, signed in with e-mail and the site PIN printed for them."""
    [(email, _name, pin)] = centre.exported.proctor_pins
    assert email == PROCTOR
    return signed_in(site, email, pin)


def held(site) -> tuple[SiteState, int]:
    """The site's state and how many item versions exist on it."""
    with site.app_context():
        state = db.session.scalar(select(SiteState))
        db.session.expunge(state)
        return state, db.session.scalar(select(func.count()).select_from(ItemVersion))


def field_error(page: str, name: str) -> str:
    """The error shown beside field ``name`` (its ``<p class="error">``), or ''."""
    found = re.search(rf'<p class="error" id="{name}-error">([^<]*)</p>', page)
    return unescape(found.group(1)) if found else ""


def release(client, code: str, understood: bool = True):
    data = {"csrf_token": csrf_token(client, "/lokasi"), "code": code}
    if understood:
        data["understood"] = "y"
    return client.post("/lokasi/buka", data=data)


def test_the_status_page_before_and_after_the_release(site, centre):
    client = head_proctor(site, centre)
    home = client.get("/pengawas/").get_data(as_text=True)
    assert 'href="/lokasi"' in home  # the proctor's home links the page on a site
    state, _ = held(site)
    page = client.get("/lokasi").get_data(as_text=True)
    assert SITE in page and "DEMO-SKD" in page and "Masih tersegel" in page
    with site.test_request_context():  # times in the reader's (the default) language
        title = db.session.get(ExamSchedule, state.schedule_id).title
        moments = [format_moment(m, "short") for m in (state.exported_at, state.imported_at, state.expires_at)]
    assert title in unescape(page)
    assert all(moment in page for moment in moments) and all(m.endswith("WIB") for m in moments)
    assert re.search(r'data-count="not_started">3<', page) and re.search(r'data-count="running">0<', page)
    assert 'action="/lokasi/buka#buka"' in page and "Dibuka" not in page

    answer = client.post("/lokasi/buka", data={"csrf_token": csrf_token(client, "/lokasi"), "code": centre.code})
    assert answer.status_code == 422  # the box not ticked: nothing opened
    assert field_error(answer.get_data(as_text=True), "understood") and held(site)[1] == 0

    answer = client.post("/lokasi/buka", follow_redirects=False, data={})  # no CSRF token
    assert answer.status_code == 400 and held(site)[1] == 0

    typed = centre.code.replace("-", " ").lower()  # as a head proctor may type it
    answer = release(client, typed)
    assert answer.status_code == 303 and answer.headers["Location"] == "/lokasi"
    state, versions = held(site)
    assert versions > 0 and state.released_at is not None
    with site.app_context():
        assert state.released_by_id == db.session.scalar(select(User.id).where(User.email == PROCTOR))
    page = client.get("/lokasi").get_data(as_text=True)
    opened = re.search(r"Paket dibuka: (\d+) isi tersegel kini terbuka", page)
    assert opened and int(opened.group(1)) >= versions
    with site.test_request_context():
        assert "Masih tersegel" not in page and format_moment(state.released_at, "short") in page
        assert f"oleh {db.session.get(User, state.released_by_id).full_name}" in unescape(page)
    assert "/lokasi/buka" not in page  # no form once released

    again = release(client, centre.code)
    assert again.status_code == 303
    assert "sudah dibuka" in client.get("/lokasi").get_data(as_text=True)
    assert held(site)[0].released_at == state.released_at


@pytest.mark.parametrize(
    ("typed", "message"),
    [("AAAAA-AAAAA-AAAAA-AAAAA", "Kode pembuka salah."), ("abc-123", "Kode pembuka harus 20 huruf dan angka")],
    ids=["wrong", "malformed"],
)
def test_a_refused_code_is_shown_beside_the_field_with_what_was_typed_and_changes_nothing(site, centre, typed, message):
    client = head_proctor(site, centre)
    answer = release(client, typed)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert field_error(page, "code").startswith(message)
    assert f'value="{typed}"' in page and "Masih tersegel" in page
    state, versions = held(site)
    assert versions == 0 and state.released_at is None and state.released_by_id is None


def test_the_results_file_is_signed_with_the_sites_key(site, centre):
    client = head_proctor(site, centre)
    assert release(client, centre.code).status_code == 303
    number, _name, pin = centre.exported.candidate_pins[0]
    with site.app_context():
        exam_id = db.session.scalar(select(ExamSession.id).where(ExamSession.registration_number == number))
    player = Player(signed_in(site, number, pin), exam_id)
    assert player.start().status_code == 200

    page = client.get("/lokasi").get_data(as_text=True)
    assert 'href="/lokasi/hasil"' in page and "flask --app wsgi site receive" in page
    answer = client.get("/lokasi/hasil")
    assert answer.status_code == 200 and answer.mimetype == "application/gzip"
    name = re.fullmatch(r'attachment; filename="(hasil-[^"]+\.json\.gz)"', answer.headers["Content-Disposition"])
    assert name and name.group(1).startswith(f"hasil-{SITE}-{centre.exported.package_id[:8]}-")
    body = sealing.read_signed(answer.data, sealing.RESULTS_FORMAT, centre.site_public_key)
    assert body["package_id"] == centre.exported.package_id and body["site_code"] == SITE
    statuses = {entry["session_id"]: entry["status"] for entry in body["sessions"]}
    assert len(statuses) == 3 and statuses[exam_id] == "in_progress"
    with pytest.raises(sealing.SealError):  # signed by the site, not by anyone else
        sealing.read_signed(answer.data, sealing.RESULTS_FORMAT, centre.public_key)


def test_only_the_sites_proctors_may_use_the_pages(site, centre):
    number, _name, pin = centre.exported.candidate_pins[0]
    candidate = signed_in(site, number, pin)
    token = csrf_token(candidate, "/akun")
    for method, url in ROUTES:
        data = {"csrf_token": token, "code": centre.code, "understood": "y"} if method == "POST" else None
        assert candidate.open(url, method=method, data=data).status_code == 403, url
        anonymous = site.test_client().open(url, method=method)
        assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/masuk?next="), url
    assert held(site)[1] == 0


def test_on_a_centre_the_pages_do_not_exist(centre):
    proctor = signed_in(centre, PROCTOR, centre.config["DEMO_PASSWORD"])
    token = csrf_token(proctor, "/akun")
    for method, url in ROUTES:
        data = {"csrf_token": token, "code": centre.code, "understood": "y"} if method == "POST" else None
        assert proctor.open(url, method=method, data=data).status_code == 404, url
        assert centre.test_client().open(url, method=method).status_code == 404, url
    assert "/lokasi" not in proctor.get("/pengawas/").get_data(as_text=True)


def test_without_a_package_the_page_names_the_import_command(tmp_path):
    app = site_server(tmp_path)
    with app.app_context():
        accounts.create_user(
            db.session, email="kepala@lokasi.id", full_name="Kepala", role="proctor", password="pin-123456"
        )
        db.session.commit()
    client = signed_in(app, "kepala@lokasi.id", "pin-123456")
    page = client.get("/lokasi").get_data(as_text=True)
    assert "belum memegang paket" in page and "flask --app wsgi site import PAKET" in page
    assert "/lokasi/hasil" not in page and "/lokasi/buka" not in page
    answer = client.get("/lokasi/hasil")
    assert answer.status_code == 303 and answer.headers["Location"] == "/lokasi"
    assert "Server ini belum memegang paket ujian." in client.get("/lokasi").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_the_pages_fit_a_phone(site, centre, browser):
    """The status page sealed, with a refused code beside its field, and released, at 360 px."""
    client = head_proctor(site, centre)
    with served(site) as base:
        page = phone_page(browser, base, client, site)
        page.goto(base + "/lokasi", wait_until="domcontentloaded")
        problems = problems_of(page)
        page.fill("#code", "AAAAA-AAAAA-AAAAA-AAAAA")
        page.check("#understood")
        page.click("form.card button[type=submit]")
        page.wait_for_selector("#code-error")
        problems += problems_of(page)
        page.fill("#code", centre.code)
        page.check("#understood")
        page.click("form.card button[type=submit]")
        page.wait_for_selector(".flash-success")
        problems += problems_of(page)
        assert page.locator("#seal-state .badge-ok").count() == 1
        page.context.close()
    assert problems == []
