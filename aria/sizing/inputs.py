"""Everything the pipeline decides from, as immutable values that can be hashed and replayed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    TypeAdapter,
    model_serializer,
    model_validator,
)

from accounts.cash import NO_CASH, CashLedger
from accounts.model import Account, AccountState, DayStart, Identifier, Side, Symbol, Trade
from accounts.money import CurrencyCode, PositiveDecimal
from accounts.peaks import Peaks
from aria.sizing.instruments import Instrument
from aria.sizing.profiles import Profile
from firms.model import CrossAccountRules, PhaseKind
from firms.news import EconomicEvent
from firms.ruleset import RuleSet
from firms.sessions import Calendar

Probability = Annotated[Decimal, Field(ge=0, le=1)]
Correlation = Annotated[Decimal, Field(ge=-1, le=1)]
RatePair = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{6,8}$")
]


class Frozen(BaseModel):
    """Base of the pipeline's inputs: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TradeRequest(Frozen):
    """What a strategy asks: a symbol, a side, an entry, and a stop or an ATR multiple."""

    symbol: Symbol
    side: Side
    entry: PositiveDecimal
    stop: PositiveDecimal | None = None
    stop_atr_multiple: PositiveDecimal | None = None
    take_profit: PositiveDecimal | None = None
    confidence: Probability | None = None
    strategy: Identifier | None = None
    spread: PositiveDecimal | None = Field(
        default=None, description="the current bid-ask spread, in price; no stop may be nearer"
    )
    reduce_only: bool = Field(
        default=False, description="closes or reduces an open position; never blocked"
    )

    @model_validator(mode="after")
    def _sides(self) -> Self:
        if self.stop is not None and self.stop_atr_multiple is not None:
            raise ValueError("give either 'stop' or 'stop_atr_multiple', not both")
        sign = self.side.sign
        if self.stop is not None and (self.entry - self.stop) * sign <= 0:
            where = "below" if self.side is Side.LONG else "above"
            raise ValueError(
                f"the stop of a {self.side.value} must be {where} the entry ({self.entry})"
            )
        if self.take_profit is not None and (self.take_profit - self.entry) * sign <= 0:
            where = "above" if self.side is Side.LONG else "below"
            raise ValueError(
                f"the take-profit of a {self.side.value} must be {where} the entry ({self.entry})"
            )
        return self


class MarketSnapshot(Frozen):
    """Market facts for the request's symbol, and the rates to convert money."""

    as_of: AwareDatetime | None = None
    atr: PositiveDecimal | None = None
    atr_percentile: Annotated[Decimal, Field(ge=0, le=100)] | None = None
    daily_volatility: Annotated[Decimal, Field(ge=0, le=5)] | None = None
    correlations: dict[Symbol, Correlation] = Field(
        default_factory=dict, description="correlation of the request's symbol with each symbol"
    )
    rates: dict[RatePair, PositiveDecimal] = Field(
        default_factory=dict, description="conversion rates, e.g. GBPUSD: 1.27 (1 GBP = 1.27 USD)"
    )
    unavailable: str | None = Field(
        default=None,
        description="why the symbol has no fresh data (ATR sizing then answers stale_data)",
    )


class Exposure(Frozen):
    """A position another account holds (symbol and side are what cross-account rules see)."""

    symbol: Symbol
    side: Side


class OtherAccount(Frozen):
    """Another account of the same owner, for the cross-account rules."""

    id: Identifier
    firm: Identifier
    phase_kind: PhaseKind
    size: PositiveDecimal
    currency: CurrencyCode = "USD"
    strategy: Identifier | None = None
    rules: CrossAccountRules | None = None
    positions: tuple[Exposure, ...] = ()
    same_signal: bool = Field(
        default=False, description="receives this same signal (a fan-out sibling)"
    )
    signal_order: int | None = Field(
        default=None, description="its place in the fan-out; earlier siblings count first for caps"
    )


# Reservation fields added after records were written: left out of the JSON while unset,
# so those records keep the input hash they were answered with.
_LATER_RESERVATION_FIELDS = ("symbol", "side", "lots", "reduce_only")


