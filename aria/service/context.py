"""What every use case needs: a unit of work, a clock, the rule and instrument catalogs, options."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from aria.service.errors import InvalidInput
from aria.service.ports import CheckpointStore, Clock, UnitOfWork, UnitOfWorkFactory
from aria.sizing.bars import BarPolicy
from aria.sizing.errors import ProfileError, UnknownPreset
from aria.sizing.instruments import Instrument, InstrumentCatalog
from aria.sizing.market import Correlation
from aria.sizing.profiles import Profile, resolve_profile
from firms.catalog import Catalog
from firms.errors import FirmsError
from firms.ruleset import RuleSet


@dataclass(frozen=True)
class ServiceOptions:
    """Operational options of the service (from settings)."""

    reservation_ttl_seconds: int = 120
    trade_history: int = 200
    timeframe: str = "1d"
    atr_period: int = 14
    percentile_lookback: int = 252
    correlation_bars: int = 250
    correlation_universe: str = "all"
    near_floor_fraction: Decimal = Decimal("0.005")  # of initial balance
    debounce_updates: int = 3
    max_future_skew_seconds: int = 5  # a broker clock a little fast; never minutes
    reset_batch: int = 500
    bars: BarPolicy = field(default_factory=BarPolicy)
    # Signs audit checkpoints (HMAC-SHA256); None: checkpoints are unsigned and say so.
    audit_key: str | None = field(default=None, repr=False)
    news_lead_minutes: int = 30  # how long before a news window the news_ahead job warns
    calendar_dir: Path | None = None  # calendar files the calendar job re-reads; None: off
    # Minutes before each flat-by time a warning is recorded (the nearest passed one only).
    flat_by_warnings: tuple[int, ...] = (15, 5)
    # Days before an account's inactivity limit a warning is recorded.
    inactivity_warning_days: int = 3
    # Notifications: attempts before 'failed', the claim's lease, one send's timeout, and the
    # exponential backoff between attempts (first delay, longest delay), in seconds.
    notify_max_attempts: int = 10
    notify_lease_seconds: int = 60
    notify_timeout_seconds: float = 10.0
    notify_backoff_seconds: float = 5.0
    notify_max_backoff_seconds: float = 3600.0
    notify_private_hosts: bool = False  # may a webhook reach a private or loopback address
    # Days of volatility snapshots the prune_snapshots job keeps (each symbol's latest always).
    snapshot_retention_days: int = 30


def _no_tokens(_: int) -> str:
    raise RuntimeError("this context has no token source; the composition root must give one")


@dataclass
class Context:
    """The dependencies of the use cases, built once per process by ``aria.bootstrap``."""

    uow: UnitOfWorkFactory
    clock: Clock
    catalog: Catalog
    instruments: InstrumentCatalog
    options: ServiceOptions = field(default_factory=ServiceOptions)
    tokens: Callable[[int], str] = field(default=_no_tokens)
    # Read-only units for long reads (verify, checkpoints); without one, reads use ``uow``.
    reader: UnitOfWorkFactory | None = None
    checkpoints: CheckpointStore | None = None  # where the checkpoint job writes; None: off

    def __post_init__(self) -> None:
        self._rules = lru_cache(maxsize=4096)(self._rule_set)
        self._profiles = lru_cache(maxsize=4096)(self._profile)
        self._correlation: tuple[tuple[str, int, dt.datetime], Correlation] | None = None
        self._catalog: tuple[tuple[Instrument, ...], InstrumentCatalog] | None = None
        self._lock = threading.Lock()

    def unit(self) -> UnitOfWork:
        """A fresh unit of work."""
        return self.uow()

    def read_unit(self) -> UnitOfWork:
        """A unit of work for reading only: it never waits for, or holds up, a writer."""
        return self.reader() if self.reader is not None else self.uow()

    def rule_set(
        self,
        firm: str,
        plan: str,
        phase: str,
        size: Decimal,
        version: str | None,
        options: Mapping[str, Decimal] | None = None,
    ) -> RuleSet:
        """The resolved rules of an account, with its checkout options (cached: rule sets are
        immutable)."""
        return self._rules(firm, plan, phase, size, version, tuple(sorted((options or {}).items())))

    def _rule_set(
        self,
        firm: str,
        plan: str,
        phase: str,
        size: Decimal,
        version: str | None,
        options: tuple[tuple[str, Decimal], ...],
    ) -> RuleSet:
        try:
            return self.catalog.rule_set(firm, plan, phase, size, version, dict(options))
        except FirmsError as exc:
            raise InvalidInput(str(exc)) from None

    def profile(self, preset: str, layers: tuple[tuple[str, str], ...]) -> Profile:
        """A resolved profile; ``layers`` are (name, canonical JSON) pairs so they can be cached."""
        return self._profiles(preset, layers)

    def _profile(self, preset: str, layers: tuple[tuple[str, str], ...]) -> Profile:
        try:
            return resolve_profile(preset, [(name, json.loads(text)) for name, text in layers])
        except (ProfileError, UnknownPreset) as exc:
            raise InvalidInput(str(exc)) from None

    def instrument_catalog(self, stored: list[Instrument]) -> InstrumentCatalog:
        """The file catalog overlaid with instruments stored at run time (kept while unchanged)."""
        if not stored:
            return self.instruments
        cached = self._catalog
        if cached is not None and cached[0] == tuple(stored):
            return cached[1]
        merged: dict[str, Instrument] = dict(self.instruments.instruments)
        merged.update({i.symbol: i for i in stored})
        catalog = InstrumentCatalog(instruments=merged)
        with self._lock:
            self._catalog = (tuple(stored), catalog)
        return catalog

    def correlation(
        self, key: tuple[str, int, dt.datetime], load: Callable[[], Correlation]
    ) -> Correlation:
        """A correlation matrix by (universe, version, computed at), loaded once per key."""
        cached = self._correlation
        if cached is not None and cached[0] == key:
            return cached[1]
        matrix = load()
        with self._lock:
            self._correlation = (key, matrix)
        return matrix


def layer_key(layer: dict[str, Any]) -> str:
    """Canonical JSON of a profile layer, for caching."""
    return json.dumps(layer, sort_keys=True, separators=(",", ":"), default=str)
