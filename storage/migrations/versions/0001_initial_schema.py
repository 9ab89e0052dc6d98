"""Initial schema: accounts, trackers, states, trades, market data, decisions, events, jobs.

The audit tables (sizing_decisions, rule_events) are append-only: a trigger refuses UPDATE,
DELETE and TRUNCATE on PostgreSQL, and UPDATE and DELETE on SQLite.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 09:32:31.109018
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("firm", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.String(length=64), nullable=False),
        sa.Column("phase", sa.String(length=64), nullable=False),
        sa.Column("rulebook_version", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("initial_balance", storage.types.ExactDecimal(), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=True),
        sa.Column(
            "personality", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("trading_status", sa.String(length=16), nullable=False),
        sa.Column("halt_kind", sa.String(length=16), nullable=True),
        sa.Column("halt_reason", sa.Text(), nullable=True),
        sa.Column("halt_since", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("halt_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_firm"), ["firm"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_strategy"), ["strategy"], unique=False)

    op.create_table(
        "bars",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("ts", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("open", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=False),
        sa.Column("low", sa.Double(), nullable=False),
        sa.Column("close", sa.Double(), nullable=False),
        sa.Column("volume", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("symbol", "timeframe", "ts", name=op.f("pk_bars")),
    )
    op.create_table(
        "correlation_matrices",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("universe", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("as_of", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("computed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "symbols", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "matrix", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "observations", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correlation_matrices")),
        sa.UniqueConstraint("universe", "version", name="uq_correlation_matrices_universe_version"),
    )
    with op.batch_alter_table("correlation_matrices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_correlation_matrices_universe"), ["universe"], unique=False
        )

    op.create_table(
        "instruments",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("spec", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_instruments")),
    )
    op.create_table(
        "job_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("run_key", sa.String(length=128), nullable=False),
        sa.Column("claimed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job_id", "run_key", name="uq_job_runs_job_key"),
    )
    op.create_table(
        "market_snapshots",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("as_of", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("atr", storage.types.ExactDecimal(), nullable=True),
        sa.Column("atr_percentile", storage.types.ExactDecimal(), nullable=True),
        sa.Column("regime", sa.String(length=16), nullable=True),
        sa.Column("daily_volatility", storage.types.ExactDecimal(), nullable=True),
        sa.Column("last_close", storage.types.ExactDecimal(), nullable=False),
        sa.Column("bars", sa.Integer(), nullable=False),
        sa.Column("computed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_snapshots")),
    )
    with op.batch_alter_table("market_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_market_snapshots_symbol_computed", ["symbol", "computed_at"], unique=False
        )

    op.create_table(
        "profile_layers",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column(
            "layer", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_profile_layers")),
    )
    op.create_table(
        "scheduler_heartbeats",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("beat_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_heartbeats")),
    )
    op.create_table(
        "sizing_requests",
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "request", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_sizing_requests")),
    )
    op.create_table(
        "account_states",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("balance", storage.types.ExactDecimal(), nullable=False),
        sa.Column("equity", storage.types.ExactDecimal(), nullable=False),
        sa.Column("as_of", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "positions", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("daily_floor", storage.types.ExactDecimal(), nullable=True),
        sa.Column("max_loss_floor", storage.types.ExactDecimal(), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_states_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_states")),
    )
    with op.batch_alter_table("account_states", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_states_account_as_of", ["account_id", "as_of"], unique=False
        )

    op.create_table(
        "account_trackers",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("balance", storage.types.ExactDecimal(), nullable=True),
        sa.Column("equity", storage.types.ExactDecimal(), nullable=True),
        sa.Column("state_as_of", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "positions", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("peak_intraday_equity", storage.types.ExactDecimal(), nullable=False),
        sa.Column("peak_eod_balance", storage.types.ExactDecimal(), nullable=False),
        sa.Column("peak_closed_balance", storage.types.ExactDecimal(), nullable=False),
        sa.Column("peaks_as_of", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("day_starts_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("day_balance", storage.types.ExactDecimal(), nullable=True),
        sa.Column("day_equity", storage.types.ExactDecimal(), nullable=True),
        sa.Column("day_equity_high", storage.types.ExactDecimal(), nullable=True),
        sa.Column("near_floor_streak", sa.Integer(), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_trackers_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_trackers")),
    )
    op.create_table(
        "rule_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_rule_events_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_events")),
    )
    with op.batch_alter_table("rule_events", schema=None) as batch_op:
        batch_op.create_index("ix_rule_events_account_seq", ["account_id", "seq"], unique=False)
        batch_op.create_index("ix_rule_events_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rule_events_kind"), ["kind"], unique=False)

    op.create_table(
        "sizing_decisions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=True),
        sa.Column("lots", storage.types.ExactDecimal(), nullable=False),
        sa.Column("risk_amount", storage.types.ExactDecimal(), nullable=False),
        sa.Column("codes", sa.String(length=512), nullable=False),
        sa.Column("binding", sa.String(length=64), nullable=True),
        sa.Column(
            "decision", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "inputs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sizing_decisions_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["sizing_requests.request_id"],
            name=op.f("fk_sizing_decisions_request_id_sizing_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sizing_decisions")),
        sa.UniqueConstraint("request_id", "account_id", name="uq_sizing_decisions_request_account"),
    )
    with op.batch_alter_table("sizing_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sizing_decisions_account_seq", ["account_id", "seq"], unique=False
        )
        batch_op.create_index("ix_sizing_decisions_created", ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sizing_decisions_strategy"), ["strategy"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sizing_decisions_symbol"), ["symbol"], unique=False)

    op.create_table(
        "trades",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("lots", storage.types.ExactDecimal(), nullable=False),
        sa.Column("entry", storage.types.ExactDecimal(), nullable=False),
        sa.Column("exit", storage.types.ExactDecimal(), nullable=False),
        sa.Column("pnl", storage.types.ExactDecimal(), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_trades_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
        sa.UniqueConstraint("account_id", "external_id", name="uq_trades_account_external"),
    )
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.create_index("ix_trades_account_closed", ["account_id", "closed_at"], unique=False)

    op.create_table(
        "reservations",
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("lots", storage.types.ExactDecimal(), nullable=False),
        sa.Column("amount", storage.types.ExactDecimal(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_reservations_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["sizing_decisions.id"],
            name=op.f("fk_reservations_decision_id_sizing_decisions"),
        ),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_reservations")),
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reservations_account_status", ["account_id", "status"], unique=False
        )

    _append_only_triggers()


APPEND_ONLY = ("sizing_decisions", "rule_events")


def _append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION aria_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit records in % are append-only', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION aria_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION aria_refuse_change()"
            )
    elif dialect == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}"
                    f" BEGIN SELECT RAISE(ABORT, 'audit records in {table} are append-only'); END"
                )


def _drop_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS aria_refuse_change()")
    elif dialect == "sqlite":
        for table in APPEND_ONLY:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_reservations_account_status")

    op.drop_table("reservations")
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index("ix_trades_account_closed")

    op.drop_table("trades")
    with op.batch_alter_table("sizing_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sizing_decisions_symbol"))
        batch_op.drop_index(batch_op.f("ix_sizing_decisions_strategy"))
        batch_op.drop_index("ix_sizing_decisions_created")
        batch_op.drop_index("ix_sizing_decisions_account_seq")

    op.drop_table("sizing_decisions")
    with op.batch_alter_table("rule_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_events_kind"))
        batch_op.drop_index("ix_rule_events_at")
        batch_op.drop_index("ix_rule_events_account_seq")

    op.drop_table("rule_events")
    op.drop_table("account_trackers")
    with op.batch_alter_table("account_states", schema=None) as batch_op:
        batch_op.drop_index("ix_account_states_account_as_of")

    op.drop_table("account_states")
    op.drop_table("sizing_requests")
    op.drop_table("scheduler_heartbeats")
    op.drop_table("profile_layers")
    with op.batch_alter_table("market_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_market_snapshots_symbol_computed")

    op.drop_table("market_snapshots")
    op.drop_table("job_runs")
    op.drop_table("instruments")
    with op.batch_alter_table("correlation_matrices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_correlation_matrices_universe"))

    op.drop_table("correlation_matrices")
    op.drop_table("bars")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_strategy"))
        batch_op.drop_index(batch_op.f("ix_accounts_owner"))
        batch_op.drop_index(batch_op.f("ix_accounts_firm"))

    op.drop_table("accounts")