class Reservation(Frozen):
    """Risk held for an approved decision whose position the broker has not shown yet.

    A reduce-only approval holds no risk (``amount`` 0) but the lots it will close.
    """

    decision_id: str
    amount: Annotated[Decimal, Field(ge=0)]
    expires_at: AwareDatetime | None = None
    swing: Annotated[Decimal, Field(ge=0)] | None = Field(
        default=None, description="its take-profit back to its stop; unknown counts as unbounded"
    )
    symbol: Symbol | None = None
    side: Side | None = Field(default=None, description="the side of the approved order")
    lots: Annotated[Decimal, Field(ge=0)] | None = None
    reduce_only: bool = Field(
        default=False, description="holds lots of an open position it will close, not risk"
    )

    @model_validator(mode="after")
    def _closes_something(self) -> Self:
        if self.reduce_only and (self.symbol is None or self.side is None or self.lots is None):
            raise ValueError("a reduce-only reservation names its symbol, side and lots")
        return self

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in _LATER_RESERVATION_FIELDS:
            if data.get(name) in (None, False):
                data.pop(name, None)
        return data


def cash_input(cash: CashLedger) -> CashLedger | None:
    """An account's cash ledger as a decision's input: unset while no cash flow has touched
    the account, so its inputs hash as they did before cash flows were recorded."""
    return None if cash == NO_CASH else cash


class BestDayWindow(Frozen):
    """One best-day rule's window as the consistency cap reads it: closed trading profit
    before today (net, and over positive days), today's so far, and the phase's payouts."""

    prior_net: Decimal
    prior_positive: Annotated[Decimal, Field(ge=0)]
    today: Decimal
    payouts: Annotated[int, Field(ge=0)] = 0


# Inputs added after records were written: left out of the JSON while unset or empty, so
# those records keep the input hash they were answered with (``cash``, the best-day windows,
# the recent closed trades, the risk violations, the news, the calendar; and the account's
# household and its symbol aliases).
LEFT_OUT_WHILE_EMPTY = (
    "cash",
    "best_day_windows",
    "recent_closed_trades",
    "risk_violations",
    "news",
    "calendar",
)
ACCOUNT_LEFT_OUT_WHILE_EMPTY = ("household", "symbol_aliases")


def empty(value: Any) -> bool:
    """Whether an input is unset or empty (alike as a model's value and as its JSON value)."""
    return value is None or (isinstance(value, tuple | list | dict | int) and not value)


class DecisionInputs(Frozen):
    """The complete input of one decision."""

    now: AwareDatetime
    profile: Profile
    rules: RuleSet
    account: Account
    state: AccountState
    peaks: Peaks
    day: DayStart | None = None
    cash: CashLedger | None = Field(
        default=None, description="what cash flows did to the floors (unset: none yet)"
    )
    trades: tuple[Trade, ...] = ()
    reservations: tuple[Reservation, ...] = ()
    instrument: Instrument
    instruments: dict[Symbol, Instrument] = Field(
        default_factory=dict, description="specs of the symbols of open positions"
    )
    market: MarketSnapshot = Field(default_factory=MarketSnapshot)
    request: TradeRequest
    others: tuple[OtherAccount, ...] = ()
    signal_order: int = Field(default=0, description="this account's place in a fan-out")
    best_day_windows: tuple[BestDayWindow, ...] = Field(
        default=(),
        description="one per best-day rule of the rules, in their order, for a profile whose"
        " consistency cap is on (unset: the cap does not apply)",
    )
    recent_closed_trades: tuple[Trade, ...] = Field(
        default=(),
        description=(
            "trades closed within the firm's one-trade window (filled only where the plan"
            " counts a re-entry after a loss as the same trade)"
        ),
    )
    risk_violations: Annotated[int, Field(ge=0)] = Field(
        default=0,
        description="the account's violations of its firm's open-risk cap (the tracker's count)",
    )
    news: tuple[EconomicEvent, ...] = Field(
        default=(), description="releases whose windows can matter now (any instrument)"
    )
    calendar: Calendar | None = Field(
        default=None,
        description="the instrument's sessions around 'now' (unset: no session rule is judged,"
        " as for decisions recorded before them)",
    )

    @model_validator(mode="after")
    def _one_instrument(self) -> Self:
        # Sizing EURUSD with gold's contract and tick would size the wrong trade.
        if self.request.symbol != self.instrument.symbol:
            raise ValueError(
                f"the request is for {self.request.symbol} but the instrument is"
                f" {self.instrument.symbol}"
            )
        return self

    def input_hash(self) -> str:
        """The fingerprint of these inputs (see :func:`input_hash`)."""
        return input_hash(self)

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in LEFT_OUT_WHILE_EMPTY:
            if name in data and empty(data[name]):
                data.pop(name)
        account = data.get("account")
        if isinstance(account, dict):
            for name in ACCOUNT_LEFT_OUT_WHILE_EMPTY:
                if name in account and empty(account[name]):
                    account.pop(name)
        return data


