"""Forensic statistics of a schedule's sessions, for the review queue.

The schedule's answers become a choice matrix over the single-choice and true/false items the
sessions share (other item types have no single key to copy); ``proctoring.forensics`` then gives
Wollack's omega for every pair and Snijders' lz* for every candidate, on the bank's current
parameters.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from examserver.delivery.models import ExamSchedule
from itembank.parameters import to_engine, usable
from proctoring.forensics import correct_probabilities, omega, person_fit, score_choices, strongest_sources

KEYED_TYPES = ("single_choice", "true_false")
MIN_SESSIONS = 3  #: distractor shares and omega need a group


def schedule_forensics(session: Session, schedule: ExamSchedule) -> dict[int, dict]:
    """Per session id: ``copying`` = (Bonferroni-adjusted p over possible sources, partner session id,
    partner's registration number) and ``lz_star``. Sessions without answers get nothing."""
    exams = [exam for exam in schedule.sessions if exam.is_ended and exam.items]
    if len(exams) < MIN_SESSIONS:
        return {}
    columns: dict[int, int] = {}
    parameters, keys, widths = [], [], []
    for exam in exams:
        for si in exam.items:
            if si.item_id in columns or si.item.item_type not in KEYED_TYPES:
                continue
            row = si.item.current_parameter
            if row is None or not usable(row):
                continue
            columns[si.item_id] = len(parameters)
            parameters.append(row)
            keys.append(ord(si.version.answer["correct"]) - ord("A"))
            widths.append(len(si.version.options))
    if len(parameters) < 5:
        return {}
    choices = np.full((len(exams), len(parameters)), -1, dtype=int)
    for i, exam in enumerate(exams):
        for si in exam.items:
            column = columns.get(si.item_id)
            if column is not None and si.answer is not None and isinstance(si.answer.response, str):
                choices[i, column] = ord(si.answer.response) - ord("A")
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
            partner = exams[int(sources.source[i])]
            entry["copying"] = (float(sources.p_adjusted[i]), partner.id, partner.registration_number)
        if np.isfinite(fit.lz_star[i]):
            entry["lz_star"] = float(fit.lz_star[i])
        stats[exam.id] = entry
    return stats
