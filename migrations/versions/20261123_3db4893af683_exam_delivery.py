"""Exam delivery: schedules, candidates' sessions, session items, answers and results.

Revision ID: 3db4893af683
Revises: 5b6c0b3398b1
Create Date: 2026-11-23 08:01:56.262243

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '3db4893af683'
down_revision = '5b6c0b3398b1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exam_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('blueprint_id', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('start_pin_hash', sa.String(length=255), nullable=True),
    sa.Column('requires_authorisation', sa.Boolean(), nullable=False),
    sa.Column('shows_score', sa.Boolean(), nullable=False),
    sa.Column('has_public_scoreboard', sa.Boolean(), nullable=False),
    sa.Column('grace_seconds', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_exam_schedule_window_positive')),
    sa.CheckConstraint('grace_seconds >= 0 AND grace_seconds <= 300', name=op.f('ck_exam_schedule_grace_range')),
    sa.ForeignKeyConstraint(['blueprint_id'], ['test_blueprint.id'], name=op.f('fk_exam_schedule_blueprint_id_test_blueprint'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_exam_schedule_created_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_schedule')),
    sa.UniqueConstraint('code', name=op.f('uq_exam_schedule_code'))
    )
    with op.batch_alter_table('exam_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_schedule_blueprint_id'), ['blueprint_id'], unique=False)

    op.create_table('exam_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('registration_number', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=True),
    sa.Column('authorised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.Column('credited_seconds', sa.Integer(), nullable=False),
    sa.Column('active_client_id', sa.String(length=64), nullable=True),
    sa.Column('allows_device_change', sa.Boolean(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'scheduled') = (started_at IS NULL)", name=op.f('ck_exam_session_started_at_iff_started')),
    sa.CheckConstraint("(status IN ('submitted', 'expired', 'terminated')) = (ended_at IS NOT NULL)", name=op.f('ck_exam_session_ended_at_iff_ended')),
    sa.CheckConstraint("status IN ('scheduled', 'in_progress', 'submitted', 'expired', 'terminated')", name=op.f('ck_exam_session_status_known')),
    sa.CheckConstraint('(started_at IS NULL) = (deadline_at IS NULL)', name=op.f('ck_exam_session_deadline_with_start')),
    sa.CheckConstraint('credited_seconds >= 0', name=op.f('ck_exam_session_credit_non_negative')),
    sa.ForeignKeyConstraint(['candidate_id'], ['user.id'], name=op.f('fk_exam_session_candidate_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['form_id'], ['test_form.id'], name=op.f('fk_exam_session_form_id_test_form'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['schedule_id'], ['exam_schedule.id'], name=op.f('fk_exam_session_schedule_id_exam_schedule'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_session')),
    sa.UniqueConstraint('registration_number', name=op.f('uq_exam_session_registration_number')),
    sa.UniqueConstraint('schedule_id', 'candidate_id', name=op.f('uq_exam_session_schedule_id_candidate_id'))
    )
    with op.batch_alter_table('exam_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_session_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_session_deadline_at'), ['deadline_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_session_schedule_id'), ['schedule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_session_status'), ['status'], unique=False)

    op.create_table('session_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('option_order', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_session_item_item_id_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['section_id'], ['blueprint_section.id'], name=op.f('fk_session_item_section_id_blueprint_section'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['exam_session.id'], name=op.f('fk_session_item_session_id_exam_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['item_version.id'], name=op.f('fk_session_item_version_id_item_version'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_item')),
    sa.UniqueConstraint('session_id', 'item_id', name=op.f('uq_session_item_session_id_item_id')),
    sa.UniqueConstraint('session_id', 'position', name=op.f('uq_session_item_session_id_position'))
    )
    with op.batch_alter_table('session_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_item_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_item_session_id'), ['session_id'], unique=False)

    op.create_table('session_result',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('total_raw', sa.Float(), nullable=False),
    sa.Column('total_max', sa.Float(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('theta', sa.Float(), nullable=True),
    sa.Column('theta_se', sa.Float(), nullable=True),
    sa.Column('scaled', sa.Float(), nullable=True),
    sa.Column('parameter_ids', sa.JSON(), nullable=False),
    sa.Column('verification_code', sa.String(length=20), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['exam_session.id'], name=op.f('fk_session_result_session_id_exam_session'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_result')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_session_result_verification_code'))
    )
    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_item_id', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('is_flagged', sa.Boolean(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('client_seq', sa.Integer(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_answered_at', sa.String(length=40), nullable=True),
    sa.Column('change_count', sa.Integer(), nullable=False),
    sa.CheckConstraint('client_seq >= 0', name=op.f('ck_answer_seq_non_negative')),
    sa.ForeignKeyConstraint(['session_item_id'], ['session_item.id'], name=op.f('fk_answer_session_item_id_session_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('session_item_id', name=op.f('uq_answer_session_item_id'))
    )


def downgrade():
    op.drop_table('answer')
    op.drop_table('session_result')
    with op.batch_alter_table('session_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_item_session_id'))
        batch_op.drop_index(batch_op.f('ix_session_item_item_id'))

    op.drop_table('session_item')
    with op.batch_alter_table('exam_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_session_status'))
        batch_op.drop_index(batch_op.f('ix_exam_session_schedule_id'))
        batch_op.drop_index(batch_op.f('ix_exam_session_deadline_at'))
        batch_op.drop_index(batch_op.f('ix_exam_session_candidate_id'))

    op.drop_table('exam_session')
    with op.batch_alter_table('exam_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_schedule_blueprint_id'))

    op.drop_table('exam_schedule')
