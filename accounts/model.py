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


class Position(Frozen):
    """An open position as the broker reports it."""

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

    @field_validator("options")
    @classmethod
    def _sorted_options(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        # One order, so equal accounts dump (and hash) alike whatever order they were given in.
        return dict(sorted(value.items()))

    @property
    def risk_multiplier(self) -> Decimal:
        """The constant multiplier the account's personality applies to every size."""
        return self.personality.multiplier
