"""The player's JSON API (described at /api/openapi.json). Every answer carries the server time
so the player can correct for a wrong device clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from flask import Response, abort, current_app, jsonify, make_response, request
from sqlalchemy import Row, Text, bindparam, cast, func, null, select, type_coerce, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from examserver import access
from examserver.accounts.passwords import verify_password
from examserver.accounts.roles import CANDIDATE
from examserver.auth.login import identity
from examserver.delivery import api, integrity, payloads
from examserver.delivery.models import ENDED, Answer, ExamSchedule, ExamSession, SessionItem
from examserver.delivery.openapi import openapi_document
from examserver.delivery.services import (
    Save,
    Started,
    StartRequest,
    apply_saves,
    begin,
    check_device,
    expire_if_due,
    note_pin_failure,
    overdue,
    reach_item,
    remaining_seconds,
    resume_here,
    submit,
    touch_for_save,
)
from examserver.delivery.views import DEVICE_COOKIE
from examserver.errors import refusal_message
from examserver.extensions import db
from examserver.sites.install import require_released
from itembank.database import MAX_INTEGER, utcnow
from itembank.models import BlueprintSection, ItemAsset, ItemVersion, ItemVersionAsset, TestBlueprint
from itembank.refusal import Refusal
from proctoring.models import IntegrityEvent

#: Session ids one browser may ask about at once (the player keeps one record per session).
MAX_STORED_IDS = 100


def now():
    return utcnow()


def candidate_id() -> int:
    """The signed-in candidate's user id (the access rule has let only candidates in), without
    loading the account."""
    signed_in = identity()
    assert signed_in is not None, "the candidate API is declared for signed-in candidates"
    return signed_in.user_id


#: A start reads the session's schedule, blueprint and the blueprint's sections (what the draw and the
#: first reply read): loaded with the session, in one statement.
_WITH_BLUEPRINT = (
    joinedload(ExamSession.schedule, innerjoin=True)
    .joinedload(ExamSchedule.blueprint, innerjoin=True)
    .joinedload(TestBlueprint.sections)
)


def own_session(session_id: int, *, lock: bool = False, with_blueprint: bool = False) -> ExamSession:
    """The current candidate's session, or 404 (never reveal other candidates' sessions); ``lock``
    locks the session's row (only that row), ``with_blueprint`` loads its schedule and blueprint too."""
    query = select(ExamSession).where(ExamSession.id == session_id, ExamSession.candidate_id == candidate_id())
    if with_blueprint:
        query = query.options(_WITH_BLUEPRINT)
    if lock:
        query = query.with_for_update(of=ExamSession)
    exam = db.session.scalars(query).unique().first()  # unique: the sections' rows repeat the session
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
    except Refusal:
        db.session.rollback()
        exam = own_session(session_id, lock=True)
        integrity.server_event(db.session, exam, "items_other_device", ip=request.remote_addr, path=request.path)
        db.session.commit()
        raise


def json_reply(payload: dict) -> Response:
    """``payload`` as a JSON response through the app's JSON provider as it stands (orjson): Flask's
    ``jsonify`` passes compact separators, which sends the provider to the standard library's encoder."""
    return current_app.response_class(current_app.json.dumps(payload), mimetype="application/json")


def iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def body() -> dict:
    """The request's JSON object (the blueprint's body limit, ``BODY_LIMITS``, answers 413 first)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refusal("delivery.body_invalid", 400)
    return data


@api.errorhandler(Refusal)
def refused(exc: Refusal):
    """A refusal as the player reads it: delivery's codes bare (``other_device``), as the API documents them."""
    db.session.rollback()
    message = refusal_message(exc.code, **exc.params)
    return make_response(
        jsonify(code=exc.code.removeprefix("delivery."), message=message, server_time=iso(now())), exc.status
    )


def state(session_id: int, *, messages: bool = True) -> dict:
    """The session as the player needs it: clock, status, and what the server holds per item (one
    statement for the session and its items, one for the proctor's messages unless ``messages`` is
    False: there are none)."""
    moment = now()
    rows = session_rows(session_id)
    if not rows:
        abort(404)
    return state_of(session_id, rows[0], [row for row in rows if row.position is not None], moment, messages)


