"""Keys and owners over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from aria.api.app import create_app
from aria.service.keys import create_key, revoke_key
from storage.engine import make_engine
from tests.integration.conftest import make_context

STATE = {"balance": "100000", "equity": "100000", "as_of": "2026-06-02T08:59:00Z", "positions": []}
SIGNAL = {"symbol": "GBPUSD", "side": "long", "entry": "1.2700", "stop": "1.2600"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Desk:
    """One server (``client``) and a second one over the same database (``other``)."""

    client: TestClient
    other: TestClient
    admin: dict[str, str]
    alice: dict[str, str]
    bob: dict[str, str]


@pytest.fixture
def desk(database: tuple[str, Engine]) -> Iterator[Desk]:
    url, engine = database
    second = make_engine(url)  # a second process's own engine and pool
    context, other_context = make_context(engine), make_context(second)
    admin = create_key(context, "ops", ["admin"]).token
    alice = create_key(context, "alice-bot", ["size", "read"], owner="alice").token
    bob = create_key(context, "bob-bot", ["size", "read"], owner="bob").token
    with (
        TestClient(create_app(context), raise_server_exceptions=False) as client,
        TestClient(create_app(other_context), raise_server_exceptions=False) as other,
    ):
        desk = Desk(client, other, _bearer(admin), _bearer(alice), _bearer(bob))
        for account_id, owner in (("alice-1", "alice"), ("bob-1", "bob")):
            body = {"id": account_id, "owner": owner, "firm": "ftmo", "plan": "2-step"}
            opened = client.post("/v1/accounts", json={**body, "size": 100000}, headers=desk.admin)
            assert opened.status_code == 201, opened.text
            state = client.put(f"/v1/accounts/{account_id}/state", json=STATE, headers=desk.admin)
            assert state.status_code == 200, state.text
        yield desk
    second.dispose()


def _size(client: TestClient, headers: dict[str, str], request_id: str, accounts: Any) -> Any:
    body = {"request_id": request_id, "accounts": accounts, **SIGNAL}
    return client.post("/v1/sizing", json=body, headers=headers)


def test_a_revoked_key_is_refused_at_once_by_every_server(desk: Desk) -> None:
    token = create_key(make_context_of(desk), "temp", ["read"]).token
    headers = _bearer(token)
    # Both servers have just accepted the key (and would remember it, had they a cache).
    assert desk.client.get("/v1/firms", headers=headers).status_code == 200
    assert desk.other.get("/v1/firms", headers=headers).status_code == 200
    key_id = token.removeprefix("aria_").partition("_")[0]
    revoke_key(make_context_of(desk), key_id)
    assert desk.other.get("/v1/firms", headers=headers).status_code == 401
    assert desk.client.get("/v1/firms", headers=headers).status_code == 401


def make_context_of(desk: Desk) -> Any:
    """The service context of the first server (keys are issued and revoked through it)."""
    return desk.client.app.state.context  # type: ignore[attr-defined]
