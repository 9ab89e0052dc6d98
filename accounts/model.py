"""The account and its state: who owns it, what it holds, and whether it may trade.

Every model is a frozen pydantic model that refuses unknown fields, so an account state
is a value: it can be hashed into an audit record and replayed byte for byte.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from accounts.money import (
    CurrencyCode,
    FiniteDecimal,
    PositiveDecimal,
)
from accounts.personality import Personality

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$"
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, pattern=IDENTIFIER_PATTERN)]
Symbol = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.!/-]{0,31}$"
    ),
]


def _utc_representable(value: dt.datetime) -> dt.datetime:
    # Year 1 at +14:00 or year 9999 at -14:00 parse, but fall outside what UTC (and every
    # database) can hold once converted: refuse them here rather than fail while storing.
    try:
        value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("must lie between the years 1 and 9999 once converted to UTC") from None
    return value


# An aware time that converts to UTC: the type of every time ARIA is given.
UtcTime = Annotated[AwareDatetime, AfterValidator(_utc_representable)]
# A trade's id at the broker, and the id of the decision a trade or position follows (the
# sizes of the columns that store them).
TradeId = Annotated[str, StringConstraints(max_length=128)]
DecisionRef = Annotated[str, StringConstraints(max_length=64)]


OptionName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
]


def _no_alias_chain(value: dict[str, str]) -> dict[str, str]:
    # An alias names an instrument, never another alias: one lookup resolves any symbol.
    chained = sorted(k for k, v in value.items() if v in value and v != k)
    if chained:
        raise ValueError(
            f"an alias must name an instrument, not another alias: {', '.join(chained)}"
        )
    return value


# A broker's symbol and ARIA's instrument it stands for.
SymbolAliases = Annotated[
    dict[Symbol, Symbol], Field(max_length=500), AfterValidator(_no_alias_chain)
]


class Frozen(BaseModel):
    """Base for domain values: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class AssetClass(StrEnum):
    """Asset classes firms set leverage and lot caps by, and allow or forbid trading in."""

    FX = "fx"
    METAL = "metal"
    INDEX = "index"
    ENERGY = "energy"
    COMMODITY = "commodity"
    CRYPTO = "crypto"
    EQUITY = "equity"
    BOND = "bond"


