"""Sizing request ids are kept per scope: an owner's ids, or the unrestricted keys' own.

``sizing_requests`` gains ``scope`` and its primary key becomes (scope, request_id);
``sizing_decisions`` gains ``request_scope`` and refers to its request by both columns, and a
request decides an account once per scope. Every id stored before belongs to the unrestricted
namespace (``''``), where it was claimed. The scope is not part of a decision's hash: it says
who may replay a request, not what was decided.

SQLite cannot change a primary key or a foreign key in place, so both tables are copied
(Alembic's batch mode; ``storage.schema`` turns foreign keys off around it) and the decisions'
append-only triggers are re-created. A downgrade fails while two scopes share an id.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_FK = "fk_sizing_decisions_request_id_sizing_requests"
_NEW_FK = "fk_sizing_decisions_request_scope_sizing_requests"
_UNIQUE = "uq_sizing_decisions_request_account"
_PK = "pk_sizing_requests"
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


def _scope(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=80), nullable=False, server_default="")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_triggers(create=False)
    with op.batch_alter_table("sizing_decisions", schema=None) as batch_op:
        batch_op.drop_constraint(_OLD_FK, type_="foreignkey")
        batch_op.drop_constraint(_UNIQUE, type_="unique")
    with op.batch_alter_table("sizing_requests", schema=None) as batch_op:
        batch_op.add_column(_scope("scope"))
        batch_op.drop_constraint(_PK, type_="primary")
        batch_op.create_primary_key(_PK, ["scope", "request_id"])
    with op.batch_alter_table("sizing_decisions", schema=None) as batch_op:
        batch_op.add_column(_scope("request_scope"))
        batch_op.create_unique_constraint(_UNIQUE, ["request_scope", "request_id", "account_id"])
        batch_op.create_foreign_key(
            _NEW_FK,
            "sizing_requests",
            ["request_scope", "request_id"],
            ["scope", "request_id"],
        )
    if sqlite:
        _sqlite_triggers(create=True)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_triggers(create=False)
    with op.batch_alter_table("sizing_decisions", schema=None) as batch_op:
        batch_op.drop_constraint(_NEW_FK, type_="foreignkey")
        batch_op.drop_constraint(_UNIQUE, type_="unique")
        batch_op.drop_column("request_scope")
    with op.batch_alter_table("sizing_requests", schema=None) as batch_op:
        batch_op.drop_constraint(_PK, type_="primary")
        batch_op.drop_column("scope")
        batch_op.create_primary_key(_PK, ["request_id"])
    with op.batch_alter_table("sizing_decisions", schema=None) as batch_op:
        batch_op.create_unique_constraint(_UNIQUE, ["request_id", "account_id"])
        batch_op.create_foreign_key(_OLD_FK, "sizing_requests", ["request_id"], ["request_id"])
    if sqlite:
        _sqlite_triggers(create=True)
