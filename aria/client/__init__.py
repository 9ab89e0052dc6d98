"""A typed Python client of ARIA's HTTP API, sync (:class:`AriaClient`) and async
(:class:`AsyncAriaClient`), on ``httpx``.

Both send the same calls (``aria.client.calls``) and read the API's own response models.
Retries keep a sizing request's ``request_id``, so a retried sizing returns the stored
decisions, never a second set. The copier flow: :meth:`AriaClient.copy_signal` → place the
approvals → :meth:`AriaClient.confirm_placed` with each position's ``decision_id`` →
:meth:`AriaClient.cancel_unplaced`. See ``docs/copier.md``.
"""

from __future__ import annotations

from aria.client.aio import AsyncAriaClient
from aria.client.calls import Retry, new_request_id
from aria.client.errors import (
    AriaError,
    AuthError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unavailable,
)
from aria.client.models import (
    CashFlow,
    CopyResult,
    Position,
    Selector,
    Signal,
    Trade,
    placed_position,
)
from aria.client.sync import AriaClient

__all__ = [
    "AriaClient",
    "AriaError",
    "AsyncAriaClient",
    "AuthError",
    "CashFlow",
    "Conflict",
    "CopyResult",
    "Forbidden",
    "Invalid",
    "NotFound",
    "Position",
    "RateLimited",
    "Retry",
    "Selector",
    "Signal",
    "Trade",
    "Unavailable",
    "new_request_id",
    "placed_position",
]
