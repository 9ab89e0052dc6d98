"""Reservations carry the swing of their decision (take-profit back to the stop).

Floors that follow equity (intraday trailing, or a daily anchor on equity at the reset) are
sized by swing budgets; an approved decision's swing is held like its risk until the
position shows. Reservations written before have none and count as unbounded until they
expire.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN without a table copy on either database: no foreign keys are touched.
    op.add_column("reservations", sa.Column("swing", storage.types.ExactDecimal(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_column("swing")
