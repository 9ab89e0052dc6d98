"""What an audited sizing sends to the database: a fixed set of statements, whatever the count
of accounts, and reads folded together giving what the separate reads give."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aria.service.context import Context
from aria.sizing.market import VolatilitySnapshot
from aria.stored import SizingQuery
from storage.changes import NotifyFeed
from storage.repositories import market
from storage.repositories.chain import CHANNEL
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock

# A warm sizing's statements on SQLite: BEGIN, the claim, the accounts with their owners' other
# accounts, the revisions with the matrix head (layers, snapshots and instruments come from the
# process's cache while their revisions stand), live reservations, known input parts, then the
# decisions, reservations and chain heads.
SQLITE_STATEMENTS = 9
# On PostgreSQL: no BEGIN sent as a statement, the decisions and reservations go by COPY (on the
# driver's cursor), and moving the chain heads announces the change in the same statement.
POSTGRESQL_STATEMENTS = 7


def _statements(engine: Engine, work: Any) -> list[str]:
    seen: list[str] = []

    def note(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        work()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return seen


def test_a_sizing_sends_as_many_statements_for_ten_accounts_as_for_one(
    ctx: Context, engine: Engine, clock: SettableClock
) -> None:
    ids = [f"ftmo-{n}" for n in range(10)]
    for account_id in ids:
        open_account(ctx, account_id)
        push(ctx, account_id, 100_000, 100_000, clock.now())
    ask(ctx, "warm", ids[:1])  # caches filled, input parts stored
    clock.tick(1)
    one = _statements(engine, lambda: ask(ctx, "one", ids[:1]))
    clock.tick(1)
    ten = _statements(engine, lambda: ask(ctx, "ten", ids))
    # Only the parts the ten accounts are the first to use are new: one more insert.
    new_parts = [s for s in ten if s.startswith("INSERT INTO input_parts")]
    assert len(new_parts) <= 1
    assert len(ten) - len(new_parts) == len(one), "\n".join(ten)
    limit = SQLITE_STATEMENTS if engine.dialect.name == "sqlite" else POSTGRESQL_STATEMENTS
    assert len(one) <= limit, "\n".join(one)
    assert not any("pg_notify" in s and "UPDATE" not in s for s in one), "\n".join(one)
    # Nothing cached changed since the warm request: its reads are not sent again.
    assert not any("market_snapshots" in s for s in one), "\n".join(one)
    assert not any("instruments.spec" in s for s in one), "\n".join(one)
    assert not any("profile_layers" in s for s in one), "\n".join(one)
    assert sum("correlation_matrices" in s for s in one) == 1, "\n".join(one)


def _snapshot(symbol: str, at: dt.datetime, close: str) -> VolatilitySnapshot:
    return VolatilitySnapshot(
        symbol=symbol,
        timeframe="1d",
        as_of=at,
        atr=Decimal("0.01"),
        atr_percentile=Decimal(50),
        regime="normal",
        daily_volatility=Decimal("0.006"),
        last_close=Decimal(close),
        bars=300,
        computed_at=at,
    )


def test_snapshots_with_pairs_are_the_separate_reads(ctx: Context, engine: Engine) -> None:
    day = utc(2026, 6, 1)
    with ctx.unit() as uow:
        for symbol, close in (("GBPUSD", "1.25"), ("EURUSD", "1.08"), ("XAUUSD", "2300")):
            uow.market.save_snapshot(_snapshot(symbol, day, close))
        uow.market.save_snapshot(_snapshot("USDJPY", day + dt.timedelta(hours=1), "150"))
        uow.market.save_snapshot(_snapshot("USDJPY", day, "149"))  # older: not the latest
        uow.commit()
    wanted = ["GBPUSD", "XAUUSD", "NAS100"]
    with Session(engine) as session:
        snapshots, pairs = market.snapshots_and_pairs(session, wanted)
    with ctx.unit() as uow:
        assert snapshots == uow.market.snapshots(wanted)
        assert pairs == uow.market.currency_pairs()
    assert sorted(snapshots) == ["GBPUSD", "XAUUSD"]
    assert {s: v.last_close for s, v in pairs.items()} == {
        "EURUSD": Decimal("1.08"),
        "GBPUSD": Decimal("1.25"),
        "USDJPY": Decimal("150"),
    }


def test_a_sizing_announces_each_account_it_decided_for(
    ctx: Context, engine: Engine, clock: SettableClock
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    for account_id, owner in (("a-1", "alice"), ("b-1", "bob"), ("b-2", "bob")):
        open_account(ctx, account_id, owner=owner)
        push(ctx, account_id, 100_000, 100_000, clock.now())
    conninfo = NotifyFeed(engine.url.render_as_string(hide_password=False)).conninfo
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        ask(ctx, "r-1", ["a-1", "b-2"])
        heard = [n.payload for n in listener.notifies(timeout=2, stop_after=2)]
    assert sorted(heard) == ["alice:a-1", "bob:b-2"]


def test_the_family_is_the_same_locked_or_not(ctx: Context, clock: SettableClock) -> None:
    for account_id, owner in (("a-1", "alice"), ("a-2", "alice"), ("a-3", "alice"), ("b-1", "bob")):
        open_account(ctx, account_id, owner=owner)
    open_account(ctx, "c-1", owner="carol")

    def load(lock: bool) -> tuple[list[str], list[str], dict[str, tuple[int, str] | None]]:
        with ctx.unit() as uow:
            snapshot = uow.sizing.for_sizing(
                SizingQuery(
                    account_ids=("b-1", "a-2", "zz-unknown"),
                    symbol="GBPUSD",
                    now=clock.now(),
                    lock=lock,
                    layer_keys=lambda account: [],
                    reads_trades=lambda account, layers: False,
                    trade_history=10,
                    universe="all",
                )
            )
            # Locked, the heads of the accounts asked for are known to the append after it.
            heads = {a: uow.sizing.chain.heads.get(a) for a in ("a-1", "a-2", "b-1")}
        return list(snapshot.accounts), list(snapshot.others), heads

    locked, unlocked = load(True), load(False)
    assert locked[:2] == unlocked[:2] == (["a-2", "b-1"], ["a-1", "a-3"])
    assert locked[2]["a-1"] is None  # a sibling is read, not locked
    assert locked[2]["a-2"] is not None
    assert locked[2]["b-1"] is not None
    assert set(unlocked[2].values()) == {None}
