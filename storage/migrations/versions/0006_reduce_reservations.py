"""Reduce-only approvals hold the lots they will close.

A reduce-only decision reserves no risk (amount and swing 0) but the lots of the position it
closes, so concurrent closes can never together close more than is open. Reservations
written before are ordinary ones (``reduce_only`` false). The revision touches only the
reservations table, so it applies after any revision that leaves that table alone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: no table copy on either database.
    op.add_column(
        "reservations",
        sa.Column("reduce_only", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_column("reduce_only")
