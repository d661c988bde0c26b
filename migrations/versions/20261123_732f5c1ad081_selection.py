"""Selection: periods and stages, positions (formasi), applications, documents, appeals,
conflict-of-interest declarations, field scores and blind rubric scores, signed announcements.

Revision ID: 732f5c1ad081
Revises: 8f39041a8d89
Create Date: 2026-11-23 09:53:21.703507

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '732f5c1ad081'
down_revision = '8f39041a8d89'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('selection_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('nik', sa.String(length=16), nullable=False),
    sa.Column('relationship_text', sa.String(length=200), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['user.id'], name=op.f('fk_selection_conflict_member_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_conflict')),
    sa.UniqueConstraint('member_id', 'nik', name=op.f('uq_selection_conflict_member_id_nik'))
    )
    with op.batch_alter_table('selection_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_conflict_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_conflict_nik'), ['nik'], unique=False)

    op.create_table('selection_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('agency', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('applications_open_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applications_close_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('appeal_days', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('interviewers_required', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('appeal_days >= 0 AND appeal_days <= 30', name=op.f('ck_selection_period_appeal_days_range')),
    sa.CheckConstraint('applications_close_at > applications_open_at', name=op.f('ck_selection_period_window_positive')),
    sa.CheckConstraint('interviewers_required >= 2', name=op.f('ck_selection_period_two_interviewers')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_selection_period_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['schedule_id'], ['exam_schedule.id'], name=op.f('fk_selection_period_schedule_id_exam_schedule'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_period')),
    sa.UniqueConstraint('code', name=op.f('uq_selection_period_code'))
    )
    op.create_table('selection_announcement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('csv_text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.Column('key_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('session_ids', sa.JSON(), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("stage IN ('administrative', 'basic', 'field', 'final')", name=op.f('ck_selection_announcement_stage_known')),
    sa.CheckConstraint('(replaces_id IS NULL) = (correction_reason IS NULL)', name=op.f('ck_selection_announcement_correction_has_reason')),
    sa.ForeignKeyConstraint(['period_id'], ['selection_period.id'], name=op.f('fk_selection_announcement_period_id_selection_period'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_selection_announcement_published_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['replaces_id'], ['selection_announcement.id'], name=op.f('fk_selection_announcement_replaces_id_selection_announcement'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_announcement'))
    )
    with op.batch_alter_table('selection_announcement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_announcement_period_id'), ['period_id'], unique=False)

    op.create_table('selection_position',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('agency', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=False),
    sa.Column('education', sa.Text(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('required_documents', sa.JSON(), nullable=False),
    sa.Column('competency_profile', sa.JSON(), nullable=False),
    sa.Column('equivalence_group', sa.Integer(), nullable=True),
    sa.CheckConstraint('equivalence_group IS NULL OR equivalence_group >= 0', name=op.f('ck_selection_position_group_non_negative')),
    sa.CheckConstraint('quota >= 1', name=op.f('ck_selection_position_quota_positive')),
    sa.ForeignKeyConstraint(['period_id'], ['selection_period.id'], name=op.f('fk_selection_position_period_id_selection_period'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_position')),
    sa.UniqueConstraint('period_id', 'code', name=op.f('uq_selection_position_period_id_code'))
    )
    with op.batch_alter_table('selection_position', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_position_period_id'), ['period_id'], unique=False)

    op.create_table('selection_stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('administrative', 'basic', 'field', 'final')", name=op.f('ck_selection_stage_kind_known')),
    sa.CheckConstraint('ends_at >= starts_at', name=op.f('ck_selection_stage_dates_ordered')),
    sa.ForeignKeyConstraint(['period_id'], ['selection_period.id'], name=op.f('fk_selection_stage_period_id_selection_period'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_stage')),
    sa.UniqueConstraint('period_id', 'kind', name=op.f('uq_selection_stage_period_id_kind'))
    )
    with op.batch_alter_table('selection_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_stage_period_id'), ['period_id'], unique=False)

    op.create_table('selection_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('registration_number', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('education_score', sa.Float(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'draft') = (submitted_at IS NULL)", name=op.f('ck_selection_application_submitted_at_iff_submitted')),
    sa.CheckConstraint("(status IN ('accepted', 'rejected')) = (decided_at IS NOT NULL)", name=op.f('ck_selection_application_decided_at_iff_decided')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'accepted', 'rejected')", name=op.f('ck_selection_application_status_known')),
    sa.ForeignKeyConstraint(['candidate_id'], ['user.id'], name=op.f('fk_selection_application_candidate_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_selection_application_decided_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['period_id'], ['selection_period.id'], name=op.f('fk_selection_application_period_id_selection_period'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['position_id'], ['selection_position.id'], name=op.f('fk_selection_application_position_id_selection_position'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_application')),
    sa.UniqueConstraint('period_id', 'candidate_id', name=op.f('uq_selection_application_period_id_candidate_id')),
    sa.UniqueConstraint('registration_number', name=op.f('uq_selection_application_registration_number'))
    )
    with op.batch_alter_table('selection_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_application_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_application_period_id'), ['period_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_application_position_id'), ['position_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_application_status'), ['status'], unique=False)

    op.create_table('selection_appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'open') = (decided_at IS NULL)", name=op.f('ck_selection_appeal_decided_at_iff_decided')),
    sa.CheckConstraint("status IN ('open', 'upheld', 'rejected')", name=op.f('ck_selection_appeal_status_known')),
    sa.ForeignKeyConstraint(['application_id'], ['selection_application.id'], name=op.f('fk_selection_appeal_application_id_selection_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_selection_appeal_decided_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_appeal')),
    sa.UniqueConstraint('application_id', name=op.f('uq_selection_appeal_application_id'))
    )
    op.create_table('selection_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=30), nullable=False),
    sa.Column('original_name', sa.String(length=120), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('checklist', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'pending') = (checked_at IS NULL)", name=op.f('ck_selection_document_checked_at_iff_checked')),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name=op.f('ck_selection_document_status_known')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_selection_document_size_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['selection_application.id'], name=op.f('fk_selection_document_application_id_selection_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['checked_by_id'], ['user.id'], name=op.f('fk_selection_document_checked_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_document')),
    sa.UniqueConstraint('application_id', 'doc_type', name=op.f('uq_selection_document_application_id_doc_type')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_selection_document_stored_name'))
    )
    with op.batch_alter_table('selection_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_document_application_id'), ['application_id'], unique=False)

    op.create_table('selection_field_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score >= 0', name=op.f('ck_selection_field_score_score_non_negative')),
    sa.ForeignKeyConstraint(['application_id'], ['selection_application.id'], name=op.f('fk_selection_field_score_application_id_selection_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_selection_field_score_entered_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_field_score')),
    sa.UniqueConstraint('application_id', 'component', name=op.f('uq_selection_field_score_application_id_component'))
    )
    with op.batch_alter_table('selection_field_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_field_score_application_id'), ['application_id'], unique=False)

    op.create_table('selection_rubric_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('rubric', sa.String(length=20), nullable=False),
    sa.Column('scorer_id', sa.Integer(), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total >= 0 AND total <= 100', name=op.f('ck_selection_rubric_score_total_range')),
    sa.ForeignKeyConstraint(['application_id'], ['selection_application.id'], name=op.f('fk_selection_rubric_score_application_id_selection_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['scorer_id'], ['user.id'], name=op.f('fk_selection_rubric_score_scorer_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_rubric_score')),
    sa.UniqueConstraint('application_id', 'rubric', 'scorer_id', name=op.f('uq_selection_rubric_score_application_id_rubric_scorer_id'))
    )
    with op.batch_alter_table('selection_rubric_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_rubric_score_application_id'), ['application_id'], unique=False)



def downgrade():
    with op.batch_alter_table('selection_rubric_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_rubric_score_application_id'))

    op.drop_table('selection_rubric_score')
    with op.batch_alter_table('selection_field_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_field_score_application_id'))

    op.drop_table('selection_field_score')
    with op.batch_alter_table('selection_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_document_application_id'))

    op.drop_table('selection_document')
    op.drop_table('selection_appeal')
    with op.batch_alter_table('selection_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_application_status'))
        batch_op.drop_index(batch_op.f('ix_selection_application_position_id'))
        batch_op.drop_index(batch_op.f('ix_selection_application_period_id'))
        batch_op.drop_index(batch_op.f('ix_selection_application_candidate_id'))

    op.drop_table('selection_application')
    with op.batch_alter_table('selection_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_stage_period_id'))

    op.drop_table('selection_stage')
    with op.batch_alter_table('selection_position', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_position_period_id'))

    op.drop_table('selection_position')
    with op.batch_alter_table('selection_announcement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_announcement_period_id'))

    op.drop_table('selection_announcement')
    op.drop_table('selection_period')
    with op.batch_alter_table('selection_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_conflict_nik'))
        batch_op.drop_index(batch_op.f('ix_selection_conflict_member_id'))

    op.drop_table('selection_conflict')
