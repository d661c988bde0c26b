"""Demo test sites (issue 17): two registered sites and one package out, so the committee's site
pages have something to show.

The package is the always-open DEMO-SKD sitting for the first site, with three seats (the
sessions of kandidat13 to kandidat15, which no other part of the demo starts) and the demo
proctor. It is written to a temporary folder and dropped: its PINs are not needed, and each PIN
costs an Argon2 hash, so the seats are few.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select

from examserver.accounts.models import User
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.extensions import db
from examserver.selection import signing
from examserver.sites import services
from examserver.sites.export import export_package
from examserver.sites.models import SitePackage, TestSite
from itembank.database import utcnow

#: (code, name, address) of the demo's sites.
DEMO_SITES = (
    ("SMAN1-SAROLANGUN", "SMA Negeri 1 Sarolangun", "Jl. Lintas Sumatera, Sarolangun, Jambi"),
    ("SMKN2-BINJAI", "SMK Negeri 2 Binjai", "Jl. Bejomulyo, Binjai, Sumatera Utara"),
)
SCHEDULE = "DEMO-SKD"
#: The demo candidates seated at the first site.
SEATED = ("kandidat13@demo.id", "kandidat14@demo.id", "kandidat15@demo.id")
PROCTOR = "pengawas@demo.id"


def seed_sites() -> int:
    """Register the demo sites and export DEMO-SKD's package for the first; returns what was created."""
    known = set(db.session.scalars(select(TestSite.code)))
    created = 0
    for code, name, address in DEMO_SITES:
        if code not in known:
            services.register_site(db.session, code=code, name=name, address=address)
            created += 1
    schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == SCHEDULE))
    site = db.session.scalar(select(TestSite).where(TestSite.code == DEMO_SITES[0][0]))
    if schedule is None or site is None:
        return created
    exported = db.session.scalar(
        select(SitePackage.id).where(SitePackage.schedule_id == schedule.id, SitePackage.site_id == site.id)
    )
    if exported is not None:
        return created
    numbers = db.session.scalars(
        select(ExamSession.registration_number)
        .join(User, User.id == ExamSession.candidate_id)
        .where(ExamSession.schedule_id == schedule.id, User.email.in_(SEATED))
    ).all()
    committee = db.session.scalar(select(User.id).where(User.email == "panitia@demo.id"))
    with tempfile.TemporaryDirectory(prefix="paket-demo-") as folder:
        export_package(
            db.session,
            schedule_code=SCHEDULE,
            site_code=site.code,
            out=Path(folder) / "paket.json.gz",
            signing_key=signing.private_key(),
            now=utcnow(),
            proctor_emails=[PROCTOR],
            registration_numbers=list(numbers),
            actor_id=committee,
        )
    return created + 1
