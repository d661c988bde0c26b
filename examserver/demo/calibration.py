"""A draft calibration run on the finished demo sitting, waiting for an admin to review and publish.

The reviewer recalibrates the sixty answer sheets of UJICOBA-2026-10 and links them to the bank
scale (Stocking-Lord through the operational items); admin@demo.id can then open
"Bank soal -> Kalibrasi parameter", read the changes, fit and drift flags. Sixty answer sheets
cannot identify a 3PL/GPCM recalibration of a hundred items: the information matrix is singular,
the calibration guards (``itembank.calibration_guards``) flag every item's standard errors, and
the run can be published only after the flagged items are excluded with a reason (they keep their
bank parameters).
"""

from __future__ import annotations

from sqlalchemy import select

from examserver.accounts.models import User
from examserver.authoring.calibration_data import responses_from_schedules
from examserver.delivery.models import ExamSchedule
from examserver.demo.finished import CODE
from examserver.extensions import db
from itembank import calibration
from itembank.models import CalibrationRun
from itembank.services import Actor


def seed_calibration_run() -> int:
    """Create the draft run once; returns 1 if created."""
    if db.session.scalar(select(CalibrationRun.id).where(CalibrationRun.source == "sessions").limit(1)):
        return 0
    schedule_id = db.session.scalar(select(ExamSchedule.id).where(ExamSchedule.code == CODE))
    reviewer = db.session.scalar(select(User).where(User.email == "reviewer@demo.id"))
    if schedule_id is None or reviewer is None:
        return 0
    data = responses_from_schedules(db.session, [schedule_id])
    calibration.start_run(
        db.session,
        Actor(reviewer.id, reviewer.role),
        data,
        mode="recalibrate",
        note="Kalibrasi ulang dari uji coba Oktober 2026 (demo).",
    )
    return 1
