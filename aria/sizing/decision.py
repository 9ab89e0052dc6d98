"""The decision: what was approved or rejected, why, and a hash to replay it by.

Reject codes are stable and machine-readable; clients switch on them. A rejected decision
has ``lots`` 0 and at least one code; an approved one has none.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RejectCode(StrEnum):
    """Why a trade must not be placed."""

    DAILY_LOSS_HEADROOM = "daily_loss_headroom"
    MAX_LOSS_HEADROOM = "max_loss_headroom"
    FLOATING_LOSS_HEADROOM = "floating_loss_headroom"
    MAX_POSITIONS_PER_SYMBOL = "max_positions_per_symbol"
    MAX_OPEN_POSITIONS = "max_open_positions"
    MAX_TOTAL_LOTS = "max_total_lots"
    MAX_CONTRACTS = "max_contracts"
    MAX_OPEN_RISK = "max_open_risk"
    MAX_TRADE_LOSS = "max_trade_loss"
    REWARD_TO_RISK = "reward_to_risk"
    MAX_EXPOSURE = "max_exposure"
    MARGIN = "margin"
    BELOW_MIN_LOT = "below_min_lot"
    BELOW_MIN_NOTIONAL = "below_min_notional"
    CROSS_ACCOUNT_HEDGE = "cross_account_hedge"
    HEDGING_WITHIN_ACCOUNT = "hedging_within_account"
    MINI_MICRO_MIX = "mini_micro_mix"
    ALLOCATION_CAP = "allocation_cap"
    ACCOUNT_CAP = "account_cap"
    COPY_FORBIDDEN = "copy_forbidden"
    IDENTICAL_TRADING_CAP = "identical_trading_cap"
    STALE_DATA = "stale_data"
    HALTED = "halted"
    ACCOUNT_ARCHIVED = "account_archived"
    ACCOUNT_CLOSED = "account_closed"
    REDUCING_ONLY = "reducing_only"
    MISSING_CONVERSION_RATE = "missing_conversion_rate"
    STOP_TOO_CLOSE = "stop_too_close"
    NO_EDGE = "no_edge"
    NOTHING_TO_REDUCE = "nothing_to_reduce"
    INSTRUMENT_NOT_ALLOWED = "instrument_not_allowed"
    CONSISTENCY_CAP = "consistency_cap"
    NEWS_WINDOW = "news_window"
    MARKET_CLOSED = "market_closed"
    FLAT_BY_WINDOW = "flat_by_window"
    WEEKEND_CLOSE = "weekend_close"
    OVERNIGHT_HOLD = "overnight_hold"


class Factor(BaseModel):
    """One adjustment of the size, with the reason a trader can read."""

    model_config = ConfigDict(frozen=True)

    value: Decimal
    reason: str


class LimitCheck(BaseModel):
    """A limit the size was checked against: the most lots it allows."""

    model_config = ConfigDict(frozen=True)

    name: str
    max_lots: Decimal
    reason: str


class HeadroomView(BaseModel):
    """The headroom the decision was taken against."""

    model_config = ConfigDict(frozen=True)

    available: Decimal
    binding: str
    floors: dict[str, Decimal]
    open_risk: Decimal
    reserved: Decimal
    buffer: Decimal


class Decision(BaseModel):
    """The answer to one trade request for one account."""

    model_config = ConfigDict(frozen=True)

    status: Literal["approved", "rejected"]
    account_id: str
    symbol: str
    side: str
    lots: Decimal
    risk_amount: Decimal = Field(
        description="loss at the stop for these lots, with costs, account currency"
    )
    notional: Decimal
    margin: Decimal
    currency: str
    entry: Decimal
    stop: Decimal | None
    take_profit: Decimal | None
    method: str
    base_lots: Decimal
    target_lots: Decimal = Field(description="after factors and personality, before limits")
    target_notional: Decimal
    target_risk: Decimal
    factors: dict[str, Factor]
    combined_factor: Decimal
    personality: Decimal
    limits: list[LimitCheck]
    binding: str | None
    reject_codes: list[RejectCode]
    reasons: list[str]
    headroom: HeadroomView | None
    input_hash: str
    profile: str
    rulebook: str
    swing_amount: Decimal | None = Field(
        default=None,
        description="take-profit back to the stop for these lots: what a floor that follows"
        " equity can take back (none without a take-profit)",
    )
    engine: int = Field(
        default=1, description="the version of the sizing rules that decided (replay needs it)"
    )

    @property
    def approved(self) -> bool:
        """True when the trade may be placed."""
        return self.status == "approved"
