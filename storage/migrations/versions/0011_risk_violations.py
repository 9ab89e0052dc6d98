"""Risk violations: the tracker counts the firm's open-risk violations.

``account_trackers`` gains ``risk_violations`` (how many times the account's open risk to the
stops went over its firm's open-risk cap, for firms that hold an account to a lower cap after
repeated violations: FundedNext) and ``over_risk_cap`` (whether the latest state is still
over it, so that one episode counts once). Every tracker stored before starts with none. The
violations themselves are account events (kind ``risk_violation``) in the chained trail. The
tracker's chained copy leaves these fields out while they are zero or false, so the copies
chained before this revision still match. A downgrade drops the count: a tracker a violation
touched then no longer matches its chained copy, and verification says so.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("risk_violations", "over_risk_cap")


def upgrade() -> None:
    with op.batch_alter_table("account_trackers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("risk_violations", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("over_risk_cap", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("account_trackers", schema=None) as batch_op:
        for column in reversed(_COLUMNS):
            batch_op.drop_column(column)
