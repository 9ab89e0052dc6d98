"""Crash safety: ``aria serve`` killed with SIGKILL mid-stream loses nothing and doubles nothing."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from aria.service.keys import create_key
from tests.builders import always_open_instruments, open_account, push
from tests.databases import make_context
from tests.e2e.processes import serve

ACCOUNTS = [f"c-{i:02d}" for i in range(12)]
CLIENTS, PER_CLIENT, KILL_AFTER = 4, 40, 30


def _requests(client: int) -> list[dict[str, Any]]:
    """A client's stream: single accounts and fan-outs of four, GBPUSD both ways."""
    bodies = []
    for n in range(PER_CLIENT):
        start = (client * 3 + n) % len(ACCOUNTS)
        accounts = [ACCOUNTS[start]] if n % 3 else [ACCOUNTS[(start + k) % 12] for k in range(4)]
        long = (client + n) % 2 == 0
        bodies.append(
            {
                "request_id": f"crash-{client}-{n}",
                "accounts": sorted(set(accounts)),
                "symbol": "GBPUSD",
                "side": "long" if long else "short",
                "entry": "1.2700",
                "stop": "1.2650" if long else "1.2750",
            }
        )
    return bodies


@pytest.mark.slow
def test_a_killed_server_loses_no_decision_and_doubles_none(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    ctx = make_context(engine)
    now = dt.datetime.now(dt.UTC)
    for index, account_id in enumerate(ACCOUNTS):
        open_account(ctx, account_id, owner=f"owner-{index % 3}")
        push(ctx, account_id, 100_000, 100_000, now - dt.timedelta(seconds=5))
    headers = {"Authorization": f"Bearer {create_key(ctx, 'copier', ['size', 'read']).token}"}
    answered: dict[str, dict[str, Any]] = {}
    unanswered: dict[str, dict[str, Any]] = {}
    bodies = {b["request_id"]: b for c in range(CLIENTS) for b in _requests(c)}
    lock = threading.Lock()
    # A server on PostgreSQL takes the database's (real) time: GBPUSD trades around the clock
    # here, so decisions are approved (and reservations held) on a Saturday too.
    market = {"ARIA_INSTRUMENT_FILES": str(always_open_instruments(tmp_path / "fx.toml"))}

    def client(number: int, base: str) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            for body in _requests(number):
                try:
                    response = http.post("/v1/sizing", json=body)
                except httpx.TransportError:
                    with lock:
                        unanswered[body["request_id"]] = body
                    return  # the server is gone; what was in flight has no known outcome
                assert response.status_code == 200, response.text
                with lock:
                    answered[body["request_id"]] = response.json()

    with serve(url, tmp_path / "serve.log", env=market) as server:
        threads = [threading.Thread(target=client, args=(n, server.base)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        while len(answered) < KILL_AFTER:
            time.sleep(0.005)
        server.kill()
        for thread in threads:
            thread.join()
    assert KILL_AFTER <= len(answered) < len(bodies), "the kill came mid-stream"
    assert unanswered, "some requests were in flight or refused when the server died"

    with (
        serve(url, tmp_path / "serve.log", env=market) as server,
        httpx.Client(base_url=server.base, headers=headers, timeout=30) as http,
    ):
        # A client retries what it got no answer for: stored if it had committed, else new.
        for request_id, body in unanswered.items():
            retried = http.post("/v1/sizing", json=body)
            assert retried.status_code == 200, retried.text
            answered[request_id] = retried.json()
        # An answer already received comes back identical, marked as replayed.
        for request_id in itertools.islice(sorted(answered), 0, None, 5):
            again = http.post("/v1/sizing", json=bodies[request_id])
            assert again.status_code == 200
            assert again.json()["replayed"] is True
            assert [d["decision_id"] for d in again.json()["decisions"]] == [
                d["decision_id"] for d in answered[request_id]["decisions"]
            ]
        verified = http.get("/v1/audit/verify").json()
        assert verified["ok"], verified["problem"]

    received = {d["decision_id"]: d for a in answered.values() for d in a["decisions"]}
    with engine.connect() as connection:
        stored = {
            row.id: row
            for row in connection.execute(
                sa.text("select id, request_id, status from sizing_decisions")
            )
        }
        reservations = [
            row.decision_id
            for row in connection.execute(sa.text("select decision_id from reservations"))
        ]
        requests = set(
            connection.execute(sa.text("select request_id from sizing_requests")).scalars()
        )
    # Every decision a client received is stored; every stored request is whole.
    assert set(received) <= set(stored)
    for request_id in requests:
        decisions = [row for row in stored.values() if row.request_id == request_id]
        assert len(decisions) == len(bodies[request_id]["accounts"]), request_id
    # One reservation per approved decision: none lost, none doubled.
    approved = {row.id for row in stored.values() if row.status == "approved"}
    assert approved, "no decision was approved: the reservations were not put to the test"
    assert sorted(reservations) == sorted(approved)
    assert {d["decision_id"] for d in received.values() if d["status"] == "approved"} <= approved
