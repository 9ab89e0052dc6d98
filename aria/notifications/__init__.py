"""Sending notifications (webhooks signed like Stripe's, apprise channels), and the verifier
a webhook receiver imports: ``from aria.notifications import verify_signature``."""

from aria.audit.notices import signature, verify_signature

__all__ = ["signature", "verify_signature"]
