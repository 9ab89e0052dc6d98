from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from accounts.model import (
    Account,
    AccountState,
    HaltKind,
    Position,
    Side,
    Trade,
    TradingState,
    TradingStatus,
)
from tests.builders import utc


def test_side_sign_and_opposite() -> None:
    assert Side.LONG.sign == 1
    assert Side.SHORT.sign == -1
    assert Side.LONG.opposite is Side.SHORT


@pytest.mark.parametrize(
    ("side", "price", "stop", "distance"),
    [
        (Side.LONG, "110", "105", "5"),
        (Side.SHORT, "110", "113", "3"),
        (Side.LONG, "104", "105", "0"),  # already through the stop: nothing further
        (Side.LONG, "110", "112", "0"),  # a stop locked in profit
    ],
)
def test_position_stop_distance_is_measured_from_the_mark(
    side: Side, price: str, stop: str, distance: str
) -> None:
    position = Position(symbol="eurusd", side=side, lots="1", entry="100", stop=stop, price=price)
    assert position.symbol == "EURUSD"
    assert position.stop_distance() == Decimal(distance)


def test_position_without_stop_has_no_distance() -> None:
    assert Position(symbol="ES", side="long", lots=1, entry=5000).stop_distance() is None


@pytest.mark.parametrize("field", ["lots", "entry", "stop", "price"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_position_refuses_zero_negative_and_non_finite_numbers(field: str, value: str) -> None:
    data = {
        "symbol": "EURUSD",
        "side": "long",
        "lots": "1",
        "entry": "1.1",
        "stop": "1.09",
        "price": "1.1",
    }
    data[field] = value
    with pytest.raises(ValidationError, match=field):
        Position.model_validate(data)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="as_of"):
        AccountState(balance=100, equity=100, as_of=dt.datetime(2026, 1, 1))


def test_trade_cannot_close_before_it_opened() -> None:
    with pytest.raises(ValidationError, match="cannot close before"):
        Trade(
            symbol="X",
            side="long",
            lots=1,
            entry=1,
            exit=2,
            pnl=1,
            opened_at=utc(2026, 1, 2),
            closed_at=utc(2026, 1, 1),
        )


def test_trading_state_halt_kinds_are_consistent() -> None:
    with pytest.raises(ValidationError, match="halt kind"):
        TradingState(status=TradingStatus.HALTED)
    with pytest.raises(ValidationError, match="until"):
        TradingState(status=TradingStatus.HALTED, halt=HaltKind.DAILY)
    with pytest.raises(ValidationError, match="active account"):
        TradingState(halt=HaltKind.FAILED)


def test_daily_halt_lifts_at_its_end_and_failed_does_not() -> None:
    end = utc(2026, 3, 10, 23)
    daily = TradingState(status="halted", halt="daily", until=end, since=utc(2026, 3, 10, 12))
    assert not daily.allows_new_risk()
    assert daily.lifted(end - dt.timedelta(seconds=1)) is daily
    assert daily.lifted(end).allows_new_risk()
    failed = TradingState(status="halted", halt="failed", since=utc(2026, 3, 10))
    assert failed.lifted(utc(2030, 1, 1)) is failed


def test_account_refuses_unknown_currency_and_bad_ids() -> None:
    base = {
        "id": "acc-1",
        "owner": "alice",
        "firm": "ftmo",
        "plan": "2-step",
        "phase": "challenge",
        "initial_balance": "100000",
    }
    assert Account.model_validate(base).risk_multiplier == Decimal(1)
    with pytest.raises(ValidationError, match="currency"):
        Account.model_validate({**base, "currency": "XYZ"})
    with pytest.raises(ValidationError, match="id"):
        Account.model_validate({**base, "id": "bad id; drop table"})
    with pytest.raises(ValidationError, match="initial_balance"):
        Account.model_validate({**base, "initial_balance": "0"})


def test_state_floating_pnl() -> None:
    state = AccountState(balance="100000", equity="99250.5", as_of=utc(2026, 1, 1))
    assert state.floating_pnl == Decimal("-749.5")
