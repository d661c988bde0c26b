"""The committee's test-site pages (issue 17) on the demo: a site registered through its form (every
mistake at once, beside its field), a sitting's package exported through the page as a ZIP whose
package verifies and whose PINs open the roster, a refused export that keeps what was typed and
changes nothing, the monitoring of a sitting's sites (its counts, the release code only from the
opening, its own refresh in Chromium), and who may open them."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta
from html import unescape

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from examserver.accounts.models import User
from examserver.accounts.passwords import verify_password
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.extensions import db
from examserver.selection import signing
from examserver.sites import sealing, services
from examserver.sites.export import Exported
from examserver.sites.models import SitePackage, SiteProctor, SiteRosterEntry, TestSite
from itembank.database import utcnow
from tests.conftest import csrf_token, demo_client, served
from tests.demo_crawl import ACCOUNTS
from tests.examserver.test_pages_fit_a_phone import phone_page
from tests.examserver.test_registration import field_errors

SITES = "/panitia/lokasi"
EXPORT = "/panitia/lokasi/paket"
#: The demo's sites (examserver.demo.sites): the first holds the DEMO-SKD package of kandidat13-15.
DEMO_SITE, OTHER_SITE = "SMAN1-SAROLANGUN", "SMKN2-BINJAI"


@pytest.fixture(scope="module")
def demo(own_demo):
    """A private copy of the demo: these tests register sites and export packages."""
    return own_demo("site-pages")


@pytest.fixture(scope="module")
def committee(demo):
    return demo_client(demo, ACCOUNTS["committee"])


def schedule_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == code))


def packages(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SitePackage))


def export_form(client, **fields) -> dict:
    """The export form as a person fills it: DEMO-SKD, the other demo site, the demo proctor, two
    seats and the box ticked, with ``fields`` changed."""
    data = {
        "schedule": "DEMO-SKD",
        "site": OTHER_SITE,
        "proctors": ["pengawas@demo.id"],
        "seats": "2",
        "numbers": "",
        "understood": "y",
    } | fields
    return {"csrf_token": csrf_token(client, EXPORT), **{k: v for k, v in data.items() if v is not None}}


def cells(html: str, site: str) -> list[str]:
    """The text of each cell of the monitoring table's row of ``site``."""
    row = re.search(rf'<tr data-site="{site}">(.*?)</tr>', html, re.S)
    assert row, f"no row of {site}"
    texts = (unescape(re.sub(r"<[^>]+>", " ", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S))
    return [" ".join(text.split()) for text in texts]


# ---------------------------------------------------------------------------------------- sites


def test_a_site_is_registered_through_the_page_with_every_mistake_shown_at_once(demo, committee):
    page = committee.get(SITES).get_data(as_text=True)
    assert DEMO_SITE in page and "SMK Negeri 2 Binjai" in page
    # A malformed code and no name: both said at once, beside their fields, what was typed kept.
    token = csrf_token(committee, SITES)
    bad = committee.post(SITES, data={"csrf_token": token, "code": "sma 1!", "name": "", "address": "Jambi"})
    errors = field_errors(bad.get_data(as_text=True))
    assert bad.status_code == 422
    assert "huruf, angka dan tanda hubung" in errors["code"] and errors["name"] == "Wajib diisi."
    assert 'value="sma 1!"' in bad.get_data(as_text=True) and 'value="Jambi"' in bad.get_data(as_text=True)
    # A code taken (in any case) and no name: the duplicate is said with the other mistake.
    taken = committee.post(SITES, data={"csrf_token": token, "code": OTHER_SITE.lower(), "name": ""})
    errors = field_errors(taken.get_data(as_text=True))
    assert taken.status_code == 422
    assert errors["code"] == f"Lokasi ujian berkode {OTHER_SITE} sudah terdaftar." and "name" in errors
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(TestSite)) == 2
    done = committee.post(
        SITES,
        data={"csrf_token": token, "code": " smpn7-jambi ", "name": "SMP Negeri 7 Jambi", "address": "Kota Jambi"},
    )
    assert done.status_code == 303 and done.headers["Location"] == SITES
    listed = committee.get(SITES).get_data(as_text=True)
    assert "Lokasi SMPN7-JAMBI terdaftar." in listed and "SMP Negeri 7 Jambi" in listed
    with demo.app_context():
        site = db.session.scalar(select(TestSite).where(TestSite.code == "SMPN7-JAMBI"))
        assert (site.name, site.address) == ("SMP Negeri 7 Jambi", "Kota Jambi")


def test_the_pages_speak_english_to_an_english_reader(demo):
    client = demo_client(demo, ACCOUNTS["admin"])
    client.post("/bahasa", data={"csrf_token": csrf_token(client, "/tentang"), "lang": "en", "next": "/"})
    sites = client.get(SITES).get_data(as_text=True)
    assert "Registered sites" in sites and "Register a site" in sites
    export = client.get(EXPORT).get_data(as_text=True)
    assert "The PINs exist only when the package is made." in export
    client.post("/bahasa", data={"csrf_token": csrf_token(client, "/tentang"), "lang": "id", "next": "/"})


