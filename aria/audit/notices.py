"""Notifications as values: subscriptions, outbox rows, the payload and its signature.

Pure: the payload is built, signed and verified here with the standard library only, so a
receiver can import :func:`verify_signature` (re-exported by ``aria.notifications``)
without the rest of ARIA's dependencies mattering. Sending lives in ``aria.notifications``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Channel = Literal["webhook", "apprise"]
Status = Literal["pending", "sending", "delivered", "failed"]

# Kinds of rule event a trader is alerted to: the dashboard's "latest alerts" and what a
# subscription receives unless it names its own kinds.
DEFAULT_KINDS: tuple[str, ...] = (
    "alert",
    "alert_reducing",
    "breach",
    "reducing",
    "risk_violation",
    "account_closed",
    "must_flatten",
    "flat_by_warning",
    "news_ahead",
    "inactivity",
    "compliance_finding",
)
TEST_KIND = "test"
SIGNATURE_TOLERANCE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class Subscription:
    """Where one owner's (``None``: every owner's) events of some kinds are sent."""

    id: str
    owner: str | None
    kinds: tuple[str, ...]
    channel: Channel
    target: str  # the webhook URL or the apprise URL
    secret: str | None  # signs webhook deliveries; never shown again after creation
    created_at: dt.datetime

    def wants(self, kind: str, owner: str) -> bool:
        """True when an event of ``kind`` on an account of ``owner`` goes to this one."""
        return kind in self.kinds and (self.owner is None or self.owner == owner)

    @property
    def shown_target(self) -> str:
        """The target with anything after the scheme's host cut short (apprise URLs hold
        tokens)."""
        if self.channel == "webhook":
            return self.target
        scheme, _, rest = self.target.partition("://")
        return f"{scheme}://{rest[:4]}…" if rest else self.target


@dataclass(frozen=True, slots=True)
class Notice:
    """One event as delivered: what the payload says."""

    event_id: str
    kind: str
    account_id: str
    owner: str
    at: dt.datetime
    detail: Mapping[str, Any]
    reason: str

    @property
    def message(self) -> str:
        """One line for a trader: the event's own message, or its kind, account and reason."""
        given = self.detail.get("message")
        if isinstance(given, str) and given:
            return given
        text = f"{self.kind.replace('_', ' ')} on {self.account_id}"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass(frozen=True, slots=True)
class Delivery:
    """One claimed outbox row: the notice, where it goes, and which attempt this is."""

    id: str
    idempotency_key: str
    attempts: int  # including this one
    notice: Notice
    subscription: Subscription


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An outbox row as listed (``aria notify outbox``)."""

    id: str
    event_id: str
    kind: str
    account_id: str
    subscription_id: str
    status: Status
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    delivered_at: dt.datetime | None


def idempotency_key(event_id: str, subscription_id: str) -> str:
    """The stable key of one event delivered to one subscription (the same on every retry)."""
    return hashlib.sha256(f"{event_id}:{subscription_id}".encode()).hexdigest()


def payload(delivery: Delivery) -> dict[str, Any]:
    """The JSON body of a webhook delivery."""
    notice = delivery.notice
    return {
        "id": notice.event_id,
        "idempotency_key": delivery.idempotency_key,
        "kind": notice.kind,
        "account_id": notice.account_id,
        "owner": notice.owner,
        "at": notice.at.isoformat(),
        "detail": dict(notice.detail),
        "message": notice.message,
    }


def body(delivery: Delivery) -> bytes:
    """The payload as the bytes sent (and signed)."""
    return json.dumps(payload(delivery), sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, raw: bytes) -> str:
    """The ``Aria-Signature`` header: ``t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    header: str,
    raw: bytes,
    now: float,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """True when ``header`` signs ``raw`` with ``secret`` at a time within ``tolerance``
    seconds of ``now`` (unix seconds); a receiver calls it before trusting a delivery."""
    pairs = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in pairs if key.strip() == "t"]
    try:
        timestamp = int(stamps[0])
    except (IndexError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, raw).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, value) for key, value in pairs if key.strip() == "v1")


def backoff_seconds(key: str, attempts: int, base: float, cap: float) -> float:
    """Seconds before the next attempt: exponential in ``attempts``, capped, with a jitter
    of up to half of it taken from the key (so it is reproducible, yet spread over rows)."""
    delay = min(cap, base * float(2 ** max(0, attempts - 1)))
    spread = int(hashlib.sha256(f"{key}:{attempts}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return delay * (0.5 + spread / 2)
