"""The seal queue (issue 16): an end that finds the seal's locks busy commits the session's end
and queues its head; the sweeper seals the queue in batches, taking the locks once per batch.

Revision ID: e2b7c9d4a1f6
Revises: d5a1f0c3e7b2
Create Date: 2026-12-04 14:20:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'e2b7c9d4a1f6'
down_revision = 'd5a1f0c3e7b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'seal_queue',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('schedule_id', sa.Integer(), nullable=False),
        sa.Column('chain_size', sa.Integer(), nullable=False),
        sa.Column('final_head', sa.String(length=64), nullable=False),
        sa.Column('tree_size', sa.Integer(), nullable=False),
        sa.Column('root_hash', sa.String(length=64), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['schedule_id'], ['exam_schedule.id'],
            name=op.f('fk_seal_queue_schedule_id_exam_schedule'), ondelete='RESTRICT',
        ),
        sa.ForeignKeyConstraint(
            ['session_id'], ['exam_session.id'],
            name=op.f('fk_seal_queue_session_id_exam_session'), ondelete='RESTRICT',
        ),
        sa.PrimaryKeyConstraint('session_id', name=op.f('pk_seal_queue')),
    )
    with op.batch_alter_table('seal_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seal_queue_schedule_id'), ['schedule_id'], unique=False)


def downgrade():
    with op.batch_alter_table('seal_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seal_queue_schedule_id'))
    op.drop_table('seal_queue')
