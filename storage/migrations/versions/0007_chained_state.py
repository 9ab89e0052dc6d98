"""Chained state: what moves a floor or headroom is chained with the audit records.

A new append-only table, ``state_records``, takes its place in each account's chain: a copy
of the account row and the tracker row each time they are written, and the new status of
each reservation that stops being live. Every existing account gets a baseline: a copy of
its account and tracker rows as they are now, and the releases of its closed reservations,
appended to its chain.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.types
from aria.audit.chain import GENESIS, released_body, state_hash
from aria.sizing.inputs import canonical_json

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns copied, as of this revision (aria.audit.chain's lists may grow later; a
# revision that grows them writes a fresh copy itself).
_ACCOUNT = (
    "id",
    "label",
    "owner",
    "firm",
    "plan",
    "phase",
    "rulebook_version",
    "currency",
    "initial_balance",
    "profile",
    "strategy",
    "personality",
    "instruments",
    "options",
    "trading_status",
    "halt_kind",
    "halt_reason",
    "halt_since",
    "halt_until",
    "created_at",
)
_TRACKER = (
    "balance",
    "equity",
    "state_as_of",
    "positions",
    "peak_intraday_equity",
    "peak_eod_balance",
    "peak_closed_balance",
    "peaks_as_of",
    "day_starts_at",
    "day_balance",
    "day_equity",
    "day_equity_high",
    "near_floor_streak",
)


def upgrade() -> None:
    op.create_table(
        "state_records",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_state_records_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_records")),
    )
    with op.batch_alter_table("state_records", schema=None) as batch_op:
        batch_op.create_index("ix_state_records_account_seq", ["account_id", "seq"], unique=False)
    _append_only()
    _baseline()


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # aria_refuse_change() is revision 0001's.
        op.execute(
            "CREATE TRIGGER state_records_append_only BEFORE UPDATE OR DELETE ON state_records"
            " FOR EACH ROW EXECUTE FUNCTION aria_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER state_records_no_truncate BEFORE TRUNCATE ON state_records"
            " FOR EACH STATEMENT EXECUTE FUNCTION aria_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER state_records_no_{action.lower()} BEFORE {action} ON state_records"
                " BEGIN SELECT RAISE(ABORT, 'audit records in state_records are append-only'); END"
            )


def _table(name: str, columns: dict[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(c, t) for c, t in columns.items()))


def _baseline() -> None:
    bind = op.get_bind()
    money, time, doc = (
        storage.types.ExactDecimal(),
        storage.types.UTCDateTime(),
        storage.types.JSONDoc,
    )
    account_types = dict.fromkeys(_ACCOUNT, sa.String()) | {
        "initial_balance": money,
        "personality": doc,
        "instruments": doc,
        "options": doc,
        "halt_since": time,
        "halt_until": time,
        "created_at": time,
    }
    tracker_types: dict[str, Any] = dict.fromkeys(_TRACKER, money) | {
        "account_id": sa.String(),
        "state_as_of": time,
        "positions": doc,
        "peaks_as_of": time,
        "day_starts_at": time,
        "near_floor_streak": sa.Integer(),
        "chain_seq": sa.Integer(),
        "chain_hash": sa.String(),
    }
    accounts = _table("accounts", account_types)
    trackers = _table("account_trackers", tracker_types)
    reservations = _table(
        "reservations",
        {"decision_id": sa.String(), "account_id": sa.String(), "status": sa.String()},
    )
    records = _table(
        "state_records",
        {
            "id": sa.String(),
            "account_id": sa.String(),
            "seq": sa.Integer(),
            "kind": sa.String(),
            "body": sa.Text(),
            "at": time,
            "prev_hash": sa.String(),
            "hash": sa.String(),
        },
    )
    now = dt.datetime.now(dt.UTC)
    closed: dict[str, dict[str, list[str]]] = {}
    for row in bind.execute(
        sa.select(reservations.c.account_id, reservations.c.decision_id, reservations.c.status)
        .where(reservations.c.status != "live")
        .order_by(reservations.c.decision_id)
    ):
        closed.setdefault(row.account_id, {}).setdefault(row.status, []).append(row.decision_id)
    bodies = {
        row.id: canonical_json({c: getattr(row, c) for c in _ACCOUNT})
        for row in bind.execute(sa.select(accounts))
    }
    for row in bind.execute(sa.select(trackers).order_by(trackers.c.account_id)):
        seq, head = row.chain_seq, row.chain_hash or GENESIS
        entries = [("account", bodies[row.account_id])]
        entries.append(("tracker", canonical_json({c: getattr(row, c) for c in _TRACKER})))
        entries += [
            ("released", released_body(status, ids))
            for status, ids in sorted(closed.get(row.account_id, {}).items())
        ]
        for kind, body in entries:
            seq += 1
            values = {
                "id": uuid.uuid4().hex,
                "account_id": row.account_id,
                "seq": seq,
                "kind": kind,
                "body": body,
                "at": now,
                "prev_hash": head,
            }
            head = values["hash"] = state_hash(head, values)
            bind.execute(records.insert().values(values))
        bind.execute(
            trackers.update()
            .where(trackers.c.account_id == row.account_id)
            .values(chain_seq=seq, chain_hash=head)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS state_records_append_only ON state_records")
        op.execute("DROP TRIGGER IF EXISTS state_records_no_truncate ON state_records")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS state_records_no_{action}")
    # The chain heads keep counting the dropped records: a downgraded trail no longer
    # verifies, as it should not (its state records are gone).
    with op.batch_alter_table("state_records", schema=None) as batch_op:
        batch_op.drop_index("ix_state_records_account_seq")
    op.drop_table("state_records")