# The parts one request shares across its accounts: a fan-out's profile, rules, instrument,
# market and request, and each sibling as the others see it. The service passes the same
# objects to every account, so their JSON and digest are computed once per object, not per
# decision; storage keeps each shared part once and the decision keeps its digest.
SHARED_PARTS = ("profile", "rules", "instrument", "market", "request")
LISTED_PARTS = ("others",)  # a tuple of shared parts
OWN_PARTS = tuple(
    name for name in DecisionInputs.model_fields if name not in SHARED_PARTS + LISTED_PARTS
)
_OWN = set(OWN_PARTS)
_HASH_VERSION = "aria-inputs/2"
T = TypeVar("T")


class _Entry(weakref.ref[Any], Generic[T]):
    """A memo's entry: a weak reference to the object, with its key and value (no closure and
    no tuple per entry: a memo may hold an entry for every account)."""

    __slots__ = ("key", "value")
    key: int
    value: T

    def __new__(
        cls, obj: Any, callback: Callable[[_Entry[T]], object], key: int, value: T
    ) -> _Entry[T]:
        entry = super().__new__(cls, obj, callback)
        entry.key, entry.value = key, value
        return entry

    def __init__(
        self, obj: Any, callback: Callable[[_Entry[T]], object], key: int, value: T
    ) -> None:
        pass  # all set by ``__new__``; the reference's own ``__init__`` refuses the extra values


class _Memo(Generic[T]):
    """A value computed once per immutable object, kept while the object lives (at most
    ``limit`` objects: the oldest entry goes first)."""

    def __init__(self, compute: Callable[[Any], T], limit: int = 100_000) -> None:
        self._compute, self._limit = compute, limit
        self._entries: dict[int, _Entry[T]] = {}
        self._lock = threading.Lock()
        # Entries of objects that died, removed under the lock by the next ``get``. A weakref
        # callback runs wherever the garbage collector happens to run, which can be inside
        # ``get`` while this thread holds the lock: taking the lock there would deadlock, so
        # the callback only appends (atomic).
        self._dead: list[_Entry[T]] = []

    def get(self, obj: Any) -> T:
        key = id(obj)
        entry = self._entries.get(key)
        if entry is not None and entry() is obj:
            return entry.value
        value = self._compute(obj)
        with self._lock:
            while self._dead:
                gone = self._dead.pop()
                if self._entries.get(gone.key) is gone:
                    del self._entries[gone.key]
            self._entries.pop(key, None)  # a dead object's entry under a reused id
            self._entries[key] = _Entry(obj, self._dead.append, key, value)
            if len(self._entries) > self._limit:
                del self._entries[next(iter(self._entries))]
        return value


def _text_and_digest(text: str) -> tuple[str, str]:
    return text, hashlib.sha256(text.encode()).hexdigest()


