"""The sitting tree's frontier on each published head (issue 16): a seal computes the next head
from the previous one's frontier in O(log n) node hashes, instead of reading and hashing every
sealed head of the sitting under the platform chain's lock (5,000 submits at a deadline were
serialised on it, each slower than the last).

Revision ID: d5a1f0c3e7b2
Revises: c41d7e9a2b58
Create Date: 2026-12-04 13:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d5a1f0c3e7b2"
down_revision = "c41d7e9a2b58"
branch_labels = None
depends_on = None


def upgrade():
    # Empty on the heads already published: the next seal of such a sitting reads its leaves once.
    with op.batch_alter_table("sitting_root", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frontier", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("sitting_root", schema=None) as batch_op:
        batch_op.drop_column("frontier")