class StartFacts(NamedTuple):
    """The session's part of a :func:`session_rows` row, as :func:`state_of` reads it."""

    status: str
    deadline_at: datetime | None
    paused_at: datetime | None
    allows_device_change: bool
    delivery_mode: str
    blueprint_id: int
    time_limit_minutes: int


class PlacedItem(NamedTuple):
    """An item's part of a :func:`session_rows` row, as :func:`state_of` reads it (no answer yet)."""

    position: int
    section_id: int
    title: str
    section_position: int
    answer_id: None = None


def drawn_payloads(session_id: int, started: Started) -> list[dict]:
    """The payload of every item a first start drew, as ``GET butir`` gives them (none answered
    yet), from what the start holds and the rendered versions kept per process."""
    assert started.drawn is not None, "a first start of a fixed or random form"
    titles = {section.id: section.title for section in started.exam.schedule.blueprint.sections}
    placed = [
        (item.position, titles[item.section_id], item.option_order, item.version_id, item.version_at, None)
        for item in started.drawn
    ]
    return payloads.session_payloads(db.session, session_id, placed)


def started_state(started: Started) -> tuple[StartFacts, list[PlacedItem]]:
    """What :func:`state_of` needs of a first start, from the objects the start holds (taken before
    the commit expires them): the session as written and the items it drew, which have no answers."""
    exam, blueprint = started.exam, started.exam.schedule.blueprint
    assert started.drawn is not None, "a first start of a fixed or random form"
    sections = {section.id: section for section in blueprint.sections}
    facts = StartFacts(
        exam.status, exam.deadline_at, exam.paused_at, bool(exam.allows_device_change), blueprint.delivery_mode,
        blueprint.id, blueprint.time_limit_minutes,
    )  # fmt: skip
    items = [
        PlacedItem(item.position, item.section_id, sections[item.section_id].title, sections[item.section_id].position)
        for item in started.drawn
    ]
    return facts, items


def state_of(session_id: int, first: Any, items: Sequence[Any], moment: datetime, messages: bool = True) -> dict:
    """:func:`state` of the session's facts ``first`` and its ``items`` (rows of :func:`session_rows`,
    or a first start's :func:`started_state`); reads the proctor's messages if ``messages``."""
    answered = [row for row in items if row.answer_id is not None]
    versions = payloads.rendered_versions(db.session, {(row.version_id, row.version_at) for row in answered})
    answers = []
    sections: dict[int, dict] = {}
    for row in items:
        section = sections.setdefault(
            row.section_id, {"title": row.title, "first": row.position, "count": 0, "order": row.section_position}
        )
        section["count"] += 1
    for row in answered:
        answers.append(
            {
                "position": row.position,
                "seq": row.client_seq,
                "response": payloads.display(
                    versions[row.version_id].kind, orjson.loads(row.option_order), row.response
                ),
                "flagged": row.is_flagged,
            }
        )
    if first.deadline_at is None:
        remaining = float(first.time_limit_minutes * 60)
    else:
        remaining = max(0.0, (first.deadline_at - (first.paused_at or moment)).total_seconds())
    adaptive_mode = first.delivery_mode == "adaptive"
    return {
        "session_id": session_id,
        "status": first.status,
        "server_time": iso(moment),
        "deadline": iso(first.deadline_at),
        "remaining_seconds": round(remaining, 1),
        "paused": first.paused_at is not None,
        # fixed, random or adaptive; an adaptive session shows ``reached`` items of ``item_count``.
        "mode": first.delivery_mode,
        "item_count": adaptive_length(first.blueprint_id) if adaptive_mode else len(items),
        "reached": len(items),
        "sections": [
            {key: section[key] for key in ("title", "first", "count")}
            for section in sorted(sections.values(), key=lambda section: section["order"])
        ],
        "answers": answers,
        "last_seq": max((answer["seq"] for answer in answers), default=0),
        "result_url": f"/ujian/{session_id}/hasil" if first.status in ENDED else None,
        "messages": proctor_messages(session_id) if messages else [],
        # The proctor let the session move to another device: one refused as ``other_device`` polls
        # the status, reads this, and starts again (taking the session over) by itself.
        "device_change_allowed": first.status == "in_progress" and bool(first.allows_device_change),
    }


