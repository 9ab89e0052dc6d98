"""Accounts carry the broker's names for ARIA's instruments.

``accounts`` gains ``symbol_aliases`` ({broker symbol: ARIA symbol}, ``{}`` by default): a
request, a state push or a trade naming ``US30.cash`` sizes and values ARIA's ``US30`` for
an account that says so. Accounts stored before have none and resolve symbols as they did,
plus the built-in broker spellings.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # A NOT NULL column with a constant default: no table copy on either database.
    op.add_column(
        "accounts",
        sa.Column("symbol_aliases", _JSON, nullable=False, server_default=sa.text("'{}'")),
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("symbol_aliases")
