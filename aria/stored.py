"""Read models storage hands the service outside the audit trail: API keys, job runs, and the
one snapshot a sizing request decides from. Frozen values: storage builds them, the service
reads them, and neither imports the other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accounts.model import Account, Trade
from accounts.tracker import Tracker
from aria.sizing.inputs import Reservation
from aria.sizing.instruments import Instrument
from aria.sizing.market import VolatilitySnapshot

LayerKey = tuple[str, str]  # (scope, key) of a profile layer
Layers = Mapping[LayerKey, dict[str, Any]]


@dataclass(frozen=True)
class StoredKey:
    """An API key as stored (the hash of its secret, never the secret)."""

    id: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]
    owner: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class JobStatus:
    """The last run of a job."""

    job_id: str
    run_key: str
    claimed_at: dt.datetime
    finished_at: dt.datetime | None
    status: str


@dataclass(frozen=True, kw_only=True)
class SizingQuery:
    """What one sizing request (one account or a fan-out) needs loaded.

    ``layer_keys`` names the profile layers an account may use, and ``reads_trades`` says,
    from the account and the layers found, whether its profile reads its recent trades:
    both are the service's rules, asked while loading so that one load serves the request.
    """

    account_ids: tuple[str, ...]
    symbol: str
    now: dt.datetime
    lock: bool  # lock the accounts to write decisions; a preview reads without locking
    layer_keys: Callable[[Account], Sequence[LayerKey]]
    reads_trades: Callable[[Account, Layers], bool]
    trade_history: int  # how many recent trades an account that reads them gets
    universe: str  # the correlation universe whose newest matrix is named


@dataclass(frozen=True, kw_only=True)
class SizingSnapshot:
    """Everything a sizing request decides from, as loaded in one go.

    Requested accounts that are unknown are missing from ``accounts``; the service decides
    what that means. ``reservations`` are the live ones at ``SizingQuery.now``.
    """

    accounts: Mapping[str, tuple[Account, Tracker]]
    others: Mapping[str, tuple[Account, Tracker]]  # the owners' accounts outside the request
    layers: Layers
    trades: Mapping[str, tuple[Trade, ...]]  # only the accounts whose profile reads them
    reservations: Mapping[str, tuple[Reservation, ...]]
    instruments: tuple[Instrument, ...]  # instruments stored at run time
    snapshots: Mapping[str, VolatilitySnapshot]  # the request's and the held symbols'
    pairs: Mapping[str, VolatilitySnapshot]  # every currency pair, for conversion rates
    correlation_head: tuple[int, dt.datetime] | None  # newest (version, computed at)


@dataclass(frozen=True)
class Change:
    """One account written to (a state, a decision or a rule event), as a change feed hears
    of it; a notification's payload reads ``<owner>:<account id>``."""

    owner: str
    account_id: str

    @classmethod
    def parse(cls, payload: str) -> Change | None:
        """The change a notification payload names, or ``None`` when it is not one."""
        owner, sep, account_id = payload.partition(":")
        return cls(owner, account_id) if sep and owner and account_id else None

    @property
    def payload(self) -> str:
        """The notification payload naming this change."""
        return f"{self.owner}:{self.account_id}"
