"""Oversight (issue 18): public complaints with their case steps and evidence, the sanctions
register, and the inspectorate role.

Revision ID: 1506ba599c71
Revises: 75c17901dd89
Create Date: 2026-12-03 13:26:58.564000

"""
from alembic import op
import sqlalchemy as sa

ROLES_BEFORE = "'candidate', 'item_writer', 'reviewer', 'proctor', 'committee', 'hr_officer', 'admin'"
ROLES_AFTER = "'candidate', 'item_writer', 'reviewer', 'proctor', 'committee', 'hr_officer', 'inspector', 'admin'"


# revision identifiers, used by Alembic.
revision = '1506ba599c71'
down_revision = '75c17901dd89'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_role_known"), type_="check")
        batch_op.create_check_constraint("role_known", f"role IN ({ROLES_AFTER})")

    op.create_table('oversight_complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracking_code', sa.String(length=20), nullable=False),
    sa.Column('secret_hash', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=12), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.Column('subject_text', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('reporter_name', sa.String(length=200), nullable=True),
    sa.Column('reporter_contact', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=14), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('public_conclusion', sa.Text(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('concluded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'concluded') = (outcome IS NOT NULL)", name=op.f('ck_oversight_complaint_outcome_iff_concluded')),
    sa.CheckConstraint("category IN ('nepotism', 'bribery', 'cheating', 'leak', 'procedure', 'other')", name=op.f('ck_oversight_complaint_category_known')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('substantiated', 'not_substantiated')", name=op.f('ck_oversight_complaint_outcome_known')),
    sa.CheckConstraint("status IN ('received', 'assessed', 'investigating', 'concluded')", name=op.f('ck_oversight_complaint_status_known')),
    sa.CheckConstraint("subject_kind IN ('period', 'sitting', 'committee', 'proctor')", name=op.f('ck_oversight_complaint_subject_kind_known')),
    sa.ForeignKeyConstraint(['application_id'], ['selection_application.id'], name=op.f('fk_oversight_complaint_application_id_selection_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['period_id'], ['selection_period.id'], name=op.f('fk_oversight_complaint_period_id_selection_period'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['schedule_id'], ['exam_schedule.id'], name=op.f('fk_oversight_complaint_schedule_id_exam_schedule'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['exam_session.id'], name=op.f('fk_oversight_complaint_session_id_exam_session'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['staff_id'], ['user.id'], name=op.f('fk_oversight_complaint_staff_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_complaint')),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_oversight_complaint_tracking_code'))
    )
    with op.batch_alter_table('oversight_complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_complaint_period_id'), ['period_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oversight_complaint_status'), ['status'], unique=False)

    op.create_table('oversight_case_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=14), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chain_position', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('received', 'assessed', 'investigating', 'concluded')", name=op.f('ck_oversight_case_step_status_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_oversight_case_step_actor_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['complaint_id'], ['oversight_complaint.id'], name=op.f('fk_oversight_case_step_complaint_id_oversight_complaint'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_case_step'))
    )
    with op.batch_alter_table('oversight_case_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_case_step_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('oversight_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=120), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_oversight_evidence_size_positive')),
    sa.ForeignKeyConstraint(['complaint_id'], ['oversight_complaint.id'], name=op.f('fk_oversight_evidence_complaint_id_oversight_complaint'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_oversight_evidence_stored_name'))
    )
    with op.batch_alter_table('oversight_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_evidence_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('oversight_sanction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'ban') = (periods IS NOT NULL)", name=op.f('ck_oversight_sanction_periods_iff_ban')),
    sa.CheckConstraint("(kind = 'disqualification') = (period_id IS NOT NULL)", name=op.f('ck_oversight_sanction_period_iff_disqualification')),
    sa.CheckConstraint("(kind IN ('committee_removal', 'proctor_removal')) = (until IS NOT NULL)", name=op.f('ck_oversight_sanction_until_iff_removal')),
    sa.CheckConstraint("kind IN ('warning', 'committee_removal', 'proctor_removal', 'referral', 'disqualification', 'ban')", name=op.f('ck_oversight_sanction_kind_known')),
    sa.CheckConstraint('(confirmed_by_id IS NULL) = (confirmed_at IS NULL)', name=op.f('ck_oversight_sanction_confirmed_at_iff_confirmed')),
    sa.CheckConstraint('confirmed_by_id IS NULL OR confirmed_by_id != proposed_by_id', name=op.f('ck_oversight_sanction_second_person')),
    sa.CheckConstraint('periods IS NULL OR (periods >= 1 AND periods <= 10)', name=op.f('ck_oversight_sanction_periods_range')),
    sa.ForeignKeyConstraint(['complaint_id'], ['oversight_complaint.id'], name=op.f('fk_oversight_sanction_complaint_id_oversight_complaint'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_oversight_sanction_confirmed_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['period_id'], ['selection_period.id'], name=op.f('fk_oversight_sanction_period_id_selection_period'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['person_id'], ['user.id'], name=op.f('fk_oversight_sanction_person_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_oversight_sanction_proposed_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_sanction'))
    )
    with op.batch_alter_table('oversight_sanction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_sanction_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oversight_sanction_person_id'), ['person_id'], unique=False)



def downgrade():
    with op.batch_alter_table('oversight_sanction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_sanction_person_id'))
        batch_op.drop_index(batch_op.f('ix_oversight_sanction_complaint_id'))

    op.drop_table('oversight_sanction')
    with op.batch_alter_table('oversight_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_evidence_complaint_id'))

    op.drop_table('oversight_evidence')
    with op.batch_alter_table('oversight_case_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_case_step_complaint_id'))

    op.drop_table('oversight_case_step')
    with op.batch_alter_table('oversight_complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_complaint_status'))
        batch_op.drop_index(batch_op.f('ix_oversight_complaint_period_id'))

    op.drop_table('oversight_complaint')
    # Inspectors' accounts have no role before this revision: they stay, disabled, as candidates
    # (the least a role can do), so nothing that points at them breaks.
    op.execute("UPDATE \"user\" SET role = 'candidate', is_disabled = true WHERE role = 'inspector'")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_role_known"), type_="check")
        batch_op.create_check_constraint("role_known", f"role IN ({ROLES_BEFORE})")
