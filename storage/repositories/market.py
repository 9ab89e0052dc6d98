"""The market aggregate: bars, volatility snapshots, correlation matrices, run-time instruments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts.money import CURRENCIES
from aria.sizing.instruments import Instrument
from aria.sizing.market import Correlation, VolatilitySnapshot
from storage import translate_market
from storage.errors import Missing
from storage.repositories import revisions
from storage.repositories.statements import BARS, CORRELATIONS, INSTRUMENTS, SNAPSHOTS, insert

_INSTRUMENTS = sa.select(INSTRUMENTS.c.spec).order_by(INSTRUMENTS.c.symbol)
CORRELATION_HEAD = (
    sa.select(CORRELATIONS.c.version, CORRELATIONS.c.computed_at)
    .where(CORRELATIONS.c.universe == sa.bindparam("universe"))
    .order_by(CORRELATIONS.c.version.desc())
    .limit(1)
)
# Each symbol's newest row is found by one index seek on ``(symbol, computed_at)`` (the row id
# is the tie-break, as it always was), so the cost does not grow with the history kept.
# Every six-letter currency pair there can be (the set the old ``length(symbol) = 6`` filter
# could find).
PAIRS = tuple(
    sorted(
        base + quote
        for base in CURRENCIES
        for quote in CURRENCIES
        if base != quote and len(base + quote) == 6
    )
)


_COLUMNS = ", ".join(c.name for c in SNAPSHOTS.c)
_LATEST_COLUMNS = ", ".join(f"latest.{c.name}" for c in SNAPSHOTS.c)
_NEWEST = (
    "SELECT {what} FROM market_snapshots AS newest WHERE newest.symbol = wanted.symbol"
    " ORDER BY newest.computed_at DESC, newest.id DESC LIMIT 1"
)


# PostgreSQL takes the symbols as one array (one statement whatever their number); an IN list
# would be hash-joined against the whole table, so LATERAL keeps it to one index probe each.
_LATEST_POSTGRESQL = sa.text(
    f"SELECT {_LATEST_COLUMNS} FROM unnest(CAST(:symbols AS VARCHAR[])) AS wanted(symbol)"
    f" CROSS JOIN LATERAL ({_NEWEST.format(what='newest.*')}) AS latest"
).columns(*SNAPSHOTS.c)


_PAIR_SET = frozenset(PAIRS)
# The pairs as SQL literals (six capital letters each: nothing to escape). Bound one by one,
# their 420 parameters cost SQLAlchemy more than the database's 420 index seeks.
_PAIR_VALUES = ", ".join(f"('{pair}')" for pair in PAIRS)
assert all(pair.isalpha() and pair.isupper() for pair in PAIRS)


@lru_cache(maxsize=256)
def _latest_sqlite(count: int, pairs: bool = False) -> sa.TextualSelect:
    # Plain text, one statement per number of symbols: SQLAlchemy caches its compiled form,
    # which it cannot do for a VALUES list (compiling 420 pairs costs more than reading them).
    # SQLite has no LATERAL: the correlated subquery runs once per symbol, and each row is then
    # read by its primary key.
    wanted = ", ".join([*([_PAIR_VALUES] if pairs else []), *(f"(:s{i})" for i in range(count))])
    return sa.text(
        f"WITH wanted(symbol) AS (VALUES {wanted}) SELECT {_COLUMNS} FROM market_snapshots"
        f" WHERE id IN (SELECT ({_NEWEST.format(what='newest.id')}) FROM wanted)"
    ).columns(*SNAPSHOTS.c)


def latest_snapshots_statement(
    symbols: Sequence[str], dialect: str, *, pairs: bool = False
) -> tuple[sa.TextualSelect, dict[str, Any]]:
    """The query for the newest snapshot row of each symbol (one index seek per symbol), and
    of every currency pair too with ``pairs``."""
    if dialect == "postgresql":
        every = set(symbols) | _PAIR_SET if pairs else set(symbols)
        return _LATEST_POSTGRESQL, {"symbols": sorted(every)}
    wanted = sorted(set(symbols) - _PAIR_SET if pairs else set(symbols))
    return _latest_sqlite(len(wanted), pairs), {f"s{i}": s for i, s in enumerate(wanted)}


def is_pair(symbol: str) -> bool:
    return len(symbol) == 6 and symbol[:3] in CURRENCIES and symbol[3:] in CURRENCIES


def latest(
    session: Session, symbols: Sequence[str], *, pairs: bool = False
) -> dict[str, VolatilitySnapshot]:
    if not symbols and not pairs:
        return {}
    connection = session.connection()
    statement, values = latest_snapshots_statement(symbols, connection.dialect.name, pairs=pairs)
    return {
        row.symbol: translate_market.snapshot_from_row(row)
        for row in connection.execute(statement, values)
    }


def snapshots_and_pairs(
    session: Session, symbols: Sequence[str]
) -> tuple[dict[str, VolatilitySnapshot], dict[str, VolatilitySnapshot]]:
    """The latest snapshot of each symbol, and of every currency pair, in one query."""
    found = latest(session, symbols, pairs=True)
    wanted = set(symbols)
    return (
        {s: v for s, v in found.items() if s in wanted},
        {s: v for s, v in found.items() if is_pair(s)},
    )


def correlation_head(session: Session, universe: str) -> tuple[int, dt.datetime] | None:
    """The newest version of a universe's matrix and when it was computed (or ``None``)."""
    row = session.execute(CORRELATION_HEAD, {"universe": universe}).first()
    return (row.version, row.computed_at) if row else None


def instruments(session: Session) -> list[Instrument]:
    """Every instrument stored at run time."""
    return [translate_market.instrument_from_json(spec) for spec in session.scalars(_INSTRUMENTS)]


