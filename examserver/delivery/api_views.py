"""The player's JSON API (described at /api/openapi.json). Every answer carries the server time
so the player can correct for a wrong device clock."""

from __future__ import annotations

from flask import abort, jsonify, make_response, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from examserver import access
from examserver.accounts.passwords import verify_password
from examserver.accounts.roles import CANDIDATE
from examserver.delivery import api, integrity
from examserver.delivery.messages import delivery_message
from examserver.delivery.models import ENDED, ExamSession, SessionItem
from examserver.delivery.openapi import openapi_document
from examserver.delivery.services import (
    DeliveryError,
    Save,
    StartRequest,
    check_device,
    expire_if_due,
    note_pin_failure,
    reach_item,
    remaining_seconds,
    save_answers,
    start,
    submit,
    to_display,
)
from examserver.delivery.views import DEVICE_COOKIE
from examserver.extensions import db
from itembank.database import utcnow
from itembank.item_types import item_type
from itembank.models import ItemAsset, ItemVersion, ItemVersionAsset
from proctoring.models import IntegrityEvent

#: Session ids one browser may ask about at once (the player keeps one record per session).
MAX_STORED_IDS = 100


def now():
    return utcnow()


def own_session(session_id: int, *, lock: bool = False) -> ExamSession:
    """The current candidate's session, or 404 (never reveal other candidates' sessions)."""
    query = select(ExamSession).where(ExamSession.id == session_id, ExamSession.candidate_id == current_user.id)
    if lock:
        query = query.with_for_update()
    exam = db.session.scalar(query)
    if exam is None:
        abort(404)
    return exam


def request_device() -> str:
    """The device a read comes from: the ``X-Client-Id`` header, else the browser's device cookie
    (the player's ``client_id`` is that cookie's value, so images and plain GETs carry it too)."""
    return request.headers.get("X-Client-Id") or request.cookies.get(DEVICE_COOKIE, "")


def holding_device(session_id: int, exam: ExamSession) -> None:
    """Refuse, and log for the proctor, a read of a running session's items from a device that
    does not hold it (the rule saves follow)."""
    if exam.status != "in_progress":
        return
    try:
        check_device(exam, request_device())
    except DeliveryError:
        db.session.rollback()
        exam = own_session(session_id, lock=True)
        integrity.server_event(db.session, exam, "items_other_device", ip=request.remote_addr, path=request.path)
        db.session.commit()
        raise


def error(code: str, status: int, **params):
    return make_response(jsonify(code=code, message=delivery_message(code, **params), server_time=iso(now())), status)


def iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def body() -> dict:
    """The request's JSON object (the blueprint's body limit, ``BODY_LIMITS``, answers 413 first)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DeliveryError("body_invalid", 400)
    return data


@api.errorhandler(DeliveryError)
def delivery_error(exc: DeliveryError):
    db.session.rollback()
    return error(exc.code, exc.status, **exc.params)


def loaded_items(exam: ExamSession, *, payloads: bool = False) -> list[SessionItem]:
    """The session's items in order, with their answers and items (and, for ``payloads``, their
    sections, versions and images) in a few queries instead of several per item. Call it only with
    nothing unflushed on these rows: the rows are read afresh from the database."""
    options = [selectinload(SessionItem.answer), selectinload(SessionItem.item)]
    if payloads:
        options += [
            selectinload(SessionItem.section),
            selectinload(SessionItem.version).selectinload(ItemVersion.assets),
        ]
    return list(
        db.session.scalars(
            select(SessionItem)
            .where(SessionItem.session_id == exam.id)
            .order_by(SessionItem.position)
            .options(*options)
            .execution_options(populate_existing=True)
        )
    )


def state(exam: ExamSession) -> dict:
    """The session as the player needs it: clock, status, and what the server holds per item."""
    moment = now()
    adaptive_mode = exam.schedule.blueprint.delivery_mode == "adaptive"
    answers = []
    last_seq = 0
    items = loaded_items(exam)
    for si in items:
        answer = si.answer
        if answer is not None:
            last_seq = max(last_seq, answer.client_seq)
            answers.append(
                {
                    "position": si.position,
                    "seq": answer.client_seq,
                    "response": to_display(si, answer.response),
                    "flagged": answer.is_flagged,
                }
            )
    return {
        "session_id": exam.id,
        "status": exam.status,
        "server_time": iso(moment),
        "deadline": iso(exam.deadline_at),
        "remaining_seconds": round(remaining_seconds(exam, moment), 1),
        "paused": exam.paused_at is not None,
        # fixed, random or adaptive; an adaptive session shows ``reached`` items of ``item_count``.
        "mode": exam.schedule.blueprint.delivery_mode,
        "item_count": exam.schedule.blueprint.item_count if adaptive_mode else len(items),
        "reached": len(items),
        "sections": [
            {
                "title": s.title,
                "first": min(si.position for si in items if si.section_id == s.id),
                "count": sum(1 for si in items if si.section_id == s.id),
            }
            for s in exam.schedule.blueprint.sections
            if any(si.section_id == s.id for si in items)
        ],
        "answers": answers,
        "last_seq": last_seq,
        "result_url": f"/ujian/{exam.id}/hasil" if exam.is_ended else None,
        "messages": proctor_messages(exam),
    }


def proctor_messages(exam: ExamSession, limit: int = 5) -> list[dict]:
    """The proctor's messages and warnings to this candidate, newest last (at most ``limit``)."""
    rows = db.session.scalars(
        select(IntegrityEvent)
        .where(IntegrityEvent.session_id == exam.id, IntegrityEvent.kind == "message")
        .order_by(IntegrityEvent.id.desc())
        .limit(limit)
    ).all()
    return [
        {"id": row.id, "text": (row.details or {}).get("text", ""), "at": iso(row.received_at)}
        for row in reversed(rows)
    ]


