"""Market data is global: only an unrestricted caller writes it, and only sound bars."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aria.service import maintenance
from aria.service import market as market_service
from aria.service.commands import BarsBatch
from aria.service.context import Context
from aria.service.errors import Forbidden, InvalidInput
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock

D = Decimal


def gbpusd(days: int, end: dt.datetime, width: str = "0.0100") -> list[tuple]:
    """Weekday GBPUSD bars ending the day before ``end``, ranging ``width``."""
    bars: list[tuple] = []
    when = end - dt.timedelta(days=1)
    while len(bars) < days:
        if when.weekday() < 5:
            close = D("1.2700") + D(len(bars) % 3) / 1000
            half = D(width) / 2
            bars.append((when, close, close + half, close - half, close, None))
        when -= dt.timedelta(days=1)
    return bars[::-1]


def stored(ctx: Context, symbol: str = "GBPUSD") -> list[tuple]:
    with ctx.unit() as uow:
        return uow.market.bars([symbol], "1d", 10_000)[symbol]


def test_a_key_restricted_to_one_owner_may_not_write_bars(ctx: Context) -> None:
    batch = BarsBatch(symbol="GBPUSD", bars=gbpusd(41, utc(2026, 6, 2), width="0.0010"))
    with pytest.raises(Forbidden, match="market data is global"):
        market_service.ingest_bars(ctx, batch, owner="mallory")
    assert stored(ctx) == []
    assert market_service.ingest_bars(ctx, batch).stored == 41


def test_future_dated_and_unclosed_bars_are_refused_and_nothing_is_written(
    ctx: Context,
) -> None:
    good = gbpusd(50, utc(2026, 6, 2))
    future = (utc(2031, 1, 6), D("1.27"), D("1.275"), D("1.265"), D("1.27"), None)
    with pytest.raises(InvalidInput, match=r"2031-01-06.*after now.*nothing was stored"):
        market_service.ingest_bars(ctx, BarsBatch(symbol="GBPUSD", bars=[*good, future]))
    today = (utc(2026, 6, 2), D("1.27"), D("1.275"), D("1.265"), D("1.27"), None)
    with pytest.raises(InvalidInput, match="closes at 2026-06-03T00:00:00"):
        market_service.ingest_bars(ctx, BarsBatch(symbol="GBPUSD", bars=[today]))
    assert stored(ctx) == []


def test_an_outlier_bar_is_refused_unless_allowed(ctx: Context) -> None:
    market_service.ingest_bars(ctx, BarsBatch(symbol="GBPUSD", bars=gbpusd(50, utc(2026, 6, 1))))
    spike = (utc(2026, 6, 1), D("1.2700"), D("1.5000"), D("1.2650"), D("1.2700"), None)
    with pytest.raises(InvalidInput, match=r"outlier bar: 2026-06-01.* 23\.\d × the median"):
        market_service.ingest_bars(ctx, BarsBatch(symbol="GBPUSD", bars=[spike]))
    assert len(stored(ctx)) == 50
    done = market_service.ingest_bars(
        ctx, BarsBatch(symbol="GBPUSD", bars=[spike], allow_outliers=True)
    )
    assert done.stored == 1
    assert len(done.outliers) == 1


def test_weekend_stubs_of_daily_fx_bars_are_merged_unless_kept(ctx: Context) -> None:
    friday = (utc(2026, 5, 29), D("1.27"), D("1.28"), D("1.26"), D("1.275"), D(5))
    sunday = (utc(2026, 5, 31), D("1.275"), D("1.277"), D("1.274"), D("1.276"), D(1))
    monday = (utc(2026, 6, 1), D("1.276"), D("1.279"), D("1.268"), D("1.270"), D(9))
    done = market_service.ingest_bars(
        ctx, BarsBatch(symbol="GBPUSD", bars=[friday, sunday, monday])
    )
    assert (done.stored, done.merged, done.dropped) == (2, 1, 0)
    assert [tuple(r[:5]) for r in stored(ctx)] == [
        (utc(2026, 5, 29), 1.27, 1.28, 1.26, 1.275),
        (utc(2026, 6, 1), 1.275, 1.279, 1.268, 1.270),
    ]
    kept = market_service.ingest_bars(
        ctx, BarsBatch(symbol="EURUSD", bars=[friday, sunday, monday], keep_weekend_bars=True)
    )
    assert (kept.stored, kept.merged) == (3, 0)
    crypto = market_service.ingest_bars(
        ctx, BarsBatch(symbol="BTCUSD", bars=[friday, sunday, monday])
    )
    assert (crypto.stored, crypto.merged) == (3, 0)  # crypto trades all Sunday


def test_the_volatility_job_publishes_no_atr_from_too_few_bars(
    ctx: Context, clock: SettableClock
) -> None:
    thin = gbpusd(41, utc(2026, 6, 2), width="0.0010")
    market_service.ingest_bars(ctx, BarsBatch(symbol="GBPUSD", bars=thin))
    assert maintenance.volatility(ctx).done == 1
    snapshot = market_service.snapshots(ctx, ["GBPUSD"])["GBPUSD"]
    assert snapshot.atr is None
    assert snapshot.bars == 41
    assert snapshot.last_close == thin[-1][4]
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    (sized,) = ask(ctx, "atr", ["a"], stop=None, stop_atr_multiple="2").decisions
    assert sized.decision.reject_codes == ["stale_data"]
    assert sized.decision.reasons  # the wording: test_reason_wording.py
    clock.move_to("2026-06-03 09:00:00")
    market_service.ingest_bars(
        ctx, BarsBatch(symbol="GBPUSD", bars=gbpusd(42, utc(2026, 6, 3), width="0.0010"))
    )
    assert maintenance.volatility(ctx).done == 1
    assert market_service.snapshots(ctx, ["GBPUSD"])["GBPUSD"].atr is not None


def test_bars_stored_in_the_future_before_the_check_do_not_make_a_symbol_fresh(
    ctx: Context,
) -> None:
    bars = gbpusd(60, utc(2026, 6, 2))
    market_service.ingest_bars(ctx, BarsBatch(symbol="GBPUSD", bars=bars))
    with ctx.unit() as uow:  # as an older version let through
        uow.market.add_bars("GBPUSD", "1d", [(utc(2031, 1, 6), 1.27, 1.28, 1.26, 1.27, None)])
        uow.commit()
    maintenance.volatility(ctx)
    snapshot = market_service.snapshots(ctx, ["GBPUSD"])["GBPUSD"]
    assert snapshot.as_of == bars[-1][0]
