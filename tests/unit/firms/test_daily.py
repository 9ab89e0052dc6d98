from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.model import AccountState
from accounts.peaks import Peaks
from firms.catalog import Catalog
from firms.daily import daily_status, roll_day
from firms.floors import daily_floor
from tests.builders import utc

D = Decimal


def test_first_roll_opens_the_day_at_the_last_reset(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    roll = roll_day(rules, None, Peaks.start(rules.size), None, utc(2026, 6, 2, 9))
    assert roll.rolled
    assert roll.day.starts_at == utc(2026, 6, 1, 22)
    assert roll.day.balance == 100_000
    assert roll.peaks.end_of_day_balance == 100_000


def test_rolling_is_idempotent_within_a_day(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    first = roll_day(rules, None, Peaks.start(rules.size), None, utc(2026, 6, 2, 9))
    again = roll_day(rules, first.day, first.peaks, None, utc(2026, 6, 2, 21, 59))
    assert not again.rolled
    assert again.day is first.day


def test_the_daily_floor_moves_with_the_balance_at_each_reset(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    monday = roll_day(rules, None, Peaks.start(rules.size), None, utc(2026, 6, 1, 9))
    last = AccountState(balance=101_000, equity=100_700, as_of=utc(2026, 6, 1, 20))
    tuesday = roll_day(rules, monday.day, monday.peaks.observe(last), last, utc(2026, 6, 2, 9))
    assert tuesday.rolled
    assert tuesday.day.balance == 101_000
    assert tuesday.peaks.end_of_day_balance == 101_000
    assert daily_floor(rules.daily_loss, rules.size, tuesday.day) == D(96_000)
    worse = AccountState(balance=98_000, equity=98_000, as_of=utc(2026, 6, 2, 20))
    wednesday = roll_day(
        rules, tuesday.day, tuesday.peaks.observe(worse), worse, utc(2026, 6, 3, 9)
    )
    assert daily_floor(rules.daily_loss, rules.size, wednesday.day) == D(93_000)  # it can fall, too


def test_a_weekend_without_updates_rolls_once(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    friday = roll_day(rules, None, Peaks.start(rules.size), None, utc(2026, 6, 5, 9))
    monday = roll_day(rules, friday.day, friday.peaks, None, utc(2026, 6, 8, 9))
    assert monday.day.starts_at == utc(2026, 6, 7, 22)


def test_daily_status(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    roll = roll_day(rules, None, Peaks.start(rules.size), None, utc(2026, 6, 2, 9))
    status = daily_status(
        rules, roll.day, AccountState(balance=100_300, equity=99_800, as_of=utc(2026, 6, 2, 10))
    )
    assert status.trading_day == dt.date(2026, 6, 2)
    assert status.ends_at == utc(2026, 6, 2, 22)
    assert status.floor == D(95_000)
    assert status.pnl == D(-200)
