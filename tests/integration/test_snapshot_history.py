"""Volatility snapshots: the latest per symbol through an index, whatever the history; retention."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from aria.service import audit, maintenance
from aria.service.context import Context
from aria.sizing.market import VolatilitySnapshot
from storage.repositories import revisions
from storage.rows import SnapshotRow
from storage.translate_market import snapshot_values
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock

SNAPSHOTS = SnapshotRow.__table__


def _snapshot(symbol: str, computed_at: dt.datetime, close: str = "1.27") -> VolatilitySnapshot:
    return VolatilitySnapshot(
        symbol=symbol,
        timeframe="1d",
        as_of=computed_at,
        atr=Decimal("0.01"),
        atr_percentile=Decimal("50"),
        regime="normal",
        daily_volatility=Decimal("0.006"),
        last_close=Decimal(close),
        bars=300,
        computed_at=computed_at,
    )


def _save(ctx: Context, *snapshots: VolatilitySnapshot) -> None:
    with ctx.unit() as uow:
        for snapshot in snapshots:
            uow.market.save_snapshot(snapshot)
        uow.commit()


def test_latest_is_the_newest_computed_then_the_last_written(ctx: Context) -> None:
    day = utc(2026, 6, 1)
    _save(
        ctx,
        _snapshot("GBPUSD", day, "1.25"),
        _snapshot("GBPUSD", day + dt.timedelta(hours=1), "1.26"),
        _snapshot("GBPUSD", day + dt.timedelta(hours=1), "1.27"),  # same time: written last wins
        _snapshot("GBPUSD", day - dt.timedelta(days=1), "1.20"),  # written late, computed earlier
        _snapshot("XAUUSD", day, "2300"),
        _snapshot("EURJPY", day, "170"),
    )
    with ctx.unit() as uow:
        latest = uow.market.snapshots(["GBPUSD", "XAUUSD", "NAS100"])
        pairs = uow.market.currency_pairs()
    assert {s: v.last_close for s, v in latest.items()} == {
        "GBPUSD": Decimal("1.27"),
        "XAUUSD": Decimal("2300"),
    }
    # XAU is not a currency: six letters do not make a pair.
    assert {s: v.last_close for s, v in pairs.items()} == {
        "EURJPY": Decimal("170"),
        "GBPUSD": Decimal("1.27"),
    }


def test_prune_keeps_recent_snapshots_and_each_symbols_latest(ctx: Context, engine: Engine) -> None:
    now = ctx.clock.now()
    old = now - dt.timedelta(days=40)
    _save(
        ctx,
        _snapshot("GBPUSD", old - dt.timedelta(days=1)),
        _snapshot("GBPUSD", old),
        _snapshot("GBPUSD", now - dt.timedelta(days=1), "1.30"),
        _snapshot("EURUSD", old - dt.timedelta(days=1)),
        _snapshot("EURUSD", old, "1.08"),  # old, but the only EURUSD left after the prune
    )
    report = maintenance.prune_snapshots(ctx)
    assert report.done == 3
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(SNAPSHOTS.c.symbol, SNAPSHOTS.c.last_close).order_by(SNAPSHOTS.c.symbol)
        ).all()
    assert [(s, Decimal(c)) for s, c in rows] == [
        ("EURUSD", Decimal("1.08")),
        ("GBPUSD", Decimal("1.30")),
    ]
    again = maintenance.prune_snapshots(ctx)
    assert (again.done, again.skipped) == (0, 1)  # once a day


def test_every_decision_still_replays_after_a_prune(ctx: Context, clock: SettableClock) -> None:
    open_account(ctx, "ftmo-1")
    for day in range(3):
        clock.tick(dt.timedelta(days=1))
        _save(ctx, _snapshot("GBPUSD", clock.now(), f"1.2{day}"))
        push(ctx, "ftmo-1", 100_000, 100_000, clock.now())
        ask(ctx, f"r-{day}", ["ftmo-1"])
    clock.tick(dt.timedelta(days=60))
    _save(ctx, _snapshot("GBPUSD", clock.now(), "1.31"))
    assert maintenance.prune_snapshots(ctx).done == 3
    report = audit.verify(ctx)
    assert report.ok, report.problem
    assert report.decisions == 3


def _explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
    return [str(row[-1]) for row in rows]


def test_the_sizing_path_reads_snapshots_through_the_index(
    ctx: Context, engine: Engine, clock: SettableClock
) -> None:
    start = clock.now() - dt.timedelta(days=3000)
    history = [
        snapshot_values(_snapshot(symbol, start + dt.timedelta(hours=i)))
        for i in range(4000)
        for symbol in ("GBPUSD", "EURUSD", "XAUUSD", "US30", "NAS100")
    ]
    with engine.begin() as connection:
        connection.execute(SNAPSHOTS.insert(), history)
        revisions.bump_on(connection, revisions.SNAPSHOTS)
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE market_snapshots")
        else:
            connection.exec_driver_sql("ANALYZE")
    open_account(ctx, "ftmo-1")
    push(ctx, "ftmo-1", 100_000, 100_000, clock.now())
    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "market_snapshots" in statement:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        result = ask(ctx, "r-1", ["ftmo-1"])
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert result.decisions  # the request was sized, so the snapshot reads ran
    assert seen, "the sizing path read no snapshot"
    for statement, parameters in seen:
        plan = _explain(engine, statement, parameters)
        text = "\n".join(plan)
        if engine.dialect.name == "sqlite":
            scans = [line for line in plan if line.startswith("SCAN")]
            # Only the list of wanted symbols is walked; every snapshot row read is a search.
            assert all("wanted" in line or "CONSTANT ROWS" in line for line in scans), text
            assert "TEMP B-TREE" not in text, text
            assert "ix_market_snapshots_symbol_computed" in text, text
        else:
            # Analyzed and 20,000 rows long, the table is read whole only if the plan must.
            assert "Seq Scan on market_snapshots" not in text, text
            assert "Hash" not in text, text
            assert "ix_market_snapshots_symbol_computed" in text, text


@pytest.mark.parametrize("symbols", [["GBPUSD"], ["GBPUSD", "EURUSD", "US30"]])
def test_latest_does_not_depend_on_the_number_of_symbols_asked(
    ctx: Context, symbols: list[str]
) -> None:
    day = utc(2026, 6, 1)
    _save(ctx, *(_snapshot(s, day + dt.timedelta(minutes=i)) for i, s in enumerate(symbols * 3)))
    with ctx.unit() as uow:
        latest = uow.market.snapshots(symbols + symbols)
    assert sorted(latest) == sorted(symbols)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    writes=st.lists(
        st.tuples(st.sampled_from(["GBPUSD", "EURUSD", "XAUUSD", "US30"]), st.integers(0, 3)),
        max_size=30,
    )
)
def test_latest_is_the_newest_computed_then_written_for_any_history(
    ctx: Context, engine: Engine, writes: list[tuple[str, int]]
) -> None:
    with engine.begin() as connection:
        connection.execute(SNAPSHOTS.delete())
    day = utc(2026, 6, 1)
    expected: dict[str, tuple[int, Decimal]] = {}
    for n, (symbol, hour) in enumerate(writes):
        _save(ctx, _snapshot(symbol, day + dt.timedelta(hours=hour), f"{n + 1}"))
        if symbol not in expected or hour >= expected[symbol][0]:
            expected[symbol] = (hour, Decimal(n + 1))  # a later write wins a tie
    with ctx.unit() as uow:
        latest = uow.market.snapshots(["GBPUSD", "EURUSD", "XAUUSD", "US30"])
        pairs = uow.market.currency_pairs()
    assert {s: v.last_close for s, v in latest.items()} == {s: c for s, (_, c) in expected.items()}
    assert {s: v.last_close for s, v in pairs.items()} == {
        s: c for s, (_, c) in expected.items() if s in ("GBPUSD", "EURUSD")
    }
