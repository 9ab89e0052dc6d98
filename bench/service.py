"""The sizing service with persistence: fan-out latency on SQLite and PostgreSQL, and the floor.

The floor is a bare one-row insert and commit on the same database: nothing durable is
faster, so "audited decision ÷ bare commit" says how much work ARIA adds around a commit.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import sqlalchemy as sa

from aria.service.commands import SizeRequest
from aria.service.sizing import size
from bench.fixtures import INSTRUMENTS, Database, database, populate
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
    figures.extend(single_decision_by_snapshots(quick, folder, backends))
    return figures


def single_decision_by_snapshots(
    quick: bool, folder: Path, backends: tuple[str, ...]
) -> list[Figure]:
    """``service.single_decision_by_snapshots_ms.<db>.<rows>``: one audited decision, by history.

    The volatility job adds a snapshot per symbol and bar (~13,000 rows a year); the cost of a
    decision must not grow with them.
    """
    from decimal import Decimal

    from aria.sizing.market import VolatilitySnapshot
    from storage.rows import SnapshotRow
    from storage.translate_market import snapshot_values

    symbols = ["EURUSD", "GBPUSD", *sorted(INSTRUMENTS.instruments)[:48]]
    figures: list[Figure] = []
    for backend in backends:
        for rows in (0, 5_000, 50_000):
            with database(backend, folder) as db:
                ids = populate(db, 1)
                start = db.clock.now() - dt.timedelta(days=rows // len(symbols) + 1)
                history = [
                    snapshot_values(
                        VolatilitySnapshot(
                            symbol=symbols[n % len(symbols)],
                            timeframe="1d",
                            as_of=start + dt.timedelta(days=n // len(symbols)),
                            atr=Decimal("0.0060"),
                            atr_percentile=Decimal("50"),
                            regime="normal",
                            daily_volatility=Decimal("0.006"),
                            last_close=Decimal("1.0850"),
                            bars=300,
                            computed_at=start + dt.timedelta(days=n // len(symbols)),
                        )
                    )
                    for n in range(rows)
                ]
                with db.engine.begin() as connection:
                    for first in range(0, rows, 5_000):
                        connection.execute(
                            SnapshotRow.__table__.insert(), history[first : first + 5_000]
                        )
                    connection.exec_driver_sql(
                        "ANALYZE" if backend == "sqlite" else "ANALYZE market_snapshots"
                    )
                samples = fanout(db, ids, 20 if quick else 40)
                figures.append(
                    latency(f"service.single_decision_by_snapshots_ms.{backend}.{rows}", samples)
                )
    return figures
