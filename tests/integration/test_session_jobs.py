"""The flat-by job on a real database: two schedulers sharing PostgreSQL warn once per slot."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from aria.audit.filters import EventFilter
from aria.service import maintenance
from aria.service.context import Context
from tests.builders import open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import make_context


@pytest.mark.postgres
def test_two_schedulers_warn_of_a_flat_by_once(engine: Engine, clock: SettableClock) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("two scheduler processes share a database only on PostgreSQL")
    first, second = make_context(engine, clock=clock), make_context(engine, clock=clock)
    # Monday 2026-03-09 15:10 CDT = 20:10 UTC is Topstep's flat-by; 20:06 is within 5 minutes.
    clock.move_to("2026-03-09 20:00:00")
    for index in range(10):
        name = f"ts-{index:02d}"
        open_account(
            first, name, firm="topstep", plan="trading-combine", phase="combine", size=50_000
        )
        push(first, name, 50_000, 50_000, utc(2026, 3, 9, 20, 0))
    clock.move_to("2026-03-09 20:06:00")
    start = threading.Barrier(2)

    def run(ctx: Context) -> int:
        start.wait()
        return maintenance.flat_by(ctx).done

    results: list[int] = []
    threads = [threading.Thread(target=lambda c=c: results.append(run(c))) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 10  # one warning per account, whichever scheduler wrote it
    for index in range(10):
        with first.unit() as uow:
            found = uow.audit.events(
                EventFilter(account=f"ts-{index:02d}", kind="flat_by_warning"), None, 10
            )
        assert [e.detail["minutes"] for e in found] == [5]
