"""Market use cases: bars in, instruments added, snapshots read."""

from __future__ import annotations

import numpy as np

from aria.service.commands import BarsBatch
from aria.service.context import Context
from aria.service.errors import InvalidInput
from aria.sizing.instruments import Instrument, InstrumentCatalog
from aria.sizing.market import Correlation, VolatilitySnapshot


def ingest_bars(ctx: Context, batch: BarsBatch) -> int:
    """Store bars (a bar at an existing time replaces it); returns how many."""
    if batch.symbol not in instruments(ctx):
        raise InvalidInput(f"unknown instrument {batch.symbol!r}: add it before its bars")
    rows = [
        (ts, float(o), float(h), float(lo), float(c), float(v) if v is not None else None)
        for ts, o, h, lo, c, v in batch.bars
    ]
    with ctx.unit() as uow:
        count = uow.market.add_bars(batch.symbol, batch.timeframe, rows)
        uow.commit()
    return count


def add_instrument(ctx: Context, instrument: Instrument) -> None:
    """Add or replace an instrument at run time."""
    with ctx.unit() as uow:
        uow.instruments.upsert(instrument, ctx.clock.now())
        uow.commit()


def instruments(ctx: Context) -> InstrumentCatalog:
    """The built-in and user instruments with those added at run time."""
    with ctx.unit() as uow:
        return ctx.instrument_catalog(uow.instruments.all())


def snapshots(ctx: Context, symbols: list[str]) -> dict[str, VolatilitySnapshot]:
    """The latest volatility snapshot per symbol."""
    with ctx.unit() as uow:
        return uow.market.snapshots(symbols)


def correlations_of(ctx: Context, symbols: list[str]) -> tuple[int, Correlation] | None:
    """The newest correlation matrix restricted to the ``symbols`` it knows, with its version."""
    with ctx.unit() as uow:
        latest = uow.market.latest_correlation(ctx.options.correlation_universe)
    if latest is None:
        return None
    version, matrix, _ = latest
    known = [s for s in symbols if s in matrix.symbols]
    if not known:
        return None
    index = [matrix.symbols.index(s) for s in known]
    return version, Correlation(
        symbols=tuple(known),
        matrix=matrix.matrix[np.ix_(index, index)],
        observations=matrix.observations[np.ix_(index, index)],
    )
