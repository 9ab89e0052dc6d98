from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from accounts.model import Trade
from firms.clock import WallClock
from firms.model import ConsistencyRule, TradingDayRule
from firms.progress import (
    WindowProfit,
    consistency,
    daily_pnl,
    day_room,
    in_window,
    trading_days,
    window_profit,
)
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


def test_a_progressive_share_rises_with_each_payout() -> None:
    """Tradeify Lightning: 20 % before the first payout, 25 % after it, 30 % after the second
    and on. One window of 400 + 300 + 300 + 300 + 300 = 1,600: best 400 = 25 %."""
    ladder = rule(max_best_day_pct=20, after_payouts=[25, 30], gate="payout")
    assert [ladder.limit_after(n) for n in range(5)] == [D(20), D(25), D(30), D(30), D(30)]
    days = {dt.date(2026, 6, d): D(v) for d, v in [(1, 400), (2, 300), (3, 300), (4, 300)]}
    days[dt.date(2026, 6, 5)] = D(300)
    first = consistency(ladder, days)
    assert (first.limit_pct, first.share_pct, first.satisfied) == (D(20), D(25), False)
    assert first.profit_needed == D(400)  # 400 ≤ 20 % of 2,000
    assert first.over_cap == D(80)  # 400 − 20 % of 1,600
    after_one = consistency(ladder, days, payouts=1)
    assert (after_one.limit_pct, after_one.satisfied, after_one.over_cap) == (D(25), True, D(0))


def test_a_ladder_by_payout_number_needs_a_payout_gate_and_stays_out_of_an_unset_dump() -> None:
    with pytest.raises(ValidationError, match="after_payouts"):
        rule(after_payouts=[25])
    assert "after_payouts" not in rule().model_dump()
    assert "after_payouts" not in rule().model_dump_json()
    with pytest.raises(ValidationError):
        rule(after_payouts=[0], gate="payout")
    assert rule(after_payouts=[25], gate="payout").model_dump()["after_payouts"] == [D(25)]


def test_best_day_against_the_profit_target_is_not_helped_by_more_profit() -> None:
    """50 % of a 3,000 target is a 1,500 cap: a best day of 3,000 is 100 %, over by 1,500,
    whatever the other days add."""
    of_target = rule(denominator="profit_target")
    progress = consistency(of_target, DAYS, target=D(3_000))
    assert (progress.profit, progress.share_pct, progress.satisfied) == (D(3_000), D(100), False)
    assert (progress.profit_needed, progress.over_cap) == (D(0), D(1_500))
    assert consistency(of_target, {dt.date(2026, 6, 1): D(1_500)}, target=D(3_000)).satisfied
    # Without a target there is nothing to measure a best day against: not met.
    assert not consistency(of_target, DAYS).satisfied


def test_a_share_of_the_target_that_raises_it() -> None:
    """FundedNext Futures: 40 % of the 2,500 target is 1,000; a best day of 1,500 raises the
    target to 1,500 ÷ 40 % = 3,750 and is met through it."""
    raising = rule(denominator="profit_target", max_best_day_pct=40, effect="raises_target")
    progress = consistency(raising, {dt.date(2026, 6, 1): D(1_500)}, target=D(2_500))
    assert (progress.share_pct, progress.raised_target, progress.satisfied) == (
        D(60),
        D(3_750),
        True,
    )


def test_the_window_starts_after_the_latest_payout() -> None:
    paid = utc(2026, 6, 2, 12)
    trades = [
        trade(utc(2026, 6, 1, 8), utc(2026, 6, 1, 9), "900"),
        trade(utc(2026, 6, 2, 8), utc(2026, 6, 2, 12), "100"),  # closed at the payout: before
        trade(utc(2026, 6, 2, 13), utc(2026, 6, 2, 14), "200"),
    ]
    restarting = rule(window="since_last_payout", gate="payout")
    assert in_window(restarting, trades, paid) == trades[2:]
    assert in_window(restarting, trades, None) == trades
    assert in_window(rule(), trades, paid) == trades  # since the start: every trade


def test_window_profit_splits_at_today() -> None:
    """Prague days: 1 June +900 −300, 2 June −200, 3 June (today) +150 +50."""
    trades = [
        trade(utc(2026, 6, 1, 8), utc(2026, 6, 1, 9), "900"),
        trade(utc(2026, 6, 1, 10), utc(2026, 6, 1, 11), "-300"),
        trade(utc(2026, 6, 2, 8), utc(2026, 6, 2, 9), "-200"),
        trade(utc(2026, 6, 3, 8), utc(2026, 6, 3, 9), "150"),
        trade(utc(2026, 6, 3, 10), utc(2026, 6, 3, 11), "50"),
    ]
    found = window_profit(rule(), trades, PRAGUE, utc(2026, 6, 3, 12))
    assert found == WindowProfit(prior_net=D(400), prior_positive=D(600), today=D(200))