def adaptive_length(blueprint_id: int) -> int:
    """How many items an adaptive sitting of the blueprint gives (its sections' counts)."""
    total = db.session.scalar(
        select(func.sum(BlueprintSection.item_count)).where(BlueprintSection.blueprint_id == blueprint_id)
    )
    assert total is not None, "an adaptive blueprint has sections (adaptive.check_blueprint, when scheduled)"
    return total


#: The newest messages to a candidate (built once; parameters ``session_id``, ``limit``).
_MESSAGES = (
    select(IntegrityEvent.id, IntegrityEvent.details, IntegrityEvent.received_at)
    .where(IntegrityEvent.session_id == bindparam("session_id"), IntegrityEvent.kind == "message")
    .order_by(IntegrityEvent.id.desc())
    .limit(bindparam("limit"))
)


def proctor_messages(session_id: int, limit: int = 5) -> list[dict]:
    """The proctor's messages and warnings to this candidate, newest last (at most ``limit``)."""
    rows = db.session.connection().execute(_MESSAGES, {"session_id": session_id, "limit": limit}).all()
    return [message_payload(*row) for row in reversed(rows)]


def newest_messages(session_id: int, message_id: int) -> list[dict]:
    """The proctor's message ``message_id`` (the newest, as the save read it) as the save returns it."""
    row = db.session.execute(
        select(IntegrityEvent.id, IntegrityEvent.details, IntegrityEvent.received_at).where(
            IntegrityEvent.id == message_id, IntegrityEvent.session_id == session_id
        )
    ).first()
    return [message_payload(*row)] if row is not None else []


def message_payload(message_id: int, details: dict | None, received_at) -> dict:
    return {"id": message_id, "text": (details or {}).get("text", ""), "at": iso(received_at)}


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
    signed_in = identity()
    if signed_in is not None:
        if signed_in.role != CANDIDATE:
            return set()
        query = query.where(ExamSession.candidate_id == candidate_id())
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
    # An id past the column's range names no session: it is over. (Sent to PostgreSQL it would overflow
    # the statement psycopg prepares after its fifth run, typed for the integer column: a 400.)
    keep = sessions_to_keep([i for i in ids if i <= MAX_INTEGER])
    return jsonify(ended=[i for i in ids if i not in keep])


@api.route("/sesi/<int:session_id>/mulai", methods=["POST"])
@access.roles(CANDIDATE)
def start_session(session_id: int):
    """Start the exam, or resume it (same device, or another one the proctor allowed)."""
    data = body()
    client_id, moment = str(data.get("client_id", "")), now()
    has_messages = resume_here(
        db.session, session_id, candidate_id(), client_id, now=moment, ip_address=request.remote_addr
    )
    if has_messages is not None:  # the player loaded again on its device: the session is not loaded
        reply = state(session_id, messages=has_messages)  # read before the commit: one transaction
        db.session.commit()
        return json_reply(reply)
    if current_app.config["EXAMSERVER_ROLE"] == "site":
        require_released(db.session)  # a test site's items stay sealed until the head proctor opens them
    exam = own_session(session_id, lock=True, with_blueprint=True)
    request_data = StartRequest(client_id=client_id, pin=data.get("pin"), ip_address=request.remote_addr)
    try:
        started = begin(db.session, exam, request_data, now=now(), pin_ok=verify_password)
    except Refusal as refused:
        if refused.code in (
            "delivery.other_device",
            "delivery.pin_wrong",
            "delivery.session_ended",
        ):  # log or count the attempt, or keep the expiry the start found due, before refusing it
            db.session.rollback()
            exam = own_session(session_id, lock=True)
            if refused.code == "delivery.other_device":
                integrity.server_event(db.session, exam, "other_device_refused", ip=request.remote_addr)
            elif refused.code == "delivery.pin_wrong":
                note_pin_failure(db.session, exam, now=now(), ip_address=request.remote_addr)
            else:
                expire_if_due(db.session, exam, now=now())
            db.session.commit()
        raise
    if started.drawn is None:
        reply = state(session_id, messages=started.has_messages)  # read before the commit: one transaction
        db.session.commit()
        return json_reply(reply)
    first, items = started_state(started)  # before the commit expires what the start holds
    drawn = drawn_payloads(session_id, started)
    db.session.commit()
    reply = state_of(session_id, first, items, now(), started.has_messages)
    reply["items"] = drawn  # the player's next request would ask for them (GET butir)
    return json_reply(reply)


