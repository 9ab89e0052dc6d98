"""A fan-out's accounts as columns, valued once, for the batch engine.

Preparing a fan-out values everything about its accounts that does not depend on the
signal's content: floors and headroom, open positions (at the fan-out's conversion rates),
the part of each limit's room that is the account's (``Limit.prepare``), the factors of the
adjusters that read only the account, and the gates that do not look at the signal (the
trading state, stale state, and the fan-out's allocation and copy rules, which depend on
who receives the signal, in which order, under which strategy label — not on what it says).
It does so with the scalar pipeline's own functions and the rule tables (``LIMITS``,
``ADJUSTERS``, ``GATES``), so every amount is the exact ``Decimal`` the pipeline would use.
What depends on the signal is left to :func:`aria.sizing.batch.decide_batch`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from accounts.model import AssetClass

# The rule tables are read when used, not bound at import: they are the one place a rule
# is added, for this engine and the pipeline alike.
from aria.sizing import adjusters as adjuster_table
from aria.sizing import gates as gate_table
from aria.sizing import limits as limit_table
from aria.sizing.adjusters import combine
from aria.sizing.decision import RejectCode
from aria.sizing.exposure import value_book
from aria.sizing.gates import account_ref, forbids_within, sibling_refs
from aria.sizing.inputs import DecisionInputs, shared_part
from aria.sizing.limits.base import Floats, Mask, Table
from aria.sizing.pipeline import account_view, headroom_of
from aria.sizing.profiles import Method, Profile
from firms import cross_account
from firms.model import CrossAccountRules

# Kelly sizes from each account's own trade statistics; it stays with the scalar pipeline.
SUPPORTED_METHODS = frozenset(set(Method) - {Method.KELLY})
_NONE = float("nan")  # a value the account does not have


@dataclass(frozen=True)
class Cohort:
    """Accounts that share a profile and a currency, and so one stop and one money per lot."""

    profile: Profile
    currency: str
    members: npt.NDArray[np.intp]


@dataclass(frozen=True)
class Exposures:
    """Open positions as parallel columns: which account, which symbol, which side (±1).

    Symbols and cross-account rules (whose groups say which symbols are one instrument)
    are codes into the ``symbols`` and ``rules`` tables, so a signal is matched once per
    distinct pair, not once per position.
    """

    account: npt.NDArray[np.intp]
    symbol: npt.NDArray[np.intp]
    sign: npt.NDArray[np.int8]
    rule: npt.NDArray[np.intp]
    symbols: tuple[str, ...]
    rules: tuple[CrossAccountRules | None, ...]


@dataclass(frozen=True)
class FanOut:
    """The columns of a fan-out's accounts (see the module docstring for what is in them)."""

    inputs: tuple[DecisionInputs, ...]
    now: dt.datetime
    strategy: str | None
    rates: dict[str, Decimal]
    cohorts: tuple[Cohort, ...]
    scalar_only: npt.NDArray[np.bool_]  # decided by the scalar pipeline (features not in columns)
    gate_codes: dict[str, tuple[tuple[RejectCode, ...], ...]]  # gates decided when prepared
    gated: npt.NDArray[np.bool_]  # has any of those codes
    equity: Floats
    balance: Floats
    personality: Floats
    pre_factor: Floats  # the prepared adjusters, combined (NaN: none enabled)
    open_used: Floats  # further loss of open positions plus live reservations
    table: Table  # the limits' prepared parts, by key
    held: Exposures  # the account's own positions
    within: Exposures  # own positions where the firm forbids hedging in one account
    hedged: Exposures  # siblings' positions a hedge against would break a firm's rule
    # Per gate with ``alike``: each account's group, and one account of each group.
    alike: dict[str, tuple[npt.NDArray[np.intp], tuple[DecisionInputs, ...]]]

    @property
    def size(self) -> int:
        """How many accounts the fan-out holds."""
        return len(self.inputs)

    def each_alike(self, gate: str, answer: Callable[[DecisionInputs], bool]) -> Mask:
        """``answer`` for every account, asked once per group of accounts alike for ``gate``."""
        groups, members = self.alike[gate]
        answers = np.array([answer(item) for item in members], dtype=np.bool_)
        return answers[groups] if len(members) else np.zeros(self.size, dtype=np.bool_)


def allocate(count: int) -> Floats:
    """A column of ``count`` accounts, none of which has the value yet (the one place a
    per-class or keyed column is allocated: a test counts the calls)."""
    return np.full(count, _NONE, dtype=np.float64)


