"""Warm books: a fan-out's prepared columns kept for the next signal to the same accounts.

What a prepared book holds of an account depends on the account's inputs and the fan-out's
moment, strategy label and conversion rates, never on what the signal says. So a book is kept
(a few, the most recent first) with the very objects it was prepared from; a later fan-out over
the same accounts in the same order, at the same moment, label and rates, reuses it: accounts
whose inputs are all the same objects keep their rows, the others are prepared again and
written over theirs. An input that is a new object, even an equal one, is a changed input, so a
kept book never answers for inputs it was not prepared from. Books prepared under other rule
tables (``GATES``, ``ADJUSTERS``, ``LIMITS``) are never reused.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from operator import is_, itemgetter
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from aria.sizing import adjusters as adjuster_table
from aria.sizing import gates as gate_table
from aria.sizing import limits as limit_table
from aria.sizing.columns import Cohort, Exposures, FanOut, allocate, prepare
from aria.sizing.inputs import DecisionInputs, shared_part
from aria.sizing.limits.base import Floats, Table
from firms.model import CrossAccountRules

# What a book holds of an account comes from these inputs; the signal's (``request`` but for
# its strategy label, ``instrument``, ``market`` but for its rates) are left out.
_SIGNAL = frozenset({"request", "instrument", "market"})
_BY_VALUE = ("signal_order", "risk_violations")  # plain numbers: compared by value
_OBJECTS = tuple(
    name
    for name in DecisionInputs.model_fields
    if name not in _SIGNAL and name not in _BY_VALUE and name not in ("now", "instruments")
)
# Read from the model's own ``__dict__``: an attribute read on a pydantic model costs more.
_objects = itemgetter(*_OBJECTS)
_values = itemgetter(*_BY_VALUE)

# A kept book answers again only when at most this share of its accounts changed: preparing
# most of them again costs as much as preparing all.
_PATCHED_SHARE = 0.5


class _Kept:
    """A prepared book and, per account, the inputs it was prepared from."""

    __slots__ = ("book", "instruments", "objects", "tables", "values")

    def __init__(self, book: FanOut) -> None:
        self.book = book
        # The objects are kept alive with the book, so an identical one is never another.
        self.objects: list[tuple[object, ...]] = [_objects(vars(i)) for i in book.inputs]
        self.values: list[tuple[object, ...]] = [_values(vars(i)) for i in book.inputs]
        # A dict can change in place: a copy is what the book was prepared from.
        self.instruments = [dict(item.instruments) for item in book.inputs]
        self.tables = _tables()

    def changed(self, items: tuple[DecisionInputs, ...]) -> list[int] | None:
        """The accounts of ``items`` whose inputs differ from the book's (``None``: another
        fan-out altogether: other size, moment, label, rates or rule tables)."""
        book = self.book
        first = items[0]
        if (
            len(items) != book.size
            or self.tables != _tables()
            or first.now != book.now
            or first.now.tzinfo is not book.now.tzinfo
            or first.request.strategy != book.strategy
            or first.market.rates != book.rates
        ):
            return None
        changed = []
        objects, values, instruments = self.objects, self.values, self.instruments
        for index, item in enumerate(items):
            fields = vars(item)
            if (
                not all(map(is_, _objects(fields), objects[index]))
                or _values(fields) != values[index]
                or fields["instruments"] != instruments[index]
            ):
                changed.append(index)
        return changed

    def patched(self, book: FanOut, changed: list[int]) -> _Kept:
        """This entry for ``book``, the accounts at ``changed`` prepared again."""
        entry = copy.copy(self)
        entry.book = book
        entry.objects, entry.values = list(self.objects), list(self.values)
        entry.instruments = list(self.instruments)
        for index in changed:
            fields = vars(book.inputs[index])
            entry.objects[index] = _objects(fields)
            entry.values[index] = _values(fields)
            entry.instruments[index] = dict(fields["instruments"])
        return entry


def _tables() -> tuple[object, ...]:
    return (gate_table.GATES, adjuster_table.ADJUSTERS, limit_table.LIMITS)


class Books:
    """The last few prepared books, reused for the next signal to the same accounts."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._kept: list[_Kept] = []
        self._lock = threading.Lock()

    def prepared(self, inputs: list[DecisionInputs] | tuple[DecisionInputs, ...]) -> FanOut:
        """``columns.prepare(inputs)``, from a kept book where the accounts are the same."""
        items = tuple(inputs)
        if not items:
            return prepare(items)  # raises as prepare does
        _same_fanout(items)
        with self._lock:
            kept = list(self._kept)
        fresh: _Kept | None = None
        used: _Kept | None = None
        for entry in kept:
            changed = entry.changed(items)
            if changed is None:
                continue
            used = entry
            if not changed:
                fresh = entry
            elif len(changed) <= _PATCHED_SHARE * len(items):
                fresh = entry.patched(patched(entry.book, items, changed), changed)
            break
        if fresh is None or any(len(m) > len(items) for _, m in fresh.book.alike.values()):
            fresh = _Kept(prepare(items))  # afresh, also when patches have piled up groups
        book = fresh.book if fresh.book.inputs is items else replace(fresh.book, inputs=items)
        with self._lock:
            self._kept = [fresh, *(k for k in self._kept if k is not used)][: self.size]
        return book

    def clear(self) -> None:
        """Forget every kept book."""
        with self._lock:
            self._kept = []


