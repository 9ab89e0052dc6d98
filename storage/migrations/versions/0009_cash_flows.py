"""Cash flows: the tracker keeps what deposits, payouts and fees did to the account.

``account_trackers`` gains ``cash_net`` (the net cash flow so far, which the peaks and the day
anchor were re-anchored by), ``cash_payouts`` and ``cash_requests`` (payouts paid and
requested, which payout rules count) and ``cash_max_loss_floor`` (a maximum-loss floor a payout
rule fixed). Every tracker stored before starts with no cash flow: zero, zero, zero, unset.
The flows themselves are account events (kind ``cash_flow``) in the chained trail. The
tracker's chained copy leaves these fields out while they are zero or unset, so the copies
chained before this revision still match. A downgrade drops the ledger: a tracker a cash flow
touched then no longer matches its chained copy, and verification says so.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("cash_net", "cash_payouts", "cash_requests", "cash_max_loss_floor")


def upgrade() -> None:
    with op.batch_alter_table("account_trackers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cash_net", storage.types.ExactDecimal(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("cash_payouts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("cash_requests", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("cash_max_loss_floor", storage.types.ExactDecimal(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("account_trackers", schema=None) as batch_op:
        for column in reversed(_COLUMNS):
            batch_op.drop_column(column)
