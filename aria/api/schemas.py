"""Response bodies of the API (requests are the service's commands)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from accounts.model import TradingState
from aria.sizing import decision as domain
from aria.sizing.decision import RejectCode


class Out(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(frozen=True)


class ErrorBody(Out):
    """What went wrong."""

    code: str
    message: str
    fields: list[dict[str, str]] | None = None


class ErrorOut(Out):
    """An error answer."""

    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (401, "no API key, or an unknown, wrong or revoked one"),
        (403, "the key lacks the scope, or may not act on this account"),
        (404, "an unknown id"),
        (409, "a conflict with stored state"),
        (422, "invalid input; the message names the field"),
        (429, "too many requests; retry after the time in Retry-After"),
        (
            503,
            "the database is unavailable: nothing was written, or — when the connection failed"
            " during the commit — the outcome is unknown: retry with the same request_id",
        ),
    )
}


class Factor(Out):
    """One adjustment of the size, with the reason a trader can read."""

    value: Decimal
    reason: str


class LimitCheck(Out):
    """A limit the size was checked against: the most lots it allows."""

    name: str
    max_lots: Decimal
    reason: str


class HeadroomView(Out):
    """The headroom the decision was taken against."""

    available: Decimal
    binding: str
    floors: dict[str, Decimal]
    open_risk: Decimal
    reserved: Decimal
    buffer: Decimal


# The API's own copy of the domain decision, so that the public contract changes only on
# purpose; its docstring is the OpenAPI description the domain's always had.
class Decision(Out):
    """The answer to one trade request for one account."""

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

    @classmethod
    def of(cls, decision: domain.Decision) -> Decision:
        """The body of a domain decision, built without validating it again (it was valid)."""
        return cls.model_construct(**decision_fields(decision))


def decision_fields(decision: domain.Decision) -> dict[str, Any]:
    """The fields of a domain decision as the API's models, in the API's field order."""
    headroom = decision.headroom
    return {
        **{name: getattr(decision, name) for name in Decision.model_fields},
        "factors": {
            name: Factor.model_construct(value=f.value, reason=f.reason)
            for name, f in decision.factors.items()
        },
        "limits": [
            LimitCheck.model_construct(name=c.name, max_lots=c.max_lots, reason=c.reason)
            for c in decision.limits
        ],
        "reject_codes": list(decision.reject_codes),
        "reasons": list(decision.reasons),
        "headroom": None
        if headroom is None
        else HeadroomView.model_construct(
            available=headroom.available,
            binding=headroom.binding,
            floors=dict(headroom.floors),
            open_risk=headroom.open_risk,
            reserved=headroom.reserved,
            buffer=headroom.buffer,
        ),
    }


class DecisionOut(Decision):
    """A decision with the id of its stored record."""

    decision_id: str

    @classmethod
    def stored(cls, decision_id: str, decision: domain.Decision) -> DecisionOut:
        """The body of a decision and its record's id, built without validating it again."""
        return cls.model_construct(**decision_fields(decision), decision_id=decision_id)


class SizingOut(Out):
    """The decisions of one sizing request, one per account."""

    request_id: str
    replayed: bool = Field(description="true when the request id had been answered before")
    decisions: list[DecisionOut]


class PreviewRowOut(Out):
    """What sizing would answer for one account now."""

    account_id: str
    status: str
    lots: Decimal
    reject_codes: list[RejectCode]
    binding: str | None


class PreviewOut(Out):
    """A preview: nothing was reserved or recorded; sizing later may answer otherwise."""

    as_of: dt.datetime
    accounts: list[PreviewRowOut]


class CancelOut(Out):
    """A released reservation."""

    decision_id: str
    account_id: str
    cancelled: bool = True


class FloorsOut(Out):
    """The floors that bound an account's equity."""

    daily_loss: Decimal | None
    max_loss: Decimal
    floating_loss: Decimal | None


class HeadroomOut(Out):
    """The loss the account can still take."""

    available: Decimal
    binding: str
    distances: dict[str, Decimal]
    open_risk: Decimal
    reserved: Decimal
    buffer: Decimal
    unbounded: list[str]


class DayOut(Out):
    """The account's trading day."""

    trading_day: dt.date
    started_at: dt.datetime
    ends_at: dt.datetime
    floor: Decimal | None
    pnl: Decimal


class ConsistencyOut(Out):
    """Where the account stands against a best-day rule."""

    limit_pct: Decimal
    best_day: dt.date | None
    best_day_profit: Decimal
    profit: Decimal = Field(
        description="the rule's denominator: total profit, positive days or the profit target"
    )
    share_pct: Decimal | None
    satisfied: bool
    profit_needed: Decimal = Field(description="more profit that brings the share within the limit")
    denominator: str = Field(description="total_profit, positive_days or profit_target")
    over_cap: Decimal = Field(description="how much the best day exceeds limit × denominator")
    window_start: dt.datetime | None = Field(
        description="the payout the rule's window restarted at, if it restarts at payouts"
    )
    summary: str = Field(description="the share against the limit, and what is still needed")


