"""The centre's registry of test sites, the packages it exported to them and who sits where.

A site is a place with its own server on its own network (docs/operations/test-sites.md). Each
export writes one package for one sitting at one site and records here what the centre must keep:
the release code it publishes at the start, the site's public key that its results must be signed
with, and the roster (which sessions sit at the site, with the hash of each exam PIN).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examserver.delivery.models import ExamSchedule, ExamSession
from itembank.database import Base, UTCDateTime, utcnow


class TestSite(Base):
    """A test site: a school or an office with a site server for its computers."""

    __tablename__ = "test_site"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The code the site's server is set up with and the package names (``SMAN1-BUNGO``).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Where it is, as people name it (address or district).
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    packages: Mapped[list[SitePackage]] = relationship(back_populates="site", order_by="SitePackage.id")


class SitePackage(Base):
    """One exported package: a sitting's content for one site, sealed until the start."""

    __tablename__ = "site_package"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The random id the manifest carries (and the sealed content is bound to).
    package_id: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("test_site.id", ondelete="RESTRICT"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("exam_schedule.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: SHA-256 of the package file as written, so a delivered copy can be compared.
    sha256: Mapped[str] = mapped_column(String(64))
    #: The release code the centre publishes at the start (the package holds the other half).
    release_code: Mapped[str] = mapped_column(String(24))
    #: The site's Ed25519 public key (PEM) made with this package: its results must carry its signature.
    site_public_key_pem: Mapped[str] = mapped_column(Text)
    #: When another export for the same site and sitting replaced this one (its roster is void).
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: What the day brought, as the centre learns it (the monitoring page reads these).
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    results_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    results_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The problems of the last refused results file (codes and parameters), None when none.
    results_problems: Mapped[list | None] = mapped_column(JSON)
    #: The site's last report over a link (``flask site sync``): when, and its roster's sessions by
    #: state as the site counts them (not_started, running, finished).
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    site_counts: Mapped[dict | None] = mapped_column(JSON)

    site: Mapped[TestSite] = relationship(back_populates="packages")
    schedule: Mapped[ExamSchedule] = relationship()
    roster: Mapped[list[SiteRosterEntry]] = relationship(back_populates="package", order_by="SiteRosterEntry.id")
    proctors: Mapped[list[SiteProctor]] = relationship(back_populates="package", order_by="SiteProctor.id")


class _PinOfPackage:
    """A person a package places at its site, with the hash of the PIN printed for them (the PIN
    itself is never stored)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("site_package.id", ondelete="CASCADE"), index=True)
    pin_hash: Mapped[str] = mapped_column(String(255))


class SiteRosterEntry(_PinOfPackage, Base):
    """A candidate's session assigned to a site by a package; the PIN is the exam card's."""

    __tablename__ = "site_roster"
    __table_args__ = (UniqueConstraint("package_id", "session_id"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"), index=True)

    package: Mapped[SitePackage] = relationship(back_populates="roster")
    session: Mapped[ExamSession] = relationship()


class SiteProctor(_PinOfPackage, Base):
    """A proctor who works at the site for a package; the PIN is the one they sign in with there."""

    __tablename__ = "site_proctor"
    __table_args__ = (UniqueConstraint("package_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)

    package: Mapped[SitePackage] = relationship(back_populates="proctors")


# ---------------------------------------------------------------------------------------- on a site


class SiteState(Base):
    """On a site server: the one package it holds, and where its day stands (one row at most).

    The share of the content key and the site's signing key are the package's; the content key
    itself is never stored: it is derived at the release from the share and the typed code."""

    __tablename__ = "site_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[str] = mapped_column(String(32), unique=True)
    site_code: Mapped[str] = mapped_column(String(40))
    schedule_id: Mapped[int] = mapped_column(Integer)
    #: The centre's clock when it wrote the package (the site's clock may not be behind it).
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The package's half of the content key (base64) and the check of the typed code (hex).
    seal_share: Mapped[str] = mapped_column(String(64))
    seal_check: Mapped[str] = mapped_column(String(64))
    #: The site's Ed25519 key (PEM) its results are signed with; the centre holds the public half.
    site_private_key_pem: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who released it (the head proctor's user id, or None from the command line).
    released_by_id: Mapped[int | None] = mapped_column(Integer)
    #: How many ended sessions the centre had taken at the last upload over a link (``flask site sync``).
    uploaded_ended: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SiteSealed(Base):
    """On a site server: what the release completes. A row of a table whose rows never change
    (item versions, and the rows that name them) waits here whole, in ``row``, and is inserted at the
    release; a sealed row's secret columns wait here as AES-GCM ciphertext (``nonce``, ``data``), to
    be written into its row (images) or into ``row`` before it is inserted (item versions)."""

    __tablename__ = "site_sealed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40))
    #: The row's id (None for a row whose key is two columns: it waits whole in ``row``).
    row_id: Mapped[int | None] = mapped_column(Integer)
    #: The row to insert at the release (JSON values as the package carries them), or None.
    row: Mapped[dict | None] = mapped_column(JSON)
    nonce: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[str | None] = mapped_column(Text)


class SiteReceipt(Base):
    """At the centre: the receipt a candidate got on a site, for a session imported from it.

    The site gave the candidate the first 100 bits of the session's chain head at the end
    (:func:`proctoring.receipts.receipt_code`); the import checked that the head is an entry of the
    chain it verified. Anyone can look the receipt up on the public receipt page: a receipt the
    centre does not know means the chain that came back is not the one the candidate ended."""

    __tablename__ = "site_receipt"

    session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id", ondelete="RESTRICT"), primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("site_package.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    final_head: Mapped[str] = mapped_column(String(64))
    chain_size: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    package: Mapped[SitePackage] = relationship()
