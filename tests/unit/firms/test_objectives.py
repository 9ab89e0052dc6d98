"""A phase's objectives gathered for one account, by value: profit target on the firm's basis,
trading days as the firm counts them, the time limit, and the best-day share."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.model import AccountState, Position, Trade
from firms.catalog import Catalog
from firms.progress import objectives, trading_profit
from tests.builders import utc

D = Decimal
START = utc(2026, 6, 1, 7)


def trade(day: int, pnl: int, hour: int = 9) -> Trade:
    """A EURUSD trade opened and closed on 2026-06-``day`` (Prague's trading day)."""
    return Trade(
        symbol="EURUSD",
        side="long",
        lots=D(1),
        entry=D("1.1"),
        exit=D("1.2"),
        pnl=D(pnl),
        opened_at=utc(2026, 6, day, hour),
        closed_at=utc(2026, 6, day, hour, 30),
    )


def state(balance: int, equity: int | None = None, *positions: Position) -> AccountState:
    return AccountState(
        balance=D(balance),
        equity=D(equity if equity is not None else balance),
        as_of=utc(2026, 6, 5, 12),
        positions=positions,
    )


def test_trading_profit_leaves_out_cash_moved_in_or_out() -> None:
    assert trading_profit(D(106_000), D(100_000)) == D(6_000)
    assert trading_profit(D(106_000), D(100_000), D(2_000)) == D(4_000)  # a 2,000 deposit
    assert trading_profit(D(101_000), D(100_000), D(-3_000)) == D(4_000)  # a 3,000 payout


def test_ftmo_verification_counts_target_and_trading_days(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "verification", 100_000)
    trades = [trade(1, 1_000), trade(1, 500, 14), trade(2, -200), trade(4, 2_000)]
    now = utc(2026, 6, 5, 12)
    found = objectives(rules, D(100_000), state(103_300), trades, START, now)
    assert (found.phase, found.target, found.target_on) == (
        "verification",
        D(5_000),
        "closed_balance_flat",
    )
    assert (found.profit, found.to_target, found.target_reached) == (D(3_300), D(1_700), False)
    assert (found.trading_days, found.min_trading_days, found.days_needed) == (3, 4, 1)
    assert (found.time_limit_days, found.ends_at, found.expired) == (None, None, False)
    assert found.consistency == ()
    assert not found.passed
    reached = objectives(rules, D(100_000), state(105_000), [*trades, trade(5, 1_700)], START, now)
    assert (reached.to_target, reached.target_reached, reached.days_needed) == (D(0), True, 0)
    assert reached.passed
    held = Position(symbol="EURUSD", side="long", lots=D(1), entry=D("1.1"))
    flat_needed = objectives(rules, D(100_000), state(105_000, 105_000, held), trades, START, now)
    assert flat_needed.target_reached is False  # FTMO: the target counts once flat
    assert flat_needed.to_target == D(0)


def test_before_the_first_state_there_is_no_profit(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    found = objectives(rules, D(100_000), None, [], START, START)
    assert (found.target, found.profit, found.to_target, found.target_reached) == (
        D(10_000),
        None,
        None,
        None,
    )
    assert (found.trading_days, found.days_needed) == (0, 4)


def test_ftmo_one_step_best_day_rule(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "1-step", "challenge", 100_000)
    trades = [trade(1, 6_000), trade(2, 2_000), trade(3, 2_000)]
    found = objectives(rules, D(100_000), state(110_000), trades, START, utc(2026, 6, 5))
    (best,) = found.consistency
    assert (best.best_day, best.best_day_profit, best.share_pct) == (
        dt.date(2026, 6, 1),
        D(6_000),
        D(60),
    )
    assert (best.satisfied, best.profit_needed) == (False, D(2_000))  # 6,000 ≤ 50 % of 12,000
    assert found.target_reached is True
    assert not found.passed  # the target is met, the best-day rule is not


def test_apex_time_limit_runs_from_the_phase_start(catalog: Catalog) -> None:
    rules = catalog.rule_set("apex", "eod-trail", "evaluation", 50_000)
    assert rules.objective is not None
    assert rules.objective.time_limit_days == 30
    before = objectives(rules, D(50_000), None, [], START, utc(2026, 6, 30, 12))
    assert (before.ends_at, before.expired) == (utc(2026, 7, 1, 7), False)
    after = objectives(rules, D(50_000), None, [], START, utc(2026, 7, 1, 7))
    assert after.expired
    assert after.target == D(3_000)


def test_the5ers_counts_only_days_with_half_a_percent_of_profit(catalog: Catalog) -> None:
    rules = catalog.rule_set("the5ers", "high-stakes", "phase-1", 100_000)
    trades = [trade(1, 500), trade(2, 499), trade(3, 800), trade(4, -100)]
    found = objectives(rules, D(100_000), state(101_699), trades, START, utc(2026, 6, 5))
    assert (found.trading_days, found.min_trading_days, found.days_needed) == (2, 3, 1)
    assert found.profit == D(1_699)


def test_topstep_combine_path_best_day_is_measured_against_the_profit_target(
    catalog: Catalog,
) -> None:
    """A 50K Trading Combine (TopstepX), the day turning at 5 PM Chicago (22:00 UTC in June).

    Closed trades, by Topstep's trading day:
      1 June  +900 (14:00 UTC) +700 (20:00 UTC)           = 1,600
      2 June  −400, closed 23:30 UTC on 1 June (6:30 PM CT) =  −400
      3 June  +1,200                                       = 1,200
      4 June  +1,000                                       = 1,000
    Profit 1,600 − 400 + 1,200 + 1,000 = 3,400 ≥ the 3,000 target: reached, 0 to go.
    Trading days (a trade on the day): 1, 2, 3 and 4 June = 4; no minimum.
    Best day 1,600 ÷ the 3,000 target = 53.33 %, over the 50 % cap of 1,500 by 100; more profit
    does not help (of total profit it would be 1,600 ÷ 3,400 = 47.06 %, within 50 %).
    """
    rules = catalog.rule_set("topstep", "trading-combine-x", "combine", 50_000)
    trades = [
        trade(1, 900, 14),
        trade(1, 700, 20),
        trade(1, -400, 23),
        trade(3, 1_200),
        trade(4, 1_000),
    ]
    found = objectives(rules, D(50_000), state(53_400), trades, START, utc(2026, 6, 5, 12))
    assert (found.target, found.profit, found.to_target, found.target_reached) == (
        D(3_000),
        D(3_400),
        D(0),
        True,
    )
    assert (found.trading_days, found.min_trading_days, found.days_needed) == (4, None, 0)
    (best,) = found.consistency
    assert (best.best_day, best.best_day_profit, best.profit) == (
        dt.date(2026, 6, 1),
        D(1_600),
        D(3_000),
    )
    assert best.share_pct == D(160) / D(3)  # 53.33 %
    assert (best.satisfied, best.over_cap, best.profit_needed) == (False, D(100), D(0))
    assert "over the cap by 100.00; more profit does not help" in best.summary
    assert not found.passed
    # A first day of 1,500 (the +700 made +600) is exactly half the target: met, and passed.
    within = [trade(1, 900, 14), trade(1, 600, 20), *trades[2:]]
    found = objectives(rules, D(50_000), state(53_300), within, START, utc(2026, 6, 5, 12))
    (best,) = found.consistency
    assert (best.share_pct, best.satisfied, best.over_cap) == (D(50), True, D(0))
    assert found.passed


def test_apex_evaluation_path_target_days_and_the_thirty_day_limit(catalog: Catalog) -> None:
    """A 50K Apex 4.0 EOD evaluation, the day turning at 6 PM New York (22:00 UTC in June).

    Closed trades, by Apex's trading day:
      1 June  +1,200 (14:00 UTC)
      2 June  +800, opened 23:00 UTC on 1 June (7 PM ET)
      3 June  +1,000
    Profit 3,000 = the 3,000 target: reached. Trading days 3; no minimum; no best-day rule in
    the evaluation. The 30 calendar days run from the start, 1 June 07:00 UTC, to 1 July 07:00.
    """
    rules = catalog.rule_set("apex", "eod-trail", "evaluation", 50_000)
    trades = [trade(1, 1_200, 14), trade(1, 800, 23), trade(3, 1_000)]
    found = objectives(rules, D(50_000), state(53_000), trades, START, utc(2026, 6, 5, 12))
    assert (found.target, found.profit, found.to_target, found.target_reached) == (
        D(3_000),
        D(3_000),
        D(0),
        True,
    )
    assert (found.trading_days, found.min_trading_days, found.days_needed) == (3, 0, 0)
    assert (found.ends_at, found.expired, found.consistency) == (utc(2026, 7, 1, 7), False, ())
    assert found.passed
    # One dollar short: 1 to go.
    short = objectives(rules, D(50_000), state(52_999), trades, START, utc(2026, 6, 5, 12))
    assert (short.to_target, short.target_reached, short.passed) == (D(1), False, False)
    # Apex allows a pass in a single day: 3,000 on 1 June alone.
    one = objectives(rules, D(50_000), state(53_000), [trade(1, 3_000)], START, utc(2026, 6, 1, 12))
    assert (one.trading_days, one.passed) == (1, True)
    # The same path read at the end of the 30 days has run out of time.
    late = objectives(rules, D(50_000), state(53_000), trades, START, utc(2026, 7, 1, 7))
    assert (late.expired, late.passed) == (True, False)


def test_apex_pa_window_restarts_at_the_latest_payout(catalog: Catalog) -> None:
    """Apex PA (legacy): best day ≤ 30 % of the profit since the last approved payout.

    Before the payout of 3 June 12:00 UTC: +2,000 on 1 June, +500 on 2 June. After it:
    +600 on 4 June, +800 on 5 June, +700 on 8 June, +600 on 9 June. Over the whole phase
    the best day is 2,000 of 5,200 = 38.46 %, over 30 %; since the payout it is 800 of
    2,700 = 29.63 %, within.
    """
    rules = catalog.rule_set("apex", "pa", "pa", 50_000)
    before = [trade(1, 2_000), trade(2, 500)]
    after = [trade(4, 600), trade(5, 800), trade(8, 700), trade(9, 600)]
    now = utc(2026, 6, 10, 12)
    whole = objectives(rules, D(50_000), None, [*before, *after], START, now)
    assert whole.consistency[0].best_day_profit == D(2_000)
    assert not whole.consistency[0].satisfied
    paid = utc(2026, 6, 3, 12)
    found = objectives(
        rules, D(50_000), None, [*before, *after], START, now, payouts=1, last_payout=paid
    )
    (best,) = found.consistency
    assert (best.best_day, best.best_day_profit, best.profit) == (
        dt.date(2026, 6, 5),
        D(800),
        D(2_700),
    )
    assert best.share_pct == D(800) * 100 / D(2_700)  # 29.63 %
    assert (best.satisfied, best.window_start) == (True, paid)


def test_a_best_day_over_the_share_of_the_target_raises_the_target(catalog: Catalog) -> None:
    """FundedNext Futures Legacy 50K challenge: target 2,500, best day at most 40 % of it
    (1,000), else the target rises. One day of 1,500: the target becomes 1,500 ÷ 0.4 = 3,750,
    so 1,500 made leaves 2,250 to go (not the 1,000 of the unraised target)."""
    rules = catalog.rule_set("fundednext-futures", "legacy", "challenge", 50_000)
    found = objectives(rules, D(50_000), state(51_500), [trade(2, 1_500)], START, utc(2026, 6, 5))
    assert (found.target, found.profit, found.to_target) == (D(3_750), D(1_500), D(2_250))
    assert found.target_reached is False


def test_a_target_on_equity_counts_the_open_profit(catalog: Catalog) -> None:
    """A plan whose target counts on equity: balance 108,000 and equity 110,000 on 100,000 is
    10,000 of profit, the whole 10 % target; on the balance it would be 8,000."""
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    on_equity = rules.model_copy(update={"target_on": "equity"})
    found = objectives(on_equity, D(100_000), state(108_000, 110_000), [], START, utc(2026, 6, 5))
    assert (found.profit, found.to_target, found.target_reached) == (D(10_000), D(0), True)
    on_balance = rules.model_copy(update={"target_on": "balance"})
    kept = objectives(on_balance, D(100_000), state(108_000, 110_000), [], START, utc(2026, 6, 5))
    assert (kept.profit, kept.to_target) == (D(8_000), D(2_000))


def test_a_plan_without_a_trading_day_rule_counts_none_and_needs_none(catalog: Catalog) -> None:
    """Apex's PA defines no trading day: its trades count no day. Alpha Futures' evaluation
    has no minimum: no day is needed, even before the first trade."""
    pa = catalog.rule_set("apex", "pa", "pa", 25_000)
    found = objectives(pa, D(25_000), state(25_500), [trade(2, 500)], START, utc(2026, 6, 5))
    assert (found.trading_days, found.days_needed) == (0, 0)
    alpha = catalog.rule_set("alpha-futures", "standard", "evaluation", 50_000)
    fresh = objectives(alpha, D(50_000), state(50_000), [], START, utc(2026, 6, 5))
    assert (fresh.trading_days, fresh.min_trading_days, fresh.days_needed) == (0, None, 0)


def test_without_a_payout_count_the_ladders_first_share_holds(catalog: Catalog) -> None:
    """Tradeify Lightning funded: best day at most 20 % before the first payout, 25 % after."""
    rules = catalog.rule_set("tradeify", "lightning", "funded", 50_000)
    found = objectives(rules, D(50_000), state(50_000), [], START, utc(2026, 6, 5))
    assert [c.limit_pct for c in found.consistency] == [D(20)]
    paid = objectives(rules, D(50_000), state(50_000), [], START, utc(2026, 6, 5), payouts=1)
    assert [c.limit_pct for c in paid.consistency] == [D(25)]
