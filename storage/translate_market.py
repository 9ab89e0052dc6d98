"""Pure translation between market rows and market values: volatility snapshots, correlation
matrices and instruments stored at run time."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

from aria.sizing.instruments import Instrument
from aria.sizing.market import Correlation, VolatilitySnapshot


def snapshot_values(snapshot: VolatilitySnapshot) -> dict[str, Any]:
    """A volatility snapshot as its row's column values."""
    return {
        "symbol": snapshot.symbol,
        "timeframe": snapshot.timeframe,
        "as_of": snapshot.as_of,
        "atr": snapshot.atr,
        "atr_percentile": snapshot.atr_percentile,
        "regime": snapshot.regime,
        "daily_volatility": snapshot.daily_volatility,
        "last_close": snapshot.last_close,
        "bars": snapshot.bars,
        "computed_at": snapshot.computed_at,
    }


class SnapshotFields(Protocol):
    """The columns of a volatility snapshot as an ORM row or a Core row reads them."""

    @property
    def symbol(self) -> str: ...
    @property
    def timeframe(self) -> str: ...
    @property
    def as_of(self) -> dt.datetime: ...
    @property
    def atr(self) -> Decimal | None: ...
    @property
    def atr_percentile(self) -> Decimal | None: ...
    @property
    def regime(self) -> str | None: ...
    @property
    def daily_volatility(self) -> Decimal | None: ...
    @property
    def last_close(self) -> Decimal: ...
    @property
    def bars(self) -> int: ...
    @property
    def computed_at(self) -> dt.datetime: ...


def snapshot_from_row(row: SnapshotFields) -> VolatilitySnapshot:
    """The snapshot of a row."""
    return VolatilitySnapshot(
        symbol=row.symbol,
        timeframe=row.timeframe,
        as_of=row.as_of,
        atr=row.atr,
        atr_percentile=row.atr_percentile,
        regime=row.regime,
        daily_volatility=row.daily_volatility,
        last_close=row.last_close,
        bars=row.bars,
        computed_at=row.computed_at,
    )


def correlation_to_json(correlation: Correlation) -> tuple[list[Any], list[Any], list[Any]]:
    """Symbols, matrix (null where undefined) and observations as JSON."""
    matrix = [
        [None if math.isnan(v) else float(v) for v in row] for row in correlation.matrix.tolist()
    ]
    return list(correlation.symbols), matrix, correlation.observations.tolist()


def correlation_from_row(row: Any) -> Correlation:
    """The correlation matrix of a row."""
    matrix = np.array(
        [[np.nan if v is None else v for v in r] for r in row.matrix], dtype=np.float64
    )
    return Correlation(
        symbols=tuple(row.symbols),
        matrix=matrix.reshape(len(row.symbols), len(row.symbols)),
        observations=np.array(row.observations, dtype=np.int64).reshape(
            len(row.symbols), len(row.symbols)
        ),
    )


def instrument_from_json(spec: dict[str, Any]) -> Instrument:
    """An instrument from its stored spec (the same object while the spec is unchanged)."""
    return _instrument(json.dumps(spec, sort_keys=True))


@functools.lru_cache(maxsize=4096)
def _instrument(text: str) -> Instrument:
    # Instruments are immutable, so one object per spec serves every request; sizing then
    # serialises a spec once, not once per decision.
    return Instrument.model_validate_json(text)
