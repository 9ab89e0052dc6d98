"""Webhook signatures, idempotency keys and retry delays."""

from __future__ import annotations

import datetime as dt

from aria.audit.notices import (
    Delivery,
    Notice,
    Subscription,
    backoff_seconds,
    body,
    idempotency_key,
    payload,
    signature,
)
from aria.notifications import verify_signature

NOW = 1_790_000_000
RAW = b'{"id":"e1","kind":"alert"}'


def test_a_good_signature_verifies() -> None:
    assert verify_signature("s3cret", signature("s3cret", NOW, RAW), RAW, NOW + 10)


def test_a_tampered_body_is_refused() -> None:
    header = signature("s3cret", NOW, RAW)
    assert not verify_signature("s3cret", header, RAW.replace(b"alert", b"aler7"), NOW)


def test_a_wrong_secret_is_refused() -> None:
    assert not verify_signature("other", signature("s3cret", NOW, RAW), RAW, NOW)


def test_an_old_timestamp_is_refused() -> None:
    header = signature("s3cret", NOW, RAW)
    assert verify_signature("s3cret", header, RAW, NOW + 300)
    assert not verify_signature("s3cret", header, RAW, NOW + 301)
    assert not verify_signature("s3cret", header, RAW, NOW + 60, tolerance=30)


def test_a_malformed_header_is_refused() -> None:
    assert not verify_signature("s3cret", "v1=abc", RAW, NOW)
    assert not verify_signature("s3cret", "t=soon,v1=abc", RAW, NOW)
    assert not verify_signature("s3cret", f"t={NOW}", RAW, NOW)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    mac = hmac.new(b"k", f"{NOW}.".encode() + RAW, hashlib.sha256).hexdigest()
    assert signature("k", NOW, RAW) == f"t={NOW},v1={mac}"


def test_the_idempotency_key_is_stable_per_event_and_subscription() -> None:
    assert idempotency_key("e1", "s1") == idempotency_key("e1", "s1")
    assert idempotency_key("e1", "s1") != idempotency_key("e1", "s2")
    assert len(idempotency_key("e1", "s1")) == 64


def test_the_payload_carries_the_documented_fields() -> None:
    at = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    sub = Subscription("s1", "alice", ("alert",), "webhook", "https://x/h", "k", at)
    notice = Notice("e1", "alert", "ftmo-1", "alice", at, {"message": "daily floor 76 %"}, "r")
    sent = payload(Delivery("o1", "key", 1, notice, sub))
    assert sent == {
        "id": "e1",
        "idempotency_key": "key",
        "kind": "alert",
        "account_id": "ftmo-1",
        "owner": "alice",
        "at": "2026-12-01T09:00:00+00:00",
        "detail": {"message": "daily floor 76 %"},
        "message": "daily floor 76 %",
    }
    assert body(Delivery("o1", "key", 1, notice, sub)).startswith(b'{"account_id":"ftmo-1"')


def test_retries_back_off_exponentially_with_jitter_up_to_a_cap() -> None:
    delays = [backoff_seconds("k", n, 5, 3600) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        full = min(3600, 5 * 2 ** (n - 1))
        assert full / 2 <= delay <= full
    assert backoff_seconds("a", 3, 5, 3600) != backoff_seconds("b", 3, 5, 3600)
