"""The change feeds on real databases: SQLite's polling sees every kind of write to an
account; PostgreSQL notifies a committed write once, and a rolled-back one never."""

from __future__ import annotations

import asyncio
import datetime as dt

import psycopg
import pytest
from sqlalchemy import Engine

from aria.service.accounts import set_trading
from aria.service.commands import SetTrading
from aria.service.context import Context
from aria.stored import Change
from storage.changes import NotifyFeed, PollingFeed
from storage.repositories.chain import CHANNEL
from tests.builders import open_account, push
from tests.clocks import SettableClock


async def _first(feed: PollingFeed | NotifyFeed, write: object) -> Change:
    changes = feed.changes()
    try:
        assert await asyncio.wait_for(anext(changes), 30) is None  # listening from here on
        await asyncio.to_thread(write)  # type: ignore[arg-type]
        found = await asyncio.wait_for(anext(changes), 30)
        assert found is not None
        return found
    finally:
        await changes.aclose()


def test_polling_sees_a_state_push_and_an_operators_halt(
    engine: Engine, ctx: Context, clock: SettableClock
) -> None:
    open_account(ctx, "a-1", owner="alice")
    open_account(ctx, "b-1", owner="bob")
    feed = PollingFeed(engine, interval=0.05)
    at = clock.now() - dt.timedelta(seconds=5)
    assert asyncio.run(_first(feed, lambda: push(ctx, "b-1", 100_000, 99_000, at))) == Change(
        "bob", "b-1"
    )
    halt = SetTrading(enabled=False, actor="ops", reason="news")
    assert asyncio.run(_first(feed, lambda: set_trading(ctx, "a-1", halt))) == Change(
        "alice", "a-1"
    )


@pytest.mark.postgres
def test_postgres_notifies_a_committed_write_and_never_a_rolled_back_one(
    engine: Engine, ctx: Context, clock: SettableClock
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    open_account(ctx, "a-1", owner="alice")
    url = engine.url.render_as_string(hide_password=False)
    conninfo = NotifyFeed(url).conninfo
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with ctx.unit() as uow:  # written, then rolled back
            _, tracker = uow.accounts.lock(["a-1"])["a-1"]
            uow.accounts.save_tracker("a-1", tracker, clock.now())
            uow.rollback()
        assert list(listener.notifies(timeout=0.5)) == []
        push(ctx, "a-1", 100_000, 99_000, clock.now() - dt.timedelta(seconds=5))
        heard = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
    assert heard == ["alice:a-1"]
    feed = NotifyFeed(url)
    later = clock.now() - dt.timedelta(seconds=1)
    assert asyncio.run(_first(feed, lambda: push(ctx, "a-1", 100_000, 98_000, later))) == Change(
        "alice", "a-1"
    )
