"""The memo of shared input parts never deadlocks when the garbage collector runs inside it."""

from __future__ import annotations

import gc
import threading
from typing import Any

from aria.sizing.inputs import _Memo


class _Part:
    """An object in a reference cycle: it dies only when the collector runs."""

    def __init__(self) -> None:
        self.me = self


def test_a_part_that_dies_while_the_memo_is_locked_does_not_deadlock() -> None:
    memo = _Memo(lambda part: ("text", str(id(part))))
    done = threading.Event()

    def scenario() -> None:
        part: Any = _Part()
        memo.get(part)
        del part
        # The collector may run anywhere, e.g. while ``get`` holds the lock to store an entry.
        with memo._lock:
            gc.collect()
        survivor = _Part()
        assert memo.get(survivor) == ("text", str(id(survivor)))
        done.set()

    worker = threading.Thread(target=scenario, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert done.is_set(), "the memo deadlocked when a part died while it was locked"
    assert len(memo._entries) == 1  # the dead part's entry was removed


class _Value:
    """A weakly referenceable object."""


def test_the_memo_keeps_at_most_its_limit_dropping_the_oldest_first() -> None:
    computed: list[int] = []

    def compute(part: Any) -> str:
        computed.append(id(part))
        return str(id(part))

    memo = _Memo(compute, limit=2)
    parts = [_Value(), _Value(), _Value()]
    for part in parts:
        memo.get(part)
    assert len(memo._entries) == 2
    memo.get(parts[2])
    assert len(computed) == 3  # the newest is still kept
    memo.get(parts[0])
    assert len(computed) == 4  # the oldest was dropped, so computed again


def test_an_object_that_dies_leaves_the_memo() -> None:
    memo = _Memo(lambda part: str(id(part)))
    part: Any = _Value()
    memo.get(part)
    del part
    gc.collect()
    memo.get(_Value())  # the next ``get`` removes the dead entry
    assert len(memo._entries) <= 1
