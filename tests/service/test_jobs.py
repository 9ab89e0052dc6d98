"""Scheduled jobs on the in-memory store and a settable clock: resets across daylight saving,
one claim per slot, market data jobs, findings recorded once, reservations expiring."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from aria.audit.filters import EventFilter
from aria.service import maintenance
from aria.service import market as market_service
from aria.service.commands import BarsBatch
from aria.service.context import Context
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock

D = Decimal


def resets(ctx: Context, account_id: str) -> list[dict]:
    with ctx.unit() as uow:
        events = uow.audit.events(EventFilter(account=account_id, kind="daily_reset"), None, 100)
    return [e.detail for e in reversed(events)]


# (firm, plan, phase, size, daily amount, the resets to cross: UTC instants)
CASES = {
    "ftmo-spring": (
        "ftmo",
        "2-step",
        "challenge",
        100_000,
        5_000,
        [utc(2026, 3, 27, 23), utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), utc(2026, 3, 30, 22)],
    ),
    "ftmo-autumn": (
        "ftmo",
        "2-step",
        "challenge",
        100_000,
        5_000,
        [
            utc(2026, 10, 23, 22),
            utc(2026, 10, 24, 22),
            utc(2026, 10, 25, 23),
            utc(2026, 10, 26, 23),
        ],
    ),
    "topstep-spring": (
        "topstep",
        "trading-combine",
        "combine",
        50_000,
        1_000,
        [utc(2026, 3, 6, 23), utc(2026, 3, 7, 23), utc(2026, 3, 8, 22), utc(2026, 3, 9, 22)],
    ),
    "topstep-autumn": (
        "topstep",
        "trading-combine",
        "combine",
        50_000,
        1_000,
        [utc(2026, 10, 30, 22), utc(2026, 10, 31, 22), utc(2026, 11, 1, 23), utc(2026, 11, 2, 23)],
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_account_resets_once_at_its_own_instant_across_daylight_saving(
    ctx: Context, clock: SettableClock, case: str
) -> None:
    firm, plan, phase, size, amount, instants = CASES[case]
    second = dt.timedelta(seconds=1)
    clock.move_to(instants[0] - dt.timedelta(hours=6))
    open_account(ctx, "acct", firm=firm, plan=plan, phase=phase, size=size)
    push(ctx, "acct", size, size, instants[0] - dt.timedelta(hours=6))
    for day, instant in enumerate(instants, start=1):
        clock.move_to(instant - second)
        balance = size + 250 * day
        push(ctx, "acct", balance, balance, instant - second)
        maintenance.daily_resets(ctx)
        assert len(resets(ctx, "acct")) == day - 1, f"reset before {instant}"
        clock.move_to(instant + second)
        maintenance.daily_resets(ctx)
        maintenance.daily_resets(ctx)  # a second run in the same day does nothing
        done = resets(ctx, "acct")
        assert len(done) == day, f"no single reset at {instant}"
        assert dt.datetime.fromisoformat(done[-1]["reset_at"]) == instant
        assert (
            D(done[-1]["daily_floor"]) == balance - amount
        )  # the floor follows the balance at the reset


def _walk(
    seed: int, days: int, start: float
) -> list[tuple[dt.datetime, Decimal, Decimal, Decimal, Decimal, None]]:
    rng = np.random.default_rng(seed)
    closes = start * np.exp(np.cumsum(rng.normal(0, 0.006, days)))
    bars = []
    for day, close in enumerate(closes):
        high, low = close * (1 + abs(rng.normal(0, 0.003))), close * (1 - abs(rng.normal(0, 0.003)))
        bars.append(
            (
                utc(2025, 6, 1) + dt.timedelta(days=day),
                D(f"{close:.5f}"),
                D(f"{high:.5f}"),
                D(f"{low:.5f}"),
                D(f"{close:.5f}"),
                None,
            )
        )
    return bars


def test_volatility_and_correlation_jobs_run_once_per_new_bar(
    ctx: Context, clock: SettableClock
) -> None:
    for seed, symbol, price in ((1, "EURUSD", 1.1), (2, "GBPUSD", 1.27), (3, "USDJPY", 150.0)):
        market_service.ingest_bars(ctx, BarsBatch(symbol=symbol, bars=_walk(seed, 366, price)))
    first = maintenance.volatility(ctx)
    assert (first.done, first.skipped) == (3, 0)
    assert maintenance.volatility(ctx).skipped == 3
    snapshot = market_service.snapshots(ctx, ["EURUSD"])["EURUSD"]
    assert snapshot.atr is not None
    assert snapshot.regime is not None
    assert snapshot.as_of == utc(2026, 6, 1)
    assert maintenance.correlations(ctx).details == {"version": 1, "symbols": 3}
    assert maintenance.correlations(ctx).skipped == 1
    clock.move_to("2026-06-03 00:00:05")  # the bar of 2 June has closed
    last = _walk(1, 366, 1.1)[-1][4]
    market_service.ingest_bars(
        ctx,
        BarsBatch(
            symbol="EURUSD",
            bars=[(utc(2026, 6, 2), last, last + D("0.003"), last - D("0.003"), last, None)],
        ),
    )
    assert maintenance.correlations(ctx).details["version"] == 2
    assert maintenance.volatility(ctx).done == 1
    # With fresh bars, ATR-based sizing has what it needs.
    open_account(ctx, "atr")
    push(ctx, "atr", 100_000, 100_000, utc(2026, 6, 3, 0, 0))
    (sized,) = ask(
        ctx, "atr", ["atr"], symbol="EURUSD", entry="1.1000", stop=None, stop_atr_multiple="2"
    ).decisions
    assert sized.decision.approved, sized.decision.reasons


def test_compliance_scan_and_stale_data_record_findings_once(
    ctx: Context, clock: SettableClock
) -> None:
    for name in ("a", "b"):
        open_account(ctx, name)
    push(
        ctx,
        "a",
        100_000,
        100_000,
        utc(2026, 6, 2, 8, 59),
        positions=[{"symbol": "EURUSD", "side": "long", "lots": 1, "entry": "1.1", "stop": "1.09"}],
    )
    push(
        ctx,
        "b",
        100_000,
        100_000,
        utc(2026, 6, 2, 8, 59),
        positions=[
            {"symbol": "EURUSD", "side": "short", "lots": 1, "entry": "1.1", "stop": "1.11"}
        ],
    )
    assert maintenance.compliance_scan(ctx).done == 2
    assert maintenance.compliance_scan(ctx).done == 0  # once a day
    clock.move_to("2026-06-02 10:00:00")
    assert maintenance.stale_data(ctx).done == 2
    assert maintenance.stale_data(ctx).done == 0
    with ctx.unit() as uow:
        kinds = sorted(e.kind for e in uow.audit.events(EventFilter(account="a"), None, 20))
    assert kinds.count("compliance_finding") == 1
    assert kinds.count("stale_data") == 1


def test_expired_reservations_are_released(ctx: Context, clock: SettableClock) -> None:
    open_account(ctx, "r")
    push(ctx, "r", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    ask(ctx, "hold", ["r"])
    clock.tick(dt.timedelta(seconds=121))
    assert maintenance.expire_reservations(ctx).done == 1
    assert maintenance.expire_reservations(ctx).done == 0