def test_day_room_by_denominator() -> None:
    """c = 40 %, window before today P0 = 1,000 (positive days 1,500), today so far d0 = 200.

    total_profit: (0.4 × 1,200 − 200) ÷ 0.6 = 280 ÷ 0.6 = 466.67; check: 666.67 is 40 % of
    1,666.67. positive_days: (0.4 × 1,700 − 200) ÷ 0.6 = 480 ÷ 0.6 = 800. profit_target of
    3,000: 1,200 − 200 = 1,000. A pass-gated share of profit never allows less than the
    target's room: max(466.67, 1,000) = 1,000.
    """
    window = WindowProfit(prior_net=D(1_000), prior_positive=D(1_500), today=D(200))
    forty = {"max_best_day_pct": 40, "gate": "payout"}
    total = day_room(rule(**forty), window, None)
    assert total == D(280) / D("0.6")
    assert day_room(rule(**forty, denominator="positive_days"), window, None) == D(800)
    assert day_room(rule(**forty, denominator="profit_target"), window, D(3_000)) == D(1_000)
    assert day_room(rule(max_best_day_pct=40), window, D(3_000)) == D(1_000)
    assert day_room(rule(max_best_day_pct=40), window, None) == total
    # Past the cap already: no room. No target to measure against: none either.
    assert day_room(rule(**forty, denominator="profit_target"), window, D(400)) == D(0)
    assert day_room(rule(**forty, denominator="profit_target"), window, None) == D(0)
    assert day_room(rule(max_best_day_pct=100), window, None) is None
    # A strict rule keeps a cent back: 999.99 of the target's room, 466.66… of the profit's.
    strict = rule(**forty, denominator="profit_target", strict=True)
    assert day_room(strict, window, D(3_000)) == D("999.99")
    assert day_room(rule(**forty, strict=True), window, None) == total - D("0.01")
    # After two payouts a 20/25/30 ladder allows 30 %: (0.3 × 1,200 − 200) ÷ 0.7 = 228.57.
    ladder = rule(max_best_day_pct=20, after_payouts=[25, 30], gate="payout")
    assert day_room(ladder, window, None, payouts=2) == D(160) / D("0.7")


@given(
    prior=st.decimals(min_value=-5_000, max_value=50_000, places=2),
    today=st.decimals(min_value=-5_000, max_value=5_000, places=2),
    pct=st.integers(min_value=5, max_value=95),
    positive_days=st.booleans(),
    strict=st.booleans(),
)
def test_a_day_filled_to_its_room_stays_within_the_share(
    prior: Decimal, today: Decimal, pct: int, positive_days: bool, strict: bool
) -> None:
    """Whatever the window so far, today's profit plus its room is at most the share of the
    profit it then makes (to rounding in the last place); below it for a strict rule."""
    basis = "positive_days" if positive_days else "total_profit"
    checked = rule(max_best_day_pct=pct, gate="payout", denominator=basis, strict=strict)
    window = WindowProfit(prior_net=prior, prior_positive=max(prior, D(0)), today=today)
    room = day_room(checked, window, None)
    assert room is not None
    assert room >= 0
    if room > 0:
        day = today + room
        base = window.prior_positive if positive_days else prior
        if strict:
            assert day * 100 < pct * (base + day)
        else:
            assert day * 100 <= pct * (base + day) + D("1e-18")


def test_a_position_held_a_minute_makes_a_trading_day_and_less_does_not() -> None:
    """Take Profit Trader counts a day when a position was held a minute: 60 s and 90 s count,
    59 s does not."""
    held = [
        trade(utc(2026, 6, 1, 8), utc(2026, 6, 1, 8, 1), "10"),
        trade(utc(2026, 6, 2, 8), utc(2026, 6, 2, 8, 1, 30), "10"),
        trade(utc(2026, 6, 3, 8), utc(2026, 6, 3, 8, 0, 59), "10"),
    ]
    assert trading_days(held, PRAGUE, TradingDayRule.POSITION_HELD) == {
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 2),
    }


def test_a_flat_day_is_not_a_best_day_and_no_profit_reads_as_a_dash() -> None:
    """A day at exactly 0 and a losing day: no best day, no share to show."""
    flat = consistency(rule(), {dt.date(2026, 6, 1): D(0), dt.date(2026, 6, 2): D(-100)})
    assert (flat.best_day, flat.best_day_profit, flat.share_pct) == (None, D(0), None)
    assert flat.summary == "best day 0.00: — of total profit (limit 50 %), met"
    shown = consistency(rule(), {dt.date(2026, 6, 1): D(300), dt.date(2026, 6, 2): D(300)})
    assert shown.summary == "best day 300.00: 50.00 % of total profit (limit 50 %), met"


def test_without_a_payout_count_the_first_share_holds() -> None:
    """Not told of any payout, a ladder's first share (40 %) holds; one payout lifts it to
    100 %, where any day fits."""
    ladder = rule(max_best_day_pct=40, after_payouts=[100], gate="payout")
    window = WindowProfit(prior_net=D(1_000), prior_positive=D(1_000), today=D(200))
    assert day_room(ladder, window, None) == D(280) / D("0.6")
    assert day_room(ladder, window, None, 1) is None


def test_a_day_at_exactly_zero_is_not_profitable() -> None:
    flat = [trade(utc(2026, 6, 1, 8), utc(2026, 6, 1, 9), "0")]
    assert trading_days(flat, PRAGUE, TradingDayRule.PROFITABLE_DAY) == set()
