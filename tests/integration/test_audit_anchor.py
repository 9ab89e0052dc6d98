"""What verify sees of a log cut by someone with the database's keys: whole histories deleted,
tails cut with the head fixed, middles deleted and re-hashed (checkpoints kept outside)."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aria.audit.chain import GENESIS, decision_hash, event_hash, state_hash
from aria.service import audit, checkpoints
from aria.service.context import Context
from storage.repositories import AuditRepository
from storage.rows import DecisionRow, EventRow, StateRecordRow, TrackerRow
from tests.builders import ask, open_account, push, utc

KEY = "officer-secret"
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
    for index in range(4):
        ids += [d.decision_id for d in ask(ctx, f"r{index}", ["a", "b"]).decisions]
    return ids


def _unguard(engine: Engine, connection: sa.Connection) -> None:
    """What a database superuser can do: switch every append-only guard off."""
    for table in ("sizing_decisions", "rule_events", "state_records"):
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        else:
            for action in ("update", "delete"):
                connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))


def _erase(engine: Engine, account_id: str, *, head: bool = False, account: bool = False) -> None:
    with engine.begin() as connection:
        _unguard(engine, connection)
        for table in ("reservations", "sizing_decisions", "rule_events", "state_records"):
            connection.execute(
                sa.text(f"delete from {table} where account_id = :a"), {"a": account_id}
            )
        if head or account:
            connection.execute(
                sa.text("delete from account_trackers where account_id = :a"), {"a": account_id}
            )
        if account:
            for table in ("account_states", "trades"):
                connection.execute(
                    sa.text(f"delete from {table} where account_id = :a"), {"a": account_id}
                )
            connection.execute(sa.text("delete from accounts where id = :a"), {"a": account_id})


def _rechain(session: Session, account_id: str) -> None:
    """Renumber and re-hash an account's remaining records, and fix its stored head."""
    rows = sorted(
        [
            *session.scalars(sa.select(DecisionRow).where(DecisionRow.account_id == account_id)),
            *session.scalars(sa.select(EventRow).where(EventRow.account_id == account_id)),
            *session.scalars(
                sa.select(StateRecordRow).where(StateRecordRow.account_id == account_id)
            ),
        ],
        key=lambda row: row.seq,
    )
    previous = GENESIS
    for number, row in enumerate(rows, start=1):
        row.seq, row.prev_hash = number, previous
        session.flush()
        if isinstance(row, DecisionRow):
            row.hash = decision_hash(previous, _fields(row))
        elif isinstance(row, StateRecordRow):
            row.hash = state_hash(previous, _fields(row))
        else:
            row.hash = event_hash(previous, _fields(row))
        previous = row.hash
    tracker = session.get(TrackerRow, account_id)
    assert tracker is not None
    tracker.chain_seq, tracker.chain_hash = len(rows), previous


def _delete_and_rechain(engine: Engine, decision_ids: list[str]) -> None:
    with Session(engine) as session, session.begin():
        _unguard(engine, session.connection())
        accounts = set()
        for decision_id in decision_ids:
            row = session.get(DecisionRow, decision_id)
            assert row is not None
            accounts.add(row.account_id)
            session.execute(
                sa.text("delete from reservations where decision_id = :d"), {"d": decision_id}
            )
            session.delete(row)
        session.flush()
        for account_id in accounts:
            _rechain(session, account_id)


# Item 4: a whole history deleted ---------------------------------------------------------


def test_an_account_whose_whole_history_was_deleted_fails_verify(
    ctx: Context, engine: Engine
) -> None:
    _history(ctx)
    _erase(engine, "a")
    report = audit.verify(ctx)
    assert not report.ok
    assert "account a" in (report.problem or "")
    assert "chain head is record" in (report.problem or "")
    assert "0 records remain" in (report.problem or "")


