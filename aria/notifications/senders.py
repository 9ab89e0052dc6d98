"""The channels: a signed webhook POST (standard library HTTP) and apprise (imported here only).

Each sender sends one delivery once and reports how it went; it never raises, so one bad
subscription never stops the others.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass

from aria.audit.notices import Delivery, body, signature
from aria.service import notifications
from aria.service.context import Context
from aria.service.notifications import DeliveryReport, Sent

log = logging.getLogger("aria.notifications")

USER_AGENT = "aria-notifications/1"


@dataclass(frozen=True, slots=True)
class Dispatcher:
    """Sends a delivery on its subscription's channel, within ``timeout`` seconds."""

    timeout: float = 10.0

    def __call__(self, delivery: Delivery) -> Sent:
        """Send it once."""
        try:
            if delivery.subscription.channel == "webhook":
                return self.webhook(delivery)
            return self.apprise(delivery)
        except Exception as exc:  # a channel's own failure is this attempt's outcome
            log.warning("notification %s: %s", delivery.idempotency_key, exc)
            return Sent(False, f"{type(exc).__name__}: {exc}")

    def webhook(self, delivery: Delivery) -> Sent:
        """POST the JSON payload with the idempotency key, timestamp and signature headers."""
        raw = body(delivery)
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Aria-Idempotency-Key": delivery.idempotency_key,
            "Aria-Timestamp": str(stamp),
        }
        secret = delivery.subscription.secret
        if secret:
            headers["Aria-Signature"] = signature(secret, stamp, raw)
        request = urllib.request.Request(
            delivery.subscription.target, data=raw, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            return Sent(False, f"HTTP {exc.code} from the webhook")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return Sent(False, f"webhook unreachable: {reason}")
        if 200 <= status < 300:
            return Sent(True)
        return Sent(False, f"HTTP {status} from the webhook")

    def apprise(self, delivery: Delivery) -> Sent:
        """Title and body text; the idempotency key in the body's footer (no headers here)."""
        notice = delivery.notice
        title = f"ARIA {notice.kind.replace('_', ' ')}" + (
            f" — {notice.account_id}" if notice.account_id else ""
        )
        text = (
            f"{notice.message}\n\nat {notice.at.isoformat()}"
            f"\nidempotency key: {delivery.idempotency_key}"
        )
        with warnings.catch_warnings():
            # Some of apprise's plugins import modules Python deprecates (imghdr) as they
            # load: not ARIA's to act on, and must not fail a send where warnings raise.
            warnings.simplefilter("ignore", DeprecationWarning)
            import apprise

            channel = apprise.Apprise()
            if not channel.add(delivery.subscription.target):
                return Sent(False, "apprise does not understand this URL")
            if channel.notify(title=title, body=text):
                return Sent(True)
        return Sent(False, "apprise could not deliver the notification")


def dispatcher(ctx: Context) -> Dispatcher:
    """The sender with the context's timeout."""
    return Dispatcher(timeout=ctx.options.notify_timeout_seconds)


def deliver(ctx: Context) -> DeliveryReport:
    """The ``notify`` job: one pass over the outbox rows due now."""
    return notifications.deliver_due(ctx, dispatcher(ctx))
