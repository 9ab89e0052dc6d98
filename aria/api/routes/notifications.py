"""Notification subscriptions: where alerts and rule events are sent (admin keys; a key
restricted to one owner manages that owner's subscriptions only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from aria.api.deps import Ctx
from aria.api.schemas import ERRORS
from aria.api.security import Admin
from aria.audit.notices import Subscription
from aria.notifications.senders import dispatcher
from aria.service import notifications
from aria.service.notifications import NewSubscription

router = APIRouter(prefix="/v1/notifications", responses=ERRORS, tags=["notifications"])

Kind = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]


class SubscriptionIn(BaseModel):
    """A webhook (signed with ``secret``, generated when omitted) or an apprise URL."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = Field(
        default=None, max_length=64, description="whose events; omitted: every owner's"
    )
    channel: Literal["webhook", "apprise"]
    url: str = Field(min_length=1, max_length=2000)
    kinds: list[Kind] = Field(
        default_factory=list, max_length=50, description="event kinds; empty: the defaults"
    )
    secret: str | None = Field(default=None, min_length=16, max_length=128)


class SubscriptionOut(BaseModel):
    """A subscription as listed: its secret is never shown again."""

    id: str
    owner: str | None
    channel: str
    url: str
    kinds: list[str]
    created_at: dt.datetime


class CreatedOut(SubscriptionOut):
    """A new subscription, with its webhook secret this once."""

    secret: str | None


class TestOut(BaseModel):
    """How a test notification went."""

    delivered: bool
    idempotency_key: str
    error: str | None


def _out(sub: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=sub.id,
        owner=sub.owner,
        channel=sub.channel,
        url=sub.shown_target,
        kinds=list(sub.kinds),
        created_at=sub.created_at,
    )


@router.get("/subscriptions", response_model=list[SubscriptionOut])
def list_subscriptions(ctx: Ctx, caller: Admin) -> list[SubscriptionOut]:
    """Subscriptions, oldest first (an owner's key: that owner's)."""
    return [_out(s) for s in notifications.list_subscriptions(ctx, caller.owner)]


@router.post("/subscriptions", response_model=CreatedOut, status_code=201)
def add_subscription(body: SubscriptionIn, ctx: Ctx, caller: Admin) -> CreatedOut:
    """Subscribe a channel; a webhook's secret is in this answer only."""
    owner = notifications.check_owner(caller.owner, body.owner)
    command = NewSubscription(owner, body.channel, body.url, tuple(body.kinds), body.secret)
    created = notifications.add_subscription(ctx, command)
    return CreatedOut(**_out(created.subscription).model_dump(), secret=created.secret)


@router.delete("/subscriptions/{subscription_id}", status_code=204)
def remove_subscription(subscription_id: str, ctx: Ctx, caller: Admin) -> Response:
    """Remove a subscription; what it had not delivered is marked failed."""
    notifications.remove_subscription(ctx, subscription_id, caller.owner)
    return Response(status_code=204)


@router.post("/subscriptions/{subscription_id}/test", response_model=TestOut)
def test_subscription(subscription_id: str, ctx: Ctx, caller: Admin) -> TestOut:
    """Send a test notification now and say how it went."""
    delivery, sent = notifications.send_test(ctx, dispatcher(ctx), subscription_id, caller.owner)
    return TestOut(
        delivered=sent.ok, idempotency_key=delivery.idempotency_key, error=sent.error or None
    )
