"""Accounts carry what they may trade and the options chosen at checkout.

``instruments`` narrows what the account's firm and plan allow (symbols and/or asset
classes; null: everything the firm allows). ``options`` holds the values chosen at checkout
for a plan's declared options (E8 One's daily and drawdown percentages), as decimal text;
accounts written before chose none and get the firm's defaults.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # ADD COLUMN without a table copy on either database; a constant default fills old rows.
    op.add_column("accounts", sa.Column("instruments", _JSON, nullable=True))
    op.add_column(
        "accounts", sa.Column("options", _JSON, nullable=False, server_default=sa.text("'{}'"))
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("options")
        batch_op.drop_column("instruments")