def _exact(value: Any) -> Any:
    """A hashable key of ``value`` that is equal only for values that serialise alike."""
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, BaseModel):
        return _SHARED.get(value)[1]  # a nested part: the digest of its text
    if isinstance(value, tuple | list):
        return tuple(_exact(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _exact(item)) for key, item in value.items())
    # Values that are equal can be written differently: 1.0 and 1.00, 1 and True, 0.0 and
    # -0.0, 12:00Z and 14:00+02:00. The repr tells each of them apart.
    return (value.__class__, repr(value))


class _ByContent:
    """The text and digest of parts kept by their content (bounded, LRU): a part rebuilt for
    every request, such as a sibling account, is serialised again only when it changed."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, part: BaseModel) -> tuple[str, str]:
        model = type(part)
        key = (model, *(_exact(getattr(part, name)) for name in model.model_fields))
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        value = _text_and_digest(part.model_dump_json())
        with self._lock:
            self._entries[key] = value
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


_BY_CONTENT = _ByContent(4_096)  # a few fan-outs of siblings: their texts are large
_SHARED = _Memo(_BY_CONTENT.get)


def shared_part(value: BaseModel) -> tuple[str, str]:
    """The JSON text and SHA-256 digest of a shared part (computed once per object)."""
    return _SHARED.get(value)


# The account's own parts that outlive a request (the account and its tracker's values are
# kept by the row cache while their rows are unchanged) or that a fan-out's accounts share
# (the calendar): their JSON is computed once per object and spliced into the own-parts text.
def _account_json(account: Account) -> str:
    left_out = {name for name in ACCOUNT_LEFT_OUT_WHILE_EMPTY if empty(getattr(account, name))}
    return account.model_dump_json(exclude=left_out)


def _model_json(value: BaseModel) -> str:
    return value.model_dump_json()


_PIECES: dict[str, _Memo[str]] = {
    "account": _Memo(_account_json),
    "state": _Memo(_model_json),
    "peaks": _Memo(_model_json),
    "day": _Memo(_model_json),
    "cash": _Memo(_model_json),
    "calendar": _Memo(_model_json),
}
_LEFT_OUT = frozenset(LEFT_OUT_WHILE_EMPTY)


# Each other own part is written by its field's own serialiser, as the model writes it.
def _adapter(name: str) -> TypeAdapter[Any]:
    annotation = DecisionInputs.model_fields[name].annotation
    return TypeAdapter(annotation if annotation is not None else Any)


_ADAPTERS = {name: _adapter(name) for name in OWN_PARTS}


def _field_json(name: str, value: Any) -> str:
    if value is None:
        return "null"
    if value == () and isinstance(value, tuple):
        return "[]"
    if type(value) is int:
        return str(value)
    if name == "instruments" and all(symbol.isalnum() for symbol in value):
        # The catalog's instruments, each written once; plain symbols need no escaping.
        return "{" + ",".join(f'"{s}":{_SHARED.get(i)[0]}' for s, i in value.items()) + "}"
    return _ADAPTERS[name].dump_json(value).decode()


def _own_text(inputs: DecisionInputs) -> str:
    """The own parts' JSON, as ``inputs.model_dump_json(include=_OWN)`` writes it."""
    out: list[str] = []
    for name in OWN_PARTS:
        value = getattr(inputs, name)
        if name in _LEFT_OUT and empty(value):
            continue
        piece = _PIECES.get(name)
        text = piece.get(value) if piece is not None and value is not None else None
        out.append(f'"{name}":{text if text is not None else _field_json(name, value)}')
    return "{" + ",".join(out) + "}"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What a decision's inputs are recorded and hashed as: each shared part's digest (lists
    for listed parts), the JSON of the account's own parts, and the input hash over them."""

    refs: dict[str, str | list[str]]
    own_json: str
    hash: str


def _fingerprint(inputs: DecisionInputs) -> Fingerprint:
    refs: dict[str, str | list[str]] = {
        name: _SHARED.get(getattr(inputs, name))[1] for name in SHARED_PARTS
    }
    for name in LISTED_PARTS:
        refs[name] = [_SHARED.get(part)[1] for part in getattr(inputs, name)]
    own = _own_text(inputs)
    lines = [_HASH_VERSION]
    for name, ref in refs.items():
        lines.append(f"{name}:{ref if isinstance(ref, str) else ','.join(ref)}")
    lines.append(own)
    return Fingerprint(refs, own, hashlib.sha256("\n".join(lines).encode()).hexdigest())


