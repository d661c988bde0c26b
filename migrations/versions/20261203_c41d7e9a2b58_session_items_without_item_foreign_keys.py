"""Session items without foreign keys to the item bank (issue 16): each foreign key check of the
110 rows a start inserts locked the referenced item, version and section row (FOR KEY SHARE), most
of a start's database time. Triggers on item, item_version and blueprint_section refuse instead
what the keys refused: deleting (or renumbering) a row a session shows; a section also once its
blueprint is scheduled. The key to exam_session stays (it cascades a session's deletion; its check
locks only the candidate's own session row, which the start holds already). The index on session_id
goes: the unique (session_id, position) index serves the same lookups.

Revision ID: c41d7e9a2b58
Revises: 64333223c021
Create Date: 2026-12-03 22:10:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c41d7e9a2b58"
down_revision = "64333223c021"
branch_labels = None
depends_on = None

# A copy of examserver.delivery.models.delivered_row_ddl as it stands (a migration never imports
# the models): each table, the session_item column naming it, and the key that named it.
TABLES = {
    "item": ("item_id", "fk_session_item_item_id_item"),
    "item_version": ("version_id", "fk_session_item_version_id_item_version"),
    "blueprint_section": ("section_id", "fk_session_item_section_id_blueprint_section"),
}


def _in_use(table, column):
    shown = f"EXISTS (SELECT 1 FROM session_item WHERE {column} = OLD.id)"
    if table == "blueprint_section":
        return f"({shown} OR EXISTS (SELECT 1 FROM exam_schedule WHERE blueprint_id = OLD.blueprint_id))"
    return shown


def _triggers(dialect):
    statements = []
    for table, (column, _) in TABLES.items():
        message = f"{table} rows shown in an exam session are never deleted"
        if dialect == "postgresql":
            statements += [
                f"CREATE OR REPLACE FUNCTION refuse_{table}_in_use() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN IF TG_OP = 'UPDATE' THEN IF NEW.id = OLD.id THEN RETURN NEW; END IF; END IF; "
                f"IF {_in_use(table, column)} THEN "
                f"RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = '{message}'; END IF; "
                "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
                f"CREATE TRIGGER {table}_in_use BEFORE DELETE OR UPDATE OF id ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION refuse_{table}_in_use()",
            ]
        else:
            statements += [
                f"CREATE TRIGGER {table}_in_use_delete BEFORE DELETE ON {table} WHEN {_in_use(table, column)} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
                f"CREATE TRIGGER {table}_in_use_update BEFORE UPDATE OF id ON {table} "
                f"WHEN NEW.id <> OLD.id AND {_in_use(table, column)} BEGIN SELECT RAISE(ABORT, '{message}'); END",
            ]
    return statements


def upgrade():
    # The keys first: SQLite's batch mode renames a copy of session_item into place, which it
    # refuses while a trigger names the table (PostgreSQL runs the whole revision in one transaction).
    with op.batch_alter_table("session_item", schema=None) as batch_op:
        for _, key in TABLES.values():
            batch_op.drop_constraint(key, type_="foreignkey")
        # The unique (session_id, position) index serves lookups by session.
        batch_op.drop_index("ix_session_item_session_id")
    for statement in _triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_in_use ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS refuse_{table}_in_use()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_in_use_delete")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_in_use_update")
    with op.batch_alter_table("session_item", schema=None) as batch_op:
        batch_op.create_index("ix_session_item_session_id", ["session_id"], unique=False)
        for table, (column, key) in TABLES.items():
            batch_op.create_foreign_key(key, table, [column], ["id"], ondelete="RESTRICT")