# ---------------------------------------------------------------------------------------- export


def test_an_export_through_the_page_is_a_zip_of_the_package_and_the_pins(demo, committee):
    page = committee.get(EXPORT).get_data(as_text=True)
    assert "PIN hanya ada saat paket dibuat." in page and "Simpan berkas ZIP di tempat aman" in page
    assert "UJICOBA-2026-10" not in page  # the finished sitting is closed: no package can be made for it
    before = packages(demo)
    response = committee.post(EXPORT, data=export_form(committee))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    name = f"paket-{OTHER_SITE}-DEMO-SKD"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == sorted([f"{name}.json.gz", f"pin-{name}.csv"])
    assert packages(demo) == before + 1
    with demo.app_context():
        manifest = sealing.read_package(
            archive.read(f"{name}.json.gz"), signing.public_key_pem(), now=utcnow(), site_code=OTHER_SITE
        )
        package = db.session.scalar(select(SitePackage).where(SitePackage.package_id == manifest["package_id"]))
        committee_id = db.session.scalar(select(User.id).where(User.email == ACCOUNTS["committee"]))
        assert package.created_by_id == committee_id and package.site.code == OTHER_SITE
        rows = list(csv.reader(io.StringIO(archive.read(f"pin-{name}.csv").decode("utf-8-sig"))))
        assert rows[0] == ["Nomor peserta / e-mail pengawas", "Nama", "PIN"] and len(rows) == 1 + 2 + 1 + 1
        assert rows[-1][0] == "Kunci lokasi" and len(rows[-1][2]) == 23  # the site key's code, XXXXX-XXXXX-...
        hashes = dict(
            db.session.execute(
                select(ExamSession.registration_number, SiteRosterEntry.pin_hash)
                .join(SiteRosterEntry, SiteRosterEntry.session_id == ExamSession.id)
                .where(SiteRosterEntry.package_id == package.id)
            )
            .tuples()
            .all()
        )
        assert sorted(hashes) == [row[0] for row in rows[1:3]]
        for number, _name, pin in rows[1:3]:
            assert verify_password(hashes[number], pin) and not verify_password(hashes[number], pin[::-1] + "0")
        proctor_hash = db.session.scalar(select(SiteProctor.pin_hash).where(SiteProctor.package_id == package.id))
        assert rows[3][0] == "pengawas@demo.id" and verify_password(proctor_hash, rows[3][2])