@api.route("/sesi/<int:session_id>/status")
@access.roles(CANDIDATE)
def session_state(session_id: int):
    """Where the session stands: clock, status and the answers the server holds."""
    return jsonify(read_expiring(session_id, state))


def read_expiring(session_id: int, read) -> dict:
    """``read(session_id)``, read again after ending the session if its deadline and grace passed."""
    reply = read(session_id)
    if reply["status"] == "in_progress" and not reply["paused"] and reply["remaining_seconds"] <= 0:
        exam = own_session(session_id)  # past the deadline: end it if the grace is over too
        if expire_if_due(db.session, exam, now=now()):
            db.session.commit()
            reply = read(session_id)
    return reply


_CLOCK = (
    select(
        ExamSession.status,
        ExamSession.allows_device_change,
        ExamSession.deadline_at,
        ExamSession.paused_at,
        TestBlueprint.time_limit_minutes,
    )
    .join(ExamSchedule, ExamSchedule.id == ExamSession.schedule_id)
    .join(TestBlueprint, TestBlueprint.id == ExamSchedule.blueprint_id)
    .where(ExamSession.id == bindparam("session_id"), ExamSession.candidate_id == bindparam("candidate_id"))
)


def clock_state(session_id: int) -> dict:
    """The session's clock and status only, in one small statement: what the player polls every few
    seconds while it waits (paused, refused on another device, time up)."""
    moment = now()
    row = db.session.connection().execute(_CLOCK, {"session_id": session_id, "candidate_id": candidate_id()}).first()
    if row is None:
        abort(404)
    if row.deadline_at is None:
        remaining = float(row.time_limit_minutes * 60)
    else:
        remaining = max(0.0, (row.deadline_at - (row.paused_at or moment)).total_seconds())
    return {
        "status": row.status,
        "server_time": iso(moment),
        "remaining_seconds": round(remaining, 1),
        "paused": row.paused_at is not None,
        "device_change_allowed": row.status == "in_progress" and bool(row.allows_device_change),
    }


@api.route("/sesi/<int:session_id>/jam")
@access.roles(CANDIDATE)
def session_clock(session_id: int):
    """The clock and status of the session, for the player's poll while it waits: the same fields as
    the status with the same expiry on the way, without the items, answers and messages (a paused
    room of candidates polls every 3 seconds)."""
    return jsonify(read_expiring(session_id, clock_state))


def item_payload(si: SessionItem) -> dict:
    """What the browser may know about a loaded item: no key, no weights, no parameters, no letters."""
    answer = si.answer
    held = (answer.response, answer.is_flagged, answer.client_seq) if answer is not None else None
    placed = (si.position, si.section.title, si.option_order, si.version_id, si.version.created_at, held)
    return payloads.session_payloads(db.session, si.session_id, [placed])[0]


def _one_row():
    """:func:`session_rows` of the item at ``position``: the session's facts and the item in one row
    (the item's columns None when no item is there)."""
    placed = (SessionItem.session_id == ExamSession.id) & (SessionItem.position == bindparam("position"))
    return (
        select(
            ExamSession.status,
            ExamSession.active_client_id,
            ExamSession.allows_device_change,
            ExamSession.deadline_at,
            ExamSession.paused_at,
            TestBlueprint.delivery_mode,
            TestBlueprint.id.label("blueprint_id"),
            TestBlueprint.time_limit_minutes,
            SessionItem.position,
            SessionItem.version_id,
            # As its JSON text, decoded where it is used by orjson: the driver's JSON decoding
            # of 110 orders was most of the Python time of reading a session's rows.
            cast(SessionItem.option_order, Text).label("option_order"),
            SessionItem.section_id,
            ItemVersion.created_at.label("version_at"),
            BlueprintSection.title,
            BlueprintSection.position.label("section_position"),
            Answer.id.label("answer_id"),
            Answer.response,
            Answer.is_flagged,
            Answer.client_seq,
        )
        .select_from(ExamSession)
        .join(ExamSchedule, ExamSchedule.id == ExamSession.schedule_id)
        .join(TestBlueprint, TestBlueprint.id == ExamSchedule.blueprint_id)
        .outerjoin(SessionItem, placed)
        .outerjoin(BlueprintSection, BlueprintSection.id == SessionItem.section_id)
        .outerjoin(ItemVersion, ItemVersion.id == SessionItem.version_id)
        .outerjoin(Answer, Answer.session_item_id == SessionItem.id)
        .where(ExamSession.id == bindparam("session_id"), ExamSession.candidate_id == bindparam("candidate_id"))
        .order_by(SessionItem.position)
    )


