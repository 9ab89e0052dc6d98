"""Anchors: reference operations timed in the same process as the figures they anchor.

A ratio to an anchor measured beside a figure says more than an absolute time on a shared
machine: NautilusTrader's ``FixedRiskSizer.calculate`` for the pure figures (an optional
dependency: the ``bench`` extra), a bare insert and commit through ARIA's own engine for the
audited figures, and ``numpy.corrcoef`` for the correlation.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Engine

from bench.harness import Anchor, note

NAUTILUS = "NautilusTrader FixedRiskSizer"
BARE_COMMIT = "bare insert+commit"
CORRCOEF = "numpy.corrcoef"


def nautilus() -> Anchor | None:
    """NautilusTrader sizing EUR/USD (entry 1.0850, stop 1.0800, 100,000 USD, 1 % risk), or
    ``None`` (and a note) when NautilusTrader is not installed."""
    try:
        from nautilus_trader.model.objects import Money, Price
        from nautilus_trader.risk.sizing import FixedRiskSizer
        from nautilus_trader.test_kit.providers import TestInstrumentProvider
    except ImportError:
        note(
            "NautilusTrader is not installed (pip install -e '.[bench]'):"
            " the pure figures have no anchor ratio"
        )
        return None
    instrument: Any = TestInstrumentProvider.default_fx_ccy("EUR/USD")
    sizer = FixedRiskSizer(instrument)
    entry = Price.from_str("1.08500")
    stop = Price.from_str("1.08000")
    equity = Money.from_str("100000 USD")
    risk = Decimal("0.01")
    return Anchor(NAUTILUS, lambda: sizer.calculate(entry, stop, equity, risk))


def bare_commit(engine: Engine) -> Anchor:
    """One row inserted into a scratch table and committed, through ``engine``."""
    table = sa.Table(
        "bench_commits",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("payload", sa.String(64)),
    )
    table.create(engine, checkfirst=True)
    with engine.begin() as connection:
        start = connection.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar()
    counter = itertools.count(int(start or 0) + 1)

    def once() -> None:
        with engine.begin() as connection:
            connection.execute(table.insert().values(id=next(counter), payload="x" * 32))

    return Anchor(BARE_COMMIT, once)


def corrcoef(matrix: np.ndarray) -> Anchor:
    """``numpy.corrcoef`` of a symbols × bars matrix (rows are symbols)."""
    return Anchor(CORRCOEF, lambda: np.corrcoef(matrix))
