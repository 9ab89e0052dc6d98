"""Instruments: contract specifications, and money per lot in the account currency.

The loss of one lot at a stop is ``distance / tick_size × tick_value`` in the quote
currency, i.e. ``distance × contract_size``, converted to the account currency. Conversion
uses a quoted rate, direct (``GBPUSD`` for GBP → USD) or inverse (``USDGBP``). When the
account currency is the instrument's own base (USDJPY on a USD account) the instrument's
price is the rate, always, and the loss is converted at the stop price, where it would be
realised (a quoted rate of the same pair is today's price, not the stop's).
A rate that is missing is never guessed: the caller rejects the trade.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from accounts.model import AssetClass, Symbol
from accounts.money import ONE, CurrencyCode, PositiveDecimal
from aria.sizing.errors import InstrumentFileError, UnknownInstrument
from firms.sessions import ALWAYS_OPEN, CALENDARS, FX_24_5


class Instrument(BaseModel):
    """A tradable instrument's contract specification."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: Symbol
    name: str = ""
    kind: Literal["spot", "cfd", "future"]
    asset_class: AssetClass
    base: str | None = None
    quote: CurrencyCode
    contract_size: PositiveDecimal
    tick_size: PositiveDecimal
    lot_step: PositiveDecimal
    min_lot: PositiveDecimal
    max_lot: PositiveDecimal
    margin_rate: Annotated[Decimal, Field(gt=0, le=1)]
    micro_of: Symbol | None = Field(
        default=None, description="the full-size future this is a micro of"
    )
    min_stop_ticks: Annotated[int, Field(ge=0)] = Field(
        default=10, description="the nearest a stop may be to the entry, in ticks"
    )
    calendar: str | None = Field(
        default=None,
        description="the trading calendar its sessions follow (unset: its asset class's;"
        " 'always' for a market that never closes)",
    )

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, value: str | None) -> str | None:
        if value is not None and value != ALWAYS_OPEN and value not in CALENDARS:
            known = ", ".join(sorted([*CALENDARS, ALWAYS_OPEN]))
            raise ValueError(f"unknown calendar {value!r}; known calendars: {known}")
        return value

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # ``calendar`` came after decisions were recorded with their instruments: left out
        # while unset, so those records keep their hash.
        data: dict[str, Any] = handler(self)
        if data.get("calendar", 0) is None:
            data.pop("calendar")
        return data

    @model_validator(mode="after")
    def _lots_consistent(self) -> Self:
        if self.min_lot > self.max_lot:
            raise ValueError(f"min_lot {self.min_lot} is above max_lot {self.max_lot}")
        if self.min_lot % self.lot_step != 0:
            raise ValueError(
                f"min_lot {self.min_lot} is not a multiple of lot_step {self.lot_step}"
            )
        return self

    @property
    def tick_value(self) -> Decimal:
        """Value of one tick of one lot in the quote currency."""
        return self.tick_size * self.contract_size

    @property
    def is_micro(self) -> bool:
        """True for a micro future (counted against contract caps by the firm's ratio)."""
        return self.micro_of is not None


# The calendar of an instrument that names none: CME futures by their product group; spot and
# CFDs follow the FX week (Sunday 17:00 to Friday 17:00 New York), crypto never closes.
_FUTURE_CALENDARS: dict[AssetClass, str] = {
    AssetClass.INDEX: "cme_equity",
    AssetClass.EQUITY: "cme_equity",
    AssetClass.ENERGY: "cme_energy",
    AssetClass.METAL: "cme_metals",
    AssetClass.COMMODITY: "cme_agriculture",
    AssetClass.FX: "cme_fx",
    AssetClass.BOND: "cme_rates",
}


def calendar_of(instrument: Instrument) -> str:
    """The name of the calendar ``instrument`` trades on (``always``: it never closes)."""
    name = instrument.calendar
    if name is None:
        if instrument.asset_class is AssetClass.CRYPTO:
            return ALWAYS_OPEN
        if instrument.kind == "future":
            return _FUTURE_CALENDARS.get(instrument.asset_class, FX_24_5)
        return FX_24_5
    return name


