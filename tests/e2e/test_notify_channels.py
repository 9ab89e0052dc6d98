"""The channels against a local receiver: a signed webhook, apprise's JSON channel, failures."""

from __future__ import annotations

import datetime as dt

from aria.audit.notices import Delivery, Notice, Subscription
from aria.notifications.senders import Dispatcher
from tests.e2e.receiver import receiver

AT = dt.datetime(2026, 12, 1, 14, 3, tzinfo=dt.UTC)
NOTICE = Notice("e1", "alert", "ftmo-1", "alice", AT, {"message": "daily loss 78 %"}, "r")


def _delivery(channel: str, target: str, secret: str | None = None) -> Delivery:
    sub = Subscription("s1", "alice", ("alert",), channel, target, secret, AT)
    return Delivery("o1", "key-1", 1, NOTICE, sub)


def test_a_webhook_is_posted_signed_with_its_key() -> None:
    with receiver(secret="whsec_x") as hook:
        sent = Dispatcher(timeout=5, private_hosts=True)(_delivery("webhook", hook.url, "whsec_x"))
    assert sent.ok
    [got] = hook.got
    assert got.signed
    assert got.key == "key-1"
    assert got.body["message"] == "daily loss 78 %"


def test_a_webhook_answering_an_error_is_a_failed_attempt() -> None:
    with receiver() as hook:
        hook.status = 503
        sent = Dispatcher(timeout=5, private_hosts=True)(_delivery("webhook", hook.url, "s"))
    assert not sent.ok
    assert sent.error == "HTTP 503 from the webhook"


def test_an_unreachable_webhook_is_a_failed_attempt() -> None:
    sent = Dispatcher(timeout=1, private_hosts=True)(
        _delivery("webhook", "http://127.0.0.1:9/hook", "s")
    )
    assert not sent.ok
    assert sent.error.startswith("webhook unreachable")


def test_apprise_sends_title_and_body_with_the_key_in_the_footer() -> None:
    with receiver() as hook:
        target = hook.url.replace("http://", "json://")
        sent = Dispatcher(timeout=5, private_hosts=True)(_delivery("apprise", target))
    assert sent.ok, sent.error
    [got] = hook.got
    assert got.body["title"] == "ARIA alert — ftmo-1"
    assert got.body["message"].splitlines()[0] == "daily loss 78 %"
    assert got.body["message"].splitlines()[-1] == "idempotency key: key-1"


def test_an_apprise_url_it_does_not_know_is_a_failed_attempt() -> None:
    sent = Dispatcher(timeout=1, private_hosts=True)(_delivery("apprise", "nosuchscheme://x"))
    assert not sent.ok
    assert "apprise" in sent.error
