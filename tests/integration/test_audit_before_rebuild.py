"""A trail written before storage was split by aggregate still verifies and replays, and new
records chain onto it: ``fixtures/audit_before_rebuild.sql`` is a SQLite database (schema
0008) made by the code of that time — decisions approved, rejected, stale and reduce-only,
reservations cancelled and expired, rule events, and chained account and tracker states."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from aria.service import audit
from aria.service.context import Context
from storage.engine import make_engine
from storage.schema import current_revision, head_revision, upgrade
from tests.builders import ask, push, utc
from tests.databases import make_context

FIXTURE = Path(__file__).parent / "fixtures" / "audit_before_rebuild.sql"


class _At:
    """A clock stopped at one time."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at


def _restored(tmp_path: Path) -> Engine:
    """The fixture, migrated to the head the code of today runs on (0009 adds the columns of
    cash flows: a trail chained before them must still verify)."""
    path = tmp_path / "before.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(FIXTURE.read_text())
    engine = make_engine(f"sqlite:///{path}")
    assert current_revision(engine) == "0008"
    upgrade(engine)
    return engine


def _context(engine: Engine, at: dt.datetime) -> Context:
    return make_context(engine, clock=_At(at))


def test_a_trail_written_before_the_split_verifies_and_replays(tmp_path: Path) -> None:
    engine = _restored(tmp_path)
    assert current_revision(engine) == head_revision()
    report = audit.verify(_context(engine, utc(2026, 6, 2, 10, 0)))
    assert report.ok, report.problem
    assert (report.accounts, report.decisions + report.older) == (3, 6)
    engine.dispose()


def test_new_records_chain_onto_a_trail_written_before_the_split(tmp_path: Path) -> None:
    engine = _restored(tmp_path)
    ctx = _context(engine, utc(2026, 6, 3, 9, 0))
    push(ctx, "a1", 100_100, 100_100, utc(2026, 6, 3, 8, 59))
    assert ask(ctx, "r-after", ["a1"]).decisions
    report = audit.verify(ctx)
    assert report.ok, report.problem
    assert report.decisions + report.older == 7
    engine.dispose()