def conversion_rate(from_ccy: str, to_ccy: str, rates: Mapping[str, Decimal]) -> Decimal | None:
    """Units of ``to_ccy`` per unit of ``from_ccy`` from quoted rates, or ``None`` if missing."""
    if from_ccy == to_ccy:
        return ONE
    direct = rates.get(from_ccy + to_ccy)
    if direct is not None:
        return direct
    inverse = rates.get(to_ccy + from_ccy)
    if inverse is not None:
        return ONE / inverse
    return None


def _quote_to_account(
    instrument: Instrument, account_ccy: str, rates: Mapping[str, Decimal], price: Decimal
) -> Decimal | None:
    if instrument.quote == account_ccy:
        return ONE
    if instrument.base == account_ccy:
        # USDJPY or USDCAD on a USD account: the pair's own price is the rate, so a loss is
        # converted at the price where it is realised (the stop), never at today's quote.
        return ONE / price
    return conversion_rate(instrument.quote, account_ccy, rates)


def point_value(
    instrument: Instrument, price: Decimal, account_ccy: str, rates: Mapping[str, Decimal]
) -> Decimal | None:
    """Account currency per lot per 1.0 of price, at ``price`` (``None``: no rate)."""
    rate = _quote_to_account(instrument, account_ccy, rates, price)
    return None if rate is None else instrument.contract_size * rate


def loss_per_lot(
    instrument: Instrument,
    entry: Decimal,
    stop: Decimal,
    account_ccy: str,
    rates: Mapping[str, Decimal],
) -> Decimal | None:
    """Loss of one lot from ``entry`` to ``stop`` in the account currency (``None``: no rate)."""
    value = point_value(instrument, stop, account_ccy, rates)
    return None if value is None else abs(entry - stop) * value


def notional_per_lot(
    instrument: Instrument, price: Decimal, account_ccy: str, rates: Mapping[str, Decimal]
) -> Decimal | None:
    """Value of one lot at ``price`` in the account currency (``None``: no rate)."""
    value = point_value(instrument, price, account_ccy, rates)
    return None if value is None else price * value


@dataclass(frozen=True)
class InstrumentCatalog:
    """Instruments by symbol: the built-ins overlaid with any user files."""

    instruments: Mapping[str, Instrument]

    def get(self, symbol: str) -> Instrument:
        """Return the instrument or raise :class:`UnknownInstrument`."""
        key = symbol.strip().upper()
        if key not in self.instruments:
            raise UnknownInstrument(
                f"unknown instrument {symbol!r}; add it with an instrument file or use one of:"
                f" {', '.join(sorted(self.instruments))}"
            )
        return self.instruments[key]

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and symbol.strip().upper() in self.instruments


def _parse(
    document: Mapping[str, Any], file: str, inherited: Mapping[str, Any]
) -> dict[str, Instrument]:
    defaults = {**inherited, **document.get("defaults", {})}
    parsed: dict[str, Instrument] = {}
    problems: list[str] = []
    for index, entry in enumerate(document.get("instruments", [])):
        data = dict(entry)
        group = data.pop("group", None)
        if group is not None:
            if group not in defaults:
                problems.append(f"instrument #{index + 1}: field group: unknown group {group!r}")
                continue
            data = {**defaults[group], **data}
        try:
            instrument = Instrument.model_validate(data)
        except ValidationError as exc:
            name = data.get("symbol", f"#{index + 1}")
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"]) or "(entry)"
                message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
                problems.append(
                    f"instrument {name!r}: field {field}: {message.removeprefix('Value error, ')}"
                )
            continue
        parsed[instrument.symbol] = instrument
    if problems:
        raise InstrumentFileError("\n".join(f"{file}: {p}" for p in problems))
    return parsed


def load_instruments(user_files: Sequence[Path | str] = ()) -> InstrumentCatalog:
    """The built-in instruments, overlaid (by symbol) with ``user_files`` in order."""
    text = (resources.files("aria.sizing") / "instruments.toml").read_text(encoding="utf-8")
    builtin = tomllib.loads(text)
    instruments = _parse(builtin, "built-in instruments.toml", {})
    for path in user_files:
        try:
            document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InstrumentFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise InstrumentFileError(f"{path}: is not valid TOML: {exc}") from None
        # A user file may use the built-in groups (fx, fx_jpy, index_cfd, future).
        instruments.update(_parse(document, str(path), builtin.get("defaults", {})))
    return InstrumentCatalog(instruments=instruments)
