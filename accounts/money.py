"""Money: exact decimals, currencies, and rounding that never adds risk.

Money, prices and lots are ``Decimal`` wherever they cross a boundary (storage, the API,
rounding to a lot step). Analytics elsewhere may use float64, but a value only becomes
money again through :func:`to_decimal`, which refuses NaN and infinities.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_UP, Decimal, InvalidOperation
from typing import Annotated, Final

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from accounts.errors import InvalidAmount, UnknownCurrency

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
HUNDRED: Final = Decimal(100)

# ISO 4217 codes with their minor units, for the account and quote currencies ARIA meets
# at prop firms and their brokers (plus the crypto quote units instruments use).
CURRENCIES: Final[dict[str, int]] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "JPY": 0,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "CZK": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "HUF": 2,
    "SGD": 2,
    "HKD": 2,
    "ZAR": 2,
    "MXN": 2,
    "CNH": 2,
    "TRY": 2,
    "AED": 2,
    "USDT": 2,
}


def currency(code: str) -> str:
    """Return the upper-case ISO code, or raise :class:`UnknownCurrency`."""
    normal = code.strip().upper()
    if normal not in CURRENCIES:
        raise UnknownCurrency(f"unknown currency {code!r}; known: {', '.join(sorted(CURRENCIES))}")
    return normal


def minor_unit(code: str) -> Decimal:
    """Return the smallest amount of a currency, e.g. ``0.01`` for USD and ``1`` for JPY."""
    return Decimal(1).scaleb(-CURRENCIES[currency(code)])


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """Convert ``value`` to a finite ``Decimal``; floats go through ``repr`` to stay exact."""
    if isinstance(value, bool):
        raise InvalidAmount(f"{what} must be a number, not a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise InvalidAmount(f"{what} must be a number, got {value!r}") from None
    else:
        raise InvalidAmount(f"{what} must be a number, got {type(value).__name__}")
    if not result.is_finite():
        raise InvalidAmount(f"{what} must be a finite number, got {value!r}")
    # Normalise -0 so that equal amounts hash and serialise alike.
    try:
        normal = result + ZERO
    except ArithmeticError:
        normal = None  # an exponent beyond the decimal context's (e.g. "1e999999999")
    if normal is None or (not normal and result):  # or so small it would round to zero
        raise InvalidAmount(f"{what} is out of range, got {value!r}")
    return normal


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Round ``value`` down to a whole number of ``step`` (never up: rounding must not add risk).

    The result is written on the step's grid (``1000.00`` for a step of ``0.01``, never
    ``1E+3``), so equal sizes are stored, hashed and shown alike.
    """
    if step <= ZERO:
        raise InvalidAmount(f"step must be positive, got {step}")
    steps = (value / step).to_integral_value(rounding=ROUND_FLOOR)
    exponent = step.as_tuple().exponent
    if isinstance(exponent, str):  # an infinite step ('F'): it has no grid to round to
        raise TypeError(f"step must be finite, got {step}")
    return (steps * step).quantize(step)


def round_money(amount: Decimal, code: str, *, against_us: bool = False) -> Decimal:
    """Round to the currency's minor unit; ``against_us`` rounds a loss up (away from zero)."""
    rounding = ROUND_UP if against_us else ROUND_HALF_EVEN
    return amount.quantize(minor_unit(code), rounding=rounding)


def pct(amount: Decimal, percent: Decimal) -> Decimal:
    """Return ``percent`` % of ``amount``, exactly."""
    return amount * percent / HUNDRED


# Amounts, prices and sizes live between these (or are zero): beyond them arithmetic on
# them could overflow, and no trade, balance or price is that large or that small.
LARGEST: Final = Decimal("1e15")
SMALLEST: Final = Decimal("1e-15")


def _finite(value: object) -> Decimal:
    try:
        result = to_decimal(value, "value")
    except InvalidAmount as exc:
        # pydantic names the field; the message needs no subject of its own.
        raise ValueError(str(exc).removeprefix("value ")) from None
    if result and not SMALLEST <= abs(result) < LARGEST:
        raise ValueError(f"must be zero or between {SMALLEST} and {LARGEST} in size, got {value}")
    return result


def _positive(value: Decimal) -> Decimal:
    if value <= ZERO:
        raise ValueError("must be greater than zero")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < ZERO:
        raise ValueError("must not be negative")
    return value


def _currency(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a currency code such as 'USD'")
    try:
        return currency(value)
    except UnknownCurrency as exc:
        raise ValueError(str(exc)) from None


# A decimal given as text: what ``to_decimal`` reads (NaN and infinities are refused).
DECIMAL_TEXT: Final = r"^\s*[+-]?(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d+)?\s*$"


def _number_schema(bounds: dict[str, float], what: str) -> WithJsonSchema:
    # The bounds the validators enforce, in the request schema, so the OpenAPI document
    # states what the server accepts; answers keep the default (decimals as strings).
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", **bounds},
                {"type": "string", "pattern": DECIMAL_TEXT},
            ],
            "description": f"{what} (a JSON number or decimal text)",
        },
        mode="validation",
    )


# Field types for pydantic models at every boundary: NaN, infinities and booleans are
# refused before any arithmetic sees them.
FiniteDecimal = Annotated[
    Decimal,
    BeforeValidator(_finite),
    _number_schema(
        {"exclusiveMinimum": -float(LARGEST), "exclusiveMaximum": float(LARGEST)},
        "zero, or between 1e-15 and 1e15 in size",
    ),
]
PositiveDecimal = Annotated[
    Decimal,
    BeforeValidator(_finite),
    AfterValidator(_positive),
    _number_schema(
        {"minimum": float(SMALLEST), "exclusiveMaximum": float(LARGEST)},
        "at least 1e-15 and below 1e15",
    ),
]
NonNegativeDecimal = Annotated[
    Decimal,
    BeforeValidator(_finite),
    AfterValidator(_non_negative),
    _number_schema(
        {"minimum": 0, "exclusiveMaximum": float(LARGEST)},
        "zero, or at least 1e-15 and below 1e15",
    ),
]
CurrencyCode = Annotated[str, BeforeValidator(_currency)]
