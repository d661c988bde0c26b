"""Item bank: competencies, items, immutable versions, assets, events, access log,
calibration runs and parameter versions, blueprints and forms.

Revision ID: 5b6c0b3398b1
Revises: f419fae9f93d
Create Date: 2026-11-23 07:45:21.040131

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b6c0b3398b1'
down_revision = 'f419fae9f93d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('competency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['competency.id'], name=op.f('fk_competency_parent_id_competency'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competency')),
    sa.UniqueConstraint('code', name=op.f('uq_competency_code'))
    )
    with op.batch_alter_table('competency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_competency_parent_id'), ['parent_id'], unique=False)

    op.create_table('calibration_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('model', sa.String(length=10), nullable=False),
    sa.Column('n_persons', sa.Integer(), nullable=False),
    sa.Column('n_items', sa.Integer(), nullable=False),
    sa.Column('n_anchors', sa.Integer(), nullable=False),
    sa.Column('loglik', sa.Float(), nullable=True),
    sa.Column('aic', sa.Float(), nullable=True),
    sa.Column('bic', sa.Float(), nullable=True),
    sa.Column('iterations', sa.Integer(), nullable=True),
    sa.Column('converged', sa.Boolean(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'published') = (published_at IS NOT NULL)", name=op.f('ck_calibration_run_published_at_iff_published')),
    sa.CheckConstraint("status IN ('draft', 'published', 'discarded')", name=op.f('ck_calibration_run_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_calibration_run_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_calibration_run_published_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_run'))
    )
    op.create_table('item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('item_type', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('shuffle_options', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("item_type IN ('single_choice', 'weighted_options', 'multiple_response', 'true_false', 'numeric')", name=op.f('ck_item_type_known')),
    sa.CheckConstraint("status IN ('draft', 'in_review', 'approved', 'pilot', 'operational', 'retired')", name=op.f('ck_item_status_known')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_item_author_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_item_competency_id_competency'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item')),
    sa.UniqueConstraint('code', name=op.f('uq_item_code'))
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_competency_id'), ['competency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_status'), ['status'], unique=False)

    op.create_table('item_asset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('alt_text', sa.String(length=300), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_item_asset_uploaded_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_asset')),
    sa.UniqueConstraint('sha256', name=op.f('uq_item_asset_sha256'))
    )
    op.create_table('test_blueprint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
    sa.Column('delivery_mode', sa.String(length=10), nullable=False),
    sa.Column('reporting_scale', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("delivery_mode IN ('fixed', 'random', 'adaptive')", name=op.f('ck_test_blueprint_delivery_mode_known')),
    sa.CheckConstraint('time_limit_minutes > 0', name=op.f('ck_test_blueprint_time_limit_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_test_blueprint_created_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_blueprint')),
    sa.UniqueConstraint('code', name=op.f('uq_test_blueprint_code'))
    )
    op.create_table('blueprint_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('blueprint_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('scoring_rule', sa.String(length=30), nullable=False),
    sa.Column('points_per_correct', sa.Integer(), nullable=False),
    sa.Column('pass_threshold', sa.Float(), nullable=True),
    sa.CheckConstraint("scoring_rule IN ('points_per_correct', 'weighted_options')", name=op.f('ck_blueprint_section_scoring_rule_known')),
    sa.CheckConstraint('item_count > 0', name=op.f('ck_blueprint_section_item_count_positive')),
    sa.ForeignKeyConstraint(['blueprint_id'], ['test_blueprint.id'], name=op.f('fk_blueprint_section_blueprint_id_test_blueprint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_blueprint_section_competency_id_competency'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blueprint_section')),
    sa.UniqueConstraint('blueprint_id', 'position', name=op.f('uq_blueprint_section_blueprint_id_position'))
    )
    with op.batch_alter_table('blueprint_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blueprint_section_blueprint_id'), ['blueprint_id'], unique=False)

    op.create_table('item_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.CheckConstraint("kind IN ('view', 'export')", name=op.f('ck_item_access_kind_known')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_access_item_id_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_item_access_user_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_access'))
    )
    with op.batch_alter_table('item_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_access_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_access_user_id'), ['user_id'], unique=False)

    op.create_table('item_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_item_event_actor_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_event_item_id_item'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_event'))
    )
    with op.batch_alter_table('item_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_event_item_id'), ['item_id'], unique=False)

    op.create_table('item_parameter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=10), nullable=False),
    sa.Column('a', sa.Float(), nullable=False),
    sa.Column('b', sa.Float(), nullable=True),
    sa.Column('c', sa.Float(), nullable=True),
    sa.Column('thresholds', sa.JSON(), nullable=False),
    sa.Column('se_a', sa.Float(), nullable=True),
    sa.Column('se_b', sa.Float(), nullable=True),
    sa.Column('se_c', sa.Float(), nullable=True),
    sa.Column('is_anchor', sa.Boolean(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('n_responses', sa.Integer(), nullable=False),
    sa.Column('statistics', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("model IN ('rasch', '1pl', '2pl', '3pl', 'grm', 'gpcm')", name=op.f('ck_item_parameter_model_known')),
    sa.CheckConstraint('c IS NULL OR (c >= 0 AND c < 1)', name=op.f('ck_item_parameter_c_range')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_parameter_item_id_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['calibration_run.id'], name=op.f('fk_item_parameter_run_id_calibration_run'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_parameter'))
    )
    with op.batch_alter_table('item_parameter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_parameter_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_item_parameter_item_id_is_current', ['item_id', 'is_current'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_parameter_run_id'), ['run_id'], unique=False)

    op.create_table('item_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.CheckConstraint('number >= 1', name=op.f('ck_item_version_number_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_item_version_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_version_item_id_item'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_version')),
    sa.UniqueConstraint('item_id', 'number', name=op.f('uq_item_version_item_id_number'))
    )
    with op.batch_alter_table('item_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_version_item_id'), ['item_id'], unique=False)

    op.create_table('test_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('blueprint_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assembly', sa.JSON(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_test_form_status_known')),
    sa.ForeignKeyConstraint(['blueprint_id'], ['test_blueprint.id'], name=op.f('fk_test_form_blueprint_id_test_blueprint'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_test_form_created_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_form')),
    sa.UniqueConstraint('blueprint_id', 'code', name=op.f('uq_test_form_blueprint_id_code'))
    )
    with op.batch_alter_table('test_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_form_blueprint_id'), ['blueprint_id'], unique=False)

    op.create_table('item_version_asset',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['item_asset.id'], name=op.f('fk_item_version_asset_asset_id_item_asset'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['version_id'], ['item_version.id'], name=op.f('fk_item_version_asset_version_id_item_version'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('version_id', 'asset_id', name=op.f('pk_item_version_asset'))
    )
    op.create_table('test_form_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['test_form.id'], name=op.f('fk_test_form_item_form_id_test_form'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_test_form_item_item_id_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['section_id'], ['blueprint_section.id'], name=op.f('fk_test_form_item_section_id_blueprint_section'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['version_id'], ['item_version.id'], name=op.f('fk_test_form_item_version_id_item_version'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_form_item')),
    sa.UniqueConstraint('form_id', 'item_id', name=op.f('uq_test_form_item_form_id_item_id')),
    sa.UniqueConstraint('form_id', 'position', name=op.f('uq_test_form_item_form_id_position'))
    )
    with op.batch_alter_table('test_form_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_form_item_form_id'), ['form_id'], unique=False)



def downgrade():
    with op.batch_alter_table('test_form_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_form_item_form_id'))

    op.drop_table('test_form_item')
    op.drop_table('item_version_asset')
    with op.batch_alter_table('test_form', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_form_blueprint_id'))

    op.drop_table('test_form')
    with op.batch_alter_table('item_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_version_item_id'))

    op.drop_table('item_version')
    with op.batch_alter_table('item_parameter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_parameter_run_id'))
        batch_op.drop_index('ix_item_parameter_item_id_is_current')
        batch_op.drop_index(batch_op.f('ix_item_parameter_item_id'))

    op.drop_table('item_parameter')
    with op.batch_alter_table('item_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_event_item_id'))

    op.drop_table('item_event')
    with op.batch_alter_table('item_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_access_user_id'))
        batch_op.drop_index(batch_op.f('ix_item_access_item_id'))

    op.drop_table('item_access')
    with op.batch_alter_table('blueprint_section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blueprint_section_blueprint_id'))

    op.drop_table('blueprint_section')
    op.drop_table('test_blueprint')
    op.drop_table('item_asset')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_status'))
        batch_op.drop_index(batch_op.f('ix_item_competency_id'))
        batch_op.drop_index(batch_op.f('ix_item_author_id'))

    op.drop_table('item')
    op.drop_table('calibration_run')
    with op.batch_alter_table('competency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_competency_parent_id'))

    op.drop_table('competency')
