"""Hostile but well-formed input is a 4xx, never a 500; the OpenAPI document states the rules
the server enforces (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from aria.api.app import create_app
from aria.bootstrap import SystemClock
from aria.cli import app as cli
from aria.service.context import Context
from aria.service.keys import create_key
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog
from storage.uow import SqlUnitOfWork, unit_of_work_factory

ACCOUNT = {"id": "acc", "owner": "alice", "firm": "ftmo", "plan": "2-step", "size": 100_000}
TRADE = {
    "symbol": "EURUSD",
    "side": "long",
    "lots": "1",
    "entry": "1.1",
    "exit": "1.2",
    "pnl": "100",
    "opened_at": "2026-06-01T08:00:00Z",
    "closed_at": "2026-06-01T09:00:00Z",
}
EARLIEST = "0001-01-01T00:00:00+14:00"  # before year 1 once in UTC
LATEST = "9999-12-31T23:59:59-14:00"  # after year 9999 once in UTC
runner = CliRunner()


@pytest.fixture
def client(database: tuple[str, Engine]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An API over the database, and an admin key's headers."""
    _, engine = database
    sessions = unit_of_work_factory(engine)
    context = Context(
        uow=lambda: SqlUnitOfWork(sessions, SystemClock().now),
        clock=SystemClock(),
        catalog=load_catalog(),
        instruments=load_instruments(),
        tokens=secrets.token_hex,
    )
    headers = {"Authorization": f"Bearer {create_key(context, 'ops', ['admin']).token}"}
    with TestClient(create_app(context), raise_server_exceptions=False) as http:
        assert http.post("/v1/accounts", json=ACCOUNT, headers=headers).status_code == 201
        yield http, headers


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("endpoint", ["decisions", "events"])
@pytest.mark.parametrize(
    "query",
    [
        {"cursor": _cursor("2026-06-01T00:00:00+00:00|" + "9" * 30 + "|abc")},
        {"cursor": _cursor(f"{EARLIEST}|1|abc")},
        {"cursor": _cursor(f"{LATEST}|1|abc")},
        {"cursor": _cursor("2026-06-01T00:00:00+00:00|1|a\x00b")},
        {"cursor": _cursor("2026-06-01T00:00:00+00:00|1|" + "a" * 65)},
        {"start": EARLIEST},
        {"end": LATEST},
    ],
    ids=["long-seq", "year-1", "year-9999", "nul-id", "long-id", "start", "end"],
)
def test_hostile_audit_queries_are_refused_not_500(
    client: tuple[TestClient, dict[str, str]], endpoint: str, query: dict[str, str]
) -> None:
    http, headers = client
    answer = http.get(f"/v1/audit/{endpoint}", params=query, headers=headers)
    assert answer.status_code == 422, answer.text
    field = next(iter(query))
    assert answer.json()["error"]["message"].startswith(f"{field}:")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "t" * 129}, "trades.0.id"),
        ({"decision_id": "d" * 65}, "trades.0.decision_id"),
        ({"opened_at": EARLIEST}, "trades.0.opened_at"),
        ({"closed_at": LATEST}, "trades.0.closed_at"),
    ],
    ids=["trade-id", "decision-id", "opened-year-1", "closed-year-9999"],
)
def test_trades_beyond_what_storage_holds_are_refused(
    client: tuple[TestClient, dict[str, str]], change: dict[str, str], field: str
) -> None:
    http, headers = client
    body = {"trades": [{**TRADE, **change}]}
    answer = http.post("/v1/accounts/acc/trades", json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"].startswith(f"{field}:")
    longest = {**TRADE, "id": "t" * 128, "decision_id": "d" * 64}
    stored = http.post("/v1/accounts/acc/trades", json={"trades": [longest]}, headers=headers)
    assert stored.status_code == 200, stored.text


def test_a_state_as_of_beyond_utc_is_refused(client: tuple[TestClient, dict[str, str]]) -> None:
    http, headers = client
    for as_of in (EARLIEST, LATEST):
        body = {"balance": 100_000, "equity": 100_000, "as_of": as_of}
        answer = http.put("/v1/accounts/acc/state", json=body, headers=headers)
        assert answer.status_code == 422, answer.text


def _query_operations(http: TestClient) -> list[tuple[str, list[str]]]:
    paths = http.get("/openapi.json").json()["paths"]
    return [
        (path, [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"])
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method == "get" and "{" not in path
    ]


def test_unknown_query_parameters_are_refused(client: tuple[TestClient, dict[str, str]]) -> None:
    http, headers = client
    checked = 0
    for path, declared in _query_operations(http):
        for typo in ("acount", "from"):
            answer = http.get(path, params={typo: "acc"}, headers=headers)
            assert answer.status_code == 422, (path, answer.text)
            assert answer.json()["error"]["message"].startswith(f"{typo}: unknown query")
        if declared:
            checked += 1
    assert checked >= 4  # accounts, decisions, events, verify at least
    known = http.get("/v1/audit/decisions", params={"account": "acc"}, headers=headers)
    assert known.status_code == 200


@pytest.mark.parametrize("path", ["/v1/audit/decisions", "/v1/audit/events", "/v1/audit/verify"])
def test_an_unknown_account_in_an_audit_filter_is_404(
    client: tuple[TestClient, dict[str, str]], path: str
) -> None:
    http, headers = client
    answer = http.get(path, params={"account": "nobody"}, headers=headers)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"


def test_a_405_names_every_method_the_path_allows(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    http, headers = client
    paths = http.get("/openapi.json").json()["paths"]
    for template, operations in paths.items():
        path = template.replace("{account_id}", "acc").replace("{decision_id}", "d1")
        allowed = {method.upper() for method in operations}
        refused = next(m for m in ("DELETE", "PATCH", "PUT", "POST") if m not in allowed)
        answer = http.request(refused, path, headers=headers)
        assert answer.status_code == 405, (refused, path)
        assert set(answer.headers["Allow"].split(", ")) == allowed, path


def _schema(http: TestClient, name: str) -> dict[str, Any]:
    return http.get("/openapi.json").json()["components"]["schemas"][name]  # type: ignore[no-any-return]


def test_the_openapi_document_states_the_bounds_the_server_enforces(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    http, headers = client
    push = _schema(http, "PushState")
    balance = push["properties"]["balance"]["anyOf"][0]
    # A balance may be negative (a Topstep XFA starts at 0 and may fall below it).
    assert balance == {"type": "number", "exclusiveMinimum": -1e15, "exclusiveMaximum": 1e15}
    equity = push["properties"]["equity"]["anyOf"][0]
    assert equity["exclusiveMinimum"] == -1e15
    assert equity["exclusiveMaximum"] == 1e15
    lots = _schema(http, "Trade")["properties"]["lots"]
    assert lots["anyOf"][0]["minimum"] == 1e-15
    assert "1e-15" in lots["description"]
    assert "NUL" in push["description"]
    # A wall time has no offset, which JSON Schema's "time" format would require.
    assert "format" not in _schema(http, "WallClock")["properties"]["time"]
    now = dt.datetime.now(dt.UTC).isoformat()
    cases = [("1e15", 422), ("999999999999999", 200), ("1e-16", 422), ("1e999999999", 422)]
    for value, status in [*cases, ("1e-99999999", 422)]:
        body = {"balance": value, "equity": value, "as_of": now}
        answer = http.put("/v1/accounts/acc/state", json=body, headers=headers)
        assert answer.status_code == status, (value, answer.text)


def test_the_api_and_the_cli_word_a_refused_personality_alike_without_pydantic_internals(
    client: tuple[TestClient, dict[str, str]], tmp_path: Path
) -> None:
    http, headers = client
    account = {**ACCOUNT, "id": "acc-2", "personality": {"multiplier": "5"}}
    answered = http.post("/v1/accounts", json=account, headers=headers)
    assert answered.status_code == 422
    error = answered.json()["error"]
    assert error["code"] == "invalid_input"
    # The one check of this message's wording: a trader reads it.
    assert error["message"] == "personality: personality multiplier must be between 0.5 and 1.5"
    env = {"ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0
    args = ["accounts", "create", "--id", "acc-2", "--owner", "alice", "--firm", "ftmo"]
    args += ["--plan", "2-step", "--size", "100000", "--personality", "5"]
    refused = runner.invoke(cli, args, env=env)
    assert refused.exit_code == 2
    assert error["message"] in " ".join(refused.output.split())
    assert "pydantic" not in refused.output
