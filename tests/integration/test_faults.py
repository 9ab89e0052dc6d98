"""Faults: the database failing mid-request writes nothing. (A scheduler that stops, data that
ages and a broker's hard breach are tested on the in-memory store, in ``tests/service``.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, event

from aria.service.context import Context
from storage.errors import Unavailable
from tests.builders import ask, open_account, push, utc

D = Decimal
# The ``ctx`` fixture's clock stands at 2026-06-02 09:00 UTC (``tests.clocks.START``).


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
