"""A site server (issue 17): the centre's package imported into an empty site database, sealed
until the release code is typed, then the sitting runs there; bad packages, wrong codes and a
site clock behind the centre's are refused and change nothing."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from examserver.accounts.models import User
from examserver.delivery.models import ExamSession
from examserver.extensions import db
from examserver.sites import sealing
from examserver.sites.install import install_package, release, require_released
from examserver.sites.models import SitePackage, SiteSealed, SiteState
from itembank.database import utcnow
from itembank.models import ItemVersion, TestFormItem
from itembank.refusal import Refusal
from tests.conftest import login
from tests.examserver.player_client import Player
from tests.examserver.site_servers import SITE, export_for, holding, site_server


@pytest.fixture(scope="module")
def centre(own_demo, tmp_path_factory):
    """The centre (a demo copy) with the site registered and two packages of DEMO-SKD exported for
    it (the second supersedes the first), and the PINs of the second; the centre's public key."""
    app = own_demo("site-centre")
    folder = tmp_path_factory.mktemp("packages")
    app.packages = {name: export_for(app, folder / f"{name}.json.gz") for name in ("old", "new")}
    return app


@pytest.fixture
def site(tmp_path, centre):
    """A fresh site server: its own empty database (the schema only), role site."""
    key_file = tmp_path / "centre.pem"
    key_file.write_bytes(centre.public_key)
    app = site_server(tmp_path, CENTRE_PUBLIC_KEY_FILE=str(key_file))
    yield app
    with app.app_context():
        db.engine.dispose()


def install(app, centre, raw: bytes, now=None, secret=None) -> tuple[str, bool, bool]:
    """Import ``raw`` on ``app``: the package id, whether anything was written, whether released."""
    with app.app_context():
        key, moment = centre.public_key, now or utcnow()
        secret = secret or centre.packages["new"].site_secret
        state, written = install_package(
            db.session, raw, centre_public_key_pem=key, site_code=SITE, site_secret=secret, now=moment
        )
        db.session.commit()
        return state.package_id, written, state.released_at is not None


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(ExamSession)),
            db.session.scalar(select(func.count()).select_from(ItemVersion)),
            db.session.scalar(select(func.count()).select_from(SiteSealed)),
        )


def test_a_release_on_one_site_database_opens_no_other(site, centre, tmp_path):
    """The process remembers a release per database: another site database served by the same
    process (as the tests do; a second site server on one machine) stays sealed until its own."""
    (tmp_path / "other").mkdir()
    other = site_server(tmp_path / "other", CENTRE_PUBLIC_KEY_FILE=site.config["CENTRE_PUBLIC_KEY_FILE"])
    holding(site, centre, centre.packages["new"], released=True)
    holding(other, centre, centre.packages["new"])
    with site.app_context():
        require_released(db.session)  # opened
    with other.app_context(), pytest.raises(Refusal) as sealed:
        require_released(db.session)
    assert sealed.value.code == "sites.sealed"
    with site.app_context():
        require_released(db.session)  # and still opened after the other's refusal
    with other.app_context():
        db.engine.dispose()


def test_the_sitting_stays_sealed_until_the_code_and_then_runs_on_the_site(site, centre):
    exported = centre.packages["new"]
    package_id, written, released = install(site, centre, exported.path.read_bytes())
    assert written and not released and package_id == exported.package.package_id
    sessions, versions, waiting = counts(site)
    assert sessions == 3 and versions == 0 and waiting > 0  # no item version exists before the release
    number, _name, pin = exported.candidate_pins[0]
    client = site.test_client()
    with site.app_context():
        exam = db.session.scalar(select(ExamSession).where(ExamSession.registration_number == number))
        email = db.session.get(User, exam.candidate_id).email
        exam_id = exam.id
    assert login(client, number, "salah-pin").status_code == 422
    page = client.get("/masuk").get_data(as_text=True)
    assert "Nomor peserta atau email" in page and 'type="text"' in page
    assert login(client, number.lower(), pin).status_code == 302  # the exam card: its number and PIN
    other = site.test_client()
    assert login(other, email, pin).status_code == 302  # the e-mail works too
    player = Player(client, exam_id)
    refused = player.start()
    assert refused.status_code == 409 and refused.get_json()["code"] == "sites.sealed"

    with site.app_context(), pytest.raises(Refusal) as wrong:
        release(db.session, "AAAAA-AAAAA-AAAAA-AAAAA", now=utcnow())
    assert wrong.value.code == "sites.code_wrong"
    assert counts(site)[1] == 0
    typed = exported.code.replace("-", " ").lower()  # as a head proctor may type it
    with site.app_context():
        _, opened = release(db.session, typed, now=utcnow())
        db.session.commit()
        assert opened == db.session.scalar(select(func.count()).select_from(ItemVersion)) > 0
        assert db.session.scalar(select(func.count()).select_from(TestFormItem)) > 0
        stems = dict(db.session.execute(select(ItemVersion.id, ItemVersion.stem)).all())
    with centre.app_context():
        assert stems == dict(
            db.session.execute(select(ItemVersion.id, ItemVersion.stem).where(ItemVersion.id.in_(stems))).all()
        )
    started = player.start()
    assert started.status_code == 200, started.get_json()
    shown = started.get_json()["items"]
    assert shown and all(item["stem"] in stems.values() for item in shown)
    with site.app_context():
        assert release(db.session, exported.code, now=utcnow())[1] == 0  # released already: nothing again


