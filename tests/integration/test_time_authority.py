"""One clock for reservation lifetimes and state order: the database's on PostgreSQL, the
process's on SQLite (one machine's processes share a file and its clock)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from aria.bootstrap import SystemClock, build
from aria.service import maintenance
from aria.service.context import Context
from aria.settings import Settings
from tests.builders import always_open_catalog, ask, open_account, push, utc
from tests.databases import make_context

D = Decimal


class OffsetClock:
    """The wall clock of a server whose clock is ``seconds`` off."""

    def __init__(self, seconds: float) -> None:
        self.offset = dt.timedelta(seconds=seconds)

    def now(self) -> dt.datetime:
        """This server's idea of now."""
        return SystemClock().now() + self.offset


class FixedClock:
    """A clock stopped at one instant."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        """Always the same instant."""
        return self.at


def _tight_account(ctx: Context, account_id: str) -> None:
    """Headroom 3,000 (equity 100,000 over a daily floor of 97,000); a request risks 1,000."""
    open_account(ctx, account_id)
    push(ctx, account_id, 102_000, 100_000, SystemClock().now() - dt.timedelta(seconds=1))
    with ctx.unit() as uow:
        tracker = uow.accounts.lock_trackers([account_id])[account_id]
        assert tracker.day is not None
        day = tracker.day.model_copy(update={"balance": D(102_000)})
        uow.accounts.save_tracker(account_id, tracker.evolve(day=day), SystemClock().now())
        uow.commit()


@pytest.mark.postgres
def test_servers_whose_clocks_differ_never_together_pass_the_headroom(
    engine: Engine, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("servers share a database only on PostgreSQL")
    # As deployed: each server's units of work take the database's time. That time is the
    # real one, so GBPUSD trades around the clock here: the test answers the same on any day.
    market = always_open_catalog(tmp_path / "instruments.toml")
    honest = make_context(engine, clock=OffsetClock(0), database_time=True, instruments=market)
    fast = make_context(engine, clock=OffsetClock(130), database_time=True, instruments=market)
    _tight_account(honest, "shared")
    first = [ask(honest, f"h-{i}", ["shared"]).decisions[0].decision for i in range(2)]
    assert all(d.approved for d in first)
    # By its own clock the fast server would see those reservations as expired already.
    assert maintenance.expire_reservations(fast).done == 0
    second = [ask(fast, f"f-{i}", ["shared"]).decisions[0].decision for i in range(3)]
    approved = [d for d in first + second if d.approved]
    assert sum(d.risk_amount for d in approved) <= D(3_000)
    assert len(approved) == 3
    with fast.unit() as uow:
        live = uow.sizing.live_reservations(["shared"], SystemClock().now())["shared"]
    assert sum(r.amount for r in live) == D(3_000)


@pytest.mark.postgres
def test_on_postgresql_the_time_is_the_database_s(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    ctx = make_context(engine, clock=FixedClock(utc(2031, 1, 1)), database_time=True)
    with ctx.unit() as uow:
        now = uow.now()
        assert uow.now() == now  # one time per transaction
    with engine.connect() as connection:
        database = connection.execute(sa.text("SELECT now()")).scalar_one()
    assert now.tzinfo is not None
    assert abs(now - database) < dt.timedelta(seconds=30)
    assert now.year != 2031


def test_on_sqlite_the_time_is_the_process_clock(engine: Engine) -> None:
    # SQLite is a file the processes of one machine open, one writer at a time: their
    # shared clock is the authority, whatever ``database_time`` says.
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    at = utc(2026, 6, 2, 9)
    ctx = make_context(engine, clock=FixedClock(at), database_time=True)
    with ctx.unit() as uow:
        assert uow.now() == at
    app = build(Settings(database_url=str(engine.url)), clock=FixedClock(at))
    try:
        with app.context.unit() as uow:
            assert uow.now() == at
    finally:
        app.close()


def test_a_state_push_and_sizing_use_the_unit_of_work_s_time(engine: Engine) -> None:
    # The context's clock says 2031; the units of work say otherwise (on SQLite: their own
    # process clock, here fixed). Nothing in a push or a sizing reads the context's clock.
    at = utc(2026, 6, 2, 9)
    ctx = make_context(engine, clock=FixedClock(at))
    ctx.clock = FixedClock(utc(2031, 1, 1))
    open_account(ctx, "t")
    push(ctx, "t", 100_000, 100_000, at - dt.timedelta(minutes=1))
    (sized,) = ask(ctx, "t-1", ["t"]).decisions
    assert sized.decision.approved
    assert sized.created_at == at
    with ctx.unit() as uow:
        (live,) = uow.sizing.live_reservations(["t"], at)["t"]
    assert live.expires_at == at + dt.timedelta(seconds=ctx.options.reservation_ttl_seconds)
