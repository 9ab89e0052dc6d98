"""Commands: what the faces hand the use cases, validated at the boundary (pydantic)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from accounts.cash import CashFlowKind, Note, Reference
from accounts.model import (
    Identifier,
    InstrumentFilter,
    OptionName,
    Position,
    Side,
    Symbol,
    SymbolAliases,
    Trade,
    UtcTime,
)
from accounts.money import CurrencyCode, FiniteDecimal, NonNegativeDecimal, PositiveDecimal
from aria.sizing.inputs import Probability

RequestId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$")
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
OptionValue = Annotated[Decimal, Field(gt=0, le=100)]
Options = Annotated[dict[OptionName, OptionValue], Field(max_length=32)]


NO_NUL = "Text anywhere in it must not contain NUL (\\u0000) characters."


def _state_no_nul(schema: dict[str, Any]) -> None:
    # The rule _no_nul enforces, where a client reading the OpenAPI document sees it.
    described = schema.get("description", "").rstrip()
    schema["description"] = f"{described} {NO_NUL}".strip()


class Command(BaseModel):
    """Base of commands: immutable, unknown fields refused, no NUL characters anywhere."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_state_no_nul)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # No database stores a NUL inside text (PostgreSQL refuses it outright): refuse it at
        # the door, in every string of the command however deep, with a clear message.
        if _holds_nul(data):
            raise ValueError("text must not contain NUL (\\x00) characters")
        return data


def _holds_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 32:
        return False  # deeper than any command: pydantic refuses the shape anyway
    if isinstance(value, dict):
        return any(_holds_nul(k, depth + 1) or _holds_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v, depth + 1) for v in value)
    return False


class PersonalityChoice(Command):
    """A declared multiplier, or a seeded draw inside a band; also written as the string
    ``"seeded"`` or as a number (the multiplier), as the CLI's ``--personality`` takes it."""

    multiplier: Annotated[Decimal, Field(gt=0)] | None = None
    seeded: bool = False
    band: (
        tuple[Annotated[Decimal, Field(ge=0, lt=1)], Annotated[Decimal, Field(ge=0, lt=1)]] | None
    ) = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: object) -> object:
        # One vocabulary for the CLI and the API: "seeded", or a number, stands for the object.
        if isinstance(data, str) and data.strip().lower() == "seeded":
            return {"seeded": True}
        if isinstance(data, (str, int, float, Decimal)) and not isinstance(data, bool):
            return {"multiplier": data}
        return data

    @model_validator(mode="after")
    def _one(self) -> Self:
        if self.multiplier is not None and self.seeded:
            raise ValueError("give a declared 'multiplier' or 'seeded': true, not both")
        return self


class CreateAccount(Command):
    """Open an account under a firm's plan."""

    id: Identifier
    label: Annotated[str, StringConstraints(max_length=200)] = ""
    owner: Identifier
    firm: Identifier
    plan: Identifier
    phase: Identifier | None = Field(default=None, description="default: the plan's first phase")
    rulebook_version: str | None = Field(default=None, description="default: the plan's newest")
    size: PositiveDecimal
    currency: CurrencyCode | None = Field(default=None, description="default: the plan's currency")
    profile: Identifier = "aria"
    profile_layer: dict[str, Any] = Field(
        default_factory=dict, description="this account's own profile changes"
    )
    strategy: Identifier | None = None
    household: Identifier | None = Field(
        default=None, description="the household the firm counts the owner in (Apex, Tradeify)"
    )
    personality: PersonalityChoice | None = None
    instruments: InstrumentFilter | None = Field(
        default=None, description="narrows what the firm allows (symbols and/or asset classes)"
    )
    options: Options = Field(
        default_factory=dict, description="values chosen at checkout for the plan's options"
    )
    symbol_aliases: SymbolAliases = Field(
        default_factory=dict,
        description="the broker's symbols for ARIA's instruments, e.g. {'US30.cash': 'US30'}",
    )


Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class UpdateAccount(Command):
    """Change an account's label, profile, strategy, personality, what it may trade or its
    checkout options; a field left out is kept, and each change is its own audit event."""

    label: Label | None = Field(default=None, description="a new label ('' clears it)")
    profile: Identifier | None = Field(default=None, description="a new sizing preset")
    strategy: Identifier | None = Field(
        default=None, description="a new strategy; give null to clear it"
    )
    household: Identifier | None = Field(
        default=None, description="a new household; give null to clear it"
    )
    personality: PersonalityChoice | None = Field(
        default=None, description="a new declared multiplier, or a seeded draw"
    )
    instruments: InstrumentFilter | None = Field(
        default=None, description="give null to lift the account's own narrowing"
    )
    options: Options | None = Field(
        default=None, description="replaces every chosen option ({} returns to the defaults)"
    )
    symbol_aliases: SymbolAliases | None = Field(
        default=None,
        description="replaces the account's broker symbols for ARIA's instruments, e.g."
        " {'US30.cash': 'US30'} ({} removes them)",
    )
    actor: Text = "operator"
    reason: Text | None = None


