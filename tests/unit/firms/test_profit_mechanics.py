"""Rules that change with profit: daily limits with steps, trails that stop, product weights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from accounts.model import DayStart
from accounts.peaks import Peaks
from firms.floors import daily_amount, daily_floor, daily_step, max_loss_floor
from firms.model import Amount, DailyLossRule, Limits, MaxLossRule
from tests.builders import utc

D = Decimal
SOURCED: dict[str, Any] = {"source": "test", "read_on": "2026-11-30", "confidence": "official"}
START = utc(2026, 6, 1, 22)


def day(balance: int | str, equity: int | str | None = None) -> DayStart:
    return DayStart.at(START, D(balance), D(balance if equity is None else equity))


def daily(**fields: Any) -> DailyLossRule:
    return DailyLossRule.model_validate({**SOURCED, **fields})


# A 50,000 account: 1,250 below the reset balance, 2,000 (the drawdown) from 6 % profit on.
GROWS = daily(
    anchor="reset_balance",
    amount={"fixed": 1250},
    steps=[{"from_profit": {"pct": 6}, "amount": {"fixed": 2000}}],
)
# A limit of 1,000 that disappears from 3,000 of profit on.
DROPS = daily(
    anchor="reset_balance",
    amount={"fixed": 1000},
    steps=[{"from_profit": {"fixed": 3000}}],
)


def test_below_the_threshold_the_base_amount_applies() -> None:
    # 6 % of 50,000 is 3,000; a reset balance of 52,999 is 2,999 in profit: 52,999 − 1,250.
    assert daily_floor(GROWS, D(50_000), day(52_999)) == D(51_749)
    assert daily_amount(GROWS, D(50_000), day(52_999)) == D(1250)


def test_at_the_threshold_the_step_amount_applies() -> None:
    # Exactly 3,000 of profit "hits 6 %": 53,000 − 2,000.
    assert daily_floor(GROWS, D(50_000), day(53_000)) == D(51_000)
    assert daily_amount(GROWS, D(50_000), day(53_000)) == D(2000)


def test_the_threshold_is_a_percentage_of_initial_not_of_the_balance() -> None:
    # On 100,000 the threshold is 6,000: 105,000 is below it, 106,000 reaches it.
    assert daily_amount(GROWS, D(100_000), day(105_000)) == D(1250)
    assert daily_amount(GROWS, D(100_000), day(106_000)) == D(2000)


def test_the_step_counts_the_balance_at_the_reset_not_the_equity() -> None:
    # An open profit carried into the day does not raise the limit before it is banked.
    assert daily_amount(GROWS, D(50_000), day(52_000, 54_000)) == D(1250)


def test_before_the_first_reset_the_base_amount_applies() -> None:
    assert daily_floor(GROWS, D(50_000), None) == D(48_750)
    assert daily_step(GROWS, D(50_000), None) == Amount(fixed=D(1250))


def test_a_loss_does_not_reach_a_step() -> None:
    assert daily_amount(GROWS, D(50_000), day(45_000)) == D(1250)


def test_a_limit_that_disappears_leaves_no_daily_floor() -> None:
    assert daily_floor(DROPS, D(50_000), day(52_999)) == D(51_999)
    assert daily_floor(DROPS, D(50_000), day(53_000)) is None
    assert daily_amount(DROPS, D(50_000), day(53_000)) is None


def test_the_last_step_reached_wins() -> None:
    rule = daily(
        anchor="reset_balance",
        amount={"fixed": 500},
        steps=[
            {"from_profit": {"fixed": 1000}, "amount": {"fixed": 800}},
            {"from_profit": {"fixed": 2000}, "amount": {"fixed": 1200}},
        ],
    )
    assert daily_amount(rule, D(25_000), day(25_999)) == D(500)
    assert daily_amount(rule, D(25_000), day(26_000)) == D(800)
    assert daily_amount(rule, D(25_000), day(26_999)) == D(800)
    assert daily_amount(rule, D(25_000), day(27_000)) == D(1200)


def test_a_step_percentage_of_the_anchor_resolves_on_the_anchor() -> None:
    # 4 % of the anchor from 5,000 profit on: 110,000 × 4 % = 4,400 below 110,000.
    rule = daily(
        anchor="reset_balance",
        amount={"pct": 3},
        pct_of="anchor",
        steps=[{"from_profit": {"fixed": 5000}, "amount": {"pct": 4}}],
    )
    assert daily_floor(rule, D(100_000), day(104_000)) == D("100880.00")
    assert daily_floor(rule, D(100_000), day(110_000)) == D("105600.00")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"anchor": "none", "steps": [{"from_profit": {"fixed": 1}}]}, "takes no steps"),
        (
            {
                "anchor": "reset_balance",
                "amount": {"fixed": 1},
                "steps": [{"from_profit": {"fixed": 2}}, {"from_profit": {"pct": 6}}],
            },
            "all be 'pct' or all be 'fixed'",
        ),
        (
            {
                "anchor": "reset_balance",
                "amount": {"fixed": 1},
                "steps": [{"from_profit": {"by_size": {50000: 3000}}}],
            },
            "'pct' of initial or a 'fixed'",
        ),
        (
            {
                "anchor": "reset_balance",
                "amount": {"fixed": 1},
                "steps": [{"from_profit": {"fixed": 2}}, {"from_profit": {"fixed": 2}}],
            },
            "rise strictly",
        ),
        (
            {
                "anchor": "reset_balance",
                "amount": {"fixed": 1},
                "steps": [{"from_profit": {"fixed": 3}}, {"from_profit": {"fixed": 2}}],
            },
            "rise strictly",
        ),
    ],
)
def test_malformed_steps_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        daily(**fields)


def test_steps_are_described() -> None:
    assert GROWS.describe() == "D5 1,250 below reset balance, hard; from 6% of initial profit 2,000"
    assert DROPS.describe() == "D5 1,000 below reset balance, hard; from 3,000 profit none"


# -- a trail that stops: the lock ------------------------------------------------------


def eod(peaks: Peaks, *balances: int) -> Peaks:
    for balance in balances:
        at = (peaks.as_of or utc(2026, 4, 1, 22)) + dt.timedelta(days=1)
        peaks = peaks.close_day(D(balance), at)
    return peaks


def test_a_trail_that_stops_at_a_peak_is_a_lock_below_it() -> None:
    # "Trails until the peak reaches 53,000, then static": with a distance of 2,000 that is
    # a lock at 51,000 = initial + 1,000 (53,000 − 50,000 − 2,000).
    rule = MaxLossRule.model_validate(
        {
            **SOURCED,
            "trail": "end_of_day_balance",
            "amount": {"fixed": 2000},
            "lock": "initial",
            "lock_offset": 1000,
        }
    )
    start = Peaks.start(D(50_000))
    assert max_loss_floor(rule, D(50_000), eod(start, 52_999)) == D(50_999)
    assert max_loss_floor(rule, D(50_000), eod(start, 53_000)) == D(51_000)
    assert max_loss_floor(rule, D(50_000), eod(start, 60_000)) == D(51_000)
    assert max_loss_floor(rule, D(50_000), eod(start, 60_000, 49_000)) == D(51_000)


# -- contract weights ------------------------------------------------------------------


def limits(**fields: Any) -> Limits:
    return Limits.model_validate({**SOURCED, **fields})


def test_a_product_weight_overrides_the_micro_ratio() -> None:
    rules = limits(micros_per_contract=10, contract_weights={"MCL": "0.5", "ES": 2})
    assert rules.contract_weight("MCL", is_micro=True) == D("0.5")
    assert rules.contract_weight("ES", is_micro=False) == D(2)
    assert rules.contract_weight("MES", is_micro=True) == D("0.1")
    assert rules.contract_weight("NQ", is_micro=False) == D(1)


def test_without_weights_a_micro_is_a_full_contract_at_ratio_one() -> None:
    assert limits().contract_weight("MES", is_micro=True) == D(1)


def test_a_weight_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        limits(contract_weights={"MES": 0})


def test_empty_new_fields_stay_out_of_the_dump_so_old_records_keep_their_hash() -> None:
    plain = daily(anchor="reset_balance", amount={"fixed": 1000})
    assert "steps" not in plain.model_dump()
    assert "steps" not in plain.model_dump_json()
    assert GROWS.model_dump()["steps"][0]["amount"]["fixed"] == D(2000)
    assert "contract_weights" not in limits().model_dump()
    assert limits(contract_weights={"MES": "0.2"}).model_dump()["contract_weights"] == {
        "MES": D("0.2")
    }


def test_the_step_is_measured_on_trading_profit_not_on_cash_paid_in() -> None:
    # A reset balance of 53,500 holds a deposit of 1,000: 2,500 of trading profit, under 6 %.
    assert daily_amount(GROWS, D(50_000), day(53_500), net=D(1_000)) == D(1250)
    # 500 withdrawn leaves a reset balance of 52,500 on 3,000 of trading profit: the step holds.
    assert daily_amount(GROWS, D(50_000), day(52_500), net=D(-500)) == D(2000)


def test_entries_grouped_into_one_trade_need_a_per_trade_cap() -> None:
    grouped = limits(max_risk_per_trade={"pct": 3}, one_trade_within_seconds=300)
    assert grouped.one_trade_within_seconds == 300
    with pytest.raises(ValidationError, match="max_risk_per_trade"):
        limits(one_trade_within_seconds=300)


@pytest.mark.parametrize("seconds", [0, -1])
def test_a_grouping_window_must_be_positive(seconds: int) -> None:
    with pytest.raises(ValidationError):
        limits(max_risk_per_trade={"pct": 3}, one_trade_within_seconds=seconds)


def test_an_unset_grouping_window_stays_out_of_the_dump() -> None:
    # Rule sets recorded before the window existed keep the input hash they were answered with.
    plain = limits(max_risk_per_trade={"pct": 3})
    assert "one_trade_within_seconds" not in plain.model_dump()
    assert "one_trade_within_seconds" not in plain.model_dump_json()
    grouped = limits(max_risk_per_trade={"pct": 3}, one_trade_within_seconds=300)
    assert grouped.model_dump()["one_trade_within_seconds"] == 300
    assert Limits.model_validate_json(grouped.model_dump_json()) == grouped
