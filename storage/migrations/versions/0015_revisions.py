"""A revision counter per family of rarely-changing tables.

``revisions`` holds one row per family a process may cache (``instruments``,
``profile_layers``, ``market_snapshots``); every write to a family moves its row in the same
transaction, so a process that reads the counter first knows whether what it holds is current.
Each counter starts at a random value and moves by random steps: a database dropped and
created again, or restored from a backup and written to, never comes back to a revision a
process cached from another history.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FAMILIES = ("instruments", "market_snapshots", "profile_layers")


def upgrade() -> None:
    table = op.create_table(
        "revisions",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_revisions")),
    )
    op.bulk_insert(table, [{"name": name, "revision": secrets.randbits(60)} for name in _FAMILIES])


def downgrade() -> None:
    op.drop_table("revisions")
