"""Databases with many accounts, built fast (bulk inserts), for the service and job benchmarks."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Engine

from accounts.model import Account, AccountState, DayStart
from accounts.peaks import Peaks
from accounts.tracker import Tracker
from aria.service.context import Context, ServiceOptions
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog
from storage.engine import make_engine
from storage.schema import upgrade
from storage.uow import SqlUnitOfWork, unit_of_work_factory

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC)
CATALOG = load_catalog()
INSTRUMENTS = load_instruments()


class SteppingClock:
    """A clock that moves forward only when told (reservations expire between trials)."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.current = start

    def now(self) -> dt.datetime:
        """The benchmark's present."""
        return self.current

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.current += dt.timedelta(seconds=seconds)


@dataclass
class Database:
    """A migrated database and a context over it."""

    engine: Engine
    context: Context
    clock: SteppingClock
    backend: str


@contextmanager
def database(
    backend: str, folder: Path, options: ServiceOptions | None = None
) -> Iterator[Database]:
    """A fresh SQLite file or PostgreSQL schema, migrated, dropped afterwards."""
    admin: Engine | None = None
    schema = f"aria_bench_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
        engine = make_engine(f"sqlite:///{path}")
    else:
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(
            f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", pool_size=20, max_overflow=10
        )
    try:
        upgrade(engine)
        clock = SteppingClock()
        sessions = unit_of_work_factory(engine)
        context = Context(
            # The benchmark moves time itself (reservations expire between trials), on
            # PostgreSQL too.
            uow=lambda: SqlUnitOfWork(sessions, clock.now, database_time=False),
            clock=clock,
            catalog=CATALOG,
            instruments=INSTRUMENTS,
            options=options or ServiceOptions(reservation_ttl_seconds=1),
            tokens=secrets.token_hex,
        )
        yield Database(engine, context, clock, backend)
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


PLANS = (
    ("ftmo", "2-step", "challenge", 100_000),
    ("ftmo", "1-step", "challenge", 100_000),
    ("fundingpips", "2-step", "phase-1", 100_000),
    ("the5ers", "high-stakes", "phase-1", 100_000),
)


def populate(
    db: Database, count: int, *, owners: int = 0, prefix: str = "acct", positions: bool = True
) -> list[str]:
    """Open ``count`` accounts (one owner per 4 accounts unless ``owners``) with a fresh state."""
    rng = np.random.default_rng(count)
    owners = owners or max(count // 4, 1)
    ids = []
    as_of = db.clock.now() - dt.timedelta(minutes=1)
    with db.context.unit() as uow:
        for index in range(count):
            firm, plan, phase, size = PLANS[index % len(PLANS)]
            account_id = f"{prefix}-{index:05d}"
            rules = db.context.rule_set(firm, plan, phase, Decimal(size), None)
            account = Account(
                id=account_id,
                owner=f"owner-{index % owners:05d}",
                firm=firm,
                plan=plan,
                phase=phase,
                rulebook_version=rules.rulebook_version,
                initial_balance=Decimal(size),
                strategy="trend",
            )
            balance = Decimal(size) + Decimal(int(rng.integers(-1500, 3000)))
            held = ()
            if positions and index % 3 == 0:
                from accounts.model import Position

                held = (
                    Position(
                        symbol="GBPUSD",
                        side="long",
                        lots=Decimal("0.5"),
                        entry=Decimal("1.2650"),
                        price=Decimal("1.2690"),
                        stop=Decimal("1.2600"),
                    ),
                )
            state = AccountState(balance=balance, equity=balance, as_of=as_of, positions=held)
            tracker = Tracker(
                state=state,
                peaks=Peaks.start(Decimal(size)).observe(state),
                day=DayStart.at(rules.daily_reset.last(as_of), balance, balance),
            )
            uow.accounts.add(account, tracker, db.clock.now())
            ids.append(account_id)
        uow.commit()
    return ids
