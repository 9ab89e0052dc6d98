"""The channels: a signed webhook POST (standard library HTTP) and apprise (imported here only).

Each sender sends one delivery once and reports how it went; it never raises, so one bad
subscription never stops the others.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

from aria.audit.notices import Delivery, body, signature
from aria.service import notifications
from aria.service.context import Context
from aria.service.notifications import DeliveryReport, Sent

log = logging.getLogger("aria.notifications")

USER_AGENT = "aria-notifications/1"
# Apprise's channels that POST to any URL given: judged like a webhook.
HTTP_APPRISE = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead a checked public URL to an internal one: a 3xx is an answer.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def refused_host(url: str) -> str | None:
    """Why ``url``'s host may not be reached (it resolves to a loopback, private, link-local
    or reserved address, or not at all), or ``None`` when every address it has is public."""
    host = urlsplit(url).hostname
    if not host:
        return "the URL names no host"
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        return f"{host} does not resolve ({exc})"
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return (
                f"{host} resolves to {ip}, a private or reserved address; set"
                " ARIA_NOTIFY_PRIVATE_HOSTS=true to allow receivers inside the network"
            )
    return None


@dataclass(frozen=True, slots=True)
class Dispatcher:
    """Sends a delivery on its subscription's channel, within ``timeout`` seconds."""

    timeout: float = 10.0
    private_hosts: bool = False  # may reach loopback and private addresses

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
        target = delivery.subscription.target
        refused = None if self.private_hosts else refused_host(target)
        if refused is not None:
            return Sent(False, f"webhook refused: {refused}")
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
            with _OPENER.open(request, timeout=self.timeout) as answer:
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
        target = delivery.subscription.target
        if urlsplit(target).scheme.lower() in HTTP_APPRISE and not self.private_hosts:
            refused = refused_host(target)
            if refused is not None:
                return Sent(False, f"apprise channel refused: {refused}")
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
    options = ctx.options
    return Dispatcher(options.notify_timeout_seconds, options.notify_private_hosts)


def deliver(ctx: Context) -> DeliveryReport:
    """The ``notify`` job: one pass over the outbox rows due now."""
    return notifications.deliver_due(ctx, dispatcher(ctx))
