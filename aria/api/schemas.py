"""Response bodies of the API (requests are the service's commands)."""

# Annotations are evaluated at import: FastAPI resolves them lazily, and a test clock
# (freezegun) must not be able to swap the datetime type underneath it.
import datetime as dt
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from accounts.model import TradingState
from aria.sizing.decision import Decision, RejectCode


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


class DecisionOut(Decision):
    """A decision with the id of its stored record."""

    decision_id: str


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


class RiskOut(Out):
    """Floors, headroom, trading state and as-of time of an account."""

    account_id: str
    rulebook: str
    trading: TradingState
    as_of: dt.datetime | None
    balance: Decimal | None
    equity: Decimal | None
    floors: FloorsOut | None
    headroom: HeadroomOut | None
    day: DayOut | None


class StateOut(Out):
    """What a state push changed."""

    account_id: str
    trading: TradingState
    floors: FloorsOut
    breaches: list[dict[str, Any]]
    events: list[str]
    reservations_matched: int


class CountOut(Out):
    """How many records a call stored."""

    stored: int


class BarsOut(CountOut):
    """Bars stored, Sunday stubs merged into Monday or dropped, and outliers stored as asked."""

    merged: int
    dropped: int
    outliers: list[str]


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
