"""The client's retry rules, over a scripted transport: what is sent again, and what not."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from aria.client import (
    AriaClient,
    AriaError,
    Conflict,
    Invalid,
    RateLimited,
    Retry,
    Signal,
    Unavailable,
)
from aria.client.calls import push_state, size

SIGNAL = Signal(symbol="EURUSD", side="long", entry=Decimal("1.1"), stop=Decimal("1.09"))
SIZED = {"request_id": "r", "replayed": False, "decisions": []}
STATE = {
    "account_id": "a",
    "trading": {},
    "floors": {"daily_loss": None, "max_loss": "90000", "floating_loss": None},
    "breaches": [],
    "events": [],
    "reservations_matched": 0,
}
Answer = httpx.Response | Exception


def _client(*answers: Answer, attempts: int = 4) -> tuple[AriaClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    transport = httpx.MockTransport(handle)
    retry = Retry(attempts=attempts, backoff=0, max_backoff=0)
    return AriaClient("http://aria.test", "aria_k", retry=retry, transport=transport), seen


def _error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = {"error": {"code": code, "message": message}}
    return httpx.Response(status, json=body, headers=headers)


def test_a_sizing_is_retried_on_429_503_and_dropped_connections_under_one_request_id() -> None:
    client, seen = _client(
        _error(429, "rate_limited", "slow down", **{"Retry-After": "0"}),
        _error(503, "unavailable", "database unavailable"),
        httpx.ReadError("reset"),
        httpx.Response(200, json=SIZED),
    )
    assert client.size(SIGNAL, ["a"]).request_id == "r"
    ids = {json.loads(r.content)["request_id"] for r in seen}
    assert len(seen) == 4
    assert len(ids) == 1
    assert ids.pop().startswith("py-")


def test_retries_stop_after_the_attempts_allowed() -> None:
    client, seen = _client(*[_error(503, "unavailable", "down")] * 3, attempts=3)
    with pytest.raises(Unavailable, match="down"):
        client.size(SIGNAL, ["a"], request_id="x")
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (_error(422, "invalid_input", "entry: must be positive"), Invalid),
        (_error(409, "conflict", "request id 'x' was used for a different request"), Conflict),
    ],
)
def test_an_answer_retrying_cannot_change_is_raised_at_once(
    answer: httpx.Response, kind: type[AriaError]
) -> None:
    client, seen = _client(answer)
    with pytest.raises(kind) as raised:
        client.size(SIGNAL, ["a"], request_id="x")
    assert len(seen) == 1
    assert raised.value.message == answer.json()["error"]["message"]


def test_a_state_push_that_may_have_been_taken_is_not_sent_again() -> None:
    for failure in (httpx.ReadError("reset"), _error(503, "unavailable", "outcome unknown")):
        client, seen = _client(failure, httpx.Response(200, json=STATE))
        with pytest.raises(Unavailable):
            client.push_state("a", balance=1, equity=1)
        assert len(seen) == 1


def test_a_state_push_never_sent_or_refused_unread_is_sent_again() -> None:
    client, seen = _client(
        httpx.ConnectError("refused"),
        _error(429, "rate_limited", "slow down"),
        httpx.Response(200, json=STATE),
    )
    assert client.push_state("a", balance=1, equity=1).account_id == "a"
    assert len(seen) == 3


def test_a_rate_limit_waits_the_server_s_retry_after() -> None:
    limited = _error(429, "rate_limited", "slow down", **{"Retry-After": "3"})
    client, _ = _client(limited, attempts=1)
    with pytest.raises(RateLimited) as raised:
        client.size(SIGNAL, ["a"])
    assert raised.value.retry_after == 3
    assert Retry().delay(1, raised.value) == 3
    assert Retry(backoff=0.5).delay(3, Unavailable("down")) == 2


def test_each_sizing_call_gets_its_own_request_id_unless_given_one() -> None:
    first, second = size(SIGNAL, ["a"]), size(SIGNAL, ["a"])
    assert first.body["request_id"] != second.body["request_id"]
    assert size(SIGNAL, ["a"], "mine").body["request_id"] == "mine"
    assert size(SIGNAL, "solo", "r").body["accounts"] == ["solo"]  # one id, not its letters
    assert push_state("a", 1, 1).idempotent is False
