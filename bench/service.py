"""The sizing service with persistence: fan-out latency on SQLite and PostgreSQL, and the floor.

The floor is a bare one-row insert and commit on the same database: nothing durable is
faster, so "audited decision ÷ bare commit" says how much work ARIA adds around a commit.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import sqlalchemy as sa

from aria.service.commands import SizeRequest
from aria.service.sizing import size
from bench.fixtures import Database, database, populate
from bench.harness import Figure, latency, timed, value

_counter = itertools.count()


def _request(ids: list[str]) -> SizeRequest:
    return SizeRequest.model_validate(
        {
            "request_id": f"bench-{next(_counter)}",
            "accounts": ids,
            "symbol": "EURUSD",
            "side": "long",
            "entry": "1.0850",
            "stop": "1.0800",
            "strategy": "trend",
        }
    )


def _bare_commit(db: Database, repeat: int) -> list[float]:
    table = sa.Table(
        "bench_commits",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("payload", sa.String(64)),
    )
    table.create(db.engine, checkfirst=True)
    counter = itertools.count()

    def once() -> None:
        with db.engine.begin() as connection:
            connection.execute(table.insert().values(id=next(counter), payload="x" * 32))

    return timed(once, repeat=repeat, warmup=5)


def fanout(db: Database, ids: list[str], repeat: int) -> list[float]:
    """Seconds per fan-out of one signal to ``ids`` (reservations expire between trials)."""

    def once() -> None:
        size(db.context, _request(ids))
        db.clock.advance(2)

    return timed(once, repeat=repeat, warmup=2)


def run(quick: bool, folder: Path, backends: tuple[str, ...]) -> list[Figure]:
    """Figures ``service.fanout_ms.<db>.<N>``, per-account cost, the commit floor and the ratio."""
    figures: list[Figure] = []
    sizes = (1, 10, 100) if quick else (1, 10, 100, 1000)
    for backend in backends:
        with database(backend, folder) as db:
            ids = populate(db, max(sizes))
            commit = _bare_commit(db, 50 if quick else 300)
            figures.append(latency(f"service.bare_commit_ms.{backend}", commit))
            single = None
            for count in sizes:
                repeat = (
                    {1: 50, 10: 30, 100: 15, 1000: 8}[count]
                    if not quick
                    else {1: 20, 10: 10, 100: 5}[count]
                )
                samples = fanout(db, ids[:count], repeat)
                figures.append(latency(f"service.fanout_ms.{backend}.{count}", samples))
                figures.append(
                    latency(
                        f"service.per_account_ms.{backend}.{count}", [s / count for s in samples]
                    )
                )
                if count == 1:
                    single = samples
            assert single is not None
            commit_p50 = sorted(commit)[len(commit) // 2]
            figures.append(
                value(
                    f"service.audited_over_commit.{backend}",
                    "ratio",
                    [s / commit_p50 for s in single],
                )
            )
    return figures
