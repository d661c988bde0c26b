"""A site with a link to the centre (issue 17): ``flask site sync`` reports the site's state, gets
the release code from the opening (after checking the clocks) and sends the results of the sessions
that ended; without a link, or with a forged or stale report, nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from examserver.accounts.models import User
from examserver.delivery.models import ExamSession, SessionResult
from examserver.extensions import db
from examserver.sites import sealing
from examserver.sites.install import state
from examserver.sites.link import REPORT_FORMAT, sync
from examserver.sites.models import SitePackage
from itembank.database import utcnow
from itembank.refusal import Refusal
from tests.conftest import login, served
from tests.examserver.player_client import Player
from tests.examserver.site_servers import SITE, export_for, holding, site_server


@pytest.fixture(scope="module")
def centre(own_demo):
    app = own_demo("site-link")
    with served(app) as url:
        app.url = url
        yield app


def make_site(centre, tmp_path, schedule: str):
    exported = export_for(centre, tmp_path / "package.json.gz", schedule=schedule, seats=2)
    site = holding(site_server(tmp_path, CENTRE_URL=centre.url), centre, exported)
    site.exported = exported
    return site


def run_sync(site, now=None):
    with site.app_context():
        synced = sync(db.session, site.config["CENTRE_URL"], now=now or utcnow())
        db.session.commit()
        return synced


def package_row(centre, package_id: str) -> SitePackage:
    with centre.app_context():
        package = db.session.scalar(select(SitePackage).where(SitePackage.package_id == package_id))
        db.session.expunge(package)
        return package


def test_the_link_releases_at_the_opening_and_brings_the_results(centre, tmp_path):
    site = make_site(centre, tmp_path, "DEMO-SKD")  # opened yesterday
    first = run_sync(site)
    assert first.released and first.released > 0 and first.uploaded is None and abs(first.centre_offset_seconds) < 60
    package = package_row(centre, site.exported.package_id)
    assert package.imported_at is not None and package.released_at is not None and package.reported_at is not None
    assert package.site_counts == {"not_started": 2, "running": 0, "finished": 0}

    number, _name, pin = site.exported.candidate_pins[0]
    client = site.test_client()
    assert login(client, number, pin).status_code == 302
    with site.app_context():
        exam_id = db.session.scalar(select(ExamSession.id).where(ExamSession.registration_number == number))
    player = Player(client, exam_id)
    items = player.start().get_json()["items"]
    assert player.save(*[{"position": i["position"], "seq": n, "response": 1} for n, i in enumerate(items, 1)])
    assert player.submit().status_code == 200

    second = run_sync(site)
    assert second.released is None and second.uploaded["imported"] == [number] and second.uploaded["problems"] == []
    with centre.app_context():
        assert db.session.get(ExamSession, exam_id).status == "submitted"
        centre_result = db.session.get(SessionResult, exam_id).total_raw
    with site.app_context():
        assert db.session.get(SessionResult, exam_id).total_raw == centre_result
        assert state(db.session).uploaded_ended == 1
    package = package_row(centre, site.exported.package_id)
    assert package.results_verified_at is not None
    assert package.site_counts == {"not_started": 1, "running": 0, "finished": 1}
    assert run_sync(site).uploaded is None  # nothing new has ended: nothing sent again


def test_before_the_opening_the_link_gives_no_code(centre, tmp_path):
    site = make_site(centre, tmp_path, "SKD-2026-I")  # opens in a week
    synced = run_sync(site)
    assert synced.released is None
    with site.app_context():
        assert state(db.session).released_at is None


def test_a_site_clock_off_is_refused_by_the_centre_and_nothing_is_released(centre, tmp_path):
    site = make_site(centre, tmp_path, "DEMO-CAT")
    with pytest.raises(Refusal) as refused:
        run_sync(site, now=utcnow() - timedelta(hours=1))
    assert refused.value.code == "sites.centre_refused" and refused.value.params["http_status"] == 422
    with site.app_context():
        assert state(db.session).released_at is None


def test_without_a_link_the_site_carries_on(centre, tmp_path):
    site = make_site(centre, tmp_path, "DEMO-CAT")
    site.config["CENTRE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(Refusal) as refused:
        run_sync(site)
    assert refused.value.code == "sites.no_link"
    with site.app_context():
        assert state(db.session).released_at is None


def test_a_report_not_signed_by_the_site_is_refused(centre, tmp_path):
    site = make_site(centre, tmp_path, "DEMO-CAT")
    forger, _public = sealing.new_site_key()
    body = {"package_id": site.exported.package_id, "site_code": SITE, "sent_at": utcnow().isoformat(), "counts": {}}
    path = tmp_path / "forged.json.gz"
    sealing.write_signed(path, REPORT_FORMAT, body, sealing.load_private(forger))
    response = centre.test_client().post("/api/lokasi/laporan", data=path.read_bytes())
    assert response.status_code == 422 and response.get_json()["code"] == "sites.signature_invalid"
    assert "release_code" not in response.get_data(as_text=True)
    assert package_row(centre, site.exported.package_id).reported_at is None
    with centre.app_context():
        assert db.session.scalar(select(User.id).limit(1))  # the centre answered and still serves


def test_the_monitoring_page_counts_what_the_site_reports(centre, tmp_path):
    """Before its results come, the centre's rows of a site's candidates are not started; the
    committee's page shows the site's own counts from its last report, and when it came."""
    from examserver.sites.services import site_states

    site = make_site(centre, tmp_path, "DEMO-SKD")
    run_sync(site)
    number, _name, pin = site.exported.candidate_pins[1]
    client = site.test_client()
    assert login(client, number, pin).status_code == 302
    with site.app_context():
        exam_id = db.session.scalar(select(ExamSession.id).where(ExamSession.registration_number == number))
    assert Player(client, exam_id).start().status_code == 200
    run_sync(site)
    with centre.app_context():
        package = db.session.scalar(select(SitePackage).where(SitePackage.package_id == site.exported.package_id))
        state_of = next(s for s in site_states(db.session, package.schedule_id) if s.package.id == package.id)
        assert (state_of.not_started, state_of.running, state_of.finished) == (1, 1, 0)
        assert db.session.get(ExamSession, exam_id).status == "scheduled"  # at the centre: not yet


def test_the_sync_command_says_what_it_did_and_without_a_link_changes_nothing(centre, tmp_path):
    site = make_site(centre, tmp_path, "DEMO-SKD")
    done = site.test_cli_runner().invoke(args=["site", "sync"])
    assert done.exit_code == 0 and "centre reached" in done.output and "released with the centre's code" in done.output
    site.config["CENTRE_URL"] = "http://127.0.0.1:9"
    offline = site.test_cli_runner().invoke(args=["site", "sync"])
    assert offline.exit_code != 0 and "Pusat tidak dapat dihubungi" in offline.output
    site.config["CENTRE_URL"] = None
    unset = site.test_cli_runner().invoke(args=["site", "sync"])
    assert unset.exit_code != 0 and "EXAMSERVER_CENTRE_URL" in unset.output
