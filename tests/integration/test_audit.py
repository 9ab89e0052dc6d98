"""The audit trail: chained, append-only, replayable — and tampering is found."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from aria.audit.chain import GENESIS, decision_hash, event_hash, state_hash
from aria.audit.filters import DecisionFilter, EventFilter
from aria.service import audit
from aria.service.context import Context
from aria.service.errors import InvalidInput
from storage.rows import DecisionRow, EventRow, StateRecordRow, TrackerRow
from tests.builders import ask, open_account, push, utc

# The ``ctx`` fixture's clock stands at 2026-06-02 09:00 UTC (``tests.clocks.START``).


def _fields(row: Any) -> dict[str, Any]:
    """A stored row's values by column name, as the chain's rules read them."""
    return {column.name: getattr(row, column.name) for column in row.__table__.c}


def _history(ctx: Context) -> list[str]:
    open_account(ctx, "a")
    open_account(ctx, "b")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    push(ctx, "b", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    ids = []
    for index in range(3):
        ids += [d.decision_id for d in ask(ctx, f"r{index}", ["a", "b"]).decisions]
    return ids


def _unprotect(engine: Engine, connection: sa.Connection) -> None:
    """What someone with the database's keys could do: switch the append-only guard off."""
    if engine.dialect.name == "postgresql":
        connection.execute(
            sa.text("ALTER TABLE sizing_decisions DISABLE TRIGGER sizing_decisions_append_only")
        )
    else:
        connection.execute(sa.text("DROP TRIGGER sizing_decisions_no_update"))


def test_tampering_with_one_decision_is_found_and_named(ctx: Context, engine: Engine) -> None:
    ids = _history(ctx)
    victim = ids[3]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
                connection.execute(
                    sa.text("update sizing_decisions set lots = '9' where id = :id"), {"id": victim}
                )
        _unprotect(engine, connection)
        connection.execute(
            sa.text("update sizing_decisions set lots = '9' where id = :id"), {"id": victim}
        )
    report = audit.verify(ctx)
    assert not report.ok
    assert f"decision {victim}" in (report.problem or "")
    assert "altered after it was written" in (report.problem or "")


def _forge(engine: Engine, decision_id: str, lots: str) -> None:
    """A forger with full knowledge: change a decision, then rewrite every hash after it."""
    with Session(engine) as session, session.begin():
        _unprotect(engine, session.connection())
        if engine.dialect.name == "sqlite":
            session.execute(sa.text("DROP TRIGGER IF EXISTS rule_events_no_update"))
        else:
            session.execute(
                sa.text("ALTER TABLE rule_events DISABLE TRIGGER rule_events_append_only")
            )
            session.execute(
                sa.text("ALTER TABLE state_records DISABLE TRIGGER state_records_append_only")
            )
        if engine.dialect.name == "sqlite":
            session.execute(sa.text("DROP TRIGGER IF EXISTS state_records_no_update"))
        target = session.get(DecisionRow, decision_id)
        assert target is not None
        decision = json.loads(target.decision)
        decision["lots"] = lots
        target.decision, target.lots = json.dumps(decision), Decimal(lots)
        rows = sorted(
            [
                *session.scalars(
                    sa.select(DecisionRow).where(DecisionRow.account_id == target.account_id)
                ),
                *session.scalars(
                    sa.select(EventRow).where(EventRow.account_id == target.account_id)
                ),
                *session.scalars(
                    sa.select(StateRecordRow).where(StateRecordRow.account_id == target.account_id)
                ),
            ],
            key=lambda row: row.seq,
        )
        previous = GENESIS
        for row in rows:
            row.prev_hash = previous
            if isinstance(row, DecisionRow):
                row.hash = decision_hash(previous, _fields(row))
            elif isinstance(row, StateRecordRow):
                row.hash = state_hash(previous, _fields(row))
            else:
                row.hash = event_hash(previous, _fields(row))
            previous = row.hash
        tracker = session.get(TrackerRow, target.account_id)
        assert tracker is not None
        tracker.chain_hash = previous


def test_a_forged_chain_still_fails_replay(ctx: Context, engine: Engine) -> None:
    ids = _history(ctx)
    _forge(engine, ids[2], "7.00")
    report = audit.verify(ctx)
    assert not report.ok
    assert f"decision {ids[2]}" in (report.problem or "")
    assert "replaying it gives a different 'lots'" in (report.problem or "")


def test_a_removed_last_record_breaks_the_chain_head(ctx: Context, engine: Engine) -> None:
    ids = _history(ctx)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                sa.text("ALTER TABLE sizing_decisions DISABLE TRIGGER sizing_decisions_append_only")
            )
        else:
            connection.execute(sa.text("DROP TRIGGER sizing_decisions_no_delete"))
        connection.execute(
            sa.text("delete from reservations where decision_id = :id"), {"id": ids[-1]}
        )
        connection.execute(sa.text("delete from sizing_decisions where id = :id"), {"id": ids[-1]})
    report = audit.verify(ctx)
    assert not report.ok
    assert "chain head" in (report.problem or "")


def test_queries_filter_and_page(ctx: Context) -> None:
    _history(ctx)
    first = audit.query_decisions(ctx, DecisionFilter(account="a"), limit=2)
    assert len(first.items) == 2
    assert first.next_cursor
    rest = audit.query_decisions(
        ctx, DecisionFilter(account="a"), cursor=first.next_cursor, limit=2
    )
    assert len(rest.items) == 1
    assert rest.next_cursor is None
    seen = [d.id for d in first.items + rest.items]
    assert len(set(seen)) == 3
    assert [d.seq for d in first.items + rest.items] == sorted(
        (d.seq for d in first.items + rest.items), reverse=True
    )
    assert audit.query_decisions(ctx, DecisionFilter(status="rejected")).items == []
    assert (
        len(
            audit.query_decisions(
                ctx, DecisionFilter(owner="alice", symbol="GBPUSD"), limit=100
            ).items
        )
        == 6
    )
    events = audit.query_events(ctx, EventFilter(kind="account_opened"))
    assert {e.account_id for e in events.items} == {"a", "b"}
    with pytest.raises(InvalidInput, match="cursor"):
        audit.query_decisions(ctx, DecisionFilter(), cursor="not-a-cursor")