def test_the_package_alone_cannot_sign_for_the_site(site, centre):
    """The site's signing key is sealed under the code printed for the head proctor: a wrong code
    imports nothing, and the package's bytes hold no private key."""
    raw = centre.packages["new"].path.read_bytes()
    assert b"PRIVATE KEY" not in gzip.decompress(raw)
    with pytest.raises(Refusal) as wrong:
        install(site, centre, raw, secret="AAAAA-AAAAA-AAAAA-AAAAA")
    assert wrong.value.code == "sites.site_secret_wrong"
    assert counts(site) == (0, 0, 0)
    install(site, centre, raw)
    with site.app_context():
        held = db.session.scalar(select(SiteState))
        signature = sealing.sign(sealing.load_private(held.site_private_key_pem), b"hasil")
    with centre.app_context():
        public = db.session.scalar(
            select(SitePackage.site_public_key_pem).where(SitePackage.package_id == held.package_id)
        )
    assert sealing.verify(public.encode(), b"hasil", signature)


def test_the_same_package_twice_changes_nothing_and_another_is_refused(site, centre):
    raw = centre.packages["new"].path.read_bytes()
    install(site, centre, raw)
    before = counts(site)
    assert install(site, centre, raw)[1] is False
    assert counts(site) == before
    with pytest.raises(Refusal) as other:
        install(site, centre, centre.packages["old"].path.read_bytes(), secret=centre.packages["old"].site_secret)
    assert other.value.code == "sites.other_package"
    assert counts(site) == before


def _altered(raw: bytes) -> bytes:
    envelope = json.loads(gzip.decompress(raw))
    envelope["manifest"]["roster"][0]["pin_hash"] = envelope["manifest"]["roster"][1]["pin_hash"]
    return gzip.compress(json.dumps(envelope).encode())


@pytest.mark.parametrize(
    "spoil,code",
    [
        (_altered, "sites.signature_invalid"),
        (lambda raw: raw[:-20], "sites.not_a_package"),
        (lambda raw: b"PK\x03\x04 not a package", "sites.not_a_package"),
    ],
    ids=["one value changed", "cut short", "another file"],
)
def test_a_spoiled_package_is_refused_and_writes_nothing(site, centre, spoil, code):
    with pytest.raises(Refusal) as refused:
        install(site, centre, spoil(centre.packages["new"].path.read_bytes()))
    assert refused.value.code == code
    assert counts(site) == (0, 0, 0)
    with site.app_context():
        assert db.session.scalar(select(SiteState)) is None


def test_a_site_clock_behind_the_centres_is_refused(site, centre):
    with pytest.raises(Refusal) as refused:
        install(site, centre, centre.packages["new"].path.read_bytes(), now=utcnow() - timedelta(hours=1))
    assert refused.value.code == "sites.clock_behind" and refused.value.params["minutes"] >= 55
    assert counts(site) == (0, 0, 0)


def test_a_package_for_another_site_or_out_of_date_is_refused(site, centre):
    raw = centre.packages["new"].path.read_bytes()
    with site.app_context(), pytest.raises(Refusal) as elsewhere:
        install_package(
            db.session,
            raw,
            centre_public_key_pem=centre.public_key,
            site_code="SMKN3-MEDAN",
            site_secret="x",
            now=utcnow(),
        )
    assert elsewhere.value.code == "sites.wrong_site"
    with pytest.raises(Refusal) as late:
        install(site, centre, raw, now=utcnow() + timedelta(days=800))
    assert late.value.code == "sites.package_expired"
    assert counts(site) == (0, 0, 0)


def test_the_cli_imports_and_releases_on_a_site_only(site, centre):
    exported = centre.packages["new"]
    runner = site.test_cli_runner()
    result = runner.invoke(args=["site", "import", str(exported.path), "--site-secret", exported.site_secret])
    assert result.exit_code == 0 and "imported" in result.output, result.output
    wrong = runner.invoke(args=["site", "release", "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZ"])
    assert wrong.exit_code != 0 and "Kode pembuka" in wrong.output
    opened = runner.invoke(args=["site", "release", exported.code])
    assert opened.exit_code == 0 and "released" in opened.output, opened.output
    on_centre = centre.test_cli_runner().invoke(args=["site", "import", str(exported.path), "--site-secret", "x"])
    assert on_centre.exit_code != 0 and "EXAMSERVER_ROLE=site" in on_centre.output