class InstrumentFilter(Frozen):
    """An account's own narrowing of what its firm allows: listed symbols and/or asset classes.

    A symbol passes when it is listed, or when its asset class is; an empty filter is refused
    (it would forbid everything: leave the account's filter unset instead).
    """

    symbols: tuple[Symbol, ...] = Field(default=(), max_length=1000)
    asset_classes: tuple[AssetClass, ...] = ()

    @field_validator("symbols", "asset_classes")
    @classmethod
    def _one_form(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Sorted and deduplicated, so one filter has one stored and hashed form.
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.symbols and not self.asset_classes:
            raise ValueError("an instrument filter needs at least one symbol or asset class")
        return self

    def allows(self, symbol: str, asset_class: AssetClass) -> bool:
        """True when ``symbol`` (of ``asset_class``) passes the filter."""
        return symbol in self.symbols or asset_class in self.asset_classes

    def describe(self) -> str:
        """E.g. ``symbols EURUSD, XAUUSD; asset classes index``."""
        parts = []
        if self.symbols:
            parts.append("symbols " + ", ".join(self.symbols))
        if self.asset_classes:
            parts.append("asset classes " + ", ".join(c.value for c in self.asset_classes))
        return "; ".join(parts)


class Side(StrEnum):
    """Direction of a position or order."""

    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        """+1 for long, -1 for short: the sign of P&L per unit of price rise."""
        return 1 if self is Side.LONG else -1

    @property
    def opposite(self) -> Side:
        """The other side."""
        return Side.SHORT if self is Side.LONG else Side.LONG


class TradingStatus(StrEnum):
    """What an account may do: everything, only reduce exposure, or nothing."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class HaltKind(StrEnum):
    """Why an account is halted, which decides how the halt ends."""

    DAILY = "daily"  # ends at the firm's next daily reset
    FAILED = "failed"  # a hard breach: ends only when an operator re-enables the account
    CLOSED = "closed"  # closed by the firm's cash-flow rule (all profit withdrawn)
    OPERATOR = "operator"  # disabled by hand: ends when an operator re-enables it
    ARCHIVED = "archived"  # retired, history kept: ends only when an operator unarchives it


class TradingState(Frozen):
    """The account's trading state; exits and reductions are never blocked by it."""

    status: TradingStatus = TradingStatus.ACTIVE
    halt: HaltKind | None = None
    reason: str | None = None
    since: UtcTime | None = None
    until: UtcTime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.status is TradingStatus.HALTED and self.halt is None:
            raise ValueError(
                "a halted account needs a halt kind (daily, failed, operator or archived)"
            )
        if self.status is not TradingStatus.HALTED and self.halt is not None:
            raise ValueError(
                f"halt kind {self.halt.value!r} given for a {self.status.value} account"
            )
        if self.halt is HaltKind.DAILY and self.until is None:
            raise ValueError("a daily halt needs the instant it ends ('until')")
        return self

    def allows_new_risk(self) -> bool:
        """True when a trade that adds exposure may be placed."""
        return self.status is TradingStatus.ACTIVE

    def lifted(self, now: dt.datetime) -> TradingState:
        """Return the state at ``now``: a daily halt whose ``until`` has passed is lifted."""
        if self.halt is HaltKind.DAILY and self.until is not None and now >= self.until:
            return TradingState(since=self.until, reason="daily halt ended at the reset")
        return self


# MetaTrader 5's position fields ARIA reads (``mt5.positions_get()`` as dicts), and those it
# accepts and leaves aside (they move nothing ARIA decides from).
MT5_FIELDS = frozenset(
    {"ticket", "symbol", "type", "volume", "price_open", "sl", "tp", "time", "price_current"}
)
MT5_IGNORED = frozenset(
    {
        "comment",
        "magic",
        "identifier",
        "reason",
        "swap",
        "profit",
        "time_msc",
        "time_update",
        "time_update_msc",
        "external_id",
    }
)
MT5_TYPES = {
    "0": "long",
    "1": "short",
    "POSITION_TYPE_BUY": "long",
    "POSITION_TYPE_SELL": "short",
    "BUY": "long",
    "SELL": "short",
}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The prefix a copier writes before the decision id in an MT5 position's comment.
MT5_DECISION_PREFIX = "aria:"


def _mt5_type(value: object) -> str:
    key = str(value).strip().upper() if isinstance(value, str | int) else None
    if isinstance(value, bool) or key not in MT5_TYPES:
        raise ValueError(
            f"MT5 position type must be 0 (buy) or 1 (sell), POSITION_TYPE_BUY or"
            f" POSITION_TYPE_SELL, or buy or sell; got {value!r}"
        )
    return MT5_TYPES[key]


def _mt5_price(value: object) -> object:
    # MT5 writes 0 for "no stop", "no take-profit" and "no current price".
    return None if value in (0, "0", None) else value


def _mt5_time(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value  # an ISO time is taken as it is; anything else is refused as a time
    if not 0 <= value < 253402300800:  # year 9999
        raise ValueError(f"MT5 position time must be unix seconds; got {value!r}")
    return _EPOCH + dt.timedelta(seconds=value)


def _from_mt5(data: dict[str, object]) -> dict[str, object]:
    """ARIA's position fields from MetaTrader 5's (unknown fields are kept, to be refused)."""
    converted: dict[str, object] = {
        key: value for key, value in data.items() if key not in MT5_FIELDS | MT5_IGNORED
    }
    if "ticket" in data:
        converted["id"] = str(data["ticket"])
    converted["symbol"] = data.get("symbol")
    if "type" not in data:
        raise ValueError("an MT5 position needs its type: 0 (buy) or 1 (sell)")
    converted["side"] = _mt5_type(data["type"])
    converted["lots"] = data.get("volume")
    converted["entry"] = data.get("price_open")
    converted["stop"] = _mt5_price(data.get("sl"))
    converted["take_profit"] = _mt5_price(data.get("tp"))
    converted["price"] = _mt5_price(data.get("price_current"))
    if data.get("time") not in (None, 0):
        converted["opened_at"] = _mt5_time(data["time"])
    comment = data.get("comment")
    if (
        converted.get("decision_id") is None
        and isinstance(comment, str)
        and comment.startswith(MT5_DECISION_PREFIX)
    ):
        converted["decision_id"] = comment.removeprefix(MT5_DECISION_PREFIX).strip() or None
    return converted


class Position(Frozen):
    """An open position as the broker reports it, in ARIA's fields or MetaTrader 5's
    (``ticket``, ``type``, ``volume``, ``price_open``, ``sl``, ``tp``, ``time``; an ``sl``
    or ``tp`` of 0 is none; ``comment`` ``aria:<decision_id>`` names the decision)."""

    @model_validator(mode="before")
    @classmethod
    def _mt5(cls, data: object) -> object:
        # MetaTrader's shape has ``volume`` and ``price_open`` where ARIA's has ``lots`` and
        # ``entry``: one boundary converts it, for the API and the CLI alike.
        if (
            isinstance(data, dict)
            and "lots" not in data
            and ({"volume", "price_open"} & data.keys())
        ):
            return _from_mt5(data)
        return data

    id: str | None = None
    symbol: Symbol
    side: Side
    lots: PositiveDecimal
    entry: PositiveDecimal
    stop: PositiveDecimal | None = None
    take_profit: PositiveDecimal | None = Field(
        default=None,
        description="bounds the profit a trailing or equity-anchored floor can take back",
    )
    price: PositiveDecimal | None = Field(
        default=None, description="current mark price; the entry is used when absent"
    )
    decision_id: str | None = None
    opened_at: UtcTime | None = None

    @model_validator(mode="after")
    def _take_profit_side(self) -> Self:
        if self.take_profit is not None and (self.take_profit - self.entry) * self.side.sign <= 0:
            where = "above" if self.side is Side.LONG else "below"
            raise ValueError(
                f"the take-profit of a {self.side.value} position must be {where} its entry"
            )
        return self

    def swing_distance(self) -> Decimal | None:
        """Price distance from the take-profit back to the stop: the most a floor that follows
        equity can rise by and then lose on this position (``None``: unbounded)."""
        if self.stop is None or self.take_profit is None:
            return None
        return max((self.take_profit - self.stop) * self.side.sign, Decimal(0))

    @property
    def mark(self) -> Decimal:
        """The price the position is valued at now."""
        return self.price if self.price is not None else self.entry

    def stop_distance(self) -> Decimal | None:
        """Price distance from the mark to the stop in the losing direction (0 if past it)."""
        if self.stop is None:
            return None
        distance = (self.mark - self.stop) * self.side.sign
        return max(distance, Decimal(0))


class Trade(Frozen):
    """A closed trade; ``pnl`` is net of commissions and swaps, in the account currency."""

    id: TradeId | None = None
    symbol: Symbol
    side: Side
    lots: PositiveDecimal
    entry: PositiveDecimal
    exit: PositiveDecimal
    pnl: FiniteDecimal
    opened_at: UtcTime
    closed_at: UtcTime
    decision_id: DecisionRef | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.closed_at < self.opened_at:
            raise ValueError("a trade cannot close before it opened")
        return self


class AccountState(Frozen):
    """Balance, equity and open positions at one instant, as the broker reports them."""

    balance: FiniteDecimal = Field(
        description="may be negative where the plan says so (a Topstep XFA starts at 0)"
    )
    equity: FiniteDecimal
    as_of: UtcTime
    positions: tuple[Position, ...] = ()

    def moved(self, amount: Decimal) -> AccountState:
        """The same state with ``amount`` of cash paid in (negative: taken out)."""
        if not amount:
            return self
        return self.model_copy(
            update={"balance": self.balance + amount, "equity": self.equity + amount}
        )

    @property
    def floating_pnl(self) -> Decimal:
        """Open profit or loss (equity already holds it)."""
        return self.equity - self.balance


class DayStart(Frozen):
    """The account at the firm's last daily reset: the anchor of the daily-loss floor."""

    starts_at: UtcTime
    balance: FiniteDecimal
    equity: FiniteDecimal
    equity_high: FiniteDecimal = Field(description="highest equity seen since the reset")

    @classmethod
    def at(cls, starts_at: dt.datetime, balance: Decimal, equity: Decimal) -> DayStart:
        """Open a day at ``starts_at`` with the account's balance and equity at that instant."""
        return cls(starts_at=starts_at, balance=balance, equity=equity, equity_high=equity)

    def moved(self, amount: Decimal) -> DayStart:
        """The day re-anchored by a cash flow of ``amount``: its P&L so far is kept."""
        return self.model_copy(
            update={
                "balance": self.balance + amount,
                "equity": self.equity + amount,
                "equity_high": self.equity_high + amount,
            }
        )

    def observe(self, state: AccountState) -> DayStart:
        """Fold a state seen during the day into the day's equity high."""
        if state.equity <= self.equity_high:
            return self
        return self.model_copy(update={"equity_high": state.equity})


class Account(Frozen):
    """A prop-firm account: its owner, the firm rules it was bought under, and how it sizes."""

    id: Identifier
    label: str = ""
    owner: Identifier
    household: Identifier | None = Field(
        default=None,
        description="the household the firm counts the owner in (unset: the owner's own)",
    )
    firm: Identifier
    plan: Identifier
    phase: Identifier
    rulebook_version: str | None = None
    currency: CurrencyCode = "USD"
    initial_balance: PositiveDecimal
    profile: Identifier = "aria"
    strategy: Identifier | None = None
    personality: Personality = Field(default_factory=Personality.neutral)
    trading: TradingState = Field(default_factory=TradingState)
    instruments: InstrumentFilter | None = Field(
        default=None, description="narrows what the firm allows; unset: all the firm allows"
    )
    options: dict[OptionName, Decimal] = Field(
        default_factory=dict,
        description="values chosen at checkout for the plan's declared options (E8's percentages)",
    )

    symbol_aliases: SymbolAliases = Field(
        default_factory=dict,
        description="the broker's symbols (keys) for ARIA's instruments (values), e.g."
        " {'US30.CASH': 'US30'}; they win over the firm's aliases and the built-in spellings",
    )

    @field_validator("options")
    @classmethod
    def _sorted_options(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        # One order, so equal accounts dump (and hash) alike whatever order they were given in.
        return dict(sorted(value.items()))

    @field_validator("symbol_aliases")
    @classmethod
    def _sorted_aliases(cls, value: dict[str, str]) -> dict[str, str]:
        return dict(sorted(value.items()))

    @property
    def risk_multiplier(self) -> Decimal:
        """The constant multiplier the account's personality applies to every size."""
        return self.personality.multiplier
