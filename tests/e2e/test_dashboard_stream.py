"""The dashboard's live stream from a real ``aria serve``: a state push is announced to the
owner's stream (by polling on SQLite, by LISTEN/NOTIFY on PostgreSQL), never to another's."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from aria.service.keys import create_key
from tests.builders import open_account
from tests.databases import make_context
from tests.e2e.dashboard_helpers import csrf_of
from tests.e2e.processes import serve

WAIT = 30.0  # seconds a change may take to arrive before the test fails


@dataclass
class Desk:
    """A running server over alice's and bob's accounts, and its keys."""

    base: str
    alice: str  # read, alice only
    admin: str


@pytest.fixture
def desk(database: tuple[str, Engine], tmp_path: Path) -> Iterator[Desk]:
    url, engine = database
    ctx = make_context(engine)
    open_account(ctx, "alice-1", owner="alice")
    open_account(ctx, "bob-1", owner="bob")
    alice = create_key(ctx, "alice-desk", ["read"], owner="alice").token
    admin = create_key(ctx, "ops", ["admin"]).token
    with serve(url, tmp_path / "server.log") as server:
        yield Desk(server.base, alice, admin)


def _push(desk: Desk, account_id: str, equity: int) -> None:
    as_of = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    body = {"balance": "100000", "equity": str(equity), "as_of": as_of, "positions": []}
    answer = httpx.put(
        f"{desk.base}/v1/accounts/{account_id}/state",
        json=body,
        headers={"Authorization": f"Bearer {desk.admin}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


async def _stream(desk: Desk, key: str, pushes: list[tuple[str, int]], until: str) -> list[str]:
    """Sign in with ``key``, open the stream, push each state (after a push to ``until``, wait
    for its event), and return every ``data:`` line read."""
    seen: list[str] = []
    async with httpx.AsyncClient(base_url=desk.base, timeout=30) as browser:
        form = await browser.get("/dashboard/login")
        signed = await browser.post(
            "/dashboard/login", data={"api_key": key, "csrf": csrf_of(form.text)}
        )
        assert signed.status_code == 303
        async with browser.stream("GET", "/dashboard/stream", timeout=None) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            assert (await asyncio.wait_for(anext(lines), WAIT)).startswith("retry:")
            for account_id, equity in pushes:
                await asyncio.to_thread(_push, desk, account_id, equity)
                while account_id == until:
                    line = await asyncio.wait_for(anext(lines), WAIT)
                    if line.startswith("data: "):
                        seen.append(line.removeprefix("data: "))
                        if seen[-1] == until:
                            break
    return seen


def test_a_state_push_reaches_the_owners_stream_and_no_one_elses(desk: Desk) -> None:
    # bob's push comes first: had it leaked to alice's stream, it would arrive before her
    # second change at the latest (a poll names every account that moved since the last).
    pushes = [("bob-1", 99_500), ("alice-1", 99_000), ("alice-1", 98_500)]
    seen = asyncio.run(_stream(desk, desk.alice, pushes, "alice-1"))
    assert seen == ["alice-1", "alice-1"]


def test_an_admin_stream_carries_every_owner(desk: Desk) -> None:
    seen = asyncio.run(_stream(desk, desk.admin, [("bob-1", 99_500)], "bob-1"))
    assert seen == ["bob-1"]
