"""The economic calendar: scheduled releases that the firms' news windows are put around.

``economic_events`` holds one row a release; its id is the release's identity (its instant,
currency and title, see ``firms.news.EconomicEvent.id``), so a file imported twice, or a
directory read again, stores each release once. A downgrade drops the calendar.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "economic_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("impact", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("imported_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_economic_events")),
    )
    op.create_index("ix_economic_events_at", "economic_events", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_economic_events_at", table_name="economic_events")
    op.drop_table("economic_events")
