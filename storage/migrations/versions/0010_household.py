"""Accounts carry the household their firm counts their owner in.

``accounts`` gains ``household`` (null: the owner's own household). Firms that cap accounts
per household (Apex, Tradeify) count every account of one household together, whoever owns
it. Accounts stored before have none and count by owner, as they did.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN of a nullable column: no table copy on either database.
    op.add_column("accounts", sa.Column("household", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("household")
