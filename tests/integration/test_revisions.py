"""The sizing's cached reads of instruments, profile layers and snapshots: a write through any
path, from another engine (another process), is seen by the next read; nothing is read again
while nothing changed; and what the cache answers is what SQL answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aria.service.context import Context
from aria.sizing.instruments import Instrument
from aria.sizing.market import VolatilitySnapshot
from storage.engine import make_engine
from storage.repositories import market, reference, revisions
from storage.repositories.account_records import AccountRecords, layers_of
from storage.repositories.market import MarketRepository
from storage.schema import downgrade, upgrade
from tests.builders import utc

AT = utc(2026, 6, 1)
KEYS = [("account", "ftmo-1"), ("firm_plan", "ftmo/2-step"), ("strategy", "swing")]
SYMBOLS = ["EURUSD", "XAUUSD", "US30"]


@pytest.fixture
def other(engine: Engine) -> Iterator[Engine]:
    """A second engine on the same database, standing for another process."""
    second = make_engine(engine.url.render_as_string(hide_password=False))
    yield second
    second.dispose()


def _snapshot(symbol: str, at: dt.datetime, close: str = "1.08") -> VolatilitySnapshot:
    return VolatilitySnapshot(
        symbol=symbol,
        timeframe="1d",
        as_of=at,
        atr=Decimal("0.01"),
        atr_percentile=Decimal(50),
        regime="normal",
        daily_volatility=Decimal("0.006"),
        last_close=Decimal(close),
        bars=300,
        computed_at=at,
    )


def _instrument(ctx: Context, symbol: str) -> Instrument:
    return ctx.instruments.get("EURUSD").model_copy(update={"symbol": symbol, "name": symbol})


def _records(session: Session) -> AccountRecords:
    records = AccountRecords()
    records.session = session
    return records


def _direct(session: Session, symbols: list[str]) -> reference.Reference:
    """What the uncached statements give."""
    snapshots, pairs = market.snapshots_and_pairs(session, symbols)
    instruments, head = market.instruments(session), market.correlation_head(session, "all")
    return reference.Reference(
        layers=layers_of(session, KEYS),
        snapshots=snapshots,
        pairs=pairs,
        instruments=tuple(instruments),
        correlation_head=head,
    )


def _cached(engine: Engine, symbols: list[str] = SYMBOLS) -> tuple[reference.Reference, Any]:
    """The cached read, its uncached equal, and the statements the cached read sent."""
    seen: list[str] = []

    def note(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    with Session(engine) as session:
        sa.event.listen(engine, "before_cursor_execute", note)
        try:
            got = reference.read(session, "all", KEYS, symbols)
        finally:
            sa.event.remove(engine, "before_cursor_execute", note)
        assert _same(got, _direct(session, symbols))
    return got, seen


def _same(a: reference.Reference, b: reference.Reference) -> bool:
    return (
        a.layers == b.layers
        and a.snapshots == b.snapshots
        and a.pairs == b.pairs
        and a.instruments == b.instruments
        and a.correlation_head == b.correlation_head
    )


def _write(engine: Engine, work: Any) -> None:
    with Session(engine) as session, session.begin():
        work(session)


WRITES: dict[str, Callable[[Context, Session], object]] = {
    "upsert_instrument": lambda c, s: MarketRepository(s).upsert_instrument(
        _instrument(c, "ZARJPY"), AT
    ),
    "put_layer": lambda _, s: _records(s).put_layer(
        "account", "ftmo-1", {"risk": {"pct": 0.5}}, AT
    ),
    "save_snapshot": lambda _, s: MarketRepository(s).save_snapshot(
        _snapshot("EURUSD", AT + dt.timedelta(days=1), "1.10")
    ),
    "prune_snapshots": lambda _, s: MarketRepository(s).prune_snapshots(AT + dt.timedelta(days=30)),
}


@pytest.mark.parametrize("path", sorted(WRITES))
def test_a_write_from_another_process_is_seen_by_the_next_read(
    ctx: Context, engine: Engine, other: Engine, path: str
) -> None:
    _write(
        engine,
        lambda s: (
            MarketRepository(s).save_snapshot(_snapshot("EURUSD", AT - dt.timedelta(days=2))),
            MarketRepository(s).save_snapshot(_snapshot("EURUSD", AT, "1.09")),
        ),
    )
    before, _ = _cached(engine)
    _, warm = _cached(engine)
    # Nothing changed: only the revisions (with the matrix head) are read.
    assert [s for s in warm if not s.startswith("BEGIN")] == [warm[-1]], warm
    assert "FROM revisions" in warm[-1] or "JOIN revisions" in warm[-1], warm
    _write(other, lambda s: WRITES[path](ctx, s))
    after, _ = _cached(engine)  # equal to the uncached read (asserted inside)
    assert not _same(after, before) or path == "prune_snapshots"
    if path == "prune_snapshots":  # the older EURUSD row went; the newest stays
        with Session(engine) as session:
            count = session.scalar(sa.text("SELECT count(*) FROM market_snapshots"))
        assert count == 1


def test_a_read_in_a_transaction_that_wrote_is_not_kept(ctx: Context, engine: Engine) -> None:
    _cached(engine)
    with Session(engine) as session:
        MarketRepository(session).upsert_instrument(_instrument(ctx, "NOKSEK"), AT)
        inside = reference.read(session, "all", KEYS, SYMBOLS)
        assert [i.symbol for i in inside.instruments] == ["NOKSEK"]
        session.rollback()
    got, _ = _cached(engine)
    assert got.instruments == ()


def test_the_cache_is_bounded() -> None:
    cache = revisions.RevisionCache(2)
    for n in range(3):
        cache.put(("k", n), n)
    assert cache.get(("k", 0)) is None
    assert cache.get(("k", 2)) == 2
    assert cache.get(None) is None


_SYMBOL = st.sampled_from(["EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "US30", "USDUSD"])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    writes=st.lists(
        st.tuples(_SYMBOL, st.integers(min_value=0, max_value=5), st.sampled_from(["1", "2"])),
        max_size=6,
    ),
    asks=st.lists(st.lists(_SYMBOL, max_size=4), min_size=1, max_size=3),
)
def test_cached_snapshots_are_what_sql_gives(
    engine: Engine, writes: list[tuple[str, int, str]], asks: list[list[str]]
) -> None:
    def save(session: Session) -> None:
        for symbol, day, close in writes:  # equal times included: the row id breaks the tie
            MarketRepository(session).save_snapshot(
                _snapshot(symbol, AT + dt.timedelta(days=day), close)
            )

    if writes:
        _write(engine, save)
    for symbols in asks:
        _cached(engine, symbols)  # asserts equality with the uncached read


def test_the_migration_seeds_and_removes_the_revisions(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0015")
    with blank_engine.connect() as connection:
        found = revisions.read(connection)
    assert sorted(found) == ["instruments", "market_snapshots", "profile_layers"]
    downgrade(blank_engine, "0014")
    assert "revisions" not in sa.inspect(blank_engine).get_table_names()
    upgrade(blank_engine)
    with blank_engine.connect() as connection:
        again = revisions.read(connection)
    assert again != found  # a new history starts elsewhere: nothing cached from before matches


def test_without_a_revision_nothing_is_kept(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM revisions"))
    _cached(engine)
    _, again = _cached(engine)  # equal to the uncached read (asserted inside)
    assert any("market_snapshots" in s for s in again), again
    assert any("instruments.spec" in s for s in again), again
    assert any("profile_layers" in s for s in again), again
