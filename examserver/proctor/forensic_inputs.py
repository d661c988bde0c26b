"""Forensic statistics of a schedule's sessions, for the review queue.

The schedule's answers become a choice matrix over the single-choice and true/false items the
sessions share (other item types have no single key to copy); ``proctoring.forensics`` then gives
Wollack's omega for every pair and Snijders' lz* for every candidate, and
``proctoring.copying_direction`` names the copier of each pair from the answer order.

The IRT parameters are the ones the sitting was scored with (the ItemParameter ids each
SessionResult recorded), not the bank's current ones: publishing a calibration after the sitting
must not reorder its finished review queue. An item no result recorded falls back to the version
in force when the last session ended (:func:`parameter_in_force`), and only then to the current
one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy.special import ndtr
from sqlalchemy import select
from sqlalchemy.orm import Session

from examserver.delivery.models import Answer, ExamSchedule, ExamSession, SessionItem, SessionResult
from itembank.models import CalibrationRun, Item, ItemParameter, ItemVersion
from itembank.parameters import to_engine, usable
from proctoring.copying_direction import copying_direction
from proctoring.forensics import correct_probabilities, omega, person_fit, score_choices, strongest_sources

KEYED_TYPES = ("single_choice", "true_false")
MIN_SESSIONS = 3  #: distractor shares and omega need a group


def scoring_parameters(session: Session, exams: Sequence[ExamSession]) -> dict[int, ItemParameter]:
    """Per item id, the parameter row the sessions were scored with (the one most results used)."""
    recorded = session.scalars(
        select(SessionResult.parameter_ids).where(SessionResult.session_id.in_([exam.id for exam in exams]))
    )
    used = Counter(pid for ids in recorded for pid in ids or [])
    if not used:
        return {}
    rows = session.scalars(select(ItemParameter).where(ItemParameter.id.in_(list(used))))
    by_item: dict[int, ItemParameter] = {}
    for row in sorted(rows, key=lambda r: (-used[r.id], r.id)):
        by_item.setdefault(row.item_id, row)
    return by_item


def parameter_in_force(session: Session, item_id: int, moment) -> ItemParameter | None:
    """The item's parameter version in force at ``moment``: the latest published (not anchor, not
    excluded) row of a run published by then; if every version came later (a bank imported after
    a backdated sitting), the earliest one, which is the closest to what the sitting could use."""
    published = (
        select(ItemParameter)
        .join(CalibrationRun, ItemParameter.run_id == CalibrationRun.id)
        .where(
            ItemParameter.item_id == item_id,
            CalibrationRun.status == "published",
            ItemParameter.is_anchor.is_(False),
            ItemParameter.excluded_at.is_(None),
        )
        .limit(1)
    )
    before = session.scalar(
        published.where(CalibrationRun.published_at <= moment).order_by(
            CalibrationRun.published_at.desc(), ItemParameter.id.desc()
        )
    )
    return before or session.scalar(published.order_by(CalibrationRun.published_at, ItemParameter.id))


@dataclass(frozen=True)
class _Sheet:
    """The schedule's answers as rows: per session (in ``exams`` order) its keyed items in position
    order as (item id, response, saved_at); per keyed version its key and option count."""

    rows: dict[int, list[tuple[int, int, object, datetime | None]]]
    versions: dict[int, tuple[int, int]]


def _read_sheet(session: Session, exams: list[ExamSession]) -> _Sheet:
    """Two statements for the whole schedule (no per-session or per-item loads): the session items
    of the keyed types with their answers, then the keys and option counts of their versions."""
    keyed = (
        select(SessionItem.session_id, SessionItem.item_id, SessionItem.version_id, Answer.response, Answer.saved_at)
        .join(Item, Item.id == SessionItem.item_id)
        .outerjoin(Answer, Answer.session_item_id == SessionItem.id)
        .where(SessionItem.session_id.in_([exam.id for exam in exams]), Item.item_type.in_(KEYED_TYPES))
        .order_by(SessionItem.session_id, SessionItem.position)
    )
    rows: dict[int, list[tuple[int, int, object, datetime | None]]] = {exam.id: [] for exam in exams}
    for session_id, item_id, version_id, response, saved_at in session.execute(keyed):
        rows[session_id].append((item_id, version_id, response, saved_at))
    version_ids = {row[1] for entries in rows.values() for row in entries}
    versions = {
        version_id: (ord(answer["correct"]) - ord("A"), len(options))
        for version_id, answer, options in session.execute(
            select(ItemVersion.id, ItemVersion.answer, ItemVersion.options).where(ItemVersion.id.in_(version_ids))
        )
    }
    return _Sheet(rows, versions)


def _current_parameters(session: Session, item_ids: Sequence[int]) -> dict[int, ItemParameter]:
    """Per item id, its current parameter row (the last fallback), in one statement."""
    rows = session.scalars(
        select(ItemParameter)
        .where(ItemParameter.item_id.in_(list(item_ids)), ItemParameter.is_current.is_(True))
        .order_by(ItemParameter.id)
    )
    return {row.item_id: row for row in rows}


def _choice_matrix(session: Session, exams: list[ExamSession], sheet: _Sheet):
    """Columns (item id -> column), parameter rows, keys and option counts of the keyed items,
    in the order the sessions first show them."""
    scored = scoring_parameters(session, exams)
    ended = max((exam.ended_at for exam in exams if exam.ended_at is not None), default=None)
    first_version: dict[int, int] = {}
    for exam in exams:
        for item_id, version_id, _, _ in sheet.rows[exam.id]:
            first_version.setdefault(item_id, version_id)
    current = _current_parameters(session, [item_id for item_id in first_version if item_id not in scored])
    columns: dict[int, int] = {}
    parameters: list[ItemParameter] = []
    keys: list[int] = []
    widths: list[int] = []
    for item_id, version_id in first_version.items():
        row = scored.get(item_id)
        if row is None and ended is not None:
            row = parameter_in_force(session, item_id, ended)
        if row is None:
            row = current.get(item_id)
        if row is None or not usable(row):
            continue
        columns[item_id] = len(parameters)
        parameters.append(row)
        key, width = sheet.versions[version_id]
        keys.append(key)
        widths.append(width)
    return columns, parameters, keys, widths


def schedule_forensics(session: Session, schedule: ExamSchedule) -> dict[int, dict]:
    """Per session id: ``copying`` = (Bonferroni-adjusted p over possible sources, partner session id,
    partner's registration number), ``pair`` (the pair with that partner: the adjusted p of the
    direction with the larger evidence and who the evidence names the copier, see
    :func:`_pair_facts`) and ``lz_star``. Sessions without answers get nothing."""
    ended = [exam for exam in schedule.sessions if exam.is_ended]
    with_items = set(
        session.scalars(
            select(SessionItem.session_id).where(SessionItem.session_id.in_([exam.id for exam in ended])).distinct()
        )
    )
    exams = [exam for exam in ended if exam.id in with_items]
    if len(exams) < MIN_SESSIONS:
        return {}
    sheet = _read_sheet(session, exams)
    columns, parameters, keys, widths = _choice_matrix(session, exams, sheet)
    if len(parameters) < 5:
        return {}
    choices = np.full((len(exams), len(parameters)), -1, dtype=int)
    times = np.full((len(exams), len(parameters)), np.nan)
    for i, exam in enumerate(exams):
        for item_id, _, response, saved_at in sheet.rows[exam.id]:
            column = columns.get(item_id)
            if column is not None and isinstance(response, str):
                choices[i, column] = ord(response) - ord("A")
                if saved_at is not None:
                    times[i, column] = saved_at.timestamp()
    key = np.asarray(keys)
    params = to_engine(parameters)
    fit = person_fit(score_choices(choices, key), params)
    theta = np.where(np.isfinite(fit.theta), fit.theta, 0.0)
    index = omega(choices, key, correct_probabilities(params, theta), n_options=np.asarray(widths))
    sources = strongest_sources(index)
    stats: dict[int, dict] = {}
    for i, exam in enumerate(exams):
        entry: dict = {}
        if sources.source[i] >= 0 and np.isfinite(sources.p_adjusted[i]):
            j = int(sources.source[i])
            partner = exams[j]
            entry["copying"] = (float(sources.p_adjusted[i]), partner.id, partner.registration_number)
            entry["pair"] = _pair_facts(index.omega, choices, times, exams, i, j)
        if np.isfinite(fit.lz_star[i]):
            entry["lz_star"] = float(fit.lz_star[i])
        stats[exam.id] = entry
    return stats


def _pair_facts(omegas, choices, times, exams, i: int, j: int) -> dict:
    """The pair (i, j) as the review queue states it: ``p_value`` (Bonferroni-adjusted p of the
    direction with the larger omega), ``role`` of session i (copier or source), ``basis`` (timing
    or omega), who the larger omega names, ``matches`` and ``later`` (timed identical answers and
    how many of them the named copier gave after the source)."""
    direction = copying_direction(omegas, choices, times, i, j)
    # Bonferroni over the possible sources, as proctoring.forensics.strongest_sources adjusts.
    p_value = float(min(1.0, ndtr(-direction.omega) * max(len(exams) - 1, 1)))
    label = {i: exams[i].registration_number, j: exams[j].registration_number}
    return {
        "p_value": p_value,
        "role": "copier" if direction.copier == i else "source",
        "basis": direction.basis,
        "copier_label": label[direction.copier],
        "source_label": label[direction.source],
        "omega_copier_label": label[direction.omega_copier],
        "matches": direction.matches,
        "later": direction.copier_later,
    }