@api.route("/openapi.json")
@access.public
def openapi():
    """The OpenAPI 3 description of the candidate API."""
    return jsonify(openapi_document())


def sessions_to_keep(ids: list[int]) -> set[int]:
    """Of ``ids``, the sessions whose copy this browser must keep: the signed-in candidate's own
    sessions that have not ended; with nobody signed in, a running session this very browser holds
    (its device cookie), so a sign-in that timed out mid-exam does not cost the unsent answers.
    Everything else (an ended session, another person's, an id that names nothing) looks the same."""
    if not ids:
        return set()
    query = select(ExamSession.id).where(ExamSession.id.in_(ids), ExamSession.status.not_in(ENDED))
    if current_user.is_authenticated:
        if current_user.role != CANDIDATE:
            return set()
        query = query.where(ExamSession.candidate_id == current_user.id)
    else:
        device = request.cookies.get(DEVICE_COOKIE, "")
        if not device:
            return set()
        query = query.where(ExamSession.status == "in_progress", ExamSession.active_client_id == device)
    return set(db.session.scalars(query))


@api.route("/sesi/berakhir")
@access.public
def ended_sessions():
    """Which sessions stored in this browser are over, so static/js/cleanup.js can forget them."""
    given = request.args.getlist("id")
    ids = list(dict.fromkeys(int(v) for v in given if v.isascii() and v.isdigit() and len(v) <= 18))[:MAX_STORED_IDS]
    keep = sessions_to_keep(ids)
    return jsonify(ended=[i for i in ids if i not in keep])


@api.route("/sesi/<int:session_id>/mulai", methods=["POST"])
@access.roles(CANDIDATE)
def start_session(session_id: int):
    """Start the exam, or resume it (same device, or another one the proctor allowed)."""
    data = body()
    exam = own_session(session_id, lock=True)
    request_data = StartRequest(
        client_id=str(data.get("client_id", "")), pin=data.get("pin"), ip_address=request.remote_addr
    )
    try:
        start(db.session, exam, request_data, now=now(), pin_ok=verify_password)
    except DeliveryError as refused:
        if refused.code in ("other_device", "pin_wrong"):  # log or count the attempt before refusing it
            db.session.rollback()
            exam = own_session(session_id, lock=True)
            if refused.code == "other_device":
                integrity.server_event(db.session, exam, "other_device_refused", ip=request.remote_addr)
            else:
                note_pin_failure(db.session, exam, now=now(), ip_address=request.remote_addr)
            db.session.commit()
        raise
    db.session.commit()
    return jsonify(state(exam))


@api.route("/sesi/<int:session_id>/status")
@access.roles(CANDIDATE)
def session_state(session_id: int):
    """Where the session stands: clock, status and the answers the server holds."""
    exam = own_session(session_id)
    if expire_if_due(db.session, exam, now=now()):
        db.session.commit()
    return jsonify(state(exam))


def item_payload(si: SessionItem) -> dict:
    """What the browser may know about an item: no key, no weights, no parameters, no letters."""
    kind = item_type(si.item.item_type)
    version = si.version
    by_letter = dict(zip([chr(65 + i) for i in range(len(version.options))], version.options, strict=True))
    answer = si.answer
    return {
        "position": si.position,
        "section": si.section.title,
        "kind": {"numeric": "numeric", "multiple_response": "multiple"}.get(kind.key, "single"),
        "stem": version.stem,
        "options": [{"id": str(i), "html": by_letter[letter]} for i, letter in enumerate(si.option_order, start=1)],
        "images": [
            {
                "src": f"/api/sesi/{si.session_id}/aset/{asset.id}",
                "alt": asset.alt_text,
                "width": asset.width,
                "height": asset.height,
            }
            for asset in version.assets
        ],
        "response": to_display(si, answer.response) if answer else None,
        "flagged": bool(answer and answer.is_flagged),
        "seq": answer.client_seq if answer else 0,
    }


