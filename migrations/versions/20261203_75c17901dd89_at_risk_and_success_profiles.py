"""Positions at risk and success profiles (issue 18): the position and qualification of each
intake applicant, for the at-risk forecast and its outreach targets, and the success profiles HR
proposes from top performers and accepts for the next recruitment.

Revision ID: 75c17901dd89
Revises: 16d0b9c3344f
Create Date: 2026-12-03 13:29:41.020715

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '75c17901dd89'
down_revision = '16d0b9c3344f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hr_success_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('proposed', sa.JSON(), nullable=False),
    sa.Column('analysis', sa.JSON(), nullable=False),
    sa.Column('periods', sa.JSON(), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.JSON(), nullable=True),
    sa.Column('committee_profile', sa.JSON(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'accepted') = (accepted_at IS NOT NULL)", name=op.f('ck_hr_success_profile_accepted_at_iff_accepted')),
    sa.CheckConstraint("status IN ('proposed', 'accepted')", name=op.f('ck_hr_success_profile_status_known')),
    sa.CheckConstraint('employees >= 3', name=op.f('ck_hr_success_profile_enough_employees')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user.id'], name=op.f('fk_hr_success_profile_accepted_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_hr_success_profile_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['profile_id'], ['hr_position_profile.id'], name=op.f('fk_hr_success_profile_profile_id_hr_position_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_success_profile'))
    )
    with op.batch_alter_table('hr_success_profile', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_success_profile_profile_id'), ['profile_id'], unique=False)

    with op.batch_alter_table('hr_intake_applicant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('education', sa.String(length=200), nullable=True))



def downgrade():
    with op.batch_alter_table('hr_intake_applicant', schema=None) as batch_op:
        batch_op.drop_column('education')
        batch_op.drop_column('position_code')

    with op.batch_alter_table('hr_success_profile', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_success_profile_profile_id'))

    op.drop_table('hr_success_profile')
