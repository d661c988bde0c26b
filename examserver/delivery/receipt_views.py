"""The public receipt check: a candidate's receipt, its audit path and the sitting's published root."""

from __future__ import annotations

from flask import abort, jsonify, render_template, request
from sqlalchemy import select

from examserver import access
from examserver.delivery import bp
from examserver.delivery.forms import ReceiptForm
from examserver.delivery.models import ExamSchedule, ExamSession
from examserver.extensions import db
from examserver.sites.models import SiteReceipt
from proctoring import receipts
from proctoring.models import SittingRoot


@bp.app_template_global()
def receipt_for(session_id: int) -> str | None:
    """The candidate's receipt, grouped for reading (None before the session is sealed)."""
    found = receipts.receipt_of(db.session, session_id)
    return receipts.readable(found.code) if found is not None else None


@bp.app_template_filter("receipt_readable")
def receipt_readable(code: str) -> str:
    """A receipt code grouped for reading: ``ABCDE-FGHIJ-KLMNO-PQRST``."""
    return receipts.readable(code)


@bp.app_template_global()
def receipt_queued(session_id: int) -> bool:
    """Whether the session's receipt waits for the next sealing pass (many sessions ended at once)."""
    return receipts.is_queued(db.session, session_id)


@bp.app_template_global()
def sitting_root(schedule_id: int) -> SittingRoot | None:
    """The newest published Merkle root of a sitting's sealed sessions."""
    return receipts.latest_root(db.session, schedule_id)


def _proof_of(typed: str):
    proof = receipts.prove(db.session, typed)
    schedule = db.session.get(ExamSchedule, proof.receipt.schedule_id) if proof is not None else None
    return proof, schedule


@bp.route("/tanda-terima")
@access.public
def receipt_check():
    """Anyone can check a receipt: the leaf, its audit path and the sitting's published root."""
    form = ReceiptForm(request.args)
    proof = schedule = from_site = None
    asked = bool(request.args) and form.validate()
    if asked:
        proof, schedule = _proof_of(form.kode.data)
        if proof is None:  # a receipt a test site gave, for a session whose chain came back from it
            from_site = db.session.scalar(
                select(SiteReceipt).where(SiteReceipt.code == receipts.normalise(form.kode.data))
            )
            schedule = from_site.package.schedule if from_site is not None else None
    return render_template(
        "delivery/receipt.html", form=form, asked=asked, proof=proof, schedule=schedule, from_site=from_site
    )


@bp.route("/tanda-terima.json")
@access.public
def receipt_proof_json():
    """The same proof as JSON, to check offline (see docs/guide/public.md)."""
    proof, schedule = _proof_of(request.args.get("kode", "")[:40])
    if proof is None:
        abort(404)
    return jsonify(
        receipt=receipts.readable(proof.receipt.code),
        schedule=schedule.code,
        leaf=proof.receipt.final_head,
        leaf_index=proof.receipt.leaf_index,
        tree_size=proof.root.tree_size,
        audit_path=list(proof.path),
        root=proof.root.root_hash,
        valid=proof.valid,
    )


@bp.route("/tanda-terima/jadwal/<code>")
@access.public
def sitting_roots(code: str):
    """A sitting's published Merkle roots, newest first, over its sealed sessions' chain heads."""
    schedule = db.session.scalar(select(ExamSchedule).where(ExamSchedule.code == code.upper()))
    if schedule is None:
        abort(404)
    roots = db.session.scalars(
        select(SittingRoot).where(SittingRoot.schedule_id == schedule.id).order_by(SittingRoot.tree_size.desc())
    ).all()
    if not roots:
        abort(404)
    ended = db.session.scalar(
        select(db.func.count(ExamSession.id)).where(
            ExamSession.schedule_id == schedule.id, ExamSession.ended_at.is_not(None)
        )
    )
    return render_template("delivery/sitting_roots.html", schedule=schedule, roots=roots, ended=ended)