def _same_fanout(items: tuple[DecisionInputs, ...]) -> None:
    """What ``prepare`` checks of its inputs, checked before a kept book is reused."""
    first = items[0]
    now, request, rates = first.now, first.request, first.market.rates
    for item in items[1:]:  # the very same objects, as a fan-out's usually are, pass at once
        if item.now is not now and item.now != now:
            raise ValueError("a fan-out is valued at one moment: the inputs' 'now' differ")
        if item.request is not request and item.request.strategy != request.strategy:
            raise ValueError("a fan-out is one signal: the requests' strategy labels differ")
        if item.market.rates is not rates and item.market.rates != rates:
            raise ValueError("a fan-out is valued at one set of conversion rates")


def patched(book: FanOut, items: tuple[DecisionInputs, ...], changed: list[int]) -> FanOut:
    """``book`` with the accounts at ``changed`` prepared again from ``items`` (the others'
    rows kept): the same columns as preparing ``items`` afresh."""
    at = np.array(changed, dtype=np.intp)
    fresh = prepare([items[i] for i in changed])
    table = _patched_table(book.table, fresh.table, at, book.size)
    codes = {
        name: tuple(_scattered(list(found), at, fresh.gate_codes[name]))
        for name, found in book.gate_codes.items()
    }
    return replace(
        book,
        inputs=items,
        cohorts=_patched_cohorts(book, fresh, at),
        scalar_only=_put(book.scalar_only, at, fresh.scalar_only),
        gate_codes=codes,
        gated=_put(book.gated, at, fresh.gated),
        equity=_put(book.equity, at, fresh.equity),
        balance=_put(book.balance, at, fresh.balance),
        personality=_put(book.personality, at, fresh.personality),
        pre_factor=_put(book.pre_factor, at, fresh.pre_factor),
        open_used=_put(book.open_used, at, fresh.open_used),
        table=table,
        held=_patched_exposures(book.held, fresh.held, at),
        within=_patched_exposures(book.within, fresh.within, at),
        hedged=_patched_exposures(book.hedged, fresh.hedged, at),
        alike={
            name: _patched_alike(groups, fresh.alike[name], at)
            for name, groups in book.alike.items()
        },
    )


G = TypeVar("G", bound=np.generic)
T = TypeVar("T")


def _put(
    column: npt.NDArray[G], at: npt.NDArray[np.intp], values: npt.NDArray[G]
) -> npt.NDArray[G]:
    out = column.copy()
    out[at] = values
    return out


def _scattered(rows: list[T], at: npt.NDArray[np.intp], values: tuple[T, ...]) -> list[T]:
    for position, index in enumerate(at.tolist()):
        rows[index] = values[position]
    return rows


