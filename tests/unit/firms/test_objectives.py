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
