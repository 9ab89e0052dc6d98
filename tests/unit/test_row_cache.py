"""The row cache answers a row's translated value again only for a row of the same content."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from storage.translate import RowCache


def _cache() -> tuple[RowCache, list[Any]]:
    translated: list[Any] = []

    def translate(row: Any) -> Any:
        value = (row.amount, row.doc)
        translated.append(value)
        return value

    return RowCache(translate, ("amount", "doc"), size=100), translated


def _row(amount: Any, doc: Any) -> SimpleNamespace:
    return SimpleNamespace(amount=amount, doc=doc)


def test_an_unchanged_row_is_translated_once() -> None:
    cache, translated = _cache()
    first = cache(_row(Decimal("1.0"), {"multiplier": "1", "seed": None}))
    again = cache(_row(Decimal("1.0"), {"multiplier": "1", "seed": None}))
    assert again is first
    assert len(translated) == 1


# JSON documents that are equal in Python or alike as text but not the same document, and
# text that reads like a document: each is its own key.
_DISTINCT: list[Any] = [
    {"a": 1},
    {"a": 1.0},
    {"a": True},
    {"a": "1"},
    {"a": None},
    {"a": [1]},
    {"a": 1, "b": 2},
    {"b": 2, "a": 1},  # another order is another document to translate (no stale order)
    [1, 2],
    [2, 1],
    "{'a': 1}",
    {},
    [],
    None,
]


def test_documents_that_differ_in_any_way_are_different_keys() -> None:
    cache, translated = _cache()
    for doc in _DISTINCT:
        assert cache(_row(Decimal(1), doc)) == (Decimal(1), doc)
    assert len(translated) == len(_DISTINCT)


def test_amounts_written_differently_are_different_keys() -> None:
    cache, translated = _cache()
    cache(_row(Decimal("1.0"), {}))
    assert cache(_row(Decimal("1.00"), {}))[0].as_tuple().exponent == -2
    assert len(translated) == 2


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@given(_JSON, _JSON)
def test_a_cached_value_is_always_the_one_of_its_row(first: Any, second: Any) -> None:
    cache, _ = _cache()
    cache(_row(Decimal(1), first))
    found = cache(_row(Decimal(1), second))
    # Equal documents may share an entry only when nothing tells them apart.
    assert repr(found[1]) == repr(second)
