"""Firm rule sets as data: what a rule file may say, validated on load.

A firm has plans (program × rulebook version); a plan has phases and account sizes. Every
rule block carries its provenance — the source it was read from, the date it was read, how
confident that source is, and which of its values are uncertain — so that a compliance
audit can see where each number came from.

The codes D1–D8 and M1–M7 are those of ``research/prop_firm_rules.md`` section 15; each
block names its own code (``DailyLossRule.code``) so tables can show it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
    model_validator,
)

from accounts.model import AssetClass, Symbol
from accounts.money import HUNDRED, ZERO, CurrencyCode, NonNegativeDecimal, PositiveDecimal
from firms.clock import WallClock
from firms.errors import UnknownPhase, UnknownSize

Slug = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Percent = Annotated[Decimal, Field(gt=0, le=100)]


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _clock(value: Any) -> Any:
    return WallClock.parse(value) if isinstance(value, str) else value


Clock = Annotated[WallClock, BeforeValidator(_clock)]


class Spec(BaseModel):
    """Base of every rule-file model: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


def _without_empty(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    # Fields added after decisions recorded their rules stay out of the dump while empty, so
    # those records keep the input hash they were answered with.
    for name in names:
        if not data.get(name):
            data.pop(name, None)
    return data


class Confidence(StrEnum):
    """How far a source can be trusted ([O], [S] and [U] in the research)."""

    OFFICIAL = "official"
    SECONDARY = "secondary"
    UNCERTAIN = "uncertain"


class Sourced(Spec):
    """A rule block with its provenance."""

    source: Annotated[list[Text], BeforeValidator(_listify), Field(min_length=1)]
    read_on: dt.date
    published: dt.date | None = None
    confidence: Confidence
    uncertain: list[str] = Field(
        default_factory=list, description="fields of this block whose value is uncertain"
    )
    note: str | None = None

    @model_validator(mode="after")
    def _uncertain_names_fields(self) -> Self:
        fields = set(type(self).model_fields) - set(Sourced.model_fields)
        unknown = sorted(set(self.uncertain) - fields)
        if unknown:
            raise ValueError(
                f"'uncertain' names {', '.join(unknown)}, which are not fields of this block"
                f" (fields: {', '.join(sorted(fields))})"
            )
        return self

    @property
    def is_uncertain(self) -> bool:
        """True when the block's source or any of its values is uncertain."""
        return self.confidence is Confidence.UNCERTAIN or bool(self.uncertain)


class Amount(Spec):
    """An amount of money: a percentage of a base, a fixed amount, or a fixed amount per size."""

    pct: Percent | None = None
    fixed: PositiveDecimal | None = None
    by_size: dict[int, PositiveDecimal] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [name for name in ("pct", "fixed", "by_size") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'pct', 'fixed' or 'by_size'")
        if self.by_size is not None and (not self.by_size or min(self.by_size) <= 0):
            raise ValueError("'by_size' needs at least one positive account size")
        return self

    def resolve(self, size: Decimal, base: Decimal | None = None) -> Decimal:
        """The amount for an account of ``size``; a percentage is of ``base`` (default: size)."""
        if self.pct is not None:
            return (size if base is None else base) * self.pct / HUNDRED
        if self.fixed is not None:
            return self.fixed
        assert self.by_size is not None
        key = int(size)
        if key != size or key not in self.by_size:
            sizes = ", ".join(f"{s:,}" for s in sorted(self.by_size))
            raise UnknownSize(f"no amount for an account of {size:,}; known sizes: {sizes}")
        return self.by_size[key]

    def describe(self, of: str = "initial") -> str:
        """Human form, e.g. ``5% of initial`` or ``2,000``."""
        if self.pct is not None:
            return f"{self.pct.normalize():f}% of {of}"
        if self.fixed is not None:
            return f"{self.fixed:,}"
        assert self.by_size is not None
        return " / ".join(f"{v:,} ({k // 1000}k)" for k, v in sorted(self.by_size.items()))


class BreachKind(StrEnum):
    """Hard: the account fails. Soft: it is locked until the next reset."""

    HARD = "hard"
    SOFT = "soft"


class PhaseKind(StrEnum):
    """Evaluation phases are passed; funded and live accounts are paid."""

    EVALUATION = "evaluation"
    FUNDED = "funded"
    LIVE = "live"


class Phase(Spec):
    """One phase of a plan, e.g. FTMO's ``verification`` (an evaluation)."""

    id: Slug
    kind: PhaseKind
    name: str | None = None


# --------------------------------------------------------------------------- daily loss


class DailyAnchor(StrEnum):
    """What the daily floor hangs from."""

    RESET_BALANCE = "reset_balance"  # balance at the last reset (D1, D4, D5)
    RESET_BALANCE_OR_EQUITY = "reset_balance_or_equity"  # max(balance, equity) then (D2, D3)
    INITIAL = "initial"  # the initial balance every day
    DAY_EQUITY_HIGH = "day_equity_high"  # the day's equity high, trailing (D7)
    NONE = "none"  # no daily limit (D6)


class PctOf(StrEnum):
    """What a daily percentage is of."""

    INITIAL = "initial"
    ANCHOR = "anchor"


class DailyStep(Spec):
    """From this much profit on, the daily limit is ``amount``; no ``amount``: no limit.

    The profit is the balance at the day's reset minus the initial balance, so a limit that
    grows with profit grows at the next reset, never in the middle of a day.
    """

    from_profit: Amount
    amount: Amount | None = None


class DailyLossRule(Sourced):
    """The daily-loss floor: an anchor minus an amount, checked against equity.

    ``steps`` change the amount with profit (Tradeify raises it to the drawdown at 6 %,
    Bulenox drops it): the last step whose threshold the profit has reached applies.
    """

    anchor: DailyAnchor
    amount: Amount | None = None
    pct_of: PctOf = PctOf.INITIAL
    checked_on: Literal["equity", "balance"] = "equity"
    breach: BreachKind = BreachKind.HARD
    reset: Clock | None = Field(default=None, description="defaults to the plan's or firm's")
    steps: list[DailyStep] = Field(
        default_factory=list, description="the amount from a profit at the reset on"
    )

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty(handler(self), ("steps",))

    @model_validator(mode="after")
    def _amount_matches_anchor(self) -> Self:
        if self.anchor is DailyAnchor.NONE and self.amount is not None:
            raise ValueError("a daily rule with anchor 'none' takes no amount")
        if self.anchor is not DailyAnchor.NONE and self.amount is None:
            raise ValueError(f"a daily rule anchored on {self.anchor.value!r} needs an amount")
        if self.steps and self.anchor is DailyAnchor.NONE:
            raise ValueError("a daily rule with anchor 'none' takes no steps")
        kinds = {_amount_kind(step.from_profit) for step in self.steps}
        if len(kinds) > 1:
            raise ValueError("the steps' 'from_profit' must all be 'pct' or all be 'fixed'")
        if kinds == {"by_size"}:
            raise ValueError("a step's 'from_profit' is a 'pct' of initial or a 'fixed' amount")
        thresholds = [_threshold(step.from_profit) for step in self.steps]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("the steps' 'from_profit' must rise strictly")
        return self

    @property
    def code(self) -> str:
        """The mechanic's code, D1–D7."""
        if self.anchor is DailyAnchor.NONE:
            return "D6"
        if self.anchor is DailyAnchor.DAY_EQUITY_HIGH:
            return "D7"
        assert self.amount is not None
        if self.amount.pct is None:
            return "D5"
        of_anchor = self.pct_of is PctOf.ANCHOR
        if self.anchor is DailyAnchor.RESET_BALANCE_OR_EQUITY:
            return "D3" if of_anchor else "D2"
        return "D4" if of_anchor else "D1"

    @property
    def active(self) -> bool:
        """False for D6 (no daily limit)."""
        return self.anchor is not DailyAnchor.NONE

    def describe(self) -> str:
        """E.g. ``D1 5% of initial below reset balance (hard)``."""
        if not self.active:
            return "D6 none"
        assert self.amount is not None
        of = "initial" if self.pct_of is PctOf.INITIAL else "anchor"
        anchor = self.anchor.value.replace("_", " ")
        steps = "".join(
            f"; from {step.from_profit.describe()} profit "
            + (step.amount.describe(of) if step.amount is not None else "none")
            for step in self.steps
        )
        return f"{self.code} {self.amount.describe(of)} below {anchor}, {self.breach.value}{steps}"


def _amount_kind(amount: Amount) -> str:
    return "pct" if amount.pct is not None else "fixed" if amount.fixed is not None else "by_size"


def _threshold(amount: Amount) -> Decimal:
    value = amount.pct if amount.pct is not None else amount.fixed
    return ZERO if value is None else value


class FloatingLossRule(Sourced):
    """D8: open P&L must never fall below minus this amount (a percentage is of initial)."""

    amount: Amount
    breach: BreachKind = BreachKind.HARD

    @property
    def code(self) -> str:
        """Always D8."""
        return "D8"


# --------------------------------------------------------------------------- maximum loss


class TrailBasis(StrEnum):
    """What a maximum-loss floor trails."""

    NONE = "none"  # static from initial (M1)
    END_OF_DAY_BALANCE = "end_of_day_balance"  # M2, M3
    INTRADAY_EQUITY = "intraday_equity"  # M4, M5 (open P&L included)
    CLOSED_BALANCE = "closed_balance"  # M7 (realised P&L only, updated intraday)


class LockAt(StrEnum):
    """Where a trailing floor stops rising."""

    NONE = "none"
    INITIAL = "initial"  # plus ``lock_offset`` (M6 uses 100)


class MaxLossRule(Sourced):
    """The maximum-loss floor: a peak minus a fixed distance, optionally locked.

    A lock also expresses a drawdown that stops trailing (turns static) once the peak
    reaches a level: ``min(peak, level) − distance`` is ``min(peak − distance, lock)`` with
    the lock at ``level − distance``, i.e. ``lock_offset = level − initial − distance``.
    A drawdown that is static once funded is a phase override with ``trail = "none"``.
    """

    trail: TrailBasis
    amount: Amount
    lock: LockAt = LockAt.NONE
    lock_offset: NonNegativeDecimal = ZERO
    breach: BreachKind = BreachKind.HARD

    @model_validator(mode="after")
    def _lock_needs_trail(self) -> Self:
        if self.trail is TrailBasis.NONE and self.lock is not LockAt.NONE:
            raise ValueError("a static floor (trail 'none') cannot have a lock")
        if self.lock is LockAt.NONE and self.lock_offset != ZERO:
            raise ValueError("'lock_offset' needs 'lock = \"initial\"'")
        return self

    @property
    def code(self) -> str:
        """The mechanic's code, M1–M7."""
        if self.trail is TrailBasis.NONE:
            return "M1"
        if self.lock is LockAt.INITIAL and self.lock_offset > ZERO:
            return "M6"
        locked = self.lock is LockAt.INITIAL
        if self.trail is TrailBasis.END_OF_DAY_BALANCE:
            return "M3" if locked else "M2"
        if self.trail is TrailBasis.INTRADAY_EQUITY:
            return "M4" if locked else "M5"
        return "M7"

    def describe(self) -> str:
        """E.g. ``M3 2,000 trailing end_of_day_balance, locked at initial``."""
        if self.trail is TrailBasis.NONE:
            return f"M1 {self.amount.describe()} static"
        lock = ""
        if self.lock is LockAt.INITIAL:
            lock = ", locked at initial" + (f" + {self.lock_offset:,}" if self.lock_offset else "")
        trail = self.trail.value.replace("_", " ")
        return f"{self.code} {self.amount.describe()} trailing {trail}{lock}"


# --------------------------------------------------------------------------- limits


class ScalingStep(Spec):
    """From this much profit on, this many contracts may be held."""

    from_profit: NonNegativeDecimal
    max_contracts: Annotated[int, Field(gt=0)]


class TradeLossCap(Spec):
    """The most one trade may be down while open, as a share of a base.

    The base is the account size (``of = "initial"``: Blue Guardian's 1 % "Guardian Shield")
    or the profit at the start of the day (Apex's MAE rule: 30 %), never less than
    ``at_least`` (Apex: the drawdown while the profit is below it); ``raised_pct`` replaces
    ``pct`` once the day starts with more profit than ``raised_above``.
    """

    pct: Percent
    of: Literal["initial", "day_profit"] = "initial"
    at_least: Amount | None = Field(
        default=None, description="the base while the start-of-day profit is below it"
    )
    raised_pct: Percent | None = None
    raised_above: Amount | None = Field(
        default=None, description="the start-of-day profit above which raised_pct applies"
    )

    @model_validator(mode="after")
    def _raise_is_whole(self) -> Self:
        if (self.raised_pct is None) != (self.raised_above is None):
            raise ValueError("give 'raised_pct' and 'raised_above' together")
        if self.of == "initial" and (self.at_least is not None or self.raised_pct is not None):
            raise ValueError("'at_least' and 'raised_pct' apply to a base of 'day_profit'")
        return self

    def resolve(self, size: Decimal, day_profit: Decimal) -> Decimal:
        """The cap for an account of ``size`` whose day started ``day_profit`` in profit."""
        if self.of == "initial":
            return size * self.pct / HUNDRED
        base = max(day_profit, self.at_least.resolve(size) if self.at_least else ZERO)
        pct = self.pct
        if self.raised_above is not None and day_profit > self.raised_above.resolve(size):
            assert self.raised_pct is not None  # given together (the validator)
            pct = self.raised_pct
        return base * pct / HUNDRED

    def describe(self) -> str:
        """Human form, e.g. ``30% of start-of-day profit (at least of 2,500)``."""
        if self.of == "initial":
            return f"{self.pct}% of the account size"
        text = f"{self.pct}% of the start-of-day profit"
        if self.at_least is not None:
            text += f" (of at least {self.at_least.describe()})"
        if self.raised_above is not None:
            text += f", {self.raised_pct}% above a profit of {self.raised_above.describe()}"
        return text


class RiskEscalation(Spec):
    """A firm that holds an account to a lower open-risk cap after repeated violations
    (FundedNext: a second violation of its 3 % reclassifies the account to 1 %)."""

    after: Annotated[int, Field(ge=1)] = Field(
        description="the violation of max_open_risk from which the lower cap applies"
    )
    max_open_risk: Amount = Field(description="the cap from then on, as max_open_risk is given")


class Limits(Sourced):
    """Per-order and per-account size limits; a missing value means no such limit."""

    max_lots_per_order: dict[AssetClass, PositiveDecimal] = Field(default_factory=dict)
    max_total_lots: Amount | None = None
    lots_per_1k: PositiveDecimal | None = Field(
        default=None, description="total open lots per 1,000 of initial balance"
    )
    max_contracts: Amount | None = Field(
        default=None, description="absolute contracts across all products (long 2 + short 3 = 5)"
    )
    micros_per_contract: Annotated[int, Field(ge=1)] = Field(
        default=1,
        description="micro contracts that count as one contract (1: a micro is a full one)",
    )
    contract_weights: dict[Symbol, PositiveDecimal] = Field(
        default_factory=dict,
        description="contracts one lot of a product counts as, where the micro ratio is wrong",
    )

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty(
            handler(self),
            (
                "contract_weights",
                "one_trade_within_seconds",
                "one_trade_across_symbols",
                "max_trade_loss",
                "max_risk_to_reward",
                "risk_escalation",
            ),
        )

    contract_scaling: dict[int, list[ScalingStep]] = Field(
        default_factory=dict,
        description="per account size: contract allowance by end-of-day profit",
    )
    max_positions_per_symbol: Annotated[int, Field(gt=0)] | None = None
    max_open_positions: Annotated[int, Field(gt=0)] | None = None
    max_exposure_multiple: PositiveDecimal | None = Field(
        default=None, description="total notional over balance"
    )
    leverage: dict[AssetClass, PositiveDecimal] = Field(default_factory=dict)
    max_risk_per_trade: Amount | None = Field(
        default=None, description="loss to the stop of one trade; a percentage is of balance"
    )
    max_open_risk: Amount | None = Field(
        default=None, description="loss to the stops of all open trades; a percentage is of balance"
    )
    risk_of: Literal["balance", "initial"] = Field(
        default="balance",
        description="what a percentage of max_risk_per_trade and max_open_risk is of",
    )
    one_trade_within_seconds: Annotated[int, Field(gt=0)] | None = Field(
        default=None,
        description=(
            "positions on one symbol and side opened within this many seconds of each other"
            " count as one trade against max_risk_per_trade, as does a loss closed on them"
            " within it before a re-entry"
        ),
    )

    one_trade_across_symbols: bool = Field(
        default=False,
        description=(
            "every open position and pending entry, whatever its symbol, side or opening time,"
            " counts as one trade with a new entry against max_risk_per_trade (they can be"
            " stopped out together); losses closed within one_trade_within_seconds count too"
        ),
    )
    max_trade_loss: TradeLossCap | None = Field(
        default=None,
        description="the most one trade may be down while open: its loss to the stop",
    )
    max_risk_to_reward: PositiveDecimal | None = Field(
        default=None,
        description=(
            "the stop may be at most this many times as far from the entry as the take-profit"
            " (5: a 5:1 risk-reward cap); a trade without a take-profit is refused"
        ),
    )

    risk_escalation: RiskEscalation | None = Field(
        default=None,
        description="a lower max_open_risk once the account has violated it often enough",
    )

    @model_validator(mode="after")
    def _grouping_needs_a_cap(self) -> Self:
        if self.risk_escalation is not None and self.max_open_risk is None:
            raise ValueError("'risk_escalation' lowers 'max_open_risk', which is not given")
        if self.one_trade_within_seconds is not None and self.max_risk_per_trade is None:
            raise ValueError("'one_trade_within_seconds' groups trades for 'max_risk_per_trade'")
        if self.one_trade_across_symbols and self.max_risk_per_trade is None:
            raise ValueError("'one_trade_across_symbols' groups trades for 'max_risk_per_trade'")
        return self

    def contract_weight(self, symbol: str, is_micro: bool) -> Decimal:
        """Contracts one lot of ``symbol`` counts as against ``max_contracts``."""
        weight = self.contract_weights.get(symbol)
        if weight is not None:
            return weight
        return Decimal(1) / self.micros_per_contract if is_micro else Decimal(1)

    def in_force(self, violations: int) -> Limits:
        """The limits that hold after ``violations`` of the open-risk cap (escalated once the
        firm's count is reached)."""
        escalation = self.risk_escalation
        if escalation is None or violations < escalation.after:
            return self
        return self.model_copy(update={"max_open_risk": escalation.max_open_risk})

    def open_risk_cap(self, size: Decimal, balance: Decimal, violations: int) -> Decimal | None:
        """The open-risk cap in money after ``violations`` (``None``: the plan has none)."""
        cap = self.in_force(violations).max_open_risk
        return None if cap is None else cap.resolve(size, base=self.risk_base(size, balance))

    def risk_base(self, size: Decimal, balance: Decimal) -> Decimal:
        """The amount the risk percentages are of: the balance now, or the account size."""
        return size if self.risk_of == "initial" else balance

    @field_validator("contract_scaling")
    @classmethod
    def _steps_ascend(cls, value: dict[int, list[ScalingStep]]) -> dict[int, list[ScalingStep]]:
        for size, steps in value.items():
            profits = [step.from_profit for step in steps]
            if not steps or profits[0] != ZERO or profits != sorted(set(profits)):
                raise ValueError(
                    f"scaling steps for size {size:,} must start at profit 0 and rise strictly"
                )
        return value


# --------------------------------------------------------------------------- cross-account


class Permission(StrEnum):
    """Whether a cross-account pattern is allowed."""

    ALLOWED = "allowed"
    SAME_DIRECTION = "same_direction"  # copying allowed, but never opposite
    FORBIDDEN = "forbidden"
    UNKNOWN = "unknown"  # the firm does not say; treated as forbidden when enforcing


class CapScope(StrEnum):
    """Who an allocation cap is counted for."""

    TRADER = "trader"
    STRATEGY = "strategy"
    TRADER_OR_STRATEGY = "trader_or_strategy"


class AllocationCap(Spec):
    """The most capital one trader (or one strategy) may run at the firm."""

    amount: PositiveDecimal
    currency: CurrencyCode = "USD"
    equivalents: dict[CurrencyCode, PositiveDecimal] = Field(
        default_factory=dict,
        description="the cap in other account currencies, as the firm lists it",
    )
    scope: CapScope = CapScope.TRADER
    phases: list[PhaseKind] = Field(default_factory=lambda: [PhaseKind.FUNDED, PhaseKind.LIVE])

    def in_currency(self, code: str) -> Decimal | None:
        """The cap for an account in ``code``, or ``None`` when the firm gives no equivalent."""
        if code == self.currency:
            return self.amount
        return self.equivalents.get(code)


class AccountCountCap(Spec):
    """The most accounts one trader (or household) may hold in these phases."""

    count: Annotated[int, Field(gt=0)]
    phases: list[PhaseKind] = Field(default_factory=lambda: [PhaseKind.FUNDED])
    per: Literal["trader", "household"] = "trader"


class CopyPolicy(Spec):
    """Copy trading between account types, as a matrix."""

    evaluation_to_evaluation: Permission = Permission.UNKNOWN
    funded_to_funded: Permission = Permission.UNKNOWN
    funded_to_evaluation: Permission = Permission.UNKNOWN
    evaluation_to_funded: Permission = Permission.UNKNOWN
    personal_to_firm: Permission = Permission.UNKNOWN
    firm_to_personal: Permission = Permission.UNKNOWN
    other_person: Permission = Permission.FORBIDDEN
    cap: PositiveDecimal | None = Field(
        default=None, description="total balance copying may cover (FundedNext: 300,000)"
    )


class CrossAccountRules(Sourced):
    """Rules across one trader's accounts at the firm."""

    hedging_across_accounts: Permission
    hedging_within_account: Permission = Permission.ALLOWED
    equivalent_symbols: list[list[str]] = Field(
        default_factory=list, description="groups that count as one instrument, e.g. ES and MES"
    )
    correlated_groups: list[list[str]] = Field(
        default_factory=list,
        description="different products whose opposite positions the firm also counts as a"
        " hedge, e.g. ES and NQ (Apex: 'the same or correlated markets')",
    )
    mini_and_micro_together: Permission = Field(
        default=Permission.ALLOWED,
        description="holding a product's full-size and micro future at once in one account",
    )
    allocation_cap: AllocationCap | None = None
    account_cap: AccountCountCap | None = None
    identical_trading_cap: PositiveDecimal | None = Field(
        default=None, description="capital above which identical trades across accounts are banned"
    )
    copy_trading: CopyPolicy | None = None

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = _without_empty(handler(self), ("correlated_groups",))
        if data.get("mini_and_micro_together") in (Permission.ALLOWED, Permission.ALLOWED.value):
            data.pop("mini_and_micro_together")
        return data

    @property
    def cap_currency(self) -> str:
        """The currency of the capital caps given as a bare amount (identical trading, copy
        capital): the allocation cap's, or USD when the firm lists none."""
        return self.allocation_cap.currency if self.allocation_cap is not None else "USD"

    def capital(self, size: Decimal, currency: str) -> Decimal | None:
        """An account of ``size`` in ``currency`` counted in :attr:`cap_currency`, by the firm's
        listed equivalents of its allocation cap; ``None`` when the firm lists none for it."""
        if currency == self.cap_currency:
            return size
        cap = self.allocation_cap
        listed = cap.equivalents.get(currency) if cap is not None else None
        # The firm's own ratio (e.g. FTMO 400,000 USD = 320,000 EUR), not a market rate.
        return None if cap is None or listed is None else size * cap.amount / listed


# --------------------------------------------------------------------------- informational


class TradingDayRule(StrEnum):
    """What makes a day count towards minimum trading days."""

    POSITION_OPENED = "position_opened"
    ANY_TRADE = "any_trade"
    PROFITABLE_DAY = "profitable_day"
    POSITION_HELD = "position_held"


class PhaseObjective(Spec):
    """Target and day counts of one phase."""

    target: Amount | None = None
    min_trading_days: Annotated[int, Field(ge=0)] | None = None
    time_limit_days: Annotated[int, Field(gt=0)] | None = None
    min_profitable_day: Amount | None = Field(
        default=None, description="closed profit a day needs to count as profitable"
    )


class Objectives(Sourced):
    """Profit targets and minimum days, per phase."""

    target_on: Literal["closed_balance_flat", "balance", "equity"] = "balance"
    trading_day: TradingDayRule = TradingDayRule.ANY_TRADE
    phases: dict[Slug, PhaseObjective]


class ConsistencyRule(Sourced):
    """Best day ÷ profit must stay at or below a share.

    The profit is the total net profit, the sum of the positive days, or the phase's profit
    target (``denominator``); counted since the phase began or since its latest payout
    (``window``). ``after_payouts`` raises or lowers the share with each payout made.
    """

    max_best_day_pct: Percent = Field(description="the share before the first payout")
    denominator: Literal["total_profit", "positive_days", "profit_target"] = "total_profit"
    window: Literal["since_start", "since_last_payout"] = "since_start"
    gate: Literal["pass", "payout"]
    effect: Literal["blocks", "raises_target", "excludes_excess"] = "blocks"
    strict: bool = Field(default=False, description="true: the share must be strictly below")
    phases: list[PhaseKind | Slug] = Field(default_factory=list, description="empty: every phase")
    after_payouts: list[Percent] = Field(
        default_factory=list,
        description="the share after the 1st, 2nd, … payout (the last repeats);"
        " empty: max_best_day_pct throughout",
    )

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty(handler(self), ("after_payouts",))

    @model_validator(mode="after")
    def _ladder_follows_payouts(self) -> Self:
        # A share by payout number only moves when payouts are made: on a pass gate it
        # would never leave its first rung.
        if self.after_payouts and self.gate != "payout":
            raise ValueError("'after_payouts' needs gate = \"payout\"")
        return self

    def limit_after(self, payouts: int) -> Decimal:
        """The share that applies once ``payouts`` payouts were made in the phase."""
        if payouts <= 0 or not self.after_payouts:
            return self.max_best_day_pct
        return self.after_payouts[min(payouts, len(self.after_payouts)) - 1]


class Impact(StrEnum):
    """How much a release moves markets, as economic calendars grade it (red is high)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for low, 1 for medium, 2 for high."""
        return ("low", "medium", "high").index(self.value)


class NewsTarget(Spec):
    """The instruments a named release touches, in place of those of its currency."""

    symbols: list[Symbol] = Field(default_factory=list)
    asset_classes: list[AssetClass] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_something(self) -> Self:
        if not (self.symbols or self.asset_classes):
            raise ValueError("give 'symbols' or 'asset_classes'")
        return self


class NewsRule(Sourced):
    """A window around listed releases in which some actions are restricted.

    Which releases count: the named ``events`` when there are any (``fomc``, ``nfp``, ``cpi``,
    ``eia_crude``, ...), otherwise every release of at least ``impact`` (unset: high). Which
    instruments one touches: its ``event_targets`` entry, else every instrument with ``scope``
    ``all``, else (``targeted``) the instruments quoted in or based on the release's currency.
    """

    before_minutes: Annotated[int, Field(ge=0)]
    after_minutes: Annotated[int, Field(ge=0)]
    scope: Literal["targeted", "all"] = "targeted"
    actions: list[Literal["open", "close", "pending", "stop_fill", "hold"]]
    effect: Literal["breach", "profit_removed", "profit_scaled", "profit_deducted"]
    profit_share: Annotated[Decimal, Field(ge=0, le=1)] | None = None
    phases: list[PhaseKind | Slug] = Field(default_factory=list, description="empty: every phase")
    impact: Impact | None = Field(
        default=None, description="the lowest impact that counts (unset: high)"
    )
    events: list[Slug] = Field(
        default_factory=list, description="named releases that count, whatever their impact"
    )
    event_targets: dict[Slug, NewsTarget] = Field(
        default_factory=dict,
        description="per named release, the instruments it touches instead of its currency's",
    )

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty(handler(self), ("impact", "events", "event_targets"))

    @model_validator(mode="after")
    def _targets_named(self) -> Self:
        unknown = sorted(set(self.event_targets) - set(self.events))
        if unknown:
            raise ValueError(f"'event_targets' names {unknown}, which are not in 'events'")
        return self

    @property
    def lowest_impact(self) -> Impact:
        """The lowest impact of a release that counts when no events are named."""
        return self.impact or Impact.HIGH


class SessionRules(Sourced):
    """Holding rules: weekends, overnight, a time to be flat by, inactivity."""

    weekend_holding: bool = True
    overnight_holding: bool = True
    flat_by: Clock | None = None
    inactivity_days: Annotated[int, Field(gt=0)] | None = None
    phases: list[PhaseKind | Slug] = Field(default_factory=list, description="empty: every phase")


# --------------------------------------------------------------------------- instruments

InstrumentKind = Literal["spot", "cfd", "future"]


class InstrumentRules(Sourced):
    """What a firm or plan lets its accounts trade.

    A symbol is allowed when it is listed in ``symbols``, or when its kind and asset class are
    both allowed (an empty list allows any); a symbol in ``excluded`` never is.
    """

    kinds: list[InstrumentKind] = Field(default_factory=list, description="empty: any kind")
    asset_classes: list[AssetClass] = Field(
        default_factory=list, description="empty: any asset class"
    )
    symbols: list[Symbol] = Field(
        default_factory=list, description="allowed whatever their kind and asset class"
    )
    excluded: list[Symbol] = Field(default_factory=list, description="never allowed")

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if not (self.kinds or self.asset_classes or self.symbols):
            raise ValueError("give at least one of 'kinds', 'asset_classes' or 'symbols'")
        return self

    def allows(self, symbol: str, kind: str, asset_class: AssetClass) -> bool:
        """True when an instrument of this symbol, kind and asset class may be traded."""
        if symbol in self.excluded:
            return False
        if symbol in self.symbols:
            return True
        if not (self.kinds or self.asset_classes):
            return False  # only the listed symbols
        kind_ok = not self.kinds or kind in self.kinds
        return kind_ok and (not self.asset_classes or asset_class in self.asset_classes)

    def describe(self) -> str:
        """E.g. ``future of index, energy`` or ``cfd, spot; also ES``."""
        parts = []
        if self.kinds or self.asset_classes:
            kinds = ", ".join(self.kinds) if self.kinds else "any kind"
            classes = ", ".join(c.value for c in self.asset_classes) or "any asset class"
            parts.append(f"{kinds} of {classes}")
        if self.symbols:
            parts.append(("also " if parts else "only ") + ", ".join(self.symbols))
        if self.excluded:
            parts.append("not " + ", ".join(self.excluded))
        return "; ".join(parts)


# --------------------------------------------------------------------------- options


class OptionTarget(StrEnum):
    """The rule value a plan option sets."""

    DAILY_LOSS_PCT = "daily_loss.amount.pct"
    MAX_LOSS_PCT = "max_loss.amount.pct"


class PlanOption(Sourced):
    """A rule value the trader chooses at checkout; an account that chose none has ``default``."""

    sets: OptionTarget
    choices: Annotated[list[Percent], Field(min_length=1)]
    default: Percent

    @model_validator(mode="after")
    def _default_is_a_choice(self) -> Self:
        if self.default not in self.choices:
            raise ValueError(f"the default {self.default} is not one of the choices")
        return self


# --------------------------------------------------------------------------- cash flows


class FloorReaction(StrEnum):
    """How a floor moves when cash is paid in or out."""

    NONE = "none"  # the floor stays where it is (a payout brings the balance nearer to it)
    RE_ANCHOR = "re_anchor"  # it moves by the cash flow: the distance to the balance is kept


class PayoutFloor(StrEnum):
    """What a payout does to the maximum-loss floor once it triggers the rule."""

    KEEP = "keep"  # nothing beyond the reaction
    LOCK_AT_INITIAL = "lock_at_initial"  # the floor stops at the starting balance (FXIFY)
    SET = "set"  # the floor is set to ``floor_value`` (Topstep XFA: 0)


class CashFlowRules(Sourced):
    """What deposits, payouts and fees do to an account's floors, and what a payout needs.

    A cash flow is never trading P&L: peaks and the day anchor are re-anchored by it. The
    daily floor hangs from the day anchor, so with ``daily = "re_anchor"`` it moves with the
    flow; with ``"none"`` the anchor keeps its level until the next reset. The maximum-loss
    floor is the trading floor moved by the net flow (``re_anchor``) or not (``none``); the
    ``on_payout`` rule may then fix it, from the ``after_payouts``-th payout (or request).
    """

    daily: FloorReaction = FloorReaction.RE_ANCHOR
    max_loss: FloorReaction = FloorReaction.NONE
    on_payout: PayoutFloor = PayoutFloor.KEEP
    trigger: Literal["payout_requested", "payout"] = "payout"
    after_payouts: Annotated[int, Field(ge=1)] = 1
    floor_value: Decimal | None = Field(
        default=None, description="the level a 'set' payout rule gives the max-loss floor"
    )
    close_when_profit_withdrawn: bool = Field(
        default=False, description="a payout that leaves no profit closes the account"
    )
    payout_buffer: Amount | None = Field(
        default=None,
        description="profit above the starting balance that must remain after a payout",
    )
    starting_balance: NonNegativeDecimal | None = Field(
        default=None, description="the balance the account starts at, when not its size"
    )
    payout_caps: list[Amount] = Field(
        default_factory=list,
        description=(
            "the most each payout may be, by its number: the first entry caps the first"
            " payout; payouts past the list are not capped"
        ),
    )

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty(handler(self), ("payout_caps",))

    def payout_cap(self, number: int, size: Decimal) -> Decimal | None:
        """The most payout ``number`` (from 1) of an account of ``size`` may be (``None``: no cap).

        A percentage is of the account's size.
        """
        if number < 1 or number > len(self.payout_caps):
            return None
        return self.payout_caps[number - 1].resolve(size)

    @model_validator(mode="after")
    def _floor_value_for_set(self) -> Self:
        if self.on_payout is PayoutFloor.SET and self.floor_value is None:
            raise ValueError("on_payout = 'set' needs a 'floor_value'")
        if self.on_payout is not PayoutFloor.SET and self.floor_value is not None:
            raise ValueError("'floor_value' needs on_payout = 'set'")
        if self.floor_value is not None and not self.floor_value.is_finite():
            raise ValueError("'floor_value' must be a finite number")
        return self

    def describe(self) -> str:
        """E.g. ``daily re_anchor; max loss none; set to 0 after payout 1``."""
        parts = [f"daily {self.daily.value}", f"max loss {self.max_loss.value}"]
        when = f"{self.trigger.replace('_', ' ')} {self.after_payouts}"
        if self.on_payout is PayoutFloor.LOCK_AT_INITIAL:
            parts.append(f"locked at initial on {when}")
        elif self.on_payout is PayoutFloor.SET:
            parts.append(f"set to {self.floor_value} after {when}")
        if self.close_when_profit_withdrawn:
            parts.append("closed when all profit is withdrawn")
        if self.payout_buffer is not None:
            parts.append(f"payout buffer {self.payout_buffer.describe()}")
        if self.starting_balance is not None:
            parts.append(f"balance starts at {self.starting_balance:,}")
        if self.payout_caps:
            caps = ", ".join(
                f"#{n} {cap.describe(of='size')}" for n, cap in enumerate(self.payout_caps, 1)
            )
            parts.append(f"payout caps {caps}")
        return "; ".join(parts)


# --------------------------------------------------------------------------- plans and firms


class PlanOverride(Spec):
    """Rule blocks that differ in one phase of a plan."""

    daily_loss: DailyLossRule | None = None
    max_loss: MaxLossRule | None = None
    floating_loss: FloatingLossRule | None = None
    limits: Limits | None = None
    cash_flows: CashFlowRules | None = None


class Plan(Spec):
    """A plan: one program under one rulebook version, sold in some sizes."""

    id: Slug
    name: Text
    rulebook_version: Text
    effective_from: dt.date | None = None
    status: Literal["active", "legacy", "retired"] = "active"
    currency: CurrencyCode = "USD"
    sizes: Annotated[list[Annotated[int, Field(gt=0)]], Field(min_length=1)]
    phases: Annotated[list[Phase], Field(min_length=1)]
    reset: Clock | None = None
    daily_loss: DailyLossRule
    max_loss: MaxLossRule
    floating_loss: FloatingLossRule | None = None
    limits: Limits | None = None
    cash_flows: CashFlowRules | None = Field(
        default=None, description="what cash flows do to the floors (default: re-anchor daily)"
    )
    cross_account: CrossAccountRules | None = None
    objectives: Objectives | None = None
    consistency: list[ConsistencyRule] = Field(default_factory=list)
    news: list[NewsRule] = Field(default_factory=list)
    sessions: list[SessionRules] = Field(default_factory=list)
    instruments: InstrumentRules | None = Field(
        default=None, description="replaces the firm's instruments for this plan"
    )
    options: dict[Slug, PlanOption] = Field(
        default_factory=dict, description="rule values chosen per account at checkout"
    )
    overrides: dict[Slug, PlanOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _phases_known(self) -> Self:
        ids = [phase.id for phase in self.phases]
        if len(set(ids)) != len(ids):
            raise ValueError("phase ids must be unique")
        for where, names in (
            ("overrides", list(self.overrides)),
            ("objectives.phases", list(self.objectives.phases) if self.objectives else []),
        ):
            unknown = sorted(set(names) - set(ids))
            if unknown:
                raise ValueError(f"{where} names unknown phases {unknown}; phases: {ids}")
        for name, option in self.options.items():
            block = self.daily_loss if option.sets is OptionTarget.DAILY_LOSS_PCT else self.max_loss
            pct = block.amount.pct if block.amount is not None else None
            # The plan's own value is the default, so an account without a choice gets it.
            if pct != option.default:
                raise ValueError(
                    f"option {name!r} sets {option.sets.value}, which is {pct} in the plan,"
                    f" not its default {option.default}"
                )
        return self

    def phase(self, phase_id: str) -> Phase:
        """Return the phase ``phase_id`` or raise :class:`UnknownPhase`."""
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        known = ", ".join(p.id for p in self.phases)
        raise UnknownPhase(f"plan {self.id!r} has no phase {phase_id!r}; phases: {known}")


class Firm(Spec):
    """A prop firm: its default reset clock, firm-wide cross-account rules, and plans."""

    id: Slug
    name: Text
    website: str | None = None
    status: Literal["active", "defunct"] = "active"
    reset: Clock
    cross_account: CrossAccountRules | None = None
    instruments: InstrumentRules | None = Field(
        default=None, description="what the firm's accounts may trade, unless a plan says"
    )
    plans: list[Plan] = Field(default_factory=list)
    symbol_aliases: dict[Symbol, Symbol] = Field(
        default_factory=dict,
        description="the firm's broker symbols (keys) for ARIA's instruments (values), e.g."
        " {'US30.CASH': 'US30'}; an account's own aliases win over them",
    )

    @model_validator(mode="after")
    def _unique_plans(self) -> Self:
        keys = [(plan.id, plan.rulebook_version) for plan in self.plans]
        duplicates = sorted({f"{p} ({v})" for p, v in keys if keys.count((p, v)) > 1})
        if duplicates:
            raise ValueError(f"plans listed twice: {', '.join(duplicates)}")
        return self


def applies_to(phases: list[PhaseKind | str], phase: Phase) -> bool:
    """True when a list of phase ids or kinds (empty: all) covers ``phase``."""
    if not phases:
        return True
    return any(entry in (phase.id, phase.kind) for entry in phases)