def test_a_refused_export_keeps_what_was_typed_and_changes_nothing(demo, committee):
    before = packages(demo)
    # The form's own checks: no proctor, both seats and numbers, the box not ticked, all at once.
    typed = "DEMO-SKD-AAAA\nDEMO-SKD-BBBB"
    response = committee.post(
        EXPORT, data=export_form(committee, proctors=None, seats="3", numbers=typed, understood=None)
    )
    html = response.get_data(as_text=True)
    errors = field_errors(html)
    assert response.status_code == 422
    assert set(errors) == {"proctors", "seats", "understood"}, errors
    assert f"{typed}</textarea>" in html and re.search(r'name="seats"[^>]*value="3"', html)
    # The service's refusal: registration numbers the sitting does not have, said beside them.
    response = committee.post(EXPORT, data=export_form(committee, seats="", numbers="NOPE-1\nNOPE-2"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert field_errors(html)["numbers"] == "2 nomor peserta tidak ada di jadwal ini: NOPE-1, NOPE-2."
    assert "NOPE-1\nNOPE-2</textarea>" in html
    assert re.search(r'<option selected value="DEMO-SKD">', html) and re.search(
        rf'<option selected value="{OTHER_SITE}">', html
    )
    assert re.search(r'checked[^>]*value="pengawas@demo.id"|value="pengawas@demo.id"[^>]*checked', html)
    assert packages(demo) == before


def test_the_pin_list_never_runs_as_a_formula(app):
    exported = Exported(package=None, path=None, candidate_pins=[("A-1", "=HYPERLINK(1)", "01234567")])  # type: ignore[arg-type]
    with app.test_request_context():
        rows = list(csv.reader(io.StringIO(services.pin_csv(exported).decode("utf-8-sig"))))
    assert rows[1] == ["A-1", "'=HYPERLINK(1)", "01234567"]


# ---------------------------------------------------------------------------------------- monitoring


def test_the_monitoring_page_shows_each_sites_counts_and_the_release_code_from_the_opening(demo, committee):
    with demo.app_context():
        package = db.session.scalar(
            select(SitePackage).join(TestSite).where(TestSite.code == DEMO_SITE, SitePackage.superseded_at.is_(None))
        )
        code = package.release_code
        now = utcnow()
        running, finished = (entry.session for entry in package.roster[:2])
        running.status, running.started_at, running.deadline_at = "in_progress", now, now + timedelta(hours=1)
        finished.status, finished.started_at, finished.deadline_at = "submitted", now, now + timedelta(hours=1)
        finished.ended_at = now
        package.imported_at = now
        package.results_problems = [["DEMO-SKD-1", "chain_broken", 3], ["DEMO-SKD-2", "answers_differ", None]]
        db.session.commit()
    sites = committee.get(SITES).get_data(as_text=True)
    url = f"/panitia/lokasi/jadwal/{schedule_id(demo, 'DEMO-SKD')}"
    assert f'href="{url}"' in sites
    html = committee.get(url).get_data(as_text=True)
    site, stages, counts, shown = cells(html, DEMO_SITE)
    assert site == f"{DEMO_SITE} SMA Negeri 1 Sarolangun Pengawas: Pengawas Demo"
    assert re.fullmatch(
        r"Paket dibuat: [^:]+ WIB Paket diimpor: [^:]+ WIB Kunci dibuka: belum Hasil diterima: belum "
        r"Hasil diverifikasi: belum Berkas hasil terakhir ditolak: 2 masalah\.",
        stages,
    ), stages
    assert counts == "Jumlah: 3 Belum mulai: 1 Mengerjakan: 1 Selesai: 1"
    assert shown == code and "diketik oleh ketua pengawas" in html
    assert 'data-refresh="30"' in html  # the sitting is open: the page reads itself again

    # A sitting a week ahead: its package is listed, its release code is not, and nothing refreshes yet.
    response = committee.post(EXPORT, data=export_form(committee, schedule="SKD-2026-I", site=DEMO_SITE))
    assert response.mimetype == "application/zip"
    with demo.app_context():
        ahead = db.session.scalar(select(SitePackage).order_by(SitePackage.id.desc()))
        assert ahead.schedule.code == "SKD-2026-I"
        hidden = ahead.release_code
    html = committee.get(f"/panitia/lokasi/jadwal/{ahead.schedule_id}").get_data(as_text=True)
    assert len(cells(html, DEMO_SITE)) == 3 and "Kode pembuka setiap lokasi tampil di sini mulai" in html
    assert hidden not in html and "Kode pembuka</th>" not in html and "data-refresh" not in html


def test_a_new_export_replaces_the_sites_row(demo, committee):
    url = f"/panitia/lokasi/jadwal/{schedule_id(demo, 'DEMO-CAT')}"
    for seats in ("1", "2"):
        response = committee.post(EXPORT, data=export_form(committee, schedule="DEMO-CAT", seats=seats))
        assert response.mimetype == "application/zip"
    html = committee.get(url).get_data(as_text=True)
    assert html.count(f'<tr data-site="{OTHER_SITE}">') == 1
    assert cells(html, OTHER_SITE)[2] == "Jumlah: 2 Belum mulai: 2 Mengerjakan: 0 Selesai: 0"


def test_the_monitoring_page_refreshes_itself_in_the_browser(demo, committee, browser):
    """In Chromium with its timers under the test's hand: the board is read again after 30 s and
    shows what changed at the centre meanwhile (the package's import), with nothing posted."""
    url = f"/panitia/lokasi/jadwal/{schedule_id(demo, 'DEMO-SKD')}"
    with served(demo) as base:
        page = phone_page(browser, base, committee, demo)
        sent: list[str] = []
        page.on("request", lambda request: sent.append(request.method))
        page.clock.install()
        page.goto(base + url, wait_until="load")
        released = page.locator(f'#site-packages tr[data-site="{DEMO_SITE}"] td').nth(1)
        expect(released).to_contain_text("Kunci dibuka: belum")
        with demo.app_context():
            package = db.session.scalar(
                select(SitePackage)
                .join(TestSite)
                .where(TestSite.code == DEMO_SITE, SitePackage.superseded_at.is_(None))
            )
            package.released_at = utcnow()
            db.session.commit()
        page.clock.run_for(31_000)
        expect(released).to_contain_text(re.compile(r"Kunci dibuka: \d+ \w+ \d{4} \d\d\.\d\d WIB"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 361
        page.context.close()
    assert set(sent) == {"GET"}


# ---------------------------------------------------------------------------------------- access


@pytest.mark.parametrize("role", [None, *ACCOUNTS])
def test_only_the_committee_and_the_administrator_open_the_site_pages(demo, role):
    client = demo.test_client() if role is None else demo_client(demo, ACCOUNTS[role])
    urls = [SITES, EXPORT, f"/panitia/lokasi/jadwal/{schedule_id(demo, 'DEMO-SKD')}"]
    for url in urls:
        response = client.get(url)
        if role is None:
            assert response.status_code == 302 and response.headers["Location"].startswith("/masuk"), url
        elif role in ("committee", "admin"):
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, (role, url)
    if role not in (None, "committee", "admin"):
        token = csrf_token(client, "/akun")
        before = packages(demo)
        assert client.post(EXPORT, data={**export_form_data(), "csrf_token": token}).status_code == 403
        assert client.post(SITES, data={"csrf_token": token, "code": "X-1", "name": "X"}).status_code == 403
        assert packages(demo) == before


def export_form_data() -> dict:
    return {
        "schedule": "DEMO-SKD",
        "site": OTHER_SITE,
        "proctors": ["pengawas@demo.id"],
        "seats": "1",
        "understood": "y",
    }