def _all_rows():
    """:func:`session_rows` of every item: the session's facts once, then its items without
    them (``UNION ALL``, the facts' row first): 110 copies of the session's columns, two of them
    times, cost the database and the driver more than the items' own columns."""
    session_id, candidate = bindparam("session_id"), bindparam("candidate_id")
    facts = [
        ExamSession.status, ExamSession.active_client_id, ExamSession.allows_device_change, ExamSession.deadline_at,
        ExamSession.paused_at, TestBlueprint.delivery_mode, TestBlueprint.id.label("blueprint_id"),
        TestBlueprint.time_limit_minutes,
    ]  # fmt: skip
    placed = [
        SessionItem.position, SessionItem.version_id, cast(SessionItem.option_order, Text).label("option_order"),
        SessionItem.section_id, ItemVersion.created_at.label("version_at"), BlueprintSection.title,
        BlueprintSection.position.label("section_position"), Answer.id.label("answer_id"), Answer.response,
        Answer.is_flagged, Answer.client_seq,
    ]  # fmt: skip

    def blank(columns):
        return [type_coerce(null(), column.type).label(column.key) for column in columns]

    session = (
        select(*facts, *blank(placed))
        .join(ExamSchedule, ExamSchedule.id == ExamSession.schedule_id)
        .join(TestBlueprint, TestBlueprint.id == ExamSchedule.blueprint_id)
        .where(ExamSession.id == session_id, ExamSession.candidate_id == candidate)
    )
    items = (
        select(*blank(facts), *placed)
        .select_from(SessionItem)
        .join(ExamSession, (ExamSession.id == SessionItem.session_id) & (ExamSession.candidate_id == candidate))
        .outerjoin(BlueprintSection, BlueprintSection.id == SessionItem.section_id)
        .outerjoin(ItemVersion, ItemVersion.id == SessionItem.version_id)
        .outerjoin(Answer, Answer.session_item_id == SessionItem.id)
        .where(SessionItem.session_id == session_id)
    )
    rows = union_all(session, items)
    return rows.order_by(rows.selected_columns.position.asc().nulls_first())


#: Built once (a reused statement keeps its cache key): every item, or the one at ``position``.
_ALL_ROWS, _ONE_ROW = _all_rows(), _one_row()


def session_rows(session_id: int, position: int | None = None) -> Sequence[Row[Any]]:
    """The candidate's session (status, device, mode) with its items, each with its section title and
    the answer held, in one Core statement: every item, or only the one at ``position``. Empty when
    the session is not the candidate's. The first row holds the session's facts (with every item,
    only those, ``position`` None: :func:`_all_rows`); the items are the rows with a ``position``."""
    parameters = {"session_id": session_id, "candidate_id": candidate_id()}
    if position is not None:
        parameters["position"] = position
    return db.session.connection().execute(_ALL_ROWS if position is None else _ONE_ROW, parameters).all()


def readable_rows(session_id: int, position: int | None = None) -> Sequence[Row[Any]]:
    """:func:`session_rows` of a session the requesting device may read (404, or the refusal and the
    proctor's log entry of :func:`holding_device`)."""
    rows = session_rows(session_id, position)
    if not rows:
        abort(404)
    first = rows[0]
    if first.status == "in_progress" and first.active_client_id != request_device():
        holding_device(session_id, own_session(session_id))
    return rows


def row_payloads(session_id: int, rows: Sequence[Row[Any]]) -> list[dict]:
    """The payload of every item row of :func:`session_rows`."""
    placed = [
        (
            row.position,
            row.title,
            orjson.loads(row.option_order),
            row.version_id,
            row.version_at,
            (row.response, row.is_flagged, row.client_seq) if row.answer_id is not None else None,
        )
        for row in rows
        if row.position is not None
    ]
    return payloads.session_payloads(db.session, session_id, placed)


