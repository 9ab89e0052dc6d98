"""Faults: the database failing mid-request, a scheduler that stops, data that ages, and a
broker's hard breach against ARIA's own debounced halt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy import Engine, event

from aria.api.app import create_app
from aria.service import maintenance
from aria.service.commands import BarsBatch
from aria.service.context import Context
from aria.service.market import ingest_bars
from storage.errors import Unavailable
from tests.builders import utc
from tests.integration.builders import ask, open_account, push

D = Decimal
NOW = "2026-06-02 09:00:00"


@contextmanager
def failing_at(engine: Engine, fragment: str) -> Iterator[list[str]]:
    """The connection drops when a statement containing ``fragment`` runs (once)."""
    seen: list[str] = []

    def drop(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if fragment in statement and not seen:
            seen.append(statement)
            raise sa.exc.OperationalError(statement, None, ConnectionError("server went away"))

    event.listen(engine, "before_cursor_execute", drop)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", drop)


def _counts(engine: Engine) -> dict[str, int]:
    tables = ("sizing_requests", "sizing_decisions", "reservations", "input_parts", "rule_events")
    with engine.connect() as connection:
        counts = {
            t: connection.execute(sa.text(f"select count(*) from {t}")).scalar_one() for t in tables
        }
        counts["chain"] = connection.execute(
            sa.text("select coalesce(sum(chain_seq), 0) from account_trackers")
        ).scalar_one()
    return counts


@freeze_time(NOW)
def test_the_database_failing_mid_request_writes_nothing(ctx: Context, engine: Engine) -> None:
    for account_id in ("a", "b", "c"):
        open_account(ctx, account_id)
        push(ctx, account_id, 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    before = _counts(engine)
    # The decisions, their parts and reservations are written by then; the chain heads next.
    with failing_at(engine, "SET chain_seq") as seen, pytest.raises(Unavailable) as failed:
        ask(ctx, "mid", ["a", "b", "c"])
    assert seen, "the fault was injected"
    assert seen[0].lstrip().upper().startswith("UPDATE")  # after the decisions were written
    assert "the database is unavailable" in str(failed.value)
    assert "nothing was written" in str(failed.value)
    assert _counts(engine) == before
    # The same service recovers at once, and the retry is a first answer, not a replay.
    retried = ask(ctx, "mid", ["a", "b", "c"])
    assert not retried.replayed
    assert all(d.decision.approved for d in retried.decisions)


@freeze_time(NOW)
def test_a_stopped_scheduler_shows_in_healthz(ctx: Context) -> None:
    client = TestClient(create_app(ctx, heartbeat_limit=120))
    maintenance.heartbeat(ctx)
    assert client.get("/healthz").json()["status"] == "ok"
    with freeze_time("2026-06-02 09:01:00"):
        assert client.get("/healthz").json()["status"] == "ok"
    with freeze_time("2026-06-02 09:05:00"):  # four minutes without a beat
        body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["scheduler_heartbeat_age_seconds"] == 300


def test_sizing_turns_to_stale_data_once_market_data_passes_its_age(ctx: Context) -> None:
    start = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)  # 60 bars: enough for an ATR
    bars = []
    for day in range(60):
        close = D("1.2700") + D(day % 5) / 1000
        bars.append(
            (
                start + dt.timedelta(days=day),
                close,
                close + D("0.004"),
                close - D("0.004"),
                close,
                None,
            )
        )
    with freeze_time(start + dt.timedelta(days=60)):
        ingest_bars(ctx, BarsBatch(symbol="GBPUSD", bars=tuple(bars)))
        maintenance.volatility(ctx)
    open_account(ctx, "s")
    atr_stop = {"stop": None, "stop_atr_multiple": "2"}
    # The last bar is of 30 May; the aria preset accepts market data up to four days old.
    with freeze_time("2026-06-02 09:00:00"):
        push(ctx, "s", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
        fresh = ask(ctx, "fresh", ["s"], **atr_stop).decisions[0].decision
    with freeze_time("2026-06-04 09:00:00"):
        push(ctx, "s", 100_000, 100_000, utc(2026, 6, 4, 8, 59))
        stale = ask(ctx, "stale", ["s"], **atr_stop).decisions[0].decision
    assert fresh.approved
    assert stale.reject_codes == ["stale_data"]
    assert stale.reasons  # the wording: test_reason_wording.py
    assert fresh.reject_codes == []  # the same bars two days earlier were fresh enough


@freeze_time(NOW)
def test_a_brokers_hard_breach_is_final_where_aria_own_halt_is_debounced(ctx: Context) -> None:
    open_account(ctx, "h")  # FTMO 2-Step 100k: daily-loss floor 95,000, hard
    minute = dt.timedelta(minutes=1)
    start = utc(2026, 6, 2, 8, 50)
    push(ctx, "h", 100_000, 100_000, start)
    # One tick near the floor is ARIA's business, debounced: nothing latches…
    near = push(ctx, "h", 100_000, 95_300, start + minute)
    assert near.account.trading.status.value == "active"
    # …one tick through it is the firm's verdict, reported by the broker: final.
    through = push(ctx, "h", 100_000, 94_900, start + 2 * minute)
    assert through.account.trading.halt is not None
    assert through.account.trading.halt.value == "failed"
    recovered = push(ctx, "h", 100_000, 100_000, start + 3 * minute)
    assert recovered.account.trading.halt is not None
    assert recovered.account.trading.halt.value == "failed"
    (sized,) = ask(ctx, "after", ["h"]).decisions
    assert sized.decision.reject_codes == ["halted"]  # until an operator re-enables it