class ObjectivesOut(Out):
    """Progress towards the phase's objectives; trading profit excludes deposits and payouts."""

    phase: str
    started: dt.datetime | None = Field(description="when the phase began in ARIA")
    target: Decimal | None
    target_on: str | None
    profit: Decimal | None
    to_target: Decimal | None
    target_reached: bool | None
    trading_days: int
    min_trading_days: int | None
    days_needed: int
    time_limit_days: int | None
    ends_at: dt.datetime | None
    expired: bool
    consistency: list[ConsistencyOut]
    passed: bool


class SessionWindowOut(Out):
    """The next window in which sizing refuses the account's new entries (flat-by, weekend
    or overnight rules, or the market's closes), judged for one symbol."""

    symbol: str
    calendar: str = Field(description="the symbol's trading calendar (always: never closes)")
    starts_at: dt.datetime | None = Field(
        description="from when entries are refused (now when they already are); null: no"
        " window in the next four days"
    )
    codes: list[str]
    reasons: list[str]


class RiskOut(Out):
    """Floors, headroom, trading state, as-of time and phase objectives of an account."""

    account_id: str
    rulebook: str
    trading: TradingState
    as_of: dt.datetime | None
    balance: Decimal | None
    equity: Decimal | None
    floors: FloorsOut | None
    headroom: HeadroomOut | None
    day: DayOut | None
    objectives: ObjectivesOut
    open_risk_cap: Decimal | None = Field(
        default=None,
        description="the firm's open-risk cap in force (lower after repeated violations)",
    )
    risk_violations: int = Field(
        default=0, description="violations of the firm's open-risk cap so far"
    )
    news_window: NewsWindowOut | None = Field(
        default=None,
        description="the next news window of the account's firm rules within 7 days (none: no"
        " rule in its phase, or no release in the calendar)",
    )
    session: SessionWindowOut | None = None


class NewsWindowOut(Out):
    """A firm's news window around one release: which, when, and what it restricts."""

    event_id: str
    title: str
    currency: str
    impact: str
    at: dt.datetime
    start: dt.datetime
    end: dt.datetime
    actions: list[str]
    effect: str


class StateOut(Out):
    """What a state push changed."""

    account_id: str
    trading: TradingState
    floors: FloorsOut
    breaches: list[dict[str, Any]]
    events: list[str]
    reservations_matched: int


class CashFlowOut(Out):
    """What a cash flow changed: the account's trading state, balance, ledger and floors."""

    account_id: str
    trading: TradingState
    balance: Decimal | None = Field(description="the latest state's balance, moved by the flow")
    net_cash_flow: Decimal
    payouts: int
    payout_requests: int
    fixed_max_loss_floor: Decimal | None = Field(
        description="a maximum-loss floor a payout rule fixed, if one has"
    )
    floors: FloorsOut | None
    events: list[str]


class CountOut(Out):
    """How many records a call stored."""

    stored: int


class BarsOut(CountOut):
    """Bars stored, Sunday stubs merged into Monday or dropped, and outliers stored as asked."""

    merged: int
    dropped: int
    outliers: list[str]
    volatility: int = 0  # symbols whose ATR and regime were computed after the import
    correlations: int = 0  # correlation matrices computed after the import


class PlanOut(Out):
    """One plan of a firm, in short."""

    id: str
    name: str
    rulebook_version: str
    status: str
    sizes: list[int]
    phases: list[str]
    daily_loss: str
    max_loss: str


class FirmOut(Out):
    """A firm and its plans, in short."""

    id: str
    name: str
    status: str
    reset: str
    plans: list[PlanOut]


class DecisionRecordOut(Out):
    """A stored decision in an audit query."""

    decision_id: str
    request_id: str
    account_id: str
    seq: int
    created_at: dt.datetime
    decision: Decision


class EventOut(Out):
    """A rule event."""

    event_id: str
    account_id: str
    seq: int
    kind: str
    at: dt.datetime
    actor: str
    reason: str
    detail: dict[str, Any]


T = TypeVar("T")


class PageOut(Out, Generic[T]):
    """A page of records and the cursor of the next page."""

    items: list[T]
    next_cursor: str | None


class HeadOut(Out):
    """One account's chain head: how many records it held and the hash of the last."""

    account_id: str
    count: int
    head: str


class SignatureOut(Out):
    """How a checkpoint is signed."""

    algorithm: str = Field(description="HMAC-SHA256 under ARIA_AUDIT_KEY")
    value: str


class CheckpointOut(Out):
    """A digest of every chain head, to keep outside the database (``aria audit verify
    --against``)."""

    format: str
    taken_at: dt.datetime
    heads: list[HeadOut]
    signature: SignatureOut | None = Field(
        description="null when ARIA_AUDIT_KEY is not set: the checkpoint is unsigned"
    )


class VerifyOut(Out):
    """The outcome of an audit verification."""

    ok: bool
    accounts: int
    decisions: int = Field(description="decisions replayed exactly")
    older: int = Field(
        default=0,
        description="decisions made under earlier sizing rules: chained and fingerprinted,"
        " not replayed",
    )
    problem: str | None


class HealthOut(Out):
    """Whether ARIA can answer."""

    status: str
    database: str
    scheduler_heartbeat_age_seconds: float | None