@api.route("/sesi/<int:session_id>/butir/<int:position>")
@access.roles(CANDIDATE)
def get_item(session_id: int, position: int):
    """One item of the session, without anything that would reveal the key (only to the device holding it)."""
    rows = readable_rows(session_id, position)
    first = rows[0]
    if first.status != "in_progress":
        raise Refusal("delivery.session_ended" if first.status in ENDED else "delivery.not_started")
    if first.position is not None:
        payload = row_payloads(session_id, rows)[0]
    elif first.delivery_mode == "adaptive":
        payload = item_payload(adaptive_step(session_id, position))
    else:
        raise Refusal("delivery.position_unknown", 404, position=position)
    response = json_reply(payload)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def adaptive_step(session_id: int, position: int) -> SessionItem:
    """The adaptive session's item at a position not shown yet: chosen now by one CAT step."""
    exam = own_session(session_id, lock=True)  # one CAT step at a time per session
    try:
        si = reach_item(db.session, exam, position)
        db.session.commit()
    except IntegrityError:  # a repeated request chose this position first: use its item
        db.session.rollback()
        exam = own_session(session_id)
        si = reach_item(db.session, exam, position)
    return si


@api.route("/sesi/<int:session_id>/butir")
@access.roles(CANDIDATE)
def get_all_items(session_id: int):
    """Every item of a fixed or random form at once, so the player can keep working offline."""
    rows = readable_rows(session_id)
    status = rows[0].status
    if status != "in_progress":
        raise Refusal("delivery.session_ended" if status in ENDED else "delivery.not_started")
    return json_reply({"items": row_payloads(session_id, rows), "server_time": iso(now())})


def parse_saves(data: dict) -> list[Save]:
    raw = data.get("saves")
    if not isinstance(raw, list):
        raise Refusal("delivery.body_invalid", 400)
    saves = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("position"), int):
            raise Refusal("delivery.body_invalid", 400)
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
    moment = now()
    facts = touch_for_save(db.session, session_id, candidate_id(), now=moment)
    if facts is None:
        abort(404)
    saves = parse_saves(data)
    if overdue(facts, moment):
        exam = own_session(session_id, lock=True)
        if expire_if_due(db.session, exam, now=moment):
            db.session.commit()
        raise Refusal("delivery.time_up")
    outcome = apply_saves(db.session, facts, str(data.get("client_id", "")), saves, now=moment)
    chain_size = outcome.chain_size
    if data.get("events"):
        # each stored event is one more entry on the session's chain, after the answers'
        chain_size += integrity.browser_events(db.session, session_id, data["events"], moment).stored
    integrity.after_save(
        db.session, session_id, moment, chain_size=chain_size, latest_checkpoint=outcome.latest_checkpoint
    )
    payload = {
        "saved": [{"position": a.position, "seq": a.seq, "applied": a.applied} for a in outcome.acks],
        "server_time": iso(moment),
        "remaining_seconds": round(remaining_seconds(facts, moment), 1),
    }
    if outcome.newest_message_id is not None:  # the proctor's newest message reaches the candidate with the next save
        payload["messages"] = newest_messages(session_id, outcome.newest_message_id)
    db.session.commit()  # acknowledged only after this (the payload is read first: no reload after)
    return jsonify(payload)


@api.route("/sesi/<int:session_id>/selesai", methods=["POST"])
@access.roles(CANDIDATE)
def submit_session(session_id: int):
    """End the exam and get the result at once (if the schedule shows scores)."""
    data = body()
    exam = own_session(session_id, lock=True)
    result = submit(db.session, exam, str(data.get("client_id", "")), now=now())
    # The reply is built before the commit (which expires every loaded object: reading them after
    # it would load the session, its schedule and the result again) and sent only after it.
    payload: dict[str, Any] = {
        "status": exam.status,
        "result_url": f"/ujian/{exam.id}/hasil",
        "server_time": iso(now()),
    }
    if exam.schedule.shows_score and result is not None:
        payload["result"] = {
            "sections": result.sections,
            "total": result.total_raw,
            "passed": result.passed,
            "scaled": result.scaled,
        }
    db.session.commit()
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
    assert asset is not None, "an item version's asset link keeps its asset (foreign key)"
    response = make_response(asset.data)
    response.headers["Content-Type"] = asset.content_type
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
