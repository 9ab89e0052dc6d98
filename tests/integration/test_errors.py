"""Errors that tell the truth: races and dropped connections become 4xx/503 answers that say
what happened, and ``/healthz`` proves writes succeed."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from aria.api.app import create_app
from aria.api.routes.health import WriteProbe
from aria.service import accounts as account_service
from aria.service.commands import RecordTrades
from aria.service.context import Context
from aria.service.keys import create_key
from storage.errors import OutcomeUnknown, Unavailable
from tests.builders import TRADE, ask, open_account, push, utc

# The ``ctx`` fixture's clock stands at 2026-06-02 09:00 UTC (``tests.clocks.START``).


def _trades(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("select count(*) from trades")).scalar_one())


def _waiting_on_a_lock(engine: Engine) -> bool:
    if engine.dialect.name != "postgresql":
        return True  # SQLite queues writers on the process's lock: nothing to see
    with engine.connect() as connection:
        waiting = connection.execute(
            sa.text(
                "select count(*) from pg_stat_activity"
                " where wait_event_type = 'Lock' and query ilike 'INSERT INTO trades%'"
            )
        ).scalar_one()
    return bool(waiting)


def test_the_same_trade_pushed_concurrently_is_stored_once(ctx: Context, engine: Engine) -> None:
    open_account(ctx, "a")
    command = RecordTrades.model_validate({"trades": [TRADE]})
    results: list[Any] = []
    with ctx.unit() as first:
        # One push has written the trade but not committed when the other arrives: the other
        # looks, finds nothing, and inserts too.
        assert first.accounts.add_trade("a", command.trades[0])

        def second() -> None:
            try:
                results.append(account_service.record_trades(ctx, "a", command))
            except Exception as exc:  # the assertion below shows what escaped
                results.append(exc)

        worker = threading.Thread(target=second)
        worker.start()
        for _ in range(200):  # until the second insert waits on the first's row
            if _waiting_on_a_lock(engine):
                break
            time.sleep(0.02)
        first.commit()
    worker.join(timeout=30)
    assert results == [0]
    assert _trades(engine) == 1


@pytest.mark.postgres
def test_a_connection_dropped_in_the_bulk_writer_is_unavailable(
    ctx: Context, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is the PostgreSQL path")
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))

    def drop(*_: Any) -> None:
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(psycopg.Copy, "write_row", drop)
    with pytest.raises(Unavailable) as failed:
        ask(ctx, "copy", ["a"])
    monkeypatch.undo()
    assert "the database is unavailable" in str(failed.value)
    assert "nothing was written" in str(failed.value)
    retried = ask(ctx, "copy", ["a"])
    assert not retried.replayed
    assert retried.decisions[0].decision.approved


def test_a_connection_lost_during_commit_says_the_outcome_is_unknown(
    ctx: Context, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    commit = engine.dialect.do_commit
    lost = engine.dialect.loaded_dbapi.OperationalError  # type: ignore[attr-defined]

    def committed_then_lost(connection: Any) -> None:
        commit(connection)  # the server made it durable; its answer never arrived
        raise lost("server closed the connection unexpectedly")

    monkeypatch.setattr(engine.dialect, "do_commit", committed_then_lost)
    with pytest.raises(OutcomeUnknown) as failed:
        ask(ctx, "lost", ["a"])
    monkeypatch.undo()
    message = str(failed.value)
    assert "nothing was written" not in message
    assert "the outcome is unknown" in message
    assert "retry with the same request_id" in message
    retried = ask(ctx, "lost", ["a"])
    assert retried.replayed  # it had been written: the retry returns the stored decision
    assert retried.decisions[0].decision.approved


def test_the_api_answers_503_with_an_unknown_outcome_when_commit_is_lost(
    ctx: Context, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_account(ctx, "a")
    client = TestClient(create_app(ctx), raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {create_key(ctx, 'copier', ['size']).token}"}
    commit = engine.dialect.do_commit
    lost = engine.dialect.loaded_dbapi.OperationalError  # type: ignore[attr-defined]

    def committed_then_lost(connection: Any) -> None:
        commit(connection)
        raise lost("server closed the connection unexpectedly")

    monkeypatch.setattr(engine.dialect, "do_commit", committed_then_lost)
    answer = client.post("/v1/accounts/a/trades", json={"trades": [TRADE]}, headers=headers)
    monkeypatch.undo()
    assert answer.status_code == 503
    assert "the outcome is unknown" in answer.json()["error"]["message"]
    assert _trades(engine) == 1


def test_healthz_is_down_when_the_database_reads_but_cannot_write(
    ctx: Context, engine: Engine
) -> None:
    app = create_app(ctx)
    app.state.write_probe = WriteProbe(interval=0)  # probe on every call
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/healthz").json()["database"] == "ok"

    def full(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise sa.exc.OperationalError(statement, None, OSError("database or disk is full"))

    event.listen(engine, "before_cursor_execute", full)
    try:
        answer = client.get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", full)
    assert answer.status_code == 503
    assert answer.json()["status"] == "down"
    assert "writes fail" in answer.json()["database"]
    assert client.get("/healthz").status_code == 200


def test_a_flood_of_health_checks_writes_at_most_once_a_second(
    ctx: Context, engine: Engine
) -> None:
    # /healthz needs no key: each call must not queue up for the database's writer.
    app = create_app(ctx)
    app.state.write_probe = WriteProbe(clock=lambda: 0.0)  # no second ever passes
    client = TestClient(app, raise_server_exceptions=False)
    writes: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        answers = [client.get("/healthz") for _ in range(20)]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert {a.json()["database"] for a in answers} == {"ok"}
    assert len(writes) == 1  # the first call's probe; the others share its answer


@pytest.mark.parametrize(
    ("error", "status"),
    [(sa.exc.IntegrityError, 409), (sa.exc.DataError, 422)],
    ids=["unique-violation", "value-refused"],
)
def test_a_write_the_database_refuses_is_a_4xx_not_a_500(
    ctx: Context, engine: Engine, error: type[sa.exc.DBAPIError], status: int
) -> None:
    client = TestClient(create_app(ctx), raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {create_key(ctx, 'ops', ['admin']).token}"}
    account = {"id": "a", "owner": "alice", "firm": "ftmo", "plan": "2-step", "size": 100_000}

    def refuse(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        # What a concurrent creator of the same id, or a value beyond a column, looks like.
        if statement.lstrip().upper().startswith("INSERT INTO ACCOUNTS"):
            raise error(statement, None, Exception("refused by the database"))

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        answer = client.post("/v1/accounts", json=account, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
    assert answer.status_code == status, answer.text
    assert "nothing was written" in answer.json()["error"]["message"]
    assert client.post("/v1/accounts", json=account, headers=headers).status_code == 201
