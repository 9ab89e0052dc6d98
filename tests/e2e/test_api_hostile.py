"""Hostile input over HTTP, on SQLite and PostgreSQL: injection fragments, NUL bytes, huge and
tiny numbers, very long and right-to-left strings, deeply nested JSON. The API answers each with
a clear JSON error and a status below 500, and nothing it refused is written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from aria.api.app import create_app
from aria.service.keys import create_key
from tests.databases import make_context

WEIRD = [
    "' OR 1=1 --",
    '"; DROP TABLE accounts; --',
    "\x00",
    "a\x00b",
    "😀" * 50,
    "\u202e",
    "x" * 100_000,
    "../../etc/passwd",
    "%00",
    "1e999999",
    "NaN",
    "-Infinity",
    "1e-999999",
]
NUMBERS = [
    "1e308",
    "1e400",
    "9" * 400,
    "-0",
    "0",
    "1e-400",
    "123456789012345678901234567890.12345678901234567890",
]
STATE = {"balance": "100000", "equity": "100000", "as_of": "2026-11-21T10:00:00Z"}


@dataclass
class Hostile:
    """A client that records every answer at or above 500."""

    client: TestClient
    headers: dict[str, str]
    failures: list[str]

    def send(self, method: str, path: str, **kwargs: Any) -> None:
        """Send one request and check it is answered as a client error or a success."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.client.request(method, path, headers=headers, **kwargs)
        where = f"{method} {path[:60]} {str(kwargs)[:120]!r}"
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} for {where}")
        elif response.status_code >= 400:
            error = response.json().get("error", {})
            if not (error.get("code") and error.get("message")):
                self.failures.append(f"{response.status_code} without a clear error for {where}")


