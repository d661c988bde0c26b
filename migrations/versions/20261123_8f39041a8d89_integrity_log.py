"""Integrity events, proctors' decisions, appeals, schedule proctors, the hash-chained log and
its Merkle checkpoints.

Revision ID: 8f39041a8d89
Revises: 4dcdec5a0e6e
Create Date: 2026-11-23 08:12:25.490389

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '8f39041a8d89'
down_revision = '4dcdec5a0e6e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('tree_size', sa.Integer(), nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoint')),
    sa.UniqueConstraint('chain_id', 'tree_size', name=op.f('uq_checkpoint_chain_id_tree_size'))
    )
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkpoint_chain_id'), ['chain_id'], unique=False)

    op.create_table('log_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('position >= 1', name=op.f('ck_log_entry_position_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_entry')),
    sa.UniqueConstraint('chain_id', 'position', name=op.f('uq_log_entry_chain_id_position'))
    )
    with op.batch_alter_table('log_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_entry_chain_id'), ['chain_id'], unique=False)

    op.create_table('schedule_proctor',
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('proctor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['proctor_id'], ['user.id'], name=op.f('fk_schedule_proctor_proctor_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['exam_schedule.id'], name=op.f('fk_schedule_proctor_schedule_id_exam_schedule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('schedule_id', 'proctor_id', name=op.f('pk_schedule_proctor'))
    )
    op.create_table('integrity_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_at', sa.String(length=40), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('chain_position', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('browser', 'server', 'proctor')", name=op.f('ck_integrity_event_source_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_integrity_event_actor_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['exam_session.id'], name=op.f('fk_integrity_event_session_id_exam_session'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_event'))
    )
    with op.batch_alter_table('integrity_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_event_session_id'), ['session_id'], unique=False)

    op.create_table('proctor_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('chain_position', sa.Integer(), nullable=True),
    sa.CheckConstraint("decision IN ('cleared', 'warning', 'invalidated')", name=op.f('ck_proctor_decision_decision_known')),
    sa.CheckConstraint('confirmed_by_id IS NULL OR confirmed_by_id != decided_by_id', name=op.f('ck_proctor_decision_second_person')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_proctor_decision_confirmed_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_proctor_decision_decided_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['exam_session.id'], name=op.f('fk_proctor_decision_session_id_exam_session'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proctor_decision'))
    )
    with op.batch_alter_table('proctor_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proctor_decision_session_id'), ['session_id'], unique=False)

    op.create_table('appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('chain_position', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'upheld', 'rejected')", name=op.f('ck_appeal_status_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_appeal_decided_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decision_id'], ['proctor_decision.id'], name=op.f('fk_appeal_decision_id_proctor_decision'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['exam_session.id'], name=op.f('fk_appeal_session_id_exam_session'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal'))
    )
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_decision_id'), ['decision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_session_id'), ['session_id'], unique=False)



def downgrade():
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_session_id'))
        batch_op.drop_index(batch_op.f('ix_appeal_decision_id'))

    op.drop_table('appeal')
    with op.batch_alter_table('proctor_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proctor_decision_session_id'))

    op.drop_table('proctor_decision')
    with op.batch_alter_table('integrity_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_event_session_id'))

    op.drop_table('integrity_event')
    op.drop_table('schedule_proctor')
    with op.batch_alter_table('log_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_entry_chain_id'))

    op.drop_table('log_entry')
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkpoint_chain_id'))

    op.drop_table('checkpoint')
