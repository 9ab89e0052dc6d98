"""The one check of the wording a trader reads when market data is too stale to size by ATR.

Every other test compares reject codes; this one pins the sentences that tell the three
kinds of ``stale_data`` apart: no bars at all, too few bars for an ATR, and bars too old.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine

from aria.service import maintenance
from aria.service import market as market_service
from aria.service.commands import BarsBatch
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import make_context

D = Decimal
ATR_STOP = {"stop": None, "stop_atr_multiple": "2"}


def weekday_bars(days: int, end: dt.datetime, close: str) -> list[tuple]:
    """``days`` weekday bars, each 0.0100 wide, ending the day before ``end``."""
    bars: list[tuple] = []
    when = end - dt.timedelta(days=1)
    while len(bars) < days:
        if when.weekday() < 5:
            mid = D(close) + D(len(bars) % 3) / 1000
            bars.append((when, mid, mid + D("0.005"), mid - D("0.005"), mid, None))
        when -= dt.timedelta(days=1)
    return bars[::-1]


def test_each_kind_of_stale_market_data_says_what_is_missing(engine: Engine) -> None:
    clock = SettableClock("2026-06-02T09:00:00Z")
    ctx = make_context(engine, clock=clock)
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))

    (none,) = ask(ctx, "none", ["a"], **ATR_STOP).decisions
    assert none.decision.reject_codes == ["stale_data"]
    assert "no bars for GBPUSD" in " ".join(none.decision.reasons)

    thin = weekday_bars(41, utc(2026, 6, 2), "1.2700")
    market_service.ingest_bars(ctx, BarsBatch(symbol="GBPUSD", bars=thin))
    eurusd = weekday_bars(60, utc(2026, 6, 2), "1.1000")
    market_service.ingest_bars(ctx, BarsBatch(symbol="EURUSD", bars=eurusd))
    assert maintenance.volatility(ctx).done == 2
    (few,) = ask(ctx, "few", ["a"], **ATR_STOP).decisions
    assert few.decision.reject_codes == ["stale_data"]
    assert "GBPUSD has 41 bars, too few for an ATR" in " ".join(few.decision.reasons)

    clock.move_to("2026-06-08T09:00:00Z")  # EURUSD's last bar (1 June) is a week old
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 8, 8, 59))
    (old,) = ask(
        ctx, "old", ["a"], symbol="EURUSD", entry="1.1000", stop=None, stop_atr_multiple="2"
    ).decisions
    assert old.decision.reject_codes == ["stale_data"]
    assert "the latest bar of EURUSD is from 2026-06-01" in " ".join(old.decision.reasons)