_FINGERPRINTS = _Memo(_fingerprint, limit=20_000)


def fingerprint(inputs: DecisionInputs) -> Fingerprint:
    """The fingerprint of ``inputs`` with its mappings in the order they are held, computed
    once per object: the hash and the record read the same texts and digests."""
    return _FINGERPRINTS.get(inputs)


def own_json(inputs: DecisionInputs) -> str:
    """The JSON object of the parts that belong to this account alone, in field order."""
    return fingerprint(inputs).own_json


def part_refs(inputs: DecisionInputs) -> dict[str, str | list[str]]:
    """The digest of each shared part, and the digests of each listed part in order."""
    return {
        name: ref if isinstance(ref, str) else list(ref)
        for name, ref in fingerprint(inputs).refs.items()
    }


def _ordered(mapping: dict[str, Any]) -> bool:
    keys = list(mapping)
    return keys == sorted(keys)


def _sorted(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: mapping[key] for key in sorted(mapping)}


def canonical_inputs(inputs: DecisionInputs) -> DecisionInputs:
    """``inputs`` with every mapping in key order; the same object when it already is."""
    # A mapping built from a set iterates in an order that changes with PYTHONHASHSEED; the
    # hash must fingerprint the values, not the order they were gathered in.
    market = inputs.market
    if not (_ordered(market.correlations) and _ordered(market.rates)):
        market = market.model_copy(
            update={"correlations": _sorted(market.correlations), "rates": _sorted(market.rates)}
        )
    if market is inputs.market and _ordered(inputs.instruments):
        return inputs
    return inputs.model_copy(update={"market": market, "instruments": _sorted(inputs.instruments)})


def input_hash(inputs: DecisionInputs) -> str:
    """SHA-256 over the digest of each shared part and the JSON of the account's own parts.

    Equal inputs always give the same hash, whatever order their mappings were built in; it
    fingerprints the inputs as recorded, so an amount written ``1000`` or ``1000.00`` is a
    different record of the same value.
    """
    return _CANONICAL_HASHES.get(inputs)


# Kept by the object asked about: inputs whose mappings are out of key order are copied into
# order, and the copy, new every call, would miss the fingerprints' memo.
_CANONICAL_HASHES = _Memo(
    lambda inputs: recorded_input_hash(canonical_inputs(inputs)), limit=20_000
)


def recorded_input_hash(inputs: DecisionInputs) -> str:
    """The input hash over the mappings in the order they are held (records written before
    the hash put them in key order were hashed so)."""
    return fingerprint(inputs).hash


def from_parts(own: dict[str, Any], shared: dict[str, Any]) -> DecisionInputs:
    """Inputs rebuilt from stored JSON: the account's own parts and the shared ones (the
    listed parts as lists)."""
    return DecisionInputs.model_validate({**own, **shared})


def legacy_input_hash(inputs: DecisionInputs) -> str:
    """The input hash of records written before the parts were stored apart (format 1).

    ``inputs`` must be rebuilt from the stored JSON: fields added to the models since (unset
    there) are left out, so the hash covers what was hashed then.
    """
    dumped = inputs.model_dump(mode="python", exclude_unset=True)
    return hashlib.sha256(canonical_json(dumped).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        # 100, 100.0 and 1E+2 are one amount, so they hash alike.
        text = format(value.normalize(), "f")
        return text if "." not in text else text.rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()  # one instant, one text, whatever the zone
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, decimals in plain normalised form."""
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def live(reservations: Iterable[Reservation], now: dt.datetime) -> list[Reservation]:
    """The reservations still holding at ``now`` (one without an expiry holds until released)."""
    return [r for r in reservations if r.expires_at is None or now < r.expires_at]