def _patched_table(old: Table, fresh: Table, at: npt.NDArray[np.intp], size: int) -> Table:
    if old.floats.keys() != fresh.floats.keys() or old.flags.keys() != fresh.flags.keys():
        raise ValueError("a fan-out's columns differ between two preparations")
    return Table(
        floats={k: _put(v, at, fresh.floats[k]) for k, v in old.floats.items()},
        flags={k: _put(v, at, fresh.flags[k]) for k, v in old.flags.items()},
        by_class=_patched_sparse(old.by_class, fresh.by_class, at, size),
        keyed=_patched_sparse(old.keyed, fresh.keyed, at, size),
    )


def _patched_sparse(
    old: dict[str, dict[str, Floats]],
    fresh: dict[str, dict[str, Floats]],
    at: npt.NDArray[np.intp],
    size: int,
) -> dict[str, dict[str, Floats]]:
    """Per-class and keyed columns: a changed account keeps none of its old values."""
    out: dict[str, dict[str, Floats]] = {}
    for key in old.keys() | fresh.keys():
        columns: dict[str, Floats] = {}
        for name, column in old.get(key, {}).items():
            columns[name] = column.copy()
            columns[name][at] = np.nan
        for name, values in fresh.get(key, {}).items():
            if name not in columns:
                columns[name] = allocate(size)
            columns[name][at] = values
        out[key] = columns
    return out


def _patched_cohorts(book: FanOut, fresh: FanOut, at: npt.NDArray[np.intp]) -> tuple[Cohort, ...]:
    keys = [(shared_part(c.profile)[1], c.currency) for c in book.cohorts]
    profiles = [c.profile for c in book.cohorts]
    of = np.empty(book.size, dtype=np.intp)
    for position, cohort in enumerate(book.cohorts):
        of[cohort.members] = position
    for cohort in fresh.cohorts:
        key = (shared_part(cohort.profile)[1], cohort.currency)
        if key not in keys:
            keys.append(key)
            profiles.append(cohort.profile)
        of[at[cohort.members]] = keys.index(key)
    cohorts = []
    for position, (key, profile) in enumerate(zip(keys, profiles, strict=True)):
        members = np.flatnonzero(of == position).astype(np.intp)
        if len(members):
            cohorts.append(Cohort(profile, key[1], members))
    return tuple(cohorts)


def _patched_exposures(old: Exposures, fresh: Exposures, at: npt.NDArray[np.intp]) -> Exposures:
    keep = ~np.isin(old.account, at)
    symbols = list(old.symbols)
    rules: list[CrossAccountRules | None] = list(old.rules)
    symbol_codes = np.array(
        [_code(symbols, symbol) for symbol in fresh.symbols] or [0], dtype=np.intp
    )
    rule_codes = np.array([_rule_code(rules, r) for r in fresh.rules] or [0], dtype=np.intp)
    return Exposures(
        account=np.concatenate([old.account[keep], at[fresh.account]]).astype(np.intp),
        symbol=np.concatenate([old.symbol[keep], symbol_codes[fresh.symbol]]).astype(np.intp),
        sign=np.concatenate([old.sign[keep], fresh.sign]).astype(np.int8),
        rule=np.concatenate([old.rule[keep], rule_codes[fresh.rule]]).astype(np.intp),
        symbols=tuple(symbols),
        rules=tuple(rules),
    )


def _code(symbols: list[str], symbol: str) -> int:
    if symbol not in symbols:
        symbols.append(symbol)
    return symbols.index(symbol)


def _rule_code(rules: list[CrossAccountRules | None], found: CrossAccountRules | None) -> int:
    for position, known in enumerate(rules):  # by identity, as the book codes them
        if known is found:
            return position
    rules.append(found)
    return len(rules) - 1


def _patched_alike(
    old: tuple[npt.NDArray[np.intp], tuple[DecisionInputs, ...]],
    fresh: tuple[npt.NDArray[np.intp], tuple[DecisionInputs, ...]],
    at: npt.NDArray[np.intp],
) -> tuple[npt.NDArray[np.intp], tuple[DecisionInputs, ...]]:
    # The fresh groups follow the old ones; two groups alike only cost one more question.
    groups = old[0].copy()
    groups[at] = fresh[0] + len(old[1])
    return groups, (*old[1], *fresh[1])
