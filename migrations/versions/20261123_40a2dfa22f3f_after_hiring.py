"""After hiring: position competency profiles, employees with their competency estimates,
recruitment intakes, the training catalogue, development and cohort training plans, evaluation
periods, supervisor ratings, moderated community feedback, public consultation on selection criteria.

Revision ID: 40a2dfa22f3f
Revises: 732f5c1ad081
Create Date: 2026-11-23 12:07:15.888840

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '40a2dfa22f3f'
down_revision = '732f5c1ad081'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hr_position_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_position_profile')),
    sa.UniqueConstraint('code', name=op.f('uq_hr_position_profile_code'))
    )
    op.create_table('hr_training_programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('cost_per_run', sa.Float(), nullable=False),
    sa.Column('cost_per_participant', sa.Float(), nullable=False),
    sa.Column('max_runs', sa.Integer(), nullable=True),
    sa.Column('is_orientation', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("mode IN ('online', 'classroom')", name=op.f('ck_hr_training_programme_mode_known')),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_hr_training_programme_capacity_positive')),
    sa.CheckConstraint('cost_per_run >= 0 AND cost_per_participant >= 0', name=op.f('ck_hr_training_programme_costs_non_negative')),
    sa.CheckConstraint('hours > 0', name=op.f('ck_hr_training_programme_hours_positive')),
    sa.CheckConstraint('max_runs IS NULL OR max_runs >= 0', name=op.f('ck_hr_training_programme_max_runs_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_training_programme')),
    sa.UniqueConstraint('code', name=op.f('uq_hr_training_programme_code'))
    )
    op.create_table('hr_evaluation_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('supervisor_weight', sa.Float(), nullable=False),
    sa.Column('is_feedback_open', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_hr_evaluation_period_dates_ordered')),
    sa.CheckConstraint('supervisor_weight >= 0 AND supervisor_weight <= 1', name=op.f('ck_hr_evaluation_period_weight_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_hr_evaluation_period_created_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_evaluation_period')),
    sa.UniqueConstraint('code', name=op.f('uq_hr_evaluation_period_code'))
    )
    op.create_table('hr_profile_requirement',
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('required_theta', sa.Float(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.CheckConstraint('weight >= 0', name=op.f('ck_hr_profile_requirement_weight_non_negative')),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_hr_profile_requirement_competency_id_competency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['profile_id'], ['hr_position_profile.id'], name=op.f('fk_hr_profile_requirement_profile_id_hr_position_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('profile_id', 'competency_id', name=op.f('pk_hr_profile_requirement'))
    )
    op.create_table('hr_programme_effect',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('effect', sa.Float(), nullable=False),
    sa.CheckConstraint('effect > 0', name=op.f('ck_hr_programme_effect_effect_positive')),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_hr_programme_effect_competency_id_competency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['programme_id'], ['hr_training_programme.id'], name=op.f('fk_hr_programme_effect_programme_id_hr_training_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('programme_id', 'competency_id', name=op.f('pk_hr_programme_effect'))
    )
    op.create_table('hr_training_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('grouping', sa.String(length=10), nullable=False),
    sa.Column('group_value', sa.String(length=200), nullable=True),
    sa.Column('budget', sa.Float(), nullable=False),
    sa.Column('total_cost', sa.Float(), nullable=False),
    sa.Column('total_gap_closed', sa.Float(), nullable=False),
    sa.Column('is_optimal', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("grouping IN ('all', 'unit', 'region', 'position')", name=op.f('ck_hr_training_plan_grouping_known')),
    sa.CheckConstraint('budget >= 0', name=op.f('ck_hr_training_plan_budget_non_negative')),
    sa.CheckConstraint('total_cost <= budget + 0.01', name=op.f('ck_hr_training_plan_within_budget')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_hr_training_plan_created_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_training_plan'))
    )
    op.create_table('hr_community_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('sender_hash', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moderation_note', sa.Text(), nullable=True),
    sa.CheckConstraint("(status = 'pending') = (moderated_at IS NULL)", name=op.f('ck_hr_community_feedback_moderated_at_iff_moderated')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_hr_community_feedback_status_known')),
    sa.CheckConstraint('rating >= 1 AND rating <= 5', name=op.f('ck_hr_community_feedback_rating_range')),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['user.id'], name=op.f('fk_hr_community_feedback_moderated_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['period_id'], ['hr_evaluation_period.id'], name=op.f('fk_hr_community_feedback_period_id_hr_evaluation_period'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_community_feedback'))
    )
    with op.batch_alter_table('hr_community_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_community_feedback_period_id'), ['period_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hr_community_feedback_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_hr_community_feedback_unit'), ['unit'], unique=False)

    op.create_table('hr_training_plan_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=False),
    sa.Column('gap_closed', sa.Float(), nullable=False),
    sa.CheckConstraint('runs >= 1 AND participants >= 1', name=op.f('ck_hr_training_plan_line_runs_and_participants_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['hr_training_plan.id'], name=op.f('fk_hr_training_plan_line_plan_id_hr_training_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['hr_training_programme.id'], name=op.f('fk_hr_training_plan_line_programme_id_hr_training_programme'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_training_plan_line')),
    sa.UniqueConstraint('plan_id', 'programme_id', name=op.f('uq_hr_training_plan_line_plan_id_programme_id'))
    )
    with op.batch_alter_table('hr_training_plan_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_training_plan_line_plan_id'), ['plan_id'], unique=False)

    op.create_table('hr_consultation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('summarised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summarised_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(summary IS NULL) = (summarised_at IS NULL)', name=op.f('ck_hr_consultation_summarised_at_iff_summary')),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_hr_consultation_window_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_hr_consultation_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['period_id'], ['selection_period.id'], name=op.f('fk_hr_consultation_period_id_selection_period'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['summarised_by_id'], ['user.id'], name=op.f('fk_hr_consultation_summarised_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_consultation')),
    sa.UniqueConstraint('period_id', name=op.f('uq_hr_consultation_period_id'))
    )
    op.create_table('hr_intake',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=True),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_id'], ['user.id'], name=op.f('fk_hr_intake_imported_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['period_id'], ['selection_period.id'], name=op.f('fk_hr_intake_period_id_selection_period'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_intake')),
    sa.UniqueConstraint('code', name=op.f('uq_hr_intake_code')),
    sa.UniqueConstraint('period_id', name=op.f('uq_hr_intake_period_id'))
    )
    op.create_table('hr_consultation_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=True),
    sa.Column('sender_hash', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moderation_note', sa.Text(), nullable=True),
    sa.CheckConstraint("(status = 'pending') = (moderated_at IS NULL)", name=op.f('ck_hr_consultation_comment_moderated_at_iff_moderated')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_hr_consultation_comment_status_known')),
    sa.CheckConstraint("topic IN ('thresholds', 'weights', 'requirements', 'documents', 'other')", name=op.f('ck_hr_consultation_comment_topic_known')),
    sa.ForeignKeyConstraint(['consultation_id'], ['hr_consultation.id'], name=op.f('fk_hr_consultation_comment_consultation_id_hr_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['user.id'], name=op.f('fk_hr_consultation_comment_moderated_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_consultation_comment'))
    )
    with op.batch_alter_table('hr_consultation_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_consultation_comment_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hr_consultation_comment_status'), ['status'], unique=False)

    op.create_table('hr_employee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nip', sa.String(length=30), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('position_title', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('gender', sa.String(length=1), nullable=True),
    sa.Column('appointed_on', sa.Date(), nullable=False),
    sa.Column('is_new_hire', sa.Boolean(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("gender IS NULL OR gender IN ('L', 'P')", name=op.f('ck_hr_employee_gender_known')),
    sa.ForeignKeyConstraint(['application_id'], ['selection_application.id'], name=op.f('fk_hr_employee_application_id_selection_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['profile_id'], ['hr_position_profile.id'], name=op.f('fk_hr_employee_profile_id_hr_position_profile'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['supervisor_id'], ['user.id'], name=op.f('fk_hr_employee_supervisor_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_hr_employee_user_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_employee')),
    sa.UniqueConstraint('application_id', name=op.f('uq_hr_employee_application_id')),
    sa.UniqueConstraint('nip', name=op.f('uq_hr_employee_nip')),
    sa.UniqueConstraint('user_id', name=op.f('uq_hr_employee_user_id'))
    )
    with op.batch_alter_table('hr_employee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_employee_profile_id'), ['profile_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hr_employee_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_hr_employee_unit'), ['unit'], unique=False)

    op.create_table('hr_competency_estimate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('theta', sa.Float(), nullable=False),
    sa.Column('se', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('measured_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('selection', 'assessment')", name=op.f('ck_hr_competency_estimate_source_known')),
    sa.CheckConstraint('se > 0', name=op.f('ck_hr_competency_estimate_se_positive')),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_hr_competency_estimate_competency_id_competency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['employee_id'], ['hr_employee.id'], name=op.f('fk_hr_competency_estimate_employee_id_hr_employee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['exam_session.id'], name=op.f('fk_hr_competency_estimate_session_id_exam_session'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_competency_estimate')),
    sa.UniqueConstraint('employee_id', 'competency_id', name=op.f('uq_hr_competency_estimate_employee_id_competency_id'))
    )
    with op.batch_alter_table('hr_competency_estimate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_competency_estimate_employee_id'), ['employee_id'], unique=False)

    op.create_table('hr_development_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('credible_gap_before', sa.Float(), nullable=False),
    sa.Column('credible_gap_after', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('proposed', 'agreed', 'completed')", name=op.f('ck_hr_development_plan_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_hr_development_plan_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['employee_id'], ['hr_employee.id'], name=op.f('fk_hr_development_plan_employee_id_hr_employee'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_development_plan'))
    )
    with op.batch_alter_table('hr_development_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_development_plan_employee_id'), ['employee_id'], unique=False)

    op.create_table('hr_intake_applicant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('registration_number', sa.String(length=40), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('gender', sa.String(length=1), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('is_selected', sa.Boolean(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("gender IS NULL OR gender IN ('L', 'P')", name=op.f('ck_hr_intake_applicant_gender_known')),
    sa.CheckConstraint('employee_id IS NULL OR is_selected', name=op.f('ck_hr_intake_applicant_employee_only_if_selected')),
    sa.ForeignKeyConstraint(['employee_id'], ['hr_employee.id'], name=op.f('fk_hr_intake_applicant_employee_id_hr_employee'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['intake_id'], ['hr_intake.id'], name=op.f('fk_hr_intake_applicant_intake_id_hr_intake'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_intake_applicant')),
    sa.UniqueConstraint('employee_id', name=op.f('uq_hr_intake_applicant_employee_id')),
    sa.UniqueConstraint('intake_id', 'registration_number', name=op.f('uq_hr_intake_applicant_intake_id_registration_number'))
    )
    with op.batch_alter_table('hr_intake_applicant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_intake_applicant_intake_id'), ['intake_id'], unique=False)

    op.create_table('hr_supervisor_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score >= 0 AND score <= 100', name=op.f('ck_hr_supervisor_rating_score_range')),
    sa.ForeignKeyConstraint(['employee_id'], ['hr_employee.id'], name=op.f('fk_hr_supervisor_rating_employee_id_hr_employee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['period_id'], ['hr_evaluation_period.id'], name=op.f('fk_hr_supervisor_rating_period_id_hr_evaluation_period'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rater_id'], ['user.id'], name=op.f('fk_hr_supervisor_rating_rater_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_supervisor_rating')),
    sa.UniqueConstraint('period_id', 'employee_id', name=op.f('uq_hr_supervisor_rating_period_id_employee_id'))
    )
    with op.batch_alter_table('hr_supervisor_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_supervisor_rating_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hr_supervisor_rating_period_id'), ['period_id'], unique=False)

    op.create_table('hr_training_plan_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['hr_employee.id'], name=op.f('fk_hr_training_plan_assignment_employee_id_hr_employee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['hr_training_plan.id'], name=op.f('fk_hr_training_plan_assignment_plan_id_hr_training_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['hr_training_programme.id'], name=op.f('fk_hr_training_plan_assignment_programme_id_hr_training_programme'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_training_plan_assignment')),
    sa.UniqueConstraint('plan_id', 'employee_id', 'programme_id', name=op.f('uq_hr_training_plan_assignment_plan_id_employee_id_programme_id'))
    )
    with op.batch_alter_table('hr_training_plan_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_training_plan_assignment_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hr_training_plan_assignment_plan_id'), ['plan_id'], unique=False)

    op.create_table('hr_development_plan_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('expected_gap_closed', sa.Float(), nullable=False),
    sa.Column('reason_code', sa.String(length=20), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'attended', 'skipped')", name=op.f('ck_hr_development_plan_item_status_known')),
    sa.CheckConstraint('rank >= 1', name=op.f('ck_hr_development_plan_item_rank_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['hr_development_plan.id'], name=op.f('fk_hr_development_plan_item_plan_id_hr_development_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['hr_training_programme.id'], name=op.f('fk_hr_development_plan_item_programme_id_hr_training_programme'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_development_plan_item')),
    sa.UniqueConstraint('plan_id', 'programme_id', name=op.f('uq_hr_development_plan_item_plan_id_programme_id')),
    sa.UniqueConstraint('plan_id', 'rank', name=op.f('uq_hr_development_plan_item_plan_id_rank'))
    )
    with op.batch_alter_table('hr_development_plan_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_development_plan_item_plan_id'), ['plan_id'], unique=False)



def downgrade():
    with op.batch_alter_table('hr_development_plan_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_development_plan_item_plan_id'))

    op.drop_table('hr_development_plan_item')
    with op.batch_alter_table('hr_training_plan_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_training_plan_assignment_plan_id'))
        batch_op.drop_index(batch_op.f('ix_hr_training_plan_assignment_employee_id'))

    op.drop_table('hr_training_plan_assignment')
    with op.batch_alter_table('hr_supervisor_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_supervisor_rating_period_id'))
        batch_op.drop_index(batch_op.f('ix_hr_supervisor_rating_employee_id'))

    op.drop_table('hr_supervisor_rating')
    with op.batch_alter_table('hr_intake_applicant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_intake_applicant_intake_id'))

    op.drop_table('hr_intake_applicant')
    with op.batch_alter_table('hr_development_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_development_plan_employee_id'))

    op.drop_table('hr_development_plan')
    with op.batch_alter_table('hr_competency_estimate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_competency_estimate_employee_id'))

    op.drop_table('hr_competency_estimate')
    with op.batch_alter_table('hr_employee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_employee_unit'))
        batch_op.drop_index(batch_op.f('ix_hr_employee_region'))
        batch_op.drop_index(batch_op.f('ix_hr_employee_profile_id'))

    op.drop_table('hr_employee')
    with op.batch_alter_table('hr_consultation_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_consultation_comment_status'))
        batch_op.drop_index(batch_op.f('ix_hr_consultation_comment_consultation_id'))

    op.drop_table('hr_consultation_comment')
    op.drop_table('hr_intake')
    op.drop_table('hr_consultation')
    with op.batch_alter_table('hr_training_plan_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_training_plan_line_plan_id'))

    op.drop_table('hr_training_plan_line')
    with op.batch_alter_table('hr_community_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_community_feedback_unit'))
        batch_op.drop_index(batch_op.f('ix_hr_community_feedback_status'))
        batch_op.drop_index(batch_op.f('ix_hr_community_feedback_period_id'))

    op.drop_table('hr_community_feedback')
    op.drop_table('hr_training_plan')
    op.drop_table('hr_programme_effect')
    op.drop_table('hr_profile_requirement')
    op.drop_table('hr_evaluation_period')
    op.drop_table('hr_training_programme')
    op.drop_table('hr_position_profile')
