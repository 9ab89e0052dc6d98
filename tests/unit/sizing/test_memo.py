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
