"""The composition root: settings → storage → service, wired once per process.

This is the one place that knows both ``storage`` and ``aria.service``: it builds the
engine and the units of work, loads the catalogs, and hands them to the use cases as a
:class:`~aria.service.context.Context`. It is also where the wall clock is read.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import secrets
import sys
from dataclasses import dataclass

from sqlalchemy import Engine

from aria.service.context import Context, ServiceOptions
from aria.service.ports import Clock
from aria.settings import Settings
from aria.sizing.bars import BarPolicy
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog
from storage.checkpoints import DirectoryCheckpoints
from storage.engine import make_engine
from storage.schema import ensure_current, upgrade
from storage.uow import SqlUnitOfWork, read_only_factory, unit_of_work_factory


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> dt.datetime:
        """The current time."""
        return dt.datetime.now(dt.UTC)


@dataclass
class App:
    """A running ARIA: its engine and the service context."""

    engine: Engine
    context: Context
    settings: Settings

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def options_from(settings: Settings) -> ServiceOptions:
    """Service options from settings."""
    return ServiceOptions(
        reservation_ttl_seconds=settings.reservation_ttl_seconds,
        trade_history=settings.trade_history,
        timeframe=settings.timeframe,
        near_floor_fraction=settings.near_floor_fraction,
        debounce_updates=settings.debounce_updates,
        bars=BarPolicy(
            outlier_multiple=settings.bar_outlier_multiple, min_atr_bars=settings.min_atr_bars
        ),
        max_future_skew_seconds=settings.max_future_skew_seconds,
        audit_key=settings.audit_key.get_secret_value() if settings.audit_key else None,
        news_lead_minutes=settings.news_lead_minutes,
        calendar_dir=settings.calendar_dir,
        flat_by_warnings=settings.flat_by_warnings,
        inactivity_warning_days=settings.inactivity_warning_days,
        notify_max_attempts=settings.notify_max_attempts,
        notify_lease_seconds=settings.notify_lease_seconds,
        notify_timeout_seconds=settings.notify_timeout_seconds,
        notify_backoff_seconds=settings.notify_backoff_seconds,
        notify_max_backoff_seconds=settings.notify_max_backoff_seconds,
        notify_private_hosts=settings.notify_private_hosts,
        snapshot_retention_days=settings.snapshot_retention_days,
    )


def build(
    settings: Settings | None = None,
    *,
    migrate: bool = False,
    clock: Clock | None = None,
    check_schema: bool = True,
) -> App:
    """Wire ARIA from settings; with ``migrate`` the schema is brought to head first.

    ``check_schema=False`` skips the revision check, for a process whose parent checked it.
    """
    settings = settings or Settings()
    engine = make_engine(settings.database_url)
    if migrate and settings.migration_database_url:
        # The owner migrates; the application role this process runs as may not.
        owner = make_engine(settings.migration_database_url)
        try:
            upgrade(owner)
        finally:
            owner.dispose()
        ensure_current(engine)
    elif migrate:
        upgrade(engine)
    elif check_schema:
        ensure_current(engine)
    sessions = unit_of_work_factory(engine)
    readers = read_only_factory(engine)
    chosen: Clock = clock or SystemClock()
    context = Context(
        # PostgreSQL's clock is the authority for lifetimes and state order; SQLite's is
        # this process's (see SqlUnitOfWork).
        uow=lambda: SqlUnitOfWork(sessions, chosen.now),
        clock=chosen,
        catalog=load_catalog(settings.rule_files),
        instruments=load_instruments(settings.instrument_files),
        options=options_from(settings),
        tokens=secrets.token_hex,
        reader=lambda: SqlUnitOfWork(readers, chosen.now, read_only=True),
        checkpoints=(
            DirectoryCheckpoints(settings.checkpoint_dir) if settings.checkpoint_dir else None
        ),
    )
    return App(engine=engine, context=context, settings=settings)


def tune_for_serving() -> None:
    """Set the collector and the allocator up for a long-running process.

    Everything loaded at start (catalogs, presets, instruments) moves out of the
    collector's sight, and the youngest generation is collected less often: a fan-out
    allocates many short-lived objects, and scanning them over and over cost a quarter of
    its time; memory is still freed by reference counting as before. On glibc, large
    blocks (the jobs' numpy matrices) are kept on the heap for reuse instead of being
    mapped fresh each time: faulting those pages in cost half of a correlation run.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    _reuse_large_blocks()


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters of glibc's malloc.h


def _reuse_large_blocks() -> None:
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 64 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 256 << 20)
    except (OSError, AttributeError):  # not glibc: its own defaults stand
        return
