from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.model import Trade
from firms.clock import WallClock
from firms.model import ConsistencyRule, TradingDayRule
from firms.progress import consistency, daily_pnl, trading_days
from tests.builders import utc

D = Decimal
PRAGUE = WallClock.parse("00:00 Europe/Prague")


def rule(**overrides: object) -> ConsistencyRule:
    data: dict[str, object] = {
        "max_best_day_pct": 50,
        "gate": "pass",
        "source": "https://example.com",
        "read_on": "2026-11-21",
        "confidence": "official",
    }
    return ConsistencyRule.model_validate({**data, **overrides})


DAYS = {dt.date(2026, 6, 1): D(3_000), dt.date(2026, 6, 2): D(-500), dt.date(2026, 6, 3): D(1_500)}


def test_best_day_share_of_total_profit() -> None:
    progress = consistency(rule(), DAYS)
    assert progress.best_day == dt.date(2026, 6, 1)
    assert progress.profit == D(4_000)
    assert progress.share_pct == D(75)
    assert not progress.satisfied
    assert progress.profit_needed == D(2_000)  # 3,000 must be at most half of 6,000


def test_positive_days_denominator() -> None:
    progress = consistency(rule(denominator="positive_days", max_best_day_pct=70), DAYS)
    assert progress.profit == D(4_500)
    assert progress.satisfied


def test_strict_rule_fails_at_the_limit() -> None:
    days = {dt.date(2026, 6, 1): D(500), dt.date(2026, 6, 2): D(500)}
    assert consistency(rule(), days).satisfied
    assert not consistency(rule(strict=True), days).satisfied


def test_no_profit_is_not_a_consistency_failure_and_a_loss_overall_is() -> None:
    assert consistency(rule(), {}).satisfied
    losing = consistency(rule(), {dt.date(2026, 6, 1): D(100), dt.date(2026, 6, 2): D(-300)})
    assert losing.share_pct is None
    assert not losing.satisfied
    assert losing.profit_needed == D(400)


def test_target_raised_instead_of_failed() -> None:
    progress = consistency(
        rule(max_best_day_pct=40, effect="raises_target"),
        {dt.date(2026, 6, 1): D(2_000)},
        target=D(3_000),
    )
    assert progress.raised_target == D(5_000)


def trade(opened: dt.datetime, closed: dt.datetime, pnl: str) -> Trade:
    return Trade(
        symbol="EURUSD",
        side="long",
        lots=1,
        entry=1,
        exit=1,
        pnl=pnl,
        opened_at=opened,
        closed_at=closed,
    )


def test_trading_days_by_definition() -> None:
    trades = [
        trade(utc(2026, 6, 1, 8), utc(2026, 6, 2, 9), "600"),  # opened Monday, closed Tuesday
        trade(utc(2026, 6, 3, 8), utc(2026, 6, 3, 8, 0, 30), "100"),  # 30 seconds
    ]
    assert trading_days(trades, PRAGUE, TradingDayRule.POSITION_OPENED) == {
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 3),
    }
    assert len(trading_days(trades, PRAGUE, TradingDayRule.ANY_TRADE)) == 3
    assert trading_days(trades, PRAGUE, TradingDayRule.POSITION_HELD) == {dt.date(2026, 6, 1)}
    assert trading_days(trades, PRAGUE, TradingDayRule.PROFITABLE_DAY, min_profit=D(500)) == {
        dt.date(2026, 6, 2)
    }
    assert daily_pnl(trades, PRAGUE) == {dt.date(2026, 6, 2): D(600), dt.date(2026, 6, 3): D(100)}