class CashFlowIn(Command):
    """A deposit, a payout (requested or paid), a fee or a scaling: never trading P&L."""

    kind: CashFlowKind
    amount: PositiveDecimal = Field(description="always positive; the kind gives the sign")
    at: UtcTime | None = Field(
        default=None, description="when it happened (default: now, or the state's as_of)"
    )
    reference: Reference | None = Field(default=None, description="the firm's or broker's id")
    note: Note | None = None


class RecordCashFlow(CashFlowIn):
    """A cash flow recorded by hand or by a firm's payout feed, with who recorded it."""

    actor: Text = "operator"


class PushState(Command):
    """Balance, equity and open positions as the broker reports them."""

    balance: FiniteDecimal = Field(
        description="may be negative where the plan allows it (a Topstep XFA starts at 0)"
    )
    equity: FiniteDecimal
    as_of: UtcTime
    positions: tuple[Position, ...] = ()
    cash_flows: tuple[CashFlowIn, ...] = Field(
        default=(),
        max_length=100,
        description="cash flows since the last state that this state's balance already holds;"
        " taken before the state is judged, so a payout is never read as a loss",
    )


class RecordTrades(Command):
    """Closed trades."""

    trades: tuple[Trade, ...] = Field(min_length=1)


class SetTrading(Command):
    """Disable or re-enable an account, by an operator, with a reason.

    Re-enabling an account its firm failed needs ``force``: it overrides the firm's verdict.
    """

    enabled: bool
    actor: Text
    reason: Text
    force: bool = False


class Promote(Command):
    """Move an account to its plan's next phase, with fresh anchors."""

    actor: Text
    reason: Text
    to_phase: Identifier | None = Field(
        default=None, description="the phase expected next; any other is refused"
    )
    size: PositiveDecimal | None = Field(
        default=None, description="the new phase's account size; default: the same"
    )


class Lifecycle(Command):
    """An operator's change of an account's life (reset, archive, unarchive), with a reason."""

    actor: Text
    reason: Text


class Selector(Command):
    """Accounts chosen by owner, firm and/or strategy (every given field must match)."""

    owner: Identifier | None = None
    firm: Identifier | None = None
    strategy: Identifier | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.owner is None and self.firm is None and self.strategy is None:
            raise ValueError("a selector needs at least one of owner, firm or strategy")
        return self


class Signal(Command):
    """One signal, for one account or fanned out to many (as previewed: without an id)."""

    accounts: tuple[Identifier, ...] | Selector
    symbol: Symbol
    side: Side
    entry: PositiveDecimal
    stop: PositiveDecimal | None = None
    stop_atr_multiple: PositiveDecimal | None = None
    take_profit: PositiveDecimal | None = None
    confidence: Probability | None = None
    strategy: Identifier | None = None
    spread: PositiveDecimal | None = None
    reduce_only: bool = False
    atr: PositiveDecimal | None = Field(
        default=None,
        description="the ATR to size with instead of the one computed from stored bars (a"
        " historical date, or data ARIA does not hold)",
    )
    request_id: RequestId | None = Field(
        default=None, description="accepted for symmetry with sizing; a preview records nothing"
    )

    @model_validator(mode="after")
    def _accounts(self) -> Self:
        if isinstance(self.accounts, tuple):
            if not self.accounts:
                raise ValueError("name at least one account, or give a selector")
            if len(set(self.accounts)) != len(self.accounts):
                raise ValueError("an account is named twice")
            if len(self.accounts) > 5000:
                raise ValueError("at most 5,000 accounts per request")
        return self


class SizeRequest(Signal):
    """One signal to size, under an id that makes retrying it safe."""

    request_id: RequestId


class BarsBatch(Command):
    """Bars of one symbol (oldest first or not; they are stored by time).

    Times are each bar's start; only closed bars are accepted. Daily FX, metal and CFD bars
    have their short Sunday bar merged into Monday's unless ``keep_weekend_bars``.
    """

    symbol: Symbol
    timeframe: Literal["1d", "4h", "1h", "15m", "5m", "1m"] = "1d"
    bars: tuple[
        tuple[
            UtcTime,
            PositiveDecimal,
            PositiveDecimal,
            PositiveDecimal,
            PositiveDecimal,
            NonNegativeDecimal | None,
        ],
        ...,
    ]

    keep_weekend_bars: bool = Field(
        default=False, description="store Sunday stubs as they are instead of merging them"
    )
    allow_outliers: bool = Field(
        default=False, description="store bars whose range is far beyond their neighbours'"
    )

    @model_validator(mode="after")
    def _ohlc(self) -> Self:
        for index, (_, o, h, lo, c, _) in enumerate(self.bars):
            if not (lo <= o <= h and lo <= c <= h):
                raise ValueError(f"bar {index}: open and close must lie between low and high")
        return self