@pytest.fixture
def hostile(database: tuple[str, Engine]) -> Iterator[Hostile]:
    context = make_context(database[1])
    token = create_key(context, "ops", ["admin", "size", "read"]).token
    with TestClient(create_app(context), raise_server_exceptions=False) as client:
        headers = {"Authorization": f"Bearer {token}"}
        created = client.post(
            "/v1/accounts",
            json={"id": "a1", "owner": "o", "firm": "ftmo", "plan": "2-step", "size": 100000},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        assert client.put("/v1/accounts/a1/state", json=STATE, headers=headers).status_code == 200
        yield Hostile(client, headers, [])


def _balances(hostile: Hostile) -> tuple[Any, ...]:
    risk = hostile.client.get("/v1/accounts/a1/headroom", headers=hostile.headers).json()
    return risk["as_of"], risk["balance"], risk["equity"], risk["floors"], risk["trading"]


def test_hostile_values_in_every_field_get_clear_errors_and_change_nothing(
    hostile: Hostile,
) -> None:
    before = _balances(hostile)
    for w in WEIRD:
        u = w[:8000]  # HTTP clients refuse longer addresses before they are sent
        hostile.send("GET", f"/v1/accounts/{quote(u, safe='')}")
        hostile.send("GET", f"/v1/accounts/{quote(u, safe='')}/headroom")
        hostile.send("GET", "/v1/audit/decisions", params={"account": u, "symbol": u, "code": u})
        hostile.send("GET", "/v1/audit/decisions", params={"owner": u, "cursor": u, "since": u})
        hostile.send("GET", "/v1/audit/events", params={"account": u, "kind": u})
        hostile.send("POST", f"/v1/decisions/{quote(u, safe='')}/cancel", json={})
        hostile.send(
            "POST", "/v1/accounts", json={"id": w, "owner": w, "firm": w, "plan": w, "size": w}
        )
        hostile.send("PUT", "/v1/accounts/a1/state", json={**STATE, "balance": w, "equity": w})
        hostile.send("PUT", "/v1/accounts/a1/state", json={**STATE, "as_of": w})
        position = {"symbol": w, "side": "long", "lots": w, "entry": w}
        hostile.send("PUT", "/v1/accounts/a1/state", json={**STATE, "positions": [position]})
        request = {"request_id": w, "accounts": [w], "symbol": w, "side": "long"}
        hostile.send("POST", "/v1/sizing", json={**request, "entry": w, "stop": w})
        request = {"request_id": "r", "accounts": ["a1"], "symbol": "EURUSD", "side": "long"}
        hostile.send("POST", "/v1/sizing", json={**request, "entry": w, "stop": "1"})
        hostile.send("POST", "/v1/sizing", json={**request, "entry": "1.1", "stop": "1.0", "x": w})
        preview = {"symbol": "EURUSD", "side": "long", "entry": "1.1", "stop": "1.0"}
        hostile.send("POST", "/v1/sizing/preview", json={**preview, "accounts": {"owner": w}})
        hostile.send("POST", "/v1/bars", json={"symbol": w, "bars": [[w, w, w, w, w, None]]})
        trade = {
            "symbol": "EURUSD",
            "side": "long",
            "lots": w,
            "entry": w,
            "exit": w,
            "pnl": w,
            "opened_at": w,
            "closed_at": w,
        }
        hostile.send("POST", "/v1/accounts/a1/trades", json={"trades": [trade]})
    for n in NUMBERS:
        request = {"request_id": f"n{n[:10]}", "accounts": ["a1"], "symbol": "EURUSD"}
        hostile.send(
            "POST", "/v1/sizing", json={**request, "side": "long", "entry": n, "stop": "1"}
        )
        hostile.send("PUT", "/v1/accounts/a1/state", json={**STATE, "balance": n, "equity": n})
        account = {"id": "big", "owner": "o", "firm": "ftmo", "plan": "2-step", "size": n}
        hostile.send("POST", "/v1/accounts", json=account)
    assert hostile.failures == []
    assert _balances(hostile) == before
    decisions = hostile.client.get("/v1/audit/decisions", headers=hostile.headers).json()
    assert decisions["items"] == []
    accounts = hostile.client.get("/v1/accounts", headers=hostile.headers).json()
    assert [account["id"] for account in accounts] == ["a1"]


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 5000 + "1" + "}" * 5000,
        b"\xff\xfe garbage",
        "",
        '{"request_id": "r", "accounts": ["a1"], "symbol": "EURUSD", "entry": 1e999}',
    ],
    ids=["deep-lists", "deep-objects", "not-utf8", "empty", "overflowing-float"],
)
def test_malformed_bodies_get_a_clear_error(hostile: Hostile, body: str | bytes) -> None:
    headers = {**hostile.headers, "content-type": "application/json"}
    for path in ("/v1/sizing", "/v1/accounts", "/v1/sizing/preview"):
        response = hostile.client.post(path, content=body, headers=headers)
        assert response.status_code == 422, (path, response.text[:200])
        assert response.json()["error"]["message"]


TEXT = st.text(max_size=40) | st.sampled_from(WEIRD)
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | st.sampled_from(NUMBERS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=25,
)
SIZING = {
    "request_id": "h",
    "accounts": ["a1"],
    "symbol": "EURUSD",
    "side": "long",
    "entry": "1.1",
    "stop": "1.09",
}
ENDPOINTS = [
    ("POST", "/v1/sizing", SIZING),
    ("POST", "/v1/sizing/preview", {k: v for k, v in SIZING.items() if k != "request_id"}),
    ("PUT", "/v1/accounts/a1/state", STATE),
    ("POST", "/v1/accounts", {"id": "b", "owner": "o", "firm": "ftmo", "plan": "2-step"}),
    ("POST", "/v1/bars", {"symbol": "EURUSD", "bars": []}),
]


@pytest.mark.slow
@settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    field=st.sampled_from(["request_id", "accounts", "symbol", "entry", "balance", "as_of", "id"]),
    value=VALUES,
    whole=st.booleans(),
)
def test_generated_hostile_bodies_never_cause_a_server_error(
    hostile: Hostile, endpoint: tuple[str, str, dict[str, Any]], field: str, value: Any, whole: bool
) -> None:
    method, path, valid = endpoint
    body = value if whole else {**valid, field: value}
    hostile.send(
        method, path, content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert hostile.failures == []
