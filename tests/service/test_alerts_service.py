"""Alerts after state pushes on the in-memory unit of work: graded, once per crossing, acting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.model import TradingStatus
from aria.service.accounts import get_account
from aria.service.alert_job import alerts_job
from aria.service.context import Context
from aria.service.maintenance import daily_resets
from aria.sizing.market import VolatilitySnapshot
from tests.builders import open_account, push, utc
from tests.clocks import SettableClock
from tests.fakes import FakeStore

POSITION = {
    "symbol": "EURUSD",
    "side": "long",
    "lots": "1",
    "entry": "1.08",
    "stop": "1.07",
}


def _alerts(store: FakeStore) -> list[dict[str, Any]]:
    rows = sorted(store.tables.events.values(), key=lambda r: r["seq"])
    return [r["detail"] for r in rows if r["kind"] == "alert"]


def _kinds(store: FakeStore) -> list[str]:
    return [r["kind"] for r in sorted(store.tables.events.values(), key=lambda r: r["seq"])]


def test_daily_floor_levels_fire_once_each_with_their_action(
    ctx: Context, store: FakeStore
) -> None:
    open_account(ctx, "ftmo-1")  # FTMO 2-Step 100k: 5,000 a day, 10,000 in all
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    push(ctx, "ftmo-1", 100_000, 97_400, utc(2026, 6, 2, 8, 51))  # 52 % of the day's 5,000
    push(ctx, "ftmo-1", 100_000, 97_300, utc(2026, 6, 2, 8, 52))  # still 54 %: no new alert
    push(ctx, "ftmo-1", 100_000, 96_100, utc(2026, 6, 2, 8, 53))  # 78 %
    fired = [(a["floor"], a["level"], a["action"], a["severity"]) for a in _alerts(store)]
    assert fired == [
        ("daily_loss", "0.5", "reduce_size", "info"),
        ("daily_loss", "0.75", "close_only", "warning"),
    ]  # the maximum loss (10,000) is 39 % used: no alert
    assert _alerts(store)[1]["message"] == (
        "daily loss floor: 78 % of its 5,000.00 distance used (1,100.00 left) — close only"
    )
    assert get_account(ctx, "ftmo-1").trading.status is TradingStatus.ACTIVE  # act is off


def test_a_level_rearms_only_below_its_margin(ctx: Context, store: FakeStore) -> None:
    open_account(ctx, "ftmo-1")
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    push(ctx, "ftmo-1", 100_000, 97_400, utc(2026, 6, 2, 8, 51))  # 52 %: fires
    push(ctx, "ftmo-1", 100_000, 97_600, utc(2026, 6, 2, 8, 52))  # 48 %: inside the margin
    push(ctx, "ftmo-1", 100_000, 97_400, utc(2026, 6, 2, 8, 53))  # 52 %: not again
    assert len(_alerts(store)) == 1
    push(ctx, "ftmo-1", 100_000, 97_900, utc(2026, 6, 2, 8, 54))  # 42 %: re-armed
    push(ctx, "ftmo-1", 100_000, 97_400, utc(2026, 6, 2, 8, 55))  # 52 %: fires again
    assert len(_alerts(store)) == 2


def test_act_moves_the_account_to_reducing_and_back(ctx: Context, store: FakeStore) -> None:
    open_account(ctx, "ftmo-1", profile_layer={"alerts": {"act": True}})
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    push(ctx, "ftmo-1", 100_000, 96_100, utc(2026, 6, 2, 8, 51))  # 78 %: close only
    trading = get_account(ctx, "ftmo-1").trading
    assert trading.status is TradingStatus.REDUCING
    assert trading.reason == "alert: floor:daily_loss at close only"
    push(ctx, "ftmo-1", 100_000, 96_500, utc(2026, 6, 2, 8, 52))  # 70 %: under the level
    assert get_account(ctx, "ftmo-1").trading.status is TradingStatus.ACTIVE
    assert "alert_reducing" in _kinds(store)
    assert "alert_lifted" in _kinds(store)


def test_stale_state_alerts_once_while_positions_are_held(
    ctx: Context, store: FakeStore, clock: SettableClock
) -> None:
    open_account(ctx, "ftmo-1")
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 59), [POSITION])
    alerts_job(ctx)
    assert _alerts(store) == []
    clock.tick(15 * 60)
    assert alerts_job(ctx).done == 1
    assert alerts_job(ctx).done == 0
    [stale] = _alerts(store)
    assert (stale["key"], stale["action"]) == ("time:stale_state", "review")


def test_the_daily_reset_lifts_a_reducing_state_a_daily_floor_alert_set(
    ctx: Context, store: FakeStore, clock: SettableClock
) -> None:
    open_account(ctx, "ftmo-1", profile_layer={"alerts": {"act": True}})
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    push(ctx, "ftmo-1", 96_100, 96_100, utc(2026, 6, 2, 8, 51))  # 3,900 lost and closed
    assert get_account(ctx, "ftmo-1").trading.status is TradingStatus.REDUCING
    alerts_job(ctx)  # the same day: the floor is still at its close-only level
    assert get_account(ctx, "ftmo-1").trading.status is TradingStatus.REDUCING
    clock.move_to(utc(2026, 6, 2, 22, 1))  # FTMO's reset: the new day starts at 96,100
    daily_resets(ctx)
    alerts_job(ctx)
    assert get_account(ctx, "ftmo-1").trading.status is TradingStatus.ACTIVE
    assert _kinds(store)[-1] == "alert_lifted"


def test_the_profit_target_alerts_once_when_reached(ctx: Context, store: FakeStore) -> None:
    open_account(ctx, "ftmo-1")  # target 10 % of 100,000
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    push(ctx, "ftmo-1", 109_900, 109_900, utc(2026, 6, 2, 8, 51))
    assert _alerts(store) == []
    push(ctx, "ftmo-1", 110_500, 110_500, utc(2026, 6, 2, 8, 52))
    push(ctx, "ftmo-1", 110_600, 110_600, utc(2026, 6, 2, 8, 53))
    [reached] = _alerts(store)
    assert reached["key"] == "objective:profit_target"
    assert reached["message"] == "profit target reached: 10,500.00 of 10,000.00 — review"


def test_stale_bars_of_a_held_symbol_alert_by_the_sizing_gate_rule(
    ctx: Context, store: FakeStore, clock: SettableClock
) -> None:
    open_account(ctx, "ftmo-1")  # the profile's market data may be 4 days old
    now = clock.now()

    def bars_of(age: dt.timedelta) -> None:
        with ctx.unit() as uow:
            uow.market.save_snapshot(
                VolatilitySnapshot(
                    "EURUSD", "1d", now - age, None, None, None, None, Decimal("1.08"), 50, now
                )
            )
            uow.commit()

    bars_of(dt.timedelta(days=4))
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 59), [POSITION])
    alerts_job(ctx)
    assert _alerts(store) == []  # at the limit: still fresh
    bars_of(dt.timedelta(days=4, seconds=1))
    alerts_job(ctx)
    [stale] = _alerts(store)
    assert stale["key"] == "time:stale_bars:EURUSD"
    assert stale["message"] == "the bars of EURUSD: 5760 minutes old — review"
