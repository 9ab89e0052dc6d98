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
    NonNegativeDecimal,
    PositiveDecimal,
    currency,
    floor_to_step,
    minor_unit,
    pct,
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


# ISO 4217 minor units, written out here rather than read from the table they check.
_ISO_MINOR_UNITS = {
    "USD": "0.01",
    "EUR": "0.01",
    "GBP": "0.01",
    "CHF": "0.01",
    "JPY": "1",
    "CAD": "0.01",
    "AUD": "0.01",
    "NZD": "0.01",
    "CZK": "0.01",
    "SEK": "0.01",
    "NOK": "0.01",
    "DKK": "0.01",
    "PLN": "0.01",
    "HUF": "0.01",
    "SGD": "0.01",
    "HKD": "0.01",
    "ZAR": "0.01",
    "MXN": "0.01",
    "CNH": "0.01",
    "TRY": "0.01",
    "AED": "0.01",
    "USDT": "0.01",
}


@pytest.mark.parametrize(("code", "unit"), sorted(_ISO_MINOR_UNITS.items()))
def test_every_currency_rounds_money_to_its_iso_minor_unit(code: str, unit: str) -> None:
    assert minor_unit(code) == Decimal(unit)
    # A loss of a third of a minor unit rounds to a whole one against the trader.
    assert round_money(Decimal(unit) / 3, code, against_us=True) == Decimal(unit)


def test_pct_is_exactly_a_hundredth_of_the_amount_per_percent() -> None:
    assert pct(Decimal(200_000), Decimal(5)) == Decimal(10_000)
    assert pct(Decimal("100000"), Decimal("0.5")) == Decimal(500)


def test_an_amount_beyond_the_decimal_range_is_refused_not_returned() -> None:
    for huge in ("1e999999999", "-1e999999999"):
        with pytest.raises(InvalidAmount, match="out of range"):
            to_decimal(huge)
    with pytest.raises(InvalidAmount, match="out of range"):
        to_decimal("1e-999999999")


def test_floor_to_step_writes_the_result_on_the_step_grid() -> None:
    assert str(floor_to_step(Decimal("1E+3"), Decimal("0.01"))) == "1000.00"
    assert str(floor_to_step(Decimal("1E+3"), Decimal("1"))) == "1000"
    assert str(floor_to_step(Decimal("12.7"), Decimal("5"))) == "10"


def test_the_schema_states_the_bounds_the_validators_enforce() -> None:
    class Bounded(BaseModel):
        pnl: FiniteDecimal
        size: NonNegativeDecimal
        price: PositiveDecimal

    schema = Bounded.model_json_schema()["properties"]
    pnl, size, price = (schema[name]["anyOf"][0] for name in ("pnl", "size", "price"))
    assert pnl == {"type": "number", "exclusiveMinimum": -1e15, "exclusiveMaximum": 1e15}
    assert size == {"type": "number", "minimum": 0, "exclusiveMaximum": 1e15}
    assert price == {"type": "number", "minimum": 1e-15, "exclusiveMaximum": 1e15}
