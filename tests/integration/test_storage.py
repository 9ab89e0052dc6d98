"""Storage on both backends: exact types, constraints, migrations, append-only audit tables."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from aria.service.context import Context
from aria.stored import SizingQuery
from storage.engine import normalise_url
from storage.errors import Missing
from storage.rows import Base
from storage.schema import current_revision, head_revision
from storage.types import ExactDecimal, UTCDateTime
from tests.builders import ask, open_account, push, utc

# The ``ctx`` fixture's clock stands at 2026-06-02 09:00 UTC (``tests.clocks.START``).


def test_decimals_and_aware_datetimes_round_trip_unchanged(engine: Engine) -> None:
    table = sa.Table(
        "roundtrip",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", ExactDecimal()),
        sa.Column("at", UTCDateTime()),
    )
    table.create(engine)
    amount = Decimal("123456789.012345678")  # 18 significant digits
    tiny = Decimal("-0.000000000000000001")
    at = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [{"id": 1, "amount": amount, "at": at}, {"id": 2, "amount": tiny, "at": at}],
        )
    with engine.connect() as connection:
        rows = connection.execute(sa.select(table.c.amount, table.c.at).order_by(table.c.id)).all()
    assert rows[0][0] == amount
    assert str(rows[0][0]) == "123456789.012345678"
    assert rows[1][0] == tiny
    assert rows[0][1] == at  # the same instant…
    assert rows[0][1].utcoffset() == dt.timedelta(0)  # …handed back in UTC
    table.drop(engine)


def test_naive_datetimes_and_non_finite_decimals_are_refused(engine: Engine) -> None:
    table = sa.Table(
        "refuse", sa.MetaData(), sa.Column("at", UTCDateTime()), sa.Column("x", ExactDecimal())
    )
    table.create(engine)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as connection:
        connection.execute(table.insert().values(at=dt.datetime(2026, 1, 1)))
    with (
        pytest.raises(sa.exc.StatementError, match="not a finite Decimal"),
        engine.begin() as connection,
    ):
        connection.execute(table.insert().values(x=Decimal("NaN")))
    table.drop(engine)


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into account_trackers (account_id, positions, peak_intraday_equity, peak_eod_balance,"
                " peak_closed_balance, near_floor_streak, chain_seq, chain_hash, updated_at)"
                " values ('nobody', '[]', '1', '1', '1', 0, 0, '', :at)"
            ),
            {
                "at": utc(2026, 1, 1)
                if engine.dialect.name == "postgresql"
                else "2026-01-01 00:00:00"
            },
        )


def test_the_schema_is_at_the_single_head_and_matches_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


@pytest.mark.parametrize("table", ["sizing_decisions", "rule_events"])
def test_audit_tables_refuse_update_and_delete(engine: Engine, table: str) -> None:
    for statement in (f"update {table} set seq = seq + 1", f"delete from {table}"):
        with engine.begin() as connection:
            # With no rows the row triggers do not fire; insert one through the raw tables.
            _seed_audit_row(connection, table)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(sa.text(statement))


def _seed_audit_row(connection: sa.Connection, table: str) -> None:
    now = utc(2026, 1, 1)
    exists = connection.execute(sa.text(f"select count(*) from {table}")).scalar()
    if exists:
        return
    connection.execute(
        sa.text(
            "insert into accounts (id, label, owner, firm, plan, phase, rulebook_version, currency,"
            " initial_balance, profile, strategy, personality, trading_status, created_at, updated_at)"
            " values ('a1', '', 'o', 'ftmo', '2-step', 'challenge', '2024-11', 'USD', '100000', 'aria',"
            " null, '{}', 'active', :at, :at)"
        ),
        {"at": now},
    )
    if table == "rule_events":
        connection.execute(
            sa.text(
                "insert into rule_events (id, account_id, seq, kind, detail, actor, reason, at, prev_hash, hash)"
                " values ('e1', 'a1', 1, 'x', '{}', 'test', 'test', :at, '', '')"
            ),
            {"at": now},
        )
    else:
        connection.execute(
            sa.text(
                "insert into sizing_requests (request_id, request_hash, request, created_at) values ('r1', '', '{}', :at)"
            ),
            {"at": now},
        )
        connection.execute(
            sa.text(
                "insert into sizing_decisions (id, request_id, account_id, seq, status, symbol, side, strategy,"
                " lots, risk_amount, codes, binding, decision, inputs, input_hash, record_format, created_at,"
                " prev_hash, hash) values ('d1', 'r1', 'a1', 1, 'approved', 'EURUSD', 'long', null, '1', '1',"
                " ',,', null, '{}', '{}', '', 2, :at, '', '')"
            ),
            {"at": now},
        )


def test_postgres_urls_are_normalised_to_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_savepoints_roll_back_only_their_part(engine: Engine) -> None:
    # On Python 3.11's sqlite3 this only holds with SQLAlchemy's BEGIN hooks installed.
    table = sa.Table("nested", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(table.insert().values(id=1))
        savepoint = connection.begin_nested()
        connection.execute(table.insert().values(id=2))
        savepoint.rollback()
        connection.execute(table.insert().values(id=3))
    with engine.connect() as connection:
        assert connection.execute(sa.select(table.c.id).order_by(table.c.id)).scalars().all() == [
            1,
            3,
        ]
    table.drop(engine)


def test_sqlite_writers_are_serialised_from_the_start(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows with SELECT … FOR UPDATE instead")
    # SQLAlchemy drops FOR UPDATE on SQLite, so the lock must come from BEGIN IMMEDIATE.
    select = sa.select(sa.literal(1)).with_for_update()
    assert "FOR UPDATE" not in str(select.compile(dialect=engine.dialect))
    with engine.begin() as first:
        first.execute(sa.text("select 1"))
        other = sqlite3.connect(engine.url.database, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


# The aggregates' repositories ---------------------------------------------------------------


def _snapshot(ctx: Context, ids: tuple[str, ...], *, lock: bool, readers: set[str]) -> Any:
    with ctx.unit() as uow:
        return uow.sizing.for_sizing(
            SizingQuery(
                account_ids=ids,
                symbol="GBPUSD",
                now=utc(2026, 6, 2, 9, 0),
                lock=lock,
                layer_keys=lambda account: [("account", account.id)],
                reads_trades=lambda account, _: account.id in readers,
                trade_history=10,
                universe="all",
            )
        )


def test_one_load_gives_a_fan_out_everything_it_decides_from(ctx: Context) -> None:
    for account_id, owner in (("a", "alice"), ("b", "alice"), ("c", "alice"), ("z", "zoe")):
        open_account(ctx, account_id, owner=owner)
    push(
        ctx,
        "c",
        100_000,
        100_000,
        utc(2026, 6, 2, 8, 59),
        [
            {"symbol": "EURUSD", "side": "long", "lots": "1", "entry": "1.1"},
        ],
    )
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    approved = ask(ctx, "r1", ["a"]).decisions[0]
    assert approved.decision.approved
    with ctx.unit() as uow:
        uow.accounts.put_layer("account", "b", {"sizing": {"risk_percent": "0.5"}}, utc(2026, 6, 2))
        uow.commit()
    for lock in (True, False):
        loaded = _snapshot(ctx, ("a", "b", "missing"), lock=lock, readers={"b"})
        assert sorted(loaded.accounts) == ["a", "b"]  # an unknown id is simply absent
        assert sorted(loaded.others) == ["c"]  # the owner's other account, not another owner's
        assert loaded.others["c"][1].state.positions[0].symbol == "EURUSD"
        assert loaded.layers == {("account", "b"): {"sizing": {"risk_percent": "0.5"}}}
        assert set(loaded.trades) == {"b"}  # only accounts whose profile reads them
        assert [r.decision_id for r in loaded.reservations["a"]] == [approved.decision_id]
        assert loaded.reservations["b"] == ()
        assert loaded.correlation_head is None
        assert "GBPUSD" not in loaded.snapshots  # no bars were ever stored


def test_writes_naming_what_is_not_stored_raise_the_storage_error(ctx: Context) -> None:
    open_account(ctx, "a")
    with ctx.unit() as uow:
        account = uow.accounts.get("a")
        assert account is not None
        with pytest.raises(Missing):
            uow.accounts.save(account.model_copy(update={"id": "gone"}), utc(2026, 6, 2))
        with pytest.raises(Missing):
            uow.audit.append_event("gone", "halt", {}, "aria", "why", utc(2026, 6, 2))
        with pytest.raises(Missing):
            uow.market.correlation("all", 1)


def test_chain_heads_are_forgotten_when_a_transaction_ends(ctx: Context) -> None:
    open_account(ctx, "a")
    with ctx.unit() as uow:
        uow.accounts.lock(["a"])
        uow.audit.append_event("a", "note", {}, "aria", "first", utc(2026, 6, 2))
        uow.rollback()
        # Rolled back: the head this transaction moved is not the stored one any more.
        uow.accounts.lock(["a"])
        uow.audit.append_event("a", "note", {}, "aria", "second", utc(2026, 6, 2))
        uow.commit()
    with ctx.unit() as uow:
        assert uow.audit.verify_chain("a") is None
