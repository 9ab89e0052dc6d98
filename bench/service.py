"""The sizing service with persistence: fan-out latency on SQLite and PostgreSQL, beside a floor.

The floor (the anchor) is a bare one-row insert and commit through the same engine and
database, timed in the same process between the trials: nothing durable is faster, so
"audited decision ÷ bare commit" says how much work ARIA adds around a commit. The history
figures time one decision as the install ages: with 0 / 5,000 / 50,000 volatility snapshots
and 0 / 100,000 stored decisions.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from aria.service.commands import SizeRequest
from aria.service.sizing import size
from bench.anchors import bare_commit
from bench.fixtures import INSTRUMENTS, Database, database, populate
from bench.harness import Anchor, Figure, anchored, interleaved, latency, timed, value
from storage.repositories import revisions
from storage.rows import DecisionRow, RequestRow, SnapshotRow

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


def _fanout_call(db: Database, ids: list[str]) -> Anchor:
    def once() -> None:
        size(db.context, _request(ids))
        db.clock.advance(2)  # reservations expire between trials

    return Anchor("fan-out", once)


def fanout(db: Database, ids: list[str], repeat: int, warmup: int = 2) -> list[float]:
    """Seconds per fan-out of one signal to ``ids`` (for ``python -m bench.profile``)."""
    return timed(_fanout_call(db, ids).call, repeat=repeat, warmup=warmup)


def measure(
    db: Database, name: str, ids: list[str], floor: Anchor, rounds: int, per_round: int
) -> tuple[Figure, list[float]]:
    """A fan-out to ``ids`` interleaved with the floor: the anchored figure and its ratios."""
    samples, anchor_s, ratios = interleaved(
        _fanout_call(db, ids).call, floor, rounds, per_round, warmup=2
    )
    return anchored(latency(name, samples), floor, anchor_s, ratios), ratios


def _trials(count: int, quick: bool) -> tuple[int, int]:
    """Rounds and fan-outs per round for a fan-out to ``count`` accounts."""
    if quick:
        return {1: (5, 4), 10: (5, 2), 100: (5, 1), 1000: (3, 1)}[count]
    return {1: (10, 5), 10: (10, 3), 100: (8, 2), 1000: (5, 1), 5000: (3, 1)}[count]


def scaling(db: Database, backend: str, quick: bool) -> list[Figure]:
    """Figures ``service.fanout_ms.<db>.<N>``, ``service.per_account_ms.<db>.<N>``, the floor
    ``service.bare_commit_ms.<db>`` and ``service.audited_over_commit.<db>``."""
    figures: list[Figure] = []
    sizes = (1, 10, 100, 1000) if quick else (1, 10, 100, 1000, 5000)
    ids = populate(db, max(sizes))
    floor = bare_commit(db.engine)
    for count in sizes:
        rounds, per_round = _trials(count, quick)
        figure, ratios = measure(
            db, f"service.fanout_ms.{backend}.{count}", ids[:count], floor, rounds, per_round
        )
        figures.append(figure)
        per_account = latency(
            f"service.per_account_ms.{backend}.{count}", [figure.p50 / 1e3 / count]
        )
        figures.append(per_account)
        if count == 1:
            assert figure.anchor_p50 is not None
            figures.append(latency(f"service.bare_commit_ms.{backend}", [figure.anchor_p50 / 1e3]))
            # Itself a ratio to the floor: the anchor is named, its time is the figure above.
            ratio = value(f"service.audited_over_commit.{backend}", "ratio", ratios)
            figures.append(replace(ratio, anchor=floor.name, ratio=ratio.p50))
    return figures


def _add_snapshots(db: Database, count: int, start: int) -> None:
    """``count`` old volatility snapshots, the symbols in turn, a day apart per round."""
    symbols = sorted(INSTRUMENTS.instruments)
    table = SnapshotRow.__table__
    newest = db.clock.now() - dt.timedelta(days=1)
    rows = []
    for index in range(start, start + count):
        computed = newest - dt.timedelta(days=index // len(symbols))
        rows.append(
            {
                "symbol": symbols[index % len(symbols)],
                "timeframe": "1d",
                "as_of": computed,
                "atr": Decimal("0.0065"),
                "atr_percentile": Decimal(55),
                "regime": "normal",
                "daily_volatility": Decimal("0.006"),
                "last_close": Decimal("1.0850"),
                "bars": 300,
                "computed_at": computed,
            }
        )
    with db.engine.begin() as connection:
        for chunk in range(0, len(rows), 5000):
            connection.execute(sa.insert(table), rows[chunk : chunk + 5000])
        revisions.bump_on(connection, revisions.SNAPSHOTS)


def _add_decisions(db: Database, count: int, ids: list[str]) -> None:
    """``count`` copies of a stored decision (and its request), new ids, over ``ids``."""
    decisions = DecisionRow.__table__
    requests = RequestRow.__table__
    with db.engine.begin() as connection:
        decision = dict(connection.execute(sa.select(decisions).limit(1)).mappings().one())
        request = dict(
            connection.execute(
                sa.select(requests).where(
                    requests.c.scope == decision["request_scope"],
                    requests.c.request_id == decision["request_id"],
                )
            )
            .mappings()
            .one()
        )
        for chunk in range(0, count, 5000):
            tag = uuid.uuid4().hex[:8]
            numbers = range(chunk, min(chunk + 5000, count))
            connection.execute(
                sa.insert(requests),
                [{**request, "request_id": f"history-{tag}-{n}"} for n in numbers],
            )
            connection.execute(
                sa.insert(decisions),
                [
                    {
                        **decision,
                        "id": uuid.uuid4().hex,
                        "request_id": f"history-{tag}-{n}",
                        "account_id": ids[n % len(ids)],
                    }
                    for n in numbers
                ],
            )


def history(db: Database, backend: str, quick: bool) -> list[Figure]:
    """Figures ``service.single_ms.<db>.snapshots.<K>`` and ``….decisions.<K>``: one audited
    decision with K snapshot rows, then K stored decisions, beside the bare commit."""
    figures: list[Figure] = []
    ids = populate(db, 20, prefix="hist")
    floor = bare_commit(db.engine)
    rounds, per_round = (5, 4) if quick else (10, 5)
    stored = 0
    for rows in (0, 5000, 50_000):
        _add_snapshots(db, rows - stored, stored)
        stored = rows
        figure, _ = measure(
            db, f"service.single_ms.{backend}.snapshots.{rows}", ids[:1], floor, rounds, per_round
        )
        figures.append(figure)
    with db.engine.begin() as connection:
        connection.execute(sa.delete(SnapshotRow.__table__))
        revisions.bump_on(connection, revisions.SNAPSHOTS)
    added = 0
    for count in (0, 10_000) if quick else (0, 100_000):
        _add_decisions(db, count - added, ids)
        added = count
        figure, _ = measure(
            db, f"service.single_ms.{backend}.decisions.{count}", ids[:1], floor, rounds, per_round
        )
        figures.append(figure)
    return figures


def run(quick: bool, folder: Path, backends: tuple[str, ...]) -> list[Figure]:
    """The scaling and history figures on each backend."""
    figures: list[Figure] = []
    for backend in backends:
        with database(backend, folder) as db:
            figures += scaling(db, backend, quick)
        with database(backend, folder) as db:
            figures += history(db, backend, quick)
    return figures