class MarketRepository:
    """Market data (``aria.service.ports.MarketRepository``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_bars(
        self,
        symbol: str,
        timeframe: str,
        rows: Sequence[tuple[dt.datetime, float, float, float, float, float | None]],
    ) -> int:
        if not rows:
            return 0
        values = [
            {
                "symbol": symbol,
                "timeframe": timeframe,
                "ts": ts,
                "open": o,
                "high": h,
                "low": lo,
                "close": c,
                "volume": v,
            }
            for ts, o, h, lo, c, v in rows
        ]
        statement = insert(self.session, BARS)
        statement = statement.on_conflict_do_update(
            index_elements=["symbol", "timeframe", "ts"],
            set_={
                name: getattr(statement.excluded, name)
                for name in ("open", "high", "low", "close", "volume")
            },
        )
        for start in range(0, len(values), 5000):
            self.session.execute(statement, values[start : start + 5000])
        return len(values)

    def bar_symbols(self, timeframe: str) -> list[str]:
        query = (
            sa.select(BARS.c.symbol)
            .where(BARS.c.timeframe == timeframe)
            .distinct()
            .order_by(BARS.c.symbol)
        )
        return list(self.session.scalars(query))

    def bars(
        self, symbols: Sequence[str], timeframe: str, limit: int
    ) -> dict[str, list[tuple[dt.datetime, float, float, float, float]]]:
        result: dict[str, list[tuple[dt.datetime, float, float, float, float]]] = {
            s: [] for s in symbols
        }
        if not symbols:
            return result
        rank = (
            sa.func.row_number()
            .over(partition_by=BARS.c.symbol, order_by=BARS.c.ts.desc())
            .label("rank")
        )
        inner = (
            sa.select(
                BARS.c.symbol, BARS.c.ts, BARS.c.open, BARS.c.high, BARS.c.low, BARS.c.close, rank
            )
            .where(BARS.c.symbol.in_(sorted(set(symbols))), BARS.c.timeframe == timeframe)
            .subquery()
        )
        query = (
            sa.select(
                inner.c.symbol, inner.c.ts, inner.c.open, inner.c.high, inner.c.low, inner.c.close
            )
            .where(inner.c.rank <= limit)
            .order_by(inner.c.symbol, inner.c.ts)
        )
        for symbol, when, o, h, lo, c in self.session.execute(query):
            result[symbol].append((when, o, h, lo, c))
        return result

    def save_snapshot(self, snapshot: VolatilitySnapshot) -> None:
        self.session.execute(SNAPSHOTS.insert(), translate_market.snapshot_values(snapshot))
        revisions.bump(self.session, revisions.SNAPSHOTS)

    def snapshots(self, symbols: Sequence[str]) -> dict[str, VolatilitySnapshot]:
        return latest(self.session, symbols)

    def currency_pairs(self) -> dict[str, VolatilitySnapshot]:
        return latest(self.session, (), pairs=True)

    def prune_snapshots(self, before: dt.datetime) -> int:
        newer = SNAPSHOTS.alias("newer")
        superseded = sa.exists().where(
            newer.c.symbol == SNAPSHOTS.c.symbol,
            sa.or_(
                newer.c.computed_at > SNAPSHOTS.c.computed_at,
                sa.and_(
                    newer.c.computed_at == SNAPSHOTS.c.computed_at, newer.c.id > SNAPSHOTS.c.id
                ),
            ),
        )
        result = self.session.execute(
            SNAPSHOTS.delete().where(SNAPSHOTS.c.computed_at < before, superseded)
        )
        pruned = int(cast("sa.CursorResult[Any]", result).rowcount or 0)
        if pruned:
            revisions.bump(self.session, revisions.SNAPSHOTS)
        return pruned

    def save_correlation(
        self, universe: str, correlation: Correlation, as_of: dt.datetime, at: dt.datetime
    ) -> int:
        current = self.session.scalar(
            sa.select(sa.func.max(CORRELATIONS.c.version)).where(
                CORRELATIONS.c.universe == universe
            )
        )
        symbols, matrix, observations = translate_market.correlation_to_json(correlation)
        version = (current or 0) + 1
        self.session.execute(
            CORRELATIONS.insert(),
            {
                "universe": universe,
                "version": version,
                "as_of": as_of,
                "computed_at": at,
                "symbols": symbols,
                "matrix": matrix,
                "observations": observations,
            },
        )
        return version

    def correlation(self, universe: str, version: int) -> Correlation:
        row = self.session.execute(
            sa.select(CORRELATIONS).where(
                CORRELATIONS.c.universe == universe, CORRELATIONS.c.version == version
            )
        ).first()
        if row is None:
            raise Missing(f"no correlation matrix {universe!r} version {version}")
        return translate_market.correlation_from_row(row)

    def latest_correlation(self, universe: str) -> tuple[int, Correlation, dt.datetime] | None:
        row = self.session.execute(
            sa.select(CORRELATIONS)
            .where(CORRELATIONS.c.universe == universe)
            .order_by(CORRELATIONS.c.version.desc())
            .limit(1)
        ).first()
        return (row.version, translate_market.correlation_from_row(row), row.as_of) if row else None

    def upsert_instrument(self, instrument: Instrument, at: dt.datetime) -> None:
        statement = insert(self.session, INSTRUMENTS).values(
            symbol=instrument.symbol, spec=instrument.model_dump(mode="json"), updated_at=at
        )
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["symbol"],
                set_={"spec": statement.excluded.spec, "updated_at": statement.excluded.updated_at},
            )
        )
        revisions.bump(self.session, revisions.INSTRUMENTS)

    def instruments(self) -> list[Instrument]:
        return instruments(self.session)
