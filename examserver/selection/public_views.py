"""Public selection pages: vacancies, Atom feed, poster, announcements with their signature and key."""

from __future__ import annotations

from flask import make_response, render_template, url_for
from sqlalchemy import select

from examserver import access
from examserver.delivery.models import ExamSession
from examserver.downloads import CSV, attachment
from examserver.extensions import db
from examserver.selection import bp, services, signing
from examserver.selection.announcements import (
    HASH_COLUMNS,
    VERIFY_COMMAND,
    affected_sessions,
    readable_table,
    replacement_of,
    table,
)
from examserver.selection.models import Announcement, SelectionPeriod
from examserver.selection.rubrics import RUBRICS, component_label, rubric_of
from examserver.selection.rules import rules_from_json
from examserver.selection.web import period_by_code
from itembank.database import utcnow
from proctoring import chain


@bp.route("/")
@access.public
def periods():
    """Every selection period, newest first."""
    rows = db.session.scalars(select(SelectionPeriod).order_by(SelectionPeriod.applications_open_at.desc())).all()
    return render_template("selection/periods.html", periods=rows, now=utcnow())


@bp.route("/feed.atom")
@access.public
def feed_all():
    """Atom feed of every period and every announcement, newest first."""
    periods = db.session.scalars(select(SelectionPeriod).order_by(SelectionPeriod.created_at.desc())).all()
    published = db.session.scalars(select(Announcement).order_by(Announcement.published_at.desc()).limit(50)).all()
    moments = [p.created_at for p in periods] + [a.published_at for a in published]
    response = make_response(
        render_template(
            "selection/feed_all.atom.html",
            periods=periods,
            announcements=published,
            updated=max(moments, default=utcnow()),
        )
    )
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


def _vacancy_context(code: str) -> dict:
    from examserver.hr.models import PublicConsultation  # hr's models import selection's

    period = period_by_code(code)
    announcements = db.session.scalars(
        select(Announcement).where(Announcement.period_id == period.id).order_by(Announcement.published_at)
    ).all()
    return {
        "period": period,
        "counts": services.position_counts(db.session, period),
        "announcements": announcements,
        "is_open": services.is_open(period, utcnow()),
        # The period's public consultation on its criteria, if the committee opened one.
        "consultation": db.session.scalar(select(PublicConsultation).where(PublicConsultation.period_id == period.id)),
    }


@bp.route("/<code>")
@access.public
def vacancy(code: str):
    """A period's positions, quotas, requirements, deadlines, applicants per seat and announcements."""
    return render_template("selection/vacancy.html", **_vacancy_context(code))


@bp.route("/<code>/rubrik")
@access.public
def rubrics(code: str):
    """The published rubrics (interview, track record) and the weights of the period's rules."""
    period = period_by_code(code)
    components = rules_from_json(period.rules).weights.components
    used = [RUBRICS[key] for key in dict.fromkeys(rubric for rubric in map(rubric_of, components) if rubric)]
    return render_template(
        "selection/rubrics.html", period=period, components=components, used=used, component_label=component_label
    )


@bp.route("/<code>/poster")
@access.public
def poster(code: str):
    """A one-page printable poster for notice boards."""
    return render_template("selection/poster.html", **_vacancy_context(code))


@bp.route("/<code>/feed.atom")
@access.public
def feed(code: str):
    """Atom feed of the period: its opening and every announcement."""
    context = _vacancy_context(code)
    response = make_response(render_template("selection/feed.atom.html", **context))
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


@bp.route("/pengumuman/<int:announcement_id>")
@access.public
def announcement(announcement_id: int):
    """An announcement: the list, its digest, signature, the key and how to verify it."""
    item = db.get_or_404(Announcement, announcement_id)
    positions = {p.code: p.title for p in item.period.positions}
    header, rows = readable_table(item.csv_text, item.stage, positions)
    return render_template(
        "selection/announcement.html",
        item=item,
        header=header,
        hash_columns={i for i, name in enumerate(table(item.csv_text)[0]) if name in HASH_COLUMNS},
        rows=rows,
        replaced_by=replacement_of(db.session, item),
        affected=affected_sessions(db.session, item),
        verify_command=VERIFY_COMMAND + f"pengumuman-{item.id}.csv pengumuman-{item.id}.sig kunci-publik.pem",
        key_url=url_for("selection.public_key", _external=True),
    )


@bp.route("/pengumuman/<int:announcement_id>/pengumuman.csv")
@access.public
def announcement_csv(announcement_id: int):
    """The canonical CSV, byte for byte as signed."""
    item = db.get_or_404(Announcement, announcement_id)
    return attachment(item.csv_text.encode("utf-8"), f"pengumuman-{item.id}.csv", CSV)


@bp.route("/pengumuman/<int:announcement_id>/pengumuman.sig")
@access.public
def announcement_signature(announcement_id: int):
    """The Ed25519 signature of the CSV, base64."""
    item = db.get_or_404(Announcement, announcement_id)
    return attachment(item.signature + "\n", f"pengumuman-{item.id}.sig", "text/plain; charset=us-ascii")


@bp.route("/kunci-publik.pem")
@access.public
def public_key():
    """The agency's public key that verifies every announcement."""
    return attachment(signing.public_key_pem(), "kunci-publik.pem", "application/x-pem-file")


@bp.route("/pengumuman/<int:announcement_id>/titik-periksa")
@access.public
def checkpoints(announcement_id: int):
    """The integrity-log checkpoints of the exam sessions behind the announced scores."""
    item = db.get_or_404(Announcement, announcement_id)
    sessions = db.session.scalars(
        select(ExamSession).where(ExamSession.id.in_(item.session_ids)).order_by(ExamSession.registration_number)
    ).all()
    rows = [(exam.registration_number, chain.latest_checkpoint(db.session, exam.id)) for exam in sessions]
    return render_template("selection/checkpoints.html", item=item, rows=rows)
