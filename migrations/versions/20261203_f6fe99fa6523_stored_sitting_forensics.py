"""Stored forensic statistics of sittings (issue 19): computed once a sitting closes, read by the
review queue, the timelines and the export instead of computing them on every visit.

Revision ID: f6fe99fa6523
Revises: 1506ba599c71
Create Date: 2026-12-03 19:07:46.340793

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f6fe99fa6523'
down_revision = '1506ba599c71'
branch_labels = None
depends_on = None


def upgrade():
    # Empty at first: the rows of sittings closed before this revision are computed on first read.
    op.create_table(
        'sitting_forensics',
        sa.Column('schedule_id', sa.Integer(), nullable=False),
        sa.Column('ended_sessions', sa.Integer(), nullable=False),
        sa.Column('parameters_basis', sa.String(length=120), nullable=False),
        sa.Column('statistics', sa.JSON(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['schedule_id'], ['exam_schedule.id'],
            name=op.f('fk_sitting_forensics_schedule_id_exam_schedule'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('schedule_id', name=op.f('pk_sitting_forensics')),
    )


def downgrade():
    op.drop_table('sitting_forensics')
