"""The scheduled jobs: correlation, volatility, daily reset and peak tracking at several sizes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from aria.service import maintenance
from aria.service.market import add_instrument
from aria.sizing import market
from aria.sizing.instruments import Instrument
from bench.anchors import corrcoef
from bench.fixtures import Database, database, populate
from bench.harness import Figure, anchored, interleaved, latency, timed


def _series(symbols: int, bars: int, seed: int = 7) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Random-walk closes on a common calendar with about 1 % of bars missing per symbol."""
    rng = np.random.default_rng(seed)
    stamps = np.arange(bars, dtype=np.int64) * 86_400
    series = {}
    for index in range(symbols):
        keep = rng.random(bars) > 0.01
        closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, bars)))
        series[f"S{index:03d}"] = (stamps[keep], closes[keep])
    return series


def correlation(quick: bool) -> list[Figure]:
    """Figures ``jobs.correlation_ms.<S>x<T>``, alignment included, beside ``numpy.corrcoef``."""
    figures = []
    shapes = (
        [(50, 250), (200, 250), (500, 1000)]
        if quick
        else [(50, 250), (50, 1000), (200, 250), (200, 1000), (500, 250), (500, 1000)]
    )
    for symbols, bars in shapes:
        series = _series(symbols, bars)
        # The anchor: numpy's correlation of the same closes, already aligned (gaps filled).
        aligned = np.vstack([np.interp(np.arange(bars) * 86_400, t, c) for t, c in series.values()])
        anchor = corrcoef(aligned)
        samples, anchor_s, ratios = interleaved(
            lambda s=series: market.correlation(s), anchor, rounds=5 if quick else 10
        )
        figures.append(
            anchored(
                latency(f"jobs.correlation_ms.{symbols}x{bars}", samples), anchor, anchor_s, ratios
            )
        )
    return figures


def _instrument(symbol: str) -> Instrument:
    return Instrument(
        symbol=symbol,
        kind="cfd",
        asset_class="index",
        quote="USD",
        contract_size=Decimal(1),
        tick_size=Decimal("0.01"),
        lot_step=Decimal("0.01"),
        min_lot=Decimal("0.01"),
        max_lot=Decimal(100),
        margin_rate=Decimal("0.05"),
    )


def volatility(quick: bool, folder: Path) -> list[Figure]:
    """Figures ``jobs.volatility_ms.<S>``: the volatility job over S symbols' bars in the
    database (300 daily bars each: reading them, the analytics, writing the snapshots)."""
    figures = []
    counts = (50,) if quick else (50, 200, 500)
    start = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    with database("sqlite", folder) as db:
        series = _series(max(counts), 300)
        added = 0
        for count in counts:
            for symbol in list(series)[added:count]:
                add_instrument(db.context, _instrument(symbol))
                stamps, closes = series[symbol]
                rows = [
                    (start + dt.timedelta(seconds=int(t)), c, c * 1.004, c * 0.996, c, None)
                    for t, c in zip(stamps.tolist(), closes.tolist(), strict=True)
                ]
                with db.context.unit() as uow:
                    uow.market.add_bars(symbol, "1d", rows)
                    uow.commit()
            added = count

            def once(db: Database = db) -> None:
                with db.engine.begin() as connection:  # a new slot each time: forget the claims
                    connection.execute(sa.text("delete from job_runs"))
                maintenance.volatility(db.context)

            samples = timed(once, repeat=3 if quick else 5)
            figures.append(latency(f"jobs.volatility_ms.{count}", samples))
    return figures


def resets(quick: bool, folder: Path, backends: tuple[str, ...]) -> list[Figure]:
    """Figures ``jobs.daily_reset_s.<db>.<N>`` and ``jobs.trackers_s.<db>.<N>``."""
    figures = []
    counts = (1000,) if quick else (1000, 10_000)
    for backend in backends:
        for count in counts:
            with database(backend, folder) as db:
                populate(db, count, positions=False)
                db.clock.current = dt.datetime(
                    2026, 6, 2, 22, 0, 30, tzinfo=dt.UTC
                )  # past Prague midnight
                samples = timed(
                    lambda db=db: maintenance.daily_resets(db.context), repeat=1, warmup=0
                )
                figures.append(latency(f"jobs.daily_reset_s.{backend}.{count}", samples, unit="s"))
                samples = timed(lambda db=db: maintenance.trackers(db.context), repeat=1, warmup=0)
                figures.append(latency(f"jobs.trackers_s.{backend}.{count}", samples, unit="s"))
    return figures
