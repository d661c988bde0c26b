"""A centre's package and a site server for the test-site tests (issue 17): what each of them set up
by hand, once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from examserver import create_app
from examserver.config import TestingConfig
from examserver.extensions import db
from examserver.selection import signing
from examserver.sites.export import Exported, export_package
from examserver.sites.install import install_package, release
from examserver.sites.models import TestSite
from itembank.database import utcnow

SITE = "SMAN1-BUNGO"
SITE_NAME = "SMA Negeri 1 Muara Bungo"
PROCTOR = "pengawas@demo.id"


def export_for(centre, out: Path, *, schedule: str = "DEMO-SKD", seats: int = 3, site: str = SITE) -> Exported:
    """On ``centre`` (registering ``site`` first when it is not yet): the package of ``schedule``
    for ``seats`` candidates and the demo proctor, written to ``out``, with its release code and
    package id as ``code`` and ``package_id``; the centre's public key is left on the app as
    ``centre.public_key``."""
    with centre.app_context():
        if db.session.scalar(select(TestSite.id).where(TestSite.code == site)) is None:
            db.session.add(TestSite(code=site, name=SITE_NAME))
        exported = export_package(
            db.session,
            schedule_code=schedule,
            site_code=site,
            out=out,
            signing_key=signing.private_key(),
            now=utcnow(),
            proctor_emails=[PROCTOR],
            seats=seats,
        )
        db.session.commit()
        exported.code = exported.package.release_code  # read here: the package is the centre's row
        exported.package_id = exported.package.package_id
        centre.public_key = signing.public_key_pem()
    return exported


def site_server(folder: Path, **settings) -> object:
    """A site server on an empty database of its own in ``folder`` (the schema only)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'site.db'}",
        "EXAMSERVER_ROLE": "site",
        "SITE_CODE": SITE,
        **settings,
    }
    app = create_app(type("SiteConfig", (TestingConfig,), config))
    with app.app_context():
        db.create_all()
    app.database = folder / "site.db"
    return app


def holding(site, centre, exported: Exported, *, released: bool = False):
    """``site`` with ``exported`` imported (and released with its code when ``released``)."""
    with site.app_context():
        install_package(
            db.session,
            exported.path.read_bytes(),
            centre_public_key_pem=centre.public_key,
            site_code=SITE,
            site_secret=exported.site_secret,
            now=utcnow(),
        )
        if released:
            release(db.session, exported.code, now=utcnow())
        db.session.commit()
    return site