class _Rows:
    """Collects one row per account while a fan-out is prepared."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.index = 0
        self.floats: dict[str, list[float]] = {}
        self.flags: dict[str, list[bool]] = {}
        self.by_class: dict[str, dict[str, Floats]] = {}
        self.keyed: dict[str, dict[str, Floats]] = {}
        self.exposures: dict[str, tuple[list[int], list[int], list[int], list[int]]] = {
            name: ([], [], [], []) for name in ("held", "within", "hedged")
        }
        self.symbols: dict[str, int] = {}
        self.rules: dict[int, tuple[int, CrossAccountRules | None]] = {}

    def put(self, key: str, value: Decimal | float | None) -> None:
        column = self.floats.get(key)
        if column is None:  # not ``setdefault``: it would build a list on every call
            column = self.floats[key] = []
        column.append(_NONE if value is None else float(value))

    def flag(self, key: str, value: bool) -> None:
        self.flags.setdefault(key, []).append(value)

    def put_class(self, key: str, values: Mapping[AssetClass, Decimal]) -> None:
        self._into(self.by_class.setdefault(key, {}), values.items())

    def put_keyed(self, key: str, values: Mapping[str, Decimal]) -> None:
        self._into(self.keyed.setdefault(key, {}), values.items())

    def _into(self, table: dict[str, Floats], values: Iterable[tuple[str, Decimal]]) -> None:
        # Each column is allocated once, when its first value arrives, at its full length:
        # building it again for every account made preparing a book quadratic.
        for name, value in values:
            column = table.get(name)
            if column is None:
                column = table[name] = allocate(self.count)
            column[self.index] = float(value)

    def expose(
        self, name: str, symbol: str, sign: int, rules: CrossAccountRules | None = None
    ) -> None:
        accounts, symbols, signs, groups = self.exposures[name]
        accounts.append(self.index)
        symbols.append(self.symbols.setdefault(symbol, len(self.symbols)))
        signs.append(sign)
        groups.append(self.rules.setdefault(id(rules), (len(self.rules), rules))[0])

    def array(self, key: str) -> Floats:
        return np.array(self.floats[key], dtype=np.float64)

    def table(self) -> Table:
        # Every key is written once per account: two rules sharing a key would misalign rows.
        lengths = {len(v) for v in self.floats.values()} | {len(v) for v in self.flags.values()}
        if lengths - {self.count}:
            raise ValueError("a fan-out column was written more or less than once per account")
        return Table(
            floats={k: np.array(v, dtype=np.float64) for k, v in self.floats.items()},
            flags={k: np.array(v, dtype=np.bool_) for k, v in self.flags.items()},
            by_class={key: dict(table) for key, table in self.by_class.items()},
            keyed={key: dict(table) for key, table in self.keyed.items()},
        )

    def exposed(self, name: str) -> Exposures:
        accounts, symbols, signs, groups = self.exposures[name]
        return Exposures(
            account=np.array(accounts, dtype=np.intp),
            symbol=np.array(symbols, dtype=np.intp),
            sign=np.array(signs, dtype=np.int8),
            rule=np.array(groups, dtype=np.intp),
            symbols=tuple(self.symbols),
            rules=tuple(rules for _, rules in sorted(self.rules.values(), key=lambda r: r[0])),
        )


def prepare(inputs: list[DecisionInputs] | tuple[DecisionInputs, ...]) -> FanOut:
    """The columns of a fan-out: every account's inputs, valued.

    All inputs must be of one moment, one strategy label and one set of conversion rates.
    """
    items = tuple(inputs)
    if not items:
        raise ValueError("a fan-out needs at least one account")
    first = items[0]
    for item in items[1:]:
        if item.now != first.now:
            raise ValueError("a fan-out is valued at one moment: the inputs' 'now' differ")
        if item.request.strategy != first.request.strategy:
            raise ValueError("a fan-out is one signal: the requests' strategy labels differ")
        if item.market.rates != first.market.rates:
            raise ValueError("a fan-out is valued at one set of conversion rates")
    rows = _Rows(len(items))
    cohorts: dict[tuple[str, str], list[int]] = {}
    profiles: dict[tuple[str, str], Profile] = {}
    scalar_only: list[bool] = []
    prepared_gates = [gate for gate in gate_table.GATES if gate.over_signal is None]
    gate_codes: dict[str, list[tuple[RejectCode, ...]]] = {g.name: [] for g in prepared_gates}
    alike = {gate.name: _Alike(gate.alike) for gate in gate_table.GATES if gate.alike is not None}
    enabled: dict[int, tuple[adjuster_table.Adjuster, ...]] = {}  # per profile, by identity
    for index, item in enumerate(items):
        rows.index = index
        for group in alike.values():
            group.add(item)
        key = (shared_part(item.profile)[1], item.account.currency)
        cohorts.setdefault(key, []).append(index)
        profiles[key] = item.profile
        scalar_only.append(item.profile.method not in SUPPORTED_METHODS)
        for gate in prepared_gates:
            found = gate.check(item)
            gate_codes[gate.name].append(tuple([code for code, _ in found]) if found else ())
        held = value_book(
            item.state.positions,
            item.instruments,
            item.market.rates,
            item.account.currency,
            item.rules,
            item.profile,
        )
        room = headroom_of(item, held)
        view = account_view(item, held, room)
        rows.put("equity", view.equity)  # in capital terms (see ``account_view``)
        rows.put("balance", view.balance)
        rows.put("personality", item.account.personality.multiplier)
        rows.put("open_used", view.open_used)
        chosen = enabled.get(id(item.profile))  # by identity: ``items`` holds every profile
        if chosen is None:
            chosen = enabled[id(item.profile)] = _prepared_adjusters(item.profile)
        rows.put("pre_factor", _prepared_factor(item, chosen))
        for limit in limit_table.LIMITS:
            limit.prepare(view, rows)
        _expose(rows, item)
    codes = {name: tuple(listed) for name, listed in gate_codes.items()}
    gated = np.zeros(len(items), dtype=np.bool_)
    for per_account in codes.values():
        gated |= np.fromiter(map(bool, per_account), dtype=np.bool_, count=len(items))
    return FanOut(
        inputs=items,
        now=first.now,
        strategy=first.request.strategy,
        rates=dict(first.market.rates),
        cohorts=tuple(
            Cohort(profiles[key], key[1], np.array(members, dtype=np.intp))
            for key, members in cohorts.items()
        ),
        scalar_only=np.array(scalar_only, dtype=np.bool_),
        gate_codes=codes,
        gated=gated,
        equity=rows.array("equity"),
        balance=rows.array("balance"),
        personality=rows.array("personality"),
        pre_factor=rows.array("pre_factor"),
        open_used=rows.array("open_used"),
        table=rows.table(),
        held=rows.exposed("held"),
        within=rows.exposed("within"),
        hedged=rows.exposed("hedged"),
        alike={name: group.done() for name, group in alike.items()},
    )


class _Alike:
    """Groups a fan-out's accounts by the very objects a gate's fan-out form reads of them."""

    def __init__(self, read: Callable[[DecisionInputs], tuple[object, ...]]) -> None:
        self.read = read
        self.seen: dict[tuple[int, ...], int] = {}
        self.groups: list[int] = []
        self.members: list[DecisionInputs] = []

    def add(self, item: DecisionInputs) -> None:
        # The objects are read from ``item``, which the fan-out keeps: their ids stay theirs.
        key = tuple(map(id, self.read(item)))
        group = self.seen.get(key)
        if group is None:
            group = self.seen[key] = len(self.members)
            self.members.append(item)
        self.groups.append(group)

    def done(self) -> tuple[npt.NDArray[np.intp], tuple[DecisionInputs, ...]]:
        return np.array(self.groups, dtype=np.intp), tuple(self.members)


def _prepared_adjusters(profile: Profile) -> tuple[adjuster_table.Adjuster, ...]:
    """The adjusters ``profile`` turns on that a fan-out prepares, in the table's order."""
    return tuple(a for a in adjuster_table.ADJUSTERS if a.prepared and a.enabled(profile))


def _prepared_factor(
    item: DecisionInputs, adjusters: tuple[adjuster_table.Adjuster, ...]
) -> Decimal | None:
    """The factors of ``adjusters`` (those its profile turns on) combined in ``Decimal``
    (``None``: none enabled)."""
    factors = [adjuster.of_account(item) for adjuster in adjusters]
    return combine(factors, item.profile.adjusters.combine) if factors else None


def _expose(rows: _Rows, item: DecisionInputs) -> None:
    """The account's positions, and those a hedge would break a rule against."""
    rules = item.rules.cross_account
    within = forbids_within(rules)
    for position in item.state.positions:
        rows.expose("held", position.symbol, position.side.sign)
        if within:
            rows.expose("within", position.symbol, position.side.sign, rules)
    holding = [other for other in item.others if other.positions]
    if not holding:
        return  # no sibling holds anything a hedge could oppose
    me = account_ref(item)
    for other, ref in zip(holding, sibling_refs(item, holding), strict=True):
        if not cross_account.hedge_forbidden(me, ref):  # as hedge_gates
            continue
        for exposure in other.positions:
            rows.expose("hedged", exposure.symbol, exposure.side.sign, rules)