def test_records_without_a_chain_head_fail_verify(ctx: Context, engine: Engine) -> None:
    _history(ctx)
    with engine.begin() as connection:
        connection.execute(sa.text("delete from account_trackers where account_id = 'b'"))
    report = audit.verify(ctx)
    assert not report.ok
    assert "account b" in (report.problem or "")
    assert "no chain head" in (report.problem or "")


def test_an_account_deleted_with_its_head_is_only_found_by_a_checkpoint(
    ctx: Context, engine: Engine
) -> None:
    _history(ctx)
    ctx.options = dataclasses.replace(ctx.options, audit_key=KEY)
    kept = checkpoints.take(ctx)
    _erase(engine, "a", account=True)
    assert audit.verify(ctx).ok  # nothing in the database says "a" ever existed
    report = checkpoints.verify_against(ctx, checkpoints.parse(kept.to_json()))
    assert not report.ok
    assert "account a: record" in (report.problem or "")
    assert "missing" in (report.problem or "")


# Item 5: checkpoints kept outside the database -------------------------------------------


def test_a_cut_tail_with_a_fixed_head_passes_verify_but_not_the_checkpoint(
    ctx: Context, engine: Engine
) -> None:
    ids = _history(ctx)
    ctx.options = dataclasses.replace(ctx.options, audit_key=KEY)
    kept = checkpoints.parse(checkpoints.take(ctx).to_json())
    last_of_a = [i for i in ids if _account_of(engine, i) == "a"][-1]
    _delete_and_rechain(engine, [last_of_a])
    assert audit.verify(ctx).ok
    report = checkpoints.verify_against(ctx, kept)
    assert not report.ok
    count = next(h.count for h in kept.heads if h.account_id == "a")
    assert f"account a: record {count} of the checkpoint is missing" in (report.problem or "")


def test_a_deleted_middle_rehashed_passes_verify_but_not_the_checkpoint(
    ctx: Context, engine: Engine
) -> None:
    ids = _history(ctx)
    ctx.options = dataclasses.replace(ctx.options, audit_key=KEY)
    kept = checkpoints.parse(checkpoints.take(ctx).to_json())
    ask(ctx, "after", ["b"])  # so that b's chain is as long again after the deletion
    second_of_b = [i for i in ids if _account_of(engine, i) == "b"][1]
    _delete_and_rechain(engine, [second_of_b])
    assert audit.verify(ctx).ok
    report = checkpoints.verify_against(ctx, kept)
    assert not report.ok
    count = next(h.count for h in kept.heads if h.account_id == "b")
    assert f"account b: record {count} no longer has the checkpointed hash" in (
        report.problem or ""
    )


def _account_of(engine: Engine, decision_id: str) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                sa.text("select account_id from sizing_decisions where id = :d"), {"d": decision_id}
            ).scalar_one()
        )


# Item 8: a verification never holds up a writer ------------------------------------------


def test_a_sizing_request_completes_while_a_verification_holds_its_transaction(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(ctx)
    inside, release = threading.Event(), threading.Event()
    real = AuditRepository.verify_chain

    def held(self: AuditRepository, account_id: str) -> Any:
        found = real(self, account_id)
        inside.set()
        release.wait(timeout=20)  # only reached when trading was stalled: the test fails then
        return found

    monkeypatch.setattr(AuditRepository, "verify_chain", held)
    reports: list[audit.VerifyReport] = []
    verifier = threading.Thread(target=lambda: reports.append(audit.verify(ctx, "a")))
    verifier.start()
    try:
        assert inside.wait(timeout=20)
        traded = ask(ctx, "during-verify", ["a"])
        still_open = not release.is_set() and verifier.is_alive()
    finally:
        release.set()
        verifier.join()
    assert traded.decisions
    assert still_open  # answered while the verification's read transaction was open
    # The verification saw one snapshot: the record written meanwhile is not a broken head.
    assert reports[0].ok, reports[0].problem
    assert audit.verify(ctx).ok
