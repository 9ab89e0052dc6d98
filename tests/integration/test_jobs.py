"""Scheduled jobs on a real database: two schedulers sharing PostgreSQL reset a day once.
(The jobs' behaviour otherwise is tested on the in-memory store, in ``tests/service``.)"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from aria.audit.filters import EventFilter
from aria.service import maintenance
from aria.service.context import Context
from tests.builders import open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import make_context

D = Decimal


def resets(ctx: Context, account_id: str) -> list[dict]:
    with ctx.unit() as uow:
        events = uow.audit.events(EventFilter(account=account_id, kind="daily_reset"), None, 100)
    return [e.detail for e in reversed(events)]


@pytest.mark.postgres
def test_two_schedulers_reset_a_day_once(engine: Engine, clock: SettableClock) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("two scheduler processes share a database only on PostgreSQL")
    # The two schedulers' clocks agree.
    first, second = make_context(engine, clock=clock), make_context(engine, clock=clock)
    clock.move_to("2026-06-02 21:30:00")
    for index in range(20):
        open_account(first, f"acct-{index:02d}")
        push(first, f"acct-{index:02d}", 100_000, 100_000, utc(2026, 6, 2, 21, 30))
    clock.move_to("2026-06-02 22:00:05")  # midnight in Prague
    start = threading.Barrier(2)

    def run(ctx: Context) -> int:
        start.wait()
        return maintenance.daily_resets(ctx).done

    results: list[int] = []
    threads = [threading.Thread(target=lambda c=c: results.append(run(c))) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 20
    for index in range(20):
        assert len(resets(first, f"acct-{index:02d}")) == 1
    with first.unit() as uow:
        assert uow.jobs.last_runs()["daily_resets"].status == "running"
