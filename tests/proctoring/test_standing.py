"""The one rule for a session's standing (proctoring.standing): every state and transition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from proctoring import services
from proctoring import standing as standing_module
from proctoring.models import Appeal, ProctorDecision
from proctoring.standing import State, derive, standing_of, standings

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
SID = 42


class Log:
    """Builds a session's decisions and appeals in time order, as the services record them."""

    def __init__(self):
        self.decisions: list[ProctorDecision] = []
        self.appeals: list[Appeal] = []
        self.clock = T0

    def tick(self) -> datetime:
        self.clock += timedelta(hours=1)
        return self.clock

    def decide(self, decision: str, *, by: int = 1) -> ProctorDecision:
        row = ProctorDecision(
            id=len(self.decisions) + 1,
            session_id=SID,
            decision=decision,
            category="examinee.collusion",
            reason="jawaban identik dengan peserta lain",
            decided_by_id=by,
            decided_at=self.tick(),
        )
        self.decisions.append(row)
        return row

    def confirm(self, decision: ProctorDecision, *, by: int = 2) -> None:
        decision.confirmed_by_id, decision.confirmed_at = by, self.tick()

    def appeal(self, decision: ProctorDecision) -> Appeal:
        row = Appeal(
            id=len(self.appeals) + 1,
            decision_id=decision.id,
            session_id=SID,
            text="saya mengerjakan sendiri",
            filed_at=self.tick(),
            status="open",
        )
        self.appeals.append(row)
        return row

    def rule(self, appeal: Appeal, *, upheld: bool) -> None:
        appeal.status = "upheld" if upheld else "rejected"
        appeal.decided_by_id, appeal.decided_at = 3, self.tick()

    def standing(self):
        # The rule must not depend on the order the rows come in.
        return derive(SID, reversed(self.decisions), reversed(self.appeals))


def test_no_decision_is_valid_and_counts():
    standing = Log().standing()
    assert (standing.state, standing.decision, standing.appeal, standing.since) == (State.VALID, None, None, None)
    assert standing.counts and not standing.blocks_publication


@pytest.mark.parametrize("kind", ["cleared", "warning"])
def test_a_clearance_or_warning_keeps_the_session_valid(kind):
    log = Log()
    decision = log.decide(kind)
    standing = log.standing()
    assert standing.state is State.VALID and standing.counts
    assert standing.decision is decision and standing.since == decision.decided_at


def test_an_unconfirmed_invalidation_puts_it_under_review_but_the_score_still_counts():
    log = Log()
    decision = log.decide("invalidated")
    standing = log.standing()
    assert standing.state is State.UNDER_REVIEW
    assert standing.counts and standing.blocks_publication
    assert standing.decision is decision and standing.since == decision.decided_at


def test_a_confirmed_invalidation_voids_the_score_from_the_confirmation():
    log = Log()
    decision = log.decide("invalidated")
    log.confirm(decision)
    standing = log.standing()
    assert standing.state is State.INVALIDATED and not standing.counts and standing.is_invalidated
    assert standing.decision is decision and standing.since == decision.confirmed_at
    assert not standing.blocks_publication


def test_an_open_appeal_keeps_it_invalidated_as_appeal_pending():
    log = Log()
    decision = log.decide("invalidated")
    log.confirm(decision)
    appeal = log.appeal(decision)
    standing = log.standing()
    assert standing.state is State.APPEAL_PENDING and not standing.counts
    assert standing.appeal is appeal and standing.since == decision.confirmed_at


def test_a_rejected_appeal_leaves_it_invalidated():
    log = Log()
    decision = log.decide("invalidated")
    log.confirm(decision)
    appeal = log.appeal(decision)
    log.rule(appeal, upheld=False)
    standing = log.standing()
    assert standing.state is State.INVALIDATED and not standing.counts and standing.appeal is appeal


def test_an_upheld_appeal_restores_it_from_the_outcome():
    log = Log()
    decision = log.decide("invalidated")
    log.confirm(decision)
    appeal = log.appeal(decision)
    log.rule(appeal, upheld=True)
    standing = log.standing()
    assert standing.state is State.RESTORED and standing.counts
    assert standing.decision is decision and standing.appeal is appeal and standing.since == appeal.decided_at


@pytest.mark.parametrize("kind", ["cleared", "warning"])
def test_a_later_clearance_or_warning_does_not_lift_a_confirmed_invalidation(kind):
    log = Log()
    decision = log.decide("invalidated")
    log.confirm(decision)
    log.decide(kind, by=4)
    standing = log.standing()
    assert standing.state is State.INVALIDATED and standing.decision is decision


@pytest.mark.parametrize("kind", ["cleared", "warning"])
def test_a_later_decision_supersedes_an_unconfirmed_invalidation(kind):
    log = Log()
    log.decide("invalidated")
    later = log.decide(kind, by=2)
    standing = log.standing()
    assert standing.state is State.VALID and standing.decision is later


def test_a_new_invalidation_after_a_restoration_is_reviewed_then_voids_again():
    log = Log()
    first = log.decide("invalidated")
    log.confirm(first)
    log.rule(log.appeal(first), upheld=True)
    second = log.decide("invalidated", by=4)
    assert log.standing().state is State.UNDER_REVIEW and log.standing().decision is second
    log.confirm(second, by=5)
    standing = log.standing()
    assert standing.state is State.INVALIDATED and standing.decision is second
    assert standing.since == second.confirmed_at


