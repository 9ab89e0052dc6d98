"""Decisions keep their JSON as the exact text that was hashed; shared input parts are stored once.

``sizing_decisions.decision`` and ``inputs`` become text, and ``record_format`` says how a
record was hashed: 1 for every record written before (canonical JSON of parsed documents),
2 from now on (see ``aria.audit.chain``). ``input_parts`` holds the parts of decision
inputs that many decisions share, under the SHA-256 of their text.

SQLite cannot change a column's type in place, so the table is copied (Alembic's batch
mode; ``storage.schema`` turns foreign keys off around it, as SQLite's procedure asks) and
its append-only triggers are re-created.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_SQLITE_TRIGGERS = ("update", "delete")


def _sqlite_triggers(create: bool) -> None:
    for action in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS sizing_decisions_no_{action}")
        if create:
            op.execute(
                f"CREATE TRIGGER sizing_decisions_no_{action} BEFORE {action.upper()}"
                " ON sizing_decisions BEGIN SELECT RAISE(ABORT,"
                " 'audit records in sizing_decisions are append-only'); END"
            )


def upgrade() -> None:
    op.create_table(
        "input_parts",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_input_parts")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_triggers(create=False)
    with op.batch_alter_table("sizing_decisions", schema=None) as batch_op:
        for column in ("decision", "inputs"):
            batch_op.alter_column(
                column,
                existing_type=_JSON,
                type_=sa.Text(),
                existing_nullable=False,
                postgresql_using=f"{column}::text",
            )
        batch_op.add_column(
            sa.Column("record_format", sa.SmallInteger(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("sizing_decisions", schema=None) as batch_op:
        batch_op.alter_column("record_format", server_default=None)
    if sqlite:
        _sqlite_triggers(create=True)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_triggers(create=False)
    with op.batch_alter_table("sizing_decisions", schema=None) as batch_op:
        batch_op.drop_column("record_format")
        for column in ("decision", "inputs"):
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=_JSON,
                existing_nullable=False,
                postgresql_using=f"{column}::jsonb",
            )
    if sqlite:
        _sqlite_triggers(create=True)
    op.drop_table("input_parts")
