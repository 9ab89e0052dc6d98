"""Market use cases: bars checked and stored, instruments added, snapshots read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from aria.service.commands import BarsBatch
from aria.service.context import Context
from aria.service.errors import Forbidden, InvalidInput
from aria.service.ports import UnitOfWork
from aria.sizing.bars import (
    BarsRefused,
    Prepared,
    check_times,
    find_outliers,
    has_weekend_stub,
    merge_weekend,
)
from aria.sizing.instruments import Instrument, InstrumentCatalog
from aria.sizing.market import Correlation, VolatilitySnapshot

_ALL_BARS = 1_000_000  # every stored bar of one symbol: a historical ATR needs the oldest


@dataclass(frozen=True)
class Ingested:
    """What one batch of bars became: bars stored, Sunday stubs merged or dropped, outliers
    stored because the batch allowed them."""

    symbol: str
    stored: int
    merged: int = 0
    dropped: int = 0
    outliers: tuple[str, ...] = ()


def _prepare(
    ctx: Context, uow: UnitOfWork, catalog: InstrumentCatalog, batch: BarsBatch
) -> Prepared:
    """The batch checked and ready to store, or :class:`InvalidInput` naming the bar."""
    if batch.symbol not in catalog:
        raise InvalidInput(f"unknown instrument {batch.symbol!r}: add it before its bars")
    policy = ctx.options.bars
    raw = tuple(batch.bars)
    try:
        check_times(raw, batch.timeframe, ctx.clock.now(), policy.max_skew_seconds)
    except BarsRefused as exc:
        raise InvalidInput(f"{batch.symbol}: {exc}; nothing was stored") from None
    merge = (
        batch.timeframe == "1d"
        and not batch.keep_weekend_bars
        and has_weekend_stub(catalog.get(batch.symbol))
    )
    prepared = merge_weekend(raw) if merge else Prepared(tuple(sorted(raw, key=lambda b: b[0])))
    stored = uow.market.bars(
        [batch.symbol], batch.timeframe, policy.outlier_window + len(prepared.bars)
    )[batch.symbol]
    history = [(r[0], r[2], r[3], r[4]) for r in stored]
    outliers = find_outliers(prepared.bars, history, policy)
    if outliers and not batch.allow_outliers:
        more = f" (and {len(outliers) - 1} more)" if len(outliers) > 1 else ""
        raise InvalidInput(
            f"{batch.symbol}: an outlier bar: {outliers[0]}{more}, more than"
            f" {policy.outlier_multiple:g} ×; nothing was stored (check the data, or allow"
            " outliers explicitly)"
        )
    return replace(prepared, outliers=tuple(outliers))


def ingest_batches(
    ctx: Context,
    batches: Sequence[BarsBatch],
    owner: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Ingested]:
    """Check every batch, then store them all in one transaction (nothing half-stored).

    Market data is global (every account's ATR reads it), so a caller restricted to one
    ``owner`` may not write it. Future-dated bars and outliers refuse the whole call.
    """
    _global_write(owner, "bars")
    done = []
    with ctx.unit() as uow:
        catalog = ctx.instrument_catalog(uow.market.instruments())
        prepared = [(batch, _prepare(ctx, uow, catalog, batch)) for batch in batches]
        for batch, ready in prepared:
            rows = [
                (ts, float(o), float(h), float(lo), float(c), float(v) if v is not None else None)
                for ts, o, h, lo, c, v in ready.bars
            ]
            count = uow.market.add_bars(batch.symbol, batch.timeframe, rows)
            done.append(Ingested(batch.symbol, count, ready.merged, ready.dropped, ready.outliers))
            if progress is not None:
                progress(len(batch.bars))
        uow.commit()
    return done


def ingest_bars(ctx: Context, batch: BarsBatch, owner: str | None = None) -> Ingested:
    """Check and store the bars of one symbol (a bar at an existing time replaces it)."""
    return ingest_batches(ctx, [batch], owner)[0]


def _global_write(owner: str | None, what: str) -> None:
    """Refuse a caller restricted to one owner: market data is every account's."""
    if owner is not None:
        raise Forbidden(
            f"market data is global: writing {what} needs an admin key with no owner restriction"
        )


def add_instrument(ctx: Context, instrument: Instrument, owner: str | None = None) -> None:
    """Add or replace an instrument at run time (not by a caller restricted to one owner)."""
    _global_write(owner, "instruments")
    with ctx.unit() as uow:
        uow.market.upsert_instrument(instrument, ctx.clock.now())
        uow.commit()


def instruments(ctx: Context) -> InstrumentCatalog:
    """The built-in and user instruments with those added at run time."""
    with ctx.unit() as uow:
        return ctx.instrument_catalog(uow.market.instruments())


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


@dataclass(frozen=True)
class Refreshed:
    """What the volatility and correlation computation did after an import."""

    volatility: int
    correlations: int


def refresh_analytics(ctx: Context) -> Refreshed:
    """Compute ATR, regime and correlations for newly stored bars now, as their jobs would,
    so sizing can use bars right after an import (each job still claims its slot)."""
    from aria.service import maintenance

    volatility = maintenance.volatility(ctx)
    correlations = maintenance.correlations(ctx)
    return Refreshed(volatility.done, correlations.done)


def atr_as_of(ctx: Context, symbol: str, at: dt.datetime) -> Decimal:
    """The ATR of ``symbol`` from the stored bars that had closed by ``at`` (a historical
    date), or :class:`InvalidInput` saying how many bars there were."""
    options = ctx.options
    with ctx.unit() as uow:
        rows = uow.market.bars([symbol], options.timeframe, _ALL_BARS).get(symbol, [])
    rows = [r for r in rows if r[0] <= at]
    need = max(options.bars.min_atr_bars, options.atr_period + 1)
    if len(rows) < need:
        raise InvalidInput(
            f"{symbol} has {len(rows)} {options.timeframe} bars up to {at.isoformat()}:"
            f" an ATR needs {need}"
        )
    from aria.service.maintenance import snapshot_of

    snapshot = snapshot_of(options, symbol, rows, at)
    if snapshot.atr is None:
        raise InvalidInput(f"{symbol}: no ATR from its bars up to {at.isoformat()}")
    return snapshot.atr
