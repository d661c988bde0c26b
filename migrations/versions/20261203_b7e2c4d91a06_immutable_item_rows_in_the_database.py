"""Immutable item rows in the database: triggers refuse UPDATE and DELETE of item versions, the
item history (item_event) and the access log (item_access), as the ORM events already do (issue 20).

Revision ID: b7e2c4d91a06
Revises: f448e08abe12
Create Date: 2026-12-03 08:10:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e2c4d91a06"
down_revision = "f448e08abe12"
branch_labels = None
depends_on = None

# A copy of itembank.models.immutable_row_ddl as it stood (a migration never imports the models).
TABLES = ("item_version", "item_event", "item_access")
POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION refuse_immutable_row() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', "
    "MESSAGE = TG_TABLE_NAME || ' rows never change and are never deleted'; END $$"
)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
    for table in TABLES:
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_immutable_row()"
            )
        elif dialect == "sqlite":
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows never change'); END"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are never deleted'); END"
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS refuse_immutable_row()")
