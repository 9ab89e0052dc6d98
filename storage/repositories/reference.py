"""A sizing's reads of rarely-changing tables (instruments, profile layers, volatility snapshots),
served from a per-process cache for as long as their revisions stand.

One statement reads every revision with the universe's correlation head; only families whose
revision has no cached read are read again. The newest snapshot of a symbol does not depend on
the request's time (it is the newest row whatever its ``computed_at``), so a revision's reads
of different symbols add up to one map that answers any later request exactly as SQL would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aria.sizing.instruments import Instrument
from aria.sizing.market import VolatilitySnapshot
from storage.repositories import market, revisions
from storage.repositories.account_records import all_layers, layers_of
from storage.repositories.statements import REVISIONS

# Families times the revisions a few databases may be at; each entry is bounded by its table.
CACHE = revisions.RevisionCache(64)

_HEAD = market.CORRELATION_HEAD.subquery("head")
_ONE = sa.select(sa.literal(1).label("one")).subquery("one")
_REVISIONS_AND_HEAD = sa.select(
    REVISIONS.c.name, REVISIONS.c.revision, _HEAD.c.version, _HEAD.c.computed_at
).select_from(_ONE.outerjoin(_HEAD, sa.true()).outerjoin(REVISIONS, sa.true()))


@dataclass(frozen=True)
class _Snapshots:
    """The newest snapshot of each symbol looked up at one revision (``None``: there is none)."""

    known: dict[str, VolatilitySnapshot | None]
    pairs: bool  # every currency pair is among ``known``


@dataclass(frozen=True)
class Reference:
    """What a sizing reads of the rarely-changing tables."""

    layers: dict[tuple[str, str], dict[str, Any]]
    snapshots: dict[str, VolatilitySnapshot]
    pairs: dict[str, VolatilitySnapshot]
    instruments: tuple[Instrument, ...]
    correlation_head: tuple[int, dt.datetime] | None


def read(
    session: Session,
    universe: str,
    layer_keys: Sequence[tuple[str, str]],
    symbols: Sequence[str],
) -> Reference:
    """The layers among ``layer_keys``, the newest snapshots of ``symbols`` and of every
    currency pair, the run-time instruments and ``universe``'s matrix head."""
    connection = session.connection()
    # The revisions first: data read after them is at least as new as they say.
    rows = connection.execute(_REVISIONS_AND_HEAD, {"universe": universe}).all()
    first = rows[0]  # the one-row anchor guarantees a row
    head = None if first.version is None else (first.version, first.computed_at)
    at = {r.name: r.revision for r in rows if r.name is not None}
    read_now: list[tuple[str, Hashable | None, Any]] = []

    key = revisions.key(connection, revisions.INSTRUMENTS, at)
    instruments: tuple[Instrument, ...] | None = CACHE.get(key)
    if instruments is None:
        instruments = tuple(market.instruments(session))
        read_now.append((revisions.INSTRUMENTS, key, instruments))

    key = revisions.key(connection, revisions.LAYERS, at)
    layers: dict[tuple[str, str], dict[str, Any]] | None = CACHE.get(key)
    if layers is None and key is None:  # no revision to keep it under: only what is asked
        layers = layers_of(session, layer_keys)
    elif layers is None:
        # The whole table (a few rows per account): a revision's one read serves any request.
        layers = all_layers(session)
        read_now.append((revisions.LAYERS, key, layers))

    key = revisions.key(connection, revisions.SNAPSHOTS, at)
    cached: _Snapshots = CACHE.get(key) or _Snapshots({}, pairs=False)
    wanted = sorted(set(symbols))
    absent = [s for s in wanted if s not in cached.known]
    if absent or not cached.pairs:
        latest = market.latest(session, absent, pairs=not cached.pairs)
        known = {**cached.known, **{s: latest.get(s) for s in absent}}
        if not cached.pairs:
            known.update((pair, latest.get(pair)) for pair in market.PAIRS)
        cached = _Snapshots(known, pairs=True)
        read_now.append((revisions.SNAPSHOTS, key, cached))

    _keep(session, at, read_now)
    snapshots = {s: found for s in wanted if (found := cached.known[s]) is not None}
    # As the one query gave them: every pair there is, and any symbol asked for that is one.
    pairs = {
        s: pair
        for s in sorted({*market.PAIRS, *(s for s in wanted if market.is_pair(s))})
        if (pair := cached.known[s]) is not None
    }
    return Reference(
        layers={k: dict(layer) for k in layer_keys if (layer := layers.get(k)) is not None},
        snapshots=snapshots,
        pairs=pairs,
        instruments=instruments,
        correlation_head=head,
    )


def _keep(session: Session, at: dict[str, int], read_now: list[tuple[str, Any, Any]]) -> None:
    """Cache what was read, for each family whose revision did not move meanwhile."""
    if not read_now or revisions.moved_here(session):
        return
    after = revisions.read(session.connection())
    for family, key, value in read_now:
        if after.get(family) == at.get(family):
            CACHE.put(key, value)