@api.route("/sesi/<int:session_id>/butir/<int:position>")
@access.roles(CANDIDATE)
def get_item(session_id: int, position: int):
    """One item of the session, without anything that would reveal the key (only to the device holding it)."""
    exam = own_session(session_id)
    holding_device(session_id, exam)
    if exam.schedule.blueprint.delivery_mode == "adaptive" and position > len(exam.items):
        exam = own_session(session_id, lock=True)  # one CAT step at a time per session
        try:
            si = reach_item(db.session, exam, position)
            db.session.commit()
        except IntegrityError:  # a repeated request chose this position first: use its item
            db.session.rollback()
            exam = own_session(session_id)
            si = reach_item(db.session, exam, position)
    else:
        si = reach_item(db.session, exam, position)
    response = jsonify(item_payload(si))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@api.route("/sesi/<int:session_id>/butir")
@access.roles(CANDIDATE)
def get_all_items(session_id: int):
    """Every item of a fixed or random form at once, so the player can keep working offline."""
    exam = own_session(session_id)
    holding_device(session_id, exam)
    if exam.status != "in_progress":
        raise DeliveryError("session_ended" if exam.is_ended else "not_started")
    return jsonify(items=[item_payload(si) for si in loaded_items(exam, payloads=True)], server_time=iso(now()))


def parse_saves(data: dict) -> list[Save]:
    raw = data.get("saves")
    if not isinstance(raw, list):
        raise DeliveryError("body_invalid", 400)
    saves = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("position"), int):
            raise DeliveryError("body_invalid", 400)
        saves.append(
            Save(
                position=entry["position"],
                seq=entry.get("seq"),
                response=entry.get("response"),
                flagged=bool(entry.get("flagged")),
                answered_at=str(entry.get("answered_at") or "")[:40] or None,
            )
        )
    return saves


@api.route("/sesi/<int:session_id>/jawaban", methods=["POST"])
@access.roles(CANDIDATE)
def save_answer(session_id: int):
    """Save answers; acknowledged only after the commit. Replays and stale saves change nothing."""
    data = body()
    exam = own_session(session_id, lock=True)
    moment = now()
    if expire_if_due(db.session, exam, now=moment):
        db.session.commit()
        raise DeliveryError("time_up")
    acks = save_answers(db.session, exam, str(data.get("client_id", "")), parse_saves(data), now=moment)
    if data.get("events"):
        integrity.browser_events(db.session, exam, data["events"], moment)
    integrity.after_save(db.session, exam, moment)
    payload = {
        "saved": [{"position": a.position, "seq": a.seq, "applied": a.applied} for a in acks],
        "server_time": iso(moment),
        "remaining_seconds": round(remaining_seconds(exam, moment), 1),
    }
    messages = proctor_messages(exam, limit=1)
    if messages:  # the proctor's newest message, so it reaches the candidate with the next save
        payload["messages"] = messages
    db.session.commit()  # acknowledged only after this (the payload is read first: no reload after)
    return jsonify(payload)


@api.route("/sesi/<int:session_id>/selesai", methods=["POST"])
@access.roles(CANDIDATE)
def submit_session(session_id: int):
    """End the exam and get the result at once (if the schedule shows scores)."""
    data = body()
    exam = own_session(session_id, lock=True)
    result = submit(db.session, exam, str(data.get("client_id", "")), now=now())
    db.session.commit()
    payload = {"status": exam.status, "result_url": f"/ujian/{exam.id}/hasil", "server_time": iso(now())}
    if exam.schedule.shows_score and result is not None:
        payload["result"] = {
            "sections": result.sections,
            "total": result.total_raw,
            "passed": result.passed,
            "scaled": result.scaled,
        }
    return jsonify(payload)


@api.route("/sesi/<int:session_id>/aset/<int:asset_id>")
@access.roles(CANDIDATE)
def item_image(session_id: int, asset_id: int):
    """An image of one of this session's items (and no other), to the device holding the session."""
    exam = own_session(session_id)
    holding_device(session_id, exam)
    versions = [si.version_id for si in exam.items]
    allowed = db.session.scalar(
        select(ItemVersionAsset.asset_id).where(
            ItemVersionAsset.asset_id == asset_id, ItemVersionAsset.version_id.in_(versions)
        )
    )
    if allowed is None:
        abort(404)
    asset = db.session.get(ItemAsset, asset_id)
    response = make_response(asset.data)
    response.headers["Content-Type"] = asset.content_type
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
