"""Faults the service meets without a database failing: a scheduler that stops, market data
that ages, and a broker's hard breach against ARIA's own debounced halt. (The database failing
mid-request is tested on real databases, in ``tests/integration/test_faults.py``.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient

from aria.api.app import create_app
from aria.service import maintenance
from aria.service.commands import BarsBatch
from aria.service.context import Context
from aria.service.market import ingest_bars
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock

D = Decimal


def test_a_stopped_scheduler_shows_in_healthz(ctx: Context, clock: SettableClock) -> None:
    client = TestClient(create_app(ctx, heartbeat_limit=120))
    maintenance.heartbeat(ctx)
    assert client.get("/healthz").json()["status"] == "ok"
    clock.move_to("2026-06-02 09:01:00")
    assert client.get("/healthz").json()["status"] == "ok"
    clock.move_to("2026-06-02 09:05:00")  # four minutes without a beat
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["scheduler_heartbeat_age_seconds"] == 300


def test_sizing_turns_to_stale_data_once_market_data_passes_its_age(
    ctx: Context, clock: SettableClock
) -> None:
    start = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)  # 60 bars: enough for an ATR
    bars = []
    for day in range(60):
        close = D("1.2700") + D(day % 5) / 1000
        bars.append(
            (
                start + dt.timedelta(days=day),
                close,
                close + D("0.004"),
                close - D("0.004"),
                close,
                None,
            )
        )
    clock.move_to(start + dt.timedelta(days=60))
    ingest_bars(ctx, BarsBatch(symbol="GBPUSD", bars=tuple(bars)))
    maintenance.volatility(ctx)
    open_account(ctx, "s")
    atr_stop = {"stop": None, "stop_atr_multiple": "2"}
    # The last bar is of 30 May; the aria preset accepts market data up to four days old.
    clock.move_to("2026-06-02 09:00:00")
    push(ctx, "s", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    fresh = ask(ctx, "fresh", ["s"], **atr_stop).decisions[0].decision
    clock.move_to("2026-06-04 09:00:00")
    push(ctx, "s", 100_000, 100_000, utc(2026, 6, 4, 8, 59))
    stale = ask(ctx, "stale", ["s"], **atr_stop).decisions[0].decision
    assert fresh.approved
    assert stale.reject_codes == ["stale_data"]
    assert stale.reasons  # the wording: test_reason_wording.py


def test_a_brokers_hard_breach_is_final_where_aria_own_halt_is_debounced(ctx: Context) -> None:
    open_account(ctx, "h")  # FTMO 2-Step 100k: daily-loss floor 95,000, hard
    minute = dt.timedelta(minutes=1)
    start = utc(2026, 6, 2, 8, 50)
    push(ctx, "h", 100_000, 100_000, start)
    # One tick near the floor is ARIA's business, debounced: nothing latches…
    near = push(ctx, "h", 100_000, 95_300, start + minute)
    assert near.account.trading.status.value == "active"
    # …one tick through it is the firm's verdict, reported by the broker: final.
    through = push(ctx, "h", 100_000, 94_900, start + 2 * minute)
    assert through.account.trading.halt is not None
    assert through.account.trading.halt.value == "failed"
    recovered = push(ctx, "h", 100_000, 100_000, start + 3 * minute)
    assert recovered.account.trading.halt is not None
    assert recovered.account.trading.halt.value == "failed"
    (sized,) = ask(ctx, "after", ["h"]).decisions
    assert sized.decision.reject_codes == ["halted"]  # until an operator re-enables it
