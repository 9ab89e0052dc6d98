from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from accounts.errors import InvalidAmount, UnknownCurrency
from accounts.money import (
    CurrencyCode,
    FiniteDecimal,
    PositiveDecimal,
    currency,
    floor_to_step,
    minor_unit,
    round_money,
    to_decimal,
)


@pytest.mark.parametrize(
    "bad", [float("nan"), float("inf"), float("-inf"), "NaN", "Infinity", "abc", True, None]
)
def test_to_decimal_refuses_what_is_not_a_finite_number(bad: object) -> None:
    with pytest.raises(InvalidAmount):
        to_decimal(bad, "price")


def test_to_decimal_keeps_floats_exact_as_written() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal("1_000.50") == Decimal("1000.50")
    assert str(to_decimal(Decimal("-0"))) == "0"


def test_currency_codes_are_normalised_and_checked() -> None:
    assert currency(" usd ") == "USD"
    assert minor_unit("JPY") == Decimal(1)
    assert minor_unit("EUR") == Decimal("0.01")
    with pytest.raises(UnknownCurrency, match="XYZ"):
        currency("XYZ")


def test_floor_to_step_rounds_down_to_the_lot_step() -> None:
    assert floor_to_step(Decimal("0.379"), Decimal("0.01")) == Decimal("0.37")
    assert floor_to_step(Decimal("7"), Decimal("5")) == Decimal("5")
    assert floor_to_step(Decimal("0.009"), Decimal("0.01")) == Decimal("0.00")
    with pytest.raises(InvalidAmount):
        floor_to_step(Decimal(1), Decimal(0))


@given(
    value=st.decimals(min_value=0, max_value=10_000, places=6),
    step=st.sampled_from(
        [Decimal("0.01"), Decimal("0.1"), Decimal("1"), Decimal("0.001"), Decimal("5")]
    ),
)
def test_floor_to_step_never_rounds_up(value: Decimal, step: Decimal) -> None:
    floored = floor_to_step(value, step)
    assert floored <= value
    assert value - floored < step
    assert floored % step == 0


def test_round_money_against_us_rounds_a_loss_up() -> None:
    assert round_money(Decimal("10.001"), "USD", against_us=True) == Decimal("10.01")
    assert round_money(Decimal("10.005"), "USD") == Decimal("10.00")


class _Model(BaseModel):
    price: PositiveDecimal
    pnl: FiniteDecimal
    ccy: CurrencyCode


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", 0),
        ("price", -1),
        ("price", "nan"),
        ("pnl", float("inf")),
        ("ccy", "XXX"),
        ("ccy", 3),
        ("price", "1e15"),
        ("pnl", "-1e400"),
        ("price", "1e-16"),
        ("price", "9" * 60),
    ],
)
def test_boundary_types_refuse_bad_values(field: str, value: object) -> None:
    data: dict[str, object] = {"price": "1.5", "pnl": "-3", "ccy": "usd"}
    data[field] = value
    with pytest.raises(ValidationError) as raised:
        _Model.model_validate(data)
    assert raised.value.errors()[0]["loc"] == (field,)


def test_boundary_types_accept_good_values() -> None:
    model = _Model.model_validate({"price": "1.5", "pnl": -3, "ccy": "eur"})
    assert model == _Model(price=Decimal("1.5"), pnl=Decimal(-3), ccy="EUR")
    # The magnitude bounds are inclusive below and exclusive above; zero is always allowed.
    edge = _Model.model_validate({"price": "1e-15", "pnl": "-999999999999999.99", "ccy": "usd"})
    assert (edge.price, edge.pnl) == (Decimal("1e-15"), Decimal("-999999999999999.99"))
    assert _Model.model_validate({"price": "1", "pnl": "0", "ccy": "usd"}).pnl == 0