def test_a_warning_after_a_restoration_keeps_it_restored():
    log = Log()
    decision = log.decide("invalidated")
    log.confirm(decision)
    log.rule(log.appeal(decision), upheld=True)
    log.decide("warning", by=4)
    assert log.standing().state is State.RESTORED


def test_two_standing_invalidations_void_from_the_first_and_one_appeal_does_not_restore():
    log = Log()
    first = log.decide("invalidated")
    log.confirm(first)
    second = log.decide("invalidated", by=4)
    log.confirm(second, by=5)
    log.rule(log.appeal(second), upheld=True)
    standing = log.standing()
    assert standing.state is State.INVALIDATED and standing.decision is first
    assert standing.since == first.confirmed_at


def test_an_upheld_appeal_against_a_warning_withdraws_it():
    log = Log()
    earlier = log.decide("cleared")
    warning = log.decide("warning", by=2)
    log.rule(log.appeal(warning), upheld=True)
    standing = log.standing()
    assert standing.state is State.VALID and standing.decision is earlier


# ------------------------------------------------------------------ through the database


def test_standings_reads_every_session_in_two_queries(db_session, exam_factory, make_user, monkeypatch):
    proctor, second, third = make_user("proctor"), make_user("proctor"), make_user("admin")
    exams = [exam_factory()[1] for _ in range(6)]
    ids = [exam.id for exam in exams]
    pending = services.decide(
        db_session, ids[1], decision="invalidated", category="examinee.collusion", reason="x" * 12, actor_id=proctor.id
    )
    voided = services.decide(
        db_session, ids[2], decision="invalidated", category="examinee.collusion", reason="x" * 12, actor_id=proctor.id
    )
    services.confirm_invalidation(db_session, voided, actor_id=second.id)
    lifted = services.decide(
        db_session, ids[3], decision="invalidated", category="examinee.misconduct", reason="x" * 12, actor_id=proctor.id
    )
    services.confirm_invalidation(db_session, lifted, actor_id=second.id)
    appeal = services.file_appeal(db_session, lifted, text="saya tidak melakukan pelanggaran apa pun")
    services.decide_appeal(db_session, appeal, upheld=True, outcome="rekaman menunjukkan tidak ada pelanggaran",
                           actor_id=third.id)  # fmt: skip
    pending_appeal_on = services.decide(
        db_session, ids[4], decision="invalidated", category="examinee.collusion", reason="x" * 12, actor_id=proctor.id
    )
    services.confirm_invalidation(db_session, pending_appeal_on, actor_id=second.id)
    services.file_appeal(db_session, pending_appeal_on, text="saya tidak melakukan pelanggaran apa pun")
    services.decide(db_session, ids[5], decision="warning", category="environment.noise", reason="x" * 12,
                    actor_id=proctor.id)  # fmt: skip
    db_session.flush()
    db_session.expire_all()

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        found = standings(db_session, ids)
        states = {i: found[i].state for i in ids}
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 2
    assert [states[i] for i in ids] == [
        State.VALID, State.UNDER_REVIEW, State.INVALIDATED, State.RESTORED, State.APPEAL_PENDING, State.VALID,
    ]  # fmt: skip
    assert found[ids[1]].decision.id == pending.id
    assert standing_of(db_session, ids[2]).since == voided.confirmed_at
    assert standings(db_session, []) == {}
    # Larger sets go in chunks (bind-parameter limits), with the same answer.
    monkeypatch.setattr(standing_module, "CHUNK", 4)
    statements.clear()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        chunked = standings(db_session, ids)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 4
    assert {i: chunked[i].state for i in ids} == states


def test_the_decision_in_force_for_the_proctors_pages():
    log = Log()
    clearance = log.decide("cleared")
    pending = log.decide("invalidated", by=2)
    assert log.standing().in_force is clearance  # an unconfirmed invalidation is not in force
    log.confirm(pending, by=3)
    assert log.standing().in_force is pending
    log.decide("cleared", by=4)
    assert log.standing().in_force is pending  # a later clearance does not lift it
    log.rule(log.appeal(pending), upheld=True)
    later = log.standing().in_force
    assert later.decision == "cleared" and later is not clearance  # lifted: the latest clearance is in force


def test_effective_decision_reads_the_rule(db_session, exam_factory, make_user):
    proctor, second, third = make_user("proctor"), make_user("proctor"), make_user("admin")
    _candidate, exam = exam_factory()
    decision = services.decide(
        db_session, exam.id, decision="invalidated", category="examinee.collusion", reason="x" * 12, actor_id=proctor.id
    )
    assert services.effective_decision(db_session, exam.id) is None
    services.confirm_invalidation(db_session, decision, actor_id=second.id)
    assert services.effective_decision(db_session, exam.id) is decision
    appeal = services.file_appeal(db_session, decision, text="saya tidak melakukan pelanggaran apa pun")
    services.decide_appeal(db_session, appeal, upheld=True, outcome="tidak terbukti sama sekali", actor_id=third.id)
    db_session.flush()
    assert services.effective_decision(db_session, exam.id) is None
