"""A kept book answers a later signal to the same accounts as a book prepared afresh.

Accounts whose inputs are the very same objects keep their rows; any other account (a new
object, even an equal one; a dict changed in place) is prepared again; another moment, label,
rates or rule table means another book altogether.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aria.sizing import books as book_module
from aria.sizing import limits as limit_table
from aria.sizing.batch import decide_batch
from aria.sizing.books import Books, patched
from aria.sizing.columns import Exposures, FanOut, prepare
from aria.sizing.inputs import DecisionInputs
from aria.sizing.instruments import load_instruments
from aria.sizing.pipeline import decide
from aria.sizing.scenario import load_scenario
from firms.catalog import load_catalog
from tests.strategies import fanouts

D = Decimal
EXAMPLE = Path(__file__).parents[3] / "examples" / "preset-aria.json"


def _accounts(count: int) -> list[DecisionInputs]:
    base = load_scenario(json.loads(EXAMPLE.read_text()), load_catalog(), load_instruments())
    return [
        base.model_copy(
            update={
                "account": base.account.model_copy(update={"id": f"acct-{index:03d}"}),
                "state": base.state.model_copy(update={"equity": base.state.equity + D(index)}),
                "signal_order": index,
            }
        )
        for index in range(count)
    ]


def _summaries(book: FanOut, inputs: list[DecisionInputs]) -> list[object]:
    first = inputs[0]
    decided = decide_batch(book, first.request, first.instrument, first.market)
    return [decided.summary(index) for index in range(len(inputs))]


def _scalar(item: DecisionInputs) -> tuple[object, ...]:
    decision = decide(item)
    return decision.status, decision.lots, tuple(decision.reject_codes), decision.binding


def _same_columns(one: FanOut, other: FanOut) -> None:
    for name in ("equity", "balance", "personality", "pre_factor", "open_used"):
        assert np.array_equal(getattr(one, name), getattr(other, name), equal_nan=True), name
    assert one.table.floats.keys() == other.table.floats.keys()
    for key, column in one.table.floats.items():
        assert np.array_equal(column, other.table.floats[key], equal_nan=True), key
    for key, flags in one.table.flags.items():
        assert np.array_equal(flags, other.table.flags[key]), key
    for sparse in ("by_class", "keyed"):
        mine, theirs = getattr(one.table, sparse), getattr(other.table, sparse)
        for key in mine.keys() | theirs.keys():
            names = mine.get(key, {}).keys() | theirs.get(key, {}).keys()
            for name in names:
                nothing = np.full(one.size, np.nan)
                a, b = mine.get(key, {}).get(name, nothing), theirs.get(key, {}).get(name, nothing)
                assert np.array_equal(a, b, equal_nan=True), (key, name)
    assert one.gate_codes == other.gate_codes
    assert np.array_equal(one.scalar_only, other.scalar_only)
    for name in ("held", "within", "hedged"):
        assert _exposed(getattr(one, name)) == _exposed(getattr(other, name)), name
    members = {int(i): c.profile for c in one.cohorts for i in c.members}
    assert members == {int(i): c.profile for c in other.cohorts for i in c.members}


def _exposed(found: Exposures) -> list[tuple[int, str, int]]:
    symbols = [found.symbols[code] for code in found.symbol.tolist()]
    return sorted(zip(found.account.tolist(), symbols, found.sign.tolist(), strict=True))


def _changed(item: DecisionInputs, delta: int, flat: bool) -> DecisionInputs:
    update: dict[str, object] = {"equity": item.state.equity + delta}
    if flat:
        update["positions"] = ()
    return item.model_copy(update={"state": item.state.model_copy(update=update)})


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    made: list[int] = []
    original = prepare

    def counting(inputs: list[DecisionInputs] | tuple[DecisionInputs, ...]) -> FanOut:
        made.append(len(inputs))
        return original(inputs)

    monkeypatch.setattr(book_module, "prepare", counting)
    return made


def test_a_second_signal_to_the_same_inputs_reuses_the_book(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = _counting(monkeypatch)
    books, inputs = Books(), _accounts(6)
    books.prepared(inputs)
    request = inputs[0].request.model_copy(update={"stop_atr_multiple": D("1.5")})
    second = [item.model_copy(update={"request": request}) for item in inputs]
    book = books.prepared(second)
    assert made == [6]  # prepared once
    assert book.inputs == tuple(second)
    assert _summaries(book, second) == [_scalar(item) for item in second]


def test_only_changed_accounts_are_prepared_again(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _counting(monkeypatch)
    books, inputs = Books(), _accounts(8)
    books.prepared(inputs)
    later = list(inputs)
    later[2] = _changed(later[2], -7_000, flat=True)
    later[5] = _changed(later[5], 0, flat=False)  # an equal state, but another object
    book = books.prepared(later)
    assert made == [8, 2]
    _same_columns(book, prepare(later))
    assert _summaries(book, later) == [_scalar(item) for item in later]


def test_a_dict_changed_in_place_is_a_changed_input(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _counting(monkeypatch)
    books, inputs = Books(), _accounts(4)
    inputs[1] = inputs[1].model_copy(update={"instruments": dict(inputs[1].instruments)})
    books.prepared(inputs)
    # A frozen model's dict can still change.
    inputs[1].instruments["GBPUSD"] = load_instruments().get("EURUSD")
    books.prepared(inputs)
    assert made == [4, 1]


def test_another_moment_another_label_or_other_rules_is_another_book(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = _counting(monkeypatch)
    books, inputs = Books(), _accounts(3)
    books.prepared(inputs)
    later = inputs[0].now.replace(second=inputs[0].now.second ^ 1)
    books.prepared([item.model_copy(update={"now": later}) for item in inputs])
    request = inputs[0].request.model_copy(update={"strategy": "another"})
    books.prepared([item.model_copy(update={"request": request}) for item in inputs])
    monkeypatch.setattr(limit_table, "LIMITS", limit_table.LIMITS[:-1])
    books.prepared(inputs)
    assert made == [3, 3, 3, 3]


def test_other_accounts_or_most_accounts_changed_prepare_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = _counting(monkeypatch)
    books, inputs = Books(), _accounts(4)
    books.prepared(inputs)
    books.prepared(inputs[:3])
    books.prepared([_changed(item, 1, flat=False) for item in inputs])
    assert made == [4, 3, 4]


def test_the_kept_books_are_bounded() -> None:
    books = Books(size=2)
    for count in (1, 2, 3, 4):
        books.prepared(_accounts(count))
    assert len(books._kept) == 2
    books.clear()
    assert not books._kept


def test_a_fan_out_of_mixed_moments_is_refused_as_prepare_refuses_it() -> None:
    inputs = _accounts(2)
    later = inputs[0].now.replace(second=inputs[0].now.second ^ 1)
    with pytest.raises(ValueError, match="one moment"):
        Books().prepared([inputs[0], inputs[1].model_copy(update={"now": later})])
    with pytest.raises(ValueError, match="at least one"):
        Books().prepared([])


@settings(max_examples=settings().max_examples, suppress_health_check=[HealthCheck.too_slow])
@given(fanouts(), st.data())
def test_a_patched_book_is_the_book_prepared_afresh(
    inputs: list[DecisionInputs], data: st.DataObject
) -> None:
    later = list(inputs)
    changed = sorted(
        data.draw(st.sets(st.integers(0, len(inputs) - 1), min_size=1, max_size=len(inputs)))
    )
    for index in changed:
        later[index] = _changed(
            later[index],
            data.draw(st.sampled_from([-6_000, -300, 0, 450])),
            flat=data.draw(st.booleans()),
        )
    book = patched(prepare(inputs), tuple(later), changed)
    _same_columns(book, prepare(later))
    assert _summaries(book, later) == [_scalar(item) for item in later]
    books = Books()
    books.prepared(inputs)
    assert _summaries(books.prepared(later), later) == [_scalar(item) for item in later]
